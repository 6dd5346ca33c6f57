//! The screen's reads ([`ScreenReads`]) in PostgreSQL, and what a screen on a desk adds:
//! the collectors alive and whether this login may triage.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PgStore, alerts};
use crate::event::{Alert, FeedReport, Status, Triage};
use crate::geo::{self, CountryCode};
use crate::rules::evidence::FactorRow;
use crate::store::drill::{NoteLine, SearchHit, StatusStep};
use crate::store::screen::{AlertHit, FeedState, MAX_HITS, ScreenReads};
use crate::store::sqlite::from_ts;
use crate::store::{StoreError, ts};

/// The triage columns [`triage_row`] reads.
pub(super) const TRIAGE_COLUMNS: &str = "at, who, target, key, action, until, note";

/// A triage row; `None` for one this build cannot read (an unknown action).
pub(super) fn triage_row(r: &Row) -> Option<Triage> {
    use crate::store::sqlite::triage::{parse_action, parse_target};
    Some(Triage {
        at: from_ts(r.try_get(0).ok()?),
        who: r.try_get(1).ok()?,
        target: parse_target(r.try_get(2).ok()?)?,
        key: r.try_get(3).ok()?,
        action: parse_action(r.try_get(4).ok()?)?,
        until: r.try_get::<_, Option<i64>>(5).ok()?.map(from_ts),
        note: r.try_get(6).ok()?,
    })
}

fn alerts_of(rows: &[Row], first: usize) -> Vec<Alert> {
    rows.iter()
        .filter_map(|r| alerts::from_row(r, first).ok().flatten())
        .collect()
}

impl ScreenReads for PgStore {
    fn triage_rows(&self) -> Result<Vec<Triage>, StoreError> {
        let rows = self.rows(
            &format!("SELECT {TRIAGE_COLUMNS} FROM triage ORDER BY id"),
            &[],
        )?;
        Ok(rows.iter().filter_map(triage_row).collect())
    }

    fn alert_hits(&self, since: DateTime<Utc>) -> Result<Vec<AlertHit>, StoreError> {
        let rows = self.rows(
            "SELECT country, event_time, at, coalesce(feed, '') FROM alerts
             WHERE event_time > $1 AND country IS NOT NULL",
            &[&ts(since)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.try_get(0).ok()?,
                    r.try_get(1).ok()?,
                    r.try_get(2).ok()?,
                    r.try_get(3).ok()?,
                ))
            })
            .collect())
    }

    fn latest_alerts(&self, limit: usize) -> Result<Vec<Alert>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT {} FROM alerts a {} ORDER BY a.at DESC, a.row DESC LIMIT $1",
                alerts::COLUMNS,
                alerts::JOIN
            ),
            &[&i64::try_from(limit).unwrap_or(i64::MAX)],
        )?;
        Ok(alerts_of(&rows, 0))
    }

    fn also_in(&self, feed: &str, item: &str) -> Result<Vec<String>, StoreError> {
        let rows = self.rows(
            "SELECT DISTINCT i2.feed FROM items i1 JOIN items i2 ON i2.ident = i1.ident
             WHERE i1.feed = $1 AND i1.key = $2 AND i2.feed <> $1 LIMIT 20",
            &[&feed, &item],
        )?;
        Ok(rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
    }

    fn feed_state(&self, id: &str) -> Result<Option<FeedState>, StoreError> {
        let row = self.opt(
            "SELECT last_report, last_ok, failing_since, last_error FROM feeds WHERE id = $1",
            &[&id],
        )?;
        Ok(row.map(|r| {
            (
                r.try_get(0).ok().flatten(),
                r.try_get(1).ok().flatten(),
                r.try_get(2).ok().flatten(),
                r.try_get(3).ok().flatten(),
            )
        }))
    }

    fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = self.opt("SELECT value FROM meta WHERE key = $1", &[&key])?;
        Ok(row.and_then(|r| r.try_get(0).ok()))
    }

    fn factor_sets_in(
        &self,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<HashMap<CountryCode, Vec<u8>>, StoreError> {
        let rows = self.rows(
            "SELECT DISTINCT country, factor FROM evidence
             WHERE is_primary AND at > $1 AND at <= $2 ORDER BY country, factor",
            &[
                &crate::time::millis(now - window),
                &crate::time::millis(now),
            ],
        )?;
        let mut out: HashMap<CountryCode, Vec<u8>> = HashMap::new();
        for r in &rows {
            let (Ok(c), Ok(f)) = (r.try_get::<_, String>(0), r.try_get::<_, i64>(1)) else {
                continue;
            };
            if let (Some(code), Ok(f @ 1..=14)) = (geo::lookup(&c), u8::try_from(f)) {
                out.entry(code).or_default().push(f);
            }
        }
        Ok(out)
    }

    fn board_of(
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
        let counts =
            "SELECT factor, count(DISTINCT feed || chr(10) || item), count(DISTINCT source)
             FROM evidence WHERE country = $1 AND is_primary AND at > $2 AND at <= $3
             GROUP BY factor";
        let slot = |rows: &mut Vec<FactorRow>, f: i64| -> Option<usize> {
            usize::try_from(f - 1).ok().filter(|i| *i < rows.len())
        };
        for r in self.rows(counts, &[&country.as_str(), &start, &end])? {
            let (Ok(f), Ok(n), Ok(s)) = (
                r.try_get::<_, i64>(0),
                r.try_get::<_, i64>(1),
                r.try_get::<_, i64>(2),
            ) else {
                continue;
            };
            if let Some(i) = slot(&mut rows, f) {
                rows[i].count = u32::try_from(n).unwrap_or(u32::MAX);
                rows[i].sources = u32::try_from(s).unwrap_or(u32::MAX);
            }
        }
        for r in self.rows(counts, &[&country.as_str(), &before, &start])? {
            let (Ok(f), Ok(n)) = (r.try_get::<_, i64>(0), r.try_get::<_, i64>(1)) else {
                continue;
            };
            if let Some(i) = slot(&mut rows, f) {
                rows[i].previous = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
        let newest = self.rows(
            "SELECT DISTINCT ON (e.factor) e.factor, e.at, i.title, i.url
             FROM evidence e LEFT JOIN items i ON i.feed = e.feed AND i.key = e.item
             WHERE e.country = $1 AND e.is_primary AND e.at > $2 AND e.at <= $3
             ORDER BY e.factor, e.at DESC",
            &[&country.as_str(), &start, &end],
        )?;
        for r in newest {
            let (Ok(f), Ok(at)) = (r.try_get::<_, i64>(0), r.try_get::<_, i64>(1)) else {
                continue;
            };
            if let Some(i) = slot(&mut rows, f) {
                rows[i].newest = Some((
                    DateTime::from_timestamp_millis(at).unwrap_or_default(),
                    r.try_get::<_, Option<String>>(2)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| "(item no longer stored)".into()),
                    r.try_get(3).ok().flatten(),
                ));
            }
        }
        Ok(rows)
    }

    fn status_history(&self, country: CountryCode) -> Result<Vec<StatusStep>, StoreError> {
        let rows = self.rows(
            "SELECT at, was, status, reason FROM status_history WHERE country = $1
             ORDER BY at DESC, ctid DESC LIMIT 100",
            &[&country.as_str()],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(StatusStep {
                    at: from_ts(r.try_get(0).ok()?),
                    from: Status::parse(r.try_get(1).ok()?)?,
                    to: Status::parse(r.try_get(2).ok()?)?,
                    reason: r.try_get(3).ok()?,
                })
            })
            .collect())
    }

    fn item_times(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = self.rows(
            "SELECT least(coalesce(published, first_seen), first_seen) FROM items
             WHERE first_seen > $1 AND strpos(',' || countries || ',', $2) > 0",
            &[&ts(since), &format!(",{country},")],
        )?;
        Ok(rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
    }

    fn country_alerts(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<(i64, Alert)>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT a.event_time, {} FROM alerts a {} WHERE a.country = $1 AND a.event_time > $2
                 ORDER BY a.at DESC LIMIT 2000",
                alerts::COLUMNS,
                alerts::JOIN
            ),
            &[&country.as_str(), &ts(since)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r.try_get(0).ok()?, alerts::from_row(r, 1).ok()??)))
            .collect())
    }

    fn notes(&self, country: CountryCode) -> Result<Vec<NoteLine>, StoreError> {
        let rows = self.rows(
            "SELECT t.at, t.who, t.target, t.note, a.rule FROM triage t
             LEFT JOIN alerts a ON t.target = 'alert' AND a.id = t.key
             WHERE t.action = 'note' AND t.note IS NOT NULL
               AND ((t.target = 'country' AND t.key = $1) OR a.country = $1)
             ORDER BY t.id DESC LIMIT 50",
            &[&country.as_str()],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(crate::store::sqlite::screen::note_line(
                    r.try_get(0).ok()?,
                    r.try_get(1).ok()?,
                    r.try_get(2).ok()?,
                    r.try_get(3).ok()?,
                    r.try_get(4).ok()?,
                ))
            })
            .collect())
    }

    fn poll_reports(&self, feed: &str) -> Result<Vec<FeedReport>, StoreError> {
        let rows = self.rows(
            "SELECT report FROM polls WHERE feed = $1 ORDER BY id DESC LIMIT 50",
            &[&feed],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| r.try_get::<_, String>(0).ok())
            .filter_map(|j| serde_json::from_str(&j).ok())
            .collect())
    }

    fn find(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        // Every word, any case, anywhere in the title or text. One pattern per word on the
        // expression the trigram index holds (`items_text`, where pg_trgm is available), so
        // the index narrows the rows; without it the same query reads them all.
        let words: Vec<String> = query
            .split_whitespace()
            .map(|w| {
                format!(
                    "%{}%",
                    w.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                )
            })
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let test = (1..=words.len())
            .map(|n| format!("(i.title || ' ' || i.summary) ILIKE ${n}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let params: Vec<&(dyn ToSql + Sync)> =
            words.iter().map(|w| w as &(dyn ToSql + Sync)).collect();
        let rows = self.rows(
            &format!(
                "SELECT i.feed, i.key, i.title, i.url, i.summary, i.published, i.first_seen, i.countries,
                        EXISTS (SELECT 1 FROM alerts a WHERE a.feed = i.feed AND a.item = i.key)
                 FROM items i
                 WHERE {test}
                 ORDER BY coalesce(i.published, i.first_seen) DESC LIMIT {MAX_HITS}"
            ),
            &params,
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(SearchHit {
                    feed: r.try_get(0).ok()?,
                    key: r.try_get(1).ok()?,
                    title: r.try_get(2).ok()?,
                    url: r.try_get(3).ok()?,
                    summary: r.try_get(4).ok()?,
                    published: r.try_get::<_, Option<i64>>(5).ok()?.map(from_ts),
                    first_seen: from_ts(r.try_get(6).ok()?),
                    countries: r
                        .try_get::<_, String>(7)
                        .ok()?
                        .split(',')
                        .filter_map(geo::lookup)
                        .collect(),
                    alerted: r.try_get(8).ok()?,
                })
            })
            .collect())
    }

    fn seen_by(&self, who: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self.opt("SELECT seen_until FROM viewers WHERE who = $1", &[&who])?;
        Ok(row
            .and_then(|r| r.try_get::<_, i64>(0).ok())
            .map(crate::time::from_millis))
    }

    fn mark_seen(&mut self, who: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.revive()?;
        if !self.may_write("viewers")? {
            return Ok(());
        }
        self.one(
            "INSERT INTO viewers (who, seen_until) VALUES ($1, $2)
             ON CONFLICT (who) DO UPDATE SET seen_until = greatest(viewers.seen_until, excluded.seen_until)
             RETURNING who",
            &[&who, &crate::time::millis(at)],
        )
        .map(drop)
    }

    fn may_triage(&self) -> Result<bool, StoreError> {
        self.may_write("triage")
    }
}

impl PgStore {
    /// Outbox events the slowest consumer has not passed (all of them when none is
    /// registered).
    pub fn outbox_pending(&self) -> Result<i64, StoreError> {
        self.one(
            "SELECT count(*) FROM outbox WHERE seq > (SELECT coalesce(min(seq), 0) FROM consumers)",
            &[],
        )
        .and_then(|r| r.try_get(0).map_err(|e| self.err(e)))
    }
}

impl PgStore {
    /// Whether this login may insert into `table`.
    fn may_write(&self, table: &str) -> Result<bool, StoreError> {
        self.one("SELECT has_table_privilege($1, 'INSERT')", &[&table])?
            .try_get(0)
            .map_err(|e| self.err(e))
    }

    /// The login this connection acts as (what the database signs triage with).
    pub fn login(&self) -> Result<String, StoreError> {
        self.one("SELECT session_user::TEXT", &[])?
            .try_get(0)
            .map_err(|e| self.err(e))
    }

    /// Publishes the settings a screen needs (never secrets: see [`crate::config::ScreenConfig`]).
    pub fn publish_screen_config(
        &mut self,
        screen: &crate::config::ScreenConfig,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(screen).unwrap_or_default();
        self.one(
            "INSERT INTO meta (key, value) VALUES ('screen', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING key",
            &[&json],
        )
        .map(drop)
    }
}

impl PgStore {
    /// The triage state of one country or alert.
    pub fn triage_of(
        &self,
        target: crate::event::TriageTarget,
        key: &str,
    ) -> Result<crate::store::TriageState, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT {TRIAGE_COLUMNS} FROM triage WHERE target = $1 AND key = $2 ORDER BY id"
            ),
            &[&target.as_str(), &key],
        )?;
        let mut state = crate::store::TriageState::default();
        for t in rows.iter().filter_map(triage_row) {
            state.apply(&t);
        }
        Ok(state)
    }

    /// Keeps `value` under `key` in the store's settings.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.revive()?;
        self.one(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING key",
            &[&key, &value],
        )
        .map(drop)
    }
}
