//! State that outlives a process: items seen, alerts raised, windowed rule history, country
//! statuses, feed health, triage, the outbox every consumer reads its events from, and the
//! collector's heartbeat.
//!
//! [`Store`] is the interface the monitor and the screen use; [`sqlite::SqliteStore`] is its
//! implementation on one SQLite file. The outbox gives every event a `seq` that grows and is
//! never reused in a database; each consumer keeps a named position in it.

pub mod address;
pub mod any;
pub mod cursor;
pub mod drill;
pub mod lock;
pub mod period;
mod pgpass;
pub mod postgres;
pub mod reader;
pub mod screen;
pub mod sqlite;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Severity;
use crate::event::{Alert, Event, FeedReport, Status, StatusChange, Triage};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::geo::CountryCode;
use crate::rules::engine::{CorroborationRecord, SilenceRecord, WindowEntry};

pub use address::StoreAddress;
pub use any::AnyStore;
pub use period::PeriodReads;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Whether this user may write the database in `dir` (and its write-ahead log and shared-memory
/// file, when they exist).
pub fn writable(dir: &std::path::Path) -> bool {
    ["watchfloor.db", "watchfloor.db-wal", "watchfloor.db-shm"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .all(|p| std::fs::OpenOptions::new().write(true).open(p).is_ok())
}

/// Makes the collector's files readable and writable by its group, whatever the umask, so
/// analysts in that group can attach and triage (SQLite gives its journal files the database's
/// mode). Files this user does not own are left alone; a failure is logged, not fatal.
pub fn share_with_group(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in [
            "watchfloor.db",
            "watchfloor.db-wal",
            "watchfloor.db-shm",
            lock::LOCK_FILE,
        ] {
            let path = dir.join(name);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if mode & 0o060 != 0o060
                && let Err(e) =
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode | 0o060))
            {
                tracing::warn!("cannot make {} group-writable: {e}", path.display());
            }
        }
    }
}
pub use sqlite::snapshot;
pub use sqlite::triage::TriageState;
pub(crate) use sqlite::ts;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "watchfloor.db";

/// Store errors, with the database path.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// There is no database to attach to.
    #[error(
        "no database at {path}; start `watchfloor headless --data DIR` first, or pass the --data it uses"
    )]
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The file was written by a newer watchfloor.
    #[error(
        "database {path} has schema version {found}, newer than this watchfloor ({supported}); upgrade watchfloor"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// PostgreSQL failed.
    #[error("store {store}: {}", postgres::describe(source))]
    Postgres {
        /// The store's URL, without its password.
        store: String,
        /// The cause.
        source: tokio_postgres::Error,
    },
    /// The store's address is unusable, or it cannot be reached.
    #[error("store {store}: {message}")]
    Address {
        /// The store's URL, without its password.
        store: String,
        /// What went wrong.
        message: String,
    },
    /// The data directory could not be created or read.
    #[error("data directory {path}: {message}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl StoreError {
    /// Whether the disk (or the file system's quota) is full.
    pub fn is_full(&self) -> bool {
        match self {
            Self::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } => e.code == rusqlite::ErrorCode::DiskFull,
            Self::Postgres { source, .. } => {
                source.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL)
            }
            _ => false,
        }
    }
}

/// What the store knows of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Never seen in this feed, nor anywhere else.
    New,
    /// Never seen in this feed, but another feed (or another key of this one) carried the
    /// same item first.
    Carried,
    /// Seen with the same content.
    Same,
    /// Seen with different content: a revision.
    Revised,
}

/// What [`StoreTx::check_item`] found of an item, with the digests it computed, so that
/// [`StoreTx::save_item`] does not compute them again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// New, carried, the same, or revised.
    pub seen: Seen,
    /// The first 8 bytes of [`Item::content_digest`].
    hash: [u8; 8],
    /// [`Item::identity_digest`], when the check needed it (an item not stored under its key).
    ident: Option<i64>,
}

impl Checked {
    fn new(seen: Seen, digest: &[u8; 32], ident: Option<i64>) -> Self {
        let mut hash = [0; 8];
        hash.copy_from_slice(&digest[..8]);
        Self { seen, hash, ident }
    }

    /// The identity digest, computed only if the check did not.
    fn ident(&self, item: &Item) -> i64 {
        self.ident.unwrap_or_else(|| item.identity_digest())
    }
}

/// The countries a stored item's row keeps, comma-separated: those its source stated, else
/// those the tagger read.
pub(crate) fn stored_countries(item: &Item, tagged: &[CountryCode]) -> String {
    let stated = if item.countries.is_empty() {
        tagged
    } else {
        &item.countries
    };
    let codes: Vec<&str> = stated.iter().map(|c| c.as_str()).collect();
    codes.join(",")
}

/// The collector's sign of life, written every few seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// When it was written.
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// When this collector started.
    #[serde(with = "crate::time::rfc3339")]
    pub started: DateTime<Utc>,
    /// Its process id.
    pub pid: u32,
    /// The host it runs on.
    pub host: String,
}

/// One outbox row: its sequence number and its event body (see [`Event::body`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Position in the outbox.
    pub seq: i64,
    /// The event's JSON object.
    pub body: String,
}

/// Alert rows as the engine restores them: (country, event time, severity).
pub type RecentAlert = (CountryCode, DateTime<Utc>, Severity);

/// The state a collector and its screens share.
pub trait Store: Send {
    /// The writes of one transaction.
    type Tx<'t>: StoreTx
    where
        Self: 't;

    /// Runs `f` in one write transaction, waiting (within a bound) for other writers first.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self::Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;

    /// This database's identity, fixed when it was created.
    fn id(&self) -> &str;

    /// Validators stored for a feed.
    fn validators(&self, feed: &str) -> Result<Validators, StoreError>;

    /// Consecutive failures recorded for a feed.
    fn failures(&self, feed: &str) -> Result<u32, StoreError>;

    /// When the feed's last recorded poll said it would be polled next.
    fn next_poll(&self, feed: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let _ = feed;
        Ok(None)
    }

    /// Window entries newer than `since`.
    fn window_entries(&self, since: DateTime<Utc>) -> Result<Vec<WindowEntry>, StoreError>;

    /// For each country and severity with alerts whose event time is after `since`, the
    /// newest event time.
    fn recent_alerts(&self, since: DateTime<Utc>) -> Result<Vec<RecentAlert>, StoreError>;

    /// Last known status per country.
    fn statuses(&self) -> Result<Vec<(CountryCode, Status)>, StoreError>;

    /// What silence rules learned, per rule and subject.
    fn silences(&self) -> Result<Vec<SilenceRecord>, StoreError>;

    /// Corroboration states changed after `since`.
    fn corroborations(&self, since: DateTime<Utc>) -> Result<Vec<CorroborationRecord>, StoreError>;

    /// Alerts about a story raised after `since`.
    fn story_alerts(&self, since: DateTime<Utc>) -> Result<Vec<Alert>, StoreError>;

    /// Items filed under a story (they hit an item rule) first seen after `since`, oldest
    /// first, to rebuild story grouping.
    fn story_items(&self, since: DateTime<Utc>) -> Result<Vec<StoryItem>, StoreError>;

    /// Deletes what is older than `before`, and outbox events every consumer has passed.
    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError>;

    /// Deletes outbox events every consumer has passed (cheap; run often, so the outbox stays
    /// a short queue).
    fn prune_outbox(&mut self) -> Result<usize, StoreError>;

    /// Sizes the writer's cache to the data it holds (a no-op where the store has no such cache).
    fn size_cache(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Records the collector's heartbeat.
    fn heartbeat(&mut self, beat: &Heartbeat) -> Result<(), StoreError>;

    /// The last heartbeat any collector wrote.
    fn last_heartbeat(&self) -> Result<Option<Heartbeat>, StoreError>;

    /// Risk-factor evidence with an item time after `since`, oldest first.
    fn evidence_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::rules::evidence::StoredEvidence>, StoreError>;

    /// The factors rules that raised an alert after `since`: (rule, country).
    fn factor_alerts_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, CountryCode)>, StoreError>;

    /// Outbox events after `seq`, oldest first, at most `limit`.
    fn outbox_after(&self, seq: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError>;

    /// The highest `seq` the outbox has given out (0 when none): where a new consumer that
    /// should not see history starts.
    fn outbox_end(&self) -> Result<i64, StoreError>;

    /// A consumer's recorded position, if it has one.
    fn consumer(&self, name: &str) -> Result<Option<i64>, StoreError>;

    /// Records a consumer's position.
    fn set_consumer(&mut self, name: &str, seq: i64) -> Result<(), StoreError>;

    /// Forgets every consumer not in `keep`; the names forgotten.
    fn retire_consumers(&mut self, keep: &[&str]) -> Result<Vec<String>, StoreError>;

    /// Saves a triage action and appends its event to the outbox.
    fn record_triage(&mut self, t: &Triage) -> Result<(), StoreError>;

    /// What the screen shows.
    fn snapshot(
        &self,
        config: &crate::config::ScreenConfig,
        now: DateTime<Utc>,
    ) -> Result<snapshot::Snapshot, StoreError>;

    /// What the screen has open beyond the snapshot: a country's history, a feed's polls, a
    /// search.
    fn drill(&self, focus: &drill::Focus, now: DateTime<Utc>) -> Result<drill::Drill, StoreError>;

    /// A number that changes whenever another connection commits.
    fn data_version(&self) -> Result<i64, StoreError>;

    /// Replaces the imported structural risk with these estimates, in one transaction.
    fn replace_baseline(
        &mut self,
        estimates: &[crate::baseline::Estimate],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The imported structural risk, highest first.
    fn baseline(&self) -> Result<Vec<crate::baseline::Estimate>, StoreError>;
}

/// Writes inside one transaction.
pub trait StoreTx {
    /// Whether the item is new, carried from another feed, the same, or a revision. An
    /// unchanged item is marked seen at `now`; any other is written by [`StoreTx::save_item`]
    /// once the engine has read it, so its row is written once.
    fn check_item(&mut self, item: &Item, now: DateTime<Utc>) -> Result<Checked, StoreError>;

    /// Writes an item [`StoreTx::check_item`] found new, carried or revised, with the
    /// countries the tagger read (kept when the source stated none) and its story (a revision
    /// keeps its story when `story` is `None`).
    fn save_item(
        &mut self,
        item: &Item,
        now: DateTime<Utc>,
        checked: Checked,
        tagged: &[CountryCode],
        story: Option<i64>,
    ) -> Result<(), StoreError>;

    /// Checks and saves an item as it came (no tags read, no story): whether it was new, the
    /// same, or a revision.
    fn upsert_item(&mut self, item: &Item, now: DateTime<Utc>) -> Result<Seen, StoreError> {
        let checked = self.check_item(item, now)?;
        if checked.seen != Seen::Same {
            self.save_item(item, now, checked, &[], None)?;
        }
        Ok(checked.seen)
    }

    /// After a 304 Not Modified: marks the items of the feed's last full response as seen now
    /// (and only those: items that had left the feed by then may age out); how many.
    fn touch_unchanged(&mut self, feed: &str, now: DateTime<Utc>) -> Result<usize, StoreError>;

    /// Stores an alert and appends it to the outbox, unless its id is stored already; whether
    /// it was new.
    fn insert_alert(
        &mut self,
        alert: &Alert,
        event_time: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Appends a windowed rule entry.
    fn insert_window_entry(&mut self, e: &WindowEntry) -> Result<(), StoreError>;

    /// Records a country's new status, and the change with its reason in the country's history.
    fn set_status(&mut self, change: &StatusChange, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records a poll's outcome and the validators to send next time.
    fn record_feed(
        &mut self,
        report: &FeedReport,
        validators: Option<&Validators>,
    ) -> Result<(), StoreError>;

    /// Appends an event (not an alert: see [`StoreTx::insert_alert`]) to the outbox.
    fn append(&mut self, event: &Event) -> Result<i64, StoreError>;

    /// Saves what a silence rule learned of one subject.
    fn save_silence(&mut self, record: &SilenceRecord) -> Result<(), StoreError>;

    /// Records evidence for a risk factor (once per item, rule, country and factor).
    fn insert_evidence(
        &mut self,
        evidence: &crate::rules::evidence::Evidence,
    ) -> Result<(), StoreError>;

    /// Records the countries the tagger read in an item (the source stated none).
    fn set_item_countries(
        &mut self,
        feed: &str,
        key: &str,
        countries: &[CountryCode],
    ) -> Result<(), StoreError>;

    /// Records a later revision of a stored alert (its publishers and revision) and appends
    /// the whole alert, as stored, to the outbox; false when no alert has its id.
    fn revise_alert(&mut self, alert: &Alert) -> Result<bool, StoreError>;

    /// Saves an item rule's corroboration of one story in one country.
    fn save_corroboration(&mut self, record: &CorroborationRecord) -> Result<(), StoreError>;
}

/// A stored item as story grouping is rebuilt from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryItem {
    /// The item as stored (without its values).
    pub item: Item,
    /// When it was first seen.
    pub first_seen: DateTime<Utc>,
    /// The story it was filed under.
    pub story: i64,
}
