//! History search: every stored item whose text has the words, alerted or not, and one result
//! in full.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use super::{age, list_table};
use crate::tui::app::{App, short};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let query = app.search.clone().unwrap_or_default();
    let hits = app.hits();
    if hits.is_empty() {
        let text = if app.search_pending() {
            format!("Searching for \"{query}\"…")
        } else {
            format!(
                "No stored item has \"{query}\". Items are kept for settings.retain; {} searches again.",
                app.keymap.hint(crate::tui::action::Action::Search)
            )
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
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let selected = app.selected_index();
    let start = selected.saturating_sub(visible - 1);
    let rows: Vec<Row> = hits
        .iter()
        .skip(start)
        .take(visible)
        .map(|h| {
            let when = h.published.map_or(h.first_seen, |p| p.min(h.first_seen));
            let cc: Vec<String> = h.countries.iter().map(ToString::to_string).collect();
            Row::new(vec![
                Cell::from(age(app.now, when)),
                Cell::from(short(&cc.join(","), 8)),
                Cell::from(short(&h.feed, 16)),
                Cell::from(if h.alerted {
                    Span::styled("alert", theme.caution())
                } else {
                    Span::raw("")
                }),
                Cell::from(h.title.clone()),
            ])
        })
        .collect();
    let widths = vec![
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Length(16),
        Constraint::Length(5),
        Constraint::Min(10),
    ];
    let more = if hits.len() >= crate::store::sqlite::drill::MAX_HITS {
        " (the newest; add words to narrow)"
    } else {
        ""
    };
    let title = Line::from(Span::styled(
        format!(" {} items with \"{query}\"{more} ", hits.len()),
        theme.dim(),
    ));
    let mut state = TableState::default().with_selected(Some(selected - start));
    frame.render_stateful_widget(
        list_table(
            rows,
            widths,
            vec!["Age", "CC", "Feed", "", "Title"],
            title,
            theme,
        ),
        area,
        &mut state,
    );
    app.list_geometry.set(Some(crate::tui::app::ListGeometry {
        top: area.y + 2,
        rows: area.height.saturating_sub(2),
        first: start + state.offset(),
        separator: None,
    }));
}

/// One stored item in full, with the searched words highlighted.
pub fn draw_hit(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(h) = app.selected_hit() else {
        frame.render_widget(
            Paragraph::new("The item is no longer stored.").style(theme.dim()),
            area,
        );
        return;
    };
    let terms: Vec<String> = app
        .search
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<11}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let when = |t: chrono::DateTime<chrono::Utc>| {
        format!(
            "{} UTC ({} ago)",
            t.format("%Y-%m-%d %H:%M"),
            age(app.now, t)
        )
    };
    let countries: Vec<String> = h
        .countries
        .iter()
        .map(|c| format!("{c} {}", c.name()))
        .collect();
    let mut lines = vec![
        super::detail::highlight(&h.title, &terms, theme.title(), theme),
        Line::raw(""),
        field("Source", h.feed.clone()),
        field(
            "Published",
            h.published.map_or_else(|| "not given".into(), when),
        ),
        field("First seen", when(h.first_seen)),
        field("Link", h.url.clone().unwrap_or_else(|| "none".into())),
        field(
            "Countries",
            if countries.is_empty() {
                "none named".into()
            } else {
                countries.join(", ")
            },
        ),
        field(
            "Alerted",
            if h.alerted {
                "yes (its alerts have left the alert list)".into()
            } else {
                "no rule fired on it".into()
            },
        ),
        Line::raw(""),
    ];
    if h.summary.is_empty() {
        lines.push(Line::from(Span::styled("(no summary)", theme.dim())));
    } else {
        lines.push(super::detail::highlight(
            &h.summary,
            &terms,
            theme.text(),
            theme,
        ));
    }
    super::scroll_page(frame, area, app, lines, "Item");
}
