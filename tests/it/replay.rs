//! `watchfloor replay` over recorded payloads raises exactly the alerts a live collector raises
//! on the same data, reads an archive laid out as `DIR/FEED/YYYYMMDDTHHMMSSZ.gz`, never touches
//! the live data directory, and names a file that belongs to no feed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Command;

use serde_json::Value;

/// The alerts as (rule, country, value), sorted. Not ids: the same story carried by two feeds
/// alerts once, under whichever feed brought it first, and a live collector's polls arrive in
/// no fixed order.
fn alerts(stdout: &[u8]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "alert")
        .map(|v| {
            (
                v["rule"].as_str().unwrap().to_string(),
                v["country"].as_str().unwrap_or("-").to_string(),
                v["value"].to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn alert_ids(stdout: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "alert")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

const FIXTURES: [(&str, &str); 6] = [
    ("wire", "wire.rss"),
    ("atom", "wire.atom"),
    ("reports", "reports.json"),
    ("quakes", "quakes.geojson"),
    ("disasters", "disasters.rss"),
    ("gdelt", "gdelt.json"),
];

/// A folder, a loopback server and the tests' config pointing at it.
struct World {
    dir: tempfile::TempDir,
    cfg: std::path::PathBuf,
    server: support::TestServer,
    _rt: tokio::runtime::Runtime,
}

fn world() -> World {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
    World {
        dir,
        cfg,
        server,
        _rt: rt,
    }
}

/// `watchfloor replay --config CFG PATH`.
fn replay_command(cfg: &std::path::Path, path: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_watchfloor"));
    c.args(["replay", "--config"]).arg(cfg).arg(path);
    c
}

/// One `headless --once` poll of every feed, archiving the bodies in `archive`.
fn poll_archiving(
    cfg: &std::path::Path,
    data: &std::path::Path,
    archive: &std::path::Path,
) -> Vec<u8> {
    support::succeeds(
        Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(["headless", "--once", "--config"])
            .arg(cfg)
            .arg("--data")
            .arg(data)
            .arg("--archive")
            .arg(archive),
    )
    .into_bytes()
}

#[test]
fn replay_raises_what_a_live_collector_raises_on_the_same_payloads() {
    let World { dir, cfg, .. } = &world();
    let live = support::headless_once(cfg, &dir.path().join("data"));
    assert!(live.status.success());
    let live_alerts = alerts(&live.stdout);
    assert!(live_alerts.len() >= 5, "{live_alerts:?}");

    // The same payloads as files named after their feeds.
    let recorded = dir.path().join("recorded");
    std::fs::create_dir_all(&recorded).unwrap();
    for (feed, file) in FIXTURES {
        let ext = file.rsplit('.').next().unwrap();
        std::fs::copy(
            support::fixtures_dir().join(file),
            recorded.join(format!("{feed}.{ext}")),
        )
        .unwrap();
    }
    let before = std::fs::read_dir(dir.path().join("data")).unwrap().count();
    let out = replay_command(cfg, &recorded).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(alerts(&out.stdout), live_alerts, "{stderr}");
    assert!(stderr.contains("replay: 6 payloads"), "{stderr}");
    assert!(stderr.contains("atrocity"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("data")).unwrap().count(),
        before,
        "replay wrote into the live data directory"
    );
}

#[test]
fn replay_reads_an_archive_and_names_strays() {
    let World { dir, cfg, .. } = &world();
    let archive = dir.path().join("archive/wire");
    std::fs::create_dir_all(&archive).unwrap();
    let rss = std::fs::read(support::fixtures_dir().join("wire.rss")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&rss).unwrap();
    std::fs::write(archive.join("20250505T120000Z.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(
        archive.join("20250505T120000Z.json"),
        r#"{"url":"https://example.test/wire","status":200}"#,
    )
    .unwrap();
    let run = |path: &std::path::Path| replay_command(cfg, path).output().unwrap();
    let out = run(&dir.path().join("archive"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("replay: 1 payloads, 4 items"), "{stderr}");
    assert!(!alert_ids(&out.stdout).is_empty());

    let stray = dir.path().join("nobody.xml");
    std::fs::write(&stray, &rss).unwrap();
    let out = run(&stray);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no feed \"nobody\" in the config") && stderr.contains("wire"),
        "{stderr}"
    );
}

#[test]
fn headless_archive_replays_to_the_same_alerts() {
    let World { dir, cfg, .. } = &world();
    let archive = dir.path().join("archive");
    let live = poll_archiving(cfg, &dir.path().join("data"), &archive);
    let bodies: Vec<_> = walk(&archive)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gz"))
        .collect();
    assert_eq!(bodies.len(), 6, "{bodies:?}");
    let sidecar = std::fs::read_to_string(bodies[0].with_extension("json")).unwrap();
    let meta: Value = serde_json::from_str(sidecar.trim()).unwrap();
    assert_eq!(meta["status"], 200);
    assert!(
        meta["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );

    let out = replay_command(cfg, &archive).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(alerts(&out.stdout), alerts(&live));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn replay_shows_the_risk_factor_board_it_builds() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let pack =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/packs/un-framework.toml");
    let text = format!(
        "include = [{:?}]\n{}",
        pack.display().to_string(),
        support::config_text(&server, "")
    );
    let cfg = support::write_config(dir.path(), &text);
    let wire = dir.path().join("wire.xml");
    std::fs::write(
        &wire,
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>
<item><title>Civilians killed in attack on market in Gao, Mali</title><guid>r1</guid><pubDate>Mon, 05 May 2025 10:00:00 GMT</pubDate></item>
<item><title>Mali: internet shutdown imposed across the north</title><guid>r2</guid><pubDate>Mon, 05 May 2025 11:00:00 GMT</pubDate></item>
<item><title>Mali: mass graves found near Mopti</title><guid>r3</guid><pubDate>Mon, 05 May 2025 12:00:00 GMT</pubDate></item>
</channel></rss>"#,
    )
    .unwrap();
    let out = replay_command(&cfg, &wire).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("risk-factor evidence in the last 30d of the replay"),
        "{stderr}"
    );
    // Two reports are evidence of an attack on civilians (11), one of preparation (7).
    let mali = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("ML "))
        .unwrap_or_else(|| panic!("no board row for Mali: {stderr}"));
    assert!(
        mali.contains(" 2/14 ") && mali.contains("7:1 !11:2"),
        "{mali}"
    );
}

#[test]
fn a_replay_killed_midway_leaves_a_store_the_next_replay_removes() {
    use std::process::Stdio;
    let World { dir, cfg, .. } = &world();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // Enough alerts to fill a pipe nobody reads: the replay is stopped midway, store written.
    let mut rss =
        String::from(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>"#);
    for k in 0..1_000 {
        rss.push_str(&format!(
            "<item><title>Massacre reported in village {k}, Mali</title><guid>k{k}</guid><pubDate>Mon, 05 May 2025 10:{:02}:{:02} GMT</pubDate></item>",
            k / 60 % 60,
            k % 60
        ));
    }
    rss.push_str("</channel></rss>");
    let wire = dir.path().join("wire.xml");
    std::fs::write(&wire, rss).unwrap();
    let replay = || {
        let mut c = replay_command(cfg, &wire);
        c.env("TMPDIR", &tmp);
        c
    };
    let stores = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };

    let mut stuck = replay()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let left = loop {
        let s = stores();
        if s.len() == 1 && s[0].join("watchfloor.db").exists() {
            break s[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no store appeared: {s:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // Its output is never read: it waits on the pipe, holding its store, until it is killed.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        stuck.try_wait().unwrap().is_none(),
        "the replay ended on its own"
    );
    stuck.kill().unwrap();
    stuck.wait().unwrap();
    drop(stuck.stdout.take());
    assert!(left.exists(), "a SIGKILL runs no clean-up");
    // An hour later, the next replay clears it (a directory minutes old may be a replay starting).
    std::fs::File::open(&left)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3_600))
        .unwrap();
    let out = replay().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("replay: 1 payloads, 1000 items, 1000 alerts"),
        "{stderr}"
    );
    assert!(
        stderr.contains("removed the temporary store a stopped replay left in"),
        "{stderr}"
    );
    assert_eq!(stores(), Vec::<std::path::PathBuf>::new(), "{stderr}");
}

/// An archive holds a feed's items once per poll. Replayed, the repeats are left out as they
/// are read (a month of polls would otherwise hold thousands of copies of each item in
/// memory), and the alerts are still those the live collector raised, revisions included: an
/// item revised and then put back as it was is read again each time.
#[test]
fn an_archive_of_repeated_polls_replays_to_the_live_alerts() {
    let World {
        dir, cfg, server, ..
    } = &world();
    let archive = dir.path().join("archive");
    let item = |id: &str, title: &str, hour: u32| {
        format!(
            "<item><title>{title}</title><guid>{id}</guid><pubDate>Mon, 05 May 2025 {hour:02}:00:00 GMT</pubDate></item>"
        )
    };
    let rss = |items: &[String]| {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{}</channel></rss>"#,
            items.concat()
        )
    };
    let a = item("a", "Massacre reported near Gao, Mali", 8);
    let b1 = item("b", "Sudan: massacre in a village near El Fasher", 9);
    let b2 = item("b", "Sudan: massacre near El Fasher, toll rises to 40", 9);
    let c = item("c", "Floods close roads in Mandalay, Myanmar", 10);
    let d = item("d", "Mali: second massacre in a week near Mopti", 11);
    let polls = [
        rss(&[a.clone(), b1.clone(), c.clone()]),
        rss(&[d.clone(), a.clone(), b2, c.clone()]),
        rss(&[d.clone(), a.clone(), b1, c.clone()]),
        rss(&[d, a, c]),
    ];
    let mut live = Vec::new();
    for (i, body) in polls.iter().enumerate() {
        if i > 0 {
            // Archive files are named to the second.
            std::thread::sleep(std::time::Duration::from_millis(1_100));
        }
        server.set_fixture("wire.rss", body);
        live.extend(poll_archiving(cfg, &dir.path().join("data"), &archive));
    }
    let wire_polls = walk(&archive.join("wire"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gz"))
        .count();
    assert_eq!(wire_polls, 4);

    let out = replay_command(cfg, &archive).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let live_alerts = alerts(&live);
    assert!(live_alerts.len() >= 4, "{live_alerts:?}");
    assert_eq!(alerts(&out.stdout), live_alerts, "{stderr}");
    // The revision and the return to the first version each raise a revised alert again.
    let revisions = |stdout: &[u8]| {
        String::from_utf8_lossy(stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] == "alert" && v["feed"] == "wire")
            .count()
    };
    assert_eq!(revisions(&out.stdout), revisions(&live));
    // Of the wire's 15 items read, 8 repeat the copy before them (the other feeds answered
    // their later polls with 304, so each was archived once).
    assert!(
        stderr.contains("9 payloads, 25 items (8 repeated from an earlier payload)"),
        "{stderr}"
    );
}
