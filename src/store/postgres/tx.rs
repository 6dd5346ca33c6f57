//! Writes inside one PostgreSQL transaction (holding the store's write lock).

use chrono::{DateTime, Utc};
use futures_executor::block_on;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Transaction};

use super::{Cache, alerts, prepare};
use crate::event::{Alert, Event, FeedReport, StatusChange};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::rules::engine::{CorroborationRecord, SilenceRecord, WindowEntry};
use crate::store::sqlite::ts;
use crate::store::sqlite::tx::POLLS_KEPT;
use crate::store::{Checked, Heartbeat, Seen, StoreError, StoreTx};

/// One open write transaction.
pub struct PgTx<'t> {
    tx: Transaction<'t>,
    cache: &'t Cache,
    label: &'t str,
    origin: Option<String>,
}

type Params<'a> = [&'a (dyn ToSql + Sync)];

impl<'t> PgTx<'t> {
    pub(super) fn new(tx: Transaction<'t>, cache: &'t Cache, label: &'t str) -> Self {
        Self {
            tx,
            cache,
            label,
            origin: None,
        }
    }

    /// Names the collector whose poll the following events come from (`None`: nobody's).
    pub fn set_origin(&mut self, origin: Option<&str>) {
        self.origin = origin.map(str::to_string);
    }

    /// Removes a queued poll once it is stored (in the same transaction).
    pub fn take_pending(&mut self, seq: i64) -> Result<(), StoreError> {
        self.exec("DELETE FROM pending WHERE seq = $1", &[&seq])
            .map(drop)
    }

    pub(super) fn commit(self) -> Result<(), StoreError> {
        let label = self.label.to_string();
        block_on(self.tx.commit()).map_err(|source| StoreError::Postgres {
            store: label,
            source,
        })
    }

    fn err(&self, source: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres {
            store: self.label.to_string(),
            source,
        }
    }

    fn exec(&self, sql: &str, params: &Params<'_>) -> Result<u64, StoreError> {
        let stmt = prepare(self.tx.client(), self.cache, sql).map_err(|e| self.err(e))?;
        block_on(self.tx.execute(&stmt, params)).map_err(|e| self.err(e))
    }

    fn opt(&self, sql: &str, params: &Params<'_>) -> Result<Option<Row>, StoreError> {
        let stmt = prepare(self.tx.client(), self.cache, sql).map_err(|e| self.err(e))?;
        block_on(self.tx.query_opt(&stmt, params)).map_err(|e| self.err(e))
    }

    /// Appends an event body to the outbox at the next position.
    fn push(&self, kind: &str, body: &str) -> Result<i64, StoreError> {
        let stmt = prepare(
            self.tx.client(),
            self.cache,
            "INSERT INTO outbox (seq, at, kind, body, origin)
             VALUES (watchfloor_next_seq(), $1, $2, $3, $4) RETURNING seq",
        )
        .map_err(|e| self.err(e))?;
        block_on(self.tx.query_one(
            &stmt,
            &[&crate::time::millis(Utc::now()), &kind, &body, &self.origin],
        ))
        .and_then(|row| row.try_get(0))
        .map_err(|e| self.err(e))
    }

    pub(super) fn heartbeat(&mut self, name: &str, beat: &Heartbeat) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO collectors (name, host, pid, started, beat) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET beat = excluded.beat",
            &[
                &name,
                &beat.host,
                &i64::from(beat.pid),
                &crate::time::millis(beat.started),
                &crate::time::millis(beat.at),
            ],
        )
        .map(drop)
    }

    pub(super) fn replace_baseline(
        &mut self,
        estimates: &[crate::baseline::Estimate],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec("DELETE FROM baseline", &[])?;
        for e in estimates {
            self.exec(
                "INSERT INTO baseline (country, risk, rank, of, year, source, imported_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &e.country.as_str(),
                    &e.risk,
                    &i64::from(e.rank),
                    &i64::from(e.of),
                    &e.year.map(i64::from),
                    &e.source,
                    &ts(at),
                ],
            )?;
        }
        Ok(())
    }

    /// Deletes outbox events every registered consumer has passed (with no consumer, those
    /// older than `unconsumed_ms`).
    pub(super) fn prune_outbox(&mut self, unconsumed_ms: i64) -> Result<usize, StoreError> {
        let slowest: Option<i64> = self
            .opt("SELECT min(seq) FROM consumers", &[])?
            .and_then(|r| r.try_get(0).ok().flatten());
        let n = match slowest {
            Some(seq) => self.exec("DELETE FROM outbox WHERE seq <= $1", &[&seq])?,
            None => self.exec("DELETE FROM outbox WHERE at < $1", &[&unconsumed_ms])?,
        };
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Deletes rows older than the cut-offs (seconds for the tables, milliseconds for the
    /// outbox and the evidence), and outbox events every consumer has passed.
    pub(super) fn prune(
        &mut self,
        before: i64,
        before_ms: i64,
        unconsumed_ms: i64,
    ) -> Result<usize, StoreError> {
        let mut n = 0;
        for (sql, t) in [
            ("DELETE FROM items WHERE last_seen < $1", before),
            ("DELETE FROM alerts WHERE at < $1", before),
            ("DELETE FROM window_entries WHERE at < $1", before),
            ("DELETE FROM corroboration WHERE at < $1", before),
            ("DELETE FROM status_history WHERE at < $1", before),
            ("DELETE FROM evidence WHERE at < $1", before_ms),
            ("DELETE FROM outbox WHERE at < $1", before_ms),
        ] {
            n += self.exec(sql, &[&t])?;
        }
        Ok(usize::try_from(n).unwrap_or(usize::MAX) + self.prune_outbox(unconsumed_ms)?)
    }
}

impl StoreTx for PgTx<'_> {
    fn check_item(&mut self, item: &Item, now: DateTime<Utc>) -> Result<Checked, StoreError> {
        let digest = item.content_digest();
        let hash = &digest[..8];
        let now = ts(now);
        // Most items a poll brings again are unchanged: mark them seen in one statement.
        let touched = self.exec(
            "UPDATE items SET last_seen = $3 WHERE feed = $1 AND key = $2 AND hash = $4",
            &[&item.feed, &item.key, &now, &hash],
        )?;
        if touched == 1 {
            return Ok(Checked::new(Seen::Same, &digest, None));
        }
        let exists = self.opt(
            "SELECT 1 FROM items WHERE feed = $1 AND key = $2",
            &[&item.feed, &item.key],
        )?;
        if exists.is_some() {
            return Ok(Checked::new(Seen::Revised, &digest, None));
        }
        let ident = item.identity_digest();
        let elsewhere = self.opt("SELECT 1 FROM items WHERE ident = $1 LIMIT 1", &[&ident])?;
        let seen = if elsewhere.is_some() {
            Seen::Carried
        } else {
            Seen::New
        };
        Ok(Checked::new(seen, &digest, Some(ident)))
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
        let published = item.published.map(ts);
        let now = ts(now);
        if checked.seen == Seen::Revised {
            self.exec(
                "UPDATE items SET hash = $3, title = $4, url = $5, summary = $6, published = $7, last_seen = $8,
                    countries = $9, story = coalesce($10, story)
                 WHERE feed = $1 AND key = $2",
                &[&item.feed, &item.key, &hash, &item.title, &item.url, &item.summary, &published, &now, &countries, &story],
            )?;
        } else {
            // Another collector may have stored it since the check: then it is theirs.
            self.exec(
                "INSERT INTO items (feed, key, ident, hash, title, url, summary, published, first_seen, last_seen, countries, story)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) ON CONFLICT (feed, key) DO NOTHING",
                &[&item.feed, &item.key, &checked.ident(item), &hash, &item.title, &item.url, &item.summary, &published, &now, &countries, &story],
            )?;
        }
        Ok(())
    }

    fn touch_unchanged(&mut self, feed: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let n = self.exec(
            "UPDATE items SET last_seen = $2 WHERE feed = $1
             AND last_seen >= (SELECT last_full FROM feeds WHERE id = $1)",
            &[&feed, &ts(now)],
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn insert_alert(
        &mut self,
        alert: &Alert,
        event_time: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let params = alerts::Params::of(alert, event_time);
        if self.exec(alerts::INSERT, &params.refs())? != 1 {
            return Ok(false);
        }
        self.push("alert", &Event::alert_body(alert)).map(|_| true)
    }

    fn insert_window_entry(&mut self, e: &WindowEntry) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO window_entries (rule, country, at, value) VALUES ($1, $2, $3, $4)",
            &[&e.rule, &e.country.as_str(), &ts(e.at), &e.value],
        )
        .map(drop)
    }

    fn set_status(&mut self, change: &StatusChange, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO statuses (country, status, since) VALUES ($1, $2, $3)
             ON CONFLICT (country) DO UPDATE SET status = excluded.status, since = excluded.since",
            &[&change.country.as_str(), &change.to.as_str(), &ts(at)],
        )?;
        self.exec(
            "INSERT INTO status_history (country, at, status, was, reason) VALUES ($1, $2, $3, $4, $5)",
            &[
                &change.country.as_str(),
                &ts(at),
                &change.to.as_str(),
                &change.from.as_str(),
                &change.reason,
            ],
        )
        .map(drop)
    }

    fn record_feed(
        &mut self,
        report: &FeedReport,
        validators: Option<&Validators>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(report).unwrap_or_default();
        let failures = if report.ok {
            0
        } else {
            i64::from(report.failures)
        };
        let at = ts(report.at);
        self.exec(
            "INSERT INTO feeds (id, failures, etag, last_modified, last_full, failing_since, last_ok, last_error, last_report)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET
                failures = excluded.failures,
                etag = CASE WHEN $10 THEN excluded.etag ELSE feeds.etag END,
                last_modified = CASE WHEN $10 THEN excluded.last_modified ELSE feeds.last_modified END,
                last_full = coalesce(excluded.last_full, feeds.last_full),
                failing_since = CASE WHEN $11 THEN NULL ELSE coalesce(feeds.failing_since, excluded.failing_since) END,
                last_ok = coalesce(excluded.last_ok, feeds.last_ok),
                last_error = coalesce(excluded.last_error, feeds.last_error),
                last_report = excluded.last_report",
            &[
                &report.feed,
                &failures,
                &validators.and_then(|v| v.etag.as_deref()),
                &validators.and_then(|v| v.last_modified.as_deref()),
                &(report.ok && !report.not_modified).then_some(at),
                &(!report.ok).then_some(at),
                &report.ok.then_some(at),
                &if report.ok { None } else { report.error.as_deref() },
                &json,
                &validators.is_some(),
                &report.ok,
            ],
        )?;
        self.exec(
            "INSERT INTO polls (feed, at, report) VALUES ($1, $2, $3)",
            &[&report.feed, &crate::time::millis(report.at), &json],
        )?;
        self.exec(
            "DELETE FROM polls WHERE feed = $1 AND id <=
                (SELECT id FROM polls WHERE feed = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
            &[&report.feed, &POLLS_KEPT],
        )
        .map(drop)
    }

    fn append(&mut self, event: &Event) -> Result<i64, StoreError> {
        self.push(event.kind(), &event.body())
    }

    fn save_silence(&mut self, r: &SilenceRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO silence (rule, subject, state) VALUES ($1, $2, $3)
             ON CONFLICT (rule, subject) DO UPDATE SET state = excluded.state",
            &[&r.rule, &r.subject, &r.state],
        )
        .map(drop)
    }

    fn insert_evidence(&mut self, e: &crate::rules::evidence::Evidence) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO evidence (country, factor, rule, feed, item, source, is_primary, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[
                &e.country.as_str(),
                &i64::from(e.factor),
                &e.rule,
                &e.feed,
                &e.item,
                &e.source,
                &e.primary,
                &crate::time::millis(e.at),
            ],
        )
        .map(drop)
    }

    fn set_item_countries(
        &mut self,
        feed: &str,
        key: &str,
        countries: &[crate::geo::CountryCode],
    ) -> Result<(), StoreError> {
        let list: Vec<&str> = countries.iter().map(|c| c.as_str()).collect();
        self.exec(
            "UPDATE items SET countries = $3 WHERE feed = $1 AND key = $2",
            &[&feed, &key, &list.join(",")],
        )
        .map(drop)
    }

    fn revise_alert(&mut self, alert: &Alert) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE alerts SET sources = $2, revision = $3, revised_at = $4 WHERE id = $1",
            &[
                &alert.id,
                &alerts::sources_json(&alert.sources),
                &i64::from(alert.revision),
                &crate::time::millis(alert.at),
            ],
        )?;
        if n != 1 {
            return Ok(false);
        }
        // The event is the alert as first raised (its item and title) with its new sources.
        let stored = self
            .opt(
                &format!(
                    "SELECT {} FROM alerts a {} WHERE a.id = $1",
                    alerts::COLUMNS,
                    alerts::JOIN
                ),
                &[&alert.id],
            )?
            .and_then(|r| alerts::from_row(&r, 0).ok().flatten());
        let body = Event::Alert(stored.unwrap_or_else(|| alert.clone())).body();
        self.push("alert", &body).map(|_| true)
    }

    fn save_corroboration(&mut self, r: &CorroborationRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO corroboration (rule, country, story, at, state) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (rule, country, story) DO UPDATE SET at = excluded.at, state = excluded.state",
            &[
                &r.rule,
                &r.country.map(|c| c.to_string()).unwrap_or_default(),
                &r.story,
                &ts(r.at),
                &r.state,
            ],
        )
        .map(drop)
    }
}
