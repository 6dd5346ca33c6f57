//! Every recipe in `config/examples/` passes `check`, and reads a payload in its source's real
//! shape (fixtures the project wrote) into items with a title, a link, the source's own id
//! where it has one, a date, the countries and the values the recipe promises.

use std::path::Path;

use chrono::{TimeZone, Utc};
use watchfloor::feed::item::Item;
use watchfloor::feed::parse::parse;

struct Case {
    example: &'static str,
    fixture: &'static str,
    /// Items keyed by the source's own id (`id:`), else by link.
    own_ids: bool,
    /// The source gives each item a link (ACLED's events have none).
    links: bool,
    /// Every item's countries, in order.
    countries: &'static [&'static [&'static str]],
    /// A value every item carries.
    value: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        example: "usgs.toml",
        fixture: "quakes.geojson",
        own_ids: true,
        links: true,
        countries: &[&["AF"], &["PE"]],
        value: Some("magnitude"),
    },
    Case {
        example: "gdacs.toml",
        fixture: "disasters.rss",
        own_ids: true,
        links: true,
        countries: &[],
        value: Some("alertlevel"),
    },
    Case {
        example: "newsbrief.toml",
        fixture: "examples/newsbrief-en.xml",
        own_ids: true,
        links: true,
        countries: &[&[], &[]],
        value: None,
    },
    Case {
        example: "gdelt-doc.toml",
        fixture: "gdelt.json",
        own_ids: false,
        links: true,
        countries: &[],
        value: None,
    },
    Case {
        example: "reliefweb-api.toml",
        fixture: "examples/reliefweb-v2.json",
        own_ids: true,
        links: true,
        countries: &[&["SD"], &["HT"]],
        value: None,
    },
    Case {
        example: "un-news.toml",
        fixture: "examples/un-news.xml",
        own_ids: true,
        links: true,
        countries: &[&[], &[]],
        value: None,
    },
    Case {
        example: "acled.toml",
        fixture: "examples/acled.json",
        own_ids: true,
        links: false,
        countries: &[&["SD"], &["ML"]],
        value: Some("fatalities"),
    },
    Case {
        example: "ucdp.toml",
        fixture: "examples/ucdp-ged.json",
        own_ids: true,
        links: false,
        countries: &[&["SD"], &["CD"], &["MM"]],
        value: Some("deaths"),
    },
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_recipe_reads_its_source_shape_whole() {
    let now = Utc.with_ymd_and_hms(2025, 5, 6, 0, 0, 0).single().unwrap();
    let mut listed: Vec<String> = std::fs::read_dir(root().join("config/examples"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    listed.sort();
    let mut tested: Vec<String> = CASES.iter().map(|c| c.example.to_string()).collect();
    tested.sort();
    assert_eq!(listed, tested, "every example has a case");

    for case in CASES {
        let path = root().join("config/examples").join(case.example);
        // Placeholders are filled with stand-ins: recipes name the secrets they need.
        let text = std::fs::read_to_string(&path).unwrap();
        let config = watchfloor::config::load_str(&path, &text, &|_| Some("stand-in".into()))
            .unwrap_or_else(|e| panic!("{}: {e}", case.example));
        assert_eq!(config.feeds.len(), 1, "{}", case.example);
        let feed = &config.feeds[0];
        let body = std::fs::read(root().join("tests/fixtures").join(case.fixture)).unwrap();
        let items: Vec<Item> =
            parse(&body, feed, 1000, now).unwrap_or_else(|e| panic!("{}: {e}", case.example));
        assert!(items.len() >= 2, "{}: {} items", case.example, items.len());
        for (i, it) in items.iter().enumerate() {
            let at = format!("{} item {i}", case.example);
            assert!(!it.title.trim().is_empty(), "{at}: empty title");
            if case.links {
                assert!(
                    it.url.as_deref().is_some_and(|u| u.starts_with("http")),
                    "{at}: no link: {:?}",
                    it.url
                );
            }
            assert!(it.published.is_some(), "{at}: no date");
            if case.own_ids {
                assert!(it.key.starts_with("id:"), "{at}: keyed by {}", it.key);
            } else {
                assert!(it.key.starts_with("link:"), "{at}: keyed by {}", it.key);
            }
            if let Some(want) = case.countries.get(i) {
                let got: Vec<String> = it.countries.iter().map(|c| c.to_string()).collect();
                assert_eq!(got, *want, "{at}: countries");
            }
            if let Some(v) = case.value {
                assert!(
                    it.values.iter().any(|(name, _)| name == v),
                    "{at}: no {v} in {:?}",
                    it.values
                );
            }
        }
    }
}

#[test]
fn every_recipe_passes_check() {
    for entry in std::fs::read_dir(root().join("config/examples")).unwrap() {
        let path = entry.unwrap().path();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_watchfloor"))
            .args(["check", "--config"])
            .arg(&path)
            .env("RELIEFWEB_APPNAME", "stand-in")
            .env("ACLED_EMAIL", "stand-in")
            .env("ACLED_PASSWORD", "stand-in")
            .env("UCDP_TOKEN", "stand-in")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn templated_titles_name_what_where_and_who() {
    let now = Utc.with_ymd_and_hms(2025, 5, 6, 0, 0, 0).single().unwrap();
    for (example, fixture, want) in [
        (
            "acled.toml",
            "examples/acled.json",
            "Attack in El Fasher (North Darfur, Sudan): Fictional militia",
        ),
        (
            "ucdp.toml",
            "examples/ucdp-ged.json",
            "Fictional armed group - Civilians: near El Geneina, Sudan",
        ),
    ] {
        let path = root().join("config/examples").join(example);
        let text = std::fs::read_to_string(&path).unwrap();
        let config =
            watchfloor::config::load_str(&path, &text, &|_| Some("stand-in".into())).unwrap();
        let body = std::fs::read(root().join("tests/fixtures").join(fixture)).unwrap();
        let items = parse(&body, &config.feeds[0], 1000, now).unwrap();
        assert_eq!(items[0].title, want, "{example}");
    }
}
