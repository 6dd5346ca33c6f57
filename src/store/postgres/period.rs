//! What happened in a period, for the brief and the exports, from a shared store.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{PgStore, alerts, screen};
use crate::event::{Alert, FeedReport, StatusChange, Triage};
use crate::store::period::status_change;
use crate::store::sqlite::ts;
use crate::store::{PeriodReads, StoreError};

impl PeriodReads for PgStore {
    fn alerts_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Alert>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT {} FROM alerts a {} WHERE a.at > $1 AND a.at <= $2 ORDER BY a.at, a.id",
                alerts::COLUMNS,
                alerts::JOIN
            ),
            &[&ts(since), &ts(until)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| alerts::from_row(r, 0).ok().flatten())
            .collect())
    }

    fn alert_by_id(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        let row = self.opt(
            &format!(
                "SELECT {} FROM alerts a {} WHERE a.id = $1",
                alerts::COLUMNS,
                alerts::JOIN
            ),
            &[&id],
        )?;
        Ok(row.and_then(|r| alerts::from_row(&r, 0).ok().flatten()))
    }

    fn revised_at(&self, ids: &[&str]) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let ids: Vec<String> = ids.iter().map(|s| (*s).to_string()).collect();
        let rows = self.rows(
            "SELECT id, revised_at FROM alerts WHERE id = ANY($1) AND revised_at IS NOT NULL",
            &[&ids],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let id: String = r.try_get(0).ok()?;
                let ms: i64 = r.try_get(1).ok()?;
                Some((id, DateTime::from_timestamp_millis(ms).unwrap_or_default()))
            })
            .collect())
    }

    fn status_changes_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StatusChange>, StoreError> {
        let rows = self.rows(
            "SELECT country, at, status, was, reason FROM status_history
             WHERE at > $1 AND at <= $2 ORDER BY country, at, ctid",
            &[&ts(since), &ts(until)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let country: String = r.try_get(0).ok()?;
                let to: String = r.try_get(2).ok()?;
                let from: String = r.try_get(3).ok()?;
                status_change(&country, r.try_get(1).ok()?, &to, &from, r.try_get(4).ok()?)
            })
            .collect())
    }

    fn triage_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Triage>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT {} FROM triage WHERE at > $1 AND at <= $2 ORDER BY at, id",
                screen::TRIAGE_COLUMNS
            ),
            &[&ts(since), &ts(until)],
        )?;
        Ok(rows.iter().filter_map(screen::triage_row).collect())
    }

    fn polls_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<FeedReport>, StoreError> {
        let rows = self.rows(
            "SELECT report FROM polls WHERE at > $1 AND at <= $2 ORDER BY feed, at, id",
            &[&crate::time::millis(since), &crate::time::millis(until)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| r.try_get::<_, String>(0).ok())
            .filter_map(|j| serde_json::from_str(&j).ok())
            .collect())
    }
}
