//! Schema versions and migrations. Each migration moves `user_version` up by one; a database
//! from a newer version is refused rather than damaged.

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, TransactionBehavior};

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
    // 3: the outbox every consumer reads (alerts point at their row instead of a second copy,
    // and an alert's text is its item's, joined when read: `feed` and `item` name the item),
    // consumer positions, the database's identity and the collector's heartbeat. Triage that
    // no collector had printed yet moves into the outbox; `delivered` columns are no longer read.
    "CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
     );
     INSERT INTO meta (key, value) VALUES ('id', lower(hex(randomblob(16))));
     CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        alert INTEGER,
        body TEXT
     );
     CREATE INDEX outbox_at ON outbox (at);
     ALTER TABLE feeds ADD COLUMN last_full INTEGER;
     CREATE INDEX items_feed_seen ON items (feed, last_seen);
     ALTER TABLE alerts ADD COLUMN feed TEXT;
     ALTER TABLE alerts ADD COLUMN item TEXT;
     CREATE TABLE consumers (
        name TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL
     );
     INSERT INTO outbox (at, kind, body)
        SELECT at * 1000, 'triage', json_object(
            'type', 'triage',
            'at', strftime('%Y-%m-%dT%H:%M:%fZ', at, 'unixepoch'),
            'who', who, 'target', target, 'key', key, 'action', action,
            'until', CASE WHEN until IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', until, 'unixepoch') END,
            'note', note)
        FROM triage WHERE delivered = 0 ORDER BY id;
     UPDATE triage SET delivered = 1 WHERE delivered = 0;
     DROP INDEX alerts_undelivered;",
    // 4: an alert is a row of plain columns (`json` is '' for these; older rows keep their
    // body), about a third of the bytes of its JSON; `title` only for alerts about no item.
    // An item's identity is kept and indexed as a 64-bit digest (`ident`), a third of the text,
    // and new rows keep the first 8 bytes of their content hash as a blob.
    // Items are pruned feed by feed through items_feed_seen, which makes an index on
    // last_seen alone redundant. Silence rules keep what they learned per feed or country.
    "CREATE TABLE silence (
        rule TEXT NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (rule, subject)
     );
     ALTER TABLE alerts ADD COLUMN title TEXT;
     ALTER TABLE items ADD COLUMN ident INTEGER;
     UPDATE items SET ident = watchfloor_digest64(identity), identity = '';
     DROP INDEX items_identity;
     CREATE INDEX items_ident ON items (ident);
     ALTER TABLE alerts ADD COLUMN at_ms INTEGER;
     ALTER TABLE alerts ADD COLUMN listed INTEGER;
     ALTER TABLE alerts ADD COLUMN kind TEXT;
     ALTER TABLE alerts ADD COLUMN matched TEXT;
     ALTER TABLE alerts ADD COLUMN field TEXT;
     ALTER TABLE alerts ADD COLUMN value REAL;
     ALTER TABLE alerts ADD COLUMN lim REAL;
     ALTER TABLE alerts ADD COLUMN op TEXT;
     ALTER TABLE alerts ADD COLUMN expected REAL;
     ALTER TABLE alerts ADD COLUMN explanation TEXT;
     DROP INDEX items_last_seen;",
    // 5: stories. An item that joined another feed's story keeps its id (`story`; NULL: the
    // item's own story). An alert carries its story, its publishers (a JSON array) and its
    // revision. Corroboration keeps, per item rule, country and story, the publishers seen so
    // far, so a rule that waits for a second source survives a restart.
    "ALTER TABLE items ADD COLUMN story INTEGER;
     ALTER TABLE alerts ADD COLUMN story TEXT;
     ALTER TABLE alerts ADD COLUMN sources TEXT;
     ALTER TABLE alerts ADD COLUMN revision INTEGER;
     CREATE TABLE corroboration (
        rule TEXT NOT NULL,
        country TEXT NOT NULL,
        story INTEGER NOT NULL,
        at INTEGER NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (rule, country, story)
     );",
    // 6: whether an alert's country is the one its item is about (NULL: yes).
    "ALTER TABLE alerts ADD COLUMN is_primary INTEGER;",
    // 7: structural risk imported from a statistical risk assessment (one file at a time).
    "CREATE TABLE baseline (
        country TEXT PRIMARY KEY,
        risk REAL NOT NULL,
        rank INTEGER NOT NULL,
        of INTEGER NOT NULL,
        year INTEGER,
        source TEXT NOT NULL,
        imported_at INTEGER NOT NULL
     );",
    // 8: what the screen drills into. The last polls of each feed (their reports, as JSON); every status change with its
    // reason; where each viewer last looked; a trigram full-text index of the stored items
    // (trigrams index Chinese and Japanese text, which has no spaces between words) kept by
    // triggers, so history search needs nothing from the collector's code.
    "CREATE TABLE polls (
        feed TEXT NOT NULL,
        at INTEGER NOT NULL,
        report TEXT NOT NULL
     );
     CREATE INDEX polls_feed ON polls (feed, at);
     CREATE TABLE status_history (
        country TEXT NOT NULL,
        at INTEGER NOT NULL,
        status TEXT NOT NULL,
        was TEXT NOT NULL,
        reason TEXT NOT NULL
     );
     CREATE INDEX status_history_country ON status_history (country, at);
     CREATE TABLE viewers (
        who TEXT PRIMARY KEY,
        seen_until INTEGER NOT NULL
     );
     CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary, content = 'items', content_rowid = 'rowid', tokenize = 'trigram'
     );
     CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
     END;
     CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
     END;
     CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
        INSERT INTO items_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
     END;
     INSERT INTO items_fts (items_fts) VALUES ('rebuild');",
    // 9: when an alert was last revised (another publisher joined its story), in
    // milliseconds: the time of a CAP Update.
    "ALTER TABLE alerts ADD COLUMN revised_at INTEGER;",
    // 10: evidence for the risk factors of the UN Framework of Analysis: one row per item,
    // rule, country and factor (a revised item adds none), by the item's time in milliseconds.
    "CREATE TABLE evidence (
        country TEXT NOT NULL,
        factor INTEGER NOT NULL,
        rule TEXT NOT NULL,
        feed TEXT NOT NULL,
        item TEXT NOT NULL,
        source TEXT NOT NULL,
        is_primary INTEGER NOT NULL,
        at INTEGER NOT NULL,
        UNIQUE (feed, item, rule, country, factor)
     );
     CREATE INDEX evidence_country ON evidence (country, at);
     CREATE INDEX evidence_at ON evidence (at);",
    // 11: new items join the search index in bulk ([`index_new_items`], every few seconds),
    // not row by row from a trigger: a trigger makes every item's statement a savepoint, and
    // FTS5 writes a segment of its index at every savepoint, then merges them. `fts-through`
    // is the highest rowid indexed; rows above it are not in the index yet, so changing or
    // deleting them touches no index entry, and a search reads them directly.
    "DROP TRIGGER items_fts_insert;
     DROP TRIGGER items_fts_delete;
     DROP TRIGGER items_fts_update;
     INSERT INTO meta (key, value) VALUES ('fts-through', (SELECT coalesce(max(rowid), 0) FROM items));
     CREATE TRIGGER items_fts_delete AFTER DELETE ON items
     WHEN old.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts-through') BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
     END;
     CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items
     WHEN old.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts-through') BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
        INSERT INTO items_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
     END;",
    // 12: the search index keeps which items hold a trigram, not where in them (`detail =
    // none`): a fifth of the size, and cheaper to write. A search asks the index for the items
    // holding every trigram of its words, then checks each word in the text itself
    // (`watchfloor_contains`).
    "DROP TABLE items_fts;
     CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary, content = 'items', content_rowid = 'rowid', tokenize = 'trigram',
        detail = 'none'
     );
     INSERT INTO items_fts (items_fts) VALUES ('rebuild');
     UPDATE meta SET value = (SELECT coalesce(max(rowid), 0) FROM items) WHERE key = 'fts-through';",
    // 13: the search index merges sixteen segments of a size at a time, not four: each item's
    // entry is rewritten about half as often, and the cost of adding a batch stays flat as
    // the index grows (at four it rose by half over a day of a crisis's volume), with
    // searches no slower.
    "INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 16);",
];

/// Adds the items written since the last call to the search index, in one statement, and
/// records how far the index reaches. Run at the end of a write transaction every few seconds,
/// and of every one that prunes: when the newest rows were deleted, the mark moves down with
/// them, so a rowid used again is indexed.
pub fn index_new_items(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO items_fts (rowid, title, summary)
         SELECT rowid, title, summary FROM items
         WHERE rowid > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts-through')",
    )?
    .execute([])?;
    conn.prepare_cached(
        "UPDATE meta SET value = (SELECT coalesce(max(rowid), 0) FROM items)
         WHERE key = 'fts-through' AND value != (SELECT coalesce(max(rowid), 0) FROM items)",
    )?
    .execute([])?;
    Ok(())
}

/// Registers the SQL functions migrations and queries use: `watchfloor_digest64(text)`, the
/// digest [`crate::feed::item::digest64`] gives, and `watchfloor_contains(title, summary,
/// word)`, whether either text holds `word` (given in lower case) in any case, for every script
/// (SQLite's `LIKE` folds only ASCII).
pub fn register_functions(conn: &Connection) -> Result<(), rusqlite::Error> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("watchfloor_digest64", 1, flags, |ctx| {
        let text: String = ctx.get(0)?;
        Ok(crate::feed::item::digest64(text.as_bytes()))
    })?;
    conn.create_scalar_function("watchfloor_contains", 3, flags, |ctx| {
        let word = ctx.get_raw(2).as_str().unwrap_or_default();
        let holds = |i: usize| {
            ctx.get_raw(i)
                .as_str()
                .is_ok_and(|text| contains_folded(text, word))
        };
        Ok(holds(0) || holds(1))
    })
}

/// Whether `text` holds `word` (lower case) in any case. ASCII text is compared without a
/// copy; other text is lowered first.
fn contains_folded(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return true;
    }
    if text.is_ascii() {
        let (t, w) = (text.as_bytes(), word.as_bytes());
        return w.is_ascii()
            && t.windows(w.len())
                .any(|window| window.eq_ignore_ascii_case(w));
    }
    text.to_lowercase().contains(word)
}

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`VERSION`]. Each step runs in an IMMEDIATE transaction that reads
/// the version inside it, so processes opening a new database at once migrate it exactly once.
/// `Ok(Some(v))` when the file has version `v`, newer than this build: it is left untouched.
pub fn migrate(conn: &mut Connection) -> Result<Option<i64>, rusqlite::Error> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > VERSION {
            return Ok(Some(found));
        }
        let Some(sql) = usize::try_from(found).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return Ok(None);
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
    }
}
