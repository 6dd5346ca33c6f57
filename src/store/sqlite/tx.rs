//! Writes inside one SQLite transaction.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use super::known::Known;
use super::ts;
use crate::event::{Alert, Event, FeedReport, StatusChange, Triage};
use crate::feed::fetch::Validators;
use crate::feed::item::{Item, hex16};
use crate::rules::engine::{CorroborationRecord, SilenceRecord, WindowEntry};
use crate::store::{Checked, Seen, StoreError, StoreTx};

/// Polls kept per feed for the feed view.
pub const POLLS_KEPT: i64 = 20;

/// One open write transaction.
pub struct SqliteTx<'t> {
    tx: &'t Connection,
    path: &'t Path,
    /// The items the store holds, when it alone writes the file.
    known: Option<&'t mut Known>,
    /// The statements run for every item and alert, held for the transaction: taking one from
    /// the connection's cache and giving it back hashes its text at every call, which in a
    /// replay of many items costs more than some of the statements do.
    held: [Option<rusqlite::CachedStatement<'t>>; Hot::COUNT],
}

/// A statement [`SqliteTx`] holds while it is open.
#[derive(Debug, Clone, Copy)]
enum Hot {
    InsertItem,
    InsertWindowEntry,
    InsertAlert,
    Outbox,
}

impl Hot {
    /// How many there are: one more than the last's index, so the array cannot be short.
    const COUNT: usize = Self::Outbox as usize + 1;

    fn sql(self) -> &'static str {
        match self {
            Self::InsertItem => {
                "INSERT INTO items (feed, key, identity, ident, hash, title, url, summary, published, first_seen, last_seen, countries, story)
                 VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)"
            }
            Self::InsertWindowEntry => {
                "INSERT INTO window_entries (rule, country, at, value) VALUES (?1, ?2, ?3, ?4)"
            }
            Self::InsertAlert => super::alerts::INSERT,
            Self::Outbox => "INSERT INTO outbox (at, kind, alert, body) VALUES (?1, ?2, ?3, ?4)",
        }
    }
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

impl<'t> SqliteTx<'t> {
    pub(super) fn new(tx: &'t Connection, path: &'t Path, known: Option<&'t mut Known>) -> Self {
        Self {
            tx,
            path,
            known,
            held: Default::default(),
        }
    }

    /// Runs `f` with the held statement `which`, prepared at its first use in the transaction.
    fn run_held<T>(
        &mut self,
        which: Hot,
        f: impl FnOnce(&mut rusqlite::CachedStatement<'t>) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let slot = &mut self.held[which as usize];
        let result = match slot {
            Some(stmt) => f(stmt),
            None => match self.tx.prepare_cached(which.sql()) {
                Ok(stmt) => f(slot.insert(stmt)),
                Err(e) => Err(e),
            },
        };
        result.map_err(|e| self.err(e))
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn run<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        f(self.tx).map_err(|e| self.err(e))
    }

    fn push(
        &mut self,
        kind: &str,
        alert: Option<i64>,
        body: Option<&str>,
    ) -> Result<i64, StoreError> {
        self.run_held(Hot::Outbox, |stmt| {
            stmt.execute(params![crate::time::millis(Utc::now()), kind, alert, body])
        })?;
        Ok(self.tx.last_insert_rowid())
    }

    pub(super) fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])
            .map(drop)
        })
    }

    pub(super) fn set_viewer_seen(
        &mut self,
        who: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO viewers (who, seen_until) VALUES (?1, ?2)
                 ON CONFLICT(who) DO UPDATE SET seen_until = max(seen_until, excluded.seen_until)",
            )?
            .execute(params![who, crate::time::millis(at)])
            .map(drop)
        })
    }

    pub(super) fn replace_baseline(
        &mut self,
        estimates: &[crate::baseline::Estimate],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.execute("DELETE FROM baseline", [])?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO baseline (country, risk, rank, of, year, source, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for e in estimates {
                insert.execute(rusqlite::params![
                    e.country.as_str(),
                    e.risk,
                    e.rank,
                    e.of,
                    e.year,
                    e.source,
                    super::ts(at)
                ])?;
            }
            Ok(())
        })
    }

    pub(super) fn set_consumer(&mut self, name: &str, seq: i64) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO consumers (name, seq, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET seq = max(seq, excluded.seq), at = excluded.at",
            )?
            .execute(params![name, seq, crate::time::millis(Utc::now())])
            .map(drop)
        })
    }

    pub(super) fn retire_consumers(&mut self, keep: &[&str]) -> Result<Vec<String>, StoreError> {
        self.run(|tx| {
            let names: Vec<String> = tx
                .prepare("SELECT name FROM consumers ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let gone: Vec<String> = names
                .into_iter()
                .filter(|n| !keep.contains(&n.as_str()))
                .collect();
            for n in &gone {
                tx.execute("DELETE FROM consumers WHERE name = ?1", [n])?;
            }
            Ok(gone)
        })
    }

    pub(super) fn import_legacy(&mut self, name: &str, row: i64) -> Result<i64, StoreError> {
        let done: Option<String> = self.run(|tx| {
            tx.query_row(
                "SELECT value FROM meta WHERE key = 'legacy_cursor'",
                [],
                |r| r.get(0),
            )
            .optional()
        })?;
        if done.is_some() {
            let seq: Option<i64> = self.run(|tx| {
                tx.query_row("SELECT seq FROM consumers WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()
            })?;
            return Ok(seq.unwrap_or(0));
        }
        self.run(|tx| {
            tx.execute(
                "INSERT INTO outbox (at, kind, alert)
                 SELECT at * 1000, 'alert', rowid FROM alerts WHERE rowid > ?1 ORDER BY rowid",
                [row],
            )
            .map(drop)
        })?;
        self.set_meta("legacy_cursor", &row.to_string())?;
        self.set_consumer(name, 0)?;
        Ok(0)
    }

    pub(super) fn record_triage(&mut self, t: &Triage) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.execute(
                "INSERT INTO triage (at, who, target, key, action, until, note, delivered)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
                params![
                    ts(t.at),
                    t.who,
                    t.target.as_str(),
                    t.key,
                    t.action.as_str(),
                    t.until.map(ts),
                    t.note
                ],
            )
            .map(drop)
        })?;
        self.append(&Event::Triage(t.clone())).map(drop)
    }

    /// Deletes outbox events every registered consumer has passed (with no consumer, those
    /// older than `unconsumed_ms`).
    pub(super) fn prune_outbox(&mut self, unconsumed_ms: i64) -> Result<usize, StoreError> {
        self.run(|tx| {
            let slowest: Option<i64> =
                tx.query_row("SELECT min(seq) FROM consumers", [], |r| r.get(0))?;
            match slowest {
                Some(seq) => tx.execute("DELETE FROM outbox WHERE seq <= ?1", [seq]),
                None => tx.execute("DELETE FROM outbox WHERE at < ?1", [unconsumed_ms]),
            }
        })
    }

    /// Deletes rows older than the cut-offs (seconds for the tables, milliseconds for the
    /// outbox), and outbox events every registered consumer has passed; with no consumer, those
    /// older than `unconsumed_ms`.
    pub(super) fn prune(
        &mut self,
        before: i64,
        before_ms: i64,
        unconsumed_ms: i64,
    ) -> Result<usize, StoreError> {
        let n = self.run(|tx| {
            // Feed by feed, through items_feed_seen (every feed that stored an item has a row).
            let mut n = tx.execute(
                "DELETE FROM items WHERE feed IN (SELECT id FROM feeds) AND last_seen < ?1",
                [before],
            )?;
            n += tx.execute("DELETE FROM alerts WHERE at < ?1", [before])?;
            n += tx.execute("DELETE FROM window_entries WHERE at < ?1", [before])?;
            n += tx.execute("DELETE FROM corroboration WHERE at < ?1", [before])?;
            n += tx.execute("DELETE FROM status_history WHERE at < ?1", [before])?;
            n += tx.execute("DELETE FROM evidence WHERE at < ?1", [before_ms])?;
            n += tx.execute("DELETE FROM outbox WHERE at < ?1", [before_ms])?;
            Ok(n)
        })?;
        Ok(n + self.prune_outbox(unconsumed_ms)?)
    }
}

impl StoreTx for SqliteTx<'_> {
    fn check_item(&mut self, item: &Item, now: DateTime<Utc>) -> Result<Checked, StoreError> {
        let digest = item.content_digest();
        // A blob: the column's TEXT affinity would turn an integer into its decimal text.
        let hash = &digest[..8];
        if let Some(known) = self.known.as_deref()
            && !known.may_hold_key(&item.feed, &item.key)
        {
            let ident = item.identity_digest();
            match known.holds_ident(ident) {
                Some(false) => return Ok(Checked::new(Seen::New, &digest, Some(ident))),
                Some(true) => return Ok(Checked::new(Seen::Carried, &digest, Some(ident))),
                None => {}
            }
        }
        self.run(|tx| {
            // One probe of the (feed, key) index; an unchanged item is then marked seen by its
            // row number, a new one costs one more probe (is it carried by another feed?).
            let old: Option<(i64, Value)> = tx
                .prepare_cached("SELECT rowid, hash FROM items WHERE feed = ?1 AND key = ?2")?
                .query_row(params![item.feed, item.key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((row, old)) = old else {
                // The identity is kept as its digest (`ident`), which is all lookups need.
                let ident = item.identity_digest();
                let elsewhere: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM items WHERE ident = ?1)")?
                    .query_row([ident], |r| r.get(0))?;
                let seen = if elsewhere { Seen::Carried } else { Seen::New };
                return Ok(Checked::new(seen, &digest, Some(ident)));
            };
            let same = match old {
                Value::Blob(h) => h == hash,
                // Rows stored before schema 4 keep the hex form.
                Value::Text(h) => h == hex16(&digest),
                _ => false,
            };
            if !same {
                return Ok(Checked::new(Seen::Revised, &digest, None));
            }
            tx.prepare_cached("UPDATE items SET last_seen = ?2 WHERE rowid = ?1")?
                .execute(params![row, ts(now)])?;
            Ok(Checked::new(Seen::Same, &digest, None))
        })
    }

    fn save_item(
        &mut self,
        item: &Item,
        now: DateTime<Utc>,
        checked: Checked,
        tagged: &[crate::geo::CountryCode],
        story: Option<i64>,
    ) -> Result<(), StoreError> {
        let hash = &checked.hash[..];
        let countries = crate::store::stored_countries(item, tagged);
        if checked.seen == Seen::Revised {
            return self.run(|tx| {
                tx.prepare_cached(
                    "UPDATE items SET hash = ?3, title = ?4, url = ?5, summary = ?6, published = ?7, last_seen = ?8,
                        countries = ?9, story = coalesce(?10, story)
                     WHERE feed = ?1 AND key = ?2",
                )?
                .execute(params![item.feed, item.key, hash, item.title, item.url, item.summary, item.published.map(ts), ts(now), countries, story])
                .map(drop)
            });
        }
        self.run_held(Hot::InsertItem, |stmt| {
            stmt.execute(params![
                item.feed,
                item.key,
                checked.ident(item),
                hash,
                item.title,
                item.url,
                item.summary,
                item.published.map(ts),
                ts(now),
                countries,
                story
            ])
        })?;
        if let Some(known) = self.known.as_deref_mut() {
            known.insert(&item.feed, &item.key, Some(checked.ident(item)));
        }
        Ok(())
    }

    fn touch_unchanged(&mut self, feed: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        // Every item of a full response was stamped with its time, which `last_full` keeps; the
        // (feed, last_seen) index makes this read only those, not the feed's whole history.
        self.run(|tx| {
            tx.prepare_cached(
                "UPDATE items SET last_seen = ?2 WHERE feed = ?1
                 AND last_seen >= (SELECT last_full FROM feeds WHERE id = ?1)",
            )?
            .execute(params![feed, ts(now)])
        })
    }

    fn insert_alert(
        &mut self,
        alert: &Alert,
        event_time: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = self.run_held(Hot::InsertAlert, |stmt| {
            super::alerts::insert(stmt, alert, event_time)
        })?;
        if !inserted {
            return Ok(false);
        }
        // Until it is delivered and pruned, the outbox keeps the whole event, so a consumer
        // reads it without a join; afterwards the slim row and the item hold it.
        let full = Event::alert_body(alert);
        self.push("alert", None, Some(&full)).map(|_| true)
    }

    fn insert_window_entry(&mut self, e: &WindowEntry) -> Result<(), StoreError> {
        self.run_held(Hot::InsertWindowEntry, |stmt| {
            stmt.execute(params![e.rule, e.country.as_str(), ts(e.at), e.value])
                .map(drop)
        })
    }

    fn set_status(&mut self, change: &StatusChange, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO statuses (country, status, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT(country) DO UPDATE SET status = excluded.status, since = excluded.since",
            )?
            .execute(params![change.country.as_str(), change.to.as_str(), ts(at)])?;
            tx.prepare_cached(
                "INSERT INTO status_history (country, at, status, was, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                change.country.as_str(),
                ts(at),
                change.to.as_str(),
                change.from.as_str(),
                change.reason,
            ])
            .map(drop)
        })
    }

    fn record_feed(
        &mut self,
        report: &FeedReport,
        validators: Option<&Validators>,
    ) -> Result<(), StoreError> {
        let report_json = serde_json::to_string(report).map_err(|e| self.err(json_err(e)))?;
        // One statement per poll: the feed's row is created or updated in place.
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO feeds (id, failures, etag, last_modified, last_full, failing_since, last_ok, last_error, last_report)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(id) DO UPDATE SET
                    failures = excluded.failures,
                    etag = CASE WHEN ?10 THEN excluded.etag ELSE etag END,
                    last_modified = CASE WHEN ?10 THEN excluded.last_modified ELSE last_modified END,
                    last_full = coalesce(excluded.last_full, last_full),
                    failing_since = CASE WHEN ?11 THEN NULL ELSE coalesce(failing_since, excluded.failing_since) END,
                    last_ok = coalesce(excluded.last_ok, last_ok),
                    last_error = coalesce(excluded.last_error, last_error),
                    last_report = excluded.last_report",
            )?
            .execute(params![
                report.feed,
                if report.ok { 0 } else { report.failures },
                validators.and_then(|v| v.etag.as_deref()),
                validators.and_then(|v| v.last_modified.as_deref()),
                (report.ok && !report.not_modified).then(|| ts(report.at)),
                (!report.ok).then(|| ts(report.at)),
                report.ok.then(|| ts(report.at)),
                if report.ok { None } else { report.error.as_deref() },
                report_json,
                validators.is_some(),
                report.ok,
            ])?;
            // The feed view shows the last polls; older rows go as new ones come.
            tx.prepare_cached(
                "INSERT INTO polls (feed, at, report) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![report.feed, crate::time::millis(report.at), report_json])?;
            tx.prepare_cached(
                "DELETE FROM polls WHERE feed = ?1 AND rowid <=
                    (SELECT rowid FROM polls WHERE feed = ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2)",
            )?
            .execute(params![report.feed, POLLS_KEPT])
            .map(drop)
        })
    }

    fn save_silence(&mut self, r: &SilenceRecord) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO silence (rule, subject, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT(rule, subject) DO UPDATE SET state = excluded.state",
            )?
            .execute([&r.rule, &r.subject, &r.state])
            .map(drop)
        })
    }

    fn append(&mut self, event: &Event) -> Result<i64, StoreError> {
        let body = event.body();
        self.push(event.kind(), None, Some(&body))
    }

    fn insert_evidence(&mut self, e: &crate::rules::evidence::Evidence) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO evidence
                    (country, factor, rule, feed, item, source, is_primary, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                e.country.as_str(),
                e.factor,
                e.rule,
                e.feed,
                e.item,
                e.source,
                e.primary,
                crate::time::millis(e.at)
            ])
            .map(drop)
        })
    }

    fn set_item_countries(
        &mut self,
        feed: &str,
        key: &str,
        countries: &[crate::geo::CountryCode],
    ) -> Result<(), StoreError> {
        let list: Vec<&str> = countries.iter().map(|c| c.as_str()).collect();
        self.run(|tx| {
            tx.prepare_cached("UPDATE items SET countries = ?3 WHERE feed = ?1 AND key = ?2")?
                .execute(params![feed, key, list.join(",")])
                .map(drop)
        })
    }

    fn revise_alert(&mut self, alert: &Alert) -> Result<bool, StoreError> {
        if !self.run(|tx| super::alerts::revise(tx, alert))? {
            return Ok(false);
        }
        // The event is the alert as first raised (its item and title) with its new sources.
        let stored = self.run(|tx| {
            tx.prepare_cached(&format!(
                "SELECT {} FROM alerts a {} WHERE a.id = ?1",
                super::alerts::COLUMNS,
                super::alerts::JOIN
            ))?
            .query_row([&alert.id], |r| super::alerts::from_row(r, 0))
        })?;
        let full = Event::Alert(stored.unwrap_or_else(|| alert.clone())).body();
        self.push("alert", None, Some(&full)).map(|_| true)
    }

    fn save_corroboration(&mut self, r: &CorroborationRecord) -> Result<(), StoreError> {
        self.run(|tx| {
            tx.prepare_cached(
                "INSERT INTO corroboration (rule, country, story, at, state) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(rule, country, story) DO UPDATE SET at = excluded.at, state = excluded.state",
            )?
            .execute(params![
                r.rule,
                r.country.map(|c| c.to_string()).unwrap_or_default(),
                r.story,
                ts(r.at),
                r.state
            ])
            .map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};

    use crate::feed::item::{Item, hex16};
    use crate::store::{Seen, SqliteStore, Store, StoreTx};

    fn item(title: &str) -> Item {
        Item {
            feed: "wire".into(),
            key: "id:1".into(),
            title: title.into(),
            url: Some("https://example.org/a?utm_source=x".into()),
            summary: "text".into(),
            published: None,
            countries: Vec::new(),
            values: Vec::new(),
        }
    }

    #[test]
    fn a_row_from_before_schema_4_is_told_apart_from_a_revision() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(dir.path()).unwrap();
        let now = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
        let a = item("Shelling in El Fasher");
        // As schema 3 stored it: the identity as text, the hash as 32 hex digits.
        store
            .conn
            .execute(
                "INSERT INTO items (feed, key, identity, hash, title, summary, first_seen, last_seen)
                 VALUES ('wire', 'id:1', ?1, ?2, ?3, 'text', 1, 1)",
                rusqlite::params![a.identity(), hex16(&a.content_digest()), a.title],
            )
            .unwrap();
        let seen =
            |store: &mut SqliteStore, i: &Item| store.write(|tx| tx.upsert_item(i, now)).unwrap();
        assert_eq!(seen(&mut store, &a), Seen::Same);
        assert_eq!(
            seen(&mut store, &item("Shelling in El Fasher, 40 dead")),
            Seen::Revised
        );
        assert_eq!(
            seen(&mut store, &item("Shelling in El Fasher, 40 dead")),
            Seen::Same
        );
    }

    #[test]
    fn the_same_link_in_another_feed_is_found_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(dir.path()).unwrap();
        let now = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
        let a = item("Shelling in El Fasher");
        let b = Item {
            feed: "other".into(),
            url: Some("https://example.org/a".into()),
            ..a.clone()
        };
        store
            .write(|tx| {
                assert_eq!(tx.upsert_item(&a, now)?, Seen::New);
                assert_eq!(tx.upsert_item(&b, now)?, Seen::Carried);
                Ok(())
            })
            .unwrap();
    }

    /// A throw-away store tells items apart from memory as the database would: new, the same,
    /// revised, carried by another feed; rows it held before it became throw-away, and rows
    /// deleted since, are still read right.
    #[test]
    fn a_throwaway_store_knows_its_items_as_the_database_does() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
        let a = item("Shelling in El Fasher");
        let earlier = Item {
            key: "id:0".into(),
            url: Some("https://example.org/earlier".into()),
            ..a.clone()
        };
        SqliteStore::open(dir.path())
            .unwrap()
            .write(|tx| tx.upsert_item(&earlier, now))
            .unwrap();
        let mut store = SqliteStore::open(dir.path()).unwrap();
        store.set_throwaway().unwrap();
        let carried = Item {
            feed: "other".into(),
            key: "id:9".into(),
            url: Some("https://example.org/a".into()),
            ..a.clone()
        };
        let revised = item("Shelling in El Fasher, 40 dead");
        let elsewhere = Item {
            feed: "third".into(),
            key: "id:5".into(),
            ..earlier.clone()
        };
        store
            .write(|tx| {
                assert_eq!(tx.upsert_item(&a, now)?, Seen::New);
                assert_eq!(tx.upsert_item(&a, now)?, Seen::Same);
                assert_eq!(tx.upsert_item(&revised, now)?, Seen::Revised);
                assert_eq!(tx.upsert_item(&carried, now)?, Seen::Carried);
                // Stored before the store became throw-away.
                assert_eq!(tx.upsert_item(&earlier, now)?, Seen::Same);
                assert_eq!(tx.upsert_item(&elsewhere, now)?, Seen::Carried);
                Ok(())
            })
            .unwrap();
        // A row deleted behind the store's back: it is new again, not remembered as held.
        store.conn.execute("DELETE FROM items", []).unwrap();
        store
            .write(|tx| {
                assert_eq!(tx.upsert_item(&a, now)?, Seen::New);
                Ok(())
            })
            .unwrap();
    }

    /// The search index follows items written, revised, pruned, and written again under a
    /// rowid the pruned rows had, and FTS5's own check agrees with the items table.
    #[test]
    fn the_search_index_follows_items_through_revisions_and_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(dir.path()).unwrap();
        store.keep_search_index();
        store
            .conn
            .execute("INSERT INTO feeds (id) VALUES ('wire')", [])
            .unwrap();
        let t = |s: i64| Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap();
        let keyed = |key: &str, title: &str| Item {
            key: key.into(),
            ..item(title)
        };
        let found = |store: &SqliteStore, words: &str| -> Vec<String> {
            let mut keys: Vec<String> = store
                .search(words)
                .unwrap()
                .into_iter()
                .map(|h| h.key)
                .collect();
            keys.sort();
            keys
        };
        let indexed = |store: &SqliteStore| -> i64 {
            store
                .conn
                .query_row("SELECT count(*) FROM items_fts_docsize", [], |r| r.get(0))
                .unwrap()
        };
        // SQLite's own check (which also asks FTS5 about its index) passes at every step; the
        // index agrees with the items table whenever it is up to date.
        let check = |store: &SqliteStore| {
            let ok: String = store
                .conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok");
            let through: i64 = store
                .conn
                .query_row(
                    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts-through'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let newest: i64 = store
                .conn
                .query_row("SELECT coalesce(max(rowid), 0) FROM items", [], |r| {
                    r.get(0)
                })
                .unwrap();
            if through == newest {
                store
                    .conn
                    .execute(
                        "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)",
                        [],
                    )
                    .unwrap();
            }
        };
        // Several items in one transaction, one of them revised before it commits.
        store
            .write(|tx| {
                tx.upsert_item(&keyed("id:1", "Shelling in El Fasher"), t(0))?;
                tx.upsert_item(&keyed("id:2", "Floods in Maiduguri"), t(0))?;
                tx.upsert_item(&keyed("id:2", "Floods in Maiduguri, dam burst"), t(0))?;
                Ok(())
            })
            .unwrap();
        assert_eq!(found(&store, "Fasher"), ["id:1"]);
        assert_eq!(found(&store, "dam burst"), ["id:2"]);
        assert_eq!(found(&store, "fasher SHELLING"), ["id:1"]);
        assert_eq!(indexed(&store), 2, "the first write indexes at once");
        check(&store);
        // A revision in a later transaction replaces the indexed words.
        store
            .write(|tx| tx.upsert_item(&keyed("id:1", "Drone strike on Kadugli"), t(10)))
            .unwrap();
        assert!(found(&store, "Fasher").is_empty());
        assert_eq!(found(&store, "Kadugli"), ["id:1"]);
        check(&store);
        // Pruning the newest rows frees their rowids; an item written under one is indexed.
        let pruned = store.prune(t(5)).unwrap();
        assert_eq!(pruned, 1, "id:2 was last seen before the cut");
        store
            .write(|tx| {
                tx.upsert_item(&keyed("id:3", "Cholera in Borno"), t(20))?;
                tx.upsert_item(&keyed("id:4", "Clashes in Kassala"), t(20))?;
                Ok(())
            })
            .unwrap();
        assert!(found(&store, "Maiduguri").is_empty());
        // Not in the index yet (it is brought up to date every few seconds), yet found.
        assert_eq!(indexed(&store), 1);
        assert_eq!(found(&store, "Cholera"), ["id:3"]);
        assert_eq!(found(&store, "kassala clashes"), ["id:4"]);
        assert_eq!(found(&store, "in"), ["id:3", "id:4"]);
        check(&store);
        store.prune(t(30)).unwrap();
        assert!(found(&store, "Kassala").is_empty());
        assert_eq!(indexed(&store), 0);
        check(&store);
    }
}
