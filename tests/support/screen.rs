//! A realistic snapshot for screen tests: fixed time, statuses, triage, long titles and
//! non-Latin scripts, healthy, failing and disabled feeds.

use chrono::{DateTime, Duration, TimeZone, Utc};
use watchfloor::config::Severity;
use watchfloor::event::{Alert, FeedReport, Status};
use watchfloor::geo;
use watchfloor::store::TriageState;
use watchfloor::store::snapshot::{AlertRow, CountryRow, FeedRow, Snapshot};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .unwrap()
}

#[allow(clippy::too_many_arguments)]
fn country(
    code: &str,
    listed: bool,
    baseline: Option<f64>,
    status: Status,
    a24: u32,
    win: u32,
    daily: [u32; 7],
    newest_min: Option<i64>,
) -> CountryRow {
    let c = geo::lookup(code).unwrap();
    CountryRow {
        code: c,
        name: c.name().to_string(),
        listed,
        baseline,
        rank: None,
        risk_note: None,
        notes: String::new(),
        status,
        alerts_24h: a24,
        alerts_window: win,
        daily,
        newest: newest_min.map(|m| now() - Duration::minutes(m)),
        triage: TriageState::default(),
        no_data: false,
        factors: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn alert(
    id: &str,
    code: Option<&str>,
    rule: &str,
    kind: &str,
    severity: Severity,
    feed: &str,
    title: &str,
    summary: &str,
    minutes_ago: i64,
    matched: &[&str],
) -> AlertRow {
    let c = code.and_then(geo::lookup);
    AlertRow {
        alert: Alert {
            id: id.to_string(),
            at: now() - Duration::minutes(minutes_ago),
            country: c,
            country_name: c.map(|c| c.name().to_string()),
            listed: c.is_some_and(|c| ["SD", "ML", "MM", "NE", "CD"].contains(&c.as_str())),
            rule: rule.to_string(),
            kind: kind.to_string(),
            severity,
            feed: feed.to_string(),
            title: title.to_string(),
            url: Some(format!("https://news.test/{id}")),
            published: Some(now() - Duration::minutes(minutes_ago + 5)),
            matched: matched.iter().map(|s| s.to_string()).collect(),
            field: None,
            value: None,
            limit: None,
            op: None,
            item: format!("id:{id}"),
            summary: summary.to_string(),
            expected: None,
            explanation: None,
            story: None,
            sources: Vec::new(),
            revision: 1,
            primary: true,
        },
        triage: TriageState::default(),
        also_in: Vec::new(),
    }
}

fn feed(id: &str, name: &str, enabled: bool, report: Option<FeedReport>) -> FeedRow {
    FeedRow {
        id: id.to_string(),
        name: name.to_string(),
        url: format!("https://{id}.test/feed"),
        enabled,
        interval: std::time::Duration::from_secs(600),
        last_ok: report.as_ref().filter(|r| r.ok).map(|r| r.at),
        failing_since: report
            .as_ref()
            .filter(|r| !r.ok)
            .map(|r| r.at - Duration::hours(2)),
        last_error: report.as_ref().and_then(|r| r.error.clone()),
        last: report,
    }
}

fn report(
    ok: bool,
    minutes_ago: i64,
    status: Option<u16>,
    items: usize,
    error: Option<&str>,
    failures: u32,
) -> FeedReport {
    FeedReport {
        at: now() - Duration::minutes(minutes_ago),
        feed: String::new(),
        ok,
        http_status: status,
        items,
        new: if ok { 2 } else { 0 },
        old: 0,
        not_modified: false,
        error: error.map(str::to_string),
        ms: 412,
        next_poll: Some(now() + Duration::minutes(7)),
        failures,
    }
}

pub fn snapshot() -> Snapshot {
    let mut sd = country(
        "SD",
        true,
        Some(0.31),
        Status::Critical,
        6,
        14,
        [0, 1, 2, 1, 3, 4, 6],
        Some(3),
    );
    sd.triage.acked = Some(("analyst".into(), now() - Duration::minutes(10)));
    sd.notes = "Darfur, Kordofan".into();
    let mut ml = country(
        "ML",
        true,
        Some(0.18),
        Status::Warning,
        2,
        5,
        [1, 0, 0, 2, 0, 1, 2],
        Some(42),
    );
    ml.triage.snoozed = Some(("analyst".into(), now() + Duration::hours(3)));
    let mut mm = country(
        "MM",
        true,
        Some(0.24),
        Status::Watch,
        1,
        2,
        [0, 0, 1, 0, 0, 0, 1],
        Some(130),
    );
    mm.triage.notes.push((
        "analyst".into(),
        now() - Duration::hours(1),
        "Check Rakhine reports".into(),
    ));
    let ne = country("NE", true, Some(0.09), Status::Quiet, 0, 0, [0; 7], None);
    let cd = country("CD", true, None, Status::Quiet, 0, 0, [0; 7], None);
    let ng = country(
        "NG",
        false,
        None,
        Status::Watch,
        1,
        1,
        [0, 0, 0, 0, 0, 0, 1],
        Some(7),
    );

    let long_title = "Witnesses describe a massacre in a village outside Geneina as fighters went from house to house, \
        according to survivors who reached the border town of Adré after walking for three days without water";
    let mut a1 = alert(
        "a1",
        Some("SD"),
        "atrocity-terms",
        "keywords",
        Severity::High,
        "newsbrief-en",
        long_title,
        "Survivors said the massacre began at dawn. A local monitor called it a massacre of civilians.",
        3,
        &["massacre ×2"],
    );
    a1.triage.acked = Some(("analyst".into(), now() - Duration::minutes(1)));
    a1.also_in = vec!["gdelt-atrocity".into()];
    let a2 = alert(
        "a2",
        Some("SD"),
        "atrocity-surge",
        "count",
        Severity::Critical,
        "newsbrief-en",
        "Reports of mass killings in Kordofan town",
        "",
        4,
        &[],
    );
    let mut a2 = a2;
    a2.alert.value = Some(5.0);
    a2.alert.limit = Some(5.0);
    a2.alert.op = Some(">=".into());
    let a3 = alert(
        "a3",
        Some("SD"),
        "atrocity-terms",
        "keywords",
        Severity::High,
        "newsbrief-ar",
        "السودان: مقتل مدنيين في مجزرة قرب الفاشر",
        "قال شهود إن مجزرة وقعت في قرية قرب الفاشر",
        9,
        &["مجزرة"],
    );
    let a4 = alert(
        "a4",
        Some("ML"),
        "violence",
        "keywords",
        Severity::Medium,
        "newsbrief-fr",
        "Mali : des civils tués près de Ségou, selon des témoins",
        "Des hommes armés ont tué des civils.",
        42,
        &["tués"],
    );
    let mut a5 = alert(
        "a5",
        Some("MM"),
        "quake-strong",
        "threshold",
        Severity::Medium,
        "usgs-significant",
        "M 6.7 - 40 km NNW of Sagaing, Myanmar",
        "",
        130,
        &[],
    );
    a5.alert.field = Some("magnitude".into());
    a5.alert.value = Some(6.7);
    a5.alert.limit = Some(6.5);
    a5.alert.op = Some(">=".into());
    let a6 = alert(
        "a6",
        None,
        "atrocity-terms",
        "keywords",
        Severity::High,
        "gdelt-atrocity",
        "Россия: сообщения о массовых убийствах не подтверждены; 報道によると虐殺の疑い",
        "",
        150,
        &["massacre"],
    );
    let a7 = alert(
        "a7",
        Some("NG"),
        "displacement",
        "keywords",
        Severity::Low,
        "reliefweb-updates",
        "Floods displace thousands around Maiduguri",
        "Seasonal flooding has displaced families.",
        7,
        &["displace*"],
    );

    Snapshot {
        heartbeat: None,
        drill: Default::default(),
        collector_gone: false,
        collectors: Vec::new(),
        notify: Vec::new(),
        at: now(),
        countries: vec![
            CountryRow {
                factors: vec![1, 7, 11],
                ..sd
            },
            CountryRow {
                factors: vec![1, 8],
                ..ml
            },
            mm,
            ne,
            cd,
            ng,
        ],
        alerts: vec![a1, a2, a3, a7, a4, a5, a6],
        feeds: vec![
            feed(
                "newsbrief-en",
                "EMM NewsBrief (English)",
                true,
                Some(report(true, 2, Some(200), 120, None, 0)),
            ),
            feed(
                "gdelt-atrocity",
                "GDELT: atrocity terms",
                true,
                Some(report(
                    false,
                    5,
                    Some(429),
                    0,
                    Some("HTTP 429 Too Many Requests (retry after 2m)"),
                    3,
                )),
            ),
            feed(
                "usgs-significant",
                "USGS significant earthquakes",
                true,
                Some(report(
                    false,
                    1,
                    None,
                    0,
                    Some(
                        "DNS lookup for earthquake.usgs.gov failed: failed to lookup address information",
                    ),
                    1,
                )),
            ),
            feed("reliefweb-updates", "ReliefWeb updates", true, None),
            feed("acled", "ACLED events", false, None),
        ],
    }
}
