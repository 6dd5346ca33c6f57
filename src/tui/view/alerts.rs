//! The alert stream, newest first, for one country or all.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use super::{COMPACT_WIDTH, age, list_table};
use crate::tui::app::{App, SortOrder, short};
use crate::tui::theme::{Theme, severity_label};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = app.alerts();
    let compact = area.width < COMPACT_WIDTH;
    if rows.is_empty() {
        use crate::store::snapshot::FeedHealth;
        let enabled = app.snapshot.feeds.iter().filter(|f| f.enabled).count();
        let failing = app
            .snapshot
            .feeds
            .iter()
            .filter(|f| f.health(app.now) == FeedHealth::Failing)
            .count();
        let blind = enabled > 0 && failing == enabled;
        let text = match (app.alerts_country, app.filter.is_empty()) {
            (_, false) => "No alert matches the filter (Esc clears it).".to_string(),
            _ if blind => format!(
                "No alerts, but every feed is failing ({failing} of {enabled}): none could arrive. See Feeds ({}).",
                app.keymap.hint(crate::tui::action::Action::ShowFeeds)
            ),
            (Some(c), true) => format!("No alerts for {} {} yet.", c, c.name()),
            (None, true) => "No alerts yet. They appear here as feeds are polled.".to_string(),
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .style(if blind { theme.error() } else { theme.dim() })
                .block(Block::new().borders(Borders::TOP)),
            area,
        );
        return;
    }
    // Only the rows that fit are built: the list can hold hundreds of alerts and the screen
    // redraws every second.
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    // Selection by key, resolved against the rows already built for this frame.
    let selected = app
        .alert_key
        .as_ref()
        .and_then(|k| rows.iter().position(|r| &r.alert.id == k))
        .unwrap_or(0);
    let start = selected.saturating_sub(visible - 1);
    let (page, alerts) = app.alert_page(start, visible);
    let table_rows: Vec<Row> = page
        .iter()
        .map(|g| {
            let r = g[0];
            let a = &r.alert;
            let mut mark = String::new();
            if app.is_marked(crate::event::TriageTarget::Alert, &a.id) {
                mark.push('▶');
            }
            if g.iter().any(|m| app.is_new(&m.alert)) {
                mark.push('•');
            }
            if g.iter().all(|m| m.triage.acked.is_some()) {
                mark.push('✓');
            }
            if r.triage.snoozed_at(app.now) {
                mark.push('z');
            }
            if g.iter().any(|m| !m.triage.notes.is_empty()) {
                mark.push('✎');
            }
            // One row per item: its highest severity, its countries and every rule it hit.
            let severity = g
                .iter()
                .map(|m| m.alert.severity)
                .max()
                .unwrap_or(a.severity);
            let mut countries: Vec<String> = Vec::new();
            let mut rules: Vec<&str> = Vec::new();
            for m in g {
                if let Some(c) = m.alert.country.map(|c| c.to_string())
                    && !countries.contains(&c)
                {
                    countries.push(c);
                }
                if !rules.contains(&m.alert.rule.as_str()) {
                    rules.push(&m.alert.rule);
                }
            }
            let cc = match countries.len() {
                0 => "--".to_string(),
                1 => countries[0].clone(),
                n => format!("{}+{}", countries[0], n - 1),
            };
            let mut cells = vec![
                Cell::from(Span::styled(
                    severity_label(severity),
                    theme.severity(severity),
                )),
                // The news's age: from when it was published, when the source says.
                Cell::from(age(app.now, a.published.map_or(a.at, |p| p.min(a.at)))),
                Cell::from(cc),
                Cell::from(short(&rules.join(","), if compact { 12 } else { 18 })),
            ];
            if !compact {
                cells.push(Cell::from(short(&a.feed, 16)));
            }
            cells.push(Cell::from(mark));
            cells.push(Cell::from(a.title.clone()));
            Row::new(cells)
        })
        .collect();
    let mut header: Vec<String> = ["Sev", "Age", "CC", "Rules"]
        .map(|h| super::sort_mark(h, app.alert_sort.column()))
        .to_vec();
    if !compact {
        header.push("Feed".into());
    }
    header.extend(["".into(), "Title".into()]);
    let mut widths = vec![
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Length(if compact { 12 } else { 18 }),
    ];
    if !compact {
        widths.push(Constraint::Length(16));
    }
    widths.extend([Constraint::Length(4), Constraint::Min(10)]);
    let mut state = TableState::default().with_selected(Some(selected - start));
    let title = Line::from(Span::styled(
        if alerts == rows.len() {
            format!(" {alerts} alerts ")
        } else {
            format!(" {} items, {alerts} alerts ", rows.len())
        },
        theme.dim(),
    ));
    frame.render_stateful_widget(
        list_table(table_rows, widths, header, title, theme),
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
