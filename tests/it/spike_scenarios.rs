//! The spike rule as timelines on a manual clock: no history (the floor), crossing and
//! re-arming, a bursty history, a restart in the middle of a window, and a backfill that builds
//! the history at once from items' published times.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use watchfloor::config;
use watchfloor::feed::item::{Item, item_key};
use watchfloor::rules::clock::{Clock, ManualClock};
use watchfloor::rules::engine::{Engine, WindowEntry};

const RULES: &str = r#"
[settings]
window = "72h"
[[countries]]
code = "BJ"
[[feeds]]
id = "f"
url = "https://f.test/feed"
[[rules]]
id = "surge"
kind = "spike"
slot = "6h"
history = "2d"
factor = 3.0
min = 4
severity = "high"
"#;

enum Step {
    /// An item about Benin published now.
    Now(&'static str),
    /// An item about Benin published this many hours ago, arriving now.
    Past(&'static str, i64),
    /// The clock moves on (hours), then the engine ticks.
    Wait(i64),
    /// The process restarts: a new engine restored from the stored window entries.
    Restart,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 5, 0, 0, 0).single().unwrap()
}

/// Plays the steps; returns, per step, the alerts raised as "rule:CC value/limit".
fn play(steps: &[Step]) -> Vec<Vec<String>> {
    let config = config::load_str(Path::new("spike.toml"), RULES, &|_| None).unwrap();
    let mut engine = Engine::new(&config).unwrap();
    let clock = ManualClock::at(t0());
    let mut stored: Vec<WindowEntry> = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let now = clock.now();
        let mut alerts = Vec::new();
        match step {
            Step::Now(id) | Step::Past(id, _) => {
                let published = match step {
                    Step::Past(_, h) => now - Duration::hours(*h),
                    _ => now,
                };
                let title = format!("Clashes reported in northern Benin ({id})");
                let item = Item {
                    feed: "f".into(),
                    key: item_key(Some(id), None, &title, ""),
                    title,
                    url: None,
                    summary: String::new(),
                    published: Some(published),
                    countries: Vec::new(),
                    values: Vec::new(),
                };
                let o = engine.process(&item, now, false);
                stored.extend(o.window_entries);
                for a in o.alerts.into_iter().filter(|a| seen.insert(a.id.clone())) {
                    assert!(a.explanation.is_some(), "step {n}: no explanation");
                    alerts.push(format!(
                        "{}:{} {}/{}",
                        a.rule,
                        a.country.unwrap(),
                        a.value.unwrap(),
                        a.limit.unwrap()
                    ));
                }
            }
            Step::Wait(h) => {
                clock.advance(Duration::hours(*h));
                engine.tick(clock.now());
            }
            Step::Restart => {
                engine = Engine::new(&config).unwrap();
                for e in &stored {
                    engine.restore_window_entry(e);
                }
                engine.settle(clock.now());
            }
        }
        out.push(alerts);
        clock.advance(Duration::minutes(1));
    }
    out
}

fn fired(steps: &[Step]) -> Vec<(usize, String)> {
    play(steps)
        .into_iter()
        .enumerate()
        .flat_map(|(i, a)| a.into_iter().map(move |s| (i, s)))
        .collect()
}

use Step::{Now, Past, Restart, Wait};

#[test]
fn no_history_fires_at_the_floor_once_then_rearms_after_the_spike_ends() {
    let got = fired(&[
        Now("a"),
        Now("b"),
        Now("c"),
        Now("d"), // 4 with no history: the floor (min = 4)
        Now("e"), // still above: no second alert
        Wait(7),  // the spike ends as the items leave the slot
        Now("f"),
        Now("g"),
        Now("h"),
        Now("i"), // 4 again, but the history now holds a burst of 5: 0.6 per slot, spread 1.7
        Now("j"),
        Now("k"), // 6 reaches mean + 3 x spread
    ]);
    assert_eq!(
        got,
        [
            (3, "surge:BJ 4/4".to_string()),
            (11, "surge:BJ 6/6".to_string())
        ]
    );
}

#[test]
fn a_restart_mid_window_keeps_the_count_and_does_not_fire_twice() {
    let got = fired(&[
        Now("a"),
        Now("b"),
        Now("c"),
        Restart,
        Now("d"), // the three before the restart still count
        Restart,
        Now("e"), // still crossed after the restart: no repeat
    ]);
    assert_eq!(got, [(4, "surge:BJ 4/4".to_string())]);
}

#[test]
fn a_backfill_builds_the_history_at_once_from_published_times() {
    // Two items in each 6-hour slot of the past two days, all arriving in the first poll:
    // 2 per slot, so the threshold is 3 x 2 = 6.
    let mut steps: Vec<Step> = Vec::new();
    let ids: Vec<&'static str> = (0..16)
        .map(|i| &*Box::leak(format!("old-{i}").into_boxed_str()))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        steps.push(Past(id, 6 + 6 * (i as i64 / 2) + (i as i64 % 2)));
    }
    for id in ["n1", "n2", "n3", "n4", "n5", "n6"] {
        steps.push(Now(id));
    }
    let got = fired(&steps);
    assert_eq!(got, [(21, "surge:BJ 6/6".to_string())], "{got:?}");
}
