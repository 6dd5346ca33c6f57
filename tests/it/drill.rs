//! What the screen drills into, read from a real SQLite file: a feed's last polls, a country's
//! status history, chart, stories and notes, the history search (trigrams, so Chinese text is
//! found too), each viewer's new-since-seen mark, and the settings a collector publishes for
//! screens that attach without its config.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use watchfloor::config::Severity;
use watchfloor::event::{
    Alert, FeedReport, Status, StatusChange, Triage, TriageAction, TriageTarget,
};
use watchfloor::feed::item::Item;
use watchfloor::geo::lookup;
use watchfloor::store::drill::Focus;
use watchfloor::store::{SqliteStore, Store, StoreTx};

fn item(feed: &str, key: &str, title: &str, summary: &str) -> Item {
    Item {
        feed: feed.into(),
        key: key.into(),
        title: title.into(),
        url: Some(format!("https://news.test/{key}")),
        summary: summary.into(),
        published: None,
        countries: Vec::new(),
        values: Vec::new(),
    }
}

fn report(feed: &str, minutes_ago: i64, ok: bool) -> FeedReport {
    FeedReport {
        at: Utc::now() - Duration::minutes(minutes_ago),
        feed: feed.into(),
        ok,
        http_status: Some(if ok { 200 } else { 503 }),
        items: 10,
        new: 1,
        old: 0,
        not_modified: false,
        error: (!ok).then(|| "HTTP 503".into()),
        ms: 100,
        next_poll: None,
        failures: u32::from(!ok),
    }
}

#[test]
fn a_feed_keeps_its_last_twenty_polls_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    for i in (0..25).rev() {
        store
            .write(|tx| tx.record_feed(&report("wire", i, i != 4), None))
            .unwrap();
        store
            .write(|tx| tx.record_feed(&report("other", i, true), None))
            .unwrap();
    }
    let polls = store.polls("wire").unwrap();
    assert_eq!(polls.len(), 20, "older polls go as new ones come");
    assert!(polls.windows(2).all(|w| w[0].at > w[1].at), "newest first");
    assert!(
        polls
            .iter()
            .any(|p| !p.ok && p.error.as_deref() == Some("HTTP 503"))
    );
    assert_eq!(store.polls("other").unwrap().len(), 20, "per feed");
    let drill = store
        .drill(
            &Focus {
                feed: Some("wire".into()),
                ..Focus::default()
            },
            Utc::now(),
        )
        .unwrap();
    assert_eq!(drill.polls.unwrap().1.len(), 20);
}

#[test]
fn a_country_shows_its_status_history_chart_stories_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let sd = lookup("SD").unwrap();
    let now = Utc::now();
    store
        .write(|tx| {
            for (i, key) in ["a", "b", "c"].iter().enumerate() {
                tx.upsert_item(
                    &item("wire", key, "Shelling in El Fasher", "Civilians killed."),
                    now - Duration::days(i as i64),
                )?;
                tx.set_item_countries("wire", key, &[sd])?;
            }
            // An item about somewhere else counts nowhere here.
            tx.upsert_item(&item("wire", "d", "Floods in Dhaka", ""), now)?;
            tx.set_item_countries("wire", "d", &[lookup("BD").unwrap()])?;
            let alert = Alert {
                id: "al-1".into(),
                at: now,
                country: Some(sd),
                country_name: Some("Sudan".into()),
                listed: true,
                rule: "violence".into(),
                kind: "keywords".into(),
                severity: Severity::High,
                feed: "wire".into(),
                title: String::new(),
                url: None,
                published: None,
                matched: vec!["shelling".into()],
                field: None,
                value: None,
                limit: None,
                op: None,
                expected: None,
                explanation: None,
                item: "a".into(),
                summary: String::new(),
                story: Some("s-1".into()),
                sources: vec!["wire".into(), "radio".into()],
                revision: 2,
                primary: true,
            };
            tx.insert_alert(&alert, now)?;
            let mut second = alert.clone();
            second.id = "al-2".into();
            second.rule = "fatalities".into();
            second.severity = Severity::Critical;
            tx.insert_alert(&second, now)?;
            tx.set_status(
                &StatusChange {
                    at: now,
                    country: sd,
                    country_name: "Sudan".into(),
                    from: Status::Quiet,
                    to: Status::Critical,
                    reason: "critical alert from fatalities".into(),
                    factors: Vec::new(),
                },
                now,
            )
        })
        .unwrap();
    store
        .record_triage(&Triage {
            at: now,
            who: "analyst".into(),
            target: TriageTarget::Alert,
            key: "al-1".into(),
            action: TriageAction::Note,
            until: None,
            note: Some("confirmed by the field office".into()),
        })
        .unwrap();
    let focus = Focus {
        country: Some(sd),
        ..Focus::default()
    };
    let d = store.drill(&focus, now).unwrap().country.unwrap();
    assert_eq!(d.history.len(), 1);
    assert_eq!(d.history[0].reason, "critical alert from fatalities");
    assert_eq!(
        (d.history[0].from, d.history[0].to),
        (Status::Quiet, Status::Critical)
    );
    assert_eq!(d.days.len(), 30);
    assert_eq!(
        d.days.iter().map(|c| c.items).sum::<u32>(),
        3,
        "{:?}",
        d.days
    );
    assert_eq!(d.days[29].items, 1, "today is the last day");
    assert_eq!(d.days[29].alerts, 2);
    assert_eq!(d.stories.len(), 1, "two alerts of one story are one story");
    let story = &d.stories[0];
    assert_eq!(story.alerts, 2);
    assert_eq!(story.severity, Severity::Critical);
    assert_eq!(story.sources, ["wire", "radio"]);
    assert_eq!(story.title, "Shelling in El Fasher");
    assert_eq!(d.notes.len(), 1);
    assert_eq!(d.notes[0].about, "alert (violence)");
    assert_eq!(d.notes[0].text, "confirmed by the field office");
}

#[test]
fn history_search_finds_every_stored_item_in_any_script() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    // The collector's connection: what it writes joins the index at once (the first write).
    store.keep_search_index();
    let now = Utc::now();
    store
        .write(|tx| {
            tx.upsert_item(
                &item(
                    "wire",
                    "1",
                    "Aid convoy stopped near El Fasher",
                    "A checkpoint.",
                ),
                now,
            )?;
            tx.upsert_item(
                &item("zh", "2", "苏丹达尔富尔发生屠杀", "联合国称平民死亡"),
                now,
            )?;
            tx.upsert_item(&item("ja", "3", "スーダンで虐殺の疑い", ""), now)?;
            tx.upsert_item(
                &item("wire", "4", "Market prices", "Convoys of trucks."),
                now,
            )?;
            tx.upsert_item(&item("ru", "5", "Украина: обстрел Харькова", ""), now)?;
            tx.upsert_item(&item("wire", "6", "Code abcd", "then bcda"), now)
                .map(drop)
        })
        .unwrap();
    fn keys(store: &SqliteStore, q: &str) -> Vec<String> {
        let mut k: Vec<String> = store
            .search(q)
            .unwrap()
            .into_iter()
            .map(|h| h.key)
            .collect();
        k.sort();
        k
    }
    assert_eq!(
        keys(&store, "convoy"),
        ["1", "4"],
        "title and text, any case"
    );
    assert_eq!(
        keys(&store, "CONVOY fasher"),
        ["1"],
        "every word must be there"
    );
    assert_eq!(
        keys(&store, "达尔富尔"),
        ["2"],
        "Chinese, with no spaces between words"
    );
    assert_eq!(
        keys(&store, "苏丹"),
        ["2"],
        "two characters are found by a scan"
    );
    assert_eq!(keys(&store, "虐殺"), ["3"], "Japanese");
    assert_eq!(
        keys(&store, "\"convoy"),
        Vec::<String>::new(),
        "stray quotes find nothing, never fail"
    );
    assert!(keys(&store, "massacre").is_empty());
    assert_eq!(keys(&store, "ХАРЬКОВА"), ["5"], "Cyrillic, any case");
    assert_eq!(keys(&store, "обстрел харьков"), ["5"]);
    assert!(
        keys(&store, "abcda").is_empty(),
        "every trigram is there, but not the word"
    );
    // A revision is indexed again; a pruned item is gone.
    store
        .write(|tx| {
            tx.upsert_item(&item("wire", "4", "Market prices", "Grain only."), now)
                .map(drop)
        })
        .unwrap();
    assert_eq!(keys(&store, "convoy"), ["1"]);
    // Items are pruned feed by feed, for feeds that have polled.
    store
        .write(|tx| tx.record_feed(&report("wire", 0, true), None))
        .unwrap();
    store.prune(now + Duration::seconds(5)).unwrap();
    assert!(
        keys(&store, "fasher").is_empty(),
        "pruned items leave the index"
    );
}

#[test]
fn where_a_viewer_last_looked_survives_and_never_moves_back() {
    let dir = tempfile::tempdir().unwrap();
    let t = Utc::now();
    {
        let mut store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.viewer_seen("ana").unwrap(), None);
        store.set_viewer_seen("ana", t).unwrap();
        store
            .set_viewer_seen("ana", t - Duration::hours(1))
            .unwrap();
        store
            .set_viewer_seen("ben", t - Duration::hours(2))
            .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let ms = |d: chrono::DateTime<Utc>| d.timestamp_millis();
    assert_eq!(store.viewer_seen("ana").unwrap().map(ms), Some(ms(t)));
    assert_eq!(
        store.viewer_seen("ben").unwrap().map(ms),
        Some(ms(t - Duration::hours(2)))
    );
}

#[test]
fn a_collector_publishes_what_screens_show_and_never_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watchfloor.toml");
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("DRILL_TEST_SECRET", "s3cr3t-value") };
    std::fs::write(
        &path,
        r#"
[[countries]]
code = "SD"
notes = "Darfur"

[[feeds]]
id = "wire"
name = "Wire"
url = "https://api.test/v1/feed?key=${DRILL_TEST_SECRET}&lang=en"
headers = { Authorization = "Bearer ${DRILL_TEST_SECRET}" }

[[feeds]]
id = "plain"
url = "https://user:hunter2@plain.test/rss?token=abc123"

[[rules]]
id = "violence"
kind = "keywords"
any = ["shelling"]
severity = "high"

[[views]]
name = "sudan"
filter = "cc:SD"
list = "alerts"
sort = "severity"
"#,
    )
    .unwrap();
    let config = watchfloor::config::load(&path).unwrap();
    let screen = watchfloor::config::ScreenConfig::from(&config);
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let mut store = SqliteStore::open(&dir.path().join("data")).unwrap();
    assert_eq!(store.screen_config().unwrap(), None);
    store.publish_screen_config(&screen).unwrap();
    let back = store.screen_config().unwrap().unwrap();
    assert_eq!(back, screen);
    assert_eq!(back.feeds.len(), 2);
    assert_eq!(back.views[0].name, "sudan");
    assert_eq!(back.countries[0].notes, "Darfur");
    let json: String = rusqlite::Connection::open(dir.path().join("data/watchfloor.db"))
        .unwrap()
        .query_row("SELECT value FROM meta WHERE key = 'screen'", [], |r| {
            r.get(0)
        })
        .unwrap();
    for secret in ["s3cr3t-value", "hunter2", "abc123", "Bearer"] {
        assert!(!json.contains(secret), "{secret} published: {json}");
    }
    assert!(
        json.contains("${DRILL_TEST_SECRET}"),
        "placeholders stay: {json}"
    );
}
