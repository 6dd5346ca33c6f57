//! Delivery to standard output under the conditions users have: a reader that stops reading,
//! a shutdown while the pipe is full, a database deleted under a kept cursor, lines that would
//! be longer than a pipe writes whole.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_watchfloor"))
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a whole JSON line ({e}): {l}"))
        })
        .collect()
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|v| v["seq"].as_i64().unwrap()).collect()
}

fn last_seq(data: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(data.join("watchfloor.db")).unwrap();
    conn.query_row(
        "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn shutdown_is_honoured_while_stdout_is_blocked_and_nothing_is_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &support::generator_config(&server, "d", 4, "300ms", ""),
    );
    let data = dir.path().join("data");

    // Nobody reads: the pipe fills within a poll or two and the writer blocks.
    let mut child = bin()
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut pipe = child.stdout.take().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(child.try_wait().unwrap().is_none(), "the collector died");
    let sent = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "SIGTERM not honoured within 2 s while stdout was blocked"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut first = Vec::new();
    pipe.read_to_end(&mut first).unwrap();
    let first = lines(&first);
    assert!(!first.is_empty());

    // The next start prints what the blocked one could not.
    let out = support::headless_once(&cfg, &data);
    assert!(out.status.success());
    let second = lines(&out.stdout);
    let printed: BTreeSet<i64> = seqs(&first).into_iter().chain(seqs(&second)).collect();
    let last = last_seq(&data);
    let missing: Vec<i64> = (1..=last).filter(|s| !printed.contains(s)).collect();
    assert!(missing.is_empty(), "events never printed: {missing:?}");
    let repeats = first.len() + second.len() - printed.len();
    assert!(repeats <= 1, "{repeats} events printed twice");
    println!(
        "blocked stdout: {} lines before SIGTERM, {} after restart, {last} events, {repeats} repeated",
        first.len(),
        second.len()
    );
}

#[test]
fn deleting_the_database_but_keeping_the_cursor_loses_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
    let data = dir.path().join("data");
    let run = || support::headless_once(&cfg, &data);
    let first = run();
    assert!(first.status.success());
    let before = lines(&first.stdout);
    let alerts = |v: &[Value]| v.iter().filter(|e| e["type"] == "alert").count();
    assert!(alerts(&before) > 0);

    for f in ["watchfloor.db", "watchfloor.db-wal", "watchfloor.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
    assert!(data.join("delivered.cursor").is_file());
    let second = run();
    assert!(second.status.success());
    let after = lines(&second.stdout);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("belongs to database") && stderr.contains("ignoring it"),
        "no warning about the stale cursor: {stderr}"
    );
    assert_eq!(
        alerts(&after),
        alerts(&before),
        "alerts silenced by a stale cursor"
    );
    assert_eq!(seqs(&after)[0], 1);
}

#[test]
fn long_lines_are_cut_to_a_pipe_write_and_marked() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    // Arabic and Cyrillic: two bytes a character, so capped text still makes a long line.
    let summary = "مجزرة في القرية وشهود عيان يصفون الهجوم ".repeat(60);
    let title = "Massacre in Mali: ".to_string() + &"Резня в деревне ".repeat(20);
    let rss = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>{title}</title><link>https://long.test/1</link><guid>long-1</guid><description>{summary}</description></item></channel></rss>"
    );
    server.set_fixture("long.rss", &rss);
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        "[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n\n[[feeds]]\nid = \"long\"\nurl = \"{}\"\n",
        server.url("/f/long.rss")
    );
    let cfg = support::write_config(dir.path(), &cfg);
    let data = dir.path().join("data");
    let out = support::headless_once(&cfg, &data);
    assert!(out.status.success());
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        assert!(l.len() < 4096, "a line of {} bytes", l.len());
    }
    let events = lines(&out.stdout);
    let alert = events.iter().find(|e| e["type"] == "alert").unwrap();
    assert_eq!(alert["truncated"], true);
    assert!(
        alert["title"]
            .as_str()
            .unwrap()
            .starts_with("Massacre in Mali")
    );
    assert!(
        events
            .iter()
            .filter(|e| e["type"] != "alert")
            .all(|e| e["truncated"] == false)
    );
    // The database keeps the whole text.
    let conn = rusqlite::Connection::open(data.join("watchfloor.db")).unwrap();
    let (title, text): (String, String) = conn
        .query_row("SELECT title, summary FROM items", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(
        title.len() + text.len() > 4096,
        "{}",
        title.len() + text.len()
    );
    assert!(text.len() > alert["summary"].as_str().unwrap().len());
}

#[test]
fn a_second_collector_on_the_same_directory_is_refused_at_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
    let data = dir.path().join("data");
    let mut first = support::spawn_headless(&cfg, &data);
    let started = Instant::now();
    while !data.join("watchfloor.db").is_file() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = bin()
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    let _ = first.kill();
    let _ = first.wait();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another watchfloor collector is already running")
            && stderr.contains("watchfloor attach"),
        "{stderr}"
    );
}
