//! The country an item is about: the first its title names (else its text, as a dateline
//! does), or the source's own country field. Every tagged country alerts by default, each
//! marked `primary` or not; a rule with `primary_only = true` alerts for that one alone. An
//! item about two countries joined as equals ("France and Germany ...") has no primary one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use watchfloor::config;
use watchfloor::feed::item::Item;
use watchfloor::geo;
use watchfloor::rules::engine::Engine;

const CONFIG: &str = r#"
[[feeds]]
id = "wire"
url = "https://wire.test/feed"
[[rules]]
id = "any"
kind = "keywords"
any = ["clashes"]
severity = "medium"
[[rules]]
id = "about"
kind = "keywords"
any = ["clashes"]
primary_only = true
severity = "high"
"#;

fn alerts(title: &str, summary: &str, countries: &[&str]) -> Vec<(String, String, bool)> {
    let config = config::load_str(Path::new("p.toml"), CONFIG, &|_| None).unwrap();
    let mut engine = Engine::new(&config).unwrap();
    let item = Item {
        feed: "wire".into(),
        key: "id:1".into(),
        title: title.into(),
        url: None,
        summary: summary.into(),
        published: None,
        countries: countries.iter().map(|c| geo::lookup(c).unwrap()).collect(),
        values: Vec::new(),
    };
    let now = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let mut out: Vec<(String, String, bool)> = engine
        .process(&item, now, false)
        .alerts
        .into_iter()
        .map(|a| (a.rule, a.country.unwrap().to_string(), a.primary))
        .collect();
    out.sort();
    out
}

fn row(rule: &str, country: &str, primary: bool) -> (String, String, bool) {
    (rule.into(), country.into(), primary)
}

#[test]
fn the_title_names_the_primary_country_and_primary_only_keeps_it_alone() {
    assert_eq!(
        alerts(
            "Clashes in Mali's Mopti region",
            "Residents fled toward Burkina Faso, officials in Niger said.",
            &[]
        ),
        [
            row("about", "ML", true),
            row("any", "BF", false),
            row("any", "ML", true),
            row("any", "NE", false),
        ]
    );
}

#[test]
fn without_a_country_in_the_title_the_dateline_is_primary() {
    assert_eq!(
        alerts(
            "Dozens dead as clashes spread",
            "KHARTOUM, Sudan - Fighting near the border with Chad displaced thousands.",
            &[]
        ),
        [
            row("about", "SD", true),
            row("any", "SD", true),
            row("any", "TD", false),
        ]
    );
}

#[test]
fn a_sources_own_country_field_is_primary() {
    assert_eq!(
        alerts("Clashes reported", "", &["SS", "SD"]),
        [
            row("about", "SS", true),
            row("any", "SD", false),
            row("any", "SS", true),
        ]
    );
}

#[test]
fn two_countries_joined_as_equals_make_no_one_primary() {
    // Both alert, neither as the country the item is about, and a primary_only rule is silent.
    assert_eq!(
        alerts(
            "Japan and South Korea trade accusations after naval clashes",
            "",
            &[]
        ),
        [row("any", "JP", false), row("any", "KR", false)]
    );
    assert_eq!(
        alerts(
            "Le Maroc et l'Algérie s'accusent après des clashes",
            "",
            &[]
        ),
        [row("any", "DZ", false), row("any", "MA", false)]
    );
    // A place named for one of them still says where it happens.
    assert_eq!(
        alerts("Kenya and Somalia report clashes in Mandera", "", &[]),
        [
            row("about", "KE", true),
            row("any", "KE", true),
            row("any", "SO", false),
        ]
    );
    // Listed with a place of their own, not as equals: the place decides.
    assert_eq!(
        alerts("Clashes in Chad and Sudan border towns", "", &[]),
        [
            row("about", "TD", true),
            row("any", "SD", false),
            row("any", "TD", true),
        ]
    );
}
