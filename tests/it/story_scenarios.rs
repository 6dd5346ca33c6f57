//! Corroboration as timelines on a manual clock, through the real store: outlets reporting one
//! event raise one alert per (rule, country, story) and revisions of it as publishers join; a
//! rule with `min_sources = 2` waits for the second publisher within `corroborate_within`; an
//! outlet's mirror counts once; a feed's own look-alike items stay apart; and all of it
//! survives a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use watchfloor::config::{self, Config};
use watchfloor::event::{Alert, Event};
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
id = "reuters"
url = "https://reuters.test/feed"
[[feeds]]
id = "bbc"
url = "https://bbc.test/feed"
[[feeds]]
id = "bbc-world"
url = "https://bbc-world.test/feed"
[[feeds]]
id = "aje"
url = "https://aje.test/feed"
[[feeds]]
id = "quakes"
url = "https://quakes.test/feed"
[[rules]]
id = "killings"
kind = "keywords"
any = ["kill*", "massacre", "dead"]
severity = "high"
[[rules]]
id = "confirmed"
kind = "keywords"
any = ["shelling", "shells"]
min_sources = 2
corroborate_within = "12h"
severity = "critical"
"#;

/// Where each feed's items link to.
fn link(feed: &str, n: usize) -> String {
    let host = match feed {
        "reuters" => "www.reuters.com",
        "bbc" => "www.bbc.co.uk",
        "bbc-world" => "www.bbc.com",
        "aje" => "www.aljazeera.com",
        _ => "earthquake.example.org",
    };
    format!("https://{host}/news/{n}")
}

/// Background news, so the grouping knows which words are common.
const BACKGROUND: &[&str] = &[
    "Parliament debates budget as talks continue in the capital",
    "Central bank holds interest rates steady",
    "Football: league leaders held to a draw",
    "Officials say talks on trade will continue next week",
    "Storm warning issued for the coast",
    "Minister visits regional hospital",
    "Elections commission publishes candidate list",
    "Police say several people were killed in a road accident",
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 6, 0, 0).single().unwrap()
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
        let config = config::load_str(Path::new("stories.toml"), CONFIG, &|_| None).unwrap();
        let opened = pg::open(backend)?;
        let engine = Engine::new(&config).unwrap();
        let mut d = Self {
            config,
            engine,
            now: t0(),
            seq: 0,
            n: 0,
            opened,
        };
        for title in BACKGROUND {
            d.report("reuters", title);
        }
        d.printed();
        Some(d)
    }

    /// A new item from `feed`, published now; the alerts it printed.
    fn report(&mut self, feed: &str, title: &str) -> Vec<Alert> {
        self.n += 1;
        let item = Item {
            feed: feed.into(),
            key: item_key(Some(&format!("{feed}-{}", self.n)), None, title, ""),
            title: title.into(),
            url: Some(link(feed, self.n)),
            summary: String::new(),
            published: Some(self.now),
            countries: Vec::new(),
            values: Vec::new(),
        };
        let (engine, now) = (&mut self.engine, self.now);
        self.opened
            .store
            .write(|tx| ingest_items(tx, engine, &[item], now).map(drop))
            .unwrap();
        self.printed()
    }

    fn wait(&mut self, hours: i64) {
        for _ in 0..hours {
            self.now += Duration::hours(1);
            let (engine, now) = (&mut self.engine, self.now);
            self.opened.store.write(|tx| tick(tx, engine, now)).unwrap();
        }
    }

    fn restart(&mut self) {
        self.engine = Engine::new(&self.config).unwrap();
        restore(&self.opened.store, &mut self.engine, &self.config, self.now).unwrap();
    }

    fn printed(&mut self) -> Vec<Alert> {
        let rows = self.opened.store.outbox_after(self.seq, 10_000).unwrap();
        let mut out = Vec::new();
        for row in rows {
            self.seq = row.seq;
            if let Some(Event::Alert(a)) = Event::from_body(&row.body) {
                out.push(a);
            }
        }
        out
    }
}

fn one(alerts: Vec<Alert>, rule: &str) -> Alert {
    let mut of: Vec<Alert> = alerts.into_iter().filter(|a| a.rule == rule).collect();
    assert_eq!(of.len(), 1, "{of:#?}");
    of.remove(0)
}

#[test]
fn outlets_on_one_story_raise_one_alert_and_revisions_as_they_join() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        outlets_on_one_story_raise_one_alert_and_revisions_as_they_join_on(backend);
    }
}

fn outlets_on_one_story_raise_one_alert_and_revisions_as_they_join_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    let first = one(
        d.report(
            "reuters",
            "Sudan: RSF fighters kill 45 in attack on Wad al-Nura village",
        ),
        "killings",
    );
    assert_eq!(first.revision, 1);
    assert_eq!(first.sources, ["reuters.com"]);
    assert_eq!(first.country.unwrap().as_str(), "SD");
    let story = first.story.clone().expect("a story id");

    d.wait(2);
    let second = one(
        d.report(
            "bbc",
            "Wad al-Nura massacre: at least 45 villagers killed by RSF in Sudan",
        ),
        "killings",
    );
    assert_eq!(second.id, first.id, "the same alert, revised");
    assert_eq!(second.revision, 2);
    assert_eq!(second.sources, ["reuters.com", "bbc.co.uk"]);
    assert_eq!(second.story.as_deref(), Some(story.as_str()));
    // The revision is the alert as first raised: its title is the first report's.
    assert_eq!(second.title, first.title);

    // The outlet's mirror under another suffix is the same publisher: nothing new to say.
    d.wait(1);
    let mirror = d.report(
        "bbc-world",
        "Wad al-Nura massacre: RSF kill at least 45 villagers in Sudan",
    );
    assert!(mirror.is_empty(), "{mirror:#?}");

    d.restart();
    d.wait(1);
    let third = one(
        d.report(
            "aje",
            "Sudan: UN condemns Wad al-Nura massacre, 45 killed by RSF",
        ),
        "killings",
    );
    assert_eq!(third.id, first.id, "the story survived the restart");
    assert_eq!(third.revision, 3);
    assert_eq!(
        third.sources,
        ["reuters.com", "bbc.co.uk", "aljazeera.com"],
        "publishers survived the restart"
    );

    // Another event in the same country is another story and another alert.
    d.wait(1);
    let other = one(
        d.report(
            "bbc",
            "Sudan: shelling of Abu Shouk camp in El Fasher leaves 40 dead",
        ),
        "killings",
    );
    assert_ne!(other.id, first.id);
    assert_eq!(other.revision, 1);
}

#[test]
fn min_sources_fires_on_the_second_publisher_and_says_which() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        min_sources_fires_on_the_second_publisher_and_says_which_on(backend);
    }
}

fn min_sources_fires_on_the_second_publisher_and_says_which_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    let alone = d.report(
        "reuters",
        "Sudan: shelling of Abu Shouk camp near El Fasher kills 40",
    );
    assert!(
        alone.iter().all(|a| a.rule != "confirmed"),
        "fired on one publisher: {alone:#?}"
    );
    // The same publisher again is not corroboration, even after a restart.
    d.restart();
    d.wait(1);
    let again = d.report(
        "reuters",
        "Sudan: death toll from El Fasher camp shelling rises to 40 at Abu Shouk",
    );
    assert!(again.iter().all(|a| a.rule != "confirmed"), "{again:#?}");
    d.wait(2);
    let confirmed = one(
        d.report(
            "aje",
            "Shells hit Abu Shouk camp in El Fasher, Sudan: 40 dead",
        ),
        "confirmed",
    );
    assert_eq!(confirmed.revision, 1);
    assert_eq!(confirmed.sources, ["reuters.com", "aljazeera.com"]);
    assert_eq!(
        confirmed.explanation.as_deref(),
        Some("carried by 2 publishers within 12h: reuters.com, aljazeera.com")
    );

    // A second publisher past corroborate_within does not confirm a story (though it still
    // joins it: the killings rule revises its alert).
    d.wait(2);
    let early = d.report("bbc", "Sudan: army shelling of Omdurman market kills 12");
    assert!(early.iter().all(|a| a.rule != "confirmed"), "{early:#?}");
    let killings = one(early, "killings");
    d.wait(13);
    let late = d.report(
        "reuters",
        "Omdurman market shelling: Sudan army accused over 12 killed",
    );
    assert!(late.iter().all(|a| a.rule != "confirmed"), "{late:#?}");
    let joined = one(late, "killings");
    assert_eq!((joined.id, joined.revision), (killings.id, 2));
}

#[test]
fn a_feeds_own_look_alike_items_are_separate_events() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_feeds_own_look_alike_items_are_separate_events_on(backend);
    }
}

fn a_feeds_own_look_alike_items_are_separate_events_on(backend: Backend) {
    let Some(mut d) = Desk::new(backend) else {
        return;
    };
    let a = one(
        d.report("quakes", "M 5.1 quake near Kassala, Sudan: 3 dead"),
        "killings",
    );
    d.wait(1);
    let b = one(
        d.report("quakes", "M 5.1 quake near Kassala, Sudan: 3 dead"),
        "killings",
    );
    assert_ne!(a.id, b.id);
    assert_ne!(a.story, b.story);
}
