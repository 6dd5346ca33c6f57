//! The real binary on a real terminal, driven through tmux as a person would: open the demo,
//! wait for alerts, move, open detail, acknowledge, quit; a restart still shows the
//! acknowledgement. Skipped (with a message) where tmux is not installed; CI installs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(session: &str, command: &str) -> Self {
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "120",
                "-y",
                "40",
                command,
            ])
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        Self {
            session: session.to_string(),
        }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            Command::new("tmux")
                .args(["send-keys", "-t", &self.session, k])
                .status()
                .unwrap();
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}; the screen shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn demo_command(data: &Path) -> String {
    format!(
        "env -u NO_COLOR TERM=xterm-256color {} demo --speed 40 --data {}; echo WATCHFLOOR-EXITED=$?; sleep 30",
        env!("CARGO_BIN_EXE_watchfloor"),
        data.display()
    )
}

#[test]
fn demo_on_a_real_terminal_with_triage_that_survives_a_restart() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed (CI installs it)");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let session = format!("watchfloor-e2e-{}", std::process::id());
    let title;
    {
        let t = Tmux::start(&session, &demo_command(data.path()));
        t.wait_for("a warning on the watchlist", |s| {
            s.contains("▲ WARN") && s.contains("Watchlist")
        });
        t.keys(&["2"]);
        t.wait_for("the alert list", |s| s.contains("atrocity-terms"));
        t.keys(&["j", "k", "Enter"]);
        let detail = t.wait_for("the detail view", |s| {
            s.contains("Rule ") && s.contains("Source")
        });
        // The detail's first body line is the alert's title.
        title = detail.lines().nth(3).unwrap_or("").trim().to_string();
        assert!(!title.is_empty(), "{detail}");
        t.keys(&["a"]);
        t.wait_for("the acknowledgement", |s| s.contains("Acked      by"));
        // q leaves the detail view; at a list it quits.
        t.keys(&["q"]);
        t.wait_for("the alert list again", |s| {
            s.contains("atrocity-terms") && !s.contains("Acked      by")
        });
        t.keys(&["q"]);
        t.wait_for("a clean exit", |s| s.contains("WATCHFLOOR-EXITED=0"));
    }
    let t = Tmux::start(&format!("{session}-again"), &demo_command(data.path()));
    t.wait_for("the screen after a restart", |s| s.contains("Watchlist"));
    t.keys(&["2"]);
    let short: String = title.chars().take(30).collect();
    let list = t.wait_for("the acknowledged alert in the list", |s| {
        s.lines().any(|l| l.contains(&short) && l.contains('✓'))
    });
    assert!(list.contains('✓'));
    t.keys(&["q"]);
    t.wait_for("a clean exit", |s| s.contains("WATCHFLOOR-EXITED=0"));
}

#[test]
fn an_attached_screen_says_when_its_collector_dies() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed (CI installs it)");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    // The collector's config has a secret in it that analysts do not have: they attach with
    // the data directory alone.
    let text = format!(
        "{}\n[[feeds]]\nid = \"keyed\"\nname = \"Keyed source\"\nurl = \"https://keyed.invalid/feed?key=${{E2E_ATTACH_KEY}}\"\nenabled = false\n",
        support::config_text(&server, "")
    );
    let cfg = support::write_config(dir.path(), &text);
    let data = dir.path().join("data");
    let mut collector = std::process::Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .arg("--data")
        .arg(&data)
        .env("E2E_ATTACH_KEY", "k-123456")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let session = format!("watchfloor-e2e-attach-{}", std::process::id());
    let t = Tmux::start(
        &session,
        &format!(
            "env -u E2E_ATTACH_KEY TERM=xterm-256color {} attach --data {}; sleep 30",
            env!("CARGO_BIN_EXE_watchfloor"),
            data.display()
        ),
    );
    t.wait_for("the attached screen", |s| {
        s.contains("attached") && s.contains("Watchlist")
    });
    // The feeds and their names come from the collector, with the secret hidden.
    t.keys(&["3"]);
    let feeds = t.wait_for("the collector's feeds", |s| s.contains("keyed"));
    assert!(!feeds.contains("k-123456"), "{feeds}");
    t.keys(&["1"]);
    // Let the collector write a heartbeat, then kill it where it stands.
    std::thread::sleep(Duration::from_secs(6));
    assert!(!t.screen().contains("SILENT"), "{}", t.screen());
    collector.kill().unwrap();
    collector.wait().unwrap();
    let killed = Instant::now();
    let screen = t.wait_for("the silent-collector banner", |s| {
        s.contains("Collector silent since") && s.contains("COLLECTOR SILENT")
    });
    // On the same host the screen sees the collector's process is gone, without waiting for
    // its heartbeat to go stale.
    assert!(
        killed.elapsed() < Duration::from_secs(10),
        "{:?}: {screen}",
        killed.elapsed()
    );
    assert!(screen.contains("on this host has stopped"), "{screen}");
}

#[test]
fn two_screens_on_a_shared_store_see_each_others_triage_and_a_viewer_is_read_only() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed (CI installs it)");
        return;
    }
    let Some(db) = support::pg::database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (alice, bob, vic) = (
        format!("alice_{}", db.name),
        format!("bob_{}", db.name),
        format!("vic_{}", db.name),
    );
    let pgpass = db.pgpass(
        dir.path(),
        &[(&alice, "a-pw"), (&bob, "b-pw"), (&vic, "v-pw")],
    );
    let init = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["store", "init", "--store", &db.bare_url(support::pg::ADMIN)])
        .env("PGPASSFILE", &pgpass)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    db.admin_sql(&format!(
        "CREATE ROLE {alice} LOGIN PASSWORD 'a-pw' IN ROLE watchfloor_analyst;
         CREATE ROLE {bob} LOGIN PASSWORD 'b-pw' IN ROLE watchfloor_analyst;
         CREATE ROLE {vic} LOGIN PASSWORD 'v-pw' IN ROLE watchfloor_viewer;"
    ));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let wire = std::fs::read_to_string(support::fixtures_dir().join("wire.rss")).unwrap();
    server.set_fixture(
        "wire.rss",
        &wire.replace(
            "Mon, 05 May 2025 10:00:00 GMT",
            &chrono::Utc::now().to_rfc2822(),
        ),
    );
    let text = format!(
        "{}\n[store]\nurl = \"${{WF_STORE}}\"\nlease = \"3s\"\n",
        support::config_text(&server, "")
    );
    let cfg = support::write_config(dir.path(), &text);
    let mut collector = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--config"])
        .arg(&cfg)
        .env("WF_STORE", db.url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let screen = |who: &str, tag: &str| {
        Tmux::start(
            &format!("watchfloor-e2e-desk-{tag}-{}", std::process::id()),
            &format!(
                "env PGPASSFILE={} TERM=xterm-256color {} attach --store {} 2>>{}; echo WATCHFLOOR-EXITED=$?; sleep 30",
                pgpass.display(),
                env!("CARGO_BIN_EXE_watchfloor"),
                db.bare_url(who),
                dir.path().join(format!("screen-{tag}.log")).display()
            ),
        )
    };
    let a = screen(&alice, "a");
    let b = screen(&bob, "b");
    let v = screen(&vic, "v");
    for t in [&a, &b] {
        t.wait_for("an alert on the shared store", |s| s.contains("Watchlist"));
        t.keys(&["2"]);
        t.wait_for("the alert list", |s| s.contains("atrocity"));
        t.keys(&["Enter"]);
        t.wait_for("the detail view", |s| {
            s.contains("Rule ") && s.contains("Source")
        });
    }
    let acked = Instant::now();
    a.keys(&["a"]);
    a.wait_for("the acknowledgement on the screen that made it", |s| {
        s.contains("Acked      by") && s.contains(&alice)
    });
    let seen = b.wait_for("the acknowledgement on the other screen", |s| {
        s.contains("Acked      by") && s.contains(&alice)
    });
    eprintln!(
        "triage from one screen reached the other {:?} after the key (tmux steps included)",
        acked.elapsed()
    );
    assert!(acked.elapsed() < Duration::from_secs(1), "{seen}");
    // Every connection to the store is cut (a restart, a failover, a lost link): the screens
    // connect again, and a note written on one after the cut reaches the other.
    db.admin_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    std::thread::sleep(Duration::from_millis(500));
    b.keys(&["n"]);
    b.keys(&["after-the-cut", "Enter"]);
    let noted = Instant::now();
    a.wait_for("a note written after the connections were cut", |s| {
        s.contains("after-the-cut")
    });
    eprintln!(
        "a note written after the cut reached the other screen {:?} after the key",
        noted.elapsed()
    );
    // The viewer reads everything, and is told it cannot triage.
    let view = v.wait_for("the read-only notice", |s| s.contains("Read-only"));
    assert!(view.contains(&vic), "{view}");
    // The feeds view lists the collector alive and what it holds.
    a.keys(&["q", "3"]);
    a.wait_for("the desk's collectors", |s| s.contains("collectors alive"));
    for t in [&a, &b, &v] {
        t.keys(&["q", "q"]);
    }
    a.wait_for("a clean exit", |s| s.contains("WATCHFLOOR-EXITED=0"));
    collector.kill().unwrap();
    collector.wait().unwrap();
}
