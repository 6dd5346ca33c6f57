//! The screen's reads ([`ScreenReads`]) in SQLite.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, StoreError, from_ts, ts};
use crate::event::{Alert, FeedReport, Status, Triage};
use crate::geo::CountryCode;
use crate::rules::evidence::FactorRow;
use crate::store::drill::{NoteLine, SearchHit, StatusStep};
use crate::store::screen::{AlertHit, FeedState, ScreenReads};

impl ScreenReads for SqliteStore {
    fn triage_rows(&self) -> Result<Vec<Triage>, StoreError> {
        self.triage_rows_between(i64::MIN, i64::MAX)
    }

    fn alert_hits(&self, since: DateTime<Utc>) -> Result<Vec<AlertHit>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT country, event_time, at, feed FROM alerts WHERE event_time > ?1 AND country IS NOT NULL")
            .map_err(|e| self.err(e))?;
        let hits = stmt
            .query_map([ts(since)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(|e| self.err(e))?;
        Ok(hits.filter_map(Result::ok).collect())
    }

    fn latest_alerts(&self, limit: usize) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM alerts a {} ORDER BY a.at DESC, a.rowid DESC LIMIT {limit}",
                super::alerts::COLUMNS,
                super::alerts::JOIN
            ))
            .map_err(|e| self.err(e))?;
        let list = stmt
            .query_map([], |r| super::alerts::from_row(r, 0))
            .map_err(|e| self.err(e))?;
        Ok(list.filter_map(Result::ok).flatten().collect())
    }

    fn also_in(&self, feed: &str, item: &str) -> Result<Vec<String>, StoreError> {
        let mut also = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT i2.feed FROM items i1 JOIN items i2 ON i2.ident = i1.ident
                 WHERE i1.feed = ?1 AND i1.key = ?2 AND i2.feed != ?1 LIMIT 20",
            )
            .map_err(|e| self.err(e))?;
        let rows = also
            .query_map([feed, item], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        Ok(rows.filter_map(Result::ok).collect())
    }

    fn feed_state(&self, id: &str) -> Result<Option<FeedState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT last_report, last_ok, failing_since, last_error FROM feeds WHERE id = ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()
            .map_err(|e| self.err(e))
    }

    fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn factor_sets_in(
        &self,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<HashMap<CountryCode, Vec<u8>>, StoreError> {
        self.factor_sets(window, now)
    }

    fn board_of(
        &self,
        country: CountryCode,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<FactorRow>, StoreError> {
        self.board(country, window, now)
    }

    fn status_history(&self, country: CountryCode) -> Result<Vec<StatusStep>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, was, status, reason FROM status_history WHERE country = ?1
                 ORDER BY at DESC, rowid DESC LIMIT 100",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([country.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|(at, was, to, reason)| {
                Some(StatusStep {
                    at: from_ts(at),
                    from: Status::parse(&was)?,
                    to: Status::parse(&to)?,
                    reason,
                })
            })
            .collect())
    }

    fn item_times(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        // `countries` is a comma-separated list; its codes are two letters.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT min(coalesce(published, first_seen), first_seen) FROM items
                 WHERE first_seen > ?1 AND instr(',' || countries || ',', ?2) > 0",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![ts(since), format!(",{country},")], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| self.err(e))?;
        Ok(rows.filter_map(Result::ok).collect())
    }

    fn country_alerts(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<(i64, Alert)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT a.event_time, {} FROM alerts a {} WHERE a.country = ?1 AND a.event_time > ?2
                 ORDER BY a.at DESC LIMIT 2000",
                super::alerts::COLUMNS,
                super::alerts::JOIN
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![country.as_str(), ts(since)], |r| {
                Ok((r.get::<_, i64>(0)?, super::alerts::from_row(r, 1)?))
            })
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|(t, a)| Some((t, a?)))
            .collect())
    }

    fn notes(&self, country: CountryCode) -> Result<Vec<NoteLine>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT t.at, t.who, t.target, t.note, a.rule FROM triage t
                 LEFT JOIN alerts a ON t.target = 'alert' AND a.id = t.key
                 WHERE t.action = 'note' AND t.note IS NOT NULL
                   AND ((t.target = 'country' AND t.key = ?1) OR a.country = ?1)
                 ORDER BY t.id DESC LIMIT 50",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([country.as_str()], |r| {
                Ok(note_line(
                    r.get(0)?,
                    r.get(1)?,
                    &r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        Ok(rows.filter_map(Result::ok).collect())
    }

    fn poll_reports(&self, feed: &str) -> Result<Vec<FeedReport>, StoreError> {
        self.polls(feed)
    }

    fn find(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        self.search(query)
    }

    fn seen_by(&self, who: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.viewer_seen(who)
    }

    fn mark_seen(&mut self, who: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.set_viewer_seen(who, at)
    }
}

/// A desk note as the country view lists it.
pub(crate) fn note_line(
    at: i64,
    who: String,
    target: &str,
    text: String,
    rule: Option<String>,
) -> NoteLine {
    NoteLine {
        at: from_ts(at),
        who,
        about: match rule {
            Some(rule) if target == "alert" => format!("alert ({rule})"),
            _ => "country".into(),
        },
        text,
    }
}
