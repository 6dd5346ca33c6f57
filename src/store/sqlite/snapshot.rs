//! The view model the screen draws: an owned snapshot of countries, alerts and feed health,
//! read from the database in one go so drawing never touches SQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::triage::TriageState;
use super::{SqliteStore, StoreError, from_ts, ts};
use crate::config::ScreenConfig;
use crate::event::{Alert, FeedReport, Status, TriageTarget};
use crate::geo::{self, CountryCode};
use crate::store::Store;

/// A row of the feeds table: last report, last success, failing since, last error.
type FeedsRow = (Option<String>, Option<i64>, Option<i64>, Option<String>);

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
        Ok(self
            .meta_json::<Vec<(String, i64)>>(&format!("notify-reminders:{id}"))?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(a, ms)| Some((a, DateTime::from_timestamp_millis(ms)?)))
            .collect())
    }

    /// Records the critical alerts a notification target reminds of, so a restart goes on.
    pub fn set_notify_reminders(
        &mut self,
        id: &str,
        reminders: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let list: Vec<(&str, i64)> = reminders
            .iter()
            .map(|(a, at)| (a.as_str(), crate::time::millis(*at)))
            .collect();
        let json = serde_json::to_string(&list).unwrap_or_default();
        self.write(|tx| tx.set_meta(&format!("notify-reminders:{id}"), &json))
    }

    fn notify_rows(&self, ids: &[String]) -> Result<Vec<NotifyRow>, StoreError> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(row) = self.meta_json::<NotifyRow>(&format!("notify:{id}"))? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Reads a snapshot for the screen.
    pub(super) fn read_snapshot(
        &self,
        config: &ScreenConfig,
        now: DateTime<Utc>,
    ) -> Result<Snapshot, StoreError> {
        let triage = self.triage_states()?;
        let window = crate::time::delta(config.window());
        let since = crate::time::before(
            now,
            config
                .window()
                .max(std::time::Duration::from_secs(7 * 86_400)),
        );

        let mut rows: HashMap<CountryCode, CountryRow> = HashMap::new();
        // Per country, the feeds that raised alerts about it in the last 7 days.
        let mut reporting: HashMap<CountryCode, std::collections::HashSet<String>> = HashMap::new();
        let new_row = |code: CountryCode, listed: bool| CountryRow {
            code,
            name: code.name().to_string(),
            listed,
            baseline: None,
            rank: None,
            risk_note: None,
            notes: String::new(),
            status: Status::Quiet,
            alerts_24h: 0,
            alerts_window: 0,
            daily: [0; 7],
            newest: None,
            no_data: false,
            factors: Vec::new(),
            triage: triage
                .get(&(TriageTarget::Country, code.to_string()))
                .cloned()
                .unwrap_or_default(),
        };
        for w in &config.countries {
            let mut r = new_row(w.code, true);
            r.baseline = w.baseline;
            r.notes = w.notes.clone();
            rows.insert(w.code, r);
        }
        for (code, status) in self.statuses()? {
            rows.entry(code)
                .or_insert_with(|| new_row(code, false))
                .status = status;
        }
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT country, event_time, at, feed FROM alerts WHERE event_time > ?1 AND country IS NOT NULL")
                .map_err(|e| self.err(e))?;
            let hits = stmt
                .query_map([ts(since)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            for (c, event_time, at, feed) in hits.filter_map(Result::ok) {
                let Some(code) = geo::lookup(&c) else {
                    continue;
                };
                if now - from_ts(event_time) <= chrono::Duration::days(7) {
                    reporting.entry(code).or_default().insert(feed);
                }
                let event_time = from_ts(event_time);
                let row = rows.entry(code).or_insert_with(|| new_row(code, false));
                let age = now - event_time;
                if age <= chrono::Duration::hours(24) {
                    row.alerts_24h += 1;
                }
                if age <= window {
                    row.alerts_window += 1;
                }
                if let Ok(days) = usize::try_from(age.num_days())
                    && days < 7
                {
                    row.daily[6 - days] += 1;
                }
                let at = from_ts(at);
                row.newest = Some(row.newest.map_or(at, |n| n.max(at)));
            }
        }
        let evidence_window = crate::time::delta(config.evidence_window());
        for (code, factors) in self.factor_sets(evidence_window, now)? {
            if let Some(row) = rows.get_mut(&code) {
                row.factors = factors;
            }
        }
        // Unlisted countries stay only while they have something in the window.
        let mut countries: Vec<CountryRow> = rows
            .into_values()
            .filter(|r| r.listed || r.alerts_window > 0 || r.status != Status::Quiet)
            .collect();
        // A database a collector of an older build still writes has no imports yet.
        let imported = self.baseline().unwrap_or_default();
        let risks = crate::baseline::Risks::new(
            config.countries.iter().map(|c| (c.code, c.baseline)),
            &imported,
        );
        for row in &mut countries {
            if let Some(risk) = risks.get(row.code) {
                row.baseline = Some(risk.value);
                row.rank = risk.rank;
                row.risk_note = Some(risk.describe());
            }
        }

        let mut alerts = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT {} FROM alerts a {} ORDER BY a.at DESC, a.rowid DESC LIMIT {MAX_ALERTS}",
                    super::alerts::COLUMNS,
                    super::alerts::JOIN
                ))
                .map_err(|e| self.err(e))?;
            let mut also = self
                .conn
                .prepare_cached(
                    "SELECT DISTINCT i2.feed FROM items i1 JOIN items i2 ON i2.ident = i1.ident
                     WHERE i1.feed = ?1 AND i1.key = ?2 AND i2.feed != ?1 LIMIT 20",
                )
                .map_err(|e| self.err(e))?;
            let list = stmt
                .query_map([], |r| super::alerts::from_row(r, 0))
                .map_err(|e| self.err(e))?;
            for alert in list.filter_map(Result::ok).flatten() {
                let also_in = also
                    .query_map([&alert.feed, &alert.item], |r| r.get::<_, String>(0))
                    .map_err(|e| self.err(e))?
                    .filter_map(Result::ok)
                    .collect();
                let t = triage
                    .get(&(TriageTarget::Alert, alert.id.clone()))
                    .cloned()
                    .unwrap_or_default();
                alerts.push(AlertRow {
                    alert,
                    triage: t,
                    also_in,
                });
            }
        }

        let mut feeds = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT last_report, last_ok, failing_since, last_error FROM feeds WHERE id = ?1")
                .map_err(|e| self.err(e))?;
            for f in &config.feeds {
                let row: Option<FeedsRow> = stmt
                    .query_row([&f.id], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .ok();
                let (report, last_ok, failing_since, last_error) = row.unwrap_or_default();
                let last: Option<FeedReport> = report.and_then(|j| serde_json::from_str(&j).ok());
                feeds.push(FeedRow {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    url: f.url.clone(),
                    enabled: f.enabled,
                    interval: f.interval(),
                    last_ok: last_ok.map(from_ts),
                    failing_since: failing_since.map(from_ts),
                    last_error: if last.as_ref().is_some_and(|l| l.ok) {
                        None
                    } else {
                        last_error
                    },
                    last,
                });
            }
        }
        let feeds_by_id: HashMap<&str, &FeedRow> =
            feeds.iter().map(|f| (f.id.as_str(), f)).collect();
        for row in &mut countries {
            row.no_data = reporting.get(&row.code).is_some_and(|feeds| {
                feeds.iter().all(|id| {
                    feeds_by_id
                        .get(id.as_str())
                        .is_some_and(|f| f.health(now) == FeedHealth::Failing)
                })
            });
        }
        Ok(Snapshot {
            heartbeat: self.last_heartbeat()?,
            at: now,
            countries,
            alerts,
            feeds,
            notify: self.notify_rows(&config.targets)?,
            drill: Default::default(),
            collector_gone: false,
        })
    }
}
