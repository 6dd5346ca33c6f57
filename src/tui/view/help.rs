//! Every key, generated from the live key map, and the filter language.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let help = app.keymap.help();
    let width = help
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(8)
        + 2;
    let mut lines: Vec<Line> = help
        .into_iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!("{keys:<width$}"), theme.title()),
                Span::raw(what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Filter (/)", theme.title())));
    for text in [
        "Words separated by spaces must all match; a bare word matches any visible column.",
        "field:value matches the start of a field, any case: sev:crit cc:SD country:sud rule:viol feed:wire",
        "is:ack, is:snoozed, is:noted select by triage, is:new what you have not seen (• in the list); ! negates any term: !is:ack !cc:ML",
        "sev: is a severity on Alerts, a status on the Watchlist (crit, warn, watch, quiet), a health on Feeds (ok, late, pending, failing, off).",
    ] {
        lines.push(Line::raw(format!("  {text}")));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!("History search ({})", app.keymap.hint(Action::Search)),
        theme.title(),
    )));
    for text in [
        "Searches the title and text of every stored item, alerted or not, in any script (kept for settings.retain).",
        "Every word must appear, any case; Enter opens a result (its alert's detail when it raised one).",
    ] {
        lines.push(Line::raw(format!("  {text}")));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!(
            "Saved views ({} then a number)",
            app.keymap.hint(Action::SavedView)
        ),
        theme.title(),
    )));
    if app.views.is_empty() {
        lines.push(Line::raw(
            "  none: add [[views]] with a name, a filter, a list and a sort to the config",
        ));
    }
    for (i, v) in app.views.iter().enumerate() {
        lines.push(Line::raw(format!(
            "  {} {}: {}",
            i + 1,
            v.name,
            if v.filter.is_empty() {
                "(no filter)"
            } else {
                &v.filter
            }
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "Keys can be changed in the config's [keys] table, e.g. acknowledge = \"A\". Mouse: click selects, a second click opens, the wheel scrolls; hold Shift to select text.",
        theme.dim(),
    )));
    let total = lines.len() as u16;
    let visible = area.height.saturating_sub(1);
    let title = if total > visible {
        " Keys (↑↓ scroll) "
    } else {
        " Keys "
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.help_scroll.min(total.saturating_sub(visible)), 0))
            .block(Block::new().borders(Borders::TOP).title(title)),
        area,
    );
}
