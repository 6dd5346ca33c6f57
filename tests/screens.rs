//! Every view drawn on ratatui's TestBackend at 80x24 (compact) and 160x48, checked against
//! snapshots in `tests/snapshots/`. Colour is off so the snapshots show what a NO_COLOR user
//! reads: statuses must make sense as symbols and words alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::screen::{self, now};
use watchfloor::config::Severity;
use watchfloor::store::snapshot::Snapshot;
use watchfloor::tui::app::{App, Mode};
use watchfloor::tui::keymap::KeyMap;
use watchfloor::tui::theme::Theme;
use watchfloor::tui::view;

fn app_with(snapshot: Snapshot, keys: &[KeyCode]) -> App {
    let mut app = App::new(
        KeyMap::default(),
        Mode::Live,
        "config/watchfloor.toml".into(),
        "analyst".into(),
        Some(Severity::High),
        now(),
    );
    app.set_snapshot(snapshot);
    for k in keys {
        app.handle_key(KeyEvent::new(*k, KeyModifiers::NONE));
    }
    app
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| view::draw(f, app, &Theme::new(false)))
        .unwrap();
    terminal.backend().to_string()
}

fn check(name: &str, keys: &[KeyCode]) {
    let app = app_with(screen::snapshot(), keys);
    insta::assert_snapshot!(format!("{name}_80x24"), render(&app, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), render(&app, 160, 48));
}

use KeyCode::{Char, Down, Enter};

#[test]
fn watchlist() {
    check("watchlist", &[]);
}

#[test]
fn alerts_all() {
    check("alerts", &[Char('2')]);
}

#[test]
fn alerts_for_one_country() {
    check("alerts_sudan", &[Enter]);
}

#[test]
fn detail_with_long_title_and_highlights() {
    check("detail", &[Char('2'), Enter]);
}

#[test]
fn detail_in_arabic() {
    check("detail_arabic", &[Char('2'), Down, Down, Enter]);
}

#[test]
fn feeds() {
    check("feeds", &[Char('3')]);
}

#[test]
fn help() {
    check("help", &[Char('?')]);
}

#[test]
fn snooze_prompt() {
    check("snooze_prompt", &[Down, Char('z')]);
}

#[test]
fn empty_watchlist() {
    let app = app_with(
        Snapshot {
            at: now(),
            ..Snapshot::default()
        },
        &[],
    );
    insta::assert_snapshot!("empty_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("empty_160x48", render(&app, 160, 48));
}

#[test]
fn too_small_says_so() {
    let app = app_with(screen::snapshot(), &[]);
    let out = render(&app, 50, 10);
    assert!(out.contains("Terminal too small: 50x10"), "{out}");
}

#[test]
fn a_stopped_collector_is_shown_across_the_screen_and_q_still_quits() {
    let mut app = app_with(screen::snapshot(), &[]);
    app.banner =
        Some("Collector stopped: database full. Nothing new will appear; press q to quit.".into());
    let screen = render(&app, 80, 24);
    let second_line = screen.lines().nth(1).unwrap();
    assert!(
        second_line.contains("Collector stopped: database full"),
        "{screen}"
    );
    insta::assert_snapshot!("collector_stopped_80x24", screen);
    app.handle_key(KeyEvent::new(Char('q'), KeyModifiers::NONE));
    assert!(app.quit);
}

#[test]
fn detail_names_the_publishers_and_why() {
    let mut snapshot = screen::snapshot();
    let first = &mut snapshot.alerts[0].alert;
    first.sources = vec!["reuters.com".into(), "aljazeera.com".into()];
    first.revision = 2;
    first.explanation =
        Some("carried by 2 publishers within 12h: reuters.com, aljazeera.com".into());
    let app = app_with(snapshot, &[Char('2'), Enter]);
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("Sources    reuters.com, aljazeera.com (revision 2)"),
        "{screen}"
    );
    assert!(
        screen.contains("Why        carried by 2 publishers within 12h"),
        "{screen}"
    );
}

#[test]
fn a_silent_collector_is_an_alarm_and_a_banner() {
    let mut snapshot = screen::snapshot();
    snapshot.heartbeat = Some(watchfloor::store::Heartbeat {
        at: now() - chrono::Duration::minutes(6),
        started: now() - chrono::Duration::hours(2),
        pid: 4242,
        host: "collector-1".into(),
    });
    let app = app_with(snapshot.clone(), &[]);
    let screen = render(&app, 80, 24);
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[0].contains("COLLECTOR SILENT 6m"), "{screen}");
    assert!(
        lines[1].contains("Collector silent since 11:54 (6 min)"),
        "{screen}"
    );
    insta::assert_snapshot!("collector_silent_80x24", screen);

    // A heartbeat 10 s old is a collector at work: no alarm.
    snapshot.heartbeat.as_mut().unwrap().at = now() - chrono::Duration::seconds(10);
    let screen = render(&app_with(snapshot, &[]), 80, 24);
    assert!(!screen.contains("SILENT"), "{screen}");
    assert!(
        !screen.to_lowercase().contains("collector silent"),
        "{screen}"
    );
}

#[test]
fn a_feed_past_its_schedule_is_late_and_one_never_polled_is_pending() {
    let mut snapshot = screen::snapshot();
    let first = snapshot.feeds[0].last.as_mut().unwrap();
    // A 10 min interval: late once more than 10 min past its scheduled poll.
    first.next_poll = Some(now() - chrono::Duration::minutes(12));
    let app = app_with(snapshot, &[Char('3')]);
    let screen = render(&app, 160, 48);
    assert!(screen.contains("◷ LATE    newsbrief-en"), "{screen}");
    assert!(screen.contains("its poll was due 12m ago"), "{screen}");
    assert!(screen.contains("… pending reliefweb-updates"), "{screen}");
    assert!(
        screen.contains("feeds 0/4 ok, 1 late, 1 pending"),
        "{screen}"
    );
}

#[test]
fn the_detail_view_scrolls_to_its_last_line_at_the_smallest_size() {
    let mut app = app_with(screen::snapshot(), &[Char('2'), Enter]);
    let top = render(&app, 80, 15);
    assert!(top.contains("j/k PgUp/PgDn g/G scroll"), "{top}");
    let summary_end = {
        let summary = &app.selected_alert().unwrap().alert.summary;
        let words: Vec<&str> = summary.split_whitespace().collect();
        words[words.len().saturating_sub(2)..].join(" ")
    };
    assert!(!top.contains(&summary_end), "the end is below: {top}");
    app.handle_key(KeyEvent::new(Char('G'), KeyModifiers::NONE));
    let bottom = render(&app, 80, 15);
    assert!(bottom.contains(&summary_end), "G shows the end: {bottom}");
    // j past the end stays at the end; g returns to the top.
    for _ in 0..50 {
        app.handle_key(KeyEvent::new(Char('j'), KeyModifiers::NONE));
    }
    assert_eq!(render(&app, 80, 15), bottom);
    app.handle_key(KeyEvent::new(Char('g'), KeyModifiers::NONE));
    assert_eq!(render(&app, 80, 15), top);
    app.handle_key(KeyEvent::new(Char('k'), KeyModifiers::NONE));
    assert_eq!(render(&app, 80, 15), top, "k at the top stays there");
}

#[test]
fn quiet_without_working_feeds_is_no_data_and_the_alert_list_says_why_it_is_empty() {
    let mut snapshot = screen::snapshot();
    let ne = snapshot
        .countries
        .iter_mut()
        .find(|r| r.code.as_str() == "NE")
        .unwrap();
    ne.no_data = true;
    let screen = render(&app_with(snapshot.clone(), &[]), 160, 48);
    assert!(screen.contains("? NO DATA NE  Niger"), "{screen}");
    assert!(screen.contains("· quiet   CD  DR Congo"), "{screen}");

    // Every enabled feed failing, no alerts: the list does not pretend all is calm.
    let failed = snapshot
        .feeds
        .iter()
        .find_map(|f| f.last.clone().filter(|r| !r.ok))
        .unwrap();
    for f in snapshot.feeds.iter_mut().filter(|f| f.enabled) {
        f.last = Some(failed.clone());
    }
    snapshot.alerts.clear();
    let screen = render(&app_with(snapshot, &[Char('2')]), 160, 48);
    assert!(
        screen.contains("No alerts, but every feed is failing (4 of 4): none could arrive."),
        "{screen}"
    );
}

#[test]
fn enter_on_a_feed_shows_its_whole_error_and_schedule() {
    // The DNS error is cut at the column's edge in the list.
    let list = render(&app_with(screen::snapshot(), &[Char('3')]), 160, 48);
    let row = list
        .lines()
        .find(|l| l.contains("usgs-significant"))
        .unwrap();
    assert!(!row.contains("times)"), "{row}");
    let mut app = app_with(screen::snapshot(), &[Char('3'), Down, Down, Enter]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("usgs-significant"), "{screen}");
    assert!(screen.contains("FAILING"), "{screen}");
    assert!(
        screen.contains("failed to lookup address information"),
        "the whole error, wrapped: {screen}"
    );
    insta::assert_snapshot!("feed_80x24", screen);
    app.handle_key(KeyEvent::new(Char('q'), KeyModifiers::NONE));
    assert!(!app.quit, "q leaves the feed view");
    assert!(render(&app, 80, 24).contains("5 feeds"));
}

#[test]
fn a_click_selects_a_row_and_a_second_click_opens_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with(screen::snapshot(), &[]);
    let click = |app: &mut App, row: u16| {
        app.handle_mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 20,
            row,
            modifiers: KeyModifiers::NONE,
        });
    };
    let screen = render(&app, 160, 48);
    let row_of =
        |screen: &str, text: &str| screen.lines().position(|l| l.contains(text)).unwrap() as u16;
    // Below the "not listed" separator: the click must skip it when counting rows.
    let ng = row_of(&screen, "NG  Nigeria");
    click(&mut app, ng);
    assert_eq!(app.selected_country().unwrap().code.as_str(), "NG");
    click(&mut app, row_of(&screen, "not listed"));
    assert_eq!(
        app.selected_country().unwrap().code.as_str(),
        "NG",
        "the separator is no row"
    );
    let mm = row_of(&screen, "MM  Myanmar");
    click(&mut app, mm);
    assert_eq!(app.selected_country().unwrap().code.as_str(), "MM");
    render(&app, 160, 48);
    click(&mut app, mm);
    assert_eq!(
        app.view,
        watchfloor::tui::app::View::Alerts,
        "a second click opens"
    );
}

#[test]
fn one_country_is_one_country() {
    let mut snapshot = screen::snapshot();
    snapshot.countries.truncate(1);
    let screen = render(&app_with(snapshot, &[]), 80, 24);
    assert!(screen.contains(" 1 country, 1 listed "), "{screen}");
}
