//! Instructions per item, a figure machine noise does not move: `headless --once` over 200 feeds
//! of 25 and then 50 items (every item alerting) under `valgrind --tool=callgrind`, for each
//! binary given; the difference over the 5,000 extra items is the cost of one more item,
//! without start-up.
//!
//! ```sh
//! cargo build --release && cargo run --release --example instructions -- target/release/watchfloor [OTHER_BINARY...]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/feeds.rs"]
mod feeds;

use std::process::Command;

#[tokio::main]
async fn main() {
    let bins: Vec<String> = std::env::args().skip(1).collect();
    let small = feeds::start(10, 20, feeds::Shape::Fixed(25)).await;
    let large = feeds::start(10, 20, feeds::Shape::Fixed(50)).await;
    let dir = tempfile::tempdir().unwrap();
    for bin in &bins {
        let a = instructions(bin, dir.path(), &small, "small").await;
        let b = instructions(bin, dir.path(), &large, "large").await;
        println!(
            "{bin}: {a} instructions for 5,000 items, {b} for 10,000: {} per item beyond start-up",
            b.saturating_sub(a) / 5_000
        );
    }
}

async fn instructions(bin: &str, dir: &std::path::Path, urls: &[String], name: &str) -> u64 {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, feeds::config(urls, "1h")).unwrap();
    {
        let run = tempfile::tempdir_in(dir).unwrap().keep();
        let data = run.join("data");
        let out = run.join("callgrind.out");
        let cfg = cfg.clone();
        let program = bin.to_string();
        let status = tokio::task::spawn_blocking(move || {
            Command::new("valgrind")
                .arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(&program)
                .args(["headless", "--once", "--config"])
                .arg(&cfg)
                .arg("--data")
                .arg(&data)
                .stdout(std::process::Stdio::null())
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let log = String::from_utf8_lossy(&status.stderr);
        log.lines()
            .find_map(|l| l.split("Collected : ").nth(1))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}
