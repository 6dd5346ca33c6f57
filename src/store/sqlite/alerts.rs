//! How an alert is kept: one row of plain columns, without the item's text (the item row holds
//! it and reads join it back). Rows written before schema 4 carry a JSON body instead, read the
//! same way.

use rusqlite::{Connection, Row, params};

use super::{from_ts, ts};
use crate::config::Severity;
use crate::event::{Alert, Event};
use crate::geo;

/// The columns [`from_row`] reads, from `alerts a` joined with its item `i` (see [`JOIN`]).
pub(crate) const COLUMNS: &str = "a.json, a.id, a.at, a.at_ms, a.country, a.listed, a.rule,
    a.kind, a.severity, a.feed, a.item, a.matched, a.field, a.value, a.lim, a.op, a.expected,
    a.explanation, i.feed, i.title, i.url, i.summary, i.published, a.title, a.story, a.sources,
    a.revision, a.is_primary";

/// The join [`COLUMNS`] reads from.
pub(crate) const JOIN: &str =
    "LEFT JOIN items i ON a.feed IS NOT NULL AND i.feed = a.feed AND i.key = a.item";

/// The statement [`insert`] runs.
pub(super) const INSERT: &str =
    "INSERT OR IGNORE INTO alerts (id, at, at_ms, event_time, country, listed, rule, kind,
        severity, feed, item, matched, field, value, lim, op, expected, explanation,
        title, story, sources, revision, is_primary, json, delivered)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
        ?18, ?19, ?20, ?21, ?22, ?23, '', 1)";

/// Stores `alert` with `insert`, a statement prepared from [`INSERT`]; false when an alert
/// with its id is already there.
pub(super) fn insert(
    insert: &mut rusqlite::Statement<'_>,
    alert: &Alert,
    event_time: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<bool> {
    let matched = (!alert.matched.is_empty())
        .then(|| serde_json::to_string(&alert.matched).unwrap_or_default());
    let n = insert.execute(params![
        alert.id,
        ts(alert.at),
        crate::time::millis(alert.at),
        ts(event_time),
        alert.country.map(|c| c.to_string()),
        alert.listed,
        alert.rule,
        alert.kind,
        alert.severity.as_str(),
        alert.feed,
        alert.item,
        matched,
        alert.field,
        alert.value,
        alert.limit,
        alert.op,
        alert.expected,
        alert.explanation,
        // An alert about no item (a silence) keeps its own title.
        alert.item.is_empty().then_some(&alert.title),
        alert.story,
        sources_json(&alert.sources),
        alert.revision,
        (!alert.primary).then_some(false),
    ])?;
    Ok(n == 1)
}

fn sources_json(sources: &[String]) -> Option<String> {
    (!sources.is_empty()).then(|| serde_json::to_string(sources).unwrap_or_default())
}

/// Records a later revision of a stored alert (another publisher joined its story); false
/// when no alert has its id.
pub(super) fn revise(conn: &Connection, alert: &Alert) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE alerts SET sources = ?2, revision = ?3, revised_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            alert.id,
            sources_json(&alert.sources),
            alert.revision,
            crate::time::millis(alert.at)
        ])?;
    Ok(n == 1)
}

/// Reads [`COLUMNS`] from column `first` of a row on; `None` for a row that cannot be read
/// back (a damaged legacy body), which is skipped rather than failing the whole read.
pub(crate) fn from_row(r: &Row<'_>, first: usize) -> rusqlite::Result<Option<Alert>> {
    let json: String = r.get(first)?;
    let mut alert = if json.is_empty() {
        let Some(severity) = Severity::parse(&r.get::<_, String>(first + 8)?) else {
            return Ok(None);
        };
        let country = r
            .get::<_, Option<String>>(first + 4)?
            .and_then(|c| geo::lookup(&c));
        let at = match r.get::<_, Option<i64>>(first + 3)? {
            Some(ms) => chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
            None => from_ts(r.get(first + 2)?),
        };
        Alert {
            id: r.get(first + 1)?,
            at,
            country,
            country_name: country.map(|c| c.name().to_string()),
            listed: r.get::<_, Option<bool>>(first + 5)?.unwrap_or(false),
            rule: r.get(first + 6)?,
            kind: r.get::<_, Option<String>>(first + 7)?.unwrap_or_default(),
            severity,
            feed: r.get::<_, Option<String>>(first + 9)?.unwrap_or_default(),
            title: r.get::<_, Option<String>>(first + 23)?.unwrap_or_default(),
            url: None,
            published: None,
            matched: r
                .get::<_, Option<String>>(first + 11)?
                .and_then(|m| serde_json::from_str(&m).ok())
                .unwrap_or_default(),
            field: r.get(first + 12)?,
            value: r.get(first + 13)?,
            limit: r.get(first + 14)?,
            op: r.get(first + 15)?,
            expected: r.get(first + 16)?,
            explanation: r.get(first + 17)?,
            item: r.get::<_, Option<String>>(first + 10)?.unwrap_or_default(),
            summary: String::new(),
            story: None,
            sources: Vec::new(),
            revision: 1,
            primary: true,
        }
    } else {
        match Event::from_body(&json) {
            Some(Event::Alert(a)) => a,
            _ => return Ok(None),
        }
    };
    // Story, publishers and revision live in columns for every row (a legacy body's copy is
    // the first revision's).
    if let Some(story) = r.get::<_, Option<String>>(first + 24)? {
        alert.story = Some(story);
    }
    if let Some(sources) = r.get::<_, Option<String>>(first + 25)? {
        alert.sources = serde_json::from_str(&sources).unwrap_or_default();
    }
    if let Some(revision) = r.get::<_, Option<u32>>(first + 26)? {
        alert.revision = revision;
    }
    if let Some(primary) = r.get::<_, Option<bool>>(first + 27)? {
        alert.primary = primary;
    }
    // With its item still stored, the alert reads the item's text as it is now.
    if r.get::<_, Option<String>>(first + 18)?.is_some() {
        alert.title = r.get(first + 19)?;
        alert.url = r.get(first + 20)?;
        alert.summary = r.get(first + 21)?;
        alert.published = r.get::<_, Option<i64>>(first + 22)?.map(from_ts);
    }
    Ok(Some(alert))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::feed::item::Item;
    use crate::store::{Store, StoreTx};

    fn read_all(store: &super::super::SqliteStore) -> Vec<Alert> {
        let mut stmt = store
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM alerts a {JOIN} ORDER BY a.rowid"
            ))
            .unwrap();
        stmt.query_map([], |r| from_row(r, 0))
            .unwrap()
            .map(|r| r.unwrap().unwrap())
            .collect()
    }

    #[test]
    fn an_alert_reads_back_whole_with_its_items_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = super::super::SqliteStore::open(dir.path()).unwrap();
        let at = Utc.timestamp_millis_opt(1_790_000_000_123).unwrap();
        let published = Utc.timestamp_opt(1_789_990_000, 0).unwrap();
        let item = Item {
            feed: "wire".into(),
            key: "id:7".into(),
            title: "Shelling in El Fasher".into(),
            url: Some("https://example.org/7".into()),
            summary: "Dozens killed.".into(),
            published: Some(published),
            countries: vec![geo::lookup("SD").unwrap()],
            values: vec![("deaths".into(), 40.0)],
        };
        let sd = geo::lookup("SD").unwrap();
        let full = Alert {
            id: "a1".into(),
            at,
            country: Some(sd),
            country_name: Some(sd.name().to_string()),
            listed: true,
            rule: "deaths".into(),
            kind: "threshold".into(),
            severity: Severity::Critical,
            feed: "wire".into(),
            title: item.title.clone(),
            url: item.url.clone(),
            published: Some(published),
            matched: vec!["killed".into(), "shelling".into()],
            field: Some("deaths".into()),
            value: Some(40.0),
            limit: Some(25.0),
            op: Some(">=".into()),
            expected: Some(1.5),
            explanation: Some("40 >= 25".into()),
            item: "id:7".into(),
            summary: item.summary.clone(),
            story: Some("00000000000000ab".into()),
            sources: vec!["example.org".into(), "wire".into()],
            revision: 2,
            primary: false,
        };
        let bare = Alert {
            id: "a2".into(),
            country: None,
            country_name: None,
            listed: false,
            matched: vec![],
            field: None,
            value: None,
            limit: None,
            op: None,
            expected: None,
            explanation: None,
            story: None,
            sources: vec![],
            revision: 1,
            primary: true,
            ..full.clone()
        };
        store
            .write(|tx| {
                tx.upsert_item(&item, at)?;
                assert!(tx.insert_alert(&full, at)?);
                assert!(tx.insert_alert(&bare, at)?);
                assert!(!tx.insert_alert(&full, at)?, "the same id twice");
                Ok(())
            })
            .unwrap();
        assert_eq!(read_all(&store), vec![full.clone(), bare]);

        // Once its item is pruned, the alert keeps everything but the item's text.
        store.conn.execute("DELETE FROM items", []).unwrap();
        let alone = &read_all(&store)[0];
        assert_eq!(alone.title, "");
        assert_eq!(alone.url, None);
        assert_eq!(alone.explanation, full.explanation);
        assert_eq!(alone.at, full.at);
    }
}
