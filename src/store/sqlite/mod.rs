//! The [`Store`] on one SQLite file in WAL mode. Every write transaction begins IMMEDIATE (so a
//! busy database makes a writer wait instead of failing at once) and is retried with backoff
//! within a bounded time. `synchronous = FULL`: a commit is on disk before any of its events is
//! printed, so a `seq` a consumer has seen is never handed out again, even after a power loss.

pub(crate) mod alerts;
mod board;
pub mod drill;
mod known;
mod period;
pub mod schema;
pub(crate) mod screen;
pub mod snapshot;
pub mod triage;
pub(crate) mod tx;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::{
    DB_FILE, Heartbeat, OutboxRow, RecentAlert, Store, StoreError, StoryItem, Triage,
    snapshot::Snapshot,
};
use crate::event::{Alert, Status};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::geo::{self, CountryCode};
use crate::rules::engine::{CorroborationRecord, SilenceRecord, WindowEntry};

pub use tx::SqliteTx;

/// How long one attempt waits for another writer (the busy handler).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a waiting writer looks again. SQLite's own handler backs off to 100 ms sleeps,
/// which a busy collector's short gaps between transactions can starve indefinitely; a short
/// fixed step finds the gaps.
const BUSY_STEP: Duration = Duration::from_millis(2);

/// The busy handler: wait a step and try again, until [`BUSY_TIMEOUT`] has passed.
fn busy_wait(attempts: i32) -> bool {
    let limit = (BUSY_TIMEOUT.as_millis() / BUSY_STEP.as_millis()) as i32;
    if attempts >= limit {
        return false;
    }
    std::thread::sleep(BUSY_STEP);
    true
}
/// How long a write keeps retrying a busy database before giving up.
const WRITE_PATIENCE: Duration = Duration::from_secs(30);
/// Outbox events kept when no consumer is registered, so one that joins sees recent history.
const UNCONSUMED_KEEP: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The database.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    id: String,
    /// When the next write transaction adds new items to the search index; `None` on a
    /// connection that leaves the index to the collector's (see
    /// [`SqliteStore::keep_search_index`]).
    index_due: Option<Instant>,
    /// The next write transaction brings the index up to date whatever the time (pruning).
    index_now: bool,
    /// The items written, on a store no other process opens ([`SqliteStore::set_throwaway`]).
    known: Option<known::Known>,
}

/// How often new items join the search index. Each time writes one segment of the index,
/// which FTS5 later merges, so fewer, larger additions cost less; a search also reads the
/// items not indexed yet, so none is missed meanwhile.
const INDEX_EVERY: Duration = Duration::from_secs(15);

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// Runs `step` until it succeeds, fails with something other than a busy database, or the
/// patience runs out; the wait between attempts grows from 10 ms to 500 ms.
fn retry_busy<T>(
    mut step: impl FnMut() -> Result<T, rusqlite::Error>,
) -> Result<T, rusqlite::Error> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(10);
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, m))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                if started.elapsed() > WRITE_PATIENCE {
                    return Err(rusqlite::Error::SqliteFailure(e, m));
                }
                tracing::debug!("database busy; retrying in {wait:?}");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}

/// Rolls back a transaction that did not commit (an error or a panic inside it), so the
/// connection can begin the next one.
struct OpenTx<'c> {
    conn: &'c Connection,
    done: bool,
}

impl Drop for OpenTx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl SqliteStore {
    /// Opens an existing database in `dir` without creating one (for viewers that attach to a
    /// running collector).
    pub fn open_existing(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        Self::open(dir)
    }

    /// Opens an existing database for reading only (a screen whose user may not write the
    /// collector's files). The schema must already be this build's: only a writer migrates.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_handler(Some(busy_wait)).map_err(err)?;
        schema::register_functions(&conn).map_err(err)?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if found > schema::VERSION {
            return Err(StoreError::TooNew {
                path,
                found,
                supported: schema::VERSION,
            });
        }
        if found < schema::VERSION {
            return Err(StoreError::Directory {
                path: dir.to_path_buf(),
                message: format!(
                    "the database has schema {found}, this build reads {}; a collector of this build upgrades it when it starts",
                    schema::VERSION
                ),
            });
        }
        let id: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'id'", [], |r| r.get(0))
            .map_err(err)?;
        Ok(Self::ready(conn, path, id))
    }

    /// Opens (creating and migrating) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_paged(dir, None)
    }

    /// Makes a new store in `dir` for one process to fill and throw away (see
    /// [`SqliteStore::set_throwaway`]), with pages of 16 KiB: a replay's bulk inserts touch a
    /// quarter as many pages as with the default 4 KiB, about 5 % of its time.
    pub fn create_throwaway(dir: &Path) -> Result<Self, StoreError> {
        let mut store = Self::open_paged(dir, Some(16_384))?;
        store.set_throwaway()?;
        Ok(store)
    }

    /// [`SqliteStore::open`], with the page size a new file is made with (an existing file
    /// keeps its own).
    fn open_paged(dir: &Path, page_size: Option<u32>) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(err)?;
        conn.busy_handler(Some(busy_wait)).map_err(err)?;
        schema::register_functions(&conn).map_err(err)?;
        if let Some(size) = page_size {
            conn.execute_batch(&format!("PRAGMA page_size = {size};"))
                .map_err(err)?;
        }
        // Switching to WAL takes a lock of its own; several processes may open a new file at once.
        retry_busy(|| {
            conn.execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA cache_size = -1024;
                 PRAGMA wal_autocheckpoint = 4000;",
            )
        })
        .map_err(err)?;
        if let Some(found) = retry_busy(|| schema::migrate(&mut conn)).map_err(err)? {
            return Err(StoreError::TooNew {
                path,
                found,
                supported: schema::VERSION,
            });
        }
        let id: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'id'", [], |r| r.get(0))
            .map_err(err)?;
        Ok(Self::ready(conn, path, id))
    }

    /// An open connection to the database at `path`, whose identity is `id`; it leaves the
    /// search index to the collector's connection until told otherwise.
    fn ready(conn: Connection, path: PathBuf, id: String) -> Self {
        Self {
            conn,
            path,
            id,
            index_due: None,
            index_now: false,
            known: None,
        }
    }

    /// Makes this connection the one that adds new items to the search index, in bulk every
    /// few seconds (the collector's). Other connections (standard output, notification
    /// targets, screens) leave it alone: two connections indexing on schedules of their own
    /// write twice the segments for FTS5 to merge.
    pub fn keep_search_index(&mut self) {
        self.index_due = Some(Instant::now());
    }

    /// Sizes this connection's page cache to the database: an eighth of the file, between
    /// 1 MiB and 64 MiB. Index inserts land on random pages of ever larger indexes; a cache that
    /// grows with them keeps those reads in memory, while a new or small database costs little.
    /// Returns the cache size in KiB.
    pub fn size_cache(&self) -> Result<u32, StoreError> {
        let bytes: i64 = self
            .conn
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let kib = u32::try_from(bytes / 8 / 1024)
            .unwrap_or(u32::MAX)
            .clamp(1024, 64 * 1024);
        self.set_cache_kib(kib)?;
        Ok(kib)
    }

    /// For a store that is thrown away afterwards (replay): no journal, no fsync, one lock
    /// held throughout (nothing else may open it), and a 16 MiB cache (a larger one measured
    /// no faster: it only zeroes more fresh pages). It is written once and read in order, so
    /// the indexes that serve the screen and pruning go, and the items it holds are known in
    /// memory: a new item is told new, or carried by another feed, without a query. (Looking
    /// an item up by identity then needs no index either until a prune deletes rows; after
    /// one, such a lookup reads the table whole, which a replay, never pruning, does not do.)
    pub fn set_throwaway(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
                 PRAGMA cache_size = -16384;
                 DROP INDEX IF EXISTS items_feed_seen; DROP INDEX IF EXISTS alerts_at;
                 DROP INDEX IF EXISTS alerts_event_time; DROP INDEX IF EXISTS alerts_undelivered;
                 DROP INDEX IF EXISTS outbox_at; DROP INDEX IF EXISTS window_entries_at;
                 DROP INDEX IF EXISTS items_ident; DROP INDEX IF EXISTS items_last_seen;
                 DROP INDEX IF EXISTS evidence_at;",
            )
            .map_err(|e| self.err(e))?;
        let known = self
            .conn
            .prepare("SELECT feed, key, ident FROM items")
            .and_then(|mut rows| {
                let mut known = known::Known::default();
                let mut it = rows.query([])?;
                while let Some(r) = it.next()? {
                    let (feed, key): (String, String) = (r.get(0)?, r.get(1)?);
                    known.insert(&feed, &key, r.get(2)?);
                }
                known.mark_whole();
                Ok(known)
            })
            .map_err(|e| self.err(e))?;
        self.known = Some(known);
        Ok(())
    }

    /// Limits this connection's page cache to `kib` KiB (a reader that only follows the newest
    /// rows needs little).
    pub fn set_cache_kib(&self, kib: u32) -> Result<(), StoreError> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{kib};"))
            .map_err(|e| self.err(e))
    }

    /// Upgrades a version 1 delivery cursor (the highest alert row printed): alerts stored after
    /// it go into the outbox to be printed, once. Returns where consumer `name` starts: the
    /// beginning of the outbox, which held only unprinted events when the schema was migrated.
    pub fn import_legacy_cursor(&mut self, name: &str, row: i64) -> Result<i64, StoreError> {
        self.write(|tx| tx.import_legacy(name, row))
    }

    /// A JSON value kept in `meta` under `key`; `None` when absent or unreadable (written by
    /// another build).
    pub(super) fn meta_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// The connection (for `store copy`, which reads every table).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

impl Store for SqliteStore {
    type Tx<'t> = SqliteTx<'t>;

    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self::Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        // Only BEGIN can meet another writer: once it succeeds this connection holds the
        // write lock until COMMIT, so `f` runs once.
        let conn = &self.conn;
        retry_busy(|| conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])).map_err(err)?;
        let mut open = OpenTx { conn, done: false };
        let out = f(&mut SqliteTx::new(conn, &path, self.known.as_mut()))?;
        if self.index_now || self.index_due.is_some_and(|due| Instant::now() >= due) {
            schema::index_new_items(conn).map_err(err)?;
            self.index_now = false;
            if let Some(due) = &mut self.index_due {
                *due = Instant::now() + INDEX_EVERY;
            }
        }
        conn.prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]))
            .map_err(err)?;
        open.done = true;
        Ok(out)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn validators(&self, feed: &str) -> Result<Validators, StoreError> {
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

    fn failures(&self, feed: &str) -> Result<u32, StoreError> {
        self.conn
            .query_row("SELECT failures FROM feeds WHERE id = ?1", [feed], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(e))
    }

    fn window_entries(&self, since: DateTime<Utc>) -> Result<Vec<WindowEntry>, StoreError> {
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

    fn recent_alerts(&self, since: DateTime<Utc>) -> Result<Vec<RecentAlert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT country, max(event_time), severity FROM alerts
                 WHERE event_time > ?1 AND country IS NOT NULL GROUP BY country, severity",
            )
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
                let sev = crate::config::Severity::parse(&s)?;
                Some((geo::lookup(&c)?, from_ts(t), sev))
            })
            .collect();
        Ok(rows)
    }

    fn statuses(&self) -> Result<Vec<(CountryCode, Status)>, StoreError> {
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

    fn silences(&self) -> Result<Vec<SilenceRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT rule, subject, state FROM silence")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SilenceRecord {
                    rule: r.get(0)?,
                    subject: r.get(1)?,
                    state: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn corroborations(&self, since: DateTime<Utc>) -> Result<Vec<CorroborationRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT rule, country, story, at, state FROM corroboration WHERE at >= ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since)], |r| {
                Ok(CorroborationRecord {
                    rule: r.get(0)?,
                    country: geo::lookup(&r.get::<_, String>(1)?),
                    story: r.get(2)?,
                    at: from_ts(r.get(3)?),
                    state: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn story_alerts(&self, since: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM alerts a {} WHERE a.story IS NOT NULL AND a.at >= ?1",
                alerts::COLUMNS,
                alerts::JOIN
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since)], |r| alerts::from_row(r, 0))
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
            .flatten()
            .collect();
        Ok(rows)
    }

    fn story_items(&self, since: DateTime<Utc>) -> Result<Vec<StoryItem>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT feed, key, title, url, summary, published, first_seen, countries, story
                 FROM items WHERE story IS NOT NULL AND first_seen >= ?1 ORDER BY first_seen, rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since)], |r| {
                let countries: String = r.get(7)?;
                Ok(StoryItem {
                    item: Item {
                        feed: r.get(0)?,
                        key: r.get(1)?,
                        title: r.get(2)?,
                        url: r.get(3)?,
                        summary: r.get(4)?,
                        published: r.get::<_, Option<i64>>(5)?.map(from_ts),
                        countries: countries.split(',').filter_map(geo::lookup).collect(),
                        values: Vec::new(),
                    },
                    first_seen: from_ts(r.get(6)?),
                    story: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let t = ts(before);
        let unconsumed = crate::time::millis(Utc::now() - UNCONSUMED_KEEP);
        // Pruning may free the newest rowids: the index's mark must follow in the same
        // transaction, before a new item takes one of them.
        self.index_now = true;
        if let Some(known) = self.known.as_mut() {
            known.rows_deleted();
        }
        self.write(|tx| tx.prune(t, crate::time::millis(before), unconsumed))
    }

    fn size_cache(&mut self) -> Result<(), StoreError> {
        SqliteStore::size_cache(self).map(drop)
    }

    fn prune_outbox(&mut self) -> Result<usize, StoreError> {
        let unconsumed = crate::time::millis(Utc::now() - UNCONSUMED_KEEP);
        self.write(|tx| tx.prune_outbox(unconsumed))
    }

    fn heartbeat(&mut self, beat: &Heartbeat) -> Result<(), StoreError> {
        let json = serde_json::to_string(beat).unwrap_or_default();
        self.write(|tx| tx.set_meta("heartbeat", &json))
    }

    fn last_heartbeat(&self) -> Result<Option<Heartbeat>, StoreError> {
        self.meta_json("heartbeat")
    }

    fn outbox_after(&self, seq: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT o.seq, o.body, {} FROM outbox o
                 LEFT JOIN alerts a ON o.alert IS NOT NULL AND a.rowid = o.alert
                 {} WHERE o.seq > ?1 ORDER BY o.seq LIMIT {limit}",
                alerts::COLUMNS,
                alerts::JOIN
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            // The limit is part of the text: a bound LIMIT makes SQLite plan the statement
            // again at every call.
            .query([seq])
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let seq: i64 = r.get(0).map_err(|e| self.err(e))?;
            let body = match r.get::<_, Option<String>>(1).map_err(|e| self.err(e))? {
                Some(body) => body,
                // An alert the outbox points at (imported from a version 1 cursor); one pruned
                // before delivery leaves nothing to print, and its seq is skipped.
                None => match r.get::<_, Option<String>>(2).map_err(|e| self.err(e))? {
                    None => continue,
                    Some(_) => match alerts::from_row(r, 2).map_err(|e| self.err(e))? {
                        Some(a) => crate::event::Event::Alert(a).body(),
                        None => continue,
                    },
                },
            };
            out.push(OutboxRow { seq, body });
        }
        Ok(out)
    }

    fn evidence_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::rules::evidence::StoredEvidence>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.country, e.factor, e.at, e.is_primary, e.rule, e.feed, e.item,
                        coalesce(i.title, ''), coalesce(i.summary, '')
                 FROM evidence e LEFT JOIN items i ON i.feed = e.feed AND i.key = e.item
                 WHERE e.at > ?1 ORDER BY e.at",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([crate::time::millis(since)], |r| {
                Ok(geo::lookup(&r.get::<_, String>(0)?).and_then(|country| {
                    Some(crate::rules::evidence::StoredEvidence {
                        country,
                        factor: u8::try_from(r.get::<_, i64>(1).ok()?).ok()?,
                        at: DateTime::from_timestamp_millis(r.get(2).ok()?)?,
                        primary: r.get(3).ok()?,
                        rule: r.get(4).ok()?,
                        feed: r.get(5).ok()?,
                        item: r.get(6).ok()?,
                        title: r.get(7).ok()?,
                        summary: r.get(8).ok()?,
                    })
                }))
            })
            .map_err(|e| self.err(e))?;
        Ok(rows.filter_map(Result::ok).flatten().collect())
    }

    fn factor_alerts_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, CountryCode)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rule, country FROM alerts WHERE kind = 'factors' AND at > ?1 AND country IS NOT NULL",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(since)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|(rule, c)| Some((rule, geo::lookup(&c)?)))
            .collect())
    }

    fn outbox_end(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT max(coalesce((SELECT max(seq) FROM outbox), 0),
                            coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    fn consumer(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row("SELECT seq FROM consumers WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_consumer(&mut self, name: &str, seq: i64) -> Result<(), StoreError> {
        self.write(|tx| tx.set_consumer(name, seq))
    }

    fn retire_consumers(&mut self, keep: &[&str]) -> Result<Vec<String>, StoreError> {
        self.write(|tx| tx.retire_consumers(keep))
    }

    fn record_triage(&mut self, t: &Triage) -> Result<(), StoreError> {
        self.write(|tx| tx.record_triage(t))
    }

    fn snapshot(
        &self,
        config: &crate::config::ScreenConfig,
        now: DateTime<Utc>,
    ) -> Result<Snapshot, StoreError> {
        crate::store::screen::snapshot(self, config, now)
    }

    fn drill(
        &self,
        focus: &super::drill::Focus,
        now: DateTime<Utc>,
    ) -> Result<super::drill::Drill, StoreError> {
        crate::store::screen::drill(self, focus, now)
    }

    fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn replace_baseline(
        &mut self,
        estimates: &[crate::baseline::Estimate],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| tx.replace_baseline(estimates, at))
    }

    fn baseline(&self) -> Result<Vec<crate::baseline::Estimate>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT country, risk, rank, of, year, source FROM baseline ORDER BY rank",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, Option<i32>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(country, risk, rank, of, year, source)| {
                Some(crate::baseline::Estimate {
                    country: geo::lookup(&country)?,
                    risk,
                    rank,
                    of,
                    year,
                    source,
                })
            })
            .collect())
    }
}

/// What [`SqliteStore::backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// Bytes of the copy.
    pub bytes: u64,
    /// Its schema version.
    pub schema: i64,
    /// Items it holds.
    pub items: i64,
    /// Alerts it holds.
    pub alerts: i64,
}

impl SqliteStore {
    /// Writes a consistent copy of the database to `to` with SQLite's online backup, while a
    /// collector may keep writing: pages are copied in steps, and a step that meets a write
    /// starts again. The copy is written beside `to` and renamed into place once it checks
    /// out (`PRAGMA integrity_check`), so `to` is never half written.
    pub fn backup(&self, to: &Path) -> Result<BackupReport, StoreError> {
        let partial = to.with_extension("partial");
        let err = |source| StoreError::Sqlite {
            path: partial.clone(),
            source,
        };
        let _ = std::fs::remove_file(&partial);
        let mut dst = Connection::open(&partial).map_err(err)?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut dst).map_err(err)?;
            backup
                .run_to_completion(256, Duration::from_millis(5), None)
                .map_err(err)?;
        }
        let check: String = dst
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(err)?;
        if check != "ok" {
            return Err(StoreError::Directory {
                path: partial.clone(),
                message: format!("the copy failed its integrity check: {check}"),
            });
        }
        let count = |table: &str| -> Result<i64, StoreError> {
            dst.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .map_err(err)
        };
        let report = BackupReport {
            bytes: 0,
            schema: dst
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(err)?,
            items: count("items")?,
            alerts: count("alerts")?,
        };
        drop(dst);
        std::fs::rename(&partial, to).map_err(|e| StoreError::Directory {
            path: to.to_path_buf(),
            message: format!("cannot move the copy into place: {e}"),
        })?;
        let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
        Ok(BackupReport { bytes, ..report })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_size(store: &SqliteStore) -> i64 {
        store
            .conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size")
    }

    #[test]
    fn a_throwaway_store_has_large_pages_and_a_live_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let live = SqliteStore::open(dir.path()).expect("open");
        assert_eq!(page_size(&live), 4_096);
        drop(live);
        // An existing file keeps the page size it was made with.
        let reopened = SqliteStore::create_throwaway(dir.path()).expect("reopen");
        assert_eq!(page_size(&reopened), 4_096);
        let fresh = tempfile::tempdir().expect("tempdir");
        let throwaway = SqliteStore::create_throwaway(fresh.path()).expect("create");
        assert_eq!(page_size(&throwaway), 16_384);
    }
}
