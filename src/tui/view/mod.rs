//! Drawing: every view reads the [`App`] (an owned snapshot and UI state) and never does I/O.

mod alerts;
mod country;
mod detail;
mod feeds;
mod help;
mod search;
mod watchlist;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::action::Action;
use super::app::{App, Mode, Prompt, SortOrder, View};
use super::theme::Theme;

/// Smallest terminal the screen draws in.
pub const MIN_WIDTH: u16 = 60;
/// Smallest terminal height.
pub const MIN_HEIGHT: u16 = 15;
/// Below this width the compact layout is used.
pub const COMPACT_WIDTH: u16 = 110;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}x{}. watchfloor needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        );
        let y = area.height / 2;
        let line = Rect {
            x: area.x,
            y: area.y + y,
            width: area.width,
            height: 1.min(area.height),
        };
        frame.render_widget(Paragraph::new(msg).alignment(Alignment::Center), line);
        return;
    }
    let banner_lines = banners(app);
    let [header, banner, tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::try_from(banner_lines.len()).unwrap_or(2)),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, app, theme);
    if !banner_lines.is_empty() {
        let lines: Vec<Line> = banner_lines
            .iter()
            .map(|t| Line::from(format!(" ▲ {t}")))
            .collect();
        frame.render_widget(Paragraph::new(lines).style(theme.alarm()), banner);
    }
    draw_tabs(frame, tabs, app, theme);
    match app.view {
        View::Watchlist => watchlist::draw(frame, body, app, theme),
        View::Alerts => alerts::draw(frame, body, app, theme),
        View::Feeds => feeds::draw(frame, body, app, theme),
        View::Detail => detail::draw(frame, body, app, theme),
        View::Feed => feeds::draw_one(frame, body, app, theme),
        View::Country => country::draw(frame, body, app, theme),
        View::Search => search::draw(frame, body, app, theme),
        View::Hit => search::draw_hit(frame, body, app, theme),
        View::Help => help::draw(frame, body, app, theme),
    }
    draw_footer(frame, footer, app, theme);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    use crate::store::snapshot::FeedHealth;
    let s = &app.snapshot;
    let wide = area.width >= COMPACT_WIDTH;
    let count = |h: FeedHealth| s.feeds.iter().filter(|f| f.health(app.now) == h).count();
    let (ok, pending, late, failing) = (
        count(FeedHealth::Ok),
        count(FeedHealth::Pending),
        count(FeedHealth::Late),
        count(FeedHealth::Failing),
    );
    let enabled = s.feeds.iter().filter(|f| f.enabled).count();
    let last = s.last_poll().map_or_else(
        || "none yet".to_string(),
        |t| format!("{} ago", age(app.now, t)),
    );
    let (crit, warn) = app.status_counts();
    let bold = theme.bar().add_modifier(ratatui::style::Modifier::BOLD);
    let mut spans = vec![
        Span::styled(" watchfloor ", bold),
        Span::styled(format!(" {} ", app.now.format("%H:%M:%S UTC")), theme.bar()),
    ];
    // Alarms first, so a narrow terminal never cuts them off.
    if crit > 0 {
        spans.push(Span::styled(
            if wide {
                format!(" {crit} CRITICAL ")
            } else {
                format!(" {crit} CRIT ")
            },
            theme.alarm(),
        ));
    }
    if warn > 0 {
        spans.push(Span::styled(
            if wide {
                format!(" {warn} WARNING ")
            } else {
                format!(" {warn} WARN ")
            },
            theme.caution(),
        ));
    }
    if failing > 0 {
        spans.push(Span::styled(
            format!(
                " {failing} FEED{} FAILING ",
                if failing == 1 { "" } else { "S" }
            ),
            theme.alarm(),
        ));
    }
    let targets_failing = s.notify.iter().filter(|t| !t.ok).count();
    if targets_failing > 0 {
        spans.push(Span::styled(
            format!(
                " {targets_failing} NOTIFY TARGET{} FAILING ",
                if targets_failing == 1 { "" } else { "S" }
            ),
            theme.alarm(),
        ));
    }
    if let Some(since) = s.collector_silent_since(app.now) {
        spans.push(Span::styled(
            format!(" COLLECTOR SILENT {} ", age(app.now, since)),
            theme.alarm(),
        ));
    }
    if app.paused {
        let pending = app.pending_alerts();
        let more = if pending > 0 {
            format!(" ({pending} new)")
        } else {
            String::new()
        };
        spans.push(Span::styled(format!(" ‖ PAUSED{more} "), theme.caution()));
    }
    if app.mode == Mode::Attached {
        spans.push(Span::styled(" attached ", theme.bar()));
    }
    if app.read_only.is_some() {
        spans.push(Span::styled(" READ-ONLY ", theme.caution()));
    }
    if app.muted {
        spans.push(Span::styled(" bell muted (m) ", theme.bar()));
    }
    if app.unacked_only {
        spans.push(Span::styled(" unacked only (u) ", theme.caution()));
    }
    let mut feeds = format!(" feeds {ok}/{enabled} ok");
    if late > 0 {
        feeds.push_str(&format!(", {late} late"));
    }
    if pending > 0 {
        feeds.push_str(&format!(", {pending} pending"));
    }
    feeds.push(' ');
    spans.push(Span::styled(feeds, theme.bar()));
    spans.push(Span::styled(format!(" polled {last} "), theme.bar()));
    if wide {
        spans.push(Span::styled(format!(" {} ", app.config_label), theme.bar()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar()), area);
}

/// The banner lines: the app's own (the collector stopped) and a silent collector.
fn banners(app: &App) -> Vec<String> {
    let mut out: Vec<String> = app.banner.iter().cloned().collect();
    out.extend(app.read_only.iter().cloned());
    if let Some(since) = app.snapshot.collector_silent_since(app.now) {
        let gone = app
            .snapshot
            .heartbeat
            .as_ref()
            .filter(|_| app.snapshot.collector_gone)
            .map(|h| format!(", its process {} on this host has stopped", h.pid))
            .unwrap_or_default();
        out.push(format!(
            "Collector silent since {} ({}{gone}): nothing new is arriving; what is shown may be out of date.",
            since.format("%H:%M"),
            silent_for(app.now, since)
        ));
    }
    out
}

fn silent_for(now: DateTime<Utc>, since: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    for (action, view) in [
        (Action::ShowWatchlist, View::Watchlist),
        (Action::ShowAlerts, View::Alerts),
        (Action::ShowFeeds, View::Feeds),
    ] {
        let fresh = if view == View::Alerts {
            app.new_alerts()
        } else {
            0
        };
        let label = if fresh > 0 {
            format!(
                " {} {} ({fresh} new) ",
                app.keymap.hint(action),
                view.title()
            )
        } else {
            format!(" {} {} ", app.keymap.hint(action), view.title())
        };
        let style = if app.view == view {
            theme.selected()
        } else {
            theme.text()
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    if app.view.is_sub_view() {
        spans.push(Span::styled(
            format!(" {} ", app.view.title()),
            theme.selected(),
        ));
    }
    let sort = match app.view {
        View::Watchlist => Some(app.sort.label()),
        View::Alerts => Some(app.alert_sort.label()),
        View::Feeds => Some(app.feed_sort.label()),
        _ => None,
    };
    if let Some(sort) = sort {
        spans.push(Span::styled(
            format!("  sort: {sort} ({})", app.keymap.hint(Action::CycleSort)),
            theme.dim(),
        ));
    }
    if let Some(name) = &app.view_name {
        spans.push(Span::styled(format!("  view: {name}"), theme.title()));
    }
    if !app.marked.is_empty() {
        spans.push(Span::styled(
            format!("  {} marked", app.marked.len()),
            theme.caution(),
        ));
    }
    if app.view == View::Alerts
        && let Some(c) = app.alerts_country
    {
        spans.push(Span::styled(
            format!("  country: {} {}", c, c.name()),
            theme.title(),
        ));
    }
    if !app.filter.is_empty() {
        spans.push(Span::styled(
            format!("  filter: {}", app.filter),
            theme.title(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = match &app.prompt {
        Some(Prompt::Filter) => Line::from(vec![
            Span::styled("/", theme.title()),
            Span::raw(app.input.clone()),
            Span::raw("█"),
        ]),
        Some(Prompt::Snooze {
            label,
            target,
            keys,
        }) => Line::from(vec![
            Span::styled(
                format!(
                    "Snooze {label}{} for (1h, 4h, 1d; up to 30d; 0 ends it): ",
                    keys.first()
                        .and_then(|key| app.snoozed_until(*target, key))
                        .map(|u| format!(", now until {}", u.format("%d %b %H:%M")))
                        .unwrap_or_default()
                ),
                theme.title(),
            ),
            Span::raw(app.input.clone()),
            Span::raw("█"),
        ]),
        Some(Prompt::Search) => Line::from(vec![
            Span::styled("Search all stored items: ", theme.title()),
            Span::raw(app.input.clone()),
            Span::raw("█"),
        ]),
        Some(Prompt::Note { label, .. }) => Line::from(vec![
            Span::styled(format!("Note on {label}: "), theme.title()),
            Span::raw(app.input.clone()),
            Span::raw("█"),
        ]),
        None => match &app.message {
            Some((m, _)) => Line::from(Span::styled(m.clone(), theme.title())),
            None => Line::from(Span::styled(footer_hints(app), theme.dim())),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The keys that act in the current view, most used first (after help).
fn footer_hints(app: &App) -> String {
    // Help first, so a narrow terminal never hides the way to every other key.
    let actions: &[(Action, &str)] = match app.view {
        View::Watchlist => &[
            (Action::Open, "evidence"),
            (Action::Acknowledge, "ack"),
            (Action::Mark, "mark"),
            (Action::Snooze, "snooze"),
            (Action::Note, "note"),
            (Action::Filter, "filter"),
            (Action::CycleSort, "sort"),
            (Action::TogglePause, "pause"),
            (Action::Quit, "quit"),
        ],
        View::Alerts => &[
            (Action::Open, "detail"),
            (Action::Acknowledge, "ack"),
            (Action::Mark, "mark"),
            (Action::Snooze, "snooze"),
            (Action::Note, "note"),
            (Action::OpenLink, "open link"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
            (Action::Quit, "quit"),
        ],
        View::Feeds => &[
            (Action::Open, "feed"),
            (Action::PollNow, "poll now"),
            (Action::Filter, "filter"),
            (Action::Quit, "quit"),
        ],
        View::Detail => &[
            (Action::Down, "scroll"),
            (Action::Acknowledge, "ack"),
            (Action::Snooze, "snooze"),
            (Action::Note, "note"),
            (Action::OpenLink, "open link"),
            (Action::CopyLink, "copy link"),
            (Action::Quit, "back"),
        ],
        View::Help => &[(Action::Down, "scroll"), (Action::Quit, "back")],
        View::Country => &[
            (Action::Open, "its alerts"),
            (Action::Down, "scroll"),
            (Action::Acknowledge, "ack"),
            (Action::Snooze, "snooze"),
            (Action::Note, "note"),
            (Action::Quit, "back"),
        ],
        View::Search => &[
            (Action::Open, "open"),
            (Action::Search, "new search"),
            (Action::OpenLink, "open link"),
            (Action::Quit, "back"),
        ],
        View::Hit => &[
            (Action::Down, "scroll"),
            (Action::OpenLink, "open link"),
            (Action::CopyLink, "copy link"),
            (Action::Quit, "back"),
        ],
        View::Feed => &[
            (Action::Down, "scroll"),
            (Action::PollNow, "poll now"),
            (Action::Quit, "back"),
        ],
    };
    let mut out = String::new();
    for (action, what) in std::iter::once(&(Action::ShowHelp, "help")).chain(actions) {
        let key = app.keymap.hint(*action);
        if key == "unbound" {
            continue;
        }
        if !out.is_empty() {
            out.push_str("  ");
        }
        out.push_str(&format!("{key} {what}"));
    }
    out
}

/// A compact age: "45s", "12m", "3h", "2d".
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds();
    if secs < 0 {
        return "now".into();
    }
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A time of day, with the date when it is not today ("15:00", "27 Nov 15:00").
pub fn clock_time(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%d %b %H:%M").to_string()
    }
}

/// A compact time until: "in 45s", "in 12m", "due".
pub fn until(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    if then <= now {
        "due".into()
    } else {
        format!("in {}", age(then, now))
    }
}

/// Daily counts as a text sparkline, one character a day.
pub fn sparkline(daily: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = daily.iter().copied().max().unwrap_or(0);
    daily
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BARS[((n * 7).div_ceil(max.max(1)) as usize).min(7)]
            }
        })
        .collect()
}

/// A column header, with the sort marker when the list is sorted by it.
pub fn sort_mark(header: &str, sorted: &str) -> String {
    if header == sorted {
        format!("{header}▼")
    } else {
        header.to_string()
    }
}

/// A list view's table: bold header, the selected row reversed, a rule with a title on top.
pub fn list_table<'a, H: Into<ratatui::widgets::Cell<'a>>>(
    rows: Vec<ratatui::widgets::Row<'a>>,
    widths: Vec<Constraint>,
    header: Vec<H>,
    title: Line<'a>,
    theme: &Theme,
) -> ratatui::widgets::Table<'a> {
    use ratatui::widgets::{Block, Borders, Row, Table};
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.title()))
        .row_highlight_style(theme.selected())
        .block(Block::new().borders(Borders::TOP).title(title))
}

/// Draws `lines` as one page of text that scrolls (j/k, PgUp/PgDn, g/G), with where it is in
/// the title; records how far it can scroll for the keys.
pub fn scroll_page(frame: &mut Frame, area: Rect, app: &App, lines: Vec<Line>, name: &str) {
    use ratatui::widgets::{Block, Borders, Wrap};
    // Lines after wrapping, so the view scrolls to the very end and says how far it is.
    let width = usize::from(area.width.max(1));
    let total: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let visible = usize::from(area.height.saturating_sub(1));
    let max = u16::try_from(total.saturating_sub(visible)).unwrap_or(u16::MAX);
    app.detail_max.set(max);
    let scroll = app.detail_scroll.min(max);
    let title = if max > 0 {
        format!(
            " {name} · line {} of {total} · j/k PgUp/PgDn g/G scroll ",
            usize::from(scroll) + 1
        )
    } else {
        format!(" {name} ")
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(Block::new().borders(Borders::TOP).title(title)),
        area,
    );
}
