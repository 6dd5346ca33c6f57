//! The tagger against labelled sets of headlines: precision and recall over (headline,
//! country) pairs must both reach 0.95 on the English-first set (`tests/headlines.tsv`) and on
//! the set in Russian, Chinese, Arabic, Spanish and Portuguese
//! (`tests/attribution/multilingual.tsv`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use watchfloor::rules::matcher::MatcherBuilder;

/// (headlines, precision, recall) of the tagger on a labelled file, printing every miss.
fn score(name: &str, text: &str) -> (usize, f64, f64) {
    let matcher = MatcherBuilder::new().build().expect("gazetteer builds");
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
        "tagger on {name}: {n} headlines, precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fneg})"
    );
    for w in &wrong {
        println!("{w}");
    }
    (n, precision, recall)
}

#[test]
fn tagger_precision_and_recall_on_labelled_headlines() {
    let (n, precision, recall) = score("headlines.tsv", include_str!("headlines.tsv"));
    assert!(
        n >= 150,
        "the labelled set needs at least 150 headlines, has {n}"
    );
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}

#[test]
fn tagger_precision_and_recall_in_five_more_languages() {
    let (n, precision, recall) = score(
        "attribution/multilingual.tsv",
        include_str!("attribution/multilingual.tsv"),
    );
    assert!(n >= 85, "{n} headlines");
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}

#[test]
fn tagger_on_traps() {
    let (n, precision, recall) = score(
        "attribution/traps.tsv",
        include_str!("attribution/traps.tsv"),
    );
    assert!(n >= 90, "{n} headlines");
    // The goal is 0.95 for both; people whose names are not in the census lists ("Israel
    // Adesanya") are still read as places. This floor keeps the rules from slipping back.
    assert!(precision >= 0.85, "precision {precision:.3} < 0.85");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}
