//! Test support: a feed server on loopback serving the fixtures in `tests/fixtures`, plus
//! paths that fail in the ways real servers fail.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod faults;
pub mod pg;
pub mod screen;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Requests seen per path, and fixture overrides set by tests.
#[derive(Default)]
pub struct ServerState {
    pub hits: Mutex<HashMap<String, usize>>,
    pub overrides: Mutex<HashMap<String, String>>,
}

/// A running loopback server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<ServerState>,
    handle: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Serves `body` instead of the fixture file `name` from now on.
    pub fn set_fixture(&self, name: &str, body: &str) {
        self.state
            .overrides
            .lock()
            .unwrap()
            .insert(name.to_string(), body.to_string());
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn count(state: &ServerState, path: String) {
    *state.hits.lock().unwrap().entry(path).or_default() += 1;
}

async fn fixture(
    State(state): State<Arc<ServerState>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&state, format!("/f/{name}"));
    let body = match state.overrides.lock().unwrap().get(&name).cloned() {
        Some(b) => b,
        None => match std::fs::read_to_string(fixtures_dir().join(&name)) {
            Ok(b) => b,
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let etag = format!(
        "\"{:x}\"",
        body.len() * 31 + body.bytes().map(usize::from).sum::<usize>()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let ctype = if name.ends_with(".json") || name.ends_with(".geojson") {
        "application/json"
    } else {
        "application/xml"
    };
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp.headers_mut()
        .insert(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    resp
}

async fn status(State(state): State<Arc<ServerState>>, UrlPath(code): UrlPath<u16>) -> Response {
    count(&state, format!("/status/{code}"));
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (code, "<html><body>error page</body></html>").into_response();
    if code == StatusCode::TOO_MANY_REQUESTS || code == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
    }
    resp
}

async fn slow(State(state): State<Arc<ServerState>>) -> Response {
    count(&state, "/slow".into());
    tokio::time::sleep(Duration::from_secs(30)).await;
    "too late".into_response()
}

/// A feed that grows on every request: 100 items per response, 50 of them new, each one an
/// alert for the atrocity rule. Heavy, steady ingest for crash tests.
async fn growing(
    State(state): State<Arc<ServerState>>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let n = {
        let mut hits = state.hits.lock().unwrap();
        let n = hits.entry(format!("/gen/{name}")).or_default();
        *n += 1;
        *n
    };
    let start = n * 50;
    let items: String = (start..start + 100)
        .map(|k| {
            format!(
                "<item><title>Massacre reported in Mali village {k}</title><link>https://gen.test/{name}/{k}</link><guid>{name}-{k}</guid><description>{}</description></item>",
                "Witnesses described the attack. ".repeat(8)
            )
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>gen</title>{items}</channel></rss>"
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

async fn garbage(State(state): State<Arc<ServerState>>) -> Response {
    count(&state, "/garbage".into());
    (
        [(header::CONTENT_TYPE, "text/html")],
        "<<<this is not a feed>>> \u{1b}[31m",
    )
        .into_response()
}

/// Starts the server on an ephemeral loopback port.
pub async fn start() -> TestServer {
    start_on("127.0.0.1").await
}

/// Starts the server on an ephemeral port of a loopback address (127.0.0.0/8).
pub async fn start_on(ip: &str) -> TestServer {
    let state = Arc::new(ServerState::default());
    let app = Router::new()
        .route("/f/{name}", get(fixture))
        .route("/status/{code}", get(status))
        .route("/slow", get(slow))
        .route("/garbage", get(garbage))
        .route("/gen/{name}", get(growing))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    TestServer {
        addr,
        state,
        handle,
    }
}

/// A config exercising every fixture shape, pointed at `server`; `extra` is appended.
pub fn config_text(server: &TestServer, extra: &str) -> String {
    format!(
        r#"
[settings]
timeout = "2s"
connect_timeout = "1s"
poll_interval = "1h"
window = "72h"
# The fixtures carry fixed dates from 2025; they must still count as news here.
max_age = "3650d"

[[countries]]
code = "ML"
[[countries]]
code = "SD"
[[countries]]
code = "MM"

[[feeds]]
id = "wire"
url = "{wire}"
format = "rss"

[[feeds]]
id = "atom"
url = "{atom}"

[[feeds]]
id = "reports"
url = "{reports}"
format = "json"
[feeds.json]
items = "/data"
id = "/id"
title = "/fields/title"
url = "/fields/url"
published = "/fields/date/created"
summary = "/fields/body"
country = "/fields/primary_country/iso3"
[feeds.values]
fatalities = "/fields/fatalities"

[[feeds]]
id = "quakes"
url = "{quakes}"
format = "json"
[feeds.json]
items = "/features"
id = "/id"
title = "/properties/title"
url = "/properties/url"
published = "/properties/time"
[feeds.values]
magnitude = "/properties/mag"
pager = {{ at = "/properties/alert", map = {{ green = 1, yellow = 2, orange = 3, red = 4 }} }}

[[feeds]]
id = "disasters"
url = "{disasters}"
format = "rss"
[feeds.xml]
country = ["gdacs:iso3", "gdacs:country"]
[feeds.values]
alertlevel = {{ at = "gdacs:alertlevel", map = {{ green = 1, orange = 2, red = 3 }} }}
population = {{ at = "gdacs:population", attr = "value" }}

[[feeds]]
id = "gdelt"
url = "{gdelt}"
format = "json"
[feeds.json]
items = "/articles"
title = "/title"
url = "/url"
published = "/seendate"

[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre", "mass killing*", "ethnic cleansing", "genocide"]
not = ["video game"]
severity = "high"

[[rules]]
id = "deaths"
kind = "threshold"
field = "fatalities"
op = ">="
limit = 25
severity = "critical"

[[rules]]
id = "quake"
kind = "threshold"
field = "magnitude"
limit = 6.5
severity = "medium"

[[rules]]
id = "red"
kind = "threshold"
field = "alertlevel"
limit = 3
severity = "critical"
{extra}
"#,
        wire = server.url("/f/wire.rss"),
        atom = server.url("/f/wire.atom"),
        reports = server.url("/f/reports.json"),
        quakes = server.url("/f/quakes.geojson"),
        disasters = server.url("/f/disasters.rss"),
        gdelt = server.url("/f/gdelt.json"),
    )
}

/// Writes a config into `dir` and returns its path.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("watchfloor.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs the monitor in-process with `--once` semantics on a config text; returns its events.
pub async fn run_once(config_text: &str, data: &Path) -> Vec<watchfloor::event::Event> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), config_text);
    let config = watchfloor::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let sink = watchfloor::outputs::VecSink::default();
    let events = sink.0.clone();
    let options = watchfloor::monitor::Options {
        once: true,
        ..Default::default()
    };
    watchfloor::monitor::run(
        std::sync::Arc::new(config),
        data,
        Some(Box::new(sink)),
        std::sync::Arc::new(watchfloor::rules::clock::SystemClock),
        options,
        watchfloor::monitor::Hooks::default(),
        std::future::pending(),
    )
    .await
    .unwrap();
    events.lock().unwrap().clone()
}

/// Peak resident memory of this process so far, in KiB (Linux).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The alerts among some events.
pub fn alerts(events: &[watchfloor::event::Event]) -> Vec<&watchfloor::event::Alert> {
    events
        .iter()
        .filter_map(|e| match e {
            watchfloor::event::Event::Alert(a) => Some(a),
            _ => None,
        })
        .collect()
}

/// Starts `watchfloor headless` on a config and data directory, stdout piped, stderr dropped.
pub fn spawn_headless(config: &Path, data: &Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A config of `feeds` growing feeds (`/gen/{prefix}0`, `/gen/{prefix}1`, ...) polled every
/// `interval`, with a keyword rule every generated item hits; `extra` goes before the feeds.
pub fn generator_config(
    server: &TestServer,
    prefix: &str,
    feeds: usize,
    interval: &str,
    extra: &str,
) -> String {
    let mut cfg = format!(
        "[settings]\npoll_interval = \"{interval}\"\ntimeout = \"5s\"\n\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n{extra}\n"
    );
    for f in 0..feeds {
        cfg.push_str(&format!(
            "\n[[feeds]]\nid = \"gen-{f}\"\nurl = \"{}\"\n",
            server.url(&format!("/gen/{prefix}{f}"))
        ));
    }
    cfg
}

/// Runs `watchfloor headless --once` on a config and data directory to the end.
pub fn headless_once(config: &Path, data: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--once", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

/// Whether the long fault runs are asked for (`WATCHFLOOR_LONG=1`, which `.ci/run` sets):
/// more kills, longer contention and soak.
pub fn long() -> bool {
    std::env::var("WATCHFLOOR_LONG").is_ok_and(|v| v == "1")
}

/// A knob of a fault run: from the environment when set, else `long` under
/// `WATCHFLOOR_LONG=1`, else `short`.
pub fn run_knob<T: std::str::FromStr>(name: &str, short: T, long: T) -> T {
    knob(name, if self::long() { long } else { short })
}

/// A test knob from the environment (a longer run), else its default.
pub fn knob<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `cmd`, which must succeed (else the test fails showing the command and its standard
/// error); its standard output.
pub fn succeeds(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
