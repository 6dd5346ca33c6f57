//! Story grouping on the labelled headlines of `tests/stories/` (written before the grouping):
//! every pair of headlines in one language is judged same story or not, and precision and
//! recall are reported per language, and apart for pairs across languages. Countries come from
//! the real tagger, the word weights from the whole set (as they would from a day of news).
//! With `STORY_MISSES=1` in the environment the same-story pairs kept apart are printed too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use watchfloor::rules::matcher::MatcherBuilder;
use watchfloor::story::{Frequencies, Signature, same_story};

struct Headline {
    story: String,
    lang: String,
    hours: i64,
    text: String,
    signature: Signature,
}

#[derive(Default, Debug, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fneg: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fneg).max(1) as f64
    }
}

/// Fails unless every language's precision and recall reach its floor.
fn assert_floors(within: &BTreeMap<&str, Score>, floors: &[(&str, f64, f64)]) {
    for &(lang, p, r) in floors {
        let s = within[lang];
        assert!(
            s.precision() >= p && s.recall() >= r,
            "{lang}: precision {:.3} (floor {p}), recall {:.3} (floor {r})",
            s.precision(),
            s.recall()
        );
    }
}

/// The scores of every language together.
fn total(within: &BTreeMap<&str, Score>) -> Score {
    within.values().fold(Score::default(), |t, s| Score {
        tp: t.tp + s.tp,
        fp: t.fp + s.fp,
        fneg: t.fneg + s.fneg,
    })
}

fn headlines() -> (Vec<Headline>, Frequencies) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stories/headlines.tsv"),
    )
    .unwrap();
    let matcher = MatcherBuilder::new().build().unwrap();
    let mut freq = Frequencies::default();
    let out: Vec<Headline> = text
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "{l}");
            let hits = matcher.scan(&[cols[3]]);
            let signature = Signature::new(cols[3], &hits.countries).with_actors(&hits.actors);
            freq.add(&signature.features);
            Headline {
                story: cols[0].into(),
                lang: cols[1].into(),
                hours: cols[2].parse().unwrap(),
                text: cols[3].into(),
                signature,
            }
        })
        .collect();
    (out, freq)
}

#[test]
fn grouping_precision_and_recall_on_labelled_pairs() {
    let (all, freq) = headlines();
    let mut within: BTreeMap<&str, Score> = BTreeMap::new();
    let mut across = Score::default();
    let mut misses = Vec::new();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            // Every headline of an event appears within a day of its first report.
            assert!((a.hours - b.hours).abs() <= 24 || a.story != b.story);
            let truth = a.story == b.story;
            let said = same_story(&a.signature, &b.signature, &freq);
            let score = if a.lang == b.lang {
                within.entry(a.lang.as_str()).or_default()
            } else {
                &mut across
            };
            match (truth, said) {
                (true, true) => score.tp += 1,
                (false, true) => {
                    score.fp += 1;
                    if a.lang == b.lang {
                        misses.push(format!(
                            "  wrongly joined ({}): {} / {}",
                            a.lang, a.story, b.story
                        ));
                    }
                }
                (true, false) => {
                    score.fneg += 1;
                    if a.lang == b.lang && std::env::var_os("STORY_MISSES").is_some() {
                        println!(
                            "  missed ({}, {:.2}): {} | {}",
                            a.lang,
                            watchfloor::story::similarity(
                                &a.signature.features,
                                &b.signature.features,
                                &freq
                            ),
                            a.text,
                            b.text
                        );
                    }
                }
                (false, false) => {}
            }
        }
    }
    for (lang, s) in &within {
        println!(
            "story pairs {lang}: precision {:.3}, recall {:.3} (tp {}, fp {}, fn {})",
            s.precision(),
            s.recall(),
            s.tp,
            s.fp,
            s.fneg
        );
    }
    let total = total(&within);
    println!(
        "story pairs within a language: precision {:.3}, recall {:.3} (tp {}, fp {}, fn {})",
        total.precision(),
        total.recall(),
        total.tp,
        total.fp,
        total.fneg
    );
    println!(
        "story pairs across languages: precision {:.3}, recall {:.3} (tp {}, fp {}, fn {})",
        across.precision(),
        across.recall(),
        across.tp,
        across.fp,
        across.fneg
    );
    misses.sort();
    misses.dedup();
    for m in misses.iter().take(20) {
        println!("{m}");
    }
    // The goal is 0.9 for both in every language. Grouping favours precision (a wrong join
    // would hide an event behind another's alert); these floors are the figures reached so
    // far (README), kept from slipping back while the recall goal is still open.
    let floors = [
        ("ar", 0.9, 0.65),
        ("en", 0.95, 0.9),
        ("fr", 0.9, 0.75),
        ("ru", 0.95, 0.8),
        ("zh", 0.95, 0.75),
    ];
    assert_floors(&within, &floors);
}

/// The grouping as the collector does it: every headline arrives in time order from its own
/// outlet and joins the best story it matches (so stories chain), and pairs are judged by
/// whether they ended in the same story.
#[test]
fn grouping_in_arrival_order_on_labelled_pairs() {
    use chrono::{TimeDelta, TimeZone, Utc};
    use watchfloor::story::Stories;

    let (mut all, _) = headlines();
    all.sort_by_key(|h| h.hours);
    let mut stories = Stories::default();
    // A day of news teaches the word weights first, as it would on a live desk.
    for h in &all {
        stories.learn(&h.signature.features);
    }
    let t0 = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let ids: Vec<i64> = all
        .iter()
        .enumerate()
        .map(|(i, h)| {
            stories.assign(
                h.signature.clone(),
                &format!("outlet-{i}"),
                t0 + TimeDelta::hours(h.hours),
                TimeDelta::hours(24),
                i as i64,
            )
        })
        .collect();
    if std::env::var_os("STORY_MISSES").is_some() {
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                let (a, b) = (&all[i], &all[j]);
                if a.story == b.story && a.lang == b.lang && ids[i] != ids[j] {
                    println!("  apart ({}): {} | {}", a.lang, a.text, b.text);
                }
            }
        }
    }
    let mut within: BTreeMap<&str, Score> = BTreeMap::new();
    let mut across = Score::default();
    let mut merged = Vec::new();
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            let (a, b) = (&all[i], &all[j]);
            let truth = a.story == b.story;
            let said = ids[i] == ids[j];
            let score = if a.lang == b.lang {
                within.entry(a.lang.as_str()).or_default()
            } else {
                &mut across
            };
            match (truth, said) {
                (true, true) => score.tp += 1,
                (false, true) => {
                    score.fp += 1;
                    merged.push(format!(
                        "  merged ({}, {}): {} / {}",
                        a.lang, b.lang, a.story, b.story
                    ));
                }
                (true, false) => score.fneg += 1,
                (false, false) => {}
            }
        }
    }
    for (lang, s) in &within {
        println!(
            "stories in arrival order {lang}: precision {:.3}, recall {:.3}",
            s.precision(),
            s.recall()
        );
    }
    println!(
        "stories in arrival order across languages: precision {:.3}, recall {:.3}",
        across.precision(),
        across.recall()
    );
    merged.sort();
    merged.dedup();
    for m in &merged {
        println!("{m}");
    }
    let total = total(&within);
    println!(
        "stories in arrival order within a language: precision {:.3}, recall {:.3}",
        total.precision(),
        total.recall()
    );
    // The figures reached so far (README), kept from slipping back.
    let floors = [
        ("ar", 0.95, 0.78),
        ("en", 0.95, 0.95),
        ("fr", 0.95, 0.95),
        ("ru", 0.95, 0.9),
        ("zh", 0.95, 0.84),
    ];
    assert_floors(&within, &floors);
    // The goal, within a language, as the collector groups.
    assert!(
        total.precision() >= 0.9 && total.recall() >= 0.9,
        "within a language: precision {:.3}, recall {:.3}",
        total.precision(),
        total.recall()
    );
}
