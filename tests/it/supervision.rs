//! A panic while polling one feed (injected into the debug binary) becomes that feed's error
//! event; the feed is polled again at its next interval and succeeds, and the other feed is
//! never disturbed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn a_panic_in_one_poll_is_that_feeds_error_and_it_is_polled_again() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        "[settings]\npoll_interval = \"1s\"\nmax_age = \"3650d\"\n\n\
         [[feeds]]\nid = \"steady\"\nurl = \"{}\"\n\n[[feeds]]\nid = \"faulty\"\nurl = \"{}\"\n",
        server.url("/f/wire.rss"),
        server.url("/f/wire.atom")
    );
    let cfg = support::write_config(dir.path(), &cfg);
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("WATCHFLOOR_FAULT_PANIC", "faulty")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&l)
                && v["type"] == "feed"
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    let until = Instant::now() + Duration::from_secs(20);
    let mut reports: Vec<(String, bool, String)> = Vec::new();
    let faulty_recovered = |r: &[(String, bool, String)]| {
        let failed = r.iter().position(|(f, ok, _)| f == "faulty" && !ok);
        failed.is_some_and(|i| r[i..].iter().any(|(f, ok, _)| f == "faulty" && *ok))
    };
    while Instant::now() < until && !faulty_recovered(&reports) {
        if let Ok(v) = rx.recv_timeout(Duration::from_millis(200)) {
            reports.push((
                v["feed"].as_str().unwrap_or_default().to_string(),
                v["ok"].as_bool().unwrap_or(false),
                v["error"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive, "the collector died");
    let first = reports
        .iter()
        .find(|(f, _, _)| f == "faulty")
        .expect("the faulty feed reported");
    assert!(!first.1, "{reports:?}");
    assert!(
        first
            .2
            .contains("internal error while polling: injected fault in feed faulty"),
        "{reports:?}"
    );
    assert!(
        faulty_recovered(&reports),
        "never polled again: {reports:?}"
    );
    assert!(
        reports
            .iter()
            .filter(|(f, _, _)| f == "steady")
            .all(|(_, ok, _)| *ok),
        "{reports:?}"
    );
}
