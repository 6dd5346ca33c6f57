//! What a screen drills into, read only for the country, feed or search in focus (see
//! [`crate::store::Store::drill`]).

use chrono::{DateTime, Utc};

use crate::config::Severity;
use crate::event::{FeedReport, Status};
use crate::geo::CountryCode;

/// What the screen has open, and so what the loader reads beside the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focus {
    /// The country view's country.
    pub country: Option<CountryCode>,
    /// The feed view's feed.
    pub feed: Option<String>,
    /// The history search's query.
    pub search: Option<String>,
}

/// What [`Focus`] asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drill {
    /// The focused country's history.
    pub country: Option<CountryDetail>,
    /// The focused feed's last polls, newest first.
    pub polls: Option<(String, Vec<FeedReport>)>,
    /// The search and its hits, newest first.
    pub search: Option<(String, Vec<SearchHit>)>,
}

/// One country's evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryDetail {
    /// The country.
    pub code: CountryCode,
    /// Status changes, newest first.
    pub history: Vec<StatusStep>,
    /// Items and alerts per day, oldest first, ending today.
    pub days: Vec<DayCount>,
    /// Its stories with alerts, newest first.
    pub stories: Vec<StoryLine>,
    /// Triage notes on it and its alerts, newest first.
    pub notes: Vec<NoteLine>,
    /// The risk-factor board: 14 rows of evidence in the evidence window.
    pub board: Vec<crate::rules::evidence::FactorRow>,
    /// The evidence window the board covers.
    pub evidence_window: std::time::Duration,
}

/// One status change.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusStep {
    /// When.
    pub at: DateTime<Utc>,
    /// From.
    pub from: Status,
    /// To.
    pub to: Status,
    /// Why, in words.
    pub reason: String,
}

/// Items and alerts of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCount {
    /// Items tagged to the country.
    pub items: u32,
    /// Alerts about it.
    pub alerts: u32,
}

/// A story (or a lone item) that raised alerts about a country.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryLine {
    /// Title of its newest alert.
    pub title: String,
    /// When its newest alert was raised.
    pub newest: DateTime<Utc>,
    /// The highest severity raised.
    pub severity: Severity,
    /// Alerts raised.
    pub alerts: u32,
    /// Rules that fired.
    pub rules: Vec<String>,
    /// Feeds that carried it.
    pub sources: Vec<String>,
}

/// A triage note.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteLine {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub who: String,
    /// On what, in words.
    pub about: String,
    /// The note.
    pub text: String,
}

/// A stored item found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Its feed.
    pub feed: String,
    /// Its key in the feed.
    pub key: String,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Text.
    pub summary: String,
    /// Published, when the source said.
    pub published: Option<DateTime<Utc>>,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Countries it was tagged to.
    pub countries: Vec<CountryCode>,
    /// Whether it raised an alert.
    pub alerted: bool,
}
