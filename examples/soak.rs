//! The sustained-ingest soak: 200 feeds on 10 loopback hosts, each gaining 5 new items every
//! 5 s (200 items a second, every one alerting), polled every 3 s by the release binary with
//! its stdout read promptly. Prints, minute by minute, the collector's CPU (share of one core),
//! resident memory and database growth.
//!
//! ```sh
//! cargo build --release && cargo run --release --example soak -- 60    # minutes (default 10)
//! ```
//!
//! `SOAK_DATA=DIR` keeps the data directory for a look afterwards; `WATCHFLOOR_BIN=path` soaks
//! another build of watchfloor instead of `target/release`'s.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/feeds.rs"]
mod feeds;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn db_bytes(dir: &std::path::Path) -> u64 {
    ["watchfloor.db", "watchfloor.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::main]
async fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let urls = feeds::start(
        10,
        20,
        feeds::Shape::Growing {
            period: Duration::from_secs(5),
            step: 5,
            keep: 5,
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("soak.toml");
    std::fs::write(&cfg, feeds::config(&urls, "3s")).unwrap();
    // SOAK_DATA keeps the database for a look afterwards.
    let data = std::env::var_os("SOAK_DATA").map_or_else(|| dir.path().join("data"), Into::into);
    // WATCHFLOOR_BIN soaks another build (another commit, another profile).
    let bin = std::env::var_os("WATCHFLOOR_BIN").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/watchfloor"),
        std::path::PathBuf::from,
    );
    let mut child = Command::new(&bin)
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (run cargo build --release first)", bin.display()));
    let pid = child.id();
    let alerts = Arc::new(AtomicU64::new(0));
    let lines = child.stdout.take().unwrap();
    let counted = alerts.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(lines).lines().map_while(Result::ok) {
            if l.contains("\"type\":\"alert\"") {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    println!("soak: 200 feeds on 10 hosts, 200 new items/s, polled every 3 s, {minutes} min");
    println!("minute  cpu%core  rss_MB  db_MB  db_MB/min  alerts/s");
    let started = Instant::now();
    let (mut cpu, mut db, mut printed) = (feeds::cpu_time(pid), 0u64, 0u64);
    for minute in 1..=minutes {
        let until = started + Duration::from_secs(60 * minute);
        tokio::time::sleep_until(until.into()).await;
        let (c, d, p) = (
            feeds::cpu_time(pid),
            db_bytes(&data),
            alerts.load(Ordering::Relaxed),
        );
        println!(
            "{minute:>6}  {:>8.2}  {:>6.1}  {:>5.1}  {:>9.2}  {:>8.1}",
            (c - cpu).as_secs_f64() / 60.0 * 100.0,
            feeds::status_kib(pid, "VmRSS") as f64 / 1024.0,
            d as f64 / 1e6,
            (d as f64 - db as f64) / 1e6,
            (p - printed) as f64 / 60.0
        );
        (cpu, db, printed) = (c, d, p);
    }
    println!(
        "peak RSS {:.1} MB",
        feeds::status_kib(pid, "VmHWM") as f64 / 1024.0
    );
    let _ = child.kill();
    let _ = child.wait();
}
