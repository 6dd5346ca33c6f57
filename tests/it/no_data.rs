//! A country whose every reporting feed is failing is "no data", not quiet (on the real SQLite
//! file, after real polls over loopback: one run that alerts, one where every feed fails); and
//! the collector shares its files with its group whatever the umask.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use chrono::Utc;
use watchfloor::config;
use watchfloor::store::{SqliteStore, Store};

#[test]
fn a_country_whose_feeds_all_fail_has_no_data() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    // Fresh dates, so the alerts fall inside the last 7 days.
    let wire = std::fs::read_to_string(support::fixtures_dir().join("wire.rss")).unwrap();
    server.set_fixture(
        "wire.rss",
        &wire.replace("Mon, 05 May 2025 10:00:00 GMT", &Utc::now().to_rfc2822()),
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let atom = std::fs::read_to_string(support::fixtures_dir().join("wire.atom")).unwrap();
    server.set_fixture(
        "wire.atom",
        &atom.replace("2025-05-05T14:05:00Z", &Utc::now().to_rfc3339()),
    );
    // A loaded machine may take more than the usual 2 s to answer over loopback.
    let good = support::config_text(&server, "").replace("timeout = \"2s\"", "timeout = \"30s\"");
    let cfg = support::write_config(dir.path(), &good);
    assert!(support::headless_once(&cfg, &data).status.success());

    let store = SqliteStore::open_existing(&data).unwrap();
    let config = config::load(&cfg).unwrap();
    let before = store
        .snapshot(&watchfloor::config::ScreenConfig::from(&config), Utc::now())
        .unwrap();
    let alerted: Vec<_> = before
        .countries
        .iter()
        .filter(|r| r.alerts_window > 0)
        .map(|r| r.code)
        .collect();
    assert!(
        !alerted.is_empty(),
        "the fixtures alert for some country: {:?}",
        before
            .feeds
            .iter()
            .map(|f| (&f.id, &f.last_error))
            .collect::<Vec<_>>()
    );
    assert!(before.countries.iter().all(|r| !r.no_data));

    // Every feed now answers 500.
    let failing_url = server.url("/status/500");
    let broken: String = good
        .lines()
        .map(|l| {
            if l.starts_with("url = \"http") {
                format!("url = \"{failing_url}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let cfg = support::write_config(dir.path(), &broken);
    assert!(support::headless_once(&cfg, &data).status.success());
    let config = config::load(&cfg).unwrap();
    let after = store
        .snapshot(&watchfloor::config::ScreenConfig::from(&config), Utc::now())
        .unwrap();
    for code in &alerted {
        let row = after.countries.iter().find(|r| r.code == *code).unwrap();
        assert!(
            row.no_data,
            "{code}: every feed that reported it is failing"
        );
    }
    // A listed country no feed ever reported is not "no data": there is nothing to miss.
    let never: Vec<_> = after
        .countries
        .iter()
        .filter(|r| !alerted.contains(&r.code))
        .collect();
    assert!(never.iter().all(|r| !r.no_data), "{never:?}");
}

#[cfg(unix)]
#[test]
fn the_collector_shares_its_files_with_its_group() {
    use std::os::unix::fs::PermissionsExt;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = support::write_config(dir.path(), &support::config_text(&server, ""));
    // Whatever the umask (the test runner's is usually 022), analysts in the group can write.
    assert!(support::headless_once(&cfg, &data).status.success());
    for name in ["watchfloor.db", "watchfloor.lock"] {
        let mode = std::fs::metadata(data.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o060, 0o060, "{name}: {mode:o}");
    }
}
