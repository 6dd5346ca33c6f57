//! Feed health: last success, last error in words, HTTP status, items, latency, next poll.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use super::{COMPACT_WIDTH, age, list_table, until};
use crate::store::snapshot::FeedHealth;
use crate::tui::app::{App, SortOrder, short};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // On a shared store, the collectors alive and the feeds each holds, under the feeds.
    let collectors = &app.snapshot.collectors;
    let area = if collectors.is_empty() || area.height < 12 {
        area
    } else {
        let want = u16::try_from(collectors.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        let below = want.min(area.height / 4);
        let [rest, desk] =
            ratatui::layout::Layout::vertical([Constraint::Min(5), Constraint::Length(below)])
                .areas(area);
        draw_collectors(frame, desk, app, theme);
        rest
    };
    // Notification targets get a few lines under the feeds: a failing one is as urgent.
    let targets = &app.snapshot.notify;
    let area = if targets.is_empty() || area.height < 12 {
        area
    } else {
        let want = u16::try_from(targets.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        let below = want.min(area.height / 3);
        let [feeds, notify] =
            ratatui::layout::Layout::vertical([Constraint::Min(5), Constraint::Length(below)])
                .areas(area);
        draw_targets(frame, notify, app, theme);
        feeds
    };
    let rows = app.feeds();
    let compact = area.width < COMPACT_WIDTH;
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new("No feeds match.")
                .style(theme.dim())
                .block(Block::new().borders(Borders::TOP)),
            area,
        );
        return;
    }
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|f| {
            let (health, style) = match f.health(app.now) {
                FeedHealth::Off => ("– off", theme.dim()),
                FeedHealth::Pending => ("… pending", theme.dim()),
                FeedHealth::Ok => ("✓ ok", theme.ok()),
                FeedHealth::Late => ("◷ LATE", theme.error()),
                FeedHealth::Failing => ("✗ FAIL", theme.error()),
            };
            let last = f.last.as_ref();
            let detail = if !f.enabled {
                "disabled in the config".to_string()
            } else if last.is_none() {
                "not polled yet".to_string()
            } else if f.health(app.now) == FeedHealth::Late {
                let due = last
                    .and_then(|r| r.next_poll)
                    .map_or_else(String::new, |t| {
                        format!("; its poll was due {} ago", age(app.now, t))
                    });
                format!(
                    "no poll for {}{due}",
                    age(app.now, last.map_or(app.now, |r| r.at))
                )
            } else if let Some(err) = last.and_then(|r| r.error.clone()) {
                let since = f
                    .failing_since
                    .map(|t| {
                        let n = last.map_or(0, |r| r.failures);
                        let times = if n == 1 {
                            "once".to_string()
                        } else {
                            format!("{n} times")
                        };
                        format!(" (failing for {}, failed {times})", age(app.now, t))
                    })
                    .unwrap_or_default();
                format!("{err}{since}")
            } else if last.is_some_and(|r| r.not_modified) {
                "not modified".into()
            } else {
                last.map(|r| format!("{} new", r.new)).unwrap_or_default()
            };
            let mut cells = vec![
                Cell::from(Span::styled(health, style)),
                Cell::from(short(&f.id, if compact { 16 } else { 22 })),
                Cell::from(
                    f.last_ok
                        .map_or_else(|| "never".into(), |t| age(app.now, t)),
                ),
                Cell::from(
                    last.and_then(|r| r.http_status)
                        .map_or_else(|| "–".into(), |s| s.to_string()),
                ),
            ];
            if !compact {
                cells.push(Cell::from(
                    last.filter(|r| r.ok && !r.not_modified)
                        .map_or_else(|| "–".into(), |r| r.items.to_string()),
                ));
                cells.push(Cell::from(
                    last.map_or_else(|| "–".into(), |r| format!("{}ms", r.ms)),
                ));
            }
            cells.push(Cell::from(
                last.and_then(|r| r.next_poll)
                    .filter(|_| f.enabled)
                    .map_or_else(|| "–".into(), |t| until(app.now, t)),
            ));
            cells.push(Cell::from(Span::styled(
                detail,
                if last.is_some_and(|r| !r.ok) {
                    theme.error()
                } else {
                    theme.text()
                },
            )));
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["Health", "Feed", "Last ok", "HTTP"];
    if !compact {
        header.extend(["Items", "Time"]);
    }
    header.extend(["Next", "Last result"]);
    let header: Vec<String> = header
        .into_iter()
        .map(|h| super::sort_mark(h, app.feed_sort.column()))
        .collect();
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Length(if compact { 16 } else { 22 }),
        Constraint::Length(7),
        Constraint::Length(4),
    ];
    if !compact {
        widths.extend([Constraint::Length(5), Constraint::Length(7)]);
    }
    widths.extend([Constraint::Length(7), Constraint::Min(10)]);
    let mut state = TableState::default().with_selected(Some(
        app.feed_key
            .as_ref()
            .and_then(|k| rows.iter().position(|r| &r.id == k))
            .unwrap_or(0),
    ));
    let health = |h: FeedHealth| rows.iter().filter(|f| f.health(app.now) == h).count();
    let (failing, late, pending) = (
        health(FeedHealth::Failing),
        health(FeedHealth::Late),
        health(FeedHealth::Pending),
    );
    let title = Line::from(Span::styled(
        format!(
            " {} feeds, {failing} failing, {late} late, {pending} pending ",
            rows.len()
        ),
        if failing + late > 0 {
            theme.error()
        } else {
            theme.dim()
        },
    ));
    frame.render_stateful_widget(
        list_table(table_rows, widths, header, title, theme),
        area,
        &mut state,
    );
    app.list_geometry.set(Some(crate::tui::app::ListGeometry {
        top: area.y + 2,
        rows: area.height.saturating_sub(2),
        first: state.offset(),
        separator: None,
    }));
}

/// The collectors of a desk: each one's name, how many feeds it holds, and the first of what
/// it holds (notification targets among them, as `notify:ID`).
fn draw_collectors(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let collectors = &app.snapshot.collectors;
    let feeds_in = |held: &[String]| held.iter().filter(|h| !h.starts_with("notify:")).count();
    let rows: Vec<Row> = collectors
        .iter()
        .map(|(name, feeds)| {
            let shown: Vec<&str> = feeds.iter().take(12).map(String::as_str).collect();
            let more = feeds.len().saturating_sub(shown.len());
            let list = if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            };
            Row::new(vec![
                Cell::from(short(name, 30)),
                Cell::from(feeds_in(feeds).to_string()),
                Cell::from(list),
            ])
        })
        .collect();
    let held: usize = collectors.iter().map(|(_, f)| feeds_in(f)).sum();
    let title = Line::from(Span::styled(
        format!(
            " {} collectors alive, holding {held} feeds ",
            collectors.len()
        ),
        theme.dim(),
    ));
    let widths = vec![
        Constraint::Length(30),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    frame.render_widget(
        list_table(
            rows,
            widths,
            vec!["Collector", "Feeds", "Holds"],
            title,
            theme,
        ),
        area,
    );
}

/// The notification targets: health, when each last delivered, what waits, the last error.
fn draw_targets(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let targets = &app.snapshot.notify;
    let rows: Vec<Row> = targets
        .iter()
        .map(|t| {
            let (health, style) = if t.ok {
                ("✓ ok", theme.ok())
            } else {
                ("✗ FAIL", theme.error())
            };
            let detail = match &t.error {
                Some(e) => format!("{e} (failed {} times)", t.failures),
                None if t.pending > 0 => format!("{} waiting", t.pending),
                None => "delivering".into(),
            };
            Row::new(vec![
                Cell::from(Span::styled(health, style)),
                Cell::from(short(&t.id, 22)),
                Cell::from(t.kind.clone()),
                Cell::from(
                    t.last_ok
                        .map_or_else(|| "never".into(), |at| age(app.now, at)),
                ),
                Cell::from(t.pending.to_string()),
                Cell::from(Span::styled(
                    detail,
                    if t.ok { theme.text() } else { theme.error() },
                )),
            ])
        })
        .collect();
    let failing = targets.iter().filter(|t| !t.ok).count();
    let title = Line::from(Span::styled(
        format!(
            " {} notification targets, {failing} failing ",
            targets.len()
        ),
        if failing > 0 {
            theme.error()
        } else {
            theme.dim()
        },
    ));
    let widths = vec![
        Constraint::Length(9),
        Constraint::Length(22),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Min(10),
    ];
    let header = vec!["Health", "Target", "Kind", "Sent", "Waiting", "Last result"];
    frame.render_widget(list_table(rows, widths, header, title, theme), area);
}

/// One feed in full: where it is, its health, its last poll and schedule, and the whole last
/// error (the list cuts it at the column's edge).
pub fn draw_one(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(f) = app.selected_feed() else {
        frame.render_widget(
            Paragraph::new("The feed is no longer configured.").style(theme.dim()),
            area,
        );
        return;
    };
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<14}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "never".to_string(),
            |t| {
                format!(
                    "{} UTC ({} ago)",
                    t.format("%Y-%m-%d %H:%M:%S"),
                    age(app.now, t)
                )
            },
        )
    };
    let (health, style) = match f.health(app.now) {
        FeedHealth::Off => ("off: disabled in the config", theme.dim()),
        FeedHealth::Pending => ("pending: not polled yet", theme.dim()),
        FeedHealth::Ok => ("ok", theme.ok()),
        FeedHealth::Late => (
            "LATE: more than an interval past its scheduled poll",
            theme.error(),
        ),
        FeedHealth::Failing => ("FAILING", theme.error()),
    };
    let last = f.last.as_ref();
    let mut lines = vec![
        Line::from(Span::styled(f.name.clone(), theme.title())),
        Line::raw(""),
        field("Id", f.id.clone()),
        field("URL", f.url.clone()),
        Line::from(vec![
            Span::styled(format!("{:<14}", "Health"), theme.dim()),
            Span::styled(health, style),
        ]),
        field("Interval", crate::config::units::fmt_duration(f.interval)),
        field("Last poll", when(last.map(|r| r.at))),
        field("Last success", when(f.last_ok)),
    ];
    if let Some(r) = last {
        lines.push(field(
            "Result",
            format!(
                "HTTP {}, {} items ({} new), {} ms{}",
                r.http_status.map_or_else(|| "–".into(), |s| s.to_string()),
                r.items,
                r.new,
                r.ms,
                if r.not_modified { ", not modified" } else { "" }
            ),
        ));
        lines.push(field(
            "Next poll",
            r.next_poll
                .filter(|_| f.enabled)
                .map_or_else(|| "–".into(), |t| until(app.now, t)),
        ));
        if r.failures > 0 {
            lines.push(field(
                "Failures",
                format!(
                    "{} in a row{}",
                    r.failures,
                    f.failing_since
                        .map(|t| format!(", since {}", when(Some(t))))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    if let Some(err) = &f.last_error {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Last error", theme.dim())));
        lines.push(Line::from(Span::styled(err.clone(), theme.error())));
    }
    lines.push(Line::raw(""));
    match &app.snapshot.drill.polls {
        Some((id, polls)) if *id == f.id => {
            lines.push(Line::from(Span::styled(
                format!("Last {} polls, newest first", polls.len().min(POLLS_SHOWN)),
                theme.title(),
            )));
            lines.push(Line::from(Span::styled(
                format!(
                    "{:<16} {:<14} {:>6} {:>5} {:>7}",
                    "Time (UTC)", "Status", "Items", "New", "ms"
                ),
                theme.dim(),
            )));
            if polls.is_empty() {
                lines.push(Line::from(Span::styled("none recorded yet", theme.dim())));
            }
            for r in polls.iter().take(POLLS_SHOWN) {
                let status = match (r.ok, r.not_modified, r.http_status) {
                    (true, true, _) => "304 unchanged".to_string(),
                    (true, false, Some(s)) => format!("{s} ok"),
                    (true, false, None) => "ok".to_string(),
                    (false, _, Some(s)) => format!("{s} FAILED"),
                    (false, _, None) => "FAILED".to_string(),
                };
                let line = format!(
                    "{:<16} {:<14} {:>6} {:>5} {:>7}",
                    r.at.format("%d %b %H:%M:%S"),
                    status,
                    r.items,
                    r.new,
                    r.ms
                );
                let style = if r.ok { theme.text() } else { theme.error() };
                let mut spans = vec![Span::styled(line, style)];
                if let Some(e) = r.error.as_ref().filter(|_| !r.ok) {
                    spans.push(Span::styled(format!("  {e}"), theme.dim()));
                }
                lines.push(Line::from(spans));
            }
        }
        _ => lines.push(Line::from(Span::styled(
            "Reading the poll history…",
            theme.dim(),
        ))),
    }
    super::scroll_page(frame, area, app, lines, "Feed");
}

/// Polls the feed view lists.
const POLLS_SHOWN: usize = 20;
