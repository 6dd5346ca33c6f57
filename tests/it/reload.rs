//! SIGHUP reloads the collector's config without a restart: an added feed and rule take effect,
//! an unchanged feed is not polled again, a window keeps what it counted (a count rule fires
//! on one hit from before the reload and one after), no alert is raised twice; a config with errors is
//! refused with file:line:column and the running one kept.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;

fn rss(id: &str, title: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{title}</title><guid>{id}</guid><pubDate>{}</pubDate></item></channel></rss>"#,
        chrono::Utc::now().to_rfc2822()
    )
}

fn config(server: &support::TestServer, with_second: bool) -> String {
    let mut text = format!(
        r#"[settings]
poll_interval = "1h"
timeout = "5s"

[[countries]]
code = "ML"

[[feeds]]
id = "first"
url = "{}"
format = "rss"

[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre"]
severity = "high"

[[rules]]
id = "two-massacres"
kind = "count"
of = "atrocity"
limit = 2
window = "24h"
severity = "critical"
"#,
        server.url("/f/reload-first.rss")
    );
    if with_second {
        text.push_str(&format!(
            "\n[[feeds]]\nid = \"second\"\nurl = \"{}\"\nformat = \"rss\"\n",
            server.url("/f/reload-second.rss")
        ));
    }
    text
}

fn wait_for<T>(rx: &mpsc::Receiver<T>, what: &str, mut pred: impl FnMut(&T) -> bool) -> T {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(v) = rx.recv_timeout(Duration::from_millis(100))
            && pred(&v)
        {
            return v;
        }
    }
    panic!("never saw {what}");
}

fn hangup(child: &std::process::Child) {
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
}

#[test]
fn sighup_reloads_without_repeats_or_lost_windows_and_refuses_errors() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    server.set_fixture("reload-first.rss", &rss("a1", "Massacre in Gao, Mali"));
    server.set_fixture("reload-second.rss", &rss("b1", "Massacre near Mopti, Mali"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(dir.path(), &config(&server, false));
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (events_tx, events) = mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line)
                && events_tx.send(v).is_err()
            {
                break;
            }
        }
    });
    let (logs_tx, logs) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if logs_tx.send(line).is_err() {
                break;
            }
        }
    });

    let first = wait_for(&events, "the first feed's alert", |e| {
        e["type"] == "alert" && e["rule"] == "atrocity"
    });
    let first_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(server.hits("/f/reload-first.rss"), 1);

    // Add a feed: it is polled, the unchanged one is not, and the count rule adds the new hit
    // to the one counted before the reload.
    std::fs::write(&cfg, config(&server, true)).unwrap();
    hangup(&child);
    let line = wait_for(&logs, "the reload's log line", |l| {
        l.contains("config reloaded")
    });
    assert!(
        line.contains("added=1") && line.contains("kept=1"),
        "{line}"
    );
    let mut seen = Vec::new();
    wait_for(&events, "the count rule over both feeds", |e| {
        seen.push(e.clone());
        e["type"] == "alert" && e["rule"] == "two-massacres"
    });
    std::thread::sleep(Duration::from_millis(500));
    seen.extend(events.try_iter());
    // The first alert may come again only as a revision (the second feed joined its story),
    // never raised anew.
    assert!(
        !seen
            .iter()
            .any(|e| e["id"] == first_id.as_str() && e["revision"] == 1),
        "an alert repeated: {seen:?}"
    );
    // The added feed's item reached the keyword rule: as its own alert, or as a second source
    // of the first one's story.
    assert!(
        seen.iter().any(|e| e["type"] == "alert"
            && e["rule"] == "atrocity"
            && (e["feed"] == "second"
                || e["sources"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|x| x == "second")))),
        "{seen:?}"
    );
    assert_eq!(
        server.hits("/f/reload-first.rss"),
        1,
        "the unchanged feed was polled again"
    );

    // A config with an error is refused and named; the collector runs on.
    std::fs::write(&cfg, "[[feeds]]\nid = \"broken\"\nurl = 42\n").unwrap();
    hangup(&child);
    let refused = wait_for(&logs, "the refusal", |l| l.contains("reload refused"));
    assert!(
        refused.contains(&format!("{}:3:", cfg.display())),
        "no file:line: {refused}"
    );
    wait_for(&logs, "the kept config", |l| {
        l.contains("the running config is kept")
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the collector stopped");
    child.kill().unwrap();
    child.wait().unwrap();
}
