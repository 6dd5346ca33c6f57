//! Drawing one frame: a 200x60 terminal with 250 countries and 10,000 alerts, on the watchlist,
//! on the alert list, and on the alert list filtered with `sev:crit village` (ratatui's TestBackend, so the cost is the views', not a terminal's).
//! Run with `cargo bench --bench screen`; the goal is under 2 ms a frame.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/screen.rs"]
#[allow(dead_code)]
mod screen;

use std::hint::black_box;

use chrono::Duration;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use watchfloor::config::Severity;
use watchfloor::event::Status;
use watchfloor::geo;
use watchfloor::store::TriageState;
use watchfloor::store::snapshot::CountryRow;
use watchfloor::tui::app::{App, Mode};
use watchfloor::tui::keymap::KeyMap;
use watchfloor::tui::theme::Theme;
use watchfloor::tui::view;

fn big_app() -> App {
    let mut snapshot = screen::snapshot();
    let statuses = [
        Status::Quiet,
        Status::Watch,
        Status::Warning,
        Status::Critical,
    ];
    snapshot.countries = geo::all()
        .iter()
        .take(250)
        .enumerate()
        .map(|(i, c)| CountryRow {
            code: c.code,
            name: c.name.to_string(),
            listed: i % 3 != 0,
            baseline: (i % 5 != 0).then_some(i as f64 / 1000.0),
            rank: (i % 7 == 0).then_some((i as u32 + 1, 162)),
            risk_note: None,
            notes: String::new(),
            status: statuses[i % 4],
            alerts_24h: (i % 9) as u32,
            alerts_window: (i % 13) as u32,
            daily: [0, 1, 2, 3, 2, 1, (i % 5) as u32],
            newest: Some(screen::now() - Duration::minutes(i as i64)),
            triage: TriageState::default(),
            no_data: false,
            factors: Vec::new(),
        })
        .collect();
    let codes: Vec<&str> = geo::all().iter().map(|c| c.code.as_str()).collect();
    snapshot.alerts = (0..10_000)
        .map(|i| {
            screen::alert(
                &format!("a{i}"),
                Some(codes[i % codes.len()]),
                "atrocity-terms",
                "keywords",
                Severity::ALL[i % 5],
                "wire",
                &format!("Armed men attack village {i} as fighting spreads across the region"),
                "Residents said the attackers arrived at dawn.",
                i as i64,
                &["attack"],
            )
        })
        .collect();
    let mut app = App::new(
        KeyMap::default(),
        Mode::Live,
        "config/watchfloor.toml".into(),
        "analyst".into(),
        Some(Severity::High),
        screen::now(),
    );
    app.set_snapshot(snapshot);
    app
}

fn bench(c: &mut Criterion) {
    let mut app = big_app();
    let theme = Theme::new(true);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut group = c.benchmark_group("frame_200x60");
    group.bench_function("watchlist_250_countries", |b| {
        b.iter(|| {
            terminal
                .draw(|f| view::draw(f, black_box(&app), &theme))
                .unwrap();
        });
    });
    app.handle_key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('2'),
        crossterm::event::KeyModifiers::NONE,
    ));
    group.bench_function("alerts_10000", |b| {
        b.iter(|| {
            terminal
                .draw(|f| view::draw(f, black_box(&app), &theme))
                .unwrap();
        });
    });
    for ch in "/sev:crit village".chars() {
        app.handle_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(ch),
            crossterm::event::KeyModifiers::NONE,
        ));
    }
    group.bench_function("alerts_10000_filtered", |b| {
        b.iter(|| {
            terminal
                .draw(|f| view::draw(f, black_box(&app), &theme))
                .unwrap();
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
