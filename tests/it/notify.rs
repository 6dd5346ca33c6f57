//! `[[notify]]` end to end: a collector run as users run it (`headless`, the real binary, the
//! fixture feeds on loopback) delivers to a loopback receiver of each kind in that service's
//! shape; a receiver that goes away and comes back gets every message, none repeated; a
//! receiver that hangs holds up neither polling nor standard output; acknowledged alerts are
//! not sent; a target test says what happened.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::support;

/// One request a receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

#[derive(Default)]
struct Rx {
    seen: Mutex<Vec<Seen>>,
    /// Answer this many requests with 503 and Retry-After: 1 before accepting.
    fail: AtomicUsize,
    /// Never answer.
    hang: AtomicBool,
}

async fn receive(
    State(rx): State<Arc<Rx>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if rx.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    if rx
        .fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "busy",
        )
            .into_response();
    }
    rx.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        body,
    });
    (StatusCode::OK, "{}").into_response()
}

/// A receiver on loopback that can be stopped and started again on the same port.
struct Receiver {
    addr: SocketAddr,
    rx: Arc<Rx>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut r = Self {
            addr,
            rx: Arc::new(Rx::default()),
            task: None,
        };
        r.serve(listener);
        r
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new().fallback(receive).with_state(self.rx.clone());
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    async fn restart(&mut self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        self.serve(listener);
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.rx.seen.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_once(cfg: &Path, data: &Path) -> (Vec<Value>, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--once", "--config"])
        .arg(cfg)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    let events = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (
        events,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

fn alert_ids(events: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "alert")
        .map(|e| e["id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

/// The alert ids in the webhook bodies a receiver saw (single events and digests).
fn delivered_ids(seen: &[Seen]) -> Vec<String> {
    let mut ids = Vec::new();
    for s in seen {
        let v: Value = serde_json::from_str(&s.body).unwrap();
        let events = match v["type"].as_str() {
            Some("digest") => v["events"].as_array().cloned().unwrap_or_default(),
            _ => vec![v],
        };
        for e in events {
            if e["type"] == "alert" {
                ids.push(e["id"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_delivers_in_its_service_shape() {
    let feeds = support::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("command.jsonl");
    let extra = format!(
        r#"
[[notify]]
id = "hook"
kind = "webhook"
url = "{hook}"
secret = "${{HOOK_SECRET}}"
per_minute = 600

[[notify]]
id = "slack"
kind = "slack"
url = "{slack}"
min_severity = "high"
events = ["alert"]
per_minute = 600

[[notify]]
id = "discord"
kind = "discord"
url = "{discord}"
min_severity = "critical"
events = ["alert"]

[[notify]]
id = "teams"
kind = "teams"
url = "{teams}"
min_severity = "critical"
events = ["alert"]

[[notify]]
id = "matrix"
kind = "matrix"
url = "{matrix}"
room = "!desk:example.org"
token = "${{MATRIX_TOKEN}}"
min_severity = "critical"
events = ["alert"]

[[notify]]
id = "ntfy"
kind = "ntfy"
url = "{ntfy}"
min_severity = "critical"
events = ["alert"]

[[notify]]
id = "pager"
kind = "command"
command = ["sh", "-c", "cat >> '{out}'"]
countries = ["SD"]
events = ["alert"]
per_minute = 600
"#,
        hook = receiver.url("/hook"),
        slack = receiver.url("/slack/T000/B000/XXXX"),
        discord = receiver.url("/discord/api/webhooks/1/abc"),
        teams = receiver.url("/teams/workflows/1"),
        matrix = receiver.url("/matrix"),
        ntfy = receiver.url("/ntfy/desk-alerts"),
        out = out_file.display(),
    );
    let cfg = support::write_config(dir.path(), &support::config_text(&feeds, &extra));
    let data = dir.path().join("data");
    let out = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        let data = data.clone();
        move || {
            Command::new(env!("CARGO_BIN_EXE_watchfloor"))
                .args(["headless", "--once", "--config"])
                .arg(&cfg)
                .arg("--data")
                .arg(&data)
                .env("HOOK_SECRET", "hook-secret-123")
                .env("MATRIX_TOKEN", "syt_matrix_token")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let alerts: Vec<&Value> = events.iter().filter(|e| e["type"] == "alert").collect();
    assert!(alerts.len() >= 3, "{} alerts", alerts.len());
    let seen = receiver.seen();
    let at = |prefix: &str| -> Vec<&Seen> {
        seen.iter().filter(|s| s.path.starts_with(prefix)).collect()
    };

    // Webhook: every alert, status and resolved event, each a signed JSON line.
    let hooks = at("/hook");
    let wanted = events
        .iter()
        .filter(|e| matches!(e["type"].as_str(), Some("alert" | "status" | "resolved")))
        .count();
    assert_eq!(hooks.len(), wanted, "one POST per event");
    for h in &hooks {
        assert_eq!(h.method, "POST");
        assert_eq!(
            h.headers["x-watchfloor-signature"],
            watchfloor::outputs::notify::signature("hook-secret-123", h.body.as_bytes())
        );
        let v: Value = serde_json::from_str(&h.body).unwrap();
        assert_eq!(v["v"], 2);
    }
    assert_eq!(
        delivered_ids(
            &seen
                .iter()
                .filter(|s| s.path.starts_with("/hook"))
                .cloned()
                .collect::<Vec<_>>()
        ),
        alert_ids(&events)
    );

    // Slack: high and critical alerts only, as mrkdwn text.
    let high = alerts
        .iter()
        .filter(|a| matches!(a["severity"].as_str(), Some("high" | "critical")))
        .count();
    let slack = at("/slack");
    assert_eq!(slack.len(), high);
    for s in &slack {
        let v: Value = serde_json::from_str(&s.body).unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(text.starts_with('*'), "{text}");
        assert!(
            !text.contains('<') || text.contains("|Open the source>"),
            "{text}"
        );
    }

    let critical: Vec<&&Value> = alerts
        .iter()
        .filter(|a| a["severity"] == "critical")
        .collect();
    assert!(!critical.is_empty());
    // Discord: an embed, and no mention can ping.
    let discord = at("/discord");
    assert_eq!(discord.len(), critical.len());
    for d in &discord {
        let v: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(v["allowed_mentions"]["parse"], serde_json::json!([]));
        assert!(
            v["embeds"][0]["title"]
                .as_str()
                .unwrap()
                .contains("CRITICAL")
        );
    }
    // Teams: an Adaptive Card in a message.
    for t in at("/teams") {
        let v: Value = serde_json::from_str(&t.body).unwrap();
        assert_eq!(v["type"], "message");
        assert_eq!(
            v["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(v["attachments"][0]["content"]["type"], "AdaptiveCard");
    }
    assert_eq!(at("/teams").len(), critical.len());
    // Matrix: PUT to the room with a transaction id, the token as a bearer token.
    let matrix = at("/matrix");
    assert_eq!(matrix.len(), critical.len());
    for m in &matrix {
        assert_eq!(m.method, "PUT");
        assert!(
            m.path
                .starts_with("/matrix/_matrix/client/v3/rooms/%21desk%3Aexample.org/send/m.room.message/watchfloor-"),
            "{}",
            m.path
        );
        assert_eq!(m.headers["authorization"], "Bearer syt_matrix_token");
        let v: Value = serde_json::from_str(&m.body).unwrap();
        assert_eq!(v["msgtype"], "m.text");
        assert_eq!(v["format"], "org.matrix.custom.html");
    }
    // ntfy: JSON at the server's root naming the topic, priority 5 for critical.
    let ntfy = at("/ntfy/");
    assert_eq!(ntfy.len(), critical.len());
    for n in &ntfy {
        assert_eq!(n.path, "/ntfy/");
        let v: Value = serde_json::from_str(&n.body).unwrap();
        assert_eq!(v["topic"], "desk-alerts");
        assert_eq!(v["priority"], 5);
    }
    // Command: the Sudan alerts as JSON lines on its stdin.
    let sudan: Vec<String> = {
        let mut ids: Vec<String> = alerts
            .iter()
            .filter(|a| a["country"] == "SD")
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert!(!sudan.is_empty());
    let written = std::fs::read_to_string(&out_file).unwrap();
    let mut got: Vec<String> = written
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    got.sort();
    assert_eq!(got, sudan);

    // No secret reached the output or the logs.
    let stdout = String::from_utf8_lossy(&out.stdout);
    for secret in ["hook-secret-123", "syt_matrix_token"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }

    // A second run finds nothing new, and sends nothing again.
    let before = receiver.seen().len();
    let cfg2 = cfg.clone();
    let data2 = data.clone();
    let again = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(["headless", "--once", "--config"])
            .arg(&cfg2)
            .arg("--data")
            .arg(&data2)
            .env("HOOK_SECRET", "hook-secret-123")
            .env("MATRIX_TOKEN", "syt_matrix_token")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(again.status.success());
    assert_eq!(receiver.seen().len(), before, "nothing is sent twice");
}

fn webhook_config(feeds: &support::TestServer, url: &str, extra: &str) -> String {
    support::config_text(
        feeds,
        &format!(
            "[[notify]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{url}\"\nevents = [\"alert\"]\nper_minute = 600\ntimeout = \"2s\"\n{extra}\n"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_then_returns_gets_every_alert_once() {
    let feeds = support::start().await;
    let mut receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &webhook_config(&feeds, &receiver.url("/hook"), ""),
    );
    let data = dir.path().join("data");
    // The receiver is down for the first run: the alerts wait in the outbox.
    receiver.stop();
    let (first, stderr, ok) = {
        let (c, d) = (cfg.clone(), data.clone());
        tokio::task::spawn_blocking(move || run_once(&c, &d))
            .await
            .unwrap()
    };
    assert!(ok, "{stderr}");
    let alerts = alert_ids(&first);
    assert!(alerts.len() >= 3);
    assert!(
        stderr.contains("notify hook:") && stderr.contains("not delivered"),
        "{stderr}"
    );
    let notify: Vec<&Value> = first.iter().filter(|e| e["type"] == "notify").collect();
    assert!(
        notify
            .iter()
            .any(|n| n["ok"] == false && n["target"] == "hook"),
        "a failing target reports itself: {notify:?}"
    );
    // A screen shows the failing target on its Feeds view.
    {
        use watchfloor::store::Store;
        let store = watchfloor::store::SqliteStore::open_read_only(&data).unwrap();
        let screen = store.screen_config().unwrap().unwrap();
        let snap = store.snapshot(&screen, chrono::Utc::now()).unwrap();
        assert_eq!(snap.notify.len(), 1);
        assert!(!snap.notify[0].ok);
        assert!(
            snap.notify[0]
                .error
                .as_deref()
                .unwrap_or("")
                .contains("could not connect"),
            "{:?}",
            snap.notify
        );
    }
    // Back, but busy at first (503 with Retry-After): the next run delivers everything.
    receiver.restart().await;
    receiver.rx.fail.store(2, Ordering::SeqCst);
    let (second, stderr, ok) = {
        let (c, d) = (cfg.clone(), data.clone());
        tokio::task::spawn_blocking(move || run_once(&c, &d))
            .await
            .unwrap()
    };
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("not delivered"), "{stderr}");
    assert_eq!(delivered_ids(&receiver.seen()), alerts, "every alert, once");
    assert!(
        second
            .iter()
            .any(|n| n["type"] == "notify" && n["ok"] == true),
        "recovery is reported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_holds_up_neither_polling_nor_stdout() {
    let feeds = support::start().await;
    let receiver = Receiver::start().await;
    receiver.rx.hang.store(true, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &webhook_config(&feeds, &receiver.url("/hook"), ""),
    );
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Every feed reports on stdout while the receiver has not answered once.
    let reports = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut feeds = std::collections::HashSet::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["type"] == "feed" {
                feeds.insert(v["feed"].as_str().unwrap().to_string());
                if feeds.len() == 6 {
                    break;
                }
            }
        }
        feeds.len()
    });
    let got = tokio::time::timeout(Duration::from_secs(60), reports)
        .await
        .expect("feed reports arrive while the receiver hangs")
        .unwrap();
    assert_eq!(got, 6);
    assert!(receiver.seen().is_empty());
    // And it still stops promptly on SIGTERM, its events kept for the next start.
    let started = Instant::now();
    #[cfg(unix)]
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success() || status.code().is_some());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_alerts_are_not_sent_from_a_digest() {
    let feeds = support::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &webhook_config(&feeds, &receiver.url("/hook"), "digest = \"6s\""),
    );
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read the first alert, and acknowledge it as an analyst would, through the store.
    let first = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        loop {
            let line = lines.next().unwrap().unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["type"] == "alert" {
                // Keep reading in the background so stdout never blocks.
                std::thread::spawn(move || for _ in lines {});
                return v["id"].as_str().unwrap().to_string();
            }
        }
    })
    .await
    .unwrap();
    {
        use watchfloor::store::Store;
        let mut store = watchfloor::store::SqliteStore::open(&data).unwrap();
        store
            .record_triage(&watchfloor::event::Triage {
                at: chrono::Utc::now(),
                who: "analyst".into(),
                target: watchfloor::event::TriageTarget::Alert,
                key: first.clone(),
                action: watchfloor::event::TriageAction::Ack,
                until: None,
                note: None,
            })
            .unwrap();
    }
    // The digest goes out once its window has passed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.seen().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1, "one digest message");
    let ids = delivered_ids(&seen);
    assert!(!ids.is_empty());
    assert!(!ids.contains(&first), "the acknowledged alert is left out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_test_says_what_happened() {
    let feeds = support::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let extra = format!(
        "[[notify]]\nid = \"down\"\nkind = \"slack\"\nurl = \"http://{closed}/services/T/B/secretpart\"\n"
    );
    let cfg = support::write_config(
        dir.path(),
        &webhook_config(&feeds, &receiver.url("/hook"), &extra),
    );
    let run = |id: &'static str| {
        let cfg = cfg.clone();
        let data = dir.path().join("data");
        move || {
            Command::new(env!("CARGO_BIN_EXE_watchfloor"))
                .args(["notify", "test", id, "--config"])
                .arg(&cfg)
                .arg("--data")
                .arg(&data)
                .output()
                .unwrap()
        }
    };
    let ok = tokio::task::spawn_blocking(run("hook")).await.unwrap();
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{text}");
    assert!(text.starts_with("hook (webhook): delivered in "), "{text}");
    let body: Value = serde_json::from_str(&receiver.seen()[0].body).unwrap();
    assert_eq!(body["type"], "test");

    let down = tokio::task::spawn_blocking(run("down")).await.unwrap();
    let text = String::from_utf8_lossy(&down.stdout);
    assert_eq!(down.status.code(), Some(1), "{text}");
    assert!(
        text.contains("down (slack): not delivered: could not connect"),
        "{text}"
    );
    assert!(!text.contains("secretpart"), "{text}");

    let unknown = tokio::task::spawn_blocking(run("nope")).await.unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("configured: hook, down"));
}

#[test]
fn check_names_what_a_target_lacks() {
    let text = r##"
[[feeds]]
id = "f"
url = "https://example.org/feed"

[[rules]]
id = "r"
kind = "keywords"
any = ["massacre"]
severity = "high"

[[notify]]
id = "m"
kind = "matrix"
url = "https://matrix.example.org"
room = "#desk:example.org"

[[notify]]
id = "s"
kind = "slack"
url = "https://hooks.slack.com/services/x"
secret = "x"
rules = ["nope"]
countries = ["Atlantis"]
min_severity = "urgent"

[[notify]]
id = "c"
kind = "command"
command = []

[[notify]]
id = "p"
kind = "pager"
"##;
    let err = watchfloor::config::load_str(Path::new("w.toml"), text, &|_| None)
        .unwrap_err()
        .to_string();
    for want in [
        "notify[0].token: a matrix target needs token",
        "notify[1].secret: secret does not apply to a slack target",
        "notify[1].rules: no rule \"nope\"",
        "notify[1].countries: unknown country \"Atlantis\"",
        "notify[1].min_severity: unknown severity \"urgent\"",
        "notify[2].command: name the program to run first",
        "notify[3].kind: unknown kind \"pager\"",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_of_collector_and_receiver_lose_no_message() {
    let kills: usize = support::run_knob("WATCHFLOOR_NOTIFY_KILLS", 2, 6);
    let feeds = support::start().await;
    let mut receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[[notify]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nevents = [\"alert\"]\ntimeout = \"2s\"\n",
        receiver.url("/hook")
    );
    let cfg = support::write_config(
        dir.path(),
        &support::generator_config(&feeds, "notify-kill", 1, "2s", &extra),
    );
    let data = dir.path().join("data");
    let printed = Arc::new(Mutex::new(Vec::<String>::new()));
    let collect = |child: &mut std::process::Child| {
        let stdout = child.stdout.take().unwrap();
        let printed = printed.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && v["type"] == "alert"
                {
                    printed
                        .lock()
                        .unwrap()
                        .push(v["id"].as_str().unwrap_or_default().to_string());
                }
            }
        })
    };
    for k in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(["headless", "--config"])
            .arg(&cfg)
            .arg("--data")
            .arg(&data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let reader = collect(&mut child);
        let wait = Duration::from_millis(3000 + rand::random::<u64>() % 3000);
        if k % 2 == 0 {
            // The receiver goes away for a while in the middle of the run.
            tokio::time::sleep(wait / 2).await;
            receiver.stop();
            tokio::time::sleep(Duration::from_millis(1200)).await;
            receiver.restart().await;
            tokio::time::sleep(wait / 2).await;
        } else {
            tokio::time::sleep(wait).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = reader.join();
    }
    // A last round delivers whatever the kills left in the outbox.
    let (c, d) = (cfg.clone(), data.clone());
    let last = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(["headless", "--once", "--config"])
            .arg(&c)
            .arg("--data")
            .arg(&d)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
    for line in String::from_utf8_lossy(&last.stdout).lines() {
        if let Ok(v) = serde_json::from_str::<Value>(line)
            && v["type"] == "alert"
        {
            printed
                .lock()
                .unwrap()
                .push(v["id"].as_str().unwrap().to_string());
        }
    }
    let mut want: Vec<String> = printed.lock().unwrap().clone();
    want.sort();
    want.dedup();
    let seen = receiver.seen();
    let mut got = delivered_ids(&seen);
    got.dedup();
    assert!(want.len() >= 50 * kills, "{} alerts", want.len());
    assert_eq!(got, want, "every alert delivered");
    // A message repeats what an earlier one carried only if it was in flight when the
    // collector was killed or the receiver went away.
    let mut delivered = std::collections::HashSet::new();
    let mut repeated = 0;
    for s in &seen {
        let ids = delivered_ids(std::slice::from_ref(s));
        if ids.iter().any(|id| delivered.contains(id)) {
            repeated += 1;
        }
        delivered.extend(ids);
    }
    let outages = kills + kills.div_ceil(2);
    println!(
        "notify kills: {kills} collector kills, {} receiver outages, {} alerts in {} messages, {repeated} repeated",
        kills.div_ceil(2),
        want.len(),
        seen.len()
    );
    assert!(
        repeated <= outages,
        "{repeated} messages repeated after {outages} kills and outages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brief_is_written_and_sent_through_a_target() {
    let feeds = support::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    // A target that wants no events, so only the brief reaches it.
    let cfg = support::write_config(
        dir.path(),
        &webhook_config(&feeds, &receiver.url("/hook"), "countries = [\"AQ\"]"),
    );
    let data = dir.path().join("data");
    let (c, d) = (cfg.clone(), data.clone());
    let (events, stderr, ok) = tokio::task::spawn_blocking(move || run_once(&c, &d))
        .await
        .unwrap();
    assert!(ok, "{stderr}");
    let html = dir.path().join("brief.html");
    let (c, d, h) = (cfg.clone(), data.clone(), html.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(["brief", "--since", "24h", "--format", "html", "--out"])
            .arg(&h)
            .arg("--notify")
            .arg("hook")
            .arg("--config")
            .arg(&c)
            .arg("--data")
            .arg(&d)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("brief sent through hook (webhook)"),
        "{stderr}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    let alerts = events.iter().filter(|e| e["type"] == "alert").count();
    assert!(alerts > 0);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1, "only the brief");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["type"], "brief");
    assert!(
        body["title"]
            .as_str()
            .unwrap()
            .starts_with("Watch floor brief")
    );
    assert!(body["text"].as_str().unwrap().contains("## "));
    let total: u64 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| body["brief"]["alerts"][s].as_u64().unwrap())
        .sum();
    assert_eq!(
        total as usize, alerts,
        "the brief counts every alert of the run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn critical_alerts_are_sent_again_until_acknowledged() {
    let feeds = support::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &webhook_config(
            &feeds,
            &receiver.url("/hook"),
            "min_severity = \"critical\"\nrenotify = \"10s\"",
        ),
    );
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |n: usize, secs: u64| {
        let rx = receiver.rx.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(secs);
            while rx.seen.lock().unwrap().len() < n && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            rx.seen.lock().unwrap().clone()
        }
    };
    // Every critical alert of the first poll arrives once.
    let mut first = wait_for(2, 30).await;
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = receiver.seen();
        if now.len() == first.len() {
            break;
        }
        first = now;
    }
    assert!(first.len() >= 2, "the critical alerts arrive");
    let originals = first.len();
    // Acknowledge all but one; only that one is sent again, with its age.
    let ids: Vec<String> = delivered_ids(&first);
    let keep = ids[0].clone();
    {
        use watchfloor::store::Store;
        let mut store = watchfloor::store::SqliteStore::open(&data).unwrap();
        for id in ids.iter().skip(1) {
            store
                .record_triage(&watchfloor::event::Triage {
                    at: chrono::Utc::now(),
                    who: "analyst".into(),
                    target: watchfloor::event::TriageTarget::Alert,
                    key: id.clone(),
                    action: watchfloor::event::TriageAction::Ack,
                    until: None,
                    note: None,
                })
                .unwrap();
        }
    }
    let seen = wait_for(originals + 1, 30).await;
    let _ = child.kill();
    let _ = child.wait();
    // A restart goes on reminding: the reminders are kept in the database.
    let mut again = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let after_restart = wait_for(seen.len() + 1, 30).await;
    let _ = again.kill();
    let _ = again.wait();
    assert!(
        after_restart.len() > seen.len(),
        "a reminder after the restart"
    );
    let seen = after_restart;
    let reminders: Vec<&Seen> = seen[originals..].iter().collect();
    assert!(
        !reminders.is_empty(),
        "a reminder within the renotify interval"
    );
    for r in &reminders {
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["type"], "reminder", "{v}");
        assert!(
            v["title"]
                .as_str()
                .unwrap()
                .starts_with("Still unacknowledged after ")
        );
        assert_eq!(
            v["events"][0]["id"],
            keep.as_str(),
            "only the unacknowledged alert: {v}"
        );
    }
}
