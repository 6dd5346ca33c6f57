//! Secrets given through `${VAR}` never appear in events, errors, logs (at any level, from any
//! crate), `check` output or the screen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::process::Command;

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use watchfloor::config;
use watchfloor::store::{SqliteStore, Store};
use watchfloor::tui::app::{App, Mode};
use watchfloor::tui::keymap::KeyMap;
use watchfloor::tui::theme::Theme;

const SECRET: &str = "sup3r-s3cret-t0ken";

#[test]
fn secrets_stay_out_of_events_logs_check_and_screen() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        r#"
[settings]
max_age = "3650d"
[[countries]]
code = "ML"
[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre"]
severity = "high"
[[feeds]]
id = "keyed-ok"
url = "{ok}?key=${{WF_TEST_SECRET}}"
headers = {{ Authorization = "Bearer ${{WF_TEST_SECRET}}" }}
[[feeds]]
id = "keyed-denied"
url = "{denied}?key=${{WF_TEST_SECRET}}"
headers = {{ Authorization = "Bearer ${{WF_TEST_SECRET}}" }}
[[feeds]]
id = "keyed-refused"
url = "http://127.0.0.1:9/feed?key=${{WF_TEST_SECRET}}"
[[feeds]]
id = "keyed-in-host"
url = "http://${{WF_TEST_SECRET}}.invalid/feed"
"#,
        ok = server.url("/f/wire.rss"),
        denied = server.url("/status/401"),
    );
    let path = support::write_config(dir.path(), &cfg);
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(args)
            .arg("--config")
            .arg(&path)
            .arg("--data")
            .arg(&data)
            .env("WF_TEST_SECRET", SECRET)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    };
    let once = run(&["headless", "--once"]);
    assert!(
        once.status.success(),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
    let stdout = String::from_utf8_lossy(&once.stdout);
    let stderr = String::from_utf8_lossy(&once.stderr);
    assert!(
        stdout.contains("\"type\":\"alert\""),
        "the keyed feed works: {stdout}"
    );
    assert!(stdout.contains("HTTP 401 Unauthorized"), "{stdout}");
    assert!(
        stderr.lines().count() > 20,
        "trace logging was on: {stderr}"
    );
    assert!(!stdout.contains(SECRET), "secret in events:\n{stdout}");
    assert!(
        !stderr.contains(SECRET),
        "secret in logs:\n{}",
        stderr
            .lines()
            .filter(|l| l.contains(SECRET))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        stderr.contains("***"),
        "redaction never happened, so the test proves nothing"
    );

    let check = run(&["check"]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(check.status.success(), "{all}");
    assert!(!all.contains(SECRET), "{all}");
    assert!(
        all.contains("${WF_TEST_SECRET}"),
        "check shows the placeholder: {all}"
    );

    // The screen, from the real database.
    let config = config::load_str(&path, &std::fs::read_to_string(&path).unwrap(), &|k| {
        (k == "WF_TEST_SECRET").then(|| SECRET.to_string())
    })
    .unwrap();
    let store = SqliteStore::open_existing(&data).unwrap();
    let mut app = App::new(
        KeyMap::default(),
        Mode::Attached,
        "t".into(),
        "a".into(),
        None,
        Utc::now(),
    );
    app.set_snapshot(
        store
            .snapshot(&watchfloor::config::ScreenConfig::from(&config), Utc::now())
            .unwrap(),
    );
    for view in ['1', '2', '3'] {
        app.handle_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(view),
            crossterm::event::KeyModifiers::NONE,
        ));
        let mut terminal = Terminal::new(TestBackend::new(200, 40)).unwrap();
        terminal
            .draw(|f| watchfloor::tui::view::draw(f, &app, &Theme::new(false)))
            .unwrap();
        let screen = terminal.backend().to_string();
        assert!(!screen.contains(SECRET), "view {view}:\n{screen}");
    }
}
