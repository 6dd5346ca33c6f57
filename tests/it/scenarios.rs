//! The rule engine as timelines: items and clock steps in, alerts and status changes out.
//! Time is a manual clock; nothing sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use watchfloor::config::{self, Config};
use watchfloor::event::Event;
use watchfloor::feed::item::{Item, item_key};
use watchfloor::geo;
use watchfloor::monitor::ingest::{ingest_items, restore, tick};
use watchfloor::rules::clock::{Clock, ManualClock};
use watchfloor::rules::engine::Engine;
use watchfloor::store::{AnyStore, Store};

use crate::support::pg::{self, Backend};

const RULES: &str = r#"
[settings]
window = "72h"
[[countries]]
code = "SD"
[[countries]]
code = "ML"
[[feeds]]
id = "f"
url = "https://f.test/feed"
[feeds.values]
fatalities = "/fatalities"
[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre", "mass killing*"]
not = ["video game"]
severity = "high"
[[rules]]
id = "violence"
kind = "keywords"
any = ["attack*"]
all = ["civilians"]
severity = "medium"
[[rules]]
id = "sahel-only"
kind = "keywords"
any = ["convoy"]
countries = ["ML"]
severity = "low"
[[rules]]
id = "deaths"
kind = "threshold"
field = "fatalities"
op = ">="
limit = 50
severity = "high"
[[rules]]
id = "deaths-week"
kind = "threshold"
field = "fatalities"
op = ">="
limit = 100
window = "7d"
severity = "critical"
[[rules]]
id = "surge"
kind = "count"
of = "atrocity"
limit = 3
window = "24h"
severity = "critical"
"#;

/// One step of a timeline.
enum Step {
    /// An item arrives now.
    Item {
        id: &'static str,
        title: &'static str,
        fatalities: Option<f64>,
    },
    /// An item published this many days ago arrives now.
    Old {
        id: &'static str,
        title: &'static str,
        days: i64,
    },
    /// The clock moves on (hours), then the engine ticks.
    Wait(i64),
}

/// What a step must produce: alerts as "rule:country" and status changes as "CC:from>to".
struct Expect {
    alerts: &'static [&'static str],
    statuses: &'static [&'static str],
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 5, 0, 0, 0).single().unwrap()
}

fn config() -> Config {
    config::load_str(Path::new("scenario.toml"), RULES, &|_| None).unwrap_or_else(|e| panic!("{e}"))
}

/// Plays the table on the engine alone, then through each store with the engine rebuilt from
/// the store before every step (as if the collector restarted each time): all three must give
/// what the table expects.
fn play(steps: &[(Step, Expect)]) {
    play_engine(steps);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(opened) = pg::open(backend) {
            play_store(opened.store, steps, backend);
        }
    }
}

/// An alert as the tables write it: "rule:country".
fn alert_line(a: &watchfloor::event::Alert) -> String {
    format!(
        "{}:{}",
        a.rule,
        a.country.map_or("none".into(), |c| c.to_string())
    )
}

/// A status change as the tables write it: "CC:from>to".
fn status_line(s: &watchfloor::event::StatusChange) -> String {
    format!("{}:{}>{}", s.country, s.from.as_str(), s.to.as_str())
}

fn step_item(step: &Step, now: DateTime<Utc>) -> Option<Item> {
    let (id, title, fatalities, published) = match step {
        Step::Item {
            id,
            title,
            fatalities,
        } => (id, title, *fatalities, now),
        Step::Old { id, title, days } => (id, title, None, now - Duration::days(*days)),
        Step::Wait(_) => return None,
    };
    Some(Item {
        feed: "f".into(),
        key: item_key(Some(id), None, title, ""),
        title: title.to_string(),
        url: None,
        summary: String::new(),
        published: Some(published),
        countries: Vec::new(),
        values: fatalities
            .map(|f| vec![("fatalities".to_string(), f)])
            .unwrap_or_default(),
    })
}

fn play_store(mut store: AnyStore, steps: &[(Step, Expect)], backend: Backend) {
    let config = config();
    let clock = ManualClock::at(t0());
    let mut seq = 0;
    for (n, (step, expect)) in steps.iter().enumerate() {
        let mut engine = Engine::new(&config).unwrap();
        restore(&store, &mut engine, &config, clock.now()).unwrap();
        if let Step::Wait(hours) = step {
            clock.advance(Duration::hours(*hours));
        }
        let now = clock.now();
        match step_item(step, now) {
            Some(item) => store.write(|tx| ingest_items(tx, &mut engine, &[item], now).map(drop)),
            None => store.write(|tx| tick(tx, &mut engine, now).map(drop)),
        }
        .unwrap();
        let mut alerts = Vec::new();
        let mut statuses = Vec::new();
        for row in store.outbox_after(seq, 10_000).unwrap() {
            seq = row.seq;
            match Event::from_body(&row.body) {
                Some(Event::Alert(a)) => alerts.push(alert_line(&a)),
                Some(Event::Status(s)) => statuses.push(status_line(&s)),
                _ => {}
            }
        }
        alerts.sort();
        let mut want: Vec<String> = expect.alerts.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(alerts, want, "{backend:?}, step {n}: alerts");
        assert_eq!(statuses, expect.statuses, "{backend:?}, step {n}: statuses");
        clock.advance(Duration::minutes(1));
    }
}

fn play_engine(steps: &[(Step, Expect)]) {
    let config = config();
    let mut engine = Engine::new(&config).unwrap();
    let clock = ManualClock::at(t0());
    let mut seen = HashSet::new();
    for (n, (step, expect)) in steps.iter().enumerate() {
        let now = clock.now();
        let mut alerts = Vec::new();
        let mut statuses = Vec::new();
        match step_item(step, now) {
            Some(item) => {
                let out = engine.process(&item, now, false);
                let fresh: Vec<_> = out
                    .alerts
                    .into_iter()
                    .filter(|a| seen.insert(a.id.clone()))
                    .collect();
                alerts.extend(fresh.iter().map(alert_line));
                for s in engine.record(&fresh, item.event_time(now), now) {
                    statuses.push(status_line(&s));
                }
            }
            None => {
                let Step::Wait(hours) = step else {
                    unreachable!("only a wait has no item")
                };
                clock.advance(Duration::hours(*hours));
                for s in engine.tick(clock.now()).changes {
                    statuses.push(status_line(&s));
                }
            }
        }
        alerts.sort();
        let mut want: Vec<String> = expect.alerts.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(alerts, want, "step {n}: alerts");
        assert_eq!(statuses, expect.statuses, "step {n}: statuses");
        clock.advance(Duration::minutes(1));
    }
}

fn item(id: &'static str, title: &'static str) -> Step {
    Step::Item {
        id,
        title,
        fatalities: None,
    }
}

fn deaths(id: &'static str, title: &'static str, n: f64) -> Step {
    Step::Item {
        id,
        title,
        fatalities: Some(n),
    }
}

const NONE: Expect = Expect {
    alerts: &[],
    statuses: &[],
};

#[test]
fn keyword_alerts_raise_status_and_expire_after_the_window() {
    play(&[
        (
            item("1", "Attack on civilians in Darfur"),
            Expect {
                alerts: &["violence:SD"],
                statuses: &["SD:quiet>watch"],
            },
        ),
        (item("2", "Attack on army base in Darfur"), NONE),
        (
            item("3", "Massacre reported in Darfur"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &["SD:watch>warning"],
            },
        ),
        (item("4", "Video game massacre in Darfur"), NONE),
        (Step::Wait(71), NONE),
        (
            Step::Wait(2),
            Expect {
                alerts: &[],
                statuses: &["SD:warning>quiet"],
            },
        ),
    ]);
}

#[test]
fn one_item_about_two_countries_alerts_for_each_and_filters_hold() {
    play(&[
        (
            item("1", "Massacre near the border of Sudan and Mali"),
            Expect {
                alerts: &["atrocity:ML", "atrocity:SD"],
                statuses: &["SD:quiet>warning", "ML:quiet>warning"],
            },
        ),
        (item("2", "Convoy hit in Sudan"), NONE),
        (
            item("3", "Convoy hit in Mali"),
            Expect {
                alerts: &["sahel-only:ML"],
                statuses: &[],
            },
        ),
        (
            item("4", "Massacre somewhere"),
            Expect {
                alerts: &["atrocity:none"],
                statuses: &[],
            },
        ),
        (
            item("1", "Massacre near the border of Sudan and Mali"),
            NONE,
        ),
    ]);
}

#[test]
fn a_count_rule_fires_on_crossing_and_again_only_after_falling_below() {
    play(&[
        (
            item("1", "Massacre in Darfur"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &["SD:quiet>warning"],
            },
        ),
        (
            item("2", "Second massacre in Darfur"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &[],
            },
        ),
        (
            item("3", "Third massacre in Darfur"),
            Expect {
                alerts: &["atrocity:SD", "surge:SD"],
                statuses: &["SD:warning>critical"],
            },
        ),
        (
            item("4", "Fourth massacre in Darfur"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &[],
            },
        ),
        // The first hits leave the 24 h window: the count falls below the limit and re-arms.
        (Step::Wait(25), NONE),
        (
            item("5", "Mass killings in Darfur"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &[],
            },
        ),
        (
            item("6", "Mass killing in Darfur"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &[],
            },
        ),
        (
            item("7", "Another massacre in Darfur"),
            Expect {
                alerts: &["atrocity:SD", "surge:SD"],
                statuses: &[],
            },
        ),
    ]);
}

#[test]
fn thresholds_per_item_and_summed_over_a_window() {
    play(&[
        (deaths("1", "Clashes in Mali", 45.0), NONE),
        (
            deaths("2", "Clashes in Mali", 60.0),
            Expect {
                alerts: &["deaths:ML", "deaths-week:ML"],
                statuses: &["ML:quiet>critical"],
            },
        ),
        (deaths("3", "Clashes in Mali", 10.0), NONE),
        (
            Step::Wait(24 * 8),
            Expect {
                alerts: &[],
                statuses: &["ML:critical>quiet"],
            },
        ),
        (
            deaths("4", "Clashes in Mali", 99.0),
            Expect {
                alerts: &["deaths:ML"],
                statuses: &["ML:quiet>warning"],
            },
        ),
        (
            deaths("5", "Clashes in Mali", 1.0),
            Expect {
                alerts: &["deaths-week:ML"],
                statuses: &["ML:warning>critical"],
            },
        ),
    ]);
}

#[test]
fn restored_state_does_not_fire_again() {
    let config = config();
    let clock = ManualClock::at(t0());
    let mut first = Engine::new(&config).unwrap();
    let mut entries = Vec::new();
    let mut fired = 0;
    for id in ["1", "2", "3"] {
        let it = Item {
            feed: "f".into(),
            key: format!("id:{id}"),
            title: "Massacre in Darfur".into(),
            url: None,
            summary: String::new(),
            published: Some(clock.now()),
            countries: Vec::new(),
            values: Vec::new(),
        };
        let out = first.process(&it, clock.now(), false);
        fired += out.alerts.iter().filter(|a| a.rule == "surge").count();
        entries.extend(out.window_entries);
    }
    assert_eq!(fired, 1);
    // A restart: the window is rebuilt from stored entries and a fourth hit does not re-fire.
    let mut second = Engine::new(&config).unwrap();
    for e in &entries {
        second.restore_window_entry(e);
    }
    second.settle(clock.now());
    let fourth = Item {
        feed: "f".into(),
        key: "id:4".into(),
        title: "Massacre in Darfur".into(),
        url: None,
        summary: String::new(),
        published: Some(clock.now()),
        countries: vec![geo::lookup("SD").unwrap()],
        values: Vec::new(),
    };
    let out = second.process(&fourth, clock.now(), false);
    assert!(
        out.alerts.iter().all(|a| a.rule != "surge"),
        "{:?}",
        out.alerts
    );
}

#[test]
fn items_older_than_max_age_raise_no_alert_but_fresh_ones_do() {
    play(&[
        (
            Step::Old {
                id: "o1",
                title: "Massacre reported in Darfur",
                days: 8,
            },
            NONE,
        ),
        (
            Step::Old {
                id: "o2",
                title: "Attack on civilians near Gao, Mali",
                days: 30,
            },
            NONE,
        ),
        (
            Step::Old {
                id: "o3",
                title: "Massacre reported near Gao, Mali",
                days: 6,
            },
            Expect {
                alerts: &["atrocity:ML"],
                statuses: &[],
            },
        ),
        (
            item("n1", "Massacre reported in Darfur again"),
            Expect {
                alerts: &["atrocity:SD"],
                statuses: &["SD:quiet>warning"],
            },
        ),
    ]);
}
