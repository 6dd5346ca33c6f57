//! Schema versions and migrations. Each migration moves `user_version` up by one; a database
//! from a newer version is refused rather than damaged.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE feeds (
        id TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        failing_since INTEGER,
        last_ok INTEGER,
        last_error TEXT,
        last_report TEXT
     );
     CREATE TABLE items (
        feed TEXT NOT NULL,
        key TEXT NOT NULL,
        identity TEXT NOT NULL,
        hash TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        summary TEXT NOT NULL,
        published INTEGER,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        countries TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (feed, key)
     );
     CREATE INDEX items_identity ON items (identity);
     CREATE INDEX items_last_seen ON items (last_seen);
     CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        event_time INTEGER NOT NULL,
        country TEXT,
        severity TEXT NOT NULL,
        rule TEXT NOT NULL,
        json TEXT NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0
     );
     CREATE INDEX alerts_at ON alerts (at);
     CREATE INDEX alerts_event_time ON alerts (event_time);
     CREATE INDEX alerts_undelivered ON alerts (delivered) WHERE delivered = 0;
     CREATE TABLE window_entries (
        rule TEXT NOT NULL,
        country TEXT NOT NULL,
        at INTEGER NOT NULL,
        value REAL NOT NULL
     );
     CREATE INDEX window_entries_at ON window_entries (at);
     CREATE TABLE statuses (
        country TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        since INTEGER NOT NULL
     );",
    // 2: triage (acknowledge, snooze, notes), shared by every viewer of the database.
    "CREATE TABLE triage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        who TEXT NOT NULL,
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        action TEXT NOT NULL,
        until INTEGER,
        note TEXT,
        delivered INTEGER NOT NULL DEFAULT 0
     );
     CREATE INDEX triage_target ON triage (target, key);
     CREATE INDEX triage_undelivered ON triage (delivered) WHERE delivered = 0;",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if found > VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}
