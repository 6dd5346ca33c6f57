//! One alert in full: the item, why the rule fired, other sources, triage, and the text with
//! the matched terms highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::age;
use crate::tui::app::App;
use crate::tui::theme::{Theme, severity_label};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(row) = app.selected_alert() else {
        frame.render_widget(
            Paragraph::new("The alert is no longer in view.").style(theme.dim()),
            area,
        );
        return;
    };
    let a = &row.alert;
    let feed_name = app
        .snapshot
        .feeds
        .iter()
        .find(|f| f.id == a.feed)
        .map_or(a.feed.as_str(), |f| f.name.as_str());
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<11}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let group = app.alert_group(row);
    let terms: Vec<String> = group
        .iter()
        .flat_map(|r| r.alert.matched.iter())
        .map(|m| {
            m.split(" ×")
                .next()
                .unwrap_or(m)
                .trim_end_matches('*')
                .to_string()
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut lines = vec![
        highlight(&a.title, &terms, theme.title(), theme),
        Line::raw(""),
    ];
    lines.push(field("Source", format!("{feed_name} ({})", a.feed)));
    lines.push(field(
        "Published",
        a.published.map_or_else(
            || "not given".into(),
            |p| {
                format!(
                    "{} UTC ({} ago)",
                    p.format("%Y-%m-%d %H:%M"),
                    age(app.now, p)
                )
            },
        ),
    ));
    lines.push(field(
        "Alerted",
        format!(
            "{} UTC ({} ago)",
            a.at.format("%Y-%m-%d %H:%M:%S"),
            age(app.now, a.at)
        ),
    ));
    lines.push(field(
        "Link",
        a.url.clone().unwrap_or_else(|| "none".into()),
    ));
    let country = match (a.country, &a.country_name) {
        (Some(c), Some(n)) => format!(
            "{c} {n}{}",
            if a.listed {
                ""
            } else {
                " (not on the watchlist)"
            }
        ),
        _ => "none named".into(),
    };
    lines.push(field("Country", country));
    let why = match (a.field.as_deref(), a.value, a.limit) {
        (Some(f), Some(v), Some(l)) => format!("{f} = {v} {} {l}", a.op.as_deref().unwrap_or(">=")),
        (None, Some(v), Some(l)) => format!(
            "{v} items {} {l} in the window",
            a.op.as_deref().unwrap_or(">=")
        ),
        _ => format!("matched {}", a.matched.join(", ")),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "Rule"), theme.dim()),
        Span::styled(severity_label(a.severity), theme.severity(a.severity)),
        Span::raw(format!(" {} ({}): {why}", a.rule, a.kind)),
    ]));
    if let Some(why) = &a.explanation {
        lines.push(field("Why", why.clone()));
    }
    // Every other rule the same item hit, one line each.
    for other in group.iter().filter(|r| r.alert.id != a.id) {
        let o = &other.alert;
        let place = o.country.map(|c| format!(" [{c}]")).unwrap_or_default();
        let what = o
            .explanation
            .clone()
            .unwrap_or_else(|| format!("matched {}", o.matched.join(", ")));
        lines.push(Line::from(vec![
            Span::styled(format!("{:<11}", "Also hit"), theme.dim()),
            Span::styled(severity_label(o.severity), theme.severity(o.severity)),
            Span::raw(format!(" {}{place} ({}): {what}", o.rule, o.kind)),
        ]));
    }
    if a.sources.len() > 1 || a.revision > 1 {
        lines.push(field(
            "Sources",
            format!("{} (revision {})", a.sources.join(", "), a.revision),
        ));
    }
    if !row.also_in.is_empty() {
        lines.push(field("Also in", row.also_in.join(", ")));
    }
    if let Some((who, at)) = &row.triage.acked {
        lines.push(field(
            "Acked",
            format!("by {who}, {} ago", age(app.now, *at)),
        ));
    }
    if let Some((who, until)) = row
        .triage
        .snoozed
        .as_ref()
        .filter(|_| row.triage.snoozed_at(app.now))
    {
        lines.push(field(
            "Snoozed",
            format!("by {who} until {} UTC", until.format("%Y-%m-%d %H:%M")),
        ));
    }
    for (who, at, note) in &row.triage.notes {
        lines.push(field(
            "Note",
            format!("{note} ({who}, {} ago)", age(app.now, *at)),
        ));
    }
    lines.push(Line::raw(""));
    if a.summary.is_empty() {
        lines.push(Line::from(Span::styled("(no summary)", theme.dim())));
    } else {
        lines.push(highlight(&a.summary, &terms, theme.text(), theme));
    }
    super::scroll_page(frame, area, app, lines, "Alert");
}

/// Splits `text` into spans with every case-insensitive occurrence of a term highlighted.
pub(super) fn highlight<'a>(
    text: &'a str,
    terms: &[String],
    base: ratatui::style::Style,
    theme: &Theme,
) -> Line<'a> {
    let lower = text.to_lowercase();
    // Byte offsets only line up when lowercasing kept every character's length.
    if lower.len() != text.len() || terms.is_empty() {
        return Line::from(Span::styled(text, base));
    }
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for t in terms {
        let t = t.to_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&t) {
            let start = from + i;
            let mut end = start + t.len();
            // Extend prefix terms to the end of the word ("massacr" → "massacred").
            end += lower[end..]
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(lower.len() - end);
            marks.push((start, end));
            from = end;
        }
    }
    marks.sort_unstable();
    let mut spans = Vec::new();
    let mut at = 0;
    for (s, e) in marks {
        if s < at || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        spans.push(Span::styled(&text[at..s], base));
        spans.push(Span::styled(&text[s..e], theme.highlight()));
        at = e;
    }
    spans.push(Span::styled(&text[at..], base));
    Line::from(spans)
}
