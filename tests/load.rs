//! 200 good feeds and 50 hostile ones polled together: no good feed misses its interval, and
//! peak memory stays under the bound the README states. The hostile feeds sit on ten hosts and
//! hold connections open, trickle, bomb and flood.
//!
//! 20 s by default; set `WATCHFLOOR_SOAK_SECS` for a longer run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use support::faults;
use watchfloor::config;
use watchfloor::event::Event;
use watchfloor::monitor::{self, Options};
use watchfloor::outputs::VecSink;
use watchfloor::rules::clock::SystemClock;

const GOOD: usize = 200;
const HOSTILE: usize = 50;
const INTERVAL_SECS: i64 = 3;

#[test]
fn good_feeds_keep_their_cadence_beside_hostile_ones() {
    let secs: u64 = support::run_knob("WATCHFLOOR_SOAK_SECS", 10, 20);
    // The servers get their own runtime: their work (compressing bombs, building floods) must
    // not be charged to the monitor under test, which in production runs alone.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let good_server =
        servers.block_on(async { tokio::spawn(support::start_on("127.0.0.2")).await.unwrap() });
    let mut hostile_servers = Vec::new();
    for h in 1..=10 {
        let ip = format!("127.0.1.{h}");
        hostile_servers.push(servers.block_on(async move {
            tokio::spawn(async move { faults::start_on(&ip).await })
                .await
                .unwrap()
        }));
    }
    let hostile_paths = [
        "/hang",
        "/slow-headers",
        "/trickle",
        "/gzip-bomb",
        "/huge-chunked",
        "/many-items",
        "/xml-bomb",
        "/huge-title",
        "/close-mid-body",
        "/status-503",
    ];

    let mut cfg = format!(
        "[settings]\npoll_interval = \"{INTERVAL_SECS}s\"\ntimeout = \"5s\"\nmax_body = \"2MiB\"\n\n[[countries]]\ncode = \"ML\"\n\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n"
    );
    for g in 0..GOOD {
        cfg.push_str(&format!(
            "\n[[feeds]]\nid = \"good-{g}\"\nurl = \"{}?copy={g}\"\n",
            good_server.url("/f/wire.rss")
        ));
    }
    for h in 0..HOSTILE {
        let server = &hostile_servers[h % hostile_servers.len()];
        let path = hostile_paths[h % hostile_paths.len()];
        cfg.push_str(&format!(
            "\n[[feeds]]\nid = \"hostile-{h}\"\nurl = \"{}\"\n",
            server.url(path)
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = support::write_config(dir.path(), &cfg);
    let config = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let sink = VecSink::default();
    let events = sink.0.clone();
    let monitor_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    monitor_rt
        .block_on(async {
            let stop = tokio::time::sleep(Duration::from_secs(secs));
            monitor::run(
                Arc::new(config),
                &dir.path().join("data"),
                Some(Box::new(sink)),
                Arc::new(SystemClock),
                Options::default(),
                monitor::Hooks::default(),
                stop,
            )
            .await
        })
        .unwrap();

    let mut polls: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    let mut hostile_failures = 0usize;
    for e in events.lock().unwrap().iter() {
        if let Event::Feed(f) = e {
            if f.feed.starts_with("good-") {
                assert!(f.ok, "a good feed failed: {f:?}");
                polls.entry(f.feed.clone()).or_default().push(f.at);
            } else if !f.ok {
                hostile_failures += 1;
            }
        }
    }
    assert_eq!(polls.len(), GOOD, "some good feeds were never polled");
    // The first poll comes within the 3 s spread; then one every interval (±5 % jitter).
    let slack = chrono::Duration::milliseconds(INTERVAL_SECS * 1000 * 105 / 100 + 1500);
    let mut worst = chrono::Duration::zero();
    let mut fewest = usize::MAX;
    for (feed, times) in &polls {
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            worst = worst.max(gap);
            assert!(
                gap <= slack,
                "{feed} went {gap} between polls (interval {INTERVAL_SECS}s)"
            );
        }
        fewest = fewest.min(times.len());
    }
    let expected = (secs as i64 - INTERVAL_SECS) / INTERVAL_SECS;
    assert!(
        fewest as i64 >= expected,
        "a good feed was polled only {fewest} times in {secs}s"
    );
    let peak = support::peak_rss_kib();
    println!(
        "load: {GOOD} good + {HOSTILE} hostile feeds for {secs}s: every good feed polled at least {fewest} times, worst gap {:.2}s; {hostile_failures} hostile failures reported; peak RSS {} MiB",
        worst.num_milliseconds() as f64 / 1000.0,
        peak / 1024
    );
    // README, "Reliability": bodies in flight are capped (concurrency x max_body = 16 x 2 MiB
    // here) and parsing is capped at max_items per feed; 256 MiB leaves room for that plus the
    // test harness in a debug build.
    assert!(peak < 256 * 1024, "peak RSS {} MiB", peak / 1024);
}
