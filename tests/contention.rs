//! A collector polling eight feeds every 200 ms while three other connections write triage in
//! IMMEDIATE transactions every 100 ms, as viewers do: the collector never stops, and every
//! viewer write lands. 30 s by default; `WATCHFLOOR_CONTENTION_SECS` changes it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use chrono::Utc;
use watchfloor::event::{Triage, TriageAction, TriageTarget};
use watchfloor::store::{SqliteStore, Store};

#[test]
fn viewer_writes_never_stop_a_busy_collector() {
    let secs: u64 = support::run_knob("WATCHFLOOR_CONTENTION_SECS", 10, 30);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::generator_config(&server, "c", 8, "200ms", "");
    let cfg = support::write_config(dir.path(), &cfg);
    let data = dir.path().join("data");
    let mut collector = support::spawn_headless(&cfg, &data);
    let stdout = collector.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.contains("\"type\":\"feed\""))
            .count()
    });
    let started = Instant::now();
    while !data.join("watchfloor.db").is_file() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }

    let until = Instant::now() + Duration::from_secs(secs);
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let data = data.clone();
            std::thread::spawn(move || {
                let mut store = SqliteStore::open_existing(&data).unwrap();
                let mut written = 0usize;
                while Instant::now() < until {
                    let t = Triage {
                        at: Utc::now(),
                        who: format!("viewer-{w}"),
                        target: TriageTarget::Country,
                        key: "ML".into(),
                        action: TriageAction::Note,
                        until: None,
                        note: Some(format!("note {written}")),
                    };
                    store
                        .record_triage(&t)
                        .unwrap_or_else(|e| panic!("viewer {w} write {written} failed: {e}"));
                    written += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                written
            })
        })
        .collect();
    let mut attempted = 0usize;
    for w in writers {
        attempted += w.join().unwrap();
    }
    assert!(
        collector.try_wait().unwrap().is_none(),
        "the collector stopped under contention"
    );
    // A steady stream of polls must not starve the collector's timers.
    let beat = SqliteStore::open_existing(&data)
        .unwrap()
        .last_heartbeat()
        .unwrap()
        .expect("a heartbeat");
    let age = Utc::now() - beat.at;
    assert!(
        age < chrono::TimeDelta::from_std(watchfloor::monitor::HEARTBEAT * 2).unwrap(),
        "the heartbeat is {age} old under load"
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &collector.id().to_string()])
        .status();
    let status = collector.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let polls = reader.join().unwrap();

    let conn = rusqlite::Connection::open(data.join("watchfloor.db")).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM triage", [], |r| r.get(0))
        .unwrap();
    println!(
        "contention: {secs}s, {attempted} viewer writes, {stored} stored, {polls} polls printed"
    );
    assert_eq!(stored as usize, attempted, "viewer writes lost");
    assert!(
        polls as u64 >= secs * 8,
        "the collector fell behind: {polls} polls"
    );
}
