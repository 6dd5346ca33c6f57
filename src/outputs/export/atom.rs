//! An Atom feed (RFC 4287) of alerts: newest first, one entry per alert, its severity and
//! country as categories, so any feed reader can follow a desk.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::xml;
use crate::event::Alert;

/// The feed's own details.
#[derive(Debug, Clone)]
pub struct AtomFeed {
    /// A stable id for the feed (`urn:watchfloor:<database id>`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its own URL, when served.
    pub self_url: Option<String>,
    /// When it was written (used when it holds no alert).
    pub now: DateTime<Utc>,
}

fn time(t: DateTime<Utc>) -> String {
    crate::time::format(&t)
}

/// The feed of `alerts` (any order; written newest first).
pub fn atom_feed(feed: &AtomFeed, alerts: &[Alert]) -> String {
    let mut sorted: Vec<&Alert> = alerts.iter().collect();
    sorted.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
    let updated = sorted.first().map_or(feed.now, |a| a.at);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(s, "  <id>{}</id>", xml(&feed.id));
    let _ = writeln!(s, "  <title>{}</title>", xml(&feed.title));
    let _ = writeln!(s, "  <updated>{}</updated>", time(updated));
    s.push_str("  <author><name>watchfloor</name></author>\n");
    let _ = writeln!(
        s,
        "  <generator version=\"{}\">watchfloor</generator>",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(u) = &feed.self_url {
        let _ = writeln!(s, "  <link rel=\"self\" href=\"{}\"/>", xml(u));
    }
    for a in sorted {
        let place = a
            .country_name
            .clone()
            .or_else(|| a.country.map(|c| c.name().to_string()))
            .unwrap_or_else(|| "no country".into());
        s.push_str("  <entry>\n");
        let _ = writeln!(s, "    <id>urn:watchfloor:alert:{}</id>", xml(&a.id));
        let _ = writeln!(
            s,
            "    <title>{}</title>",
            xml(&format!(
                "[{}] {place}: {}",
                a.severity.as_str().to_uppercase(),
                a.title
            ))
        );
        let _ = writeln!(s, "    <published>{}</published>", time(a.at));
        let _ = writeln!(s, "    <updated>{}</updated>", time(a.at));
        if let Some(u) = a
            .url
            .as_ref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        {
            let _ = writeln!(s, "    <link href=\"{}\"/>", xml(u));
        }
        let _ = writeln!(s, "    <category term=\"{}\"/>", a.severity.as_str());
        let _ = writeln!(s, "    <category term=\"rule:{}\"/>", xml(&a.rule));
        if let Some(c) = a.country {
            let _ = writeln!(
                s,
                "    <category term=\"{}\" label=\"{}\"/>",
                c.as_str(),
                xml(&place)
            );
        }
        let mut summary = a.explanation.clone().unwrap_or_default();
        if summary.is_empty() && !a.matched.is_empty() {
            summary = format!("Matched: {}.", a.matched.join(", "));
        }
        if !a.summary.is_empty() {
            if !summary.is_empty() {
                summary.push(' ');
            }
            summary.push_str(&a.summary);
        }
        if !a.sources.is_empty() {
            summary.push_str(&format!(" Sources: {}.", a.sources.join(", ")));
        }
        let _ = writeln!(
            s,
            "    <summary type=\"text\">{}</summary>",
            xml(summary.trim())
        );
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}
