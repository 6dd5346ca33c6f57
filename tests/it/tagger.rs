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
    let (n, precision, recall) = score("headlines.tsv", include_str!("../headlines.tsv"));
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
        include_str!("../attribution/multilingual.tsv"),
    );
    assert!(n >= 85, "{n} headlines");
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}

#[test]
fn tagger_reads_adjectives_of_nationality() {
    let (n, precision, recall) = score(
        "attribution/adjectives.tsv",
        include_str!("../attribution/adjectives.tsv"),
    );
    assert!(n >= 54, "{n} headlines");
    // Not made by rule: broken plurals ("أفغان", Afghans), regions' adjectives ("в Брянской
    // области"), irregular adjectives ("турецкий").
    assert!(precision >= 0.97, "precision {precision:.3} < 0.97");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}

#[test]
fn tagger_on_traps() {
    let (n, precision, recall) = score(
        "attribution/traps.tsv",
        include_str!("../attribution/traps.tsv"),
    );
    assert!(n >= 210, "{n} headlines");
    // The goal is 0.97 for both and no trap tagged. Still read as places: things WordNet does
    // not list ("Moroccan leather"), clubs ("Real Madrid"), seats of courts and institutions
    // ("The Hague tribunal", "Brussels proposes"), and people whose names are not in the census
    // lists ("Israel Adesanya"). This floor keeps the rules from slipping back.
    assert!(precision >= 0.75, "precision {precision:.3} < 0.75");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}

#[test]
fn tagger_reads_cities_and_regions() {
    let (n, precision, recall) = score(
        "attribution/places.tsv",
        include_str!("../attribution/places.tsv"),
    );
    assert!(n >= 80, "{n} headlines");
    // Before the place table: precision 0.892, recall 0.725. What is left: towns under 15,000
    // people, names that are English words ("Swat"), two-character Chinese names, and the
    // seats of courts and talks (The Hague), labelled as no place.
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.9, "recall {recall:.3} < 0.9");
}

/// Primary country on headlines that name several: (lines, precision, recall), where a
/// headline labelled "-" is about no one country and should get no primary.
fn score_primary(text: &str) -> (usize, f64, f64) {
    let matcher = MatcherBuilder::new().build().expect("gazetteer builds");
    let (mut right, mut predicted, mut expected, mut n) = (0usize, 0usize, 0usize, 0usize);
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut cols = line.splitn(3, '\t');
        let (Some(primary), Some(_), Some(headline)) = (cols.next(), cols.next(), cols.next())
        else {
            panic!("bad line: {line:?}");
        };
        let got = matcher.scan(&[headline]).primary.map(|c| c.to_string());
        n += 1;
        predicted += usize::from(got.is_some());
        expected += usize::from(primary != "-");
        if got.as_deref() == Some(primary) {
            right += 1;
        } else if primary == "-" && got.is_none() {
            // About no one country, and read so.
        } else {
            println!("  {headline:?}: primary {primary}, got {got:?}");
        }
    }
    let precision = right as f64 / predicted.max(1) as f64;
    let recall = right as f64 / expected.max(1) as f64;
    println!("primary country: {n} headlines, precision {precision:.3}, recall {recall:.3}");
    (n, precision, recall)
}

#[test]
fn primary_country_of_headlines_naming_several() {
    let text = include_str!("../attribution/primary.tsv");
    // Every country named, scored like the other sets.
    let all: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, rest)| format!("{rest}\n")))
        .collect();
    let (_, precision, recall) = score("attribution/primary.tsv (every country)", &all);
    assert!(precision >= 0.9, "precision {precision:.3} < 0.9");
    assert!(recall >= 0.9, "recall {recall:.3} < 0.9");
    let (n, precision, recall) = score_primary(text);
    assert!(n >= 60, "{n} headlines");
    // First mention alone: precision 0.606, recall 0.625. The goal is 0.97.
    assert!(precision >= 0.97, "primary precision {precision:.3} < 0.97");
    assert!(recall >= 0.97, "primary recall {recall:.3} < 0.97");
}

#[test]
fn every_labelled_set_together() {
    let primary: String = include_str!("../attribution/primary.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, rest)| format!("{rest}\n")))
        .collect();
    let all = [
        include_str!("../headlines.tsv"),
        include_str!("../attribution/multilingual.tsv"),
        include_str!("../attribution/traps.tsv"),
        include_str!("../attribution/places.tsv"),
        include_str!("../attribution/adjectives.tsv"),
        &primary,
    ]
    .join("\n");
    let (n, precision, recall) = score("every set", &all);
    assert!(n >= 600, "{n} headlines");
    // Traps that name no place at all: how many the tagger still tags.
    let matcher = MatcherBuilder::new().build().expect("gazetteer builds");
    let traps: Vec<&str> = include_str!("../attribution/traps.tsv")
        .lines()
        .filter_map(|l| l.strip_prefix("-\t"))
        .collect();
    let tagged = traps
        .iter()
        .filter(|t| !matcher.scan(&[t]).countries.is_empty())
        .count();
    println!(
        "traps naming no place: {} of {} tagged",
        tagged,
        traps.len()
    );
    assert!(precision >= 0.97, "precision {precision:.3} < 0.97");
    assert!(recall >= 0.97, "recall {recall:.3} < 0.97");
    // The goal is none; four are left (a bird before Thanksgiving, a misspelt dance, an inn
    // and a pepper). More than that is a step back.
    assert!(tagged <= 4, "{tagged} traps tagged, more than the 4 known");
}
