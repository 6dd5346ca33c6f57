//! The collector's own storage health: when writes fail, since when and why, reported as
//! `store` events once writes work again.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::{Hooks, MonitorState};
use crate::event::{Event, StoreReport};
use crate::store::{StoreError, StoreTx};

/// Whether writes to the store fail, since when and why; reported once it recovers.
#[derive(Debug, Default)]
pub(super) struct StoreHealth {
    pub(super) failing: Option<(DateTime<Utc>, String)>,
}

impl StoreHealth {
    pub(super) fn failed(&mut self, e: &StoreError, now: DateTime<Utc>, hooks: &Hooks) {
        let why = if e.is_full() {
            format!("disk full: {e}")
        } else {
            e.to_string()
        };
        if self.failing.is_none() {
            warn!("storing polls failed; collection goes on and retries: {why}");
        }
        let since = self.failing.as_ref().map_or(now, |(s, _)| *s);
        self.failing = Some((since, why.clone()));
        hooks.set_state(MonitorState::StoreFailing(why));
    }

    /// Inside a transaction that is about to commit: the failure and the recovery as events.
    pub(super) fn recovered(
        &mut self,
        tx: &mut impl StoreTx,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some((since, why)) = &self.failing {
            tx.append(&Event::Store(StoreReport {
                at: *since,
                ok: false,
                since: Some(*since),
                error: Some(why.clone()),
            }))?;
            tx.append(&Event::Store(StoreReport {
                at: now,
                ok: true,
                since: Some(*since),
                error: Some(why.clone()),
            }))?;
            info!("storing polls works again");
            self.failing = None;
        }
        Ok(())
    }
}
