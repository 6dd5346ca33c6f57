//! Crash safety: a headless monitor under heavy ingest, its stdout read by a reader that sleeps
//! before it reads (so the pipe fills and the writer blocks), is killed with SIGKILL at
//! arbitrary moments and restarted, again and again. Every event stored in the outbox must be
//! printed at least once, with at most one repeat per kill; every printed alert must be in the
//! database; no line may be cut; and the database must pass `PRAGMA integrity_check`.
//!
//! 30 kills by default; set `WATCHFLOOR_KILLS` for a longer run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The newest outbox sequence number stored, 0 before there is a database.
fn stored_seq(data: &std::path::Path) -> i64 {
    let Ok(conn) = rusqlite::Connection::open_with_flags(
        data.join("watchfloor.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    ) else {
        return 0;
    };
    conn.query_row(
        "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

#[test]
fn sigkill_with_a_slow_reader_loses_nothing_and_repeats_at_most_one_line_per_kill() {
    let kills: usize = support::run_knob("WATCHFLOOR_KILLS", 8, 30);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::generator_config(
        &server,
        "g",
        6,
        "300ms",
        "\n[[countries]]\ncode = \"ML\"\n\n[[rules]]\nid = \"surge\"\nkind = \"count\"\nof = \"atrocity\"\nlimit = 500\nwindow = \"1h\"\nseverity = \"critical\"\n",
    );
    let cfg_path = support::write_config(dir.path(), &cfg);
    let data = dir.path().join("data");

    let mut printed: Vec<String> = Vec::new();
    let mut seqs: Vec<i64> = Vec::new();
    let mut partial_lines = 0usize;
    // A fixed-seed generator, so a failure can be replayed.
    let mut seed: u64 = 0x5eed_1234;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let started = Instant::now();
    for _ in 0..kills {
        let mut child = support::spawn_headless(&cfg_path, &data);
        let stdout = child.stdout.take().unwrap();
        let nap = Duration::from_millis(next() % 1200);
        let reader = std::thread::spawn(move || {
            // A reader that starts late: the pipe fills and the collector's writes block.
            std::thread::sleep(nap);
            let mut lines = Vec::new();
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            while r.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
                lines.push(String::from_utf8_lossy(&buf).into_owned());
                buf.clear();
            }
            lines
        });
        // Kill at a random moment of work, not of start-up: once this run has stored an event
        // of its own (or after 10 s), then up to 0.9 s later.
        let before = stored_seq(&data);
        let deadline = Instant::now() + Duration::from_secs(10);
        while stored_seq(&data) <= before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(next() % 900));
        child.kill().unwrap();
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            // A line cut by the kill is not a printed event; a consumer sees it as incomplete.
            let Ok(v) = serde_json::from_str::<Value>(line.trim_end()) else {
                partial_lines += 1;
                continue;
            };
            seqs.push(v["seq"].as_i64().unwrap());
            if v["type"] == "alert" {
                printed.push(v["id"].as_str().unwrap().to_string());
            }
        }
    }
    let elapsed = started.elapsed();
    // One last clean run: it prints whatever the final kill left committed but unprinted.
    let last = support::headless_once(&cfg_path, &data);
    assert!(last.status.success());
    for line in String::from_utf8_lossy(&last.stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        seqs.push(v["seq"].as_i64().unwrap());
        if v["type"] == "alert" {
            printed.push(v["id"].as_str().unwrap().to_string());
        }
    }

    let conn = rusqlite::Connection::open(data.join("watchfloor.db")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(partial_lines, 0, "lines cut by a kill");
    let last: i64 = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let unique_seqs: HashSet<i64> = seqs.iter().copied().collect();
    let never: Vec<i64> = (1..=last).filter(|s| !unique_seqs.contains(s)).collect();
    assert!(
        never.is_empty(),
        "{} stored events never printed, first {:?}",
        never.len(),
        &never[..never.len().min(10)]
    );
    let repeats = seqs.len() - unique_seqs.len();
    assert!(
        repeats <= kills,
        "{repeats} repeated lines over {kills} kills"
    );
    let mut stmt = conn
        .prepare("SELECT count(*) FROM alerts WHERE id = ?1")
        .unwrap();
    let missing: Vec<&String> = printed
        .iter()
        .filter(|id| stmt.query_row([id], |r| r.get::<_, i64>(0)).unwrap() != 1)
        .collect();
    assert!(
        missing.is_empty(),
        "{} printed alerts are not in the database",
        missing.len()
    );
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
        .unwrap();
    let unique_alerts: HashSet<&String> = printed.iter().collect();
    println!(
        "crash test: {kills} SIGKILLs in {:.1}s with a late reader, {last} events stored and all printed, {repeats} repeated lines, {stored} alerts stored and {} printed, integrity ok",
        elapsed.as_secs_f64(),
        unique_alerts.len()
    );
    assert_eq!(
        stored as usize,
        unique_alerts.len(),
        "stored alerts never printed"
    );
    assert!(
        unique_alerts.len() > kills * 10,
        "too little ingest to mean anything: {} alerts",
        unique_alerts.len()
    );
}
