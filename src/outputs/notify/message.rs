//! What a notification says, before it is shaped for a service: a one-line title, a few lines
//! of body, a link, and the events it carries. One event makes one message; a digest (a
//! target's `digest` window, or a burst past its rate limit) folds many into one.

use crate::config::Severity;
use crate::event::{self, Event};

/// Lines a digest lists before "and N more".
const DIGEST_LINES: usize = 25;

/// An event waiting for a target, with its outbox position.
#[derive(Debug, Clone)]
pub struct Queued {
    /// Outbox `seq`.
    pub seq: i64,
    /// The event.
    pub event: Event,
}

impl Queued {
    /// The event as its JSON line (schema version 2), without the newline.
    pub fn line(&self) -> String {
        event::line(self.seq, &self.event.body())
    }
}

/// A message, ready to be shaped for one kind of target.
#[derive(Debug, Clone)]
pub struct Message {
    /// One line.
    pub title: String,
    /// Body lines, plain text.
    pub lines: Vec<String>,
    /// Where to read more.
    pub link: Option<String>,
    /// The most severe alert it carries.
    pub severity: Option<Severity>,
    /// The events it carries, oldest first.
    pub events: Vec<Queued>,
    /// A stable key for this message (idempotent sends, such as Matrix transaction ids).
    pub key: String,
    /// What a webhook posts when the message carries no events: its `type` and fields.
    pub payload: Option<(&'static str, serde_json::Value)>,
}

fn severity_word(s: Severity) -> String {
    s.as_str().to_uppercase()
}

fn place(country_name: Option<&str>, code: Option<&str>) -> String {
    match (country_name, code) {
        (Some(n), _) if !n.is_empty() => n.to_string(),
        (_, Some(c)) => c.to_string(),
        _ => "no country".into(),
    }
}

/// The one-line summary of an event, as a digest lists it.
fn summary_line(e: &Event) -> String {
    match e {
        Event::Alert(a) => format!(
            "{} {}: {} ({})",
            severity_word(a.severity),
            place(
                a.country_name.as_deref(),
                a.country.as_ref().map(|c| c.as_str())
            ),
            a.title,
            a.rule
        ),
        Event::Status(s) => format!(
            "{}: {} -> {} ({})",
            place(Some(&s.country_name), Some(s.country.as_str())),
            s.from.as_str(),
            s.to.as_str(),
            s.reason
        ),
        Event::Resolved(r) => format!("resolved {}: {}", r.rule, r.reason),
        other => other.kind().to_string(),
    }
}

impl Message {
    /// A message for one event.
    pub fn single(q: Queued) -> Self {
        let key = format!("{}", q.seq);
        let (title, lines, link, severity) = match &q.event {
            Event::Alert(a) => {
                let mut lines = vec![a.title.clone()];
                if let Some(x) = &a.explanation {
                    lines.push(x.clone());
                } else if !a.matched.is_empty() {
                    lines.push(format!("matched: {}", a.matched.join(", ")));
                }
                if a.sources.len() > 1 {
                    lines.push(format!("sources: {}", a.sources.join(", ")));
                }
                lines.push(format!(
                    "rule {} · feed {} · alert {}",
                    a.rule, a.feed, a.id
                ));
                (
                    format!(
                        "{} · {} · {}",
                        severity_word(a.severity),
                        place(
                            a.country_name.as_deref(),
                            a.country.as_ref().map(|c| c.as_str())
                        ),
                        a.rule
                    ),
                    lines,
                    a.url.clone(),
                    Some(a.severity),
                )
            }
            Event::Status(s) => (
                format!(
                    "{}: {} -> {}",
                    place(Some(&s.country_name), Some(s.country.as_str())),
                    s.from.as_str(),
                    s.to.as_str()
                ),
                vec![s.reason.clone()],
                None,
                None,
            ),
            Event::Resolved(r) => (
                format!(
                    "Resolved · {}{}",
                    r.rule,
                    r.country
                        .as_ref()
                        .map(|c| format!(" · {}", c.as_str()))
                        .or_else(|| r.feed.as_ref().map(|f| format!(" · feed {f}")))
                        .unwrap_or_default()
                ),
                vec![r.reason.clone()],
                None,
                None,
            ),
            other => (summary_line(other), Vec::new(), None, None),
        };
        Self {
            title,
            lines,
            link,
            severity,
            events: vec![q],
            key,
            payload: None,
        }
    }

    /// One message for several events; `why` says what folded them ("digest of 5m", "rate
    /// limit").
    pub fn digest(events: Vec<Queued>, why: &str) -> Self {
        if events.len() == 1 {
            let mut only = events;
            return Self::single(only.remove(0));
        }
        let alerts: Vec<_> = events
            .iter()
            .filter_map(|q| match &q.event {
                Event::Alert(a) => Some(a),
                _ => None,
            })
            .collect();
        let severity = alerts.iter().map(|a| a.severity).max();
        let mut counts = Vec::new();
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ] {
            let n = alerts.iter().filter(|a| a.severity == s).count();
            if n > 0 {
                counts.push(format!("{n} {}", s.as_str()));
            }
        }
        let others = events.len() - alerts.len();
        if others > 0 {
            counts.push(format!(
                "{others} other event{}",
                if others == 1 { "" } else { "s" }
            ));
        }
        let mut lines: Vec<String> = events
            .iter()
            .take(DIGEST_LINES)
            .map(|q| summary_line(&q.event))
            .collect();
        if events.len() > DIGEST_LINES {
            lines.push(format!("... and {} more", events.len() - DIGEST_LINES));
        }
        let key = format!(
            "{}-{}",
            events.first().map_or(0, |q| q.seq),
            events.last().map_or(0, |q| q.seq)
        );
        Self {
            title: format!(
                "watchfloor: {} events ({}; {why})",
                events.len(),
                counts.join(", ")
            ),
            lines,
            link: None,
            severity,
            events,
            key,
            payload: None,
        }
    }

    /// A reminder that a critical alert is still unacknowledged.
    pub fn reminder(q: Queued, age: &str) -> Self {
        let mut m = Self::single(q);
        m.title = format!("Still unacknowledged after {age} · {}", m.title);
        m.key = format!("{}-again-{age}", m.key);
        m.payload = Some(("reminder", serde_json::json!({ "age": age })));
        m
    }

    /// A test message for `watchfloor notify test`.
    pub fn test(target: &str) -> Self {
        Self {
            title: format!("watchfloor test message for {target}"),
            lines: vec![
                "If you can read this, the target delivers. Alerts will arrive here.".into(),
            ],
            link: None,
            severity: Some(Severity::Info),
            events: Vec::new(),
            key: format!("test-{}", chrono::Utc::now().timestamp_millis()),
            payload: Some(("test", serde_json::json!({}))),
        }
    }

    /// A whole document (the brief): its title, its text line by line, and for webhooks the
    /// document as JSON.
    pub fn document(title: &str, text: &str, json: serde_json::Value, key: &str) -> Self {
        Self {
            title: title.to_string(),
            lines: text.lines().map(str::to_string).collect(),
            link: None,
            severity: None,
            events: Vec::new(),
            key: key.to_string(),
            payload: Some(("brief", json)),
        }
    }

    /// Title and body lines as plain text.
    pub fn plain(&self) -> String {
        let mut out = self.title.clone();
        for l in &self.lines {
            out.push('\n');
            out.push_str(l);
        }
        if let Some(link) = &self.link {
            out.push('\n');
            out.push_str(link);
        }
        out
    }
}
