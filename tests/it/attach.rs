//! A headless collector and attached viewers on one database: an alert crosses from the
//! collector to the viewers, and a viewer's triage crosses back to the collector's output and
//! to every other viewer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use watchfloor::config;
use watchfloor::store::{SqliteStore, Store};
use watchfloor::tui::app::{App, Effect, Mode};
use watchfloor::tui::keymap::KeyMap;

fn wait_for(rx: &mpsc::Receiver<String>, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let v: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if pred(&v) {
                return v;
            }
        }
    }
    panic!("the collector never printed {what}");
}

#[test]
fn collector_and_two_viewers_share_alerts_and_triage() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    // Fresh dates so the alert also moves its country's status.
    let wire = std::fs::read_to_string(support::fixtures_dir().join("wire.rss")).unwrap();
    server.set_fixture(
        "wire.rss",
        &wire.replace("Mon, 05 May 2025 10:00:00 GMT", &Utc::now().to_rfc2822()),
    );
    let atom = std::fs::read_to_string(support::fixtures_dir().join("wire.atom")).unwrap();
    server.set_fixture(
        "wire.atom",
        &atom.replace("2025-05-05T14:05:00Z", &Utc::now().to_rfc3339()),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = support::write_config(dir.path(), &support::config_text(&server, ""));
    let data = dir.path().join("data");

    let mut collector = support::spawn_headless(&cfg_path, &data);
    let stdout = collector.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let printed = wait_for(&rx, "an alert", |v| {
        v["type"] == "alert" && v["rule"] == "atrocity"
    });
    let id = printed["id"].as_str().unwrap().to_string();

    // Viewer one sees the collector's alert in its snapshot, as the attached screen would.
    let config = config::load(&cfg_path).unwrap();
    let viewer_one = SqliteStore::open_existing(&data).unwrap();
    let mut app = App::new(
        KeyMap::default(),
        Mode::Attached,
        "t".into(),
        "viewer-one".into(),
        None,
        Utc::now(),
    );
    let first = viewer_one
        .snapshot(&watchfloor::config::ScreenConfig::from(&config), Utc::now())
        .unwrap();
    let beat = first.heartbeat.clone().expect("the collector's heartbeat");
    assert_eq!(beat.pid, collector.id());
    assert!(
        Utc::now() - beat.at < chrono::TimeDelta::seconds(10),
        "{beat:?}"
    );
    app.set_snapshot(first);
    assert!(
        app.snapshot.alerts.iter().any(|r| r.alert.id == id),
        "the viewer does not see the alert"
    );

    // It acknowledges that alert with the keys an analyst would press.
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE));
    while app.selected_alert().is_some_and(|r| r.alert.id != id) {
        app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE));
    }
    let effects = app.handle_key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE));
    let [Effect::Triage(t)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let mut writer = SqliteStore::open_existing(&data).unwrap();
    writer.record_triage(t).unwrap();

    // The collector reports it.
    let triage = wait_for(&rx, "the triage event", |v| v["type"] == "triage");
    assert_eq!(triage["v"], 2);
    assert!(triage["seq"].as_i64().unwrap() > printed["seq"].as_i64().unwrap());
    assert_eq!(triage["key"], id.as_str());
    assert_eq!(triage["action"], "ack");
    assert_eq!(triage["target"], "alert");
    assert_eq!(triage["who"], "viewer-one");

    // Viewer two, on its own connection, sees the acknowledgement.
    let viewer_two = SqliteStore::open_existing(&data).unwrap();
    let snap = viewer_two
        .snapshot(&watchfloor::config::ScreenConfig::from(&config), Utc::now())
        .unwrap();
    let row = snap.alerts.iter().find(|r| r.alert.id == id).unwrap();
    assert_eq!(
        row.triage.acked.as_ref().map(|(who, _)| who.as_str()),
        Some("viewer-one")
    );
    assert!(
        snap.countries
            .iter()
            .any(|c| c.code.as_str() == "ML" && c.alerts_24h >= 1)
    );

    let _ = Command::new("kill")
        .arg(collector.id().to_string())
        .status();
    let _ = collector.wait();
}

#[test]
fn attach_without_a_database_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open_existing(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("start `watchfloor headless --data DIR` first"),
        "{err}"
    );
}
