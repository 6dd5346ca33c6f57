//! An alert as a row of plain columns, as the SQLite store keeps it (without the item's text,
//! which reads join back from the item).

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::config::Severity;
use crate::event::Alert;
use crate::geo;
use crate::store::sqlite::{from_ts, ts};

/// The columns [`from_row`] reads, from `alerts a` joined with its item `i` (see [`JOIN`]).
pub const COLUMNS: &str = "a.id, a.at, a.at_ms, a.country, a.listed, a.rule, a.kind,
    a.severity, a.feed, a.item, a.matched, a.field, a.value, a.lim, a.op, a.expected,
    a.explanation, i.feed, i.title, i.url, i.summary, i.published, a.title, a.story, a.sources,
    a.revision, a.is_primary";

/// The join [`COLUMNS`] reads from.
pub const JOIN: &str =
    "LEFT JOIN items i ON a.feed IS NOT NULL AND i.feed = a.feed AND i.key = a.item";

/// The insert, with its parameters from [`params`].
pub const INSERT: &str = "INSERT INTO alerts (id, at, at_ms, event_time, country, listed, rule,
        kind, severity, feed, item, matched, field, value, lim, op, expected, explanation,
        title, story, sources, revision, is_primary)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
        $19, $20, $21, $22, $23)
     ON CONFLICT (id) DO NOTHING";

/// The values of an alert's row, owned so they can be bound.
pub struct Params {
    id: String,
    at: i64,
    at_ms: i64,
    event_time: i64,
    country: Option<String>,
    listed: bool,
    rule: String,
    kind: String,
    severity: &'static str,
    feed: String,
    item: String,
    matched: Option<String>,
    field: Option<String>,
    value: Option<f64>,
    limit: Option<f64>,
    op: Option<String>,
    expected: Option<f64>,
    explanation: Option<String>,
    title: Option<String>,
    story: Option<String>,
    sources: Option<String>,
    revision: i64,
    primary: Option<bool>,
}

impl Params {
    /// The row of `alert`, whose event happened at `event_time`.
    pub fn of(alert: &Alert, event_time: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            id: alert.id.clone(),
            at: ts(alert.at),
            at_ms: crate::time::millis(alert.at),
            event_time: ts(event_time),
            country: alert.country.map(|c| c.to_string()),
            listed: alert.listed,
            rule: alert.rule.clone(),
            kind: alert.kind.clone(),
            severity: alert.severity.as_str(),
            feed: alert.feed.clone(),
            item: alert.item.clone(),
            matched: (!alert.matched.is_empty())
                .then(|| serde_json::to_string(&alert.matched).unwrap_or_default()),
            field: alert.field.clone(),
            value: alert.value,
            limit: alert.limit,
            op: alert.op.clone(),
            expected: alert.expected,
            explanation: alert.explanation.clone(),
            // An alert about no item (a silence) keeps its own title.
            title: alert.item.is_empty().then(|| alert.title.clone()),
            story: alert.story.clone(),
            sources: sources_json(&alert.sources),
            revision: i64::from(alert.revision),
            primary: (!alert.primary).then_some(false),
        }
    }

    /// The parameters in [`INSERT`]'s order.
    pub fn refs(&self) -> [&(dyn ToSql + Sync); 23] {
        [
            &self.id,
            &self.at,
            &self.at_ms,
            &self.event_time,
            &self.country,
            &self.listed,
            &self.rule,
            &self.kind,
            &self.severity,
            &self.feed,
            &self.item,
            &self.matched,
            &self.field,
            &self.value,
            &self.limit,
            &self.op,
            &self.expected,
            &self.explanation,
            &self.title,
            &self.story,
            &self.sources,
            &self.revision,
            &self.primary,
        ]
    }
}

/// The publishers as the `sources` column keeps them.
pub fn sources_json(sources: &[String]) -> Option<String> {
    (!sources.is_empty()).then(|| serde_json::to_string(sources).unwrap_or_default())
}

/// Reads [`COLUMNS`] from column `first` of a row on; `None` for a row that cannot be read
/// back (an unknown severity), which is skipped rather than failing the whole read.
pub fn from_row(r: &Row, first: usize) -> Result<Option<Alert>, tokio_postgres::Error> {
    let Some(severity) = Severity::parse(&r.try_get::<_, String>(first + 7)?) else {
        return Ok(None);
    };
    let country = r
        .try_get::<_, Option<String>>(first + 3)?
        .and_then(|c| geo::lookup(&c));
    let at = chrono::DateTime::from_timestamp_millis(r.try_get(first + 2)?)
        .unwrap_or_else(|| from_ts(r.try_get(first + 1).unwrap_or_default()));
    let mut alert = Alert {
        id: r.try_get(first)?,
        at,
        country,
        country_name: country.map(|c| c.name().to_string()),
        listed: r.try_get(first + 4)?,
        rule: r.try_get(first + 5)?,
        kind: r.try_get(first + 6)?,
        severity,
        feed: r
            .try_get::<_, Option<String>>(first + 8)?
            .unwrap_or_default(),
        title: r
            .try_get::<_, Option<String>>(first + 22)?
            .unwrap_or_default(),
        url: None,
        published: None,
        matched: r
            .try_get::<_, Option<String>>(first + 10)?
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_default(),
        field: r.try_get(first + 11)?,
        value: r.try_get(first + 12)?,
        limit: r.try_get(first + 13)?,
        op: r.try_get(first + 14)?,
        expected: r.try_get(first + 15)?,
        explanation: r.try_get(first + 16)?,
        item: r
            .try_get::<_, Option<String>>(first + 9)?
            .unwrap_or_default(),
        summary: String::new(),
        story: r.try_get(first + 23)?,
        sources: r
            .try_get::<_, Option<String>>(first + 24)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        revision: r
            .try_get::<_, Option<i64>>(first + 25)?
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(1),
        primary: r.try_get::<_, Option<bool>>(first + 26)?.unwrap_or(true),
    };
    // With its item still stored, the alert reads the item's text as it is now.
    if r.try_get::<_, Option<String>>(first + 17)?.is_some() {
        alert.title = r.try_get(first + 18)?;
        alert.url = r.try_get(first + 19)?;
        alert.summary = r.try_get(first + 20)?;
        alert.published = r.try_get::<_, Option<i64>>(first + 21)?.map(from_ts);
    }
    Ok(Some(alert))
}
