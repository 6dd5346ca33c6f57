//! A full disk: the data directory on a small tmpfs fills under heavy ingest. The collector
//! keeps running, says so (a log line now; `store` events once it can write again), and loses
//! nothing it had stored; when room comes back it stores again. Needs root to mount a tmpfs;
//! skipped with a message elsewhere (CI runs as root).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn wait_for(
    rx: &mpsc::Receiver<Value>,
    seen: &mut Vec<Value>,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(v) = rx.recv_timeout(Duration::from_millis(100)) {
            let hit = pred(&v);
            seen.push(v);
            if hit {
                return;
            }
        }
    }
    panic!("never saw {what}");
}

#[test]
fn a_full_disk_is_reported_survived_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let Some(mount) = Mount::tmpfs(&data, "2m") else {
        eprintln!("cannot mount a tmpfs here (not root?); skipping the full-disk test");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let cfg = support::generator_config(&server, "full", 4, "300ms", "");
    let cfg = support::write_config(dir.path(), &cfg);
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<Value>(&l).unwrap());
        }
    });
    let (etx, erx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = etx.send(l);
        }
    });

    // The disk fills: the collector says so and keeps running.
    let started = Instant::now();
    loop {
        if let Ok(line) = erx.recv_timeout(Duration::from_millis(100))
            && line.contains("storing polls failed")
        {
            assert!(line.contains("disk full"), "{line}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the disk never filled"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the collector stopped on a full disk"
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the collector stopped on a full disk"
    );

    // Room again: it stores again, and reports the outage.
    mount.resize("64m");
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "the recovery report", |v| {
        v["type"] == "store" && v["ok"] == true
    });
    assert!(
        seen.iter().any(|v| v["type"] == "store"
            && v["ok"] == false
            && v["error"].as_str().is_some_and(|e| e.contains("disk full"))),
        "no failing report before the recovery"
    );
    wait_for(&rx, &mut seen, "an alert stored after the recovery", |v| {
        v["type"] == "alert"
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    while let Ok(v) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push(v);
    }

    let conn = rusqlite::Connection::open(data.join("watchfloor.db")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut stmt = conn
        .prepare("SELECT count(*) FROM alerts WHERE id = ?1")
        .unwrap();
    for v in seen.iter().filter(|v| v["type"] == "alert") {
        let n: i64 = stmt
            .query_row([v["id"].as_str().unwrap()], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "printed alert {} is not stored", v["id"]);
    }
    drop(stmt);
    drop(conn);
}
