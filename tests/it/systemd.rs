//! The shipped systemd units (the collector, the morning brief and its timer) pass
//! `systemd-analyze verify`, and each service's exposure under
//! `systemd-analyze security --offline=yes` is at most 3.0 (`.ci/run` installs systemd-analyze;
//! elsewhere the test says it is skipped).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const UNIT: &str = include_str!("../../contrib/systemd/watchfloor.service");
const BRIEF: &str = include_str!("../../contrib/systemd/watchfloor-brief.service");
const TIMER: &str = include_str!("../../contrib/systemd/watchfloor-brief.timer");

fn analyze_available() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_unit_verifies_and_is_hardened() {
    if !analyze_available() {
        eprintln!("skipped: systemd-analyze is not installed (.ci/run installs it)");
        return;
    }
    for needed in [
        "UMask=0007",
        "StateDirectory=watchfloor",
        "LogsDirectory=watchfloor",
        "User=watchfloor",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
    ] {
        assert!(UNIT.lines().any(|l| l == needed), "{needed} missing");
    }
    // verify checks that ExecStart runs: point it at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_watchfloor");
    for (name, text) in [
        ("watchfloor.service", UNIT),
        ("watchfloor-brief.service", BRIEF),
        ("watchfloor-brief.timer", TIMER),
    ] {
        std::fs::write(
            dir.path().join(name),
            text.replace("/usr/local/bin/watchfloor", bin),
        )
        .unwrap();
    }
    for name in [
        "watchfloor.service",
        "watchfloor-brief.service",
        "watchfloor-brief.timer",
    ] {
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "verify {name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for name in ["watchfloor.service", "watchfloor-brief.service"] {
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let level: f64 = text
            .lines()
            .find_map(|l| {
                l.split(&format!("Overall exposure level for {name}: "))
                    .nth(1)
            })
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no exposure level in: {text}"));
        println!("{name}: exposure {level}");
        assert!(level <= 3.0, "{name}: exposure {level}: {text}");
    }
}
