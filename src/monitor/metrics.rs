//! What a collector tells a Prometheus server (`headless --metrics ADDR`): polls and alerts
//! counted as they are stored, feed health, country statuses and the outbox read from the
//! store at each scrape; and `/healthz`, which fails once the collector's heartbeat is older
//! than [`STUCK_AFTER`] (its loop no longer turns, or no longer stores what it does).
//!
//! On a desk (a shared PostgreSQL store) the counters are this collector's: the polls it made,
//! the alerts it stored while it led. Statuses and the outbox are the desk's, and `/healthz`
//! judges this collector's own heartbeat, not the newest of the desk's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::config::Severity;
use crate::event::{FeedReport, Status};
use crate::geo::CountryCode;
use crate::store::{Heartbeat, Store, StoreAddress, StoreError};

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
    /// On a desk, this collector's last heartbeat that reached the store.
    beat: std::sync::Mutex<Option<Heartbeat>>,
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
            beat: std::sync::Mutex::default(),
        }
    }
}

impl Metrics {
    /// Counts a stored poll.
    pub fn poll(&self, report: &FeedReport) {
        self.polled(&report.feed, report.ok, report.not_modified, report.at);
    }

    /// Counts a poll of `feed` that ended at `at` (succeeded, or answered 304 Not Modified).
    pub fn polled(&self, feed: &str, ok: bool, not_modified: bool, at: DateTime<Utc>) {
        let result = match (ok, not_modified) {
            (true, false) => "ok",
            (true, true) => "not_modified",
            (false, _) => "failed",
        };
        self.polls
            .get_or_create(&PollLabels {
                feed: feed.to_string(),
                result,
            })
            .inc();
        let feed = FeedLabel {
            feed: feed.to_string(),
        };
        self.feed_up.get_or_create(&feed).set(i64::from(ok));
        if ok {
            self.feed_last_success
                .get_or_create(&feed)
                .set(at.timestamp_millis() as f64 / 1000.0);
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

    /// Records a heartbeat of this collector that reached the store (a desk's `/healthz`
    /// judges it).
    pub fn beat(&self, sign: &Heartbeat) {
        *self
            .beat
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(sign.clone());
    }

    fn own_beat(&self) -> Option<Heartbeat> {
        self.beat
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The text exposition, with what the store knows now: the slowest consumer's backlog,
    /// the countries' statuses and the watchlist the collector published.
    fn render(
        &self,
        pending: Result<i64, StoreError>,
        statuses: Result<Vec<(CountryCode, Status)>, StoreError>,
        screen: Option<crate::config::ScreenConfig>,
    ) -> String {
        if let Ok(pending) = pending {
            self.outbox_pending.set(pending);
        }
        if let Ok(statuses) = statuses {
            // The watchlist (as the collector published it) is quiet unless a status says
            // otherwise; countries off the list appear once they have a status.
            let mut all: std::collections::BTreeMap<String, Status> = screen
                .map(|c| {
                    c.countries
                        .iter()
                        .map(|w| (w.code.to_string(), Status::Quiet))
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
    store: crate::store::reader::LazyStore,
    /// On a desk `/healthz` judges this collector's own heartbeat ([`Metrics::beat`]).
    desk: bool,
}

/// Serves `/metrics` and `/healthz` on `addr` until the task is dropped; returns the address
/// bound (port 0 picks one). A data directory's database is read only; on a shared store the
/// counters are this collector's and the rest is the desk's.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    store: StoreAddress,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let state = Arc::new(Served {
        metrics,
        desk: matches!(store, StoreAddress::Postgres(_)),
        store: crate::store::reader::LazyStore::new(store),
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
        s.store.with(|store| {
            s.metrics.render(
                store.outbox_pending(),
                store.statuses(),
                crate::store::screen::screen_config(store).ok().flatten(),
            )
        })
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
    let beat = if s.desk {
        Ok(s.metrics.own_beat())
    } else {
        tokio::task::spawn_blocking(move || {
            s.store
                .with(|store| store.last_heartbeat().map_err(|e| e.to_string()))
                .and_then(|beat| beat)
                .map_err(|e| format!("store: {e}"))
        })
        .await
        .unwrap_or_else(|_| Err("health check failed".to_string()))
    };
    let now = Utc::now();
    match beat {
        Ok(Some(h)) if now - h.at <= STUCK_AFTER => (
            StatusCode::OK,
            format!("ok: heartbeat {} s ago\n", (now - h.at).num_seconds()),
        ),
        Ok(Some(h)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "stuck: last heartbeat {} s ago (pid {} on {})\n",
                (now - h.at).num_seconds(),
                h.pid,
                crate::text::clean(&h.host, 100)
            ),
        ),
        Ok(None) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: no heartbeat yet\n".to_string(),
        ),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
}
