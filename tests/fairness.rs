//! Fetch slots are fair across hosts: with `concurrency = 2` and `per_host = 1`, five slow feeds
//! on one host must not delay a fast feed on another host.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use watchfloor::config;
use watchfloor::event::Event;
use watchfloor::monitor::{self, Options};
use watchfloor::outputs::VecSink;
use watchfloor::rules::clock::SystemClock;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_host_does_not_delay_a_fast_one() {
    let slow = support::start_on("127.0.0.1").await;
    let fast = support::start_on("127.0.0.2").await;
    let mut cfg = String::from(
        "[settings]\nconcurrency = 2\nper_host = 1\ntimeout = \"3s\"\npoll_interval = \"1h\"\n",
    );
    // The slow feeds come first, so they are first in line for the slots.
    for i in 0..5 {
        cfg.push_str(&format!(
            "\n[[feeds]]\nid = \"slow-{i}\"\nurl = \"{}\"\n",
            slow.url("/slow")
        ));
    }
    cfg.push_str(&format!(
        "\n[[feeds]]\nid = \"fast\"\nurl = \"{}\"\n",
        fast.url("/f/wire.rss")
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = support::write_config(dir.path(), &cfg);
    let config = config::load(&path).unwrap();
    let sink = VecSink::default();
    let seen = sink.clone();
    let started = Utc::now();
    let options = Options {
        once: true,
        ..Options::default()
    };
    // Stop as soon as the fast feed has reported (or after 8 s, which fails the test).
    let stop = async move {
        for _ in 0..80 {
            let done = seen
                .events()
                .iter()
                .any(|e| matches!(e, Event::Feed(f) if f.feed == "fast"));
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    monitor::run(
        Arc::new(config),
        &dir.path().join("data"),
        Some(Box::new(sink.clone())),
        Arc::new(SystemClock),
        options,
        monitor::Hooks::default(),
        stop,
    )
    .await
    .unwrap();
    let report = sink
        .events()
        .into_iter()
        .find_map(|e| match e {
            Event::Feed(f) if f.feed == "fast" => Some(f),
            _ => None,
        })
        .expect("the fast feed never reported");
    let after = (report.at - started).to_std().unwrap_or_default();
    println!("fast feed reported after {after:?}");
    assert!(report.ok, "{report:?}");
    assert!(
        after < Duration::from_millis(1500),
        "the fast feed waited {after:?} behind a slow host"
    );
}
