//! One country's evidence: its status and why, structural risk and its source, 30 days of
//! items and alerts, the stories behind its alerts with their sources, and the desk's notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{age, clock_time, sparkline};
use crate::tui::app::{App, short};
use crate::tui::theme::{Theme, severity_label, status_label};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(code) = app.country_key else {
        frame.render_widget(
            Paragraph::new("No country selected.").style(theme.dim()),
            area,
        );
        return;
    };
    let row = app.snapshot.countries.iter().find(|r| r.code == code);
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<11}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let heading = |text: &str| Line::from(Span::styled(text.to_string(), theme.title()));
    let mut lines = Vec::new();
    let mut title = vec![Span::styled(
        format!("{code} {}", code.name()),
        theme.title(),
    )];
    if let Some(r) = row {
        title.push(Span::raw("  "));
        title.push(Span::styled(status_label(r.status), theme.status(r.status)));
        if r.no_data {
            title.push(Span::styled(
                "  NO DATA: every feed that reports on it is failing",
                theme.alarm(),
            ));
        }
        if !r.listed {
            title.push(Span::styled("  (not on the watchlist)", theme.dim()));
        }
    }
    lines.push(Line::from(title));
    lines.push(Line::raw(""));
    match row {
        Some(r) => {
            lines.push(field(
                "Risk",
                match (&r.risk_note, r.baseline) {
                    (Some(note), _) => note.clone(),
                    (None, Some(b)) => format!("{:.1}% (typed in the config)", b * 100.0),
                    (None, None) => {
                        "no structural risk estimate (import one with `watchfloor baseline import`)"
                            .into()
                    }
                },
            ));
            lines.push(field(
                "Alerts",
                format!(
                    "{} in 24 h, {} in the status window{}",
                    r.alerts_24h,
                    r.alerts_window,
                    r.newest
                        .map(|n| format!(", newest {} ago", age(app.now, n)))
                        .unwrap_or_default()
                ),
            ));
            if !r.notes.is_empty() {
                lines.push(field("Desk notes", r.notes.clone()));
            }
            if let Some((who, at)) = &r.triage.acked {
                lines.push(field(
                    "Acked",
                    format!("by {who}, {} ago", age(app.now, *at)),
                ));
            }
            if let Some((who, until)) = r
                .triage
                .snoozed
                .as_ref()
                .filter(|_| r.triage.snoozed_at(app.now))
            {
                lines.push(field(
                    "Snoozed",
                    format!("by {who} until {}", clock_time(app.now, *until)),
                ));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "Quiet and not on the watchlist: nothing in the status window.",
            theme.dim(),
        ))),
    }

    let detail = app
        .snapshot
        .drill
        .country
        .as_ref()
        .filter(|d| d.code == code);
    let Some(d) = detail else {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "Reading its history…",
            theme.dim(),
        )));
        super::scroll_page(frame, area, app, lines, "Country");
        return;
    };

    lines.push(Line::raw(""));
    lines.push(heading(&format!("Last {} days, oldest left", d.days.len())));
    let items: Vec<u32> = d.days.iter().map(|c| c.items).collect();
    let alerts: Vec<u32> = d.days.iter().map(|c| c.alerts).collect();
    let total = |v: &[u32]| v.iter().sum::<u32>();
    lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "Items"), theme.dim()),
        Span::raw(format!("▕{}▏", sparkline(&items))),
        Span::raw(format!(
            " {} in all, most {} a day",
            total(&items),
            items.iter().max().unwrap_or(&0)
        )),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "Alerts"), theme.dim()),
        Span::styled(format!("▕{}▏", sparkline(&alerts)), theme.caution()),
        Span::raw(format!(
            " {} in all, most {} a day",
            total(&alerts),
            alerts.iter().max().unwrap_or(&0)
        )),
    ]));

    lines.push(Line::raw(""));
    lines.push(heading(&format!(
        "Risk factors (UN Framework of Analysis): evidence in the last {}, not an assessment",
        crate::config::units::fmt_duration(d.evidence_window)
    )));
    let with = d.board.iter().filter(|r| r.count > 0).count();
    if with == 0 {
        lines.push(Line::from(Span::styled(
            "no evidence for any factor in this window",
            theme.dim(),
        )));
    }
    for r in &d.board {
        let specific = crate::rules::evidence::SPECIFIC.contains(&r.factor);
        let name = format!(
            "{}{:>2} {:<44}  ",
            if specific { "!" } else { " " },
            r.factor,
            short(crate::rules::evidence::factor_name(r.factor), 44)
        );
        if r.count == 0 {
            let was = if r.previous > 0 {
                format!("none ({} in the window before)", r.previous)
            } else {
                "none".into()
            };
            lines.push(Line::from(vec![
                Span::styled(name, theme.dim()),
                Span::styled(was, theme.dim()),
            ]));
            continue;
        }
        let mut spans = vec![
            Span::styled(
                name,
                if specific {
                    theme.caution()
                } else {
                    theme.text()
                },
            ),
            Span::raw(format!(
                "{:>3} item{} · {} source{} · {:<6}",
                r.count,
                if r.count == 1 { " " } else { "s" },
                r.sources,
                if r.sources == 1 { "" } else { "s" },
                r.trend()
            )),
        ];
        if let Some((at, title, _)) = &r.newest {
            spans.push(Span::styled(
                format!(" {:>4} ", age(app.now, *at)),
                theme.dim(),
            ));
            spans.push(Span::raw(short(title, 80)));
        }
        lines.push(Line::from(spans));
    }

    lines.push(Line::raw(""));
    lines.push(heading("Status history, newest first"));
    if d.history.is_empty() {
        lines.push(Line::from(Span::styled(
            "no change recorded while history is kept",
            theme.dim(),
        )));
    }
    for step in &d.history {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<13}", clock_time(app.now, step.at)), theme.dim()),
            Span::styled(status_label(step.from), theme.status(step.from)),
            Span::raw(" → "),
            Span::styled(status_label(step.to), theme.status(step.to)),
            Span::raw(format!("  {}", step.reason)),
        ]));
    }

    lines.push(Line::raw(""));
    lines.push(heading("Stories with alerts, newest first"));
    if d.stories.is_empty() {
        lines.push(Line::from(Span::styled("none in 30 days", theme.dim())));
    }
    for s in &d.stories {
        lines.push(Line::from(vec![
            Span::styled(severity_label(s.severity), theme.severity(s.severity)),
            Span::styled(format!(" {:>4} ", age(app.now, s.newest)), theme.dim()),
            Span::raw(short(&s.title, 120)),
        ]));
        lines.push(Line::from(Span::styled(
            format!(
                "           {} alert{} · {} · from {}",
                s.alerts,
                if s.alerts == 1 { "" } else { "s" },
                s.rules.join(", "),
                s.sources.join(", ")
            ),
            theme.dim(),
        )));
    }

    lines.push(Line::raw(""));
    lines.push(heading("Notes, newest first"));
    if d.notes.is_empty() {
        lines.push(Line::from(Span::styled(
            "none yet (n adds one)",
            theme.dim(),
        )));
    }
    for n in &d.notes {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {} on {}: ", clock_time(app.now, n.at), n.who, n.about),
                theme.dim(),
            ),
            Span::raw(n.text.clone()),
        ]));
    }
    super::scroll_page(frame, area, app, lines, "Country");
}
