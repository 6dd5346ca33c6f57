//! The brief's four forms. Markdown reads in a terminal and pastes into a chat; HTML is one
//! self-contained file that prints well; CSV is one row per alert; JSON is the model itself.
//! Feed text is escaped for each form (and CSV cells that a spreadsheet would run as a
//! formula are quoted as text).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{Brief, CountryBrief, SEVERITIES};

/// The forms a brief is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// One HTML file.
    Html,
    /// One row per alert.
    Csv,
    /// The model as JSON.
    Json,
}

/// Writes `brief` in `format`.
pub fn render(brief: &Brief, format: Format) -> String {
    match format {
        Format::Md => markdown(brief),
        Format::Html => html(brief),
        Format::Csv => csv(brief),
        Format::Json => serde_json::to_string_pretty(brief).unwrap_or_default() + "\n",
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%d %b %Y %H:%M UTC").to_string()
}

fn short(t: DateTime<Utc>) -> String {
    t.format("%d %b %H:%M").to_string()
}

/// The brief's one-line title.
pub fn title(brief: &Brief) -> String {
    format!(
        "Watch floor brief, {} to {}",
        when(brief.since),
        when(brief.until)
    )
}

/// Markdown: a backslash before every character that formats or links inline. (Feed text
/// never starts a line here, so block markers such as `#` and `-` need none.)
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_[]<|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn md_link(url: &Option<String>) -> String {
    match url {
        Some(u)
            if (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(['<', '>', ' ']) =>
        {
            format!(" <{u}>")
        }
        _ => String::new(),
    }
}

fn status_word(c: &CountryBrief) -> &'static str {
    c.status.as_str()
}

fn markdown(b: &Brief) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", title(b));
    let _ = writeln!(
        s,
        "New alerts: {}. Status changes: {}. Countries: {}.\n",
        b.alerts.words(),
        b.status_changes,
        b.countries.len()
    );
    if b.countries.is_empty() {
        let _ = writeln!(s, "Nothing to report in this period.\n");
    }
    for c in &b.countries {
        let _ = writeln!(
            s,
            "## {} ({}): {}{}\n",
            md(&c.name),
            c.code.as_str(),
            status_word(c),
            if c.listed {
                ""
            } else {
                ", not on the watchlist"
            }
        );
        let _ = writeln!(
            s,
            "Structural risk: {}.  ",
            c.risk
                .as_deref()
                .map(md)
                .unwrap_or_else(|| "not known".into())
        );
        let _ = writeln!(s, "New alerts: {}.\n", c.alerts.words());
        if !c.changes.is_empty() {
            let _ = writeln!(s, "Status changes:\n");
            for ch in &c.changes {
                let _ = writeln!(
                    s,
                    "- {}: {} to {}: {}",
                    short(ch.at),
                    ch.from.as_str(),
                    ch.to.as_str(),
                    md(&ch.reason)
                );
            }
            s.push('\n');
        }
        if !c.stories.is_empty() {
            let _ = writeln!(s, "Top stories:\n");
            for (i, st) in c.stories.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{}. **{}** {} ({} source{}: {}; {}){}",
                    i + 1,
                    st.severity.as_str().to_uppercase(),
                    md(&st.title),
                    st.sources.len(),
                    if st.sources.len() == 1 { "" } else { "s" },
                    md(&st.sources.join(", ")),
                    md(&st.rules.join(", ")),
                    md_link(&st.url)
                );
                if let Some(x) = &st.explanation {
                    let _ = writeln!(s, "   {}", md(x));
                }
            }
            if c.more_stories > 0 {
                let _ = writeln!(s, "\n...and {} more.", c.more_stories);
            }
            s.push('\n');
        }
        if !c.factors.is_empty() {
            let _ = writeln!(
                s,
                "Risk factors with evidence in the last {} (UN Framework of Analysis; evidence, not an assessment):\n",
                crate::config::units::fmt_duration(b.evidence_window)
            );
            let _ = writeln!(s, "| factor | items | sources | trend | newest |");
            let _ = writeln!(s, "|---|---|---|---|---|");
            for r in &c.factors {
                let newest = r
                    .newest
                    .as_ref()
                    .map(|(at, title, _)| format!("{}: {}", short(*at), md(title)))
                    .unwrap_or_else(|| "none in this window".into());
                let _ = writeln!(
                    s,
                    "| {}{} {} | {} | {} | {} | {} |",
                    if crate::rules::evidence::SPECIFIC.contains(&r.factor) {
                        "!"
                    } else {
                        ""
                    },
                    r.factor,
                    crate::rules::evidence::factor_name(r.factor),
                    r.count,
                    r.sources,
                    if r.count == 0 { "gone" } else { r.trend() },
                    newest
                );
            }
            s.push('\n');
        }
        if !c.notes.is_empty() {
            let _ = writeln!(s, "Desk notes:\n");
            for n in &c.notes {
                let _ = writeln!(
                    s,
                    "- {}, {} on {}: {}",
                    short(n.at),
                    md(&n.who),
                    md(&n.on),
                    md(&n.text)
                );
            }
            s.push('\n');
        }
    }
    let _ = writeln!(s, "## Feeds\n");
    if b.feeds.is_empty() {
        let _ = writeln!(s, "Every feed answered and none went silent.");
    }
    for f in &b.feeds {
        let mut line = format!("- **{}** ({})", md(&f.name), md(&f.id));
        if f.failed > 0 {
            let _ = write!(
                line,
                ": {} of the last {} polls failed{}",
                f.failed,
                f.polls,
                if f.failing_now {
                    ", failing now"
                } else {
                    ", recovered"
                }
            );
            if let Some(e) = &f.last_error {
                let _ = write!(line, "; last error: {}", md(e));
            }
        }
        if let Some(q) = &f.silent {
            let _ = write!(line, "; went silent: {}", md(q));
        }
        let _ = writeln!(s, "{line}");
    }
    s
}

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn href(url: &Option<String>) -> Option<String> {
    url.as_ref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(|u| html_escape::encode_double_quoted_attribute(u).into_owned())
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #ccc}
.critical{color:#b01e2d}.warning{color:#b35600}.watch{color:#7a6400}.quiet{color:#555}
.sev{font-weight:600;font-size:.8rem}table{border-collapse:collapse}td,th{padding:.15rem .5rem;text-align:left}
.muted{color:#555}section{break-inside:avoid}@media print{body{margin:0;max-width:none}a{color:#111}}";

fn html(b: &Brief) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title(b)),
        esc(&title(b))
    );
    let _ = writeln!(
        s,
        "<p>New alerts: {}. Status changes: {}. Countries: {}.</p>",
        esc(&b.alerts.words()),
        b.status_changes,
        b.countries.len()
    );
    let _ = writeln!(
        s,
        "<table><tr>{}</tr><tr>{}</tr></table>",
        SEVERITIES
            .iter()
            .map(|v| format!("<th>{}</th>", v.as_str()))
            .collect::<String>(),
        SEVERITIES
            .iter()
            .map(|v| format!("<td>{}</td>", b.alerts.get(*v)))
            .collect::<String>()
    );
    for c in &b.countries {
        let _ = writeln!(
            s,
            "<section><h2>{} ({}): <span class=\"{}\">{}</span>{}</h2>",
            esc(&c.name),
            c.code.as_str(),
            c.status.as_str(),
            c.status.as_str(),
            if c.listed {
                ""
            } else {
                " <span class=\"muted\">not on the watchlist</span>"
            }
        );
        let _ = writeln!(
            s,
            "<p>Structural risk: {}.<br>New alerts: {}.</p>",
            esc(c.risk.as_deref().unwrap_or("not known")),
            esc(&c.alerts.words())
        );
        if !c.changes.is_empty() {
            s.push_str("<h3>Status changes</h3><ul>\n");
            for ch in &c.changes {
                let _ = writeln!(
                    s,
                    "<li>{}: {} to {}: {}</li>",
                    esc(&short(ch.at)),
                    ch.from.as_str(),
                    ch.to.as_str(),
                    esc(&ch.reason)
                );
            }
            s.push_str("</ul>\n");
        }
        if !c.stories.is_empty() {
            s.push_str("<h3>Top stories</h3><ol>\n");
            for st in &c.stories {
                let title = match href(&st.url) {
                    Some(h) => format!("<a href=\"{h}\">{}</a>", esc(&st.title)),
                    None => esc(&st.title),
                };
                let _ = write!(
                    s,
                    "<li><span class=\"sev\">{}</span> {title} <span class=\"muted\">({} source{}: {}; {})</span>",
                    st.severity.as_str().to_uppercase(),
                    st.sources.len(),
                    if st.sources.len() == 1 { "" } else { "s" },
                    esc(&st.sources.join(", ")),
                    esc(&st.rules.join(", "))
                );
                if let Some(x) = &st.explanation {
                    let _ = write!(s, "<br>{}", esc(x));
                }
                s.push_str("</li>\n");
            }
            s.push_str("</ol>\n");
            if c.more_stories > 0 {
                let _ = writeln!(s, "<p class=\"muted\">...and {} more.</p>", c.more_stories);
            }
        }
        if !c.factors.is_empty() {
            let _ = writeln!(
                s,
                "<h3>Risk factors with evidence in the last {}</h3>\n<p class=\"muted\">UN Framework of Analysis for Atrocity Crimes; evidence in the news, not an assessment.</p>\n<table><tr><th>Factor</th><th>Items</th><th>Sources</th><th>Trend</th><th>Newest</th></tr>",
                crate::config::units::fmt_duration(b.evidence_window)
            );
            for r in &c.factors {
                let newest = r
                    .newest
                    .as_ref()
                    .map(|(at, title, _)| format!("{}: {}", esc(&short(*at)), esc(title)))
                    .unwrap_or_else(|| "none in this window".into());
                let _ = writeln!(
                    s,
                    "<tr><td>{}{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{newest}</td></tr>",
                    if crate::rules::evidence::SPECIFIC.contains(&r.factor) {
                        "!"
                    } else {
                        ""
                    },
                    r.factor,
                    esc(crate::rules::evidence::factor_name(r.factor)),
                    r.count,
                    r.sources,
                    if r.count == 0 { "gone" } else { r.trend() },
                );
            }
            s.push_str("</table>\n");
        }
        if !c.notes.is_empty() {
            s.push_str("<h3>Desk notes</h3><ul>\n");
            for n in &c.notes {
                let _ = writeln!(
                    s,
                    "<li>{}, {} on {}: {}</li>",
                    esc(&short(n.at)),
                    esc(&n.who),
                    esc(&n.on),
                    esc(&n.text)
                );
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</section>\n");
    }
    s.push_str("<section><h2>Feeds</h2>\n");
    if b.feeds.is_empty() {
        s.push_str("<p>Every feed answered and none went silent.</p>\n");
    } else {
        s.push_str("<ul>\n");
        for f in &b.feeds {
            let _ = write!(s, "<li><b>{}</b> ({})", esc(&f.name), esc(&f.id));
            if f.failed > 0 {
                let _ = write!(
                    s,
                    ": {} of the last {} polls failed{}",
                    f.failed,
                    f.polls,
                    if f.failing_now {
                        ", failing now"
                    } else {
                        ", recovered"
                    }
                );
                if let Some(e) = &f.last_error {
                    let _ = write!(s, "; last error: {}", esc(e));
                }
            }
            if let Some(q) = &f.silent {
                let _ = write!(s, "; went silent: {}", esc(q));
            }
            s.push_str("</li>\n");
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n</body></html>\n");
    s
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) is kept as text.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv(b: &Brief) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "at",
        "id",
        "severity",
        "country",
        "country_name",
        "rule",
        "kind",
        "feed",
        "title",
        "url",
        "published",
        "value",
        "limit",
        "explanation",
        "sources",
        "story",
        "acknowledged_by",
    ]);
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for line in &b.all_alerts {
        let a = &line.alert;
        let _ = w.write_record([
            crate::time::format(&a.at),
            a.id.clone(),
            a.severity.as_str().to_string(),
            a.country
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            cell(a.country_name.as_deref().unwrap_or_default()),
            cell(&a.rule),
            a.kind.clone(),
            cell(&a.feed),
            cell(&a.title),
            cell(a.url.as_deref().unwrap_or_default()),
            a.published
                .as_ref()
                .map(crate::time::format)
                .unwrap_or_default(),
            num(a.value),
            num(a.limit),
            cell(a.explanation.as_deref().unwrap_or_default()),
            cell(&a.sources.join(";")),
            a.story.clone().unwrap_or_default(),
            cell(line.acknowledged_by.as_deref().unwrap_or_default()),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_text_and_markup_is_escaped() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("Sudan"), "Sudan");
        assert_eq!(
            md("[click](http://x) *now*"),
            "\\[click\\](http://x) \\*now\\*"
        );
    }
}
