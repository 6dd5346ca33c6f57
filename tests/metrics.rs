//! `headless --metrics ADDR`: the Prometheus text a real parser reads (polls, alerts, feed
//! health, statuses, outbox, build), and `/healthz`, which fails while the collector cannot
//! store anything (another process holds the database's write lock) and recovers after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use prometheus_parse::{Scrape, Value};

fn get(rt: &tokio::runtime::Runtime, url: &str) -> (u16, String) {
    rt.block_on(async {
        let r = reqwest::get(url).await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    })
}

fn value(scrape: &Scrape, name: &str, label: Option<(&str, &str)>) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => f64::NAN,
        })
        .reduce(|a, b| a + b)
}

#[test]
fn metrics_parse_and_healthz_fails_while_the_collector_is_stuck() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
    let data = dir.path().join("data");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--metrics", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut { stdout }, &mut std::io::sink()));
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let base = line
        .split("metrics on ")
        .nth(1)
        .and_then(|r| r.split("/metrics").next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

    // Every feed polled once and stored.
    let started = Instant::now();
    let scrape = loop {
        let (status, text) = get(&rt, &format!("{base}/metrics"));
        if status == 200 {
            let lines = text.lines().map(|l| Ok(l.to_string()));
            let scrape = Scrape::parse(lines).unwrap();
            if value(&scrape, "watchfloor_polls_total", None).unwrap_or(0.0) >= 6.0 {
                break scrape;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no polls counted: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        value(&scrape, "watchfloor_polls_total", Some(("feed", "wire"))),
        Some(1.0)
    );
    assert!(
        value(
            &scrape,
            "watchfloor_alerts_total",
            Some(("severity", "high"))
        )
        .unwrap()
            >= 1.0
    );
    assert_eq!(
        value(&scrape, "watchfloor_feed_up", Some(("feed", "wire"))),
        Some(1.0)
    );
    assert!(
        value(
            &scrape,
            "watchfloor_feed_last_success_timestamp_seconds",
            Some(("feed", "wire"))
        )
        .unwrap()
            > 1.7e9
    );
    assert!(value(&scrape, "watchfloor_outbox_pending", None).is_some());
    assert!(
        value(
            &scrape,
            "watchfloor_country_status",
            Some(("country", "SD"))
        )
        .is_some()
    );
    assert_eq!(value(&scrape, "watchfloor_build_info", None), Some(1.0));

    let (status, body) = get(&rt, &format!("{base}/healthz"));
    assert_eq!(status, 200, "{body}");

    // Another process takes the write lock and keeps it: the collector can store nothing, its
    // heartbeat ages, and the health check says so.
    let conn = rusqlite::Connection::open(data.join("watchfloor.db")).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let held = Instant::now();
    let body = loop {
        let (status, body) = get(&rt, &format!("{base}/healthz"));
        if status == 503 {
            break body;
        }
        assert!(
            held.elapsed() < Duration::from_secs(25),
            "healthz stayed ok: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(body.contains("stuck: last heartbeat"), "{body}");
    conn.execute_batch("ROLLBACK").unwrap();
    let released = Instant::now();
    loop {
        let (status, body) = get(&rt, &format!("{base}/healthz"));
        if status == 200 {
            break;
        }
        assert!(
            released.elapsed() < Duration::from_secs(15),
            "no recovery: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
