//! Structural risk that acts: `watchfloor baseline import` on both EWP column layouts into the
//! real SQLite file, `min_baseline` rules, spikes raised a step in the top `escalate_top`, and
//! the watchlist showing rank, risk and where it came from.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use chrono::{Duration, TimeZone, Utc};
use watchfloor::baseline;
use watchfloor::config::{self, Severity};
use watchfloor::feed::item::Item;
use watchfloor::geo;
use watchfloor::rules::engine::Engine;
use watchfloor::store::{SqliteStore, Store};

const OLD_LAYOUT: &str = "tests/fixtures/ewp/ewp-2015-layout.csv";
const NEW_LAYOUT: &str = "tests/fixtures/ewp/ewp-2022-layout.csv";

fn watchfloor(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn imports_both_layouts_and_lists_what_it_could_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = watchfloor(dir.path(), &["baseline", "import", OLD_LAYOUT]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 11 countries") && out.contains("risk.2015and2016.from2014"),
        "{out}"
    );
    assert!(
        err.contains("ewp-2015-layout.csv:11: no country for \"Atlantis\" (COW 999)"),
        "{err}"
    );
    let (_, shown, _) = watchfloor(dir.path(), &["baseline", "show"]);
    let first = shown.lines().next().unwrap();
    assert!(first.contains("1/11") && first.contains("SD"), "{shown}");
    // COW 345 and 347 are Serbia and Kosovo; "Burma/Myanmar" is Myanmar.
    for code in ["RS", "XK", "MM"] {
        assert!(shown.contains(&format!(" {code} ")), "{code} in {shown}");
    }

    // A newer file in the other layout replaces the import.
    let (code, out, err) = watchfloor(dir.path(), &["baseline", "import", NEW_LAYOUT]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 9 countries") && out.contains("risk_in_2022_23"),
        "{out}"
    );
    assert!(
        err.contains(":11: no country for \"Ruritania\" (COW none)"),
        "{err}"
    );
    assert!(err.contains(":12: no risk for \"Sudan\""), "{err}");
    let store = SqliteStore::open_existing(dir.path()).unwrap();
    let estimates = store.baseline().unwrap();
    let codes: Vec<String> = estimates.iter().map(|e| e.country.to_string()).collect();
    assert_eq!(
        codes,
        ["PK", "YE", "MM", "ET", "CG", "CI", "GM", "VN", "DE"]
    );
    assert_eq!(estimates[0].rank, 1);
    assert!((estimates[0].risk - 0.1622).abs() < 1e-9);
    assert_eq!(estimates[0].year, Some(2022));

    // Another column on request.
    let (code, out, _) = watchfloor(
        dir.path(),
        &["baseline", "import", NEW_LAYOUT, "--column", "risk_in_2022"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("(column risk_in_2022)"), "{out}");
}

#[test]
fn a_file_it_cannot_read_says_where_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        watchfloor(dir.path(), &["baseline", "import", OLD_LAYOUT]).0,
        0
    );
    let (code, _, err) = watchfloor(
        dir.path(),
        &["baseline", "import", OLD_LAYOUT, "--column", "risk_2030"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("ewp-2015-layout.csv: no column \"risk_2030\"; risk columns: risk.2015.from2014, risk.2015and2016.from2014"),
        "{err}"
    );
    let (code, _, err) = watchfloor(dir.path(), &["baseline", "import", "Cargo.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("Cargo.toml: no country column"), "{err}");
    let (code, _, err) = watchfloor(dir.path(), &["baseline", "import", "no/such.csv"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot read no/such.csv"), "{err}");
    let store = SqliteStore::open_existing(dir.path()).unwrap();
    assert_eq!(
        store.baseline().unwrap().len(),
        11,
        "the last good import stays"
    );
}

const CONFIG: &str = r#"
[[countries]]
code = "NO"
baseline = 0.5
[[countries]]
code = "FR"
baseline = 0.2
[[feeds]]
id = "wire"
url = "https://wire.test/feed"
[[rules]]
id = "risky"
kind = "keywords"
any = ["clashes"]
min_baseline = 0.05
severity = "medium"
[[rules]]
id = "risky-or-unknown"
kind = "keywords"
any = ["clashes"]
min_baseline = 0.05
min_baseline_missing = true
severity = "medium"
[[rules]]
id = "surge"
kind = "spike"
slot = "6h"
history = "7d"
factor = 3.0
min = 3
severity = "high"
[baseline]
escalate_top = 3
"#;

fn item(n: u32, title: &str) -> Item {
    Item {
        feed: "wire".into(),
        key: format!("id:{n}"),
        title: title.into(),
        url: None,
        summary: String::new(),
        published: None,
        countries: Vec::new(),
        values: Vec::new(),
    }
}

fn engine() -> Engine {
    let config = config::load_str(Path::new("b.toml"), CONFIG, &|_| None).unwrap();
    let mut engine = Engine::new(&config).unwrap();
    let import = baseline::read_ewp(
        &std::fs::read_to_string(OLD_LAYOUT).unwrap(),
        "ewp-2015-layout.csv",
        None,
    )
    .unwrap();
    engine.set_imported_baseline(&import.estimates);
    engine
}

fn rules_raised(engine: &mut Engine, n: u32, title: &str) -> Vec<String> {
    let now = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let mut rules: Vec<String> = engine
        .process(&item(n, title), now, false)
        .alerts
        .into_iter()
        .map(|a| a.rule)
        .collect();
    rules.sort();
    rules
}

#[test]
fn min_baseline_keeps_rules_to_countries_at_risk() {
    let mut engine = engine();
    // Imported: Sudan 14.9% passes; Norway's imported 0.06% overrides its typed 0.5.
    assert_eq!(
        rules_raised(&mut engine, 1, "Clashes in Sudan"),
        ["risky", "risky-or-unknown"]
    );
    assert!(rules_raised(&mut engine, 2, "Clashes in Norway").is_empty());
    // France: typed 0.2 in the config, not in the file.
    assert_eq!(
        rules_raised(&mut engine, 3, "Clashes in France"),
        ["risky", "risky-or-unknown"]
    );
    // Peru: no risk known anywhere; only the rule that lets missing countries pass.
    assert_eq!(
        rules_raised(&mut engine, 4, "Clashes in Peru"),
        ["risky-or-unknown"]
    );
}

#[test]
fn a_spike_in_a_top_ranked_country_is_raised_a_step_and_says_why() {
    let mut engine = engine();
    let start = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let mut spikes = Vec::new();
    for (i, country) in ["Sudan", "Nigeria"].iter().enumerate() {
        for n in 0..4u32 {
            let at = start + Duration::minutes(i64::from(n) * 10);
            let out = engine.process(
                &item(100 * (i as u32 + 1) + n, &format!("Report from {country}")),
                at,
                false,
            );
            spikes.extend(out.alerts.into_iter().filter(|a| a.rule == "surge"));
        }
    }
    let by_country = |c: &str| {
        spikes
            .iter()
            .find(|a| a.country == geo::lookup(c))
            .unwrap_or_else(|| panic!("a spike for {c} in {spikes:?}"))
    };
    // Sudan is ranked 1 (top 3): high becomes critical, with the reason.
    let sd = by_country("SD");
    assert_eq!(sd.severity, Severity::Critical);
    let why = sd.explanation.as_deref().unwrap();
    assert!(
        why.contains("raised from high to critical: structural risk 14.9%, rank 1 of 11 (ewp-2015-layout.csv (risk.2015and2016.from2014)) is in the top 3"),
        "{why}"
    );
    // Nigeria is ranked 6: unchanged.
    let ng = by_country("NG");
    assert_eq!(ng.severity, Severity::High);
    assert!(!ng.explanation.as_deref().unwrap().contains("raised"));
}

#[test]
fn the_watchlist_shows_rank_risk_and_source() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        watchfloor(dir.path(), &["baseline", "import", OLD_LAYOUT]).0,
        0
    );
    let config = config::load_str(
        Path::new("w.toml"),
        "[[countries]]\ncode = \"SD\"\n[[countries]]\ncode = \"FR\"\nbaseline = 0.2\n[[countries]]\ncode = \"PE\"\n",
        &|_| None,
    )
    .unwrap();
    let store = SqliteStore::open_existing(dir.path()).unwrap();
    let snapshot = store
        .snapshot(&watchfloor::config::ScreenConfig::from(&config), Utc::now())
        .unwrap();
    let row = |c: &str| {
        snapshot
            .countries
            .iter()
            .find(|r| r.code == geo::lookup(c).unwrap())
            .unwrap()
            .clone()
    };
    let sd = row("SD");
    assert_eq!(sd.rank, Some((1, 11)));
    assert_eq!(sd.baseline, Some(0.149));
    assert_eq!(
        sd.risk_note.as_deref(),
        Some("14.9%, rank 1 of 11 (ewp-2015-layout.csv (risk.2015and2016.from2014))")
    );
    assert_eq!(row("FR").risk_note.as_deref(), Some("20.0% (config)"));
    assert_eq!(row("PE").baseline, None);
}

#[test]
fn an_import_creates_a_data_directory_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("data");
    let (code, out, err) = watchfloor(&data, &["baseline", "import", OLD_LAYOUT]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 11 countries"), "{out}");
    assert!(data.join("watchfloor.db").is_file());
}
