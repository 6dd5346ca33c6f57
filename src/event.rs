//! The one contract between the engine and its consumers: every fact watchfloor reports is an
//! [`Event`], and its JSON form (schema version 2) is the headless output.
//!
//! Version 2: every line carries `seq` (the event's position in the database's outbox, growing
//! by one or more per event and never reused) and `truncated`; every timestamp is RFC 3339 in
//! UTC with milliseconds; every documented field is always present (`null` when it has no value).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Severity;
use crate::geo::CountryCode;

/// Schema version of the JSON form.
pub const SCHEMA_VERSION: u8 = 2;

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
    #[serde(with = "crate::time::rfc3339")]
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
    #[serde(default, with = "crate::time::rfc3339_opt")]
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
    #[serde(default)]
    pub op: Option<String>,
    /// What the value was compared with (spike rules: the history's mean per slot).
    #[serde(default)]
    pub expected: Option<f64>,
    /// Why the rule fired, in words (windowed and spike rules).
    #[serde(default)]
    pub explanation: Option<String>,
    /// Item key within its feed.
    #[serde(default)]
    pub item: String,
    /// Item summary (plain text, capped).
    #[serde(default)]
    pub summary: String,
    /// The story the item belongs to (item rules): every outlet's report of one event shares
    /// it, so a rule alerts once per (rule, country, story).
    #[serde(default)]
    pub story: Option<String>,
    /// The distinct publishers carrying the story (registrable domains, else feed ids), in
    /// the order they arrived; empty for alerts about no item.
    #[serde(default)]
    pub sources: Vec<String>,
    /// 1 when raised; one higher each time another publisher joins the story, re-sent with
    /// the same `id` (a consumer keeps the highest revision).
    #[serde(default = "first_revision")]
    pub revision: u32,
    /// Whether `country` is the one the item is about (a source's own country field, else the
    /// first country the title names, else the first in the text: a dateline) rather than one
    /// it merely mentions. Alerts about no item: true.
    #[serde(default = "yes")]
    pub primary: bool,
}

fn yes() -> bool {
    true
}

fn first_revision() -> u32 {
    1
}

/// A country's status changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When.
    #[serde(with = "crate::time::rfc3339")]
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
    /// The risk factors with evidence about the country in the evidence window (UN Framework
    /// of Analysis, 1 to 14): what an analyst reads beside the change.
    #[serde(default)]
    pub factors: Vec<u8>,
}

/// The outcome of one poll of one feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedReport {
    /// When the poll finished.
    #[serde(with = "crate::time::rfc3339")]
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
    /// Of the new items, those published longer ago than the feed's `max_age`: stored and
    /// counted in windows, but raising no alert.
    #[serde(default)]
    pub old: usize,
    /// The server said 304 Not Modified.
    pub not_modified: bool,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// How long the poll took.
    pub ms: u64,
    /// When the next poll is due.
    #[serde(default, with = "crate::time::rfc3339_opt")]
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
    #[serde(with = "crate::time::rfc3339")]
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
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub until: Option<DateTime<Utc>>,
    /// Note text.
    #[serde(default)]
    pub note: Option<String>,
}

/// The collector's own storage: a write that failed (a full disk, a lock held too long) and
/// its recovery. Failing reports are appended once the store accepts writes again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreReport {
    /// When this report was made.
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// Whether writes succeed now.
    pub ok: bool,
    /// Since when writes had failed.
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub since: Option<DateTime<Utc>>,
    /// The last error, in words.
    #[serde(default)]
    pub error: Option<String>,
}

/// A condition an alert reported has ended (a silent feed or country spoke again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    /// When it ended.
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// The id of the alert that reported it.
    pub id: String,
    /// The rule that raised that alert.
    pub rule: String,
    /// The feed it was about, if any.
    pub feed: Option<String>,
    /// The country it was about, if any.
    pub country: Option<CountryCode>,
    /// What ended it, in words.
    pub reason: String,
}

/// Everything watchfloor reports.
/// How a notification target is doing: written when it starts failing, every tenth failure
/// after that, and when it recovers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyReport {
    /// When.
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// The target's id.
    pub target: String,
    /// Its kind (`slack`, `webhook`, ...).
    pub kind: String,
    /// Whether the last attempt delivered.
    pub ok: bool,
    /// What went wrong, in words (no secrets).
    pub error: Option<String>,
    /// Consecutive failed attempts.
    pub failures: u32,
    /// Events waiting for it.
    pub pending: usize,
    /// When it tries again.
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub next_try: Option<DateTime<Utc>>,
}

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
    /// The collector's storage failed or recovered.
    Store(StoreReport),
    /// What an alert reported has ended.
    Resolved(Resolved),
    /// A notification target's health.
    Notify(NotifyReport),
}

/// An event's JSON body. Serialising these plain types cannot fail; fall back to a valid
/// object regardless.
fn body_of(event: &impl Serialize) -> String {
    serde_json::to_string(event)
        .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"error\":{:?}}}", e.to_string()))
}

/// Longest line written, newline included: at most `PIPE_BUF`, so a line reaches a pipe whole
/// or not at all.
pub const MAX_LINE: usize = 4096;

impl Event {
    /// The kind, as the `type` field names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Alert(_) => "alert",
            Self::Status(_) => "status",
            Self::Feed(_) => "feed",
            Self::Triage(_) => "triage",
            Self::Store(_) => "store",
            Self::Resolved(_) => "resolved",
            Self::Notify(_) => "notify",
        }
    }

    /// The event's JSON object without the envelope (`{"type":...}`): what the outbox stores.
    pub fn body(&self) -> String {
        body_of(self)
    }

    /// An alert's body, the same as `Event::Alert(alert.clone()).body()` without the copy.
    pub fn alert_body(alert: &Alert) -> String {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "lowercase")]
        enum Borrowed<'a> {
            Alert(&'a Alert),
        }
        body_of(&Borrowed::Alert(alert))
    }

    /// Reads an outbox body back (also the version 1 form of an alert, which had no `type`).
    pub fn from_body(body: &str) -> Option<Self> {
        serde_json::from_str(body)
            .ok()
            .or_else(|| serde_json::from_str::<Alert>(body).ok().map(Self::Alert))
    }

    /// The event as it is printed, without the newline; see [`line`].
    pub fn to_json_line(&self, seq: i64) -> String {
        line(seq, &self.body())
    }

    /// Shortens the free text that can make a line long, a step at a time; false when nothing
    /// is left to cut.
    fn shorten(&mut self, step: usize) -> bool {
        fn cut(s: &mut String, keep: usize) -> bool {
            if s.chars().count() <= keep {
                return false;
            }
            *s = s.chars().take(keep).collect::<String>() + "…";
            true
        }
        fn cut_opt(s: &mut Option<String>, keep: usize) -> bool {
            s.as_mut().is_some_and(|s| cut(s, keep))
        }
        match (self, step) {
            (Self::Alert(a), 0) => cut(&mut a.summary, 200),
            (Self::Alert(a), 1) => {
                let summary = cut(&mut a.summary, 0);
                let matched = a.matched.len() > 5;
                a.matched.truncate(5);
                let terms = a.matched.iter_mut().fold(false, |any, m| cut(m, 40) | any);
                summary | matched | terms
            }
            (Self::Alert(a), 2) => cut(&mut a.title, 300) | cut_opt(&mut a.url, 500),
            (Self::Alert(a), 3) => {
                a.matched.clear();
                cut(&mut a.title, 100) | cut_opt(&mut a.url, 200)
            }
            (Self::Triage(t), 0) => cut_opt(&mut t.note, 1000),
            (Self::Triage(t), 1) => cut_opt(&mut t.note, 100),
            (Self::Feed(f), 0) => cut_opt(&mut f.error, 1000),
            (Self::Feed(f), 1) => cut_opt(&mut f.error, 100),
            (Self::Status(s), 0) => cut(&mut s.reason, 1000),
            (Self::Status(s), 1) => cut(&mut s.reason, 100),
            (Self::Store(s), 0) => cut_opt(&mut s.error, 200),
            (Self::Notify(n), 0) => cut_opt(&mut n.error, 300),
            _ => false,
        }
    }
}

/// One JSON line (without the newline) from an outbox body: the envelope (`v`, `seq`,
/// `truncated`) and the body's fields. A line that would pass [`MAX_LINE`] is cut: the summary
/// first, then the matched terms, then the title and link, and marked `"truncated": true`; the
/// database keeps the whole text.
pub fn line(seq: i64, body: &str) -> String {
    let plain = envelope(seq, false, body);
    if plain.len() < MAX_LINE {
        return plain;
    }
    let Some(mut event) = Event::from_body(body) else {
        return envelope(seq, true, r#"{"type":"error","error":"unreadable event"}"#);
    };
    for step in 0..4 {
        if event.shorten(step) {
            let out = envelope(seq, true, &event.body());
            if out.len() < MAX_LINE {
                return out;
            }
        }
    }
    // Only pathological bodies get here (thousands of ids); keep the envelope and the kind.
    envelope(
        seq,
        true,
        &format!(
            r#"{{"type":{:?},"error":"event too long to print"}}"#,
            event.kind()
        ),
    )
}

fn envelope(seq: i64, truncated: bool, body: &str) -> String {
    let fields = body
        .strip_prefix('{')
        .map(|rest| {
            if rest.starts_with('}') {
                rest.to_string()
            } else {
                format!(",{rest}")
            }
        })
        .unwrap_or_else(|| "}".into());
    format!(r#"{{"v":{SCHEMA_VERSION},"seq":{seq},"truncated":{truncated}{fields}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Event {
        Event::Status(StatusChange {
            at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            country: crate::geo::lookup("SD").expect("SD exists"),
            country_name: "Sudan".into(),
            from: Status::Watch,
            to: Status::Critical,
            reason: "r".into(),
            factors: Vec::new(),
        })
    }

    #[test]
    fn json_line_has_version_seq_and_type() {
        let line = status().to_json_line(42);
        assert!(
            line.starts_with(
                r#"{"v":2,"seq":42,"truncated":false,"type":"status","at":"1970-01-01T00:00:00.000Z","country":"SD""#
            ),
            "{line}"
        );
        assert!(line.contains(r#""from":"watch","to":"critical""#));
        let back: Event = serde_json::from_str(&line).expect("reads back");
        assert_eq!(back, status());
    }

    #[test]
    fn an_alert_body_is_the_events_body() {
        let alert: Alert = serde_json::from_str(
            r#"{"id":"a1","at":"2026-01-02T03:04:05Z","country":"SD","country_name":"Sudan",
                "listed":true,"rule":"r","kind":"keywords","severity":"high","feed":"f",
                "title":"Clashes \"near\" Nyala","url":null,"published":null,
                "matched":["clash*"],"field":null,"value":null,"limit":null,
                "sources":["a.org","b.org"],"revision":2,"story":"s1"}"#,
        )
        .expect("an alert");
        let body = Event::alert_body(&alert);
        assert_eq!(body, Event::Alert(alert.clone()).body());
        assert_eq!(Event::from_body(&body), Some(Event::Alert(alert)));
    }

    #[test]
    fn long_lines_are_cut_and_marked() {
        let mut e = status();
        if let Event::Status(s) = &mut e {
            s.reason = "x".repeat(10_000);
        }
        let line = e.to_json_line(7);
        assert!(line.len() < MAX_LINE, "{}", line.len());
        let v: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(v["truncated"], true);
        assert_eq!(v["seq"], 7);
    }
}
