//! Either store behind one type, chosen at run time by the store's address: what the
//! collector, `tail` and the tests hold when they may run on SQLite or PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::address::StoreAddress;
use super::drill::{NoteLine, SearchHit, StatusStep};
use super::postgres::PgStore;
use super::screen::{AlertHit, FeedState};
use super::sqlite::SqliteStore;
use super::{
    Checked, Heartbeat, OutboxRow, PeriodReads, RecentAlert, Store, StoreError, StoreTx, StoryItem,
};
use crate::event::{Alert, Event, FeedReport, Status, StatusChange, Triage};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::geo::CountryCode;
use crate::rules::engine::{CorroborationRecord, SilenceRecord, WindowEntry};
use crate::rules::evidence::FactorRow;

/// A SQLite or a PostgreSQL store.
#[derive(Debug)]
pub enum AnyStore {
    /// One SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

/// A write transaction of either store.
pub struct AnyTx<'t>(&'t mut (dyn StoreTx + 't));

/// Calls the same method on whichever store (or transaction) `$s` holds.
macro_rules! each {
    ($s:expr, $t:ident => $e:expr) => {
        match $s {
            Self::Sqlite($t) => $e,
            Self::Postgres($t) => $e,
        }
    };
}

impl AnyStore {
    /// Where the store is: the database file, or the URL without its password.
    pub fn label(&self) -> String {
        match self {
            Self::Sqlite(s) => s.path().display().to_string(),
            Self::Postgres(s) => s.label().to_string(),
        }
    }

    /// Opens (creating and migrating) the store at `address`.
    pub fn open(address: &StoreAddress) -> Result<Self, StoreError> {
        Ok(match address {
            StoreAddress::Sqlite(dir) => Self::Sqlite(SqliteStore::open(dir)?),
            StoreAddress::Postgres(pg) => Self::Postgres(PgStore::open(pg)?),
        })
    }

    /// Opens a store that exists already, creating nothing.
    pub fn open_existing(address: &StoreAddress) -> Result<Self, StoreError> {
        Ok(match address {
            StoreAddress::Sqlite(dir) => Self::Sqlite(SqliteStore::open_existing(dir)?),
            StoreAddress::Postgres(pg) => Self::Postgres(PgStore::open_existing(pg)?),
        })
    }
}

impl AnyStore {
    /// Outbox events the slowest consumer has not passed (all of them when none is
    /// registered).
    pub fn outbox_pending(&self) -> Result<i64, StoreError> {
        each!(self, s => s.outbox_pending())
    }

    /// Limits a SQLite connection's page cache (a reader of the newest rows needs little);
    /// nothing on PostgreSQL.
    pub fn set_cache_kib(&self, kib: u32) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.set_cache_kib(kib),
            Self::Postgres(_) => Ok(()),
        }
    }

    /// The triage state of one country or alert.
    pub fn triage_of(
        &self,
        target: crate::event::TriageTarget,
        key: &str,
    ) -> Result<super::TriageState, StoreError> {
        each!(self, s => s.triage_of(target, key))
    }

    /// Records how a notification target is doing, for screens.
    pub fn set_notify_row(&mut self, row: &super::snapshot::NotifyRow) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.set_notify_row(row),
            Self::Postgres(s) => s.set_meta(
                &format!("notify:{}", row.id),
                &serde_json::to_string(row).unwrap_or_default(),
            ),
        }
    }

    /// The critical alerts a notification target reminds of, with when each was last sent.
    pub fn notify_reminders(&self, id: &str) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        match self {
            Self::Sqlite(s) => s.notify_reminders(id),
            Self::Postgres(s) => Ok(super::sqlite::snapshot::reminders_from(
                super::screen::ScreenReads::meta_value(s, &format!("notify-reminders:{id}"))?
                    .and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default(),
            )),
        }
    }

    /// Records the critical alerts a notification target reminds of.
    pub fn set_notify_reminders(
        &mut self,
        id: &str,
        reminders: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.set_notify_reminders(id, reminders),
            Self::Postgres(s) => s.set_meta(
                &format!("notify-reminders:{id}"),
                &super::sqlite::snapshot::reminders_json(reminders),
            ),
        }
    }
}

impl Store for AnyStore {
    type Tx<'t> = AnyTx<'t>;

    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self::Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self {
            Self::Sqlite(s) => s.write(|tx| f(&mut AnyTx(tx))),
            Self::Postgres(s) => s.write(|tx| f(&mut AnyTx(tx))),
        }
    }

    fn id(&self) -> &str {
        each!(self, s => s.id())
    }

    fn validators(&self, feed: &str) -> Result<Validators, StoreError> {
        each!(self, s => s.validators(feed))
    }

    fn failures(&self, feed: &str) -> Result<u32, StoreError> {
        each!(self, s => s.failures(feed))
    }

    fn next_poll(&self, feed: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        each!(self, s => s.next_poll(feed))
    }

    fn window_entries(&self, since: DateTime<Utc>) -> Result<Vec<WindowEntry>, StoreError> {
        each!(self, s => s.window_entries(since))
    }

    fn recent_alerts(&self, since: DateTime<Utc>) -> Result<Vec<RecentAlert>, StoreError> {
        each!(self, s => s.recent_alerts(since))
    }

    fn statuses(&self) -> Result<Vec<(CountryCode, Status)>, StoreError> {
        each!(self, s => s.statuses())
    }

    fn silences(&self) -> Result<Vec<SilenceRecord>, StoreError> {
        each!(self, s => s.silences())
    }

    fn corroborations(&self, since: DateTime<Utc>) -> Result<Vec<CorroborationRecord>, StoreError> {
        each!(self, s => s.corroborations(since))
    }

    fn story_alerts(&self, since: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        each!(self, s => s.story_alerts(since))
    }

    fn story_items(&self, since: DateTime<Utc>) -> Result<Vec<StoryItem>, StoreError> {
        each!(self, s => s.story_items(since))
    }

    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        each!(self, s => s.prune(before))
    }

    fn prune_outbox(&mut self) -> Result<usize, StoreError> {
        each!(self, s => s.prune_outbox())
    }

    fn size_cache(&mut self) -> Result<(), StoreError> {
        each!(self, s => Store::size_cache(s))
    }

    fn heartbeat(&mut self, beat: &Heartbeat) -> Result<(), StoreError> {
        each!(self, s => s.heartbeat(beat))
    }

    fn last_heartbeat(&self) -> Result<Option<Heartbeat>, StoreError> {
        each!(self, s => s.last_heartbeat())
    }

    fn evidence_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::rules::evidence::StoredEvidence>, StoreError> {
        each!(self, s => s.evidence_since(since))
    }

    fn factor_alerts_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, CountryCode)>, StoreError> {
        each!(self, s => s.factor_alerts_since(since))
    }

    fn outbox_after(&self, seq: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        each!(self, s => s.outbox_after(seq, limit))
    }

    fn outbox_end(&self) -> Result<i64, StoreError> {
        each!(self, s => s.outbox_end())
    }

    fn consumer(&self, name: &str) -> Result<Option<i64>, StoreError> {
        each!(self, s => s.consumer(name))
    }

    fn set_consumer(&mut self, name: &str, seq: i64) -> Result<(), StoreError> {
        each!(self, s => s.set_consumer(name, seq))
    }

    fn retire_consumers(&mut self, keep: &[&str]) -> Result<Vec<String>, StoreError> {
        each!(self, s => s.retire_consumers(keep))
    }

    fn record_triage(&mut self, t: &Triage) -> Result<(), StoreError> {
        each!(self, s => s.record_triage(t))
    }

    fn snapshot(
        &self,
        config: &crate::config::ScreenConfig,
        now: DateTime<Utc>,
    ) -> Result<super::snapshot::Snapshot, StoreError> {
        each!(self, s => s.snapshot(config, now))
    }

    fn drill(
        &self,
        focus: &super::drill::Focus,
        now: DateTime<Utc>,
    ) -> Result<super::drill::Drill, StoreError> {
        each!(self, s => s.drill(focus, now))
    }

    fn data_version(&self) -> Result<i64, StoreError> {
        each!(self, s => s.data_version())
    }

    fn replace_baseline(
        &mut self,
        estimates: &[crate::baseline::Estimate],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each!(self, s => s.replace_baseline(estimates, at))
    }

    fn baseline(&self) -> Result<Vec<crate::baseline::Estimate>, StoreError> {
        each!(self, s => s.baseline())
    }
}

impl StoreTx for AnyTx<'_> {
    fn check_item(&mut self, item: &Item, now: DateTime<Utc>) -> Result<Checked, StoreError> {
        self.0.check_item(item, now)
    }

    fn save_item(
        &mut self,
        item: &Item,
        now: DateTime<Utc>,
        checked: Checked,
        tagged: &[CountryCode],
        story: Option<i64>,
    ) -> Result<(), StoreError> {
        self.0.save_item(item, now, checked, tagged, story)
    }

    fn touch_unchanged(&mut self, feed: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.0.touch_unchanged(feed, now)
    }

    fn insert_alert(
        &mut self,
        alert: &Alert,
        event_time: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.0.insert_alert(alert, event_time)
    }

    fn insert_window_entry(&mut self, e: &WindowEntry) -> Result<(), StoreError> {
        self.0.insert_window_entry(e)
    }

    fn set_status(&mut self, change: &StatusChange, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.0.set_status(change, at)
    }

    fn record_feed(
        &mut self,
        report: &FeedReport,
        validators: Option<&Validators>,
    ) -> Result<(), StoreError> {
        self.0.record_feed(report, validators)
    }

    fn append(&mut self, event: &Event) -> Result<i64, StoreError> {
        self.0.append(event)
    }

    fn save_silence(&mut self, record: &SilenceRecord) -> Result<(), StoreError> {
        self.0.save_silence(record)
    }

    fn insert_evidence(
        &mut self,
        evidence: &crate::rules::evidence::Evidence,
    ) -> Result<(), StoreError> {
        self.0.insert_evidence(evidence)
    }

    fn set_item_countries(
        &mut self,
        feed: &str,
        key: &str,
        countries: &[CountryCode],
    ) -> Result<(), StoreError> {
        self.0.set_item_countries(feed, key, countries)
    }

    fn revise_alert(&mut self, alert: &Alert) -> Result<bool, StoreError> {
        self.0.revise_alert(alert)
    }

    fn save_corroboration(&mut self, record: &CorroborationRecord) -> Result<(), StoreError> {
        self.0.save_corroboration(record)
    }
}

impl super::screen::ScreenReads for AnyStore {
    fn triage_rows(&self) -> Result<Vec<Triage>, StoreError> {
        each!(self, s => s.triage_rows())
    }

    fn alert_hits(&self, since: DateTime<Utc>) -> Result<Vec<AlertHit>, StoreError> {
        each!(self, s => s.alert_hits(since))
    }

    fn latest_alerts(&self, limit: usize) -> Result<Vec<Alert>, StoreError> {
        each!(self, s => s.latest_alerts(limit))
    }

    fn also_in(&self, feed: &str, item: &str) -> Result<Vec<String>, StoreError> {
        each!(self, s => s.also_in(feed, item))
    }

    fn feed_state(&self, id: &str) -> Result<Option<FeedState>, StoreError> {
        each!(self, s => s.feed_state(id))
    }

    fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        each!(self, s => s.meta_value(key))
    }

    fn factor_sets_in(
        &self,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<HashMap<CountryCode, Vec<u8>>, StoreError> {
        each!(self, s => s.factor_sets_in(window, now))
    }

    fn board_of(
        &self,
        country: CountryCode,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<FactorRow>, StoreError> {
        each!(self, s => s.board_of(country, window, now))
    }

    fn status_history(&self, country: CountryCode) -> Result<Vec<StatusStep>, StoreError> {
        each!(self, s => s.status_history(country))
    }

    fn item_times(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        each!(self, s => s.item_times(country, since))
    }

    fn country_alerts(
        &self,
        country: CountryCode,
        since: DateTime<Utc>,
    ) -> Result<Vec<(i64, Alert)>, StoreError> {
        each!(self, s => s.country_alerts(country, since))
    }

    fn notes(&self, country: CountryCode) -> Result<Vec<NoteLine>, StoreError> {
        each!(self, s => s.notes(country))
    }

    fn poll_reports(&self, feed: &str) -> Result<Vec<FeedReport>, StoreError> {
        each!(self, s => s.poll_reports(feed))
    }

    fn find(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        each!(self, s => s.find(query))
    }

    fn seen_by(&self, who: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        each!(self, s => s.seen_by(who))
    }

    fn mark_seen(&mut self, who: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        each!(self, s => s.mark_seen(who, at))
    }

    fn may_triage(&self) -> Result<bool, StoreError> {
        each!(self, s => s.may_triage())
    }
}

impl PeriodReads for AnyStore {
    fn alerts_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Alert>, StoreError> {
        each!(self, s => s.alerts_between(since, until))
    }

    fn alert_by_id(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        each!(self, s => PeriodReads::alert_by_id(s, id))
    }

    fn revised_at(&self, ids: &[&str]) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        each!(self, s => s.revised_at(ids))
    }

    fn status_changes_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<StatusChange>, StoreError> {
        each!(self, s => s.status_changes_between(since, until))
    }

    fn triage_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Triage>, StoreError> {
        each!(self, s => s.triage_between(since, until))
    }

    fn polls_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<FeedReport>, StoreError> {
        each!(self, s => s.polls_between(since, until))
    }
}
