//! `headless --serve ADDR`: the desk's alerts as a live Atom feed (`/alerts.atom`, filtered by
//! query: `severity`, `country`, `rule`, `since`, `limit`) and each alert as a CAP 1.2 document
//! (`/alerts/<id>.xml`), from a read-only connection of its own. Every answer carries an ETag,
//! and a request that sends it back gets 304 Not Modified.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::Digest;

use crate::outputs::export::{AtomFeed, CapContext, Selection, atom_feed, cap_documents};
use crate::store::{PeriodReads, Store};

/// Entries a feed holds by default, and at most.
const LIMIT: usize = 100;
const LIMIT_MAX: usize = 1000;

struct Served {
    cap: CapContext,
    title: String,
    reader: crate::store::reader::LazyStore,
}

/// Serves the feed and the CAP documents on `addr` until the task is dropped; returns the
/// address bound (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    store: crate::store::StoreAddress,
    cap: CapContext,
    title: String,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let state = Arc::new(Served {
        cap,
        title,
        reader: crate::store::reader::LazyStore::new(store),
    });
    let app = Router::new()
        .route("/alerts.atom", get(feed))
        .route("/alerts/{file}", get(one))
        .with_state(state);
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bound, handle))
}

/// The body with its ETag, or 304 when the client has it already.
fn answer(headers: &HeaderMap, content_type: &'static str, body: String) -> Response {
    let digest = sha2::Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..12]));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response()
}

async fn feed(State(s): State<Arc<Served>>, uri: Uri, headers: HeaderMap) -> Response {
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let mut sel = Selection::default();
    if let Some(v) = q.get("severity") {
        match crate::config::Severity::parse(v) {
            Some(sev) => sel.min_severity = Some(sev),
            None => {
                return bad(format!(
                    "severity {v:?}: use info, low, medium, high or critical"
                ));
            }
        }
    }
    if let Some(v) = q.get("country") {
        for c in v.split(',').filter(|c| !c.trim().is_empty()) {
            match crate::geo::lookup(c.trim()) {
                Some(code) => sel.countries.push(code),
                None => return bad(format!("country {c:?} is not known")),
            }
        }
    }
    if let Some(v) = q.get("rule") {
        sel.rules = v.split(',').map(|r| r.trim().to_string()).collect();
    }
    let period = match q
        .get("since")
        .map(|v| crate::config::units::parse_duration(v))
    {
        None => std::time::Duration::from_secs(7 * 86_400),
        Some(Ok(d)) if d <= std::time::Duration::from_secs(366 * 86_400) => d,
        Some(_) => return bad("since: a duration up to 366d, such as 24h or 7d".into()),
    };
    let limit = match q.get("limit").map(|v| v.parse::<usize>()) {
        None => LIMIT,
        Some(Ok(n)) if (1..=LIMIT_MAX).contains(&n) => n,
        Some(_) => return bad(format!("limit: a number from 1 to {LIMIT_MAX}")),
    };
    let s2 = s.clone();
    let body = tokio::task::spawn_blocking(move || {
        s2.reader.with(|store| {
            let now = chrono::Utc::now();
            let since = crate::time::before(now, period);
            let mut alerts: Vec<_> = store
                .alerts_between(since, now)?
                .into_iter()
                .filter(|a| sel.takes(a))
                .collect();
            // Newest first, at most `limit`.
            alerts.reverse();
            alerts.truncate(limit);
            let feed = AtomFeed {
                id: format!("urn:watchfloor:{}", store.id()),
                title: s2.title.clone(),
                self_url: None,
                now,
            };
            Ok::<_, crate::store::StoreError>(atom_feed(&feed, &alerts))
        })
    })
    .await;
    match body {
        Ok(Ok(Ok(text))) => answer(&headers, "application/atom+xml; charset=utf-8", text),
        Ok(Ok(Err(e))) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response()
        }
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "failed\n").into_response(),
    }
}

async fn one(
    State(s): State<Arc<Served>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = file.strip_suffix(".xml").map(str::to_string) else {
        return (StatusCode::NOT_FOUND, "alerts are at /alerts/<id>.xml\n").into_response();
    };
    let s2 = s.clone();
    let doc = tokio::task::spawn_blocking(move || {
        s2.reader.with(|store| {
            let Some(alert) = store.alert_by_id(&id)? else {
                return Ok(None);
            };
            let revised = store.revised_at(&[id.as_str()])?.get(&id).copied();
            // The alert's latest state: the Update when it was revised, else the Alert.
            Ok::<_, crate::store::StoreError>(
                cap_documents(&alert, revised, &s2.cap)
                    .pop()
                    .map(|(_, x)| x),
            )
        })
    })
    .await;
    match doc {
        Ok(Ok(Ok(Some(xml)))) => answer(&headers, "application/cap+xml; charset=utf-8", xml),
        Ok(Ok(Ok(None))) => (StatusCode::NOT_FOUND, "no such alert\n").into_response(),
        Ok(Ok(Err(e))) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response()
        }
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "failed\n").into_response(),
    }
}
