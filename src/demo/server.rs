//! The demo feed server: plain HTTP on 127.0.0.1 (an ephemeral port), serving the timeline as
//! RSS, GeoJSON and JSON, with ETags so the monitor's conditional GETs get 304s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::data::{DemoFeed, Entry, TIMELINE};

struct Clock {
    started: Instant,
    started_at: DateTime<Utc>,
    speed: f64,
}

impl Clock {
    fn elapsed(&self) -> u32 {
        (self.started.elapsed().as_secs_f64() * self.speed) as u32
    }

    /// Real time at which demo time `at` happened.
    fn time_of(&self, at: u32) -> DateTime<Utc> {
        self.started_at
            + chrono::Duration::milliseconds((f64::from(at) * 1000.0 / self.speed) as i64)
    }
}

/// A running demo server.
#[derive(Debug)]
pub struct DemoServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: tokio::task::JoinHandle<()>,
}

impl DemoServer {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Starts the server on an ephemeral loopback port; the timeline plays `speed` times faster.
pub async fn start(speed: f64) -> std::io::Result<DemoServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let clock = Arc::new(Clock {
        started: Instant::now(),
        started_at: Utc::now(),
        speed,
    });
    let app = Router::new()
        .route("/wire.xml", get(|s, h| serve(s, h, DemoFeed::Wire)))
        .route(
            "/disasters.xml",
            get(|s, h| serve(s, h, DemoFeed::Disasters)),
        )
        .route("/quakes.geojson", get(|s, h| serve(s, h, DemoFeed::Quakes)))
        .route("/reports.json", get(|s, h| serve(s, h, DemoFeed::Reports)))
        .with_state(clock);
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(DemoServer { addr, handle })
}

/// The entries of a feed visible at demo time `now`, newest version of each id, newest first.
fn visible(feed: DemoFeed, now: u32) -> Vec<&'static Entry> {
    let mut out: Vec<&Entry> = Vec::new();
    for e in TIMELINE.iter().filter(|e| e.feed == feed && e.at <= now) {
        match out.iter_mut().find(|x| x.id == e.id) {
            Some(slot) => *slot = e,
            None => out.push(e),
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    out
}

async fn serve(State(clock): State<Arc<Clock>>, headers: HeaderMap, feed: DemoFeed) -> Response {
    let entries = visible(feed, clock.elapsed());
    let etag = format!(
        "\"{:?}-{}\"",
        feed,
        entries.iter().map(|e| e.at).sum::<u32>() + entries.len() as u32
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let (body, content_type) = match feed {
        DemoFeed::Wire => (rss_wire(&entries, &clock), "application/rss+xml"),
        DemoFeed::Disasters => (rss_disasters(&entries, &clock), "application/rss+xml"),
        DemoFeed::Quakes => (geojson(&entries, &clock), "application/geo+json"),
        DemoFeed::Reports => (reports(&entries, &clock), "application/json"),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

fn x(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn rss_wire(entries: &[&Entry], clock: &Clock) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Demo Wire</title><link>https://demo.invalid/</link><description>Fictional items for the watchfloor demo</description>\n",
    );
    for e in entries {
        s.push_str(&format!(
            "<item><title>{}</title><link>https://wire.invalid/news/{}</link><guid isPermaLink=\"false\">{}</guid><pubDate>{}</pubDate><description>&lt;p&gt;{}&lt;/p&gt;</description><source url=\"https://demo.invalid/\">Demo Wire</source></item>\n",
            x(e.title), e.id, e.id, clock.time_of(e.at).to_rfc2822(), x(&x(e.summary))
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn rss_disasters(entries: &[&Entry], clock: &Clock) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:gdacs=\"http://www.gdacs.org\"><channel><title>Demo disaster alerts</title><link>https://demo.invalid/</link><description>Fictional alerts in the shape of GDACS</description>\n",
    );
    for e in entries {
        s.push_str(&format!(
            "<item><title>{}</title><link>https://alerts.invalid/event/{}</link><guid isPermaLink=\"false\">{}</guid><pubDate>{}</pubDate><description>{}</description><gdacs:alertlevel>{}</gdacs:alertlevel><gdacs:country>{}</gdacs:country><gdacs:iso3></gdacs:iso3><gdacs:population unit=\"people\" value=\"120000\">120 thousand</gdacs:population></item>\n",
            x(e.title), e.id, e.id, clock.time_of(e.at).format("%a, %d %b %Y %H:%M:%S GMT"), x(e.summary), e.value, x(e.country)
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn geojson(entries: &[&Entry], clock: &Clock) -> String {
    let features: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "type": "Feature",
                "id": e.id,
                "properties": {
                    "mag": e.value.parse::<f64>().unwrap_or(0.0),
                    "place": e.title.split(" - ").nth(1).unwrap_or(""),
                    "time": clock.time_of(e.at).timestamp_millis(),
                    "url": format!("https://quakes.invalid/event/{}", e.id),
                    "title": e.title,
                    "alert": serde_json::Value::Null,
                    "tsunami": 0,
                },
                "geometry": {"type": "Point", "coordinates": [0.0, 0.0, 10.0]},
            })
        })
        .collect();
    serde_json::json!({
        "type": "FeatureCollection",
        "metadata": {"title": "Demo earthquakes", "count": features.len()},
        "features": features,
    })
    .to_string()
}

fn reports(entries: &[&Entry], clock: &Clock) -> String {
    let data: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let country = if e.country.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::json!({"iso3": e.country, "name": ""})
            };
            serde_json::json!({
                "id": e.id,
                "fields": {
                    "title": e.title,
                    "url": format!("https://reports.invalid/report/{}", e.id),
                    "body": e.summary,
                    "date": {"created": clock.time_of(e.at).to_rfc3339()},
                    "primary_country": country,
                    "fatalities": e.value,
                    "source": [{"shortname": "Demo Wire"}],
                }
            })
        })
        .collect();
    serde_json::json!({"totalCount": data.len(), "count": data.len(), "data": data}).to_string()
}
