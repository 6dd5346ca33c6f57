//! The real binary: `check` on good and broken configs, `headless --once` against a loopback
//! server, and `demo --headless`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn watchfloor() -> Command {
    let mut c = Command::cargo_bin("watchfloor").unwrap();
    c.env_remove("WATCHFLOOR_CONFIG").env_remove("RUST_LOG");
    c
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_configs_pass_check() {
    for cfg in ["config/watchfloor.toml", "config/demo.toml"] {
        let out = watchfloor()
            .current_dir(root())
            .args(["check", "--config", cfg])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{cfg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(": ok"), "{stdout}");
        assert!(stdout.contains("watchlist:"), "{stdout}");
    }
    // Without --config, ./config/watchfloor.toml is found.
    let out = watchfloor()
        .current_dir(root())
        .arg("check")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("config/watchfloor.toml: ok"));
}

#[test]
fn broken_configs_name_file_line_column_and_exit_2() {
    let dir = root().join("tests/configs/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 30, "broken config corpus is too small");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks '# expect:'", file.display()));
        let (loc, words) = expect.split_once(' ').unwrap();
        let out = watchfloor()
            .args(["check", "--config"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        let want = format!("{}:{loc}: ", file.display());
        assert!(
            stderr.contains(&want),
            "{}: wanted {want:?} in {stderr}",
            file.display()
        );
        assert!(
            stderr.contains(words),
            "{}: wanted {words:?} in {stderr}",
            file.display()
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let out = watchfloor()
        .args(["check", "--config", "/nonexistent/watchfloor.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/watchfloor.toml: cannot read"),
        "{stderr}"
    );
    let empty = tempfile::tempdir().unwrap();
    let out = watchfloor()
        .current_dir(empty.path())
        .env("HOME", empty.path())
        .env("XDG_CONFIG_HOME", empty.path())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no config file found"));
}

#[test]
fn usage_errors_exit_2_and_help_works() {
    let out = watchfloor().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    for sub in [
        &["--help"][..],
        &["headless", "--help"],
        &["check", "--help"],
        &["demo", "--help"],
    ] {
        let out = watchfloor().args(sub).output().unwrap();
        assert!(out.status.success(), "{sub:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    }
}

#[test]
fn headless_once_prints_each_feed_and_alerts_then_exits_0() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    // Fresh dates, so the alerts count toward status (old items alert but do not escalate).
    let wire = std::fs::read_to_string(support::fixtures_dir().join("wire.rss")).unwrap();
    let now = chrono::Utc::now().to_rfc2822();
    server.set_fixture(
        "wire.rss",
        &wire.replace("Mon, 05 May 2025 10:00:00 GMT", &now),
    );
    // The same story reaches the Atom feed; whichever feed is processed first alerts.
    let atom = std::fs::read_to_string(support::fixtures_dir().join("wire.atom")).unwrap();
    let now3339 = chrono::Utc::now().to_rfc3339();
    server.set_fixture("wire.atom", &atom.replace("2025-05-05T14:05:00Z", &now3339));
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[[feeds]]\nid = \"down\"\nurl = \"{}\"\n",
        server.url("/status/503")
    );
    let cfg = support::write_config(dir.path(), &support::config_text(&server, &extra));
    let data = dir.path().join("data");
    let run = || {
        watchfloor()
            .args(["headless", "--once", "--config"])
            .arg(&cfg)
            .arg("--data")
            .arg(&data)
            .timeout_output()
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events.iter().all(|e| e["v"] == 2));
    let feeds: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "feed")
        .filter_map(|e| e["feed"].as_str())
        .collect();
    let mut sorted = feeds.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "atom",
            "disasters",
            "down",
            "gdelt",
            "quakes",
            "reports",
            "wire"
        ]
    );
    let down = events
        .iter()
        .find(|e| e["feed"] == "down" && e["type"] == "feed")
        .unwrap();
    assert_eq!(down["ok"], false);
    assert_eq!(down["http_status"], 503);
    assert!(
        down["error"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 503 Service Unavailable")
    );
    let alerts: Vec<&Value> = events.iter().filter(|e| e["type"] == "alert").collect();
    assert!(alerts.len() >= 6, "{alerts:#?}");
    for key in [
        "id",
        "at",
        "country",
        "country_name",
        "listed",
        "rule",
        "kind",
        "severity",
        "feed",
        "title",
        "url",
        "published",
        "matched",
        "field",
        "value",
        "limit",
    ] {
        assert!(
            alerts[0].get(key).is_some(),
            "alert lacks {key}: {}",
            alerts[0]
        );
    }
    let status: Vec<&Value> = events.iter().filter(|e| e["type"] == "status").collect();
    assert_eq!(
        status.len(),
        1,
        "only the fresh item escalates: {status:#?}"
    );
    assert_eq!(status[0]["country"], "ML");
    assert_eq!(status[0]["from"], "quiet");
    assert_eq!(status[0]["to"], "warning");

    // A restart on the same data directory repeats no alert.
    let again = run();
    assert!(again.status.success());
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(!stdout.contains("\"type\":\"alert\""), "{stdout}");
}

trait TimeoutOutput {
    fn timeout_output(&mut self) -> std::process::Output;
}

impl TimeoutOutput for Command {
    /// Runs with a 60 s limit so a hang fails the test instead of stalling it.
    fn timeout_output(&mut self) -> std::process::Output {
        let mut child = self
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("command did not finish in 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn demo_headless_produces_alerts_statuses_and_feed_events_quickly() {
    let data = tempfile::tempdir().unwrap();
    let mut child = watchfloor()
        .args(["demo", "--headless", "--speed", "60", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let (mut alert, mut status, mut feed, mut critical) = (false, false, false, false);
    while started.elapsed() < Duration::from_secs(20) && !(alert && status && feed && critical) {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        match v["type"].as_str() {
            Some("alert") => alert = true,
            Some("status") => {
                status = true;
                critical |= v["to"] == "critical";
            }
            Some("feed") => feed = true,
            _ => {}
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        alert && status && feed && critical,
        "alert {alert}, status {status}, feed {feed}, critical {critical}"
    );
}

#[test]
fn sigterm_and_sigint_stop_headless_cleanly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    for signal in ["-TERM", "-INT"] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
        let mut child = watchfloor()
            .args(["headless", "--config"])
            .arg(&cfg)
            .arg("--data")
            .arg(dir.path().join("data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Wait for the first poll to be processed.
        let first = lines.next().unwrap().unwrap();
        assert!(first.contains("\"v\":2"), "{first}");
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        let exit = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{signal}: still running after 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "{signal}: {exit:?}");
        // The database is whole and holds what was printed.
        let conn = rusqlite::Connection::open(dir.path().join("data/watchfloor.db")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
}

#[test]
fn the_screen_without_a_terminal_says_so_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["demo"], vec!["attach"]] {
        let out = watchfloor()
            .args(&args)
            .arg("--data")
            .arg(dir.path())
            .args(["--config", "config/demo.toml"])
            .current_dir(root())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the screen needs a terminal")
                && stderr.contains("watchfloor headless"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn completions_and_manual_pages() {
    for shell in ["bash", "zsh", "fish"] {
        let out = watchfloor().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("attach") && text.contains("headless"),
            "{shell}: {text}"
        );
    }
    let out = watchfloor().arg("man").output().unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH watchfloor 1"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = watchfloor()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for page in [
        "watchfloor.1",
        "watchfloor-headless.1",
        "watchfloor-attach.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} missing");
    }
}

#[test]
fn check_warns_without_feeds_and_reads_acronyms() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("w.toml");
    std::fs::write(&cfg, "[[countries]]\ncode = \"DRC\"\n").unwrap();
    let out = watchfloor()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("watchlist: 1 country: CD"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: no enabled feeds"), "{stderr}");
}

#[test]
fn logs_carry_no_colour_into_a_pipe_and_can_be_json() {
    let dir = tempfile::tempdir().unwrap();
    for (format, check) in [
        (
            "text",
            (|l: &str| !l.contains('\u{1b}') && l.contains("INFO")) as fn(&str) -> bool,
        ),
        ("json", |l: &str| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| v["level"] == "INFO")
        }),
    ] {
        let mut child = watchfloor()
            .args(["demo", "--headless", "--log-format", format, "--data"])
            .arg(dir.path().join(format))
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The monitor runs (and handles SIGTERM) once it prints its first event.
        let mut events = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        events.read_line(&mut first).unwrap();
        assert!(first.contains("\"type\""), "{first}");
        // Keep reading, so the collector never meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut events, &mut std::io::sink()));
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let logs: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("watchfloor demo:"))
            .collect();
        assert!(!logs.is_empty(), "{format}: no log lines: {stderr}");
        assert!(logs.iter().all(|l| check(l)), "{format}: {stderr}");
    }
}

#[test]
fn the_demo_never_polls_real_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = watchfloor()
        .current_dir(root())
        .args([
            "demo",
            "--headless",
            "--config",
            "config/watchfloor.toml",
            "--data",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("left out") && stderr.contains("usgs-significant"),
        "{stderr}"
    );
    assert!(stderr.contains("has no demo feeds"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing polled");
}
