//! What the screen reads, store by store: [`ScreenReads`] is the small set of reads each store
//! answers in its own SQL, and [`snapshot`] and [`drill`] assemble the screen's view model from
//! them the same way for SQLite and PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::drill::{
    CountryDetail, DayCount, Drill, Focus, NoteLine, SearchHit, StatusStep, StoryLine,
};
use super::snapshot::{AlertRow, CountryRow, FeedHealth, FeedRow, MAX_ALERTS, NotifyRow, Snapshot};
use super::{Store, StoreError, TriageState};
use crate::config::ScreenConfig;
use crate::event::{Alert, FeedReport, Status, Triage, TriageTarget};
use crate::geo::{self, CountryCode};
use crate::rules::evidence::FactorRow;

/// Days the country chart covers.
pub const CHART_DAYS: usize = 30;
/// Most search results read.
pub const MAX_HITS: usize = 200;

/// An alert as the watchlist counts it: country, item time and raising time (seconds), feed.
pub type AlertHit = (String, i64, i64, String);

/// A feed's stored state: last report (JSON), last success, failing since (seconds), last error.
pub type FeedState = (Option<String>, Option<i64>, Option<i64>, Option<String>);

/// The reads a screen is built from.
pub trait ScreenReads: Store {
    /// Every triage row, oldest first.
    fn triage_rows(&self) -> Result<Vec<Triage>, StoreError>;
    /// Alerts about a country with an item time after `since`.
    fn alert_hits(&self, since: DateTime<Utc>) -> Result<Vec<AlertHit>, StoreError>;
    /// The newest alerts, at most `limit`.
    fn latest_alerts(&self, limit: usize) -> Result<Vec<Alert>, StoreError>;
    /// Other feeds that carried the same item.
    fn also_in(&self, feed: &str, item: &str) -> Result<Vec<String>, StoreError>;
    /// A feed's stored state.
    fn feed_state(&self, id: &str) -> Result<Option<FeedState>, StoreError>;
    /// A value kept under `key` in the store's settings (`meta`).
    fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Per country, the factors with evidence in the `window` ending `now`, in order.
    fn factor_sets_in(
        &self,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<HashMap<CountryCode, Vec<u8>>, StoreError>;
    /// The 14 rows of a country's risk-factor board.
    fn board_of(
        &self,
        country: CountryCode,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<FactorRow>, StoreError>;
    /// A country's status changes, newest first, at most 100.
    fn status_history(&self, country: CountryCode) -> Result<Vec<StatusStep>, StoreError>;
    /// Item times (published, or first seen when later or absent) of items about a country
    /// first seen after `since`.
    fn item_times(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError>;
    /// Alerts about a country with an item time after `since`, newest first, with that time.
    fn country_alerts(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<(i64, Alert)>, StoreError>;
    /// Desk notes about a country or its alerts, newest first, at most 50.
    fn notes(&self, country: CountryCode) -> Result<Vec<NoteLine>, StoreError>;
    /// A feed's last polls, newest first.
    fn poll_reports(&self, feed: &str) -> Result<Vec<FeedReport>, StoreError>;
    /// Items whose title or text holds every word of `query`, newest first.
    fn find(&self, query: &str) -> Result<Vec<SearchHit>, StoreError>;
    /// Where `who` last looked at the alert list.
    fn seen_by(&self, who: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Records where `who` last looked (never moving it back).
    fn mark_seen(&mut self, who: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Whether this connection may write triage.
    fn may_triage(&self) -> Result<bool, StoreError> {
        Ok(true)
    }
}

/// Triage folded into states per (target, key).
pub fn triage_states(
    src: &impl ScreenReads,
) -> Result<HashMap<(TriageTarget, String), TriageState>, StoreError> {
    let mut out: HashMap<(TriageTarget, String), TriageState> = HashMap::new();
    for t in src.triage_rows()? {
        out.entry((t.target, t.key.clone())).or_default().apply(&t);
    }
    Ok(out)
}

/// The settings a screen needs, as the collector last published them.
pub fn screen_config(src: &impl ScreenReads) -> Result<Option<ScreenConfig>, StoreError> {
    Ok(src
        .meta_value("screen")?
        .and_then(|j| serde_json::from_str(&j).ok()))
}

fn notify_rows(src: &impl ScreenReads, ids: &[String]) -> Result<Vec<NotifyRow>, StoreError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(row) = src
            .meta_value(&format!("notify:{id}"))?
            .and_then(|j| serde_json::from_str(&j).ok())
        {
            out.push(row);
        }
    }
    Ok(out)
}

/// Reads a snapshot for the screen.
pub fn snapshot(
    src: &impl ScreenReads,
    config: &ScreenConfig,
    now: DateTime<Utc>,
) -> Result<Snapshot, StoreError> {
    use crate::store::sqlite::from_ts;
    let triage = triage_states(src)?;
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
    for (code, status) in src.statuses()? {
        rows.entry(code)
            .or_insert_with(|| new_row(code, false))
            .status = status;
    }
    for (c, event_time, at, feed) in src.alert_hits(since)? {
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
    let evidence_window = crate::time::delta(config.evidence_window());
    for (code, factors) in src.factor_sets_in(evidence_window, now)? {
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
    let imported = src.baseline().unwrap_or_default();
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
    for alert in src.latest_alerts(MAX_ALERTS)? {
        let also_in = src.also_in(&alert.feed, &alert.item)?;
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

    let mut feeds = Vec::new();
    for f in &config.feeds {
        let (report, last_ok, failing_since, last_error) =
            src.feed_state(&f.id)?.unwrap_or_default();
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
    let feeds_by_id: HashMap<&str, &FeedRow> = feeds.iter().map(|f| (f.id.as_str(), f)).collect();
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
        heartbeat: src.last_heartbeat()?,
        at: now,
        countries,
        alerts,
        feeds,
        notify: notify_rows(src, &config.targets)?,
        drill: Drill::default(),
        collector_gone: false,
        collectors: Vec::new(),
    })
}

/// Reads what `focus` asks for.
pub fn drill(
    src: &impl ScreenReads,
    focus: &Focus,
    now: DateTime<Utc>,
) -> Result<Drill, StoreError> {
    Ok(Drill {
        country: focus
            .country
            .map(|c| country_detail(src, c, now))
            .transpose()?,
        polls: match &focus.feed {
            Some(feed) => Some((feed.clone(), src.poll_reports(feed)?)),
            None => None,
        },
        search: match &focus.search {
            Some(q) => Some((q.clone(), src.find(q)?)),
            None => None,
        },
    })
}

fn country_detail(
    src: &impl ScreenReads,
    code: CountryCode,
    now: DateTime<Utc>,
) -> Result<CountryDetail, StoreError> {
    use crate::store::sqlite::from_ts;
    let since = now - chrono::Duration::days(CHART_DAYS as i64);
    let history = src.status_history(code)?;
    let day_of = |t: i64| -> Option<usize> {
        let age = (now - from_ts(t)).num_days();
        usize::try_from(age)
            .ok()
            .filter(|d| *d < CHART_DAYS)
            .map(|d| CHART_DAYS - 1 - d)
    };
    let mut days = vec![DayCount::default(); CHART_DAYS];
    for t in src.item_times(code, since)? {
        if let Some(d) = day_of(t) {
            days[d].items += 1;
        }
    }
    let mut stories: Vec<StoryLine> = Vec::new();
    let mut by_story: HashMap<String, usize> = HashMap::new();
    for (event_time, alert) in src.country_alerts(code, since)? {
        if let Some(d) = day_of(event_time) {
            days[d].alerts += 1;
        }
        let key = alert
            .story
            .clone()
            .unwrap_or_else(|| format!("{}\u{1f}{}", alert.feed, alert.item));
        let i = *by_story.entry(key).or_insert_with(|| {
            stories.push(StoryLine {
                title: alert.title.clone(),
                newest: alert.at,
                severity: alert.severity,
                alerts: 0,
                rules: Vec::new(),
                sources: Vec::new(),
            });
            stories.len() - 1
        });
        let s = &mut stories[i];
        s.alerts += 1;
        s.severity = s.severity.max(alert.severity);
        if !s.rules.contains(&alert.rule) {
            s.rules.push(alert.rule.clone());
        }
        let sources = if alert.sources.is_empty() {
            vec![alert.feed.clone()]
        } else {
            alert.sources.clone()
        };
        for src in sources {
            if !s.sources.contains(&src) {
                s.sources.push(src);
            }
        }
    }
    stories.truncate(50);
    let notes = src.notes(code)?;
    let evidence_window = screen_config(src)
        .ok()
        .flatten()
        .map_or(std::time::Duration::from_secs(30 * 86_400), |c| {
            c.evidence_window()
        });
    let board = src.board_of(code, crate::time::delta(evidence_window), now)?;
    Ok(CountryDetail {
        code,
        history,
        days,
        stories,
        notes,
        board,
        evidence_window,
    })
}
