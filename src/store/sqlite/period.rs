//! What happened in a period, for the brief and the exports: alerts, status changes, triage
//! and polls between two times, each in a deterministic order.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::{SqliteStore, StoreError, ts};
use crate::event::{Alert, FeedReport, StatusChange, Triage};
use crate::store::PeriodReads;
use crate::store::period::status_change;

impl PeriodReads for SqliteStore {
    /// Alerts raised in `(since, until]`, oldest first (ties by id).
    fn alerts_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM alerts a {} WHERE a.at > ?1 AND a.at <= ?2 ORDER BY a.at, a.id",
                super::alerts::COLUMNS,
                super::alerts::JOIN
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since), ts(until)], |r| super::alerts::from_row(r, 0))
            .map_err(|e| self.err(e))?;
        Ok(rows.filter_map(Result::ok).flatten().collect())
    }

    /// One alert by its id.
    fn alert_by_id(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM alerts a {} WHERE a.id = ?1",
                super::alerts::COLUMNS,
                super::alerts::JOIN
            ))
            .map_err(|e| self.err(e))?;
        Ok(stmt
            .query_row([id], |r| super::alerts::from_row(r, 0))
            .optional()
            .map_err(|e| self.err(e))?
            .flatten())
    }

    /// When each alert of `ids` was last revised, for those that were.
    fn revised_at(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, DateTime<Utc>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT revised_at FROM alerts WHERE id = ?1 AND revised_at IS NOT NULL",
            )
            .map_err(|e| self.err(e))?;
        let mut out = std::collections::HashMap::new();
        for id in ids {
            let at: Option<i64> = stmt
                .query_row([id], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(ms) = at {
                out.insert(
                    id.to_string(),
                    DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                );
            }
        }
        Ok(out)
    }

    /// Status changes in `(since, until]`, by country then time.
    fn status_changes_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StatusChange>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT country, at, status, was, reason FROM status_history
                 WHERE at > ?1 AND at <= ?2 ORDER BY country, at, rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since), ts(until)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|(c, at, to, from, reason)| status_change(&c, at, &to, &from, reason))
            .collect())
    }

    /// Triage written in `(since, until]`, oldest first.
    fn triage_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Triage>, StoreError> {
        self.triage_rows_between(ts(since), ts(until))
    }

    /// Poll reports in `(since, until]` (the last 20 of each feed are kept), by feed then time.
    fn polls_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<FeedReport>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT report FROM polls WHERE at > ?1 AND at <= ?2 ORDER BY feed, at, rowid",
            )
            .map_err(|e| self.err(e))?;
        // Poll times are kept in milliseconds.
        let rows = stmt
            .query_map(
                [crate::time::millis(since), crate::time::millis(until)],
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|j| serde_json::from_str(&j).ok())
            .collect())
    }
}
