//! The silence rule as timelines on a manual clock, through the real store: a feed past a fixed
//! limit, a feed whose nightly quiet is learned, a watched country gone dark after a backlog
//! taught its rhythm, each alert raised once, surviving a restart, and ended by a `resolved`
//! event that names it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use watchfloor::config::{self, Config};
use watchfloor::event::Event;
use watchfloor::feed::item::{Item, item_key};
use watchfloor::monitor::ingest::{ingest_items, restore, tick};
use watchfloor::rules::engine::Engine;
use watchfloor::store::Store;

use crate::support::pg::{self, Backend};

const CONFIG: &str = r#"
[settings]
window = "72h"
[[countries]]
code = "SD"
[[feeds]]
id = "wire"
url = "https://wire.test/feed"
interval = "10m"
[[feeds]]
id = "bulletin"
url = "https://bulletin.test/feed"
interval = "10m"
[[rules]]
id = "wire-quiet"
kind = "silence"
scope = "feed"
after = "auto"
severity = "medium"
feeds = ["wire"]
[[rules]]
id = "bulletin-quiet"
kind = "silence"
scope = "feed"
after = "6h"
severity = "low"
feeds = ["bulletin"]
[[rules]]
id = "blackout"
kind = "silence"
scope = "country"
after = "12h"
severity = "high"
"#;

enum Step {
    /// A new item from a feed, about something (published now).
    Item(&'static str, &'static str),
    /// A new item about Sudan published this many hours ago, arriving now.
    Past(i64),
    /// The clock moves on (hours, in quarter-hour ticks).
    Wait(i64),
    /// The process restarts: a new engine restored from the store.
    Restart,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 5, 6, 0, 0).single().unwrap()
}

struct Desk {
    config: Config,
    engine: Engine,
    now: DateTime<Utc>,
    seq: i64,
    n: usize,
    opened: pg::Opened,
}

impl Desk {
    fn new(backend: Backend) -> Option<Self> {
        let config = config::load_str(Path::new("silence.toml"), CONFIG, &|_| None).unwrap();
        let opened = pg::open(backend)?;
        let engine = Engine::new(&config).unwrap();
        Some(Self {
            config,
            engine,
            now: t0(),
            seq: 0,
            n: 0,
            opened,
        })
    }

    fn item(&mut self, feed: &str, title: String, published: DateTime<Utc>) {
        self.n += 1;
        let item = Item {
            feed: feed.into(),
            key: item_key(Some(&format!("{feed}-{}", self.n)), None, &title, ""),
            title,
            url: None,
            summary: String::new(),
            published: Some(published),
            countries: Vec::new(),
            values: Vec::new(),
        };
        let (engine, now) = (&mut self.engine, self.now);
        self.opened
            .store
            .write(|tx| ingest_items(tx, engine, &[item], now).map(drop))
            .unwrap();
    }

    /// Plays one step; returns what it printed, as "alert rule subject" and "resolved ID".
    fn step(&mut self, step: &Step) -> Vec<String> {
        match step {
            Step::Item(feed, about) => {
                let title = format!("{about} update {}", self.n);
                self.item(feed, title, self.now);
            }
            Step::Past(h) => {
                let t = self.now - Duration::hours(*h);
                self.item("wire", format!("Fighting in Sudan, report {}", self.n), t);
            }
            Step::Wait(h) => {
                for _ in 0..h * 4 {
                    self.now += Duration::minutes(15);
                    let (engine, now) = (&mut self.engine, self.now);
                    self.opened.store.write(|tx| tick(tx, engine, now)).unwrap();
                }
            }
            Step::Restart => {
                self.engine = Engine::new(&self.config).unwrap();
                restore(&self.opened.store, &mut self.engine, &self.config, self.now).unwrap();
            }
        }
        let rows = self.opened.store.outbox_after(self.seq, 10_000).unwrap();
        let mut out = Vec::new();
        for row in rows {
            self.seq = row.seq;
            match Event::from_body(&row.body) {
                Some(Event::Alert(a)) => {
                    assert!(a.explanation.is_some(), "no explanation: {a:?}");
                    assert!(!a.title.is_empty());
                    let subject = a.country.map_or(a.feed.clone(), |c| c.to_string());
                    out.push(format!("alert {} {subject} {}", a.rule, a.id));
                }
                Some(Event::Resolved(r)) => out.push(format!("resolved {}", r.id)),
                _ => {}
            }
        }
        out
    }
}

fn ids(lines: &[String]) -> Vec<&str> {
    lines.iter().filter_map(|l| l.rsplit(' ').next()).collect()
}

#[test]
fn a_feed_past_its_fixed_limit_alerts_once_across_a_restart_and_is_resolved() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_feed_past_its_fixed_limit_alerts_once_across_a_restart_and_is_resolved_on(backend);
    }
}

fn a_feed_past_its_fixed_limit_alerts_once_across_a_restart_and_is_resolved_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    assert!(d.step(&Step::Item("bulletin", "Weather")).is_empty());
    assert!(d.step(&Step::Wait(5)).is_empty());
    let fired = d.step(&Step::Wait(1));
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(
        fired[0].starts_with("alert bulletin-quiet bulletin "),
        "{fired:?}"
    );
    assert!(d.step(&Step::Wait(2)).is_empty(), "raised twice");
    assert!(d.step(&Step::Restart).is_empty());
    assert!(
        d.step(&Step::Wait(2)).is_empty(),
        "raised again after a restart"
    );
    let resolved = d.step(&Step::Item("bulletin", "Weather"));
    assert_eq!(resolved, vec![format!("resolved {}", ids(&fired)[0])]);
    // A second silence is a second alert.
    let again = d.step(&Step::Wait(6));
    assert_eq!(again.len(), 1, "{again:?}");
    assert_ne!(ids(&again), ids(&fired));
}

#[test]
fn a_feed_quiet_every_night_is_not_reported_at_night() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_feed_quiet_every_night_is_not_reported_at_night_on(backend);
    }
}

fn a_feed_quiet_every_night_is_not_reported_at_night_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    // Hourly from 06:00 to 22:00 for three days.
    for day in 0..3 {
        for h in 0..=16 {
            assert!(
                d.step(&Step::Item("wire", "Wire")).is_empty(),
                "day {day} {h}"
            );
            if h < 16 {
                d.step(&Step::Wait(1));
            }
        }
        assert!(d.step(&Step::Wait(8)).is_empty(), "night {day} reported");
    }
    // The fourth night the feed does not come back in the morning: reported once the quiet
    // passes one and a half nights.
    let mut printed = Vec::new();
    for _ in 0..8 {
        printed.extend(d.step(&Step::Wait(1)));
    }
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert!(printed[0].starts_with("alert wire-quiet wire "));
}

#[test]
fn a_country_gone_dark_after_a_backlog_alerts_and_speaks_again() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_country_gone_dark_after_a_backlog_alerts_and_speaks_again_on(backend);
    }
}

fn a_country_gone_dark_after_a_backlog_alerts_and_speaks_again_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    // A backlog of 14 days of reports on Sudan, ten a day, arriving at once.
    for i in (1..140).rev() {
        d.step(&Step::Past(i * 24 / 10));
    }
    // The newest report is 2 h old: 9 h on, the country has been quiet for 11 h.
    let mut printed = d.step(&Step::Wait(9));
    assert!(
        !printed.iter().any(|l| l.contains("blackout")),
        "{printed:?}"
    );
    printed = d.step(&Step::Wait(2));
    let dark: Vec<_> = printed.iter().filter(|l| l.contains("blackout")).collect();
    assert_eq!(dark.len(), 1, "{printed:?}");
    assert!(dark[0].starts_with("alert blackout SD "));
    assert!(d.step(&Step::Restart).is_empty());
    let back = d.step(&Step::Past(0));
    assert!(
        back.iter()
            .any(|l| l == &format!("resolved {}", dark[0].rsplit(' ').next().unwrap())),
        "{back:?}"
    );
}

#[test]
fn a_country_rarely_in_the_news_is_not_watched_for_silence() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_country_rarely_in_the_news_is_not_watched_for_silence_on(backend);
    }
}

fn a_country_rarely_in_the_news_is_not_watched_for_silence_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    for i in (1..20).rev() {
        d.step(&Step::Past(i * 12));
    }
    let printed = d.step(&Step::Wait(48));
    assert!(
        !printed.iter().any(|l| l.contains("blackout")),
        "{printed:?}"
    );
}
