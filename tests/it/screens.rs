//! Every view drawn on ratatui's TestBackend at 80x24 (compact) and 160x48, checked against
//! snapshots in `tests/snapshots/`. Colour is off so the snapshots show what a NO_COLOR user
//! reads: statuses must make sense as symbols and words alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

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
    check("alerts_sudan", &[Enter, Enter]);
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
fn feeds_with_notification_targets() {
    use watchfloor::store::snapshot::NotifyRow;
    let mut snap = screen::snapshot();
    snap.notify = vec![
        NotifyRow {
            id: "desk-slack".into(),
            kind: "slack".into(),
            ok: true,
            error: None,
            failures: 0,
            pending: 0,
            last_ok: Some(now() - chrono::Duration::minutes(4)),
            updated: now(),
        },
        NotifyRow {
            id: "duty-phone".into(),
            kind: "ntfy".into(),
            ok: false,
            error: Some("HTTP 503 Service Unavailable: busy".into()),
            failures: 7,
            pending: 3,
            last_ok: Some(now() - chrono::Duration::hours(2)),
            updated: now(),
        },
    ];
    let app = app_with(snap, &[Char('3')]);
    let small = render(&app, 80, 24);
    assert!(
        small.contains("2 notification targets, 1 failing"),
        "{small}"
    );
    insta::assert_snapshot!("feeds_notify_80x24", small);
    insta::assert_snapshot!("feeds_notify_160x48", render(&app, 160, 48));
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
        watchfloor::tui::app::View::Country,
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

/// Sudan's evidence as the loader reads it: a status history, a month of counts, two stories
/// and a note.
fn sudan_detail() -> watchfloor::store::drill::CountryDetail {
    use watchfloor::event::Status;
    use watchfloor::store::drill::{CountryDetail, DayCount, NoteLine, StatusStep, StoryLine};
    let at = |h: i64| now() - chrono::Duration::hours(h);
    CountryDetail {
        code: watchfloor::geo::lookup("SD").unwrap(),
        history: vec![
            StatusStep {
                at: at(1),
                from: Status::Warning,
                to: Status::Critical,
                reason:
                    "critical alert from atrocity-surge: 12 in 6 h vs 1.4 per 6 h over 28 d (8.6x)"
                        .into(),
            },
            StatusStep {
                at: at(30),
                from: Status::Quiet,
                to: Status::Warning,
                reason: "2 high alerts in 24 h".into(),
            },
        ],
        days: (0..30)
            .map(|d| DayCount {
                items: 3 + d % 5,
                alerts: d.saturating_sub(24),
            })
            .collect(),
        stories: vec![StoryLine {
            title: "Reports of mass killings in Kordofan town".into(),
            newest: at(0),
            severity: Severity::Critical,
            alerts: 3,
            rules: vec!["atrocity-surge".into(), "atrocity-terms".into()],
            sources: vec![
                "newsbrief-en".into(),
                "newsbrief-ar".into(),
                "reliefweb".into(),
            ],
        }],
        notes: vec![NoteLine {
            at: at(2),
            who: "analyst".into(),
            about: "country".into(),
            text: "Call with the field office at 16:00".into(),
        }],
        board: (1..=14)
            .map(|factor| watchfloor::rules::evidence::FactorRow {
                factor,
                count: match factor {
                    1 => 14,
                    7 => 3,
                    11 => 5,
                    _ => 0,
                },
                sources: match factor {
                    1 => 6,
                    7 => 2,
                    11 => 3,
                    _ => 0,
                },
                previous: match factor {
                    1 => 9,
                    11 => 5,
                    _ => 0,
                },
                newest: match factor {
                    1 => Some((at(3), "Shelling of El Fasher continues".into(), None)),
                    7 => Some((
                        at(26),
                        "Paramilitary recruits in Nyala, residents say".into(),
                        None,
                    )),
                    11 => Some((
                        at(5),
                        "Witnesses describe massacre in village outside Geneina".into(),
                        None,
                    )),
                    _ => None,
                },
            })
            .collect(),
        evidence_window: std::time::Duration::from_secs(30 * 86_400),
    }
}

#[test]
fn the_country_view_shows_history_chart_stories_and_notes() {
    let mut snapshot = screen::snapshot();
    snapshot.drill.country = Some(sudan_detail());
    let app = app_with(snapshot, &[Enter]);
    let wide = render(&app, 160, 48);
    for needed in [
        "SD Sudan",
        "WARN",
        "12 in 6 h vs 1.4 per 6 h over 28 d (8.6x)",
        "Last 30 days",
        "from newsbrief-en, newsbrief-ar, reliefweb",
        "Call with the field office",
    ] {
        assert!(wide.contains(needed), "{needed:?} missing:\n{wide}");
    }
    insta::assert_snapshot!("country_160x48", wide);
    insta::assert_snapshot!("country_80x24", render(&app, 80, 24));
}

#[test]
fn the_feed_view_lists_the_last_polls() {
    use watchfloor::event::FeedReport;
    let mut snapshot = screen::snapshot();
    let feed = snapshot.feeds[0].id.clone();
    let polls: Vec<FeedReport> = (0..25)
        .map(|i| FeedReport {
            at: now() - chrono::Duration::minutes(5 * i),
            feed: feed.clone(),
            ok: i != 3,
            http_status: Some(if i == 3 { 503 } else { 200 }),
            items: 40,
            new: u32::try_from(i % 3).unwrap() as usize,
            old: 0,
            not_modified: i == 1,
            error: (i == 3).then(|| "HTTP 503 Service Unavailable".into()),
            ms: 120 + u64::try_from(i).unwrap(),
            next_poll: None,
            failures: 0,
        })
        .collect();
    snapshot.drill.polls = Some((feed, polls));
    let app = app_with(snapshot, &[Char('3'), Enter]);
    let wide = render(&app, 160, 48);
    assert!(wide.contains("Last 20 polls"), "{wide}");
    assert!(wide.contains("503 FAILED"), "{wide}");
    assert!(wide.contains("304 unchanged"), "{wide}");
    insta::assert_snapshot!("feed_polls_160x48", wide);
    insta::assert_snapshot!("feed_polls_80x24", render(&app, 80, 24));
}

#[test]
fn an_item_that_hit_three_rules_is_one_row_listing_them() {
    let mut snapshot = screen::snapshot();
    let first = snapshot.alerts[0].clone();
    for (i, rule) in ["violence", "fatalities"].iter().enumerate() {
        let mut twin = first.clone();
        twin.alert.id = format!("{}-{i}", first.alert.id);
        twin.alert.rule = (*rule).to_string();
        twin.triage = Default::default();
        snapshot.alerts.insert(1, twin);
    }
    let app = app_with(snapshot, &[Char('2')]);
    assert_eq!(
        app.alerts().len(),
        7,
        "three alerts of one item are one row"
    );
    let wide = render(&app, 160, 48);
    assert!(wide.contains("7 items, 9 alerts"), "{wide}");
    assert!(
        wide.contains("atrocity-terms,fa") || wide.contains("atrocity-terms,vi"),
        "{wide}"
    );
    let detail = app_with(app.snapshot.clone(), &[Char('2'), Enter]);
    let text = render(&detail, 160, 48);
    assert_eq!(text.matches("Also hit").count(), 2, "{text}");
}

#[test]
fn search_results_and_one_result_in_full() {
    use watchfloor::store::drill::SearchHit;
    let mut snapshot = screen::snapshot();
    let hit = |key: &str, title: &str, alerted: bool, hours: i64| SearchHit {
        feed: "newsbrief-en".into(),
        key: key.into(),
        title: title.into(),
        url: Some(format!("https://news.test/{key}")),
        summary: format!("{title}. Local sources reported the convoy was stopped at a checkpoint."),
        published: Some(now() - chrono::Duration::hours(hours)),
        first_seen: now() - chrono::Duration::hours(hours),
        countries: vec![watchfloor::geo::lookup("SD").unwrap()],
        alerted,
    };
    snapshot.drill.search = Some((
        "convoy".into(),
        vec![
            hit("k1", "Aid convoy stopped near El Fasher", false, 3),
            hit("k2", "Convoy attacked on the Nyala road", true, 30),
        ],
    ));
    let mut app = app_with(snapshot, &[]);
    app.handle_key(KeyEvent::new(Char('f'), KeyModifiers::NONE));
    for c in "convoy".chars() {
        app.handle_key(KeyEvent::new(Char(c), KeyModifiers::NONE));
    }
    app.handle_key(KeyEvent::new(Enter, KeyModifiers::NONE));
    assert_eq!(app.focus().search.as_deref(), Some("convoy"));
    let list = render(&app, 160, 48);
    assert!(list.contains("2 items with \"convoy\""), "{list}");
    insta::assert_snapshot!("search_160x48", list);
    insta::assert_snapshot!("search_80x24", render(&app, 80, 24));
    app.handle_key(KeyEvent::new(Enter, KeyModifiers::NONE));
    assert_eq!(app.view, watchfloor::tui::app::View::Hit);
    let one = render(&app, 80, 24);
    assert!(one.contains("no rule fired on it"), "{one}");
    insta::assert_snapshot!("search_hit_80x24", one);
    insta::assert_snapshot!("search_hit_160x48", render(&app, 160, 48));
}

#[test]
fn marked_rows_and_a_saved_view_with_its_sort_marked() {
    use watchfloor::config::SavedView;
    use watchfloor::tui::app::{AlertSort, ViewSort};
    let mut app = app_with(screen::snapshot(), &[]);
    app.views = vec![SavedView {
        name: "sudan by severity".into(),
        filter: "cc:SD".into(),
        sort: ViewSort::Alerts(AlertSort::Severity),
    }];
    for k in [Char('v'), Char('1'), Char(' '), Char(' ')] {
        app.handle_key(KeyEvent::new(k, KeyModifiers::NONE));
    }
    let screen = render(&app, 160, 48);
    assert!(screen.contains("view: sudan by severity"), "{screen}");
    assert!(screen.contains("Sev▼"), "{screen}");
    assert!(screen.contains("2 marked"), "{screen}");
    insta::assert_snapshot!("saved_view_marked_160x48", screen);
    insta::assert_snapshot!("saved_view_marked_80x24", render(&app, 80, 24));
}
