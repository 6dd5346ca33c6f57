//! Scale of a desk: 10,000 feeds on ten loopback hosts, polled every 60 s, by one collector on
//! SQLite or by several collectors sharing a throwaway PostgreSQL cluster (started here with the
//! machine's initdb and pg_ctl, as the tests do). Prints the time for one polling cycle (every
//! feed polled once, first polls spread over 10 s), then, over the next minute, each collector's
//! CPU (share of one core) and peak resident memory, and the events written per second.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example desk_scale -- sqlite
//! cargo run --release --example desk_scale -- postgres 3
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/feeds.rs"]
mod feeds;
#[allow(dead_code)]
#[path = "../tests/support/pg.rs"]
mod pg;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use watchfloor::store::Store;

const HOSTS: usize = 10;
const PER_HOST: usize = 1_000;

fn follow(child: &mut Child, polled: Arc<Mutex<HashSet<String>>>, events: Arc<Mutex<u64>>) {
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            *events.lock().unwrap() += 1;
            if line.contains("\"type\":\"feed\"")
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(f) = v["feed"].as_str()
            {
                polled.lock().unwrap().insert(f.to_string());
            }
        }
    });
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "sqlite".into());
    let collectors: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let urls = feeds::start(
        HOSTS,
        PER_HOST,
        feeds::Shape::Growing {
            period: Duration::from_secs(60),
            step: 1,
            keep: 5,
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = feeds::config(&urls, "60s");
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/watchfloor");
    let polled: Arc<Mutex<HashSet<String>>> = Arc::default();
    let events: Arc<Mutex<u64>> = Arc::default();
    let mut children = Vec::new();
    let db = if mode == "postgres" {
        let db = pg::database().expect("PostgreSQL is not installed");
        text.push_str("\n[store]\nurl = \"${WF_STORE}\"\n");
        Some(db)
    } else {
        None
    };
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, &text).unwrap();
    let count = if db.is_some() { collectors } else { 1 };
    for _ in 0..count {
        let mut cmd = Command::new(&bin);
        cmd.args(["headless", "--config"]).arg(&cfg);
        match &db {
            Some(db) => {
                cmd.env("WF_STORE", db.url());
            }
            None => {
                cmd.arg("--data").arg(dir.path().join("data"));
            }
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release first)", bin.display()));
        follow(&mut child, polled.clone(), events.clone());
        children.push(child);
    }
    let started = Instant::now();
    println!(
        "desk_scale: {} feeds on {HOSTS} hosts, every 60 s; {mode}, {count} collector(s)",
        HOSTS * PER_HOST
    );
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let n = polled.lock().unwrap().len();
        if n >= HOSTS * PER_HOST {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "only {n} feeds polled in 10 min"
        );
    }
    println!(
        "one polling cycle: {:.1} s (every feed polled once)",
        started.elapsed().as_secs_f64()
    );
    let cpu0: Vec<Duration> = children.iter().map(|c| feeds::cpu_time(c.id())).collect();
    let ev0 = *events.lock().unwrap();
    let outbox0 = outbox(db.as_ref(), dir.path());
    tokio::time::sleep(Duration::from_secs(60)).await;
    for (i, c) in children.iter().enumerate() {
        println!(
            "collector {i}: cpu {:.1} % of a core over the next minute, peak RSS {:.1} MB",
            (feeds::cpu_time(c.id()) - cpu0[i]).as_secs_f64() / 60.0 * 100.0,
            feeds::status_kib(c.id(), "VmHWM") as f64 / 1024.0
        );
    }
    let written = outbox(db.as_ref(), dir.path()) - outbox0;
    println!(
        "events written: {:.0}/s (printed on stdout: {:.0}/s)",
        written as f64 / 60.0,
        (*events.lock().unwrap() - ev0) as f64 / 60.0
    );
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// The outbox position: events written so far.
fn outbox(db: Option<&pg::Database>, dir: &std::path::Path) -> i64 {
    match db {
        Some(db) => {
            let address = match watchfloor::store::StoreAddress::parse(
                &db.url(),
                watchfloor::store::address::Origin::Config,
            )
            .unwrap()
            {
                watchfloor::store::StoreAddress::Postgres(p) => p,
                _ => unreachable!("a postgres URL"),
            };
            watchfloor::store::PgStore::open_existing(&address)
                .unwrap()
                .outbox_end()
                .unwrap()
        }
        None => watchfloor::store::SqliteStore::open_read_only(&dir.join("data"))
            .unwrap()
            .outbox_end()
            .unwrap(),
    }
}
