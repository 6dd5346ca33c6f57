//! The [`Store`] on a PostgreSQL database, shared by several collectors and screens.
//!
//! The store is synchronous like the SQLite one, so the engine and the outputs use either
//! through the same trait. Each `PgStore` is one connection: its protocol runs on a small thread
//! of its own (a current-thread tokio runtime), and calls wait for their answers on a channel,
//! so a call works the same from a plain thread, a blocking section or an async task.
//!
//! Every write transaction first takes [`schema::WRITE_LOCK`]: writers take turns (as SQLite's
//! single writer does), outbox positions are handed out in commit order, so a consumer's cursor
//! can never pass an event that commits later, and no two writers can deadlock on rows.

mod alerts;
pub mod copy;
pub mod desk;
mod period;
pub mod schema;
mod screen;
mod tx;

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures_executor::block_on;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::address::PgAddress;
use super::{
    Heartbeat, OutboxRow, RecentAlert, Store, StoreError, StoryItem, Triage, snapshot::Snapshot,
};
use crate::event::{Alert, Status};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::geo::{self, CountryCode};
use crate::rules::engine::{CorroborationRecord, SilenceRecord, WindowEntry};
use crate::store::sqlite::{from_ts, ts};

pub use tx::PgTx;

/// Outbox events kept when no consumer is registered, so one that joins sees recent history.
const UNCONSUMED_KEEP: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Prepared statements of one connection, by their text.
type Cache = Mutex<HashMap<String, Statement>>;

/// One connection to a PostgreSQL store.
pub struct PgStore {
    client: Client,
    /// Where it connects, for [`PgStore::revive`].
    address: PgAddress,
    label: String,
    id: String,
    cache: Cache,
    /// A wake-up per notification heard (see [`PgStore::wait_for_events`]).
    heard: std::sync::mpsc::Receiver<()>,
    listening: bool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("store", &self.label)
            .finish()
    }
}

/// What [`PgStore::init`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The schema version before.
    pub was: i64,
    /// The schema version now.
    pub now: i64,
}

/// Builds the TLS connector: rustls with the platform's trust store (and the system's extra
/// roots), or only the authorities in `roots` (the URL's `sslrootcert`). Whether TLS is used is
/// the URL's `sslmode` (`prefer` when unset); when it is, the server's certificate chain and
/// name are always checked.
fn tls(
    roots: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match roots {
        None => builder
            .with_platform_verifier()
            .map_err(|e| e.to_string())?
            .with_no_client_auth(),
        Some(path) => {
            let at = |e: &dyn std::fmt::Display| format!("sslrootcert {}: {e}", path.display());
            let pem = std::fs::read(path).map_err(|e| at(&e))?;
            let mut store = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                store.add(cert.map_err(|e| at(&e))?).map_err(|e| at(&e))?;
            }
            if store.is_empty() {
                return Err(at(&"holds no PEM certificate"));
            }
            builder.with_root_certificates(store).with_no_client_auth()
        }
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PgStore {
    /// Connects without touching the schema.
    pub fn connect(address: &PgAddress) -> Result<Self, StoreError> {
        let (client, heard) = dial(address)?;
        Ok(Self {
            client,
            address: address.clone(),
            label: address.label(),
            id: String::new(),
            cache: Mutex::new(HashMap::new()),
            heard,
            listening: false,
        })
    }

    /// Connects again when the server or the network dropped the connection (a restart, a
    /// failover, a cut link); `Ok(true)` when it did. Statements are prepared again and a
    /// listener listens again. Writes call it first, so a collector outlives a lost connection:
    /// what failed meanwhile is retried by its caller.
    pub fn revive(&mut self) -> Result<bool, StoreError> {
        if !self.client.is_closed() {
            return Ok(false);
        }
        let (client, heard) = dial(&self.address)?;
        self.client = client;
        self.heard = heard;
        self.listening = false;
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
        tracing::info!("connected to {} again", self.label);
        Ok(true)
    }
}

/// Opens a connection on a thread of its own, which also hears the notifications that wake a
/// listener.
fn dial(address: &PgAddress) -> Result<(Client, std::sync::mpsc::Receiver<()>), StoreError> {
    let label = address.label();
    let config = address.config().map_err(|message| StoreError::Address {
        store: label.clone(),
        message,
    })?;
    let tls = tls(address.root_cert().as_deref()).map_err(|message| StoreError::Address {
        store: label.clone(),
        message: format!("TLS: {message}"),
    })?;
    let (tx, rx) = std::sync::mpsc::channel();
    let (heard_tx, heard) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("postgres".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            rt.block_on(async move {
                match config.connect(tls).await {
                    Ok((client, mut connection)) => {
                        if tx.send(Ok(client)).is_ok() {
                            // Runs until the client is dropped or the server goes away;
                            // notifications wake a listener (a full queue means it has a
                            // wake-up pending already).
                            let mut messages =
                                futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
                            while let Some(m) = futures_util::StreamExt::next(&mut messages).await {
                                match m {
                                    Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                        let _ = heard_tx.try_send(());
                                    }
                                    Ok(_) => {}
                                    Err(e) => {
                                        tracing::debug!("postgres connection ended: {e}");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(describe(&e)));
                    }
                }
            });
        });
    if let Err(e) = spawned {
        return Err(StoreError::Address {
            store: label,
            message: format!("cannot start the connection thread: {e}"),
        });
    }
    let client = match rx.recv() {
        Ok(Ok(client)) => client,
        Ok(Err(message)) => {
            return Err(StoreError::Address {
                store: label,
                message: format!("cannot connect: {message}"),
            });
        }
        Err(_) => {
            return Err(StoreError::Address {
                store: label,
                message: "the connection thread ended".into(),
            });
        }
    };
    Ok((client, heard))
}

impl PgStore {
    /// Waits until another connection commits events to the outbox, or `timeout` passes
    /// (LISTEN/NOTIFY: no polling). True when something was committed; a commit that came
    /// before the first wait counts.
    pub fn wait_for_events(&mut self, timeout: std::time::Duration) -> Result<bool, StoreError> {
        self.wait_on(schema::CHANNEL, timeout)
    }

    /// Waits for a notice on `channel` (listening from the first call on, which returns at
    /// once), or until `timeout` passes. True when one came.
    pub fn wait_on(
        &mut self,
        channel: &str,
        timeout: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.revive()?;
        if !self.listening {
            block_on(self.client.batch_execute(&format!("LISTEN {channel}")))
                .map_err(|e| self.err(e))?;
            self.listening = true;
            return Ok(true);
        }
        match self.heard.recv_timeout(timeout) {
            Ok(()) => Ok(true),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Ok(false),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(StoreError::Address {
                store: self.label.clone(),
                message: "the connection to the database was lost".into(),
            }),
        }
    }

    /// Connects and brings the schema up to this build's version (when this login may; a
    /// collector login without that right finds it done by `watchfloor store init`).
    pub fn open(address: &PgAddress) -> Result<Self, StoreError> {
        let mut store = Self::connect(address)?;
        store.migrate()?;
        store.id = store.read_id()?;
        Ok(store)
    }

    /// Connects to a store whose schema is this build's already (screens, `tail`): nothing is
    /// created.
    pub fn open_existing(address: &PgAddress) -> Result<Self, StoreError> {
        let mut store = Self::connect(address)?;
        let found = store.version()?;
        if found > schema::VERSION {
            return Err(store.too_new(found));
        }
        if found < schema::VERSION {
            return Err(StoreError::Address {
                store: store.label.clone(),
                message: format!(
                    "the store has schema {found}, this build reads {}; run `watchfloor store init --store URL` (or start a collector of this build)",
                    schema::VERSION
                ),
            });
        }
        store.id = store.read_id()?;
        Ok(store)
    }

    /// Creates or upgrades the schema and (re)creates the three roles and their grants.
    pub fn init(address: &PgAddress) -> Result<InitReport, StoreError> {
        let mut store = Self::connect(address)?;
        let was = store.version()?;
        store.migrate()?;
        // Roles belong to the whole cluster: two desks initialised at once may race to create
        // them, and the loser sees the winner's role after a moment.
        let mut attempt = 0;
        loop {
            match block_on(store.client.batch_execute(schema::ROLES)) {
                Ok(()) => break,
                Err(e)
                    if attempt < 5
                        && [
                            SqlState::UNIQUE_VIOLATION,
                            SqlState::DUPLICATE_OBJECT,
                            SqlState::INTERNAL_ERROR,
                        ]
                        .iter()
                        .any(|c| e.code() == Some(c)) =>
                {
                    attempt += 1;
                    tracing::debug!("creating roles: {}; trying again", describe(&e));
                    std::thread::sleep(std::time::Duration::from_millis(50 * attempt));
                }
                Err(e) => return Err(store.err(e)),
            }
        }
        Ok(InitReport {
            was,
            now: store.version()?,
        })
    }

    /// The URL without its password.
    pub fn label(&self) -> &str {
        &self.label
    }

    fn too_new(&self, found: i64) -> StoreError {
        StoreError::Address {
            store: self.label.clone(),
            message: format!(
                "the store has schema version {found}, newer than this watchfloor ({}); upgrade watchfloor",
                schema::VERSION
            ),
        }
    }

    fn err(&self, source: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres {
            store: self.label.clone(),
            source,
        }
    }

    /// The schema version (0: none yet).
    fn version(&self) -> Result<i64, StoreError> {
        let exists = block_on(
            self.client
                .query_one("SELECT to_regclass('watchfloor_schema') IS NOT NULL", &[]),
        )
        .and_then(|r| r.try_get::<_, bool>(0))
        .map_err(|e| self.err(e))?;
        if !exists {
            return Ok(0);
        }
        let row = block_on(
            self.client
                .query_opt("SELECT version FROM watchfloor_schema", &[]),
        )
        .map_err(|e| self.err(e))?;
        Ok(row.and_then(|r| r.try_get(0).ok()).unwrap_or(0))
    }

    /// Migrates step by step; each step under [`schema::MIGRATE_LOCK`], reading the version
    /// inside its transaction, so collectors starting at once migrate exactly once.
    fn migrate(&mut self) -> Result<(), StoreError> {
        if self.version()? == schema::VERSION {
            return Ok(());
        }
        loop {
            let label = self.label.clone();
            let err = |source| StoreError::Postgres {
                store: label.clone(),
                source,
            };
            let tx = block_on(self.client.transaction()).map_err(err)?;
            block_on(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::MIGRATE_LOCK]))
                .map_err(err)?;
            block_on(tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS watchfloor_schema (version BIGINT NOT NULL);
                 INSERT INTO watchfloor_schema (version)
                    SELECT 0 WHERE NOT EXISTS (SELECT FROM watchfloor_schema);",
            ))
            .map_err(err)?;
            let found: i64 = block_on(tx.query_one("SELECT version FROM watchfloor_schema", &[]))
                .and_then(|r| r.try_get(0))
                .map_err(err)?;
            if found > schema::VERSION {
                drop(tx);
                return Err(self.too_new(found));
            }
            let Some(sql) = schema::migration(found) else {
                block_on(tx.commit()).map_err(err)?;
                return Ok(());
            };
            block_on(tx.batch_execute(sql)).map_err(err)?;
            block_on(tx.execute("UPDATE watchfloor_schema SET version = $1", &[&(found + 1)]))
                .map_err(err)?;
            block_on(tx.commit()).map_err(err)?;
        }
    }

    fn read_id(&self) -> Result<String, StoreError> {
        let row = self.one("SELECT value FROM meta WHERE key = 'id'", &[])?;
        row.try_get(0).map_err(|e| self.err(e))
    }

    /// The prepared statement for `sql` on this connection.
    fn prepared(&self, sql: &str) -> Result<Statement, StoreError> {
        prepare(&self.client, &self.cache, sql).map_err(|e| self.err(e))
    }

    fn rows(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.prepared(sql)?;
        block_on(self.client.query(&stmt, params)).map_err(|e| self.err(e))
    }

    fn one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, StoreError> {
        let stmt = self.prepared(sql)?;
        block_on(self.client.query_one(&stmt, params)).map_err(|e| self.err(e))
    }

    fn opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, StoreError> {
        let stmt = self.prepared(sql)?;
        block_on(self.client.query_opt(&stmt, params)).map_err(|e| self.err(e))
    }

    /// Outbox rows read as (seq, body).
    fn outbox_rows(&self, rows: &[Row]) -> Result<Vec<OutboxRow>, StoreError> {
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    seq: r.try_get(0).map_err(|e| self.err(e))?,
                    body: r.try_get(1).map_err(|e| self.err(e))?,
                })
            })
            .collect()
    }

    /// Every alert stored, oldest first (for `store copy` checks and tests).
    pub fn alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT {} FROM alerts a {} ORDER BY a.row",
                alerts::COLUMNS,
                alerts::JOIN
            ),
            &[],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| alerts::from_row(r, 0).ok().flatten())
            .collect())
    }
}

/// The statement for `sql`, prepared once per connection.
fn prepare(client: &Client, cache: &Cache, sql: &str) -> Result<Statement, tokio_postgres::Error> {
    if let Some(s) = cache.lock().ok().and_then(|c| c.get(sql).cloned()) {
        return Ok(s);
    }
    let stmt = block_on(client.prepare(sql))?;
    if let Ok(mut c) = cache.lock() {
        c.insert(sql.to_string(), stmt.clone());
    }
    Ok(stmt)
}

/// A PostgreSQL error in words: the server's own message, code and detail when it sent one
/// (the driver's `Display` says only "db error").
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                s.push_str(": ");
                s.push_str(&cause.to_string());
                source = cause.source();
            }
            s
        }
    }
}

fn country_rows<T>(rows: Vec<Row>, f: impl Fn(&Row) -> Option<T>) -> Vec<T> {
    rows.iter().filter_map(f).collect()
}

impl Store for PgStore {
    type Tx<'t> = PgTx<'t>;

    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self::Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.revive()?;
        let label = self.label.clone();
        let err = |source| StoreError::Postgres {
            store: label.clone(),
            source,
        };
        let tx = block_on(self.client.transaction()).map_err(err)?;
        block_on(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::WRITE_LOCK]))
            .map_err(err)?;
        let mut open = PgTx::new(tx, &self.cache, &self.label);
        // On an error the transaction is dropped, which rolls it back.
        let out = f(&mut open)?;
        open.commit()?;
        Ok(out)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn validators(&self, feed: &str) -> Result<Validators, StoreError> {
        let row = self.opt(
            "SELECT etag, last_modified FROM feeds WHERE id = $1",
            &[&feed],
        )?;
        Ok(row
            .map(|r| Validators {
                etag: r.try_get(0).ok().flatten(),
                last_modified: r.try_get(1).ok().flatten(),
            })
            .unwrap_or_default())
    }

    fn failures(&self, feed: &str) -> Result<u32, StoreError> {
        let row = self.opt("SELECT failures FROM feeds WHERE id = $1", &[&feed])?;
        Ok(row
            .and_then(|r| r.try_get::<_, i64>(0).ok())
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0))
    }

    fn next_poll(&self, feed: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self.opt(
            "SELECT last_report::json->>'next_poll' FROM feeds WHERE id = $1",
            &[&feed],
        )?;
        Ok(row
            .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten())
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    fn window_entries(&self, since: DateTime<Utc>) -> Result<Vec<WindowEntry>, StoreError> {
        let rows = self.rows(
            "SELECT rule, country, at, value FROM window_entries WHERE at > $1 ORDER BY at",
            &[&ts(since)],
        )?;
        Ok(country_rows(rows, |r| {
            Some(WindowEntry {
                rule: r.try_get(0).ok()?,
                country: geo::lookup(r.try_get(1).ok()?)?,
                at: from_ts(r.try_get(2).ok()?),
                value: r.try_get(3).ok()?,
            })
        }))
    }

    fn recent_alerts(&self, since: DateTime<Utc>) -> Result<Vec<RecentAlert>, StoreError> {
        let rows = self.rows(
            "SELECT country, max(event_time), severity FROM alerts
             WHERE event_time > $1 AND country IS NOT NULL GROUP BY country, severity",
            &[&ts(since)],
        )?;
        Ok(country_rows(rows, |r| {
            Some((
                geo::lookup(r.try_get(0).ok()?)?,
                from_ts(r.try_get(1).ok()?),
                crate::config::Severity::parse(r.try_get(2).ok()?)?,
            ))
        }))
    }

    fn statuses(&self) -> Result<Vec<(CountryCode, Status)>, StoreError> {
        let rows = self.rows("SELECT country, status FROM statuses", &[])?;
        Ok(country_rows(rows, |r| {
            Some((
                geo::lookup(r.try_get(0).ok()?)?,
                Status::parse(r.try_get(1).ok()?)?,
            ))
        }))
    }

    fn silences(&self) -> Result<Vec<SilenceRecord>, StoreError> {
        let rows = self.rows("SELECT rule, subject, state FROM silence", &[])?;
        Ok(country_rows(rows, |r| {
            Some(SilenceRecord {
                rule: r.try_get(0).ok()?,
                subject: r.try_get(1).ok()?,
                state: r.try_get(2).ok()?,
            })
        }))
    }

    fn corroborations(&self, since: DateTime<Utc>) -> Result<Vec<CorroborationRecord>, StoreError> {
        let rows = self.rows(
            "SELECT rule, country, story, at, state FROM corroboration WHERE at >= $1",
            &[&ts(since)],
        )?;
        Ok(country_rows(rows, |r| {
            Some(CorroborationRecord {
                rule: r.try_get(0).ok()?,
                country: geo::lookup(r.try_get(1).ok()?),
                story: r.try_get(2).ok()?,
                at: from_ts(r.try_get(3).ok()?),
                state: r.try_get(4).ok()?,
            })
        }))
    }

    fn story_alerts(&self, since: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT {} FROM alerts a {} WHERE a.story IS NOT NULL AND a.at >= $1",
                alerts::COLUMNS,
                alerts::JOIN
            ),
            &[&ts(since)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| alerts::from_row(r, 0).ok().flatten())
            .collect())
    }

    fn story_items(&self, since: DateTime<Utc>) -> Result<Vec<StoryItem>, StoreError> {
        let rows = self.rows(
            "SELECT feed, key, title, url, summary, published, first_seen, countries, story
             FROM items WHERE story IS NOT NULL AND first_seen >= $1 ORDER BY first_seen, feed, key",
            &[&ts(since)],
        )?;
        Ok(country_rows(rows, |r| {
            let countries: String = r.try_get(7).ok()?;
            Some(StoryItem {
                item: Item {
                    feed: r.try_get(0).ok()?,
                    key: r.try_get(1).ok()?,
                    title: r.try_get(2).ok()?,
                    url: r.try_get(3).ok()?,
                    summary: r.try_get(4).ok()?,
                    published: r.try_get::<_, Option<i64>>(5).ok()?.map(from_ts),
                    countries: countries.split(',').filter_map(geo::lookup).collect(),
                    values: Vec::new(),
                },
                first_seen: from_ts(r.try_get(6).ok()?),
                story: r.try_get(8).ok()?,
            })
        }))
    }

    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let unconsumed = crate::time::millis(Utc::now() - UNCONSUMED_KEEP);
        self.write(|tx| tx.prune(ts(before), crate::time::millis(before), unconsumed))
    }

    fn prune_outbox(&mut self) -> Result<usize, StoreError> {
        let unconsumed = crate::time::millis(Utc::now() - UNCONSUMED_KEEP);
        self.write(|tx| tx.prune_outbox(unconsumed))
    }

    fn heartbeat(&mut self, beat: &Heartbeat) -> Result<(), StoreError> {
        let name = format!("{}:{}", beat.host, beat.pid);
        self.write(|tx| tx.heartbeat(&name, beat))
    }

    fn last_heartbeat(&self) -> Result<Option<Heartbeat>, StoreError> {
        let row = self.opt(
            "SELECT host, pid, started, beat FROM collectors ORDER BY beat DESC LIMIT 1",
            &[],
        )?;
        Ok(row.and_then(|r| {
            Some(Heartbeat {
                host: r.try_get(0).ok()?,
                pid: u32::try_from(r.try_get::<_, i64>(1).ok()?).ok()?,
                started: DateTime::from_timestamp_millis(r.try_get(2).ok()?)?,
                at: DateTime::from_timestamp_millis(r.try_get(3).ok()?)?,
            })
        }))
    }

    fn evidence_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::rules::evidence::StoredEvidence>, StoreError> {
        let rows = self.rows(
            "SELECT e.country, e.factor, e.at, e.is_primary, e.rule, e.feed, e.item,
                    coalesce(i.title, ''), coalesce(i.summary, '')
             FROM evidence e LEFT JOIN items i ON i.feed = e.feed AND i.key = e.item
             WHERE e.at > $1 ORDER BY e.at",
            &[&crate::time::millis(since)],
        )?;
        Ok(country_rows(rows, |r| {
            Some(crate::rules::evidence::StoredEvidence {
                country: geo::lookup(r.try_get(0).ok()?)?,
                factor: u8::try_from(r.try_get::<_, i64>(1).ok()?).ok()?,
                at: DateTime::from_timestamp_millis(r.try_get(2).ok()?)?,
                primary: r.try_get(3).ok()?,
                rule: r.try_get(4).ok()?,
                feed: r.try_get(5).ok()?,
                item: r.try_get(6).ok()?,
                title: r.try_get(7).ok()?,
                summary: r.try_get(8).ok()?,
            })
        }))
    }

    fn factor_alerts_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, CountryCode)>, StoreError> {
        let rows = self.rows(
            "SELECT rule, country FROM alerts WHERE kind = 'factors' AND at > $1 AND country IS NOT NULL",
            &[&ts(since)],
        )?;
        Ok(country_rows(rows, |r| {
            Some((r.try_get(0).ok()?, geo::lookup(r.try_get(1).ok()?)?))
        }))
    }

    fn outbox_after(&self, seq: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.rows(
            "SELECT seq, body FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&seq, &limit],
        )?;
        self.outbox_rows(&rows)
    }

    fn outbox_end(&self) -> Result<i64, StoreError> {
        let row = self.one("SELECT n FROM outbox_seq", &[])?;
        row.try_get(0).map_err(|e| self.err(e))
    }

    fn consumer(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row = self.opt("SELECT seq FROM consumers WHERE name = $1", &[&name])?;
        Ok(row.and_then(|r| r.try_get(0).ok()))
    }

    fn set_consumer(&mut self, name: &str, seq: i64) -> Result<(), StoreError> {
        self.revive()?;
        // A position is the consumer's own row: no need to queue behind the writers.
        self.one(
            "INSERT INTO consumers (name, seq, at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET seq = greatest(consumers.seq, excluded.seq),
                at = excluded.at
             RETURNING seq",
            &[&name, &seq, &crate::time::millis(Utc::now())],
        )
        .map(drop)
    }

    fn retire_consumers(&mut self, keep: &[&str]) -> Result<Vec<String>, StoreError> {
        self.revive()?;
        let keep: Vec<String> = keep.iter().map(|k| (*k).to_string()).collect();
        let rows = self.rows(
            "DELETE FROM consumers WHERE NOT (name = ANY($1)) RETURNING name",
            &[&keep],
        )?;
        let mut gone: Vec<String> = rows.iter().filter_map(|r| r.try_get(0).ok()).collect();
        gone.sort();
        Ok(gone)
    }

    fn record_triage(&mut self, t: &Triage) -> Result<(), StoreError> {
        self.revive()?;
        // The database signs the row and appends its event (triggers), so an analyst login
        // needs no other right and cannot act in another's name.
        self.one(
            "INSERT INTO triage (at, target, key, action, until, note)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &ts(t.at),
                &t.target.as_str(),
                &t.key,
                &t.action.as_str(),
                &t.until.map(ts),
                &t.note,
            ],
        )
        .map(drop)
    }

    fn snapshot(
        &self,
        config: &crate::config::ScreenConfig,
        now: DateTime<Utc>,
    ) -> Result<Snapshot, StoreError> {
        crate::store::screen::snapshot(self, config, now).map(|mut s| {
            s.collectors = self
                .collectors(chrono::TimeDelta::minutes(1), now)
                .unwrap_or_default();
            s
        })
    }

    fn drill(
        &self,
        focus: &super::drill::Focus,
        now: DateTime<Utc>,
    ) -> Result<super::drill::Drill, StoreError> {
        crate::store::screen::drill(self, focus, now)
    }

    fn data_version(&self) -> Result<i64, StoreError> {
        // The outbox position moves with every commit that produced an event; feed polls
        // always do.
        self.outbox_end()
    }

    fn replace_baseline(
        &mut self,
        estimates: &[crate::baseline::Estimate],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| tx.replace_baseline(estimates, at))
    }

    fn baseline(&self) -> Result<Vec<crate::baseline::Estimate>, StoreError> {
        let rows = self.rows(
            "SELECT country, risk, rank, of, year, source FROM baseline ORDER BY rank",
            &[],
        )?;
        Ok(country_rows(rows, |r| {
            Some(crate::baseline::Estimate {
                country: geo::lookup(r.try_get(0).ok()?)?,
                risk: r.try_get(1).ok()?,
                rank: u32::try_from(r.try_get::<_, i64>(2).ok()?).ok()?,
                of: u32::try_from(r.try_get::<_, i64>(3).ok()?).ok()?,
                year: r
                    .try_get::<_, Option<i64>>(4)
                    .ok()?
                    .and_then(|y| i32::try_from(y).ok()),
                source: r.try_get(5).ok()?,
            })
        }))
    }
}
