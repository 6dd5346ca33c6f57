//! The risk-factor board: per country, each factor's evidence in a window (items about the
//! country, distinct publishers, the newest item) beside the window before it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{SqliteStore, StoreError};
use crate::geo::{self, CountryCode};
use crate::rules::evidence::FactorRow;

impl SqliteStore {
    /// The 14 rows of `country`'s board for the `window` ending `now` (items it is about).
    pub fn board(
        &self,
        country: CountryCode,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<FactorRow>, StoreError> {
        let end = crate::time::millis(now);
        let start = crate::time::millis(now - window);
        let before = crate::time::millis(now - window - window);
        let mut rows: Vec<FactorRow> = (1..=14)
            .map(|factor| FactorRow {
                factor,
                ..FactorRow::default()
            })
            .collect();
        let mut counts = self
            .conn
            .prepare_cached(
                "SELECT factor, count(DISTINCT feed || char(10) || item), count(DISTINCT source)
                 FROM evidence WHERE country = ?1 AND is_primary = 1 AND at > ?2 AND at <= ?3
                 GROUP BY factor",
            )
            .map_err(|e| self.err(e))?;
        let read = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        };
        for (f, n, sources) in counts
            .query_map(rusqlite::params![country.as_str(), start, end], read)
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
        {
            if let Some(row) = usize::try_from(f - 1).ok().and_then(|i| rows.get_mut(i)) {
                row.count = u32::try_from(n).unwrap_or(u32::MAX);
                row.sources = u32::try_from(sources).unwrap_or(u32::MAX);
            }
        }
        for (f, n, _) in counts
            .query_map(rusqlite::params![country.as_str(), before, start], read)
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
        {
            if let Some(row) = usize::try_from(f - 1).ok().and_then(|i| rows.get_mut(i)) {
                row.previous = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
        let mut newest = self
            .conn
            .prepare_cached(
                "SELECT factor, at, title, url FROM (
                    SELECT e.factor, e.at, i.title, i.url,
                           row_number() OVER (PARTITION BY e.factor ORDER BY e.at DESC) AS n
                    FROM evidence e LEFT JOIN items i ON i.feed = e.feed AND i.key = e.item
                    WHERE e.country = ?1 AND e.is_primary = 1 AND e.at > ?2 AND e.at <= ?3)
                 WHERE n = 1",
            )
            .map_err(|e| self.err(e))?;
        for (f, at, title, url) in newest
            .query_map(rusqlite::params![country.as_str(), start, end], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
        {
            if let Some(row) = usize::try_from(f - 1).ok().and_then(|i| rows.get_mut(i)) {
                row.newest = Some((
                    DateTime::from_timestamp_millis(at).unwrap_or_default(),
                    title.unwrap_or_else(|| "(item no longer stored)".into()),
                    url,
                ));
            }
        }
        Ok(rows)
    }

    /// Per country, the factors with evidence in the `window` ending `now`, in order.
    pub fn factor_sets(
        &self,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<HashMap<CountryCode, Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT country, factor FROM evidence
                 WHERE is_primary = 1 AND at > ?1 AND at <= ?2 ORDER BY country, factor",
            )
            .map_err(|e| self.err(e))?;
        let mut out: HashMap<CountryCode, Vec<u8>> = HashMap::new();
        let rows = stmt
            .query_map(
                [crate::time::millis(now - window), crate::time::millis(now)],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .map_err(|e| self.err(e))?;
        for (c, f) in rows.filter_map(Result::ok) {
            if let (Some(code), Ok(f @ 1..=14)) = (geo::lookup(&c), u8::try_from(f)) {
                out.entry(code).or_default().push(f);
            }
        }
        Ok(out)
    }
}
