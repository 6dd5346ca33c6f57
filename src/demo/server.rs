//! The demo feed server: plain HTTP on 127.0.0.1 (an ephemeral port), serving the timeline as
//! RSS, GeoJSON and JSON, with ETags so the monitor's conditional GETs get 304s.
//!
//! The timeline loops every [`LAP`] seconds of demo time with fresh items (each lap's items
//! get new ids and times), so a demo left running keeps a live floor: ages, sparklines and
//! spikes move, the disaster feed fails for a spell in every lap and recovers, and the bulletin
//! publishes only in the first lap, so its silence rule fires.

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

/// Demo seconds in one lap of the timeline.
pub const LAP: u64 = 600;
/// When in each lap (demo seconds) the disaster feed answers 503, then recovers.
pub const OUTAGE: std::ops::Range<u64> = 240..330;
/// Items a feed shows at most, newest first, as real feeds do.
const SHOWN: usize = 40;

impl Clock {
    fn elapsed(&self) -> u64 {
        (self.started.elapsed().as_secs_f64() * self.speed) as u64
    }

    /// Real time at which demo time `at` happened.
    fn time_of(&self, at: u64) -> DateTime<Utc> {
        self.started_at + chrono::Duration::milliseconds((at as f64 * 1000.0 / self.speed) as i64)
    }
}

/// One version of a timeline entry as one lap shows it.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// The entry.
    pub entry: &'static Entry,
    /// Which lap of the timeline.
    pub lap: u64,
}

impl Shown {
    /// Its id: the entry's in the first lap, then with the lap (a fresh item each lap).
    pub fn id(&self) -> String {
        if self.lap == 0 {
            self.entry.id.to_string()
        } else {
            format!("{}-r{}", self.entry.id, self.lap)
        }
    }

    /// Demo seconds at which it appeared.
    pub fn at(&self) -> u64 {
        self.lap * LAP + u64::from(self.entry.at)
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
        .route("/bulletin.xml", get(|s, h| serve(s, h, DemoFeed::Bulletin)))
        .with_state(clock);
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(DemoServer { addr, handle })
}

/// The entries of a feed visible at demo time `now`, newest version of each id in each lap,
/// newest first, at most [`SHOWN`]. The bulletin publishes in the first lap only.
pub fn visible(feed: DemoFeed, now: u64) -> Vec<Shown> {
    let last_lap = if feed == DemoFeed::Bulletin {
        0
    } else {
        now / LAP
    };
    let mut out: Vec<Shown> = Vec::new();
    for lap in (0..=last_lap).rev() {
        let mut this: Vec<&'static Entry> = Vec::new();
        for e in TIMELINE
            .iter()
            .filter(|e| e.feed == feed && lap * LAP + u64::from(e.at) <= now)
        {
            match this.iter_mut().find(|x| x.id == e.id) {
                Some(slot) => *slot = e,
                None => this.push(e),
            }
        }
        this.sort_by_key(|e| std::cmp::Reverse(e.at));
        out.extend(this.into_iter().map(|entry| Shown { entry, lap }));
        if out.len() >= SHOWN {
            break;
        }
    }
    out.truncate(SHOWN);
    out
}

async fn serve(State(clock): State<Arc<Clock>>, headers: HeaderMap, feed: DemoFeed) -> Response {
    let now = clock.elapsed();
    if feed == DemoFeed::Disasters && OUTAGE.contains(&(now % LAP)) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "demo outage: the disaster feed is down for a while in every lap",
        )
            .into_response();
    }
    let entries = visible(feed, now);
    let etag = format!(
        "\"{:?}-{}-{}\"",
        feed,
        entries.iter().map(Shown::at).sum::<u64>(),
        entries.len()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let (body, content_type) = match feed {
        DemoFeed::Wire | DemoFeed::Bulletin => (rss_wire(&entries, &clock), "application/rss+xml"),
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

fn rss_wire(entries: &[Shown], clock: &Clock) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Demo Wire</title><link>https://demo.invalid/</link><description>Fictional items for the watchfloor demo</description>\n",
    );
    for shown in entries {
        let (e, id) = (shown.entry, shown.id());
        s.push_str(&format!(
            "<item><title>{}</title><link>https://wire.invalid/news/{id}</link><guid isPermaLink=\"false\">{id}</guid><pubDate>{}</pubDate><description>&lt;p&gt;{}&lt;/p&gt;</description><source url=\"https://demo.invalid/\">Demo Wire</source></item>\n",
            x(e.title), clock.time_of(shown.at()).to_rfc2822(), x(&x(e.summary))
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn rss_disasters(entries: &[Shown], clock: &Clock) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:gdacs=\"http://www.gdacs.org\"><channel><title>Demo disaster alerts</title><link>https://demo.invalid/</link><description>Fictional alerts in the shape of GDACS</description>\n",
    );
    for shown in entries {
        let (e, id) = (shown.entry, shown.id());
        s.push_str(&format!(
            "<item><title>{}</title><link>https://alerts.invalid/event/{id}</link><guid isPermaLink=\"false\">{id}</guid><pubDate>{}</pubDate><description>{}</description><gdacs:alertlevel>{}</gdacs:alertlevel><gdacs:country>{}</gdacs:country><gdacs:iso3></gdacs:iso3><gdacs:population unit=\"people\" value=\"120000\">120 thousand</gdacs:population></item>\n",
            x(e.title), clock.time_of(shown.at()).format("%a, %d %b %Y %H:%M:%S GMT"), x(e.summary), e.value, x(e.country)
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn geojson(entries: &[Shown], clock: &Clock) -> String {
    let features: Vec<serde_json::Value> = entries
        .iter()
        .map(|shown| {
            let e = shown.entry;
            serde_json::json!({
                "type": "Feature",
                "id": shown.id(),
                "properties": {
                    "mag": e.value.parse::<f64>().unwrap_or(0.0),
                    "place": e.title.split(" - ").nth(1).unwrap_or(""),
                    "time": clock.time_of(shown.at()).timestamp_millis(),
                    "url": format!("https://quakes.invalid/event/{}", shown.id()),
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

fn reports(entries: &[Shown], clock: &Clock) -> String {
    let data: Vec<serde_json::Value> = entries
        .iter()
        .map(|shown| {
            let e = shown.entry;
            let country = if e.country.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::json!({"iso3": e.country, "name": ""})
            };
            serde_json::json!({
                "id": shown.id(),
                "fields": {
                    "title": e.title,
                    "url": format!("https://reports.invalid/report/{}", shown.id()),
                    "body": e.summary,
                    "date": {"created": clock.time_of(shown.at()).to_rfc3339()},
                    "primary_country": country,
                    "fatalities": e.value,
                    "source": [{"shortname": "Demo Wire"}],
                }
            })
        })
        .collect();
    serde_json::json!({"totalCount": data.len(), "count": data.len(), "data": data}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_loops_with_fresh_ids_and_the_bulletin_stays_silent() {
        let first = visible(DemoFeed::Wire, 5);
        assert!(first.iter().all(|s| s.lap == 0));
        let later = visible(DemoFeed::Wire, LAP * 2 + 5);
        assert_eq!(later[0].lap, 2, "newest first: this lap's items");
        assert!(later[0].id().ends_with("-r2"), "{}", later[0].id());
        let mut ids: Vec<String> = later.iter().map(Shown::id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "every lap's items are new items");
        assert!(n <= SHOWN);
        assert_eq!(
            visible(DemoFeed::Bulletin, LAP * 3).len(),
            visible(DemoFeed::Bulletin, LAP - 1).len(),
            "the bulletin publishes in the first lap only"
        );
    }
}
