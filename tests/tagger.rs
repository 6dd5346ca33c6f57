//! The tagger against a labelled set of headlines (`tests/headlines.tsv`): precision and recall
//! over (headline, country) pairs must both reach 0.95.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use watchfloor::rules::matcher::MatcherBuilder;

#[test]
fn tagger_precision_and_recall_on_labelled_headlines() {
    let matcher = MatcherBuilder::new().build().expect("gazetteer builds");
    let text = include_str!("headlines.tsv");
    let (mut tp, mut fp, mut fneg, mut n) = (0usize, 0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (labels, headline) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("bad line: {line:?}"));
        let want: BTreeSet<String> = labels
            .split(',')
            .filter(|c| *c != "-")
            .map(str::to_string)
            .collect();
        let got: BTreeSet<String> = matcher
            .scan(&[headline])
            .countries
            .iter()
            .map(|c| c.to_string())
            .collect();
        n += 1;
        tp += want.intersection(&got).count();
        fp += got.difference(&want).count();
        fneg += want.difference(&got).count();
        if want != got {
            wrong.push(format!("  {headline:?}: expected {want:?}, got {got:?}"));
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    println!(
        "tagger: {n} headlines, precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fneg})"
    );
    for w in &wrong {
        println!("{w}");
    }
    assert!(
        n >= 150,
        "the labelled set needs at least 150 headlines, has {n}"
    );
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}
