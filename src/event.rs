//! The one contract between the engine and its consumers: every fact watchfloor reports is an
//! [`Event`], and its JSON form (schema version 1) is the headless output.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Severity;
use crate::geo::CountryCode;

/// Schema version of the JSON form.
pub const SCHEMA_VERSION: u8 = 1;

/// A country's status, ordered from calm to critical.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No alerts in the window.
    #[default]
    Quiet,
    /// Info, low or medium alerts.
    Watch,
    /// High alerts.
    Warning,
    /// Critical alerts.
    Critical,
}

impl Status {
    /// The status an alert of this severity raises a country to.
    pub fn from_severity(s: Severity) -> Self {
        match s {
            Severity::Info | Severity::Low | Severity::Medium => Self::Watch,
            Severity::High => Self::Warning,
            Severity::Critical => Self::Critical,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quiet => "quiet",
            Self::Watch => "watch",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Quiet, Self::Watch, Self::Warning, Self::Critical]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A rule fired for an item (or a country's window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable identity: the same alert always has the same id.
    pub id: String,
    /// When it was raised.
    pub at: DateTime<Utc>,
    /// The country it is about, if any.
    pub country: Option<CountryCode>,
    /// The country's name.
    pub country_name: Option<String>,
    /// Whether the country is on the watchlist.
    pub listed: bool,
    /// Rule id.
    pub rule: String,
    /// Rule kind.
    pub kind: String,
    /// Severity.
    pub severity: Severity,
    /// Feed id of the item.
    pub feed: String,
    /// Item title.
    pub title: String,
    /// Item link.
    pub url: Option<String>,
    /// Item publication time.
    pub published: Option<DateTime<Utc>>,
    /// Terms that matched (keyword rules), as written in the rule.
    pub matched: Vec<String>,
    /// Value name (threshold rules).
    pub field: Option<String>,
    /// Value, or the windowed sum or count.
    pub value: Option<f64>,
    /// The rule's limit.
    pub limit: Option<f64>,
    /// Comparison (threshold rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// Item key within its feed.
    #[serde(default)]
    pub item: String,
    /// Item summary (plain text, capped).
    #[serde(default)]
    pub summary: String,
}

/// A country's status changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Which country.
    pub country: CountryCode,
    /// Its name.
    #[serde(default)]
    pub country_name: String,
    /// Old status.
    pub from: Status,
    /// New status.
    pub to: Status,
    /// Why, in words.
    pub reason: String,
}

/// The outcome of one poll of one feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedReport {
    /// When the poll finished.
    pub at: DateTime<Utc>,
    /// Feed id.
    pub feed: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// HTTP status, if a response came.
    pub http_status: Option<u16>,
    /// Items in the response.
    pub items: usize,
    /// Items not seen before.
    pub new: usize,
    /// The server said 304 Not Modified.
    pub not_modified: bool,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// How long the poll took.
    pub ms: u64,
    /// When the next poll is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_poll: Option<DateTime<Utc>>,
    /// Consecutive failures so far.
    #[serde(default)]
    pub failures: u32,
}

/// What a triage action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriageTarget {
    /// A country (the key is its code).
    Country,
    /// An alert (the key is its id).
    Alert,
}

impl TriageTarget {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::Alert => "alert",
        }
    }
}

/// What an analyst did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriageAction {
    /// Acknowledged: seen and being handled; stops repeats (the bell), not evidence.
    Ack,
    /// Acknowledgement withdrawn.
    Unack,
    /// Silenced until a time; evaluation goes on underneath.
    Snooze,
    /// Snooze ended early.
    Unsnooze,
    /// A note.
    Note,
}

impl TriageAction {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ack => "ack",
            Self::Unack => "unack",
            Self::Snooze => "snooze",
            Self::Unsnooze => "unsnooze",
            Self::Note => "note",
        }
    }
}

/// A triage action, saved with who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (the OS user name).
    pub who: String,
    /// Country or alert.
    pub target: TriageTarget,
    /// The country code or alert id.
    pub key: String,
    /// What was done.
    pub action: TriageAction,
    /// Snooze end.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Note text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Everything watchfloor reports.
// Alerts are the common case; boxing them would add an allocation per alert for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    /// An alert was raised.
    Alert(Alert),
    /// A country's status changed.
    Status(StatusChange),
    /// A feed was polled.
    Feed(FeedReport),
    /// An analyst acknowledged, snoozed or noted something.
    Triage(Triage),
}

#[derive(Serialize)]
struct Envelope<'a> {
    v: u8,
    #[serde(flatten)]
    event: &'a Event,
}

impl Event {
    /// The event as one line of JSON (schema version 1), without the newline.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(&Envelope {
            v: SCHEMA_VERSION,
            event: self,
        })
        // Serialising these plain types cannot fail; fall back to a valid line regardless.
        .unwrap_or_else(|e| {
            format!(
                "{{\"v\":1,\"type\":\"error\",\"error\":{:?}}}",
                e.to_string()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_has_version_and_type() {
        let e = Event::Status(StatusChange {
            at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            country: crate::geo::lookup("SD").expect("SD exists"),
            country_name: "Sudan".into(),
            from: Status::Watch,
            to: Status::Critical,
            reason: "r".into(),
        });
        let line = e.to_json_line();
        assert!(
            line.starts_with(
                r#"{"v":1,"type":"status","at":"1970-01-01T00:00:00Z","country":"SD""#
            ),
            "{line}"
        );
        assert!(line.contains(r#""from":"watch","to":"critical""#));
    }
}
