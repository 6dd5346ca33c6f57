//! The poll tasks: one per enabled feed. A config reload keeps the task of every feed whose
//! configuration did not change (its schedule, backoff and validators go on), stops those of
//! feeds removed or disabled, and starts the rest.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::Hooks;
use super::Options;
use super::poll::{Poll, PollTask, Refetch, poll_feed};
use crate::config::{Config, FeedConfig};
use crate::feed::fetch::Fetcher;
use crate::rules::clock::Clock;
use crate::store::{Store, StoreError};

struct Running {
    abort: AbortHandle,
    /// The feed's configuration as its task runs it.
    fingerprint: String,
    refetch: Refetch,
}

/// What a reload changed among the feeds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FeedChanges {
    /// Feeds polled now that were not before.
    pub added: usize,
    /// Feeds no longer polled.
    pub removed: usize,
    /// Feeds polled before and now, with another configuration.
    pub changed: usize,
    /// Feeds whose task goes on as it was.
    pub kept: usize,
}

/// Everything a poll task is started with, besides its feed.
pub(super) struct Spawner {
    pub(super) fetcher: Fetcher,
    pub(super) tx: mpsc::Sender<Poll>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) options: Options,
    pub(super) hooks: Hooks,
    /// Whether a feed starts where its schedule stood (its last poll's `next_poll` in the
    /// store), as when collectors of a desk hand feeds over; else first polls are spread.
    pub(super) resume: bool,
}

/// The running poll tasks, by feed id.
pub(super) struct FeedTasks {
    tasks: JoinSet<()>,
    running: HashMap<String, Running>,
}

fn fingerprint(feed: &FeedConfig) -> String {
    format!("{feed:?}")
}

impl FeedTasks {
    /// No tasks yet.
    pub(super) fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            running: HashMap::new(),
        }
    }

    /// Brings the tasks in line with `config`: unchanged feeds keep their task (unless
    /// `restart_all`, when the HTTP settings changed), the rest start or stop.
    pub(super) fn apply(
        &mut self,
        config: &Config,
        store: &impl Store,
        spawner: &Spawner,
        restart_all: bool,
    ) -> Result<FeedChanges, StoreError> {
        let mut changes = FeedChanges::default();
        let wanted: HashMap<&str, &FeedConfig> = config
            .feeds
            .iter()
            .filter(|f| f.enabled)
            .map(|f| (f.id.as_str(), f))
            .collect();
        let ids: Vec<String> = self.running.keys().cloned().collect();
        let mut restarted: Vec<String> = Vec::new();
        for id in ids {
            let keep = !restart_all
                && wanted
                    .get(id.as_str())
                    .is_some_and(|f| self.running[&id].fingerprint == fingerprint(f));
            if keep {
                changes.kept += 1;
                continue;
            }
            if let Some(old) = self.running.remove(&id) {
                old.abort.abort();
            }
            if wanted.contains_key(id.as_str()) {
                changes.changed += 1;
                restarted.push(id);
            } else {
                changes.removed += 1;
            }
        }
        for feed in config.feeds.iter().filter(|f| f.enabled) {
            if self.running.contains_key(&feed.id) {
                continue;
            }
            if !restarted.contains(&feed.id) {
                changes.added += 1;
            }
            self.spawn(feed, config, store, spawner)?;
        }
        Ok(changes)
    }

    fn spawn(
        &mut self,
        feed: &FeedConfig,
        config: &Config,
        store: &impl Store,
        spawner: &Spawner,
    ) -> Result<(), StoreError> {
        let refetch: Refetch = Arc::new(AtomicBool::new(false));
        let start = if spawner.resume {
            store.next_poll(&feed.id)?.map(|at| {
                (at - spawner.clock.now())
                    .to_std()
                    .unwrap_or(std::time::Duration::ZERO)
            })
        } else {
            None
        };
        let abort = self.tasks.spawn(poll_feed(PollTask {
            fetcher: spawner.fetcher.clone(),
            tx: spawner.tx.clone(),
            clock: spawner.clock.clone(),
            options: spawner.options.clone(),
            max_items: config.settings.max_items,
            failures: store.failures(&feed.id)?,
            validators: store.validators(&feed.id)?,
            poll_now: spawner.hooks.poll_now.get(&feed.id).cloned(),
            refetch: refetch.clone(),
            start,
            feed: Arc::new(feed.clone()),
        }));
        self.running.insert(
            feed.id.clone(),
            Running {
                abort,
                fingerprint: fingerprint(feed),
                refetch,
            },
        );
        Ok(())
    }

    /// Makes the feed's next fetch a full one (its last poll could not be stored).
    pub(super) fn refetch(&self, feed: &str) {
        if let Some(r) = self.running.get(feed) {
            r.refetch.store(true, Ordering::Relaxed);
        }
    }

    /// Stops every task.
    pub(super) fn abort_all(&mut self) {
        self.tasks.abort_all();
        self.running.clear();
    }

    /// Reaps finished tasks (a feed's loop ends only when the monitor stops or with `once`).
    pub(super) fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
    }
}
