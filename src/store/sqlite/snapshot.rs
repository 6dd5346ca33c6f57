//! The view model the screen draws: an owned snapshot of countries, alerts and feed health,
//! read from the database in one go so drawing never touches SQL.

use chrono::{DateTime, Utc};

use super::triage::TriageState;
use super::{SqliteStore, StoreError};
use crate::event::{Alert, FeedReport, Status};
use crate::geo::CountryCode;
use crate::store::Store;

/// Most alerts a snapshot carries.
pub const MAX_ALERTS: usize = 500;

/// One country row of the watchlist.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryRow {
    /// Code.
    pub code: CountryCode,
    /// Display name.
    pub name: String,
    /// On the watchlist.
    pub listed: bool,
    /// Structural risk estimate, 0..1 (imported, else typed in the config).
    pub baseline: Option<f64>,
    /// Rank and how many were ranked, when imported.
    pub rank: Option<(u32, u32)>,
    /// The structural risk in words, with where it came from.
    pub risk_note: Option<String>,
    /// Notes from the config.
    pub notes: String,
    /// Current status.
    pub status: Status,
    /// Alerts whose item time is in the last 24 hours.
    pub alerts_24h: u32,
    /// Alerts whose item time is inside the status window.
    pub alerts_window: u32,
    /// Alerts per day over the last 7 days, oldest first.
    pub daily: [u32; 7],
    /// When the newest alert was raised.
    pub newest: Option<DateTime<Utc>>,
    /// Acknowledgement, snooze and notes.
    pub triage: TriageState,
    /// Every feed that raised alerts about it in the last 7 days is failing now: a quiet
    /// status means nothing (none of them can report).
    pub no_data: bool,
    /// The risk factors with evidence about it in the evidence window, in order.
    pub factors: Vec<u8>,
}

/// One alert with its triage.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// The alert.
    pub alert: Alert,
    /// Its own triage.
    pub triage: TriageState,
    /// Other feeds that carried the same item.
    pub also_in: Vec<String>,
}

/// Health of one feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// URL as written (placeholders, never secrets).
    pub url: String,
    /// Polled at all.
    pub enabled: bool,
    /// Poll interval.
    pub interval: std::time::Duration,
    /// The last poll's report.
    pub last: Option<FeedReport>,
    /// Last successful poll.
    pub last_ok: Option<DateTime<Utc>>,
    /// Failing since.
    pub failing_since: Option<DateTime<Utc>>,
    /// Last error in words.
    pub last_error: Option<String>,
}

/// A feed's health as the screen shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FeedHealth {
    /// Its last poll succeeded and the next is not overdue.
    Ok,
    /// Disabled in the config.
    Off,
    /// Enabled but never polled yet.
    Pending,
    /// More than one interval past its scheduled next poll (a Retry-After moves the schedule).
    Late,
    /// Its last poll failed.
    Failing,
}

impl FeedRow {
    /// Its health at `now`.
    pub fn health(&self, now: DateTime<Utc>) -> FeedHealth {
        if !self.enabled {
            return FeedHealth::Off;
        }
        let Some(last) = &self.last else {
            return FeedHealth::Pending;
        };
        if !last.ok {
            return FeedHealth::Failing;
        }
        let due = last
            .next_poll
            .unwrap_or(last.at)
            .checked_add_signed(crate::time::delta(self.interval));
        if due.is_some_and(|due| now > due) {
            FeedHealth::Late
        } else {
            FeedHealth::Ok
        }
    }
}

/// How a notification target is doing, as its worker last recorded it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NotifyRow {
    /// The target's id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Whether its last attempt delivered (or it has had nothing to send).
    pub ok: bool,
    /// The last error, while failing.
    pub error: Option<String>,
    /// Consecutive failed attempts.
    pub failures: u32,
    /// Events waiting for it.
    pub pending: usize,
    /// When it last delivered.
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub last_ok: Option<DateTime<Utc>>,
    /// When this was recorded.
    #[serde(with = "crate::time::rfc3339")]
    pub updated: DateTime<Utc>,
}

/// How long after its last heartbeat a collector counts as silent.
pub const SILENT_AFTER: chrono::Duration = chrono::Duration::seconds(15);

/// Everything the screen shows, at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// Listed countries and unlisted ones with alerts in the window.
    pub countries: Vec<CountryRow>,
    /// Newest alerts first, at most [`MAX_ALERTS`].
    pub alerts: Vec<AlertRow>,
    /// Every configured feed.
    pub feeds: Vec<FeedRow>,
    /// Every enabled notification target (none recorded yet: not started).
    pub notify: Vec<NotifyRow>,
    /// The collector's last heartbeat, if one was ever written.
    pub heartbeat: Option<crate::store::Heartbeat>,
    /// What the open view drills into (filled by the loader: see [`crate::store::Store::drill`]).
    pub drill: crate::store::drill::Drill,
    /// The collector whose heartbeat this is ran on this host and its process is gone (so it
    /// is silent now, without waiting for [`SILENT_AFTER`]).
    pub collector_gone: bool,
    /// On a shared store, the collectors alive and the feeds each holds.
    pub collectors: Vec<(String, Vec<String>)>,
}

impl Snapshot {
    /// When the collector last wrote its heartbeat, if that is more than [`SILENT_AFTER`] ago
    /// or its process is known to be gone.
    pub fn collector_silent_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.heartbeat
            .as_ref()
            .map(|h| h.at)
            .filter(|at| self.collector_gone || now - *at > SILENT_AFTER)
    }

    /// The latest poll of any feed.
    pub fn last_poll(&self) -> Option<DateTime<Utc>> {
        self.feeds
            .iter()
            .filter_map(|f| f.last.as_ref().map(|r| r.at))
            .max()
    }
}

impl SqliteStore {
    /// Records how a notification target is doing, for screens.
    pub fn set_notify_row(&mut self, row: &NotifyRow) -> Result<(), StoreError> {
        let json = serde_json::to_string(row).unwrap_or_default();
        self.write(|tx| tx.set_meta(&format!("notify:{}", row.id), &json))
    }

    /// The critical alerts a notification target reminds of: (alert id, when it was last sent).
    pub fn notify_reminders(&self, id: &str) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        Ok(reminders_from(
            self.meta_json::<Vec<(String, i64)>>(&format!("notify-reminders:{id}"))?
                .unwrap_or_default(),
        ))
    }

    /// Records the critical alerts a notification target reminds of, so a restart goes on.
    pub fn set_notify_reminders(
        &mut self,
        id: &str,
        reminders: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let json = reminders_json(reminders);
        self.write(|tx| tx.set_meta(&format!("notify-reminders:{id}"), &json))
    }
}

/// Reminders as kept in the store: (alert id, milliseconds) pairs.
pub(crate) fn reminders_from(list: Vec<(String, i64)>) -> Vec<(String, DateTime<Utc>)> {
    list.into_iter()
        .filter_map(|(a, ms)| Some((a, DateTime::from_timestamp_millis(ms)?)))
        .collect()
}

/// The JSON a store keeps reminders as.
pub(crate) fn reminders_json(reminders: &[(String, DateTime<Utc>)]) -> String {
    let list: Vec<(&str, i64)> = reminders
        .iter()
        .map(|(a, at)| (a.as_str(), crate::time::millis(*at)))
        .collect();
    serde_json::to_string(&list).unwrap_or_default()
}
