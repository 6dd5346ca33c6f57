//! OASIS Common Alerting Protocol 1.2: one `alert` document per watchfloor alert, and a
//! second with `msgType` Update (referencing the first) when another publisher joined its
//! story later.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::xml;
use crate::config::{CapScope, Severity};
use crate::event::Alert;

/// What every document of a desk shares.
#[derive(Debug, Clone)]
pub struct CapContext {
    /// `sender`.
    pub sender: String,
    /// `scope`.
    pub scope: CapScope,
    /// Category per rule id (absent: Security).
    pub categories: HashMap<String, String>,
}

impl CapContext {
    /// From a config's settings and rules.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            sender: config.settings.sender.clone(),
            scope: config.settings.cap_scope,
            categories: config
                .rules
                .iter()
                .filter_map(|r| r.cap_category.clone().map(|c| (r.id.clone(), c)))
                .collect(),
        }
    }
}

/// CAP's dateTime: seconds and an explicit offset (`2026-11-27T06:00:00+00:00`); the schema
/// admits neither fractions nor `Z`.
fn cap_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Extreme",
        Severity::High => "Severe",
        Severity::Medium => "Moderate",
        Severity::Low => "Minor",
        Severity::Info => "Unknown",
    }
}

fn urgency(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "Immediate",
        Severity::Medium => "Expected",
        Severity::Low | Severity::Info => "Unknown",
    }
}

/// Observed when a source's own number crossed a limit (or a feed was seen to go quiet);
/// Likely when it rests on words in reports or on their volume.
fn certainty(kind: &str) -> &'static str {
    match kind {
        "threshold" | "silence" => "Observed",
        _ => "Likely",
    }
}

fn description(a: &Alert) -> String {
    let mut d = String::new();
    if let Some(x) = &a.explanation {
        d.push_str(x);
    } else if !a.matched.is_empty() {
        d.push_str(&format!("Matched: {}.", a.matched.join(", ")));
    }
    if !a.summary.is_empty() {
        if !d.is_empty() {
            d.push_str("\n\n");
        }
        d.push_str(&a.summary);
    }
    if !a.sources.is_empty() {
        d.push_str(&format!("\n\nSources: {}.", a.sources.join(", ")));
    }
    d.trim().to_string()
}

/// One CAP document.
fn document(
    a: &Alert,
    ctx: &CapContext,
    identifier: &str,
    sent: DateTime<Utc>,
    references: Option<String>,
) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
    let _ = writeln!(s, "  <identifier>{}</identifier>", xml(identifier));
    let _ = writeln!(s, "  <sender>{}</sender>", xml(&ctx.sender));
    let _ = writeln!(s, "  <sent>{}</sent>", cap_time(sent));
    s.push_str("  <status>Actual</status>\n");
    let _ = writeln!(
        s,
        "  <msgType>{}</msgType>",
        if references.is_some() {
            "Update"
        } else {
            "Alert"
        }
    );
    s.push_str("  <source>watchfloor</source>\n");
    let _ = writeln!(s, "  <scope>{}</scope>", ctx.scope.as_str());
    if ctx.scope == CapScope::Restricted {
        s.push_str("  <restriction>For the desk and those it shares with</restriction>\n");
    }
    if let Some(r) = &references {
        let _ = writeln!(s, "  <references>{}</references>", xml(r));
    }
    s.push_str("  <info>\n    <language>en</language>\n");
    let category = ctx
        .categories
        .get(&a.rule)
        .map_or("Security", String::as_str);
    let _ = writeln!(s, "    <category>{}</category>", xml(category));
    let _ = writeln!(s, "    <event>{}</event>", xml(&a.rule));
    let _ = writeln!(s, "    <urgency>{}</urgency>", urgency(a.severity));
    let _ = writeln!(s, "    <severity>{}</severity>", severity(a.severity));
    let _ = writeln!(s, "    <certainty>{}</certainty>", certainty(&a.kind));
    if let Some(p) = a.published {
        let _ = writeln!(s, "    <onset>{}</onset>", cap_time(p.min(sent)));
    }
    s.push_str("    <senderName>watchfloor</senderName>\n");
    let headline: String = a.title.chars().take(160).collect();
    let _ = writeln!(s, "    <headline>{}</headline>", xml(&headline));
    let d = description(a);
    if !d.is_empty() {
        let _ = writeln!(s, "    <description>{}</description>", xml(&d));
    }
    if let Some(u) = a
        .url
        .as_ref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        let _ = writeln!(s, "    <web>{}</web>", xml(u));
    }
    let mut parameter = |name: &str, value: String| {
        let _ = writeln!(
            s,
            "    <parameter>\n      <valueName>{}</valueName>\n      <value>{}</value>\n    </parameter>",
            xml(name),
            xml(&value)
        );
    };
    parameter("watchfloor:alert", a.id.clone());
    parameter("watchfloor:kind", a.kind.clone());
    parameter("watchfloor:feed", a.feed.clone());
    if let (Some(field), Some(v)) = (&a.field, a.value) {
        parameter(&format!("watchfloor:{field}"), v.to_string());
    }
    if let Some(l) = a.limit {
        parameter("watchfloor:limit", l.to_string());
    }
    if let Some(c) = a.country {
        let name = a
            .country_name
            .clone()
            .unwrap_or_else(|| c.name().to_string());
        let _ = writeln!(
            s,
            "    <area>\n      <areaDesc>{}</areaDesc>\n      <geocode>\n        <valueName>ISO3166-1</valueName>\n        <value>{}</value>\n      </geocode>\n    </area>",
            xml(&name),
            c.as_str()
        );
    }
    s.push_str("  </info>\n</alert>\n");
    s
}

/// The CAP documents of one alert: `(file stem, XML)`. The alert as first raised (msgType
/// Alert, identifier its id); and, when another publisher joined its story later
/// (`revised_at`), its current state as an Update referencing the first.
pub fn cap_documents(
    a: &Alert,
    revised_at: Option<DateTime<Utc>>,
    ctx: &CapContext,
) -> Vec<(String, String)> {
    let mut out = vec![(a.id.clone(), document(a, ctx, &a.id, a.at, None))];
    if a.revision > 1
        && let Some(at) = revised_at
    {
        let id = format!("{}-r{}", a.id, a.revision);
        let reference = format!("{},{},{}", ctx.sender, a.id, cap_time(a.at));
        out.push((
            id.clone(),
            document(a, ctx, &id, at.max(a.at), Some(reference)),
        ));
    }
    out
}
