//! What a collector tells a Prometheus server (`headless --metrics ADDR`): polls and alerts
//! counted as they are stored, feed health, country statuses and the outbox read from the
//! store at each scrape; and `/healthz`, which fails once the collector's heartbeat is older
//! than [`STUCK_AFTER`] (its loop no longer turns, or no longer stores what it does).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::config::Severity;
use crate::event::FeedReport;
use crate::store::{SqliteStore, Store};

/// A heartbeat older than this fails `/healthz` (the age at which screens call the collector
/// silent).
pub const STUCK_AFTER: chrono::Duration = crate::store::snapshot::SILENT_AFTER;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabel {
    feed: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PollLabels {
    feed: String,
    /// `ok`, `not_modified` or `failed`.
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabel {
    severity: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CountryLabels {
    country: String,
    status: &'static str,
}

/// The collector's metrics. Counters move as polls and alerts are committed; the rest is read
/// from the store when scraped.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    polls: Family<PollLabels, Counter>,
    alerts: Family<SeverityLabel, Counter>,
    feed_up: Family<FeedLabel, Gauge>,
    feed_last_success: Family<FeedLabel, Gauge<f64, AtomicU64>>,
    outbox_pending: Gauge,
    country_status: Family<CountryLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("watchfloor");
        let polls = Family::<PollLabels, Counter>::default();
        let alerts = Family::<SeverityLabel, Counter>::default();
        let feed_up = Family::<FeedLabel, Gauge>::default();
        let feed_last_success = Family::<FeedLabel, Gauge<f64, AtomicU64>>::default();
        let outbox_pending = Gauge::default();
        let country_status = Family::<CountryLabels, Gauge>::default();
        registry.register(
            "polls",
            "Polls stored, by feed and result (ok, not_modified, failed)",
            polls.clone(),
        );
        registry.register("alerts", "Alerts raised, by severity", alerts.clone());
        registry.register(
            "feed_up",
            "1 when the feed's last poll succeeded",
            feed_up.clone(),
        );
        registry.register(
            "feed_last_success_timestamp_seconds",
            "When the feed's last successful poll finished (Unix time)",
            feed_last_success.clone(),
        );
        registry.register(
            "outbox_pending",
            "Events the slowest consumer has not passed yet",
            outbox_pending.clone(),
        );
        registry.register(
            "country_status",
            "1 for each country's current status (quiet, watch, warning, critical)",
            country_status.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Self {
            registry,
            polls,
            alerts,
            feed_up,
            feed_last_success,
            outbox_pending,
            country_status,
        }
    }
}

impl Metrics {
    /// Counts a stored poll.
    pub fn poll(&self, report: &FeedReport) {
        let result = match (report.ok, report.not_modified) {
            (true, false) => "ok",
            (true, true) => "not_modified",
            (false, _) => "failed",
        };
        self.polls
            .get_or_create(&PollLabels {
                feed: report.feed.clone(),
                result,
            })
            .inc();
        let feed = FeedLabel {
            feed: report.feed.clone(),
        };
        self.feed_up.get_or_create(&feed).set(i64::from(report.ok));
        if report.ok {
            self.feed_last_success
                .get_or_create(&feed)
                .set(report.at.timestamp_millis() as f64 / 1000.0);
        }
    }

    /// Counts `n` stored alerts of one severity.
    pub fn alerts(&self, severity: Severity, n: u64) {
        if n > 0 {
            self.alerts
                .get_or_create(&SeverityLabel {
                    severity: severity.as_str(),
                })
                .inc_by(n);
        }
    }

    /// The text exposition, with what the store knows now.
    fn render(&self, store: &SqliteStore) -> String {
        if let Ok(pending) = store.outbox_pending() {
            self.outbox_pending.set(pending);
        }
        if let Ok(statuses) = store.statuses() {
            // The watchlist (as the collector published it) is quiet unless a status says
            // otherwise; countries off the list appear once they have a status.
            let mut all: std::collections::BTreeMap<String, crate::event::Status> = store
                .screen_config()
                .ok()
                .flatten()
                .map(|c| {
                    c.countries
                        .iter()
                        .map(|w| (w.code.to_string(), crate::event::Status::Quiet))
                        .collect()
                })
                .unwrap_or_default();
            for (country, status) in statuses {
                all.insert(country.to_string(), status);
            }
            self.country_status.clear();
            for (country, status) in all {
                self.country_status
                    .get_or_create(&CountryLabels {
                        country,
                        status: status.as_str(),
                    })
                    .set(1);
            }
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

struct Served {
    metrics: Arc<Metrics>,
    /// A read-only connection, opened at the first scrape.
    reader: crate::store::reader::LazyReader,
}

/// Serves `/metrics` and `/healthz` on `addr` until the task is dropped; returns the address
/// bound (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    data: PathBuf,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let state = Arc::new(Served {
        metrics,
        reader: crate::store::reader::LazyReader::new(data),
    });
    let app = Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(healthz))
        .with_state(state);
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bound, handle))
}

async fn scrape(State(s): State<Arc<Served>>) -> impl IntoResponse {
    let body = tokio::task::spawn_blocking(move || {
        let metrics = s.metrics.clone();
        s.reader.with(|store| metrics.render(store))
    })
    .await;
    match body {
        Ok(Ok(text)) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "scrape failed\n").into_response(),
    }
}

async fn healthz(State(s): State<Arc<Served>>) -> impl IntoResponse {
    let beat =
        tokio::task::spawn_blocking(move || s.reader.with(|store| store.last_heartbeat())).await;
    let now = Utc::now();
    match beat {
        Ok(Ok(Ok(Some(h)))) if now - h.at <= STUCK_AFTER => (
            StatusCode::OK,
            format!("ok: heartbeat {} s ago\n", (now - h.at).num_seconds()),
        ),
        Ok(Ok(Ok(Some(h)))) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "stuck: last heartbeat {} s ago (pid {} on {})\n",
                (now - h.at).num_seconds(),
                h.pid,
                crate::text::clean(&h.host, 100)
            ),
        ),
        Ok(Ok(Ok(None))) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: no heartbeat yet\n".to_string(),
        ),
        Ok(Ok(Err(e))) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "health check failed\n".to_string(),
        ),
    }
}
