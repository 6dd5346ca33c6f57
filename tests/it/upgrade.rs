//! A data directory from the previous release (schema 2, a version 1 `delivered.cursor`) migrates
//! in place: what that release had printed is not printed again, what it had committed but not
//! printed (three alerts past its cursor, one triage note) is printed once, and a second start
//! prints none of it again. The fixture was written by that release's `demo --headless`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The demo, keeping history long enough that the fixture's rows (written on 2026-11-27) are
/// never pruned as too old, whenever the test runs.
fn demo_for(data: &std::path::Path, secs: u64) -> Vec<Value> {
    let demo = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"),
    )
    .unwrap();
    assert!(demo.contains("retain = \"7d\""));
    let cfg = data.join("demo-long-retain.toml");
    // The copy lives elsewhere: its include points back at the repository's pack.
    let pack =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/packs/un-framework.toml");
    std::fs::write(
        &cfg,
        demo.replace("retain = \"7d\"", "retain = \"3650d\"")
            .replace(
                "include = [\"packs/un-framework.toml\"]",
                &format!("include = [{:?}]", pack.display().to_string()),
            ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["demo", "--headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(secs));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_previous_release_data_directory_prints_nothing_twice_and_loses_nothing() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2-data");
    let dir = tempfile::tempdir().unwrap();
    for f in ["watchfloor.db", "delivered.cursor"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let (printed_before, unprinted): (HashSet<String>, HashSet<String>) = {
        let conn = rusqlite::Connection::open(dir.path().join("watchfloor.db")).unwrap();
        let ids = |sql: &str| -> HashSet<String> {
            conn.prepare(sql)
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        (
            ids("SELECT id FROM alerts WHERE rowid <= 19"),
            ids("SELECT id FROM alerts WHERE rowid > 19"),
        )
    };
    assert_eq!(unprinted.len(), 3);

    let first = demo_for(dir.path(), 4);
    let alert_ids: Vec<&str> = first
        .iter()
        .filter(|e| e["type"] == "alert")
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for id in &alert_ids {
        assert!(
            !printed_before.contains(*id),
            "alert {id} printed again after the upgrade"
        );
    }
    for id in &unprinted {
        assert_eq!(
            alert_ids.iter().filter(|a| **a == id.as_str()).count(),
            1,
            "alert {id}, committed but unprinted before the upgrade"
        );
    }
    let notes: Vec<&Value> = first.iter().filter(|e| e["type"] == "triage").collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["note"], "left unprinted before the upgrade");
    assert_eq!(notes[0]["who"], "analyst");
    assert!(
        first
            .iter()
            .all(|e| e["v"] == 2 && e["seq"].as_i64().is_some())
    );

    let second = demo_for(dir.path(), 3);
    for e in &second {
        if e["type"] == "alert" {
            let id = e["id"].as_str().unwrap();
            assert!(
                !printed_before.contains(id) && !unprinted.contains(id),
                "alert {id} printed again on the second start"
            );
        }
        assert_ne!(e["type"], "triage", "{e}");
    }
}
