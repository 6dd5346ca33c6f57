//! Twenty processes started at once on one empty data directory, with two busy loops loading
//! the CPU: four `headless` collectors, one live screen (itself a collector) and fifteen
//! `attach` screens, each screen on its own pseudo-terminal (tmux). Exactly one collector must
//! run, the others must be refused with the lock message, every screen must open, and nobody
//! may meet a schema or lock error. Skipped (with a message) where tmux is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Self {
        let socket = format!("wf-race-{}", std::process::id());
        let t = Self { socket };
        // A session that keeps the server up while screens come and go.
        t.run(&["new-session", "-d", "-s", "keep", "sleep 600"]);
        t
    }

    fn run(&self, args: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "tmux {args:?} failed");
    }

    /// Opens `command` in a new session; the pane keeps its last screen after the program ends.
    fn open(&self, name: &str, command: &str) {
        let wrapped = format!("{command}; echo \"[exited $?]\"; sleep 600");
        self.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            &wrapped,
        ]);
    }

    fn screen(&self, name: &str) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

const BAD: [&str; 4] = ["already exists", "database is locked", "schema", "panicked"];

#[test]
fn twenty_processes_at_once_one_collector_every_screen_opens() {
    if !tmux_available() {
        eprintln!("tmux is not installed; skipping the start race test");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_watchfloor");
    let args = format!("--config '{}' --data '{}'", cfg.display(), data.display());

    let busy = Arc::new(AtomicBool::new(true));
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let busy = busy.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while busy.load(Ordering::Relaxed) {
                    x = x.wrapping_mul(31).wrapping_add(7);
                    std::hint::black_box(x);
                }
            })
        })
        .collect();

    let tmux = Tmux::new();
    let mut headless: Vec<Child> = Vec::new();
    let attaches: Vec<String> = (0..15).map(|i| format!("attach{i}")).collect();
    let mut next_attach = attaches.iter();
    for i in 0..20 {
        match i {
            0 | 5 | 10 | 15 => headless.push(
                Command::new(bin)
                    .arg("headless")
                    .args(["--config"])
                    .arg(&cfg)
                    .arg("--data")
                    .arg(&data)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            ),
            7 => tmux.open("live", &format!("{bin} {args}")),
            _ => {
                let name = next_attach.next().unwrap();
                tmux.open(name, &format!("{bin} attach {args}"));
            }
        }
    }

    // Every attached screen opens (it waits for the database if it started first).
    for name in &attaches {
        let started = Instant::now();
        loop {
            let s = tmux.screen(name);
            if s.contains("watchfloor") && s.contains("attached") && s.contains("Watchlist") {
                break;
            }
            assert!(
                !BAD.iter().any(|b| s.contains(b)) && !s.contains("[exited"),
                "{name} failed:\n{s}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "{name} never opened:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    busy.store(false, Ordering::Relaxed);
    for l in loops {
        l.join().unwrap();
    }

    // Exactly one collector runs; every other was refused with the lock message.
    std::thread::sleep(Duration::from_secs(1));
    let live = tmux.screen("live");
    assert!(
        !BAD.iter().any(|b| live.contains(b)),
        "live screen:\n{live}"
    );
    let live_runs = !live.contains("[exited");
    if !live_runs {
        assert!(live.contains("already running"), "live screen:\n{live}");
    }
    let mut running = usize::from(live_runs);
    for child in &mut headless {
        match child.try_wait().unwrap() {
            None => running += 1,
            Some(status) => {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                assert!(!status.success(), "a refused collector exited 0");
                assert!(err.contains("already running"), "{err}");
                assert!(!BAD.iter().any(|b| err.contains(b)), "{err}");
            }
        }
    }
    for mut child in headless {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert_eq!(running, 1, "collectors running: {running}");
}
