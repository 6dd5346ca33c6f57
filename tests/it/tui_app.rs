//! The screen's state without a terminal: key events in, state and effects out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use support::screen::{self, now};
use watchfloor::config::Severity;
use watchfloor::event::{TriageAction, TriageTarget};
use watchfloor::tui::app::{App, Effect, Mode, Prompt, Sort, View};
use watchfloor::tui::keymap::KeyMap;

fn app() -> App {
    let mut app = App::new(
        KeyMap::default(),
        Mode::Live,
        "test.toml".into(),
        "analyst".into(),
        Some(Severity::High),
        now(),
    );
    app.set_snapshot(screen::snapshot());
    app
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in keys.chars() {
        out.extend(app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    out
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn codes(app: &App) -> Vec<String> {
    app.countries().iter().map(|r| r.code.to_string()).collect()
}

#[test]
fn watchlist_sorts_by_status_then_activity_with_unlisted_last() {
    let mut app = app();
    assert_eq!(codes(&app), ["SD", "ML", "MM", "NE", "CD", "NG"]);
    press(&mut app, "s");
    assert_eq!(app.sort, Sort::Activity);
    press(&mut app, "ss");
    assert_eq!(app.sort, Sort::Name);
    assert_eq!(codes(&app), ["CD", "ML", "MM", "NE", "SD", "NG"]);
}

#[test]
fn moving_opening_and_going_back() {
    let mut app = app();
    press(&mut app, "jj");
    assert_eq!(
        app.selected_country()
            .map(|r| r.code.to_string())
            .as_deref(),
        Some("MM")
    );
    press(&mut app, "G");
    assert_eq!(
        app.selected_country()
            .map(|r| r.code.to_string())
            .as_deref(),
        Some("NG")
    );
    press(&mut app, "gj");
    assert_eq!(app.selected_index(), 1);
    press(&mut app, "k");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.view,
        View::Country,
        "Enter on a country opens its evidence"
    );
    assert_eq!(
        app.focus().country.map(|c| c.to_string()).as_deref(),
        Some("SD"),
        "and asks the loader for its history"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Alerts, "Enter again lists its alerts");
    assert_eq!(app.focus(), Default::default(), "nothing to drill into");
    assert_eq!(app.alerts().len(), 3, "only Sudan's alerts");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail);
    assert_eq!(
        app.selected_alert().map(|r| r.alert.id.as_str()),
        Some("a2")
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Alerts);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Watchlist);
    press(&mut app, "2");
    assert_eq!(app.alerts().len(), 7, "all alerts");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Feeds);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, View::Alerts);
    press(&mut app, "?");
    assert_eq!(app.view, View::Help);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Alerts);
}

#[test]
fn selection_follows_the_item_when_the_list_changes() {
    let mut app = app();
    press(&mut app, "j");
    let mut snap = screen::snapshot();
    snap.countries.swap(0, 1);
    snap.countries[1].status = watchfloor::event::Status::Watch;
    app.set_snapshot(snap);
    assert_eq!(
        app.selected_country()
            .map(|r| r.code.to_string())
            .as_deref(),
        Some("ML")
    );
}

#[test]
fn acknowledge_snooze_and_note_produce_triage_with_who_and_when() {
    let mut app = app();
    // SD is acknowledged already: `a` withdraws it.
    let e = press(&mut app, "a");
    let [Effect::Triage(t)] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(
        (t.target, t.key.as_str(), t.action),
        (TriageTarget::Country, "SD", TriageAction::Unack)
    );
    assert_eq!(t.who, "analyst");
    press(&mut app, "j");
    let e = press(&mut app, "a");
    assert!(
        matches!(&e[..], [Effect::Triage(t)] if t.action == TriageAction::Ack && t.key == "ML")
    );

    press(&mut app, "z");
    assert!(matches!(app.prompt, Some(Prompt::Snooze { .. })));
    assert_eq!(
        app.input, "",
        "the prompt starts empty: typing never appends to a default"
    );
    let e = press(&mut app, "2h");
    assert!(e.is_empty());
    let e = key(&mut app, KeyCode::Enter);
    let [Effect::Triage(t)] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(t.action, TriageAction::Snooze);
    assert_eq!(t.until, Some(now() + Duration::hours(2)));
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(m, _)| m.starts_with("Snoozed ML Mali until"))
    );

    for (typed, said) in [
        (
            "soon",
            "Not snoozed: \"soon\" is not a duration; write a number and a unit",
        ),
        (
            "99999d",
            "Not snoozed: 99999d is longer than the 30-day limit",
        ),
        ("", "Not snoozed: type how long, such as 1h, 4h or 1d"),
    ] {
        press(&mut app, "z");
        press(&mut app, typed);
        assert!(
            key(&mut app, KeyCode::Enter).is_empty(),
            "{typed:?} saves nothing"
        );
        let message = app
            .message
            .as_ref()
            .map(|(m, _)| m.clone())
            .unwrap_or_default();
        assert!(message.starts_with(said), "{typed:?}: {message}");
    }
    press(&mut app, "z");
    press(&mut app, "30d");
    assert!(
        matches!(&key(&mut app, KeyCode::Enter)[..], [Effect::Triage(t)] if t.until == Some(now() + Duration::days(30))),
        "30 days is the limit, and allowed"
    );

    press(&mut app, "2");
    press(&mut app, "n");
    press(&mut app, "called the field office");
    let e = key(&mut app, KeyCode::Enter);
    let [Effect::Triage(t)] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(
        (t.target, t.key.as_str(), t.note.as_deref()),
        (TriageTarget::Alert, "a1", Some("called the field office"))
    );
    press(&mut app, "n");
    let e = key(&mut app, KeyCode::Esc);
    assert!(e.is_empty() && app.prompt.is_none(), "Esc cancels a prompt");
}

#[test]
fn typing_a_filter_narrows_the_list_and_esc_clears_it() {
    let mut app = app();
    press(&mut app, "/mal");
    assert_eq!(codes(&app), ["ML"]);
    assert_eq!(app.filter, "mal");
    key(&mut app, KeyCode::Enter);
    assert_eq!(codes(&app), ["ML"], "Enter keeps the filter");
    press(&mut app, "q");
    assert!(app.quit, "keys act again after the prompt closes");
    let mut app = self::app();
    press(&mut app, "/xyz");
    assert!(codes(&app).is_empty());
    key(&mut app, KeyCode::Esc);
    assert_eq!(codes(&app).len(), 6);
}

#[test]
fn pause_freezes_the_screen_and_resume_catches_up() {
    let mut app = app();
    press(&mut app, "p");
    assert!(app.paused);
    let mut snap = screen::snapshot();
    let mut extra = screen::alert(
        "a9",
        Some("NE"),
        "violence",
        "keywords",
        Severity::Medium,
        "newsbrief-en",
        "Attack in Tillabéri",
        "",
        0,
        &[],
    );
    extra.alert.at = now();
    snap.alerts.insert(0, extra);
    app.set_snapshot(snap);
    assert_eq!(app.snapshot.alerts.len(), 7, "frozen");
    assert_eq!(app.pending_alerts(), 1);
    press(&mut app, "p");
    assert_eq!(app.snapshot.alerts.len(), 8);
}

#[test]
fn the_bell_rings_for_new_alerts_at_or_above_the_setting_unless_triaged() {
    let mut app = app();
    let base = screen::snapshot();
    let mut snap = base.clone();
    snap.alerts.push(screen::alert(
        "n1",
        Some("SD"),
        "atrocity-terms",
        "keywords",
        Severity::High,
        "f",
        "New massacre report",
        "",
        0,
        &[],
    ));
    snap.alerts.push(screen::alert(
        "n2",
        Some("SD"),
        "violence",
        "keywords",
        Severity::Medium,
        "f",
        "Below the bell",
        "",
        0,
        &[],
    ));
    snap.alerts.push(screen::alert(
        "n3",
        Some("ML"),
        "atrocity-terms",
        "keywords",
        Severity::Critical,
        "f",
        "Mali is snoozed",
        "",
        0,
        &[],
    ));
    let mut acked = screen::alert(
        "n4",
        Some("CD"),
        "atrocity-terms",
        "keywords",
        Severity::Critical,
        "f",
        "Acked elsewhere",
        "",
        0,
        &[],
    );
    acked.triage.acked = Some(("other".into(), now()));
    snap.alerts.push(acked);
    let e = app.set_snapshot(snap.clone());
    assert_eq!(
        e,
        vec![Effect::Bell {
            summary: "HIGH Sudan: New massacre report".into()
        }]
    );
    assert!(app.set_snapshot(snap).is_empty(), "an alert rings once");
    // The first snapshot is history: nothing rings.
    let mut fresh = App::new(
        KeyMap::default(),
        Mode::Live,
        "t".into(),
        "a".into(),
        Some(Severity::Info),
        now(),
    );
    assert!(fresh.set_snapshot(base).is_empty());
}

#[test]
fn links_poll_now_and_attached_mode() {
    let mut app = app();
    press(&mut app, "2");
    assert_eq!(
        press(&mut app, "y"),
        vec![Effect::CopyLink("https://news.test/a1".into())]
    );
    assert_eq!(
        press(&mut app, "o"),
        vec![Effect::OpenLink("https://news.test/a1".into())]
    );
    press(&mut app, "1");
    assert!(press(&mut app, "o").is_empty(), "no link on a country");
    press(&mut app, "3");
    assert_eq!(
        press(&mut app, "r"),
        vec![Effect::PollNow("newsbrief-en".into())]
    );
    press(&mut app, "G");
    assert!(
        press(&mut app, "r").is_empty(),
        "disabled feeds are not polled"
    );
    let mut attached = App::new(
        KeyMap::default(),
        Mode::Attached,
        "t".into(),
        "a".into(),
        None,
        now(),
    );
    attached.set_snapshot(screen::snapshot());
    press(&mut attached, "3");
    assert!(press(&mut attached, "r").is_empty());
    assert!(
        attached
            .message
            .as_ref()
            .is_some_and(|(m, _)| m.contains("collector"))
    );
}

#[test]
fn remapped_keys_drive_the_same_actions() {
    let keymap = KeyMap::new(&[
        ("acknowledge".into(), vec!["A".into()]),
        ("down".into(), vec!["ctrl-n".into()]),
    ])
    .unwrap();
    let mut app = App::new(keymap, Mode::Live, "t".into(), "a".into(), None, now());
    app.set_snapshot(screen::snapshot());
    assert!(press(&mut app, "a").is_empty());
    app.handle_key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
    assert_eq!(app.selected_index(), 1);
    assert!(matches!(&press(&mut app, "A")[..], [Effect::Triage(t)] if t.key == "ML"));
}

#[test]
fn the_filter_reads_every_column_and_field_terms() {
    let filtered = |typed: &str| {
        let mut app = app();
        press(&mut app, &format!("/{typed}"));
        codes(&app)
    };
    // The status column, as shown ("▲▲ CRIT"), not only names.
    assert_eq!(filtered("crit"), ["SD"]);
    assert_eq!(filtered("sev:warn"), ["ML"]);
    assert_eq!(filtered("cc:m"), ["ML", "MM"]);
    assert_eq!(filtered("cc:m !is:snoozed"), ["MM"]);
    assert_eq!(filtered("is:ack"), ["SD"]);
    assert_eq!(filtered("!ack sev:crit"), Vec::<String>::new());

    // On the alert list: severity, rule and feed fields.
    let mut app = app();
    press(&mut app, "2");
    press(&mut app, "/sev:crit");
    let alerts = app.alerts();
    assert!(!alerts.is_empty());
    assert!(
        alerts
            .iter()
            .all(|r| r.alert.severity == watchfloor::config::Severity::Critical),
        "{:?}",
        alerts.iter().map(|r| &r.alert.title).collect::<Vec<_>>()
    );
}

#[test]
fn bells_rest_ten_seconds_ring_what_arrived_meanwhile_together_and_mute() {
    let mut app = app();
    let burst = |from: u32, n: u32| {
        let mut snap = screen::snapshot();
        for i in from..from + n {
            snap.alerts.push(screen::alert(
                &format!("b{i}"),
                Some("SD"),
                "atrocity-terms",
                "keywords",
                Severity::Critical,
                "f",
                &format!("Report {i}"),
                "",
                0,
                &[],
            ));
        }
        snap
    };
    // Ten alerts at once: one bell that says so.
    let e = app.set_snapshot(burst(0, 10));
    assert_eq!(
        e,
        vec![Effect::Bell {
            summary: "10 new alerts; the first: CRITICAL Sudan: Report 0".into()
        }]
    );
    // Five more 3 s later: held, not rung.
    app.tick(now() + Duration::seconds(3));
    assert!(app.set_snapshot(burst(10, 5)).is_empty());
    assert!(app.tick(now() + Duration::seconds(9)).is_empty());
    // Once the bell has rested 10 s, what was held rings once.
    let e = app.tick(now() + Duration::seconds(10));
    assert_eq!(
        e,
        vec![Effect::Bell {
            summary: "5 new alerts; the first: CRITICAL Sudan: Report 10".into()
        }]
    );
    // m mutes: nothing rings, and nothing is saved up for later.
    press(&mut app, "m");
    assert!(app.muted);
    app.tick(now() + Duration::seconds(30));
    assert!(app.set_snapshot(burst(15, 3)).is_empty());
    press(&mut app, "m");
    assert!(app.tick(now() + Duration::seconds(60)).is_empty());
}

#[test]
fn u_shows_only_what_nobody_has_acknowledged() {
    let mut app = app();
    let all = codes(&app);
    assert!(
        all.contains(&"SD".to_string()),
        "SD is acknowledged in the sample"
    );
    press(&mut app, "u");
    assert!(app.unacked_only);
    let unacked = codes(&app);
    assert!(!unacked.contains(&"SD".to_string()));
    assert_eq!(unacked.len(), all.len() - 1);
    press(&mut app, "2");
    assert!(app.alerts().iter().all(|r| r.triage.acked.is_none()));
    press(&mut app, "u");
    assert!(!app.unacked_only);
    press(&mut app, "1");
    assert_eq!(codes(&app), all);
}

#[test]
fn a_read_only_screen_says_so_and_writes_nothing() {
    let mut app = app();
    app.read_only =
        Some("Read-only: you cannot write to /srv/wf/watchfloor.db; triage is off.".into());
    for k in ["a", "z", "n"] {
        assert!(press(&mut app, k).is_empty(), "{k} writes nothing");
        assert!(app.prompt.is_none(), "{k} opens no prompt");
        assert!(
            app.message
                .as_ref()
                .is_some_and(|(m, _)| m.starts_with("Read-only: you cannot write")),
            "{k}: {:?}",
            app.message
        );
    }
}

#[test]
fn alerts_new_since_the_viewer_last_looked_are_marked_until_they_leave_the_list() {
    let mut app = app();
    let with_new = |minutes_ago: i64| {
        let mut snap = screen::snapshot();
        snap.alerts.insert(
            0,
            screen::alert(
                "fresh",
                Some("SD"),
                "atrocity-terms",
                "keywords",
                Severity::Medium,
                "f",
                "A fresh report",
                "",
                minutes_ago,
                &[],
            ),
        );
        snap
    };
    // Everything in the first snapshot was there when the screen opened.
    assert_eq!(app.new_alerts(), 0);
    app.tick(now() + Duration::minutes(2));
    app.set_snapshot(with_new(-1));
    assert_eq!(app.new_alerts(), 1);
    press(&mut app, "2");
    press(&mut app, "/is:new");
    key(&mut app, KeyCode::Enter);
    let titles: Vec<String> = app.alerts().iter().map(|r| r.alert.title.clone()).collect();
    assert_eq!(titles, ["A fresh report"]);
    // Leaving the list marks what was there as seen.
    press(&mut app, "1");
    assert_eq!(app.new_alerts(), 0);
}

fn triaged(effects: &[Effect]) -> Vec<(TriageAction, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Triage(t) => Some((t.action, t.key.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn marked_rows_are_acknowledged_and_snoozed_together() {
    let mut app = app();
    press(&mut app, "2");
    let first_two: Vec<String> = app.alerts()[..2]
        .iter()
        .map(|r| r.alert.id.clone())
        .collect();
    press(&mut app, "  ");
    assert_eq!(app.marked.len(), 2, "Space marks and moves down");
    let acked = triaged(&press(&mut app, "a"));
    assert_eq!(
        acked
            .iter()
            .map(|(_, k)| k.clone())
            .collect::<Vec<_>>()
            .len(),
        2
    );
    assert!(
        acked
            .iter()
            .all(|(a, k)| *a == TriageAction::Ack && first_two.contains(k))
    );
    assert!(app.marked.is_empty(), "marks go once acted on");

    // Marks on the watchlist snooze countries together; Esc clears marks.
    press(&mut app, "1");
    press(&mut app, "  ");
    key(&mut app, KeyCode::Esc);
    assert!(app.marked.is_empty());
    press(&mut app, "g  z");
    let mut effects = Vec::new();
    for c in "4h".chars() {
        effects.extend(key(&mut app, KeyCode::Char(c)));
    }
    effects.extend(key(&mut app, KeyCode::Enter));
    let snoozed = triaged(&effects);
    assert_eq!(snoozed.len(), 2, "{snoozed:?}");
    assert!(snoozed.iter().all(|(a, _)| *a == TriageAction::Snooze));
}

#[test]
fn an_item_row_stands_for_every_alert_of_its_item() {
    let mut snapshot = screen::snapshot();
    let first = snapshot.alerts[0].clone();
    let mut twin = first.clone();
    twin.alert.id = "twin".into();
    twin.alert.rule = "violence".into();
    twin.triage = Default::default();
    snapshot.alerts.insert(1, twin);
    let mut app = app();
    app.set_snapshot(snapshot);
    press(&mut app, "2");
    assert_eq!(app.alerts().len(), 7, "one row for the item's two alerts");
    press(&mut app, "/rule:violence");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.alerts()[0].alert.id,
        first.alert.id,
        "a rule: term finds the item by any rule it hit"
    );
    key(&mut app, KeyCode::Esc);
    press(&mut app, "g");
    // The first row was acknowledged already, the twin not: `a` acknowledges both.
    let effects = triaged(&press(&mut app, "a"));
    let keys: Vec<&str> = effects.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys, [first.alert.id.as_str(), "twin"]);
    assert!(effects.iter().all(|(a, _)| *a == TriageAction::Ack));
}

#[test]
fn saved_views_sorts_and_the_history_search() {
    use watchfloor::config::SavedView;
    use watchfloor::tui::app::{AlertSort, FeedSort, ViewSort};
    let mut app = app();
    press(&mut app, "v1");
    assert_eq!(app.view, View::Watchlist, "no views: nothing changes");
    app.views = vec![
        SavedView {
            name: "mali".into(),
            filter: "cc:ML".into(),
            sort: ViewSort::Alerts(AlertSort::Time),
        },
        SavedView {
            name: "feeds by health".into(),
            filter: String::new(),
            sort: ViewSort::Feeds(FeedSort::Health),
        },
    ];
    press(&mut app, "v1");
    assert_eq!(app.view, View::Alerts);
    assert_eq!(app.filter, "cc:ML");
    assert!(
        app.alerts()
            .iter()
            .all(|r| r.alert.country.map(|c| c.to_string()).as_deref() == Some("ML"))
    );
    press(&mut app, "v2");
    assert_eq!((app.view, app.feed_sort), (View::Feeds, FeedSort::Health));
    let worst = app.feeds()[0].health(now());
    assert!(
        app.feeds().iter().all(|f| f.health(now()) <= worst),
        "worst first"
    );
    press(&mut app, "v9");
    assert_eq!(
        app.view,
        View::Feeds,
        "a view that is not there changes nothing"
    );

    press(&mut app, "2s");
    assert_eq!(app.alert_sort, AlertSort::Severity);
    let sevs: Vec<Severity> = app.alerts().iter().map(|r| r.alert.severity).collect();
    assert!(sevs.windows(2).all(|w| w[0] >= w[1]), "{sevs:?}");

    press(&mut app, "fmassacre");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Search);
    assert_eq!(app.focus().search.as_deref(), Some("massacre"));
    assert!(app.search_pending(), "results come from the loader");
    press(&mut app, "q");
    assert_eq!(app.view, View::Alerts, "q leaves the search");
}

#[test]
fn leaving_the_alert_list_saves_where_this_viewer_looked() {
    let mut app = app();
    press(&mut app, "2");
    let effects = press(&mut app, "1");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Seen(at) if *at == now())),
        "{effects:?}"
    );
    assert!(
        press(&mut app, "3").is_empty(),
        "only leaving the alerts moves it"
    );
}
