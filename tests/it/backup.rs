//! `watchfloor backup FILE` copies a running desk's database consistently (SQLite's online
//! backup) while its collector keeps writing, and the copy restores into a working desk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use watchfloor::store::{SqliteStore, Store};

fn backup(data: &std::path::Path, file: &std::path::Path) -> (i64, i64) {
    let out = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .arg("backup")
        .arg(file)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "FILE: N bytes, schema S, I items, A alerts (from ...)"
    let num = |word: &str| -> i64 {
        let before = stdout.split(&format!(" {word}")).next().unwrap();
        before.rsplit(' ').next().unwrap().parse().unwrap()
    };
    (num("items"), num("alerts"))
}

#[test]
fn a_backup_of_a_busy_desk_is_consistent_and_restores() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &support::generator_config(&server, "bk", 8, "1s", ""),
    );
    let data = dir.path().join("data");
    let mut collector = support::spawn_headless(&cfg, &data);
    // Drain its events so it never waits on a full pipe.
    let out = collector.stdout.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut { out }, &mut std::io::sink()));

    let mut last = (0, 0);
    for i in 0..5 {
        std::thread::sleep(Duration::from_millis(800));
        if !data.join("watchfloor.db").exists() {
            continue;
        }
        let copy = dir.path().join(format!("copy-{i}.db"));
        let counts = backup(&data, &copy);
        assert!(counts >= last, "{counts:?} after {last:?}");
        last = counts;
    }
    assert!(
        last.0 > 0 && last.1 > 0,
        "the copies hold items and alerts: {last:?}"
    );
    collector.kill().unwrap();
    collector.wait().unwrap();

    // Restore: the copy becomes a new desk's database, which opens, reads and writes.
    let restored = dir.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(dir.path().join("copy-4.db"), restored.join("watchfloor.db")).unwrap();
    let mut store = SqliteStore::open(&restored).unwrap();
    let screen = watchfloor::config::ScreenConfig::from(&watchfloor::config::load(&cfg).unwrap());
    let snapshot = store.snapshot(&screen, Utc::now()).unwrap();
    assert!(!snapshot.alerts.is_empty());
    assert_eq!(store.prune_outbox().map(|_| ()).ok(), Some(()));
}
