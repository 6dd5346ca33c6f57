//! Loopback feed hosts for the benchmarks: `hosts` servers on 127.0.0.1, 127.0.0.2, ...,
//! each serving `per_host` RSS feeds at `/feed/{n}`. A feed either holds a fixed set of items,
//! or grows: every `period` it gains `step` new items and a response holds the newest `keep`.
//! Responses carry an ETag and honour `If-None-Match`, as real servers do.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What every feed holds.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// The same `n` items on every request.
    Fixed(usize),
    /// `step` new items every `period`; the newest `keep` in a response.
    Growing {
        /// How often new items appear.
        period: Duration,
        /// How many appear each time.
        step: usize,
        /// How many a response holds.
        keep: usize,
    },
}

struct Spec {
    shape: Shape,
    started: Instant,
    epoch: i64,
}

/// Countries the generated items are about.
pub const PLACES: [&str; 8] = [
    "Mali",
    "Sudan",
    "Myanmar",
    "Burkina Faso",
    "Haiti",
    "South Sudan",
    "Niger",
    "Ethiopia",
];

fn item(feed: usize, k: usize, at: i64) -> String {
    let place = PLACES[(feed + k) % PLACES.len()];
    let date = chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .to_rfc2822();
    format!(
        "<item><title>Massacre reported near village {feed}-{k} in {place}</title>\
         <link>https://bench.test/{feed}/{k}</link><guid isPermaLink=\"false\">bench-{feed}-{k}</guid>\
         <pubDate>{date}</pubDate><description>Local sources said armed men attacked the village at dawn; \
         residents fled toward the district capital and aid groups reported dozens of people missing. \
         Officials promised an investigation while the situation remained tense across the area.</description></item>"
    )
}

async fn feed(State(spec): State<Arc<Spec>>, Path(n): Path<usize>, headers: HeaderMap) -> Response {
    let (items, tag): (Vec<String>, String) = match spec.shape {
        Shape::Fixed(count) => (
            (0..count)
                .map(|k| item(n, k, spec.epoch - k as i64 * 60))
                .collect(),
            format!("\"{n}-fixed\""),
        ),
        Shape::Growing { period, step, keep } => {
            let steps = (spec.started.elapsed().as_millis() / period.as_millis().max(1)) as usize;
            let newest = (steps + 1) * step;
            let at = |k: usize| spec.epoch + ((k / step) as u64 * period.as_secs()) as i64;
            (
                (newest.saturating_sub(keep)..newest)
                    .rev()
                    .map(|k| item(n, k, at(k)))
                    .collect(),
                format!("\"{n}-{steps}\""),
            )
        }
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(tag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Bench wire {n}</title><link>https://bench.test/</link><description>bench</description>{}</channel></rss>",
        items.concat()
    );
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
            (header::ETAG, tag),
        ],
        body,
    )
        .into_response()
}

/// Starts the hosts; returns the URL of every feed, host by host.
pub async fn start(hosts: usize, per_host: usize, shape: Shape) -> Vec<String> {
    let spec = Arc::new(Spec {
        shape,
        started: Instant::now(),
        epoch: chrono::Utc::now().timestamp(),
    });
    let mut urls = Vec::new();
    for h in 0..hosts {
        let ip = format!("127.0.0.{}", h + 1);
        let listener = tokio::net::TcpListener::bind((ip.as_str(), 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/feed/{n}", get(feed))
            .with_state(spec.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        for f in 0..per_host {
            urls.push(format!("http://{addr}/feed/{}", h * per_host + f));
        }
    }
    urls
}

/// A watchfloor config for these feeds: every item matches the one keyword rule.
pub fn config(urls: &[String], interval: &str) -> String {
    let mut c = format!(
        "[settings]\npoll_interval = \"{interval}\"\ntimeout = \"20s\"\n\n[[countries]]\ncode = \"ML\"\n[[countries]]\ncode = \"SD\"\n\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n"
    );
    for (i, u) in urls.iter().enumerate() {
        c.push_str(&format!("\n[[feeds]]\nid = \"bench-{i}\"\nurl = \"{u}\"\n"));
    }
    c
}

/// CPU time (user + system) a process has used, from /proc (Linux).
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
