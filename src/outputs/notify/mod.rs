//! Notifications: every `[[notify]]` target is a named consumer of the outbox
//! (`notify:<id>`) with its own task, database connection and cursor, so delivery is at least
//! once and survives restarts, and a slow or failing target holds up nobody. A repeat can only
//! be the message that was in flight when the target or the collector stopped.

mod message;
mod send;
mod shape;
mod worker;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

pub use self::message::{Message, Queued};
pub use self::send::SendError;
pub use self::shape::{Outgoing, shape, signature, webhook_body};
pub use self::worker::{Ended, Mode};
use crate::config::{Config, NotifyConfig};
use crate::store::{AnyStore, Store, StoreAddress, StoreError};

/// The outbox consumer name of a target.
pub fn consumer_name(id: &str) -> String {
    format!("notify:{id}")
}

/// The consumer names of a config's enabled targets.
pub fn consumer_names(config: &Config) -> Vec<String> {
    config
        .notify
        .iter()
        .filter(|t| t.enabled)
        .map(|t| consumer_name(&t.id))
        .collect()
}

/// The running targets.
#[derive(Debug)]
pub struct Notifier {
    tasks: Vec<(String, tokio::task::JoinHandle<Ended>)>,
    mode: watch::Sender<Mode>,
    wake: Arc<Notify>,
    /// Each target's time limit, for the drain bound.
    longest: Duration,
    targets: Vec<NotifyConfig>,
}

impl Notifier {
    /// Starts a task per enabled target of `config` over the database in `dir`. A target met
    /// for the first time starts at the end of the outbox: it hears of what happens from now
    /// on, not of the history.
    pub fn start(config: &Config, dir: &Path) -> Result<Self, StoreError> {
        Self::start_on(config, &StoreAddress::Sqlite(dir.to_path_buf()))
    }

    /// Starts a task per enabled target of `config` over the store at `address`.
    pub fn start_on(config: &Config, address: &StoreAddress) -> Result<Self, StoreError> {
        let (mode, ctl) = watch::channel(Mode::Run);
        let wake = Arc::new(Notify::new());
        let clients = send::clients(&config.settings).map_err(|e| StoreError::Address {
            store: address.label(),
            message: format!("notification HTTP client: {e}"),
        })?;
        let mut tasks = Vec::new();
        let mut longest = Duration::ZERO;
        for target in config.notify.iter().filter(|t| t.enabled) {
            let mut store = AnyStore::open_existing(address)?;
            store.set_cache_kib(256)?;
            let consumer = consumer_name(&target.id);
            let read_upto = match store.consumer(&consumer)? {
                Some(seq) => seq,
                None => {
                    let end = store.outbox_end()?;
                    store.set_consumer(&consumer, end)?;
                    end
                }
            };
            longest = longest.max(target.timeout);
            let w = worker::Worker {
                target: Arc::new(target.clone()),
                store,
                clients: clients.clone(),
                consumer,
                read_upto,
                ctl: ctl.clone(),
                wake: wake.clone(),
            };
            tasks.push((target.id.clone(), tokio::spawn(w.run())));
        }
        Ok(Self {
            tasks,
            mode,
            wake,
            longest,
            targets: config.notify.clone(),
        })
    }

    /// Whether `config` names the same targets, configured the same way.
    pub fn same_targets(&self, config: &Config) -> bool {
        self.targets == config.notify
    }

    /// Tells every target that new events were committed.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Stops every target: with [`Mode::Drain`] after it delivered what the outbox holds (each
    /// makes a few attempts, each within its time limit), else at once. What each could not
    /// deliver stays in the outbox for the next start.
    pub async fn finish(self, how: Mode) -> Vec<Ended> {
        let _ = self.mode.send(how);
        self.wake.notify_waiters();
        // A draining target makes three attempts per message at most, each within its time
        // limit, with short pauses between: that bounds the wait.
        let bound = match how {
            Mode::Drain => self.longest * 4 + Duration::from_secs(10),
            _ => self.longest + Duration::from_secs(2),
        };
        let deadline = Instant::now() + bound;
        let mut out = Vec::new();
        for (id, task) in self.tasks {
            let left = deadline.saturating_duration_since(Instant::now());
            let abort = task.abort_handle();
            match tokio::time::timeout(left, task).await {
                Ok(Ok(ended)) => out.push(ended),
                Ok(Err(e)) => out.push(Ended {
                    target: id,
                    undelivered: 0,
                    error: Some(if e.is_panic() {
                        "the target's task failed".into()
                    } else {
                        "stopped".into()
                    }),
                }),
                Err(_) => {
                    abort.abort();
                    out.push(Ended {
                        target: id,
                        undelivered: 0,
                        error: Some("still sending when the collector stopped".into()),
                    });
                }
            }
        }
        out
    }
}

/// Sends a test message through one target; how long it took.
pub async fn send_test(config: &Config, target: &NotifyConfig) -> Result<Duration, SendError> {
    send_message(config, target, &Message::test(&target.id)).await
}

/// Sends one message through one target, once (the caller retries); how long it took.
pub async fn send_message(
    config: &Config,
    target: &NotifyConfig,
    message: &Message,
) -> Result<Duration, SendError> {
    let clients = send::clients(&config.settings).map_err(|e| SendError {
        message: format!("building the HTTP client: {e}"),
        retry_after: None,
    })?;
    let started = Instant::now();
    let out = shape(&target.kind, message);
    send::send(&clients, &out, target.timeout)
        .await
        .map_err(|mut e| {
            e.message = crate::feed::fetch::redact(&e.message, &target.secrets);
            e
        })?;
    Ok(started.elapsed())
}
