//! State in one SQLite file (WAL): items seen, alerts raised, windowed rule history, country
//! statuses and feed health. The schema is versioned (`PRAGMA user_version`) and migrated on
//! open; writes happen in one transaction per feed poll.

pub mod cursor;
mod schema;
pub mod snapshot;
mod triage;

pub use triage::TriageState;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::event::{Alert, FeedReport, Status};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::geo::{self, CountryCode};
use crate::rules::engine::WindowEntry;

/// Store errors, with the database path.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// There is no database to attach to.
    #[error(
        "no database at {path}; start `watchfloor headless --data DIR` first, or pass the --data it uses"
    )]
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The file was written by a newer watchfloor.
    #[error(
        "database {path} has schema version {found}, newer than this watchfloor ({supported}); upgrade watchfloor"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
}

/// What the store knows of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Never seen in this feed.
    New,
    /// Seen with the same content.
    Same,
    /// Seen with different content: a revision.
    Revised,
}

/// The database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "watchfloor.db";

impl Store {
    /// Opens an existing database in `dir` without creating one (for viewers that attach to a
    /// running collector).
    pub fn open_existing(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        Self::open(dir)
    }

    /// Opens (creating and migrating) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(err)?;
        schema::migrate(&mut conn, &path)?;
        Ok(Self { conn, path })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `f` in one transaction.
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let out = f(&Tx { tx: &tx }).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// Validators stored for a feed.
    pub fn validators(&self, feed: &str) -> Result<Validators, StoreError> {
        self.conn
            .query_row(
                "SELECT etag, last_modified FROM feeds WHERE id = ?1",
                [feed],
                |r| {
                    Ok(Validators {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(e))
    }

    /// Consecutive failures recorded for a feed.
    pub fn failures(&self, feed: &str) -> Result<u32, StoreError> {
        self.conn
            .query_row("SELECT failures FROM feeds WHERE id = ?1", [feed], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(e))
    }

    /// The newest alert's row id (0 when there is none).
    pub fn last_alert_row(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(rowid), 0) FROM alerts", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    /// Alerts stored after row `after`, oldest first, with their row ids (at most 10,000).
    pub fn alerts_after(&self, after: i64) -> Result<Vec<(i64, Alert)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT rowid, json FROM alerts WHERE rowid > ?1 ORDER BY rowid LIMIT 10000")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([after], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
            .filter_map(|(id, j)| Some((id, serde_json::from_str(&j).ok()?)))
            .collect();
        Ok(rows)
    }

    /// Alerts whose event time is after `since`: (country, event time, severity).
    pub fn recent_alerts(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(CountryCode, DateTime<Utc>, crate::config::Severity)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT country, event_time, severity FROM alerts WHERE event_time > ?1 AND country IS NOT NULL")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
            .filter_map(|(c, t, s)| {
                let sev = serde_json::from_value(serde_json::Value::String(s)).ok()?;
                Some((geo::lookup(&c)?, from_ts(t), sev))
            })
            .collect();
        Ok(rows)
    }

    /// Window entries newer than `since`.
    pub fn window_entries(&self, since: DateTime<Utc>) -> Result<Vec<WindowEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rule, country, at, value FROM window_entries WHERE at > ?1 ORDER BY at",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, f64>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
            .filter_map(|(rule, c, at, value)| {
                Some(WindowEntry {
                    rule,
                    country: geo::lookup(&c)?,
                    at: from_ts(at),
                    value,
                })
            })
            .collect();
        Ok(rows)
    }

    /// Last known status per country.
    pub fn statuses(&self) -> Result<Vec<(CountryCode, Status)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT country, status FROM statuses")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
            .filter_map(|(c, s)| Some((geo::lookup(&c)?, Status::parse(&s)?)))
            .collect();
        Ok(rows)
    }

    /// Changes whenever another connection commits (`PRAGMA data_version`).
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Deletes items, alerts and window entries older than `before`.
    pub fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let t = ts(before);
        self.transaction(|tx| {
            let mut n = tx
                .tx
                .execute("DELETE FROM items WHERE last_seen < ?1", [t])?;
            n += tx
                .tx
                .execute("DELETE FROM alerts WHERE at < ?1 AND delivered = 1", [t])?;
            n += tx
                .tx
                .execute("DELETE FROM window_entries WHERE at < ?1", [t])?;
            Ok(n)
        })
    }
}

/// Writes inside one transaction.
pub struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl Tx<'_> {
    /// Whether the item is new, the same, or a revision; records it either way.
    pub fn upsert_item(&self, item: &Item, now: DateTime<Utc>) -> Result<Seen, rusqlite::Error> {
        let hash = item.content_hash();
        let old: Option<String> = self
            .tx
            .prepare_cached("SELECT hash FROM items WHERE feed = ?1 AND key = ?2")?
            .query_row(params![item.feed, item.key], |r| r.get(0))
            .optional()?;
        let countries: Vec<&str> = item.countries.iter().map(|c| c.as_str()).collect();
        match old {
            Some(h) if h == hash => {
                self.tx
                    .prepare_cached("UPDATE items SET last_seen = ?3 WHERE feed = ?1 AND key = ?2")?
                    .execute(params![item.feed, item.key, ts(now)])?;
                Ok(Seen::Same)
            }
            Some(_) => {
                self.tx
                    .prepare_cached(
                        "UPDATE items SET hash = ?3, title = ?4, url = ?5, summary = ?6, published = ?7, last_seen = ?8, countries = ?9
                         WHERE feed = ?1 AND key = ?2",
                    )?
                    .execute(params![item.feed, item.key, hash, item.title, item.url, item.summary, item.published.map(ts), ts(now), countries.join(",")])?;
                Ok(Seen::Revised)
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO items (feed, key, identity, hash, title, url, summary, published, first_seen, last_seen, countries)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
                    )?
                    .execute(params![item.feed, item.key, item.identity(), hash, item.title, item.url, item.summary, item.published.map(ts), ts(now), countries.join(",")])?;
                Ok(Seen::New)
            }
        }
    }

    /// Marks every stored item of a feed as seen now (after a 304 Not Modified).
    pub fn touch_feed_items(&self, feed: &str, now: DateTime<Utc>) -> Result<(), rusqlite::Error> {
        self.tx
            .prepare_cached("UPDATE items SET last_seen = ?2 WHERE feed = ?1")?
            .execute(params![feed, ts(now)])?;
        Ok(())
    }

    /// Whether another feed (or another key in this feed) already carried this item.
    pub fn carried_elsewhere(&self, item: &Item) -> Result<bool, rusqlite::Error> {
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM items WHERE identity = ?1 AND NOT (feed = ?2 AND key = ?3)",
            )?
            .query_row(params![item.identity(), item.feed, item.key], |r| r.get(0))?;
        Ok(n > 0)
    }

    /// Inserts an alert unless its id exists; its row id when it was new. Row ids grow, so the
    /// delivery cursor (see [`cursor`]) can say which alerts were handed to the sink.
    pub fn insert_alert(
        &self,
        alert: &Alert,
        event_time: DateTime<Utc>,
    ) -> Result<Option<i64>, rusqlite::Error> {
        let json = serde_json::to_string(alert)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO alerts (id, at, event_time, country, severity, rule, json, delivered)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            )?
            .execute(params![
                alert.id,
                ts(alert.at),
                ts(event_time),
                alert.country.map(|c| c.to_string()),
                alert.severity.as_str(),
                alert.rule,
                json
            ])?;
        Ok((n == 1).then(|| self.tx.last_insert_rowid()))
    }

    /// Appends a windowed rule entry.
    pub fn insert_window_entry(&self, e: &WindowEntry) -> Result<(), rusqlite::Error> {
        self.tx
            .prepare_cached(
                "INSERT INTO window_entries (rule, country, at, value) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![e.rule, e.country.as_str(), ts(e.at), e.value])?;
        Ok(())
    }

    /// Records a country's status.
    pub fn set_status(
        &self,
        country: CountryCode,
        status: Status,
        at: DateTime<Utc>,
    ) -> Result<(), rusqlite::Error> {
        self.tx
            .prepare_cached(
                "INSERT INTO statuses (country, status, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT(country) DO UPDATE SET status = excluded.status, since = excluded.since",
            )?
            .execute(params![country.as_str(), status.as_str(), ts(at)])?;
        Ok(())
    }

    /// Records a poll's outcome and the validators to send next time.
    pub fn record_feed(
        &self,
        report: &FeedReport,
        validators: Option<&Validators>,
    ) -> Result<(), rusqlite::Error> {
        self.tx
            .prepare_cached(
                "INSERT INTO feeds (id, failures) VALUES (?1, 0) ON CONFLICT(id) DO NOTHING",
            )?
            .execute([&report.feed])?;
        if let Some(v) = validators {
            self.tx
                .prepare_cached("UPDATE feeds SET etag = ?2, last_modified = ?3 WHERE id = ?1")?
                .execute(params![report.feed, v.etag, v.last_modified])?;
        }
        let report_json = serde_json::to_string(report)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        if report.ok {
            self.tx
                .prepare_cached("UPDATE feeds SET failures = 0, failing_since = NULL, last_ok = ?2, last_report = ?3 WHERE id = ?1")?
                .execute(params![report.feed, ts(report.at), report_json])?;
        } else {
            self.tx
                .prepare_cached(
                    "UPDATE feeds SET failures = ?2, failing_since = coalesce(failing_since, ?3), last_error = ?4, last_report = ?5 WHERE id = ?1",
                )?
                .execute(params![report.feed, report.failures, ts(report.at), report.error, report_json])?;
        }
        Ok(())
    }
}
