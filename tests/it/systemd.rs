//! The shipped systemd unit passes `systemd-analyze verify`, and its exposure under
//! `systemd-analyze security --offline=yes` is at most 3.0 (`.ci/run` installs systemd-analyze;
//! elsewhere the test says it is skipped).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const UNIT: &str = include_str!("../../contrib/systemd/watchfloor.service");

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
    let unit = dir.path().join("watchfloor.service");
    std::fs::write(
        &unit,
        UNIT.replace(
            "/usr/local/bin/watchfloor",
            env!("CARGO_BIN_EXE_watchfloor"),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let level: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for watchfloor.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {text}"));
    assert!(level <= 3.0, "exposure {level}: {text}");
}
