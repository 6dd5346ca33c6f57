//! Triage rows: every acknowledgement, snooze and note, with who and when. The current state of
//! a country or alert is derived from its rows in order.

use chrono::{DateTime, Utc};

use super::{SqliteStore, StoreError, from_ts};
use crate::event::{Triage, TriageAction, TriageTarget};

/// The triage state of one country or alert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriageState {
    /// Acknowledged by whom and when.
    pub acked: Option<(String, DateTime<Utc>)>,
    /// Snoozed until, by whom.
    pub snoozed: Option<(String, DateTime<Utc>)>,
    /// Notes, oldest first: (who, when, text).
    pub notes: Vec<(String, DateTime<Utc>, String)>,
}

impl TriageState {
    /// Whether a snooze is in force at `now`.
    pub fn snoozed_at(&self, now: DateTime<Utc>) -> bool {
        self.snoozed.as_ref().is_some_and(|(_, until)| *until > now)
    }

    /// Applies one row.
    pub fn apply(&mut self, t: &Triage) {
        match t.action {
            TriageAction::Ack => self.acked = Some((t.who.clone(), t.at)),
            TriageAction::Unack => self.acked = None,
            TriageAction::Snooze => self.snoozed = t.until.map(|u| (t.who.clone(), u)),
            TriageAction::Unsnooze => self.snoozed = None,
            TriageAction::Note => {
                if let Some(n) = &t.note {
                    self.notes.push((t.who.clone(), t.at, n.clone()));
                }
            }
        }
    }
}

pub(crate) fn parse_target(s: &str) -> Option<TriageTarget> {
    match s {
        "country" => Some(TriageTarget::Country),
        "alert" => Some(TriageTarget::Alert),
        _ => None,
    }
}

pub(crate) fn parse_action(s: &str) -> Option<TriageAction> {
    [
        TriageAction::Ack,
        TriageAction::Unack,
        TriageAction::Snooze,
        TriageAction::Unsnooze,
        TriageAction::Note,
    ]
    .into_iter()
    .find(|a| a.as_str() == s)
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

fn to_triage(r: Row) -> Option<(i64, Triage)> {
    let (id, at, who, target, key, action, until, note) = r;
    Some((
        id,
        Triage {
            at: from_ts(at),
            who,
            target: parse_target(&target)?,
            key,
            action: parse_action(&action)?,
            until: until.map(from_ts),
            note,
        },
    ))
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

const COLUMNS: &str = "id, at, who, target, key, action, until, note";

impl SqliteStore {
    /// Triage rows with `at` in `(since, until]` (seconds), oldest first.
    pub(super) fn triage_rows_between(
        &self,
        since: i64,
        until: i64,
    ) -> Result<Vec<Triage>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM triage WHERE at > ?1 AND at <= ?2 ORDER BY at, id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since, until], read_row)
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(to_triage)
            .map(|(_, t)| t)
            .collect())
    }

    /// The triage state of one country or alert.
    pub fn triage_of(&self, target: TriageTarget, key: &str) -> Result<TriageState, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM triage WHERE target = ?1 AND key = ?2 ORDER BY id"
            ))
            .map_err(|e| self.err(e))?;
        let mut state = TriageState::default();
        let rows = stmt
            .query_map(rusqlite::params![target.as_str(), key], read_row)
            .map_err(|e| self.err(e))?;
        for (_, t) in rows.filter_map(Result::ok).filter_map(to_triage) {
            state.apply(&t);
        }
        Ok(state)
    }

    /// Every triage row, oldest first, folded into states per (target, key).
    pub fn triage_states(
        &self,
    ) -> Result<std::collections::HashMap<(TriageTarget, String), TriageState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM triage ORDER BY id"))
            .map_err(|e| self.err(e))?;
        let mut out: std::collections::HashMap<(TriageTarget, String), TriageState> =
            std::collections::HashMap::new();
        let rows = stmt.query_map([], read_row).map_err(|e| self.err(e))?;
        for (_, t) in rows.filter_map(Result::ok).filter_map(to_triage) {
            out.entry((t.target, t.key.clone())).or_default().apply(&t);
        }
        Ok(out)
    }
}
