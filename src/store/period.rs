//! What the brief and the exports read: everything a store holds about a period, and single
//! alerts by id. Both stores answer it, so `brief` and `export` work on a data directory and on
//! a shared PostgreSQL store alike.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::screen::ScreenReads;
use super::{Store, StoreError};
use crate::event::{Alert, FeedReport, StatusChange, Triage};

/// Reads over a period `(since, until]`.
pub trait PeriodReads: Store + ScreenReads {
    /// Alerts raised in the period, oldest first.
    fn alerts_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Alert>, StoreError>;

    /// One alert by its id.
    fn alert_by_id(&self, id: &str) -> Result<Option<Alert>, StoreError>;

    /// When each of `ids` was last revised, for those that were.
    fn revised_at(&self, ids: &[&str]) -> Result<HashMap<String, DateTime<Utc>>, StoreError>;

    /// Status changes in the period, by country then time.
    fn status_changes_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StatusChange>, StoreError>;

    /// Triage written in the period, oldest first.
    fn triage_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Triage>, StoreError>;

    /// Feed polls in the period, by feed then time.
    fn polls_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<FeedReport>, StoreError>;
}

/// A status change read back from its stored columns; `None` for a country or status this
/// build does not know.
pub(crate) fn status_change(
    country: &str,
    at: i64,
    to: &str,
    from: &str,
    reason: String,
) -> Option<StatusChange> {
    let country = crate::geo::lookup(country)?;
    Some(StatusChange {
        at: super::sqlite::from_ts(at),
        country,
        country_name: country.name().to_string(),
        from: crate::event::Status::parse(from)?,
        to: crate::event::Status::parse(to)?,
        reason,
        factors: Vec::new(),
    })
}
