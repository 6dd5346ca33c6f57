//! The brief from a seeded store (the real SQLite file, written through the store's own
//! transactions): the same store always gives the same brief, in each of its four forms, and
//! feed text arrives escaped for each.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use watchfloor::brief::{Format, gather, render};
use watchfloor::config::Severity;
use watchfloor::event::{
    Alert, FeedReport, Status, StatusChange, Triage, TriageAction, TriageTarget,
};
use watchfloor::feed::item::Item;
use watchfloor::geo;
use watchfloor::store::{SqliteStore, Store, StoreTx};

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 6, 0, 0)
        .single()
        .unwrap()
}

pub(crate) const CONFIG: &str = r#"
[[countries]]
code = "SD"
baseline = 0.12
[[countries]]
code = "ML"
[[countries]]
code = "MM"

[[feeds]]
id = "wire"
name = "Demo Wire"
url = "https://wire.example.org/rss"
[[feeds]]
id = "reports"
name = "Situation reports"
url = "https://reports.example.org/api"
[[feeds]]
id = "bulletin"
name = "Weekly bulletin"
url = "https://bulletin.example.org/rss"

[[rules]]
id = "atrocity-terms"
kind = "keywords"
any = ["massacre"]
severity = "high"
"#;

struct Seed<'a> {
    id: &'a str,
    country: Option<&'a str>,
    rule: &'a str,
    kind: &'a str,
    severity: Severity,
    feed: &'a str,
    title: &'a str,
    minutes_ago: i64,
    story: Option<&'a str>,
    sources: &'a [&'a str],
    explanation: Option<&'a str>,
}

fn alert(s: &Seed<'_>) -> (Item, Alert) {
    let at = now() - Duration::minutes(s.minutes_ago);
    let country = s.country.and_then(geo::lookup);
    let key = format!("id:{}", s.id);
    let url = format!("https://{}.example.org/{}", s.feed, s.id);
    let item = Item {
        feed: s.feed.into(),
        key: key.clone(),
        title: s.title.into(),
        url: Some(url.clone()),
        summary: String::new(),
        published: Some(at),
        countries: country.into_iter().collect(),
        values: Vec::new(),
    };
    let alert = Alert {
        id: s.id.into(),
        at,
        country,
        country_name: country.map(|c| c.name().to_string()),
        listed: true,
        rule: s.rule.into(),
        kind: s.kind.into(),
        severity: s.severity,
        feed: s.feed.into(),
        title: s.title.into(),
        url: Some(url),
        published: Some(at),
        matched: Vec::new(),
        field: None,
        value: None,
        limit: None,
        op: None,
        expected: None,
        explanation: s.explanation.map(str::to_string),
        item: key,
        summary: String::new(),
        story: s.story.map(str::to_string),
        sources: s.sources.iter().map(|x| x.to_string()).collect(),
        revision: 1,
        primary: true,
    };
    (item, alert)
}

pub(crate) fn seed(dir: &Path) -> SqliteStore {
    let mut store = SqliteStore::open(dir).unwrap();
    let seeds = [
        Seed {
            id: "a1",
            country: Some("SD"),
            rule: "atrocity-terms",
            kind: "keywords",
            severity: Severity::High,
            feed: "wire",
            title: "Witnesses describe *massacre* near [El Geneina](http://evil.example)",
            minutes_ago: 600,
            story: Some("story-geneina"),
            sources: &["wire.example.org", "radiodabanga.org", "reuters.com"],
            explanation: None,
        },
        Seed {
            id: "a2",
            country: Some("SD"),
            rule: "deaths",
            kind: "threshold",
            severity: Severity::Critical,
            feed: "reports",
            title: "Flash update: shelling of Zamzam camp",
            minutes_ago: 300,
            story: Some("story-zamzam"),
            sources: &["reports.example.org"],
            explanation: Some("31 fatalities (>= 25)"),
        },
        Seed {
            id: "a3",
            country: Some("ML"),
            rule: "atrocity-terms",
            kind: "keywords",
            severity: Severity::High,
            feed: "wire",
            title: "=HYPERLINK(\"http://x\") Villagers killed near Djenné",
            minutes_ago: 200,
            story: Some("story-djenne"),
            sources: &["wire.example.org"],
            explanation: None,
        },
        Seed {
            id: "a4",
            country: None,
            rule: "gone-quiet",
            kind: "silence",
            severity: Severity::Medium,
            feed: "bulletin",
            title: "Feed Weekly bulletin has brought nothing new",
            minutes_ago: 100,
            story: None,
            sources: &[],
            explanation: Some("nothing new for 9h (longest quiet spell over 14 d: 4h; limit 6h)"),
        },
        // Before the period: not in the brief.
        Seed {
            id: "a0",
            country: Some("MM"),
            rule: "atrocity-terms",
            kind: "keywords",
            severity: Severity::High,
            feed: "wire",
            title: "An old report from two days ago",
            minutes_ago: 2 * 24 * 60,
            story: Some("story-old"),
            sources: &["wire.example.org"],
            explanation: None,
        },
    ];
    store
        .write(|tx| {
            for s in &seeds {
                let (item, alert) = alert(s);
                tx.upsert_item(&item, alert.at)?;
                tx.insert_alert(&alert, alert.at)?;
            }
            let sd = geo::lookup("SD").unwrap();
            tx.set_status(
                &StatusChange {
                    at: now() - Duration::minutes(600),
                    country: sd,
                    country_name: "Sudan".into(),
                    from: Status::Watch,
                    to: Status::Warning,
                    reason: "high alert from rule atrocity-terms: Witnesses describe massacre"
                        .into(),
                    factors: Vec::new(),
                },
                now() - Duration::minutes(600),
            )?;
            tx.set_status(
                &StatusChange {
                    at: now() - Duration::minutes(300),
                    country: sd,
                    country_name: "Sudan".into(),
                    from: Status::Warning,
                    to: Status::Critical,
                    reason: "critical alert from rule deaths: Flash update".into(),
                    factors: Vec::new(),
                },
                now() - Duration::minutes(300),
            )?;
            // Evidence for risk factors: two items about Sudan now, one about Mali in the
            // window before (so its factor shows as gone).
            for (country, factor, feed, item, source, minutes) in [
                ("SD", 11u8, "wire", "id:a1", "radiodabanga.org", 600i64),
                ("SD", 11, "reports", "id:a2", "reports.example.org", 300),
                ("SD", 1, "reports", "id:a2", "reports.example.org", 300),
                ("ML", 9, "wire", "id:a3", "wire.example.org", 40 * 24 * 60),
            ] {
                tx.insert_evidence(&watchfloor::rules::evidence::Evidence {
                    country: geo::lookup(country).unwrap(),
                    factor,
                    rule: "pack-rule".into(),
                    feed: feed.into(),
                    item: item.into(),
                    source: source.into(),
                    primary: true,
                    at: now() - Duration::minutes(minutes),
                })?;
            }
            for (feed, ok, minutes, error) in [
                (
                    "reports",
                    false,
                    400,
                    Some("HTTP 503 Service Unavailable (retry after 2m)"),
                ),
                ("reports", false, 350, Some("timed out after 30s")),
                ("reports", true, 300, None),
                ("wire", true, 300, None),
            ] {
                tx.record_feed(
                    &FeedReport {
                        at: now() - Duration::minutes(minutes),
                        feed: feed.into(),
                        ok,
                        http_status: if ok { Some(200) } else { None },
                        items: 10,
                        new: 1,
                        old: 0,
                        not_modified: false,
                        error: error.map(str::to_string),
                        ms: 40,
                        next_poll: None,
                        failures: u32::from(!ok),
                    },
                    None,
                )?;
            }
            Ok(())
        })
        .unwrap();
    for t in [
        Triage {
            at: now() - Duration::minutes(290),
            who: "analyst".into(),
            target: TriageTarget::Alert,
            key: "a2".into(),
            action: TriageAction::Note,
            until: None,
            note: Some("Confirmed with the field office; <b>casualty</b> figures rising.".into()),
        },
        Triage {
            at: now() - Duration::minutes(280),
            who: "duty-officer".into(),
            target: TriageTarget::Alert,
            key: "a2".into(),
            action: TriageAction::Ack,
            until: None,
            note: None,
        },
        Triage {
            at: now() - Duration::minutes(100),
            who: "analyst".into(),
            target: TriageTarget::Country,
            key: "ML".into(),
            action: TriageAction::Note,
            until: None,
            note: Some("Watch Mopti region over the weekend.".into()),
        },
    ] {
        store.record_triage(&t).unwrap();
    }
    store
}

fn brief(format: Format) -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = seed(dir.path());
    let config = watchfloor::config::load_str(Path::new("brief.toml"), CONFIG, &|_| None).unwrap();
    let screen = watchfloor::config::ScreenConfig::from(&config);
    let b = gather(&store, &screen, now() - Duration::hours(24), now()).unwrap();
    render(&b, format)
}

#[test]
fn markdown_brief() {
    let md = brief(Format::Md);
    // The most urgent country leads; the old report is outside the period.
    assert!(md.find("## Sudan").unwrap() < md.find("## Mali").unwrap());
    assert!(!md.contains("old report"));
    // Feed text cannot make links or emphasis.
    assert!(md.contains("\\[El Geneina\\](http://evil.example)"));
    assert!(md.contains("Situation reports** (reports): 2 of the last 3 polls failed, recovered"));
    insta::assert_snapshot!(md);
}

#[test]
fn html_brief() {
    let html = brief(Format::Html);
    assert!(html.contains("&lt;b&gt;casualty&lt;/b&gt;"));
    assert!(!html.contains("<b>casualty"));
    insta::assert_snapshot!(html);
}

#[test]
fn csv_brief() {
    let csv = brief(Format::Csv);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4, "one row per alert of the period");
    // A title a spreadsheet would run as a formula stays text.
    assert!(records.iter().any(|r| r[8].starts_with("'=HYPERLINK")));
    insta::assert_snapshot!(csv);
}

#[test]
fn json_brief() {
    let json = brief(Format::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["alerts"]["critical"], 1);
    assert_eq!(v["countries"][0]["code"], "SD");
    insta::assert_snapshot!(json);
}

#[test]
fn the_same_store_gives_the_same_brief() {
    assert_eq!(brief(Format::Md), brief(Format::Md));
    assert_eq!(brief(Format::Json), brief(Format::Json));
}

#[test]
fn a_windowed_alert_joins_the_story_of_its_item() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = seed(dir.path());
    let (_, mut surge) = alert(&Seed {
        id: "a1-surge",
        country: Some("SD"),
        rule: "atrocity-surge",
        kind: "spike",
        severity: Severity::Critical,
        feed: "wire",
        title: "Witnesses describe *massacre* near [El Geneina](http://evil.example)",
        minutes_ago: 590,
        story: None,
        sources: &[],
        explanation: Some("4 in 6h vs 0.5 per 6h over 28d (8.0x; fires at 4)"),
    });
    surge.item = "id:a1".into();
    store
        .write(|tx| tx.insert_alert(&surge, surge.at).map(drop))
        .unwrap();
    let config = watchfloor::config::load_str(Path::new("brief.toml"), CONFIG, &|_| None).unwrap();
    let screen = watchfloor::config::ScreenConfig::from(&config);
    let b = gather(&store, &screen, now() - Duration::hours(24), now()).unwrap();
    let sudan = b
        .countries
        .iter()
        .find(|c| c.code.as_str() == "SD")
        .unwrap();
    assert_eq!(sudan.stories.len(), 2, "{:#?}", sudan.stories);
    let geneina = sudan
        .stories
        .iter()
        .find(|s| s.title.contains("Geneina"))
        .unwrap();
    assert_eq!(geneina.rules, ["atrocity-terms", "atrocity-surge"]);
    assert_eq!(geneina.severity, Severity::Critical);
    assert_eq!(
        geneina.sources.len(),
        3,
        "the story's publishers, not the feed id"
    );
}
