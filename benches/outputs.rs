//! The ways out, at a busy desk's scale: the day's brief gathered from a store holding 10,000
//! alerts over 60 countries (and rendered as Markdown, HTML, CSV), an Atom feed of 1,000
//! alerts, CAP documents, and shaping one notification for each kind of target.
//! Run with `cargo bench --bench outputs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use watchfloor::brief::{Format, gather, render};
use watchfloor::config::{CapScope, NotifyKind, Severity};
use watchfloor::event::{Alert, Event};
use watchfloor::feed::item::Item;
use watchfloor::outputs::export::{AtomFeed, CapContext, atom_feed, cap_documents};
use watchfloor::outputs::notify::{Message, Queued, shape};
use watchfloor::store::{SqliteStore, Store, StoreTx};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 6, 0, 0)
        .single()
        .unwrap()
}

fn alert(i: usize) -> (Item, Alert) {
    let codes: Vec<_> = watchfloor::geo::all()
        .iter()
        .take(60)
        .map(|c| c.code)
        .collect();
    let country = codes[i % codes.len()];
    let at = now() - Duration::seconds((i * 8) as i64);
    let severity = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ][i % 5];
    let key = format!("id:{i}");
    let title = format!("Report {i}: armed men attacked a village, witnesses say");
    let item = Item {
        feed: format!("feed-{}", i % 20),
        key: key.clone(),
        title: title.clone(),
        url: Some(format!("https://news{}.example.org/{i}", i % 20)),
        summary: "Witnesses described the attack and the displacement that followed.".into(),
        published: Some(at),
        countries: vec![country],
        values: Vec::new(),
    };
    let a = Alert {
        id: format!("{i:032x}"),
        at,
        country: Some(country),
        country_name: Some(country.name().to_string()),
        listed: true,
        rule: format!("rule-{}", i % 6),
        kind: "keywords".into(),
        severity,
        feed: item.feed.clone(),
        title,
        url: item.url.clone(),
        published: Some(at),
        matched: vec!["massacre".into()],
        field: None,
        value: None,
        limit: None,
        op: None,
        expected: None,
        explanation: None,
        item: key,
        summary: item.summary.clone(),
        story: Some(format!("{:016x}", i / 3)),
        sources: vec![format!("news{}.example.org", i % 20)],
        revision: 1,
        primary: true,
    };
    (item, a)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let alerts: Vec<(Item, Alert)> = (0..10_000).map(alert).collect();
    store
        .write(|tx| {
            for (item, a) in &alerts {
                tx.upsert_item(item, a.at)?;
                tx.insert_alert(a, a.at)?;
            }
            Ok(())
        })
        .unwrap();
    let config = watchfloor::config::load_str(
        std::path::Path::new("bench.toml"),
        "[[feeds]]\nid = \"feed-0\"\nurl = \"https://example.org/f\"\n",
        &|_| None,
    )
    .unwrap();
    let screen = watchfloor::config::ScreenConfig::from(&config);
    let since = now() - Duration::hours(24);

    c.bench_function("brief: gather 24h of 10,000 alerts", |b| {
        b.iter(|| black_box(gather(&store, &screen, since, now()).unwrap()))
    });
    let brief = gather(&store, &screen, since, now()).unwrap();
    for (name, format) in [
        ("md", Format::Md),
        ("html", Format::Html),
        ("csv", Format::Csv),
    ] {
        c.bench_function(&format!("brief: render {name}"), |b| {
            b.iter(|| black_box(render(&brief, format)))
        });
    }
    let thousand: Vec<Alert> = alerts.iter().take(1000).map(|(_, a)| a.clone()).collect();
    let feed = AtomFeed {
        id: "urn:watchfloor:bench".into(),
        title: "bench".into(),
        self_url: None,
        now: now(),
    };
    c.bench_function("export: Atom feed of 1,000 alerts", |b| {
        b.iter(|| black_box(atom_feed(&feed, &thousand)))
    });
    let ctx = CapContext {
        sender: "watchfloor@desk.example.org".into(),
        scope: CapScope::Public,
        categories: Default::default(),
    };
    c.bench_function("export: CAP documents of 1,000 alerts", |b| {
        b.iter(|| {
            for a in &thousand {
                black_box(cap_documents(a, None, &ctx));
            }
        })
    });
    let kinds = [
        NotifyKind::Slack {
            url: "https://hooks.slack.com/x".into(),
        },
        NotifyKind::Discord {
            url: "https://discord.com/api/webhooks/x".into(),
        },
        NotifyKind::Teams {
            url: "https://example.org/w".into(),
        },
        NotifyKind::Ntfy {
            url: "https://ntfy.sh/desk".into(),
            token: None,
        },
        NotifyKind::Webhook {
            url: "https://example.org/h".into(),
            secret: Some("s".into()),
            headers: Vec::new(),
        },
    ];
    let queued = Queued {
        seq: 1,
        event: Event::Alert(alerts[0].1.clone()),
    };
    c.bench_function("notify: shape one alert for five kinds", |b| {
        b.iter(|| {
            let m = Message::single(queued.clone());
            for k in &kinds {
                black_box(shape(k, &m));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
