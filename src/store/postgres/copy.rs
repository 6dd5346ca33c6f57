//! `watchfloor store copy`: moves a SQLite desk into an empty PostgreSQL store in one
//! transaction (items seen, alerts, windows, statuses and their history, triage, silence and
//! corroboration state, risk-factor evidence, baselines, feed health). Alerts are copied as
//! history, not as events: nothing lands in the outbox, so no consumer or notification target
//! sees them again, and a collector started on the copy restores its engine from them and
//! raises none of them twice.

use futures_executor::block_on;
use rusqlite::types::Value;
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::{PgStore, alerts};
use crate::store::{SqliteStore, StoreError};

/// What was copied, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// (table, rows) in the order copied.
    pub tables: Vec<(&'static str, u64)>,
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .tables
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Plain tables copied column for column: (table, columns). Their integer columns are the
/// same numbers in both stores.
const PLAIN: &[(&str, &str)] = &[
    (
        "feeds",
        "id, etag, last_modified, failures, failing_since, last_ok, last_error, last_report, last_full",
    ),
    ("window_entries", "rule, country, at, value"),
    ("statuses", "country, status, since"),
    ("status_history", "country, at, status, was, reason"),
    ("silence", "rule, subject, state"),
    ("corroboration", "rule, country, story, at, state"),
    (
        "baseline",
        "country, risk, rank, of, year, source, imported_at",
    ),
    ("polls", "feed, at, report"),
    ("viewers", "who, seen_until"),
    (
        "evidence",
        "country, factor, rule, feed, item, source, is_primary, at",
    ),
];

/// A SQLite value as a PostgreSQL parameter of the column's type.
#[derive(Debug)]
enum Param {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

impl Param {
    fn of(v: Value, boolean: bool) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Integer(i) if boolean => Self::Bool(i != 0),
            Value::Integer(i) => Self::Int(i),
            Value::Real(r) => Self::Real(r),
            Value::Text(t) => Self::Text(t),
            Value::Blob(b) => Self::Text(String::from_utf8_lossy(&b).into_owned()),
        }
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Null => &Null,
            Self::Int(i) => i,
            Self::Real(r) => r,
            Self::Text(t) => t,
            Self::Bool(b) => b,
        }
    }
}

/// NULL, for a column of any type.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _: &tokio_postgres::types::Type,
        _: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(tokio_postgres::types::IsNull::Yes)
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Copies the desk in `from` into `to`, which must hold no items and no alerts yet.
pub fn from_sqlite(from: &SqliteStore, to: &mut PgStore) -> Result<CopyReport, StoreError> {
    let held = to.one(
        "SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM alerts)",
        &[],
    )?;
    let held: i64 = held.try_get(0).map_err(|e| to.err(e))?;
    if held > 0 {
        return Err(StoreError::Address {
            store: to.label.clone(),
            message: format!(
                "the store already holds {held} items and alerts; copy into an empty store (after `watchfloor store init`)"
            ),
        });
    }
    let label = to.label.clone();
    let pg = |source| StoreError::Postgres {
        store: label.clone(),
        source,
    };
    let lite = |source| StoreError::Sqlite {
        path: from.path().to_path_buf(),
        source,
    };
    let tx = block_on(to.client.transaction()).map_err(pg)?;
    block_on(tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&super::schema::WRITE_LOCK],
    ))
    .map_err(pg)?;
    // Copied triage keeps who wrote it, and is history, not news: the triggers that sign new
    // rows and append them to the outbox stay off for this transaction (the owner's right).
    block_on(tx.batch_execute("ALTER TABLE triage DISABLE TRIGGER USER")).map_err(pg)?;
    let mut report = CopyReport::default();
    let conn = from.conn();

    // Items: the identity digest and the first 8 bytes of the content hash, as SQLite keeps
    // them (rows from before its schema 4 hold the hash as hex).
    let mut n = 0;
    {
        let mut stmt = conn
            .prepare(
                "SELECT feed, key, coalesce(ident, 0), hash, title, url, summary, published,
                    first_seen, last_seen, countries, story FROM items",
            )
            .map_err(lite)?;
        let mut rows = stmt.query([]).map_err(lite)?;
        let insert = block_on(tx.prepare(
            "INSERT INTO items (feed, key, ident, hash, title, url, summary, published, first_seen, last_seen, countries, story)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        ))
        .map_err(pg)?;
        while let Some(r) = rows.next().map_err(lite)? {
            let hash: Vec<u8> = match r.get::<_, Value>(3).map_err(lite)? {
                Value::Blob(b) => b,
                Value::Text(h) => hex8(&h),
                _ => Vec::new(),
            };
            let v = (
                r.get::<_, String>(0).map_err(lite)?,
                r.get::<_, String>(1).map_err(lite)?,
                r.get::<_, i64>(2).map_err(lite)?,
                r.get::<_, String>(4).map_err(lite)?,
                r.get::<_, Option<String>>(5).map_err(lite)?,
                r.get::<_, String>(6).map_err(lite)?,
                r.get::<_, Option<i64>>(7).map_err(lite)?,
                r.get::<_, i64>(8).map_err(lite)?,
                r.get::<_, i64>(9).map_err(lite)?,
                r.get::<_, String>(10).map_err(lite)?,
                r.get::<_, Option<i64>>(11).map_err(lite)?,
            );
            block_on(tx.execute(
                &insert,
                &[
                    &v.0, &v.1, &v.2, &hash, &v.3, &v.4, &v.5, &v.6, &v.7, &v.8, &v.9, &v.10,
                ],
            ))
            .map_err(pg)?;
            n += 1;
        }
    }
    report.tables.push(("items", n));

    // Alerts, read as the SQLite store reads them (older JSON bodies included).
    let mut n = 0;
    {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT a.event_time, a.revised_at, {} FROM alerts a {} ORDER BY a.rowid",
                crate::store::sqlite::alerts::COLUMNS,
                crate::store::sqlite::alerts::JOIN
            ))
            .map_err(lite)?;
        let mut rows = stmt.query([]).map_err(lite)?;
        let insert = block_on(tx.prepare(alerts::INSERT)).map_err(pg)?;
        while let Some(r) = rows.next().map_err(lite)? {
            let Some(alert) = crate::store::sqlite::alerts::from_row(r, 2).map_err(lite)? else {
                continue;
            };
            let event_time = crate::store::sqlite::from_ts(r.get(0).map_err(lite)?);
            let revised: Option<i64> = r.get(1).map_err(lite)?;
            let params = alerts::Params::of(&alert, event_time);
            block_on(tx.execute(&insert, &params.refs())).map_err(pg)?;
            if let Some(at) = revised {
                block_on(tx.execute(
                    "UPDATE alerts SET revised_at = $2 WHERE id = $1",
                    &[&alert.id, &at],
                ))
                .map_err(pg)?;
            }
            n += 1;
        }
    }
    report.tables.push(("alerts", n));

    report.tables.push((
        "triage",
        copy_plain(
            conn,
            &tx,
            "triage",
            "at, who, target, key, action, until, note",
            &lite,
            &pg,
        )?,
    ));
    for (table, columns) in PLAIN {
        let n = copy_plain(conn, &tx, table, columns, &lite, &pg)?;
        report.tables.push((table, n));
    }
    block_on(tx.batch_execute("ALTER TABLE triage ENABLE TRIGGER USER")).map_err(pg)?;
    block_on(tx.commit()).map_err(pg)?;
    Ok(report)
}

/// Copies one table column for column; how many rows.
fn copy_plain(
    conn: &rusqlite::Connection,
    tx: &Transaction<'_>,
    table: &str,
    columns: &str,
    lite: &dyn Fn(rusqlite::Error) -> StoreError,
    pg: &dyn Fn(tokio_postgres::Error) -> StoreError,
) -> Result<u64, StoreError> {
    let count = columns.split(',').count();
    let placeholders: Vec<String> = (1..=count).map(|i| format!("${i}")).collect();
    let insert = block_on(tx.prepare(&format!(
        "INSERT INTO {table} ({columns}) VALUES ({}) ON CONFLICT DO NOTHING",
        placeholders.join(", ")
    )))
    .map_err(pg)?;
    let booleans: Vec<bool> = insert
        .params()
        .iter()
        .map(|t| *t == tokio_postgres::types::Type::BOOL)
        .collect();
    let mut stmt = conn
        .prepare(&format!("SELECT {columns} FROM {table}"))
        .map_err(lite)?;
    let mut rows = stmt.query([]).map_err(lite)?;
    let mut n = 0;
    while let Some(r) = rows.next().map_err(lite)? {
        let values: Vec<Param> = (0..count)
            .map(|i| {
                r.get::<_, Value>(i)
                    .map(|v| Param::of(v, booleans.get(i).copied().unwrap_or(false)))
            })
            .collect::<Result<_, _>>()
            .map_err(lite)?;
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(Param::as_sql).collect();
        block_on(tx.execute(&insert, &refs)).map_err(pg)?;
        n += 1;
    }
    Ok(n)
}

/// The first 8 bytes of a hex digest.
fn hex8(hex: &str) -> Vec<u8> {
    (0..8)
        .filter_map(|i| hex.get(i * 2..i * 2 + 2))
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}
