//! The watchlist: one row per country, listed countries first, then those not on the list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use super::{COMPACT_WIDTH, age, list_table, sparkline};
use crate::tui::app::{App, SortOrder, short};
use crate::tui::theme::{Theme, status_label};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = app.countries();
    let compact = area.width < COMPACT_WIDTH;
    if rows.is_empty() {
        let text = if app.filter.is_empty() {
            "The watchlist is empty: add [[countries]] to the config. Alerts for countries not on the list appear here as they arrive."
        } else {
            "No country matches the filter (Esc clears it)."
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .style(theme.dim())
                .block(Block::new().borders(Borders::TOP)),
            area,
        );
        return;
    }
    let window_label = "win";
    let mut header = vec!["Status", "CC", "Country"];
    if !compact {
        header.push("Risk");
    }
    // Risk factors with evidence (UN Framework of Analysis); `!` marks 10 to 12.
    header.push(if compact { "RF" } else { "Factors" });
    header.extend(["24h", window_label, "7 days", "Newest", "Triage"]);
    let header: Vec<String> = header
        .into_iter()
        .map(|h| super::sort_mark(h, app.sort.column()))
        .collect();
    let listed = rows.iter().filter(|r| r.listed).count();
    let mut table_rows: Vec<Row> = Vec::with_capacity(rows.len() + 1);
    for (i, r) in rows.iter().enumerate() {
        if i == listed && listed > 0 {
            table_rows.push(Row::new(vec![
                Cell::from(""),
                Cell::from(""),
                Cell::from(Span::styled("── not listed ──", theme.dim())),
            ]));
        }
        let mut triage = Vec::new();
        if app.is_marked(crate::event::TriageTarget::Country, r.code.as_str()) {
            triage.push("▶marked".to_string());
        }
        if let Some((who, _)) = &r.triage.acked {
            triage.push(format!("✓ack {who}"));
        }
        if let Some((_, until)) = r
            .triage
            .snoozed
            .as_ref()
            .filter(|_| r.triage.snoozed_at(app.now))
        {
            triage.push(format!("z until {}", super::clock_time(app.now, *until)));
        }
        if !r.triage.notes.is_empty() {
            triage.push(format!("✎{}", r.triage.notes.len()));
        }
        let name_width = if compact { 16 } else { 24 };
        let status = if r.no_data && r.status == crate::event::Status::Quiet {
            // Quiet only because nothing can report: say so, loudly.
            Span::styled("? NO DATA", theme.error())
        } else {
            Span::styled(status_label(r.status), theme.status(r.status))
        };
        let mut cells = vec![
            Cell::from(status),
            Cell::from(r.code.to_string()),
            Cell::from(short(&r.name, name_width)),
        ];
        if !compact {
            let risk = match (r.baseline, r.rank) {
                (Some(b), Some((rank, _))) => format!("{:.1}% #{rank}", b * 100.0),
                (Some(b), None) => format!("{:.1}%", b * 100.0),
                _ => "–".to_string(),
            };
            cells.push(Cell::from(risk));
        }
        let specific = r
            .factors
            .iter()
            .any(|f| crate::rules::evidence::SPECIFIC.contains(f));
        let factors = if r.factors.is_empty() {
            "–".to_string()
        } else if compact {
            format!("{}{}", r.factors.len(), if specific { "!" } else { "" })
        } else {
            crate::rules::evidence::summary(&r.factors)
        };
        cells.push(Cell::from(Span::styled(
            factors,
            if specific {
                theme.caution()
            } else {
                theme.text()
            },
        )));
        cells.extend([
            Cell::from(count(r.alerts_24h)),
            Cell::from(count(r.alerts_window)),
            Cell::from(sparkline(&r.daily)),
            Cell::from(
                r.newest
                    .map_or_else(|| "–".to_string(), |t| age(app.now, t)),
            ),
            Cell::from(triage.join(" ")),
        ]);
        table_rows.push(Row::new(cells));
    }
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Length(3),
        Constraint::Length(if compact { 16 } else { 24 }),
    ];
    if !compact {
        widths.push(Constraint::Length(11));
    }
    widths.push(Constraint::Length(if compact { 3 } else { 12 }));
    widths.extend([
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Min(8),
    ]);
    let selected = app
        .country_key
        .and_then(|k| rows.iter().position(|r| r.code == k))
        .unwrap_or(0);
    let display_index = if listed > 0 && selected >= listed {
        selected + 1
    } else {
        selected
    };
    let mut state = TableState::default().with_selected(Some(display_index));
    let mut title = format!(
        " {} {}, {} listed ",
        rows.len(),
        if rows.len() == 1 {
            "country"
        } else {
            "countries"
        },
        listed
    );
    // The selected country's structural risk and where it came from.
    if let Some(note) = rows.get(selected).and_then(|r| {
        r.risk_note
            .as_ref()
            .map(|n| format!("· {} structural risk {n} ", r.code))
    }) {
        title.push_str(&note);
    }
    let title = Line::from(vec![Span::styled(title, theme.dim())]);
    frame.render_stateful_widget(
        list_table(table_rows, widths, header, title, theme),
        area,
        &mut state,
    );
    app.list_geometry.set(Some(crate::tui::app::ListGeometry {
        top: area.y + 2,
        rows: area.height.saturating_sub(2),
        first: state.offset(),
        separator: (listed > 0 && listed < rows.len()).then_some(listed),
    }));
}

fn count(n: u32) -> String {
    if n == 0 { "·".into() } else { n.to_string() }
}
