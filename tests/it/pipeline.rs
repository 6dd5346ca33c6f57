//! The pipeline end to end: a loopback server serving fixtures, the real fetcher, parser,
//! engine and SQLite store, events collected from the sink.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use watchfloor::event::{Alert, Event, FeedReport};

fn feed<'a>(events: &'a [Event], id: &str) -> &'a FeedReport {
    events
        .iter()
        .find_map(|e| match e {
            Event::Feed(f) if f.feed == id => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no feed event for {id}"))
}

fn find<'a>(alerts: &[&'a Alert], rule: &str, title_part: &str) -> Vec<&'a Alert> {
    alerts
        .iter()
        .copied()
        .filter(|a| a.rule == rule && a.title.contains(title_part))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_source_shape_alerts_with_the_right_fields() {
    let server = support::start().await;
    let data = tempfile::tempdir().unwrap();
    let events = support::run_once(&support::config_text(&server, ""), data.path()).await;
    let all = support::alerts(&events);

    // RSS: HTML stripped from the title, tagged from the text, date from RFC 822.
    let mali = find(&all, "atrocity", "Mali massacre");
    let from_atom = find(&all, "atrocity", "campaign link");
    assert_eq!(
        mali.len() + from_atom.len(),
        1,
        "the same story under two feeds alerts once: {all:#?}"
    );
    if let Some(a) = mali.first() {
        assert_eq!(a.title, "Gunmen kill 30 villagers in central Mali massacre");
        assert_eq!(a.country.map(|c| c.to_string()).as_deref(), Some("ML"));
        assert_eq!(a.country_name.as_deref(), Some("Mali"));
        assert!(a.listed);
        assert_eq!(a.severity.as_str(), "high");
        assert_eq!(a.matched, ["massacre"]);
        assert_eq!(
            a.published.map(|p| p.to_rfc3339()).as_deref(),
            Some("2025-05-05T10:00:00+00:00")
        );
        assert_eq!(
            a.summary,
            "Witnesses in Mopti said the attackers burned homes."
        );
    }
    // The `not` list holds: the video game never alerts.
    assert!(find(&all, "atrocity", "Video game").is_empty());
    // No country named: one alert with country null.
    let nowhere = find(&all, "atrocity", "mass killing");
    assert_eq!(nowhere.len(), 1);
    assert_eq!(nowhere[0].country, None);
    assert!(!nowhere[0].listed);
    // Atom, entity-encoded HTML title.
    let darfur = find(&all, "atrocity", "Ethnic cleansing");
    assert_eq!(darfur.len(), 1);
    assert_eq!(
        darfur[0].title,
        "Ethnic cleansing feared in Darfur & Kordofan"
    );
    assert_eq!(
        darfur[0].country.map(|c| c.to_string()).as_deref(),
        Some("SD")
    );
    // JSON API: lowercase ISO3 country, fatalities given as a string.
    let deaths = find(&all, "deaths", "El Fasher");
    assert_eq!(deaths.len(), 1);
    assert_eq!(
        deaths[0].country.map(|c| c.to_string()).as_deref(),
        Some("SD")
    );
    assert_eq!(deaths[0].value, Some(31.0));
    assert_eq!(deaths[0].limit, Some(25.0));
    assert_eq!(deaths[0].field.as_deref(), Some("fatalities"));
    // GeoJSON: epoch milliseconds, country from the title text.
    let quake = find(&all, "quake", "Jalalabad");
    assert_eq!(quake.len(), 1);
    assert_eq!(
        quake[0].country.map(|c| c.to_string()).as_deref(),
        Some("AF")
    );
    assert_eq!(
        quake[0].published.map(|p| p.timestamp()),
        Some(1_746_438_000)
    );
    assert!(find(&all, "quake", "Peru").is_empty());
    // RSS extension elements: a word mapped to a number, the country from gdacs:iso3.
    let red = find(&all, "red", "cyclone");
    assert_eq!(red.len(), 1);
    assert_eq!(red[0].country.map(|c| c.to_string()).as_deref(), Some("MM"));
    assert_eq!(red[0].value, Some(3.0));
    // GDELT's compact dates.
    let gdelt = find(&all, "atrocity", "Genocide warning");
    assert_eq!(gdelt.len(), 1);
    assert_eq!(
        gdelt[0].country.map(|c| c.to_string()).as_deref(),
        Some("MM")
    );
    assert_eq!(
        gdelt[0].published.map(|p| p.to_rfc3339()).as_deref(),
        Some("2025-05-05T10:15:00+00:00")
    );

    for id in ["wire", "atom", "reports", "quakes", "disasters", "gdelt"] {
        let f = feed(&events, id);
        assert!(f.ok, "{f:?}");
        assert_eq!(f.http_status, Some(200));
        assert!(f.items > 0);
    }
    assert_eq!(feed(&events, "wire").items, 4);
    // The JSON item with a null title and numeric body still counts as an item.
    assert_eq!(feed(&events, "reports").items, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_poll_is_conditional_and_a_restart_repeats_nothing() {
    let server = support::start().await;
    let data = tempfile::tempdir().unwrap();
    let text = support::config_text(&server, "");
    let first = support::run_once(&text, data.path()).await;
    assert!(!support::alerts(&first).is_empty());
    let second = support::run_once(&text, data.path()).await;
    assert!(
        support::alerts(&second).is_empty(),
        "a restart repeated alerts: {:#?}",
        support::alerts(&second)
    );
    let wire = feed(&second, "wire");
    assert!(wire.ok && wire.not_modified, "{wire:?}");
    assert_eq!(wire.http_status, Some(304));
    assert_eq!(server.hits("/f/wire.rss"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_feeds_become_events_and_the_others_still_alert() {
    let server = support::start().await;
    let data = tempfile::tempdir().unwrap();
    let extra = format!(
        r#"
[[feeds]]
id = "broken-500"
url = "{}"
[[feeds]]
id = "broken-429"
url = "{}"
[[feeds]]
id = "broken-slow"
url = "{}"
[[feeds]]
id = "broken-garbage"
url = "{}"
[[feeds]]
id = "broken-refused"
url = "http://127.0.0.1:9/nothing-listens-here"
"#,
        server.url("/status/500"),
        server.url("/status/429"),
        server.url("/slow"),
        server.url("/garbage"),
    );
    let started = std::time::Instant::now();
    let events = support::run_once(&support::config_text(&server, &extra), data.path()).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a slow feed held the run up"
    );

    let e500 = feed(&events, "broken-500");
    assert!(!e500.ok);
    assert_eq!(e500.http_status, Some(500));
    assert_eq!(
        e500.error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    let e429 = feed(&events, "broken-429");
    assert_eq!(
        e429.error.as_deref(),
        Some("HTTP 429 Too Many Requests (retry after 2m)")
    );
    let next = e429.next_poll.expect("next poll is set");
    assert!(
        next >= e429.at + chrono::Duration::seconds(119),
        "Retry-After not honoured: {e429:?}"
    );
    let slow = feed(&events, "broken-slow");
    assert_eq!(slow.error.as_deref(), Some("timed out after 2s"));
    let garbage = feed(&events, "broken-garbage");
    let msg = garbage.error.as_deref().unwrap_or("");
    assert!(msg.starts_with("invalid feed"), "{msg}");
    assert!(!msg.chars().any(char::is_control), "{msg:?}");
    let refused = feed(&events, "broken-refused");
    assert_eq!(
        refused.error.as_deref(),
        Some("connection to 127.0.0.1 failed: Connection refused (os error 111)")
    );
    for f in [e500, e429, slow, garbage, refused] {
        assert_eq!(f.failures, 1);
    }

    assert!(!find(&support::alerts(&events), "atrocity", "Ethnic cleansing").is_empty());
    assert!(feed(&events, "wire").ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_alerts_only_when_a_rule_newly_fires() {
    let server = support::start().await;
    let data = tempfile::tempdir().unwrap();
    let text = support::config_text(&server, "");
    let first = support::run_once(&text, data.path()).await;
    assert_eq!(find(&support::alerts(&first), "quake", "").len(), 1);

    let original = std::fs::read_to_string(support::fixtures_dir().join("quakes.geojson")).unwrap();
    let revised = original
        .replace("\"mag\": 6.8", "\"mag\": 6.9")
        .replace("M 6.8 - 40 km", "M 6.9 - 40 km")
        .replace("\"mag\": 4.1", "\"mag\": 6.6")
        .replace("M 4.1 - Off", "M 6.6 - Off");
    server.set_fixture("quakes.geojson", &revised);
    let second = support::run_once(&text, data.path()).await;
    let quakes = find(&support::alerts(&second), "quake", "");
    assert_eq!(quakes.len(), 1, "{quakes:#?}");
    assert!(quakes[0].title.contains("Peru"));
    assert_eq!(quakes[0].value, Some(6.6));
    assert_eq!(
        feed(&second, "quakes").new,
        0,
        "revisions are not new items"
    );
}
