//! Wires feeds → engine → store → outputs, and supervises them. One task per feed polls on its
//! own schedule (a panic inside one becomes that feed's error, and it polls again at its next
//! interval); one loop owns the engine and the store and commits every poll that is waiting in
//! one transaction, appending its events to the outbox; consumers such as standard output read
//! the outbox on threads of their own, so a slow reader never holds up collection.

pub mod desk;
mod feeds;
mod health;
pub mod ingest;
pub mod metrics;
mod poll;
pub mod serve;

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use self::feeds::{FeedTasks, Spawner};
use self::health::StoreHealth;
use self::ingest::{process, restore};
use self::poll::Poll;
use crate::config::Config;
use crate::feed::fetch::Fetcher;
use crate::outputs::{Delivery, DeliveryError, LineSink, Stop};
use crate::rules::clock::Clock;
use crate::rules::engine::Engine;
use crate::store::cursor::CURSOR_FILE;
use crate::store::lock::{DataLock, LockError};
use crate::store::{Heartbeat, SqliteStore, Store, StoreError};

/// How often the collector writes its heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long shutdown waits for a consumer that is blocked writing.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// Polls committed in one transaction at most.
const BATCH_POLLS: usize = 64;
/// The standard output consumer's name in the outbox.
pub const STDOUT: &str = "stdout";

/// The outbox consumers `config` runs: standard output and its notification targets. Any
/// other recorded in the store is retired, so a removed target holds no events back.
fn known_consumers(config: &Config) -> Vec<String> {
    let mut names = vec![STDOUT.to_string()];
    names.extend(crate::outputs::notify::consumer_names(config));
    names
}

fn retire_others(store: &mut SqliteStore, config: &Config) -> Result<(), StoreError> {
    let known = known_consumers(config);
    let keep: Vec<&str> = known.iter().map(String::as_str).collect();
    for gone in store.retire_consumers(&keep)? {
        info!("consumer {gone:?} is no longer configured; its position is forgotten");
    }
    Ok(())
}

/// Why the monitor could not run.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// Another collector owns the data directory.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The rules could not be compiled.
    #[error("compiling rules: {0}")]
    Rules(#[from] aho_corasick::BuildError),
    /// Delivery to an output failed.
    #[error(transparent)]
    Delivery(Arc<DeliveryError>),
}

impl MonitorError {
    /// Whether the error is the reader of standard output going away (`| head`), a normal way
    /// to stop.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Delivery(d) if matches!(&**d, DeliveryError::Sink(e) if e.kind() == std::io::ErrorKind::BrokenPipe))
    }
}

/// What a screen knows of the monitor running beside it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MonitorState {
    /// Opening the store.
    #[default]
    Starting,
    /// The store is open and feeds are polled.
    Running,
    /// Writes to the store fail; collection goes on and retries.
    StoreFailing(String),
    /// The monitor stopped, with why.
    Stopped(String),
}

/// Ways for a screen to follow and steer a running monitor.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    /// Notified after every change written to the database.
    pub changed: Option<Arc<tokio::sync::Notify>>,
    /// Per feed id: notify to poll that feed now.
    pub poll_now: HashMap<String, Arc<tokio::sync::Notify>>,
    /// The monitor's state, as it changes.
    pub state: Option<Arc<watch::Sender<MonitorState>>>,
    /// New configs to run (`systemctl reload`, SIGHUP): already loaded and valid.
    pub reload: Option<watch::Receiver<Option<Arc<Config>>>>,
}

impl Hooks {
    /// Hooks with a poll-now handle for every feed of the config.
    pub fn for_config(config: &Config) -> Self {
        Self {
            changed: Some(Arc::new(tokio::sync::Notify::new())),
            poll_now: config
                .feeds
                .iter()
                .map(|f| (f.id.clone(), Arc::new(tokio::sync::Notify::new())))
                .collect(),
            state: Some(Arc::new(watch::channel(MonitorState::Starting).0)),
            reload: None,
        }
    }

    fn changed(&self) {
        if let Some(n) = &self.changed {
            n.notify_waiters();
        }
    }

    /// Publishes a new state; watchers (a screen, which redraws) hear only of changes.
    fn set_state(&self, s: MonitorState) {
        if let Some(tx) = &self.state {
            tx.send_if_modified(|old| {
                let changed = *old != s;
                *old = s;
                changed
            });
        }
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Poll every enabled feed once, then stop.
    pub once: bool,
    /// First polls are spread over at most this long.
    pub spread: Duration,
    /// Divide every feed's interval by this (the demo's speed).
    pub speed: f64,
    /// Keep every response body here (`headless --archive`).
    pub archive: Option<crate::feed::archive::Archive>,
    /// Count polls and alerts here (`headless --metrics`).
    pub metrics: Option<Arc<metrics::Metrics>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            once: false,
            spread: Duration::from_secs(10),
            speed: 1.0,
            archive: None,
            metrics: None,
        }
    }
}

/// Runs the monitor until `shutdown` resolves (or, with `once`, until every feed has reported
/// and every event is written). With a `sink`, events are written to it as JSON lines by the
/// standard output consumer.
pub async fn run(
    config: Arc<Config>,
    data_dir: &Path,
    sink: Option<Box<dyn LineSink>>,
    clock: Arc<dyn Clock>,
    options: Options,
    hooks: Hooks,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MonitorError> {
    let result = run_inner(config, data_dir, sink, clock, options, &hooks, shutdown).await;
    hooks.set_state(MonitorState::Stopped(match &result {
        Ok(()) => "stopped".into(),
        Err(e) => e.to_string(),
    }));
    hooks.changed();
    result
}

#[allow(clippy::too_many_lines)]
async fn run_inner(
    config: Arc<Config>,
    data_dir: &Path,
    sink: Option<Box<dyn LineSink>>,
    clock: Arc<dyn Clock>,
    options: Options,
    hooks: &Hooks,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MonitorError> {
    std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Directory {
        path: data_dir.to_path_buf(),
        message: format!("cannot create it: {e}"),
    })?;
    let _lock = DataLock::acquire(data_dir)?;
    let mut store = tokio::task::block_in_place(|| SqliteStore::open(data_dir))?;
    store.keep_search_index();
    crate::store::share_with_group(data_dir);
    // Screens attach with the data directory alone: they read what to show from here.
    store.publish_screen_config(&crate::config::ScreenConfig::from(&*config))?;
    let started = clock.now();
    retire_others(&mut store, &config)?;
    // Consumers register their positions before anything is pruned, so nothing they have not
    // passed is removed.
    let mut delivery = match sink {
        Some(sink) => Some(
            Delivery::start(data_dir, STDOUT, CURSOR_FILE, sink)
                .map_err(|e| MonitorError::Delivery(Arc::new(e)))?,
        ),
        None => None,
    };
    let mut notifier = start_notifier(&config, data_dir);
    let mut engine = Engine::new(&config)?;
    crate::memory::return_freed();
    restore(&store, &mut engine, &config, started)?;
    let pruned = store.prune(crate::time::before(started, config.settings.retain))?;
    Store::size_cache(&mut store)?;
    debug!(pruned, "pruned old rows");
    // Who we are is read once; each beat only moves the time.
    let mut sign = Heartbeat {
        at: started,
        started,
        pid: std::process::id(),
        host: crate::store::lock::hostname(),
    };
    beat(&mut store, &mut sign, started);
    hooks.set_state(MonitorState::Running);
    hooks.changed();

    let mut config = config;
    // Parsed polls wait here; bounded so that queued bodies stay inside the memory figure.
    let (tx, mut rx) = mpsc::channel::<Poll>(Fetcher::queue_len(&config.settings));
    let enabled = config.feeds.iter().filter(|f| f.enabled).count();
    let mut spawner = Spawner {
        fetcher: Fetcher::new(&config.settings)?,
        tx,
        clock: clock.clone(),
        options: options.clone(),
        hooks: hooks.clone(),
        resume: false,
    };
    let mut feeds = FeedTasks::new();
    feeds.apply(&config, &store, &spawner, false)?;
    // One round ends when every task has reported and ended: nothing may hold a sender then.
    // A collector that runs on keeps one, to start the feeds a reload adds.
    let (dummy, _) = mpsc::channel::<Poll>(1);
    if options.once {
        spawner.tx = dummy;
    }
    let mut reloads = hooks.reload.clone();

    let mut reported = 0usize;
    let mut health = StoreHealth::default();
    let mut tick = tokio::time::interval(Duration::from_secs(15));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut outbox_tick = tokio::time::interval(Duration::from_secs(60));
    outbox_tick.reset();
    let mut prune_tick = tokio::time::interval(Duration::from_secs(3600));
    prune_tick.reset();
    tokio::pin!(shutdown);
    let mut interrupted = false;
    let all_reported = |n: usize| options.once && n >= enabled;
    let outcome: Result<(), MonitorError> = 'run: {
        if all_reported(0) {
            break 'run Ok(());
        }
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => {
                    info!("shutting down");
                    interrupted = true;
                    break 'run Ok(());
                }
                r = stopped(&mut delivery) => {
                    break 'run r.map_err(MonitorError::Delivery);
                }
                // The timers come before the polls: they are rare, and a steady stream of
                // polls must never starve the heartbeat or the pruning.
                _ = tick.tick() => {
                    let now = clock.now();
                    let written = tokio::task::block_in_place(|| {
                        store.write(|tx| ingest::tick(tx, &mut engine, now))
                    });
                    match written {
                        Ok((wrote, by_severity)) => {
                            count_alerts(options.metrics.as_deref(), &by_severity);
                            if wrote {
                                wake(&delivery);
                                wake_notifier(&notifier);
                                hooks.changed();
                            }
                        }
                        // The engine moves on; statuses are recomputed and silences raised
                        // again next tick (their ids keep them from repeating).
                        Err(e) => health.failed(&e, now, hooks),
                    }
                }
                _ = heartbeat.tick() => {
                    tokio::task::block_in_place(|| beat(&mut store, &mut sign, clock.now()));
                }
                _ = outbox_tick.tick() => {
                    if let Err(e) = tokio::task::block_in_place(|| store.prune_outbox()) {
                        warn!("pruning the outbox failed: {e}");
                    }
                    if let Err(e) = Store::size_cache(&mut store) {
                        warn!("sizing the page cache: {e}");
                    }
                    // `watchfloor baseline import` may have run since: take its values.
                    match tokio::task::block_in_place(|| store.baseline()) {
                        Ok(imported) => engine.set_imported_baseline(&imported),
                        Err(e) => warn!("reading the imported baseline: {e}"),
                    }
                }
                _ = prune_tick.tick() => {
                    let cutoff = crate::time::before(clock.now(), config.settings.retain);
                    if let Err(e) = tokio::task::block_in_place(|| store.prune(cutoff)) {
                        warn!("pruning failed: {e}");
                    }
                }
                new = next_reload(&mut reloads) => {
                    let now = clock.now();
                    match reload(&new, &config, &mut spawner, &mut feeds, &store, now) {
                        Ok(changes) => {
                            engine = Engine::new(&new)?;
                            crate::memory::return_freed();
                            if let Err(e) = restore(&store, &mut engine, &new, now) {
                                warn!("reloading rule state: {e}");
                            }
                            if let Err(e) = store.publish_screen_config(&crate::config::ScreenConfig::from(&*new)) {
                                warn!("publishing the screen's settings: {e}");
                            }
                            info!(
                                added = changes.added, removed = changes.removed,
                                changed = changes.changed, kept = changes.kept,
                                rules = new.rules.len(),
                                "config reloaded from {}", new.path.display()
                            );
                            if notifier.as_ref().is_none_or(|n| !n.same_targets(&new)) {
                                if let Some(old) = notifier.take() {
                                    old.finish(crate::outputs::notify::Mode::Now).await;
                                }
                                if let Err(e) = retire_others(&mut store, &new) {
                                    warn!("retiring removed notification targets: {e}");
                                }
                                notifier = start_notifier(&new, data_dir);
                            }
                            config = new;
                            hooks.changed();
                        }
                        Err(e) => warn!("config reload failed, the running config is kept: {e}"),
                    }
                }
                poll = rx.recv() => {
                    let Some(poll) = poll else { break 'run Ok(()) };
                    let mut polls = vec![poll];
                    while polls.len() < BATCH_POLLS {
                        match rx.try_recv() {
                            Ok(p) => polls.push(p),
                            Err(_) => break,
                        }
                    }
                    let now = clock.now();
                    let began = std::time::Instant::now();
                    let written = tokio::task::block_in_place(|| {
                        store.write(|tx| {
                            let mut stored = Vec::with_capacity(polls.len());
                            for poll in &polls {
                                stored.push(process(tx, &mut engine, poll, now)?);
                            }
                            health.recovered(tx, now)?;
                            Ok(stored)
                        })
                    });
                    if let (Ok(stored), Some(m)) = (&written, options.metrics.as_deref()) {
                        for (report, counts) in stored {
                            m.poll(report);
                            count_alerts(Some(m), &counts.by_severity);
                        }
                    }
                    if let Err(e) = written {
                        // Nothing of these polls is stored: fetch their feeds whole again, and
                        // rebuild the engine from what is stored so nothing counts twice.
                        for p in &polls {
                            feeds.refetch(&p.feed.id);
                        }
                        engine = Engine::new(&config)?;
                        crate::memory::return_freed();
                        if let Err(e) = restore(&store, &mut engine, &config, now) {
                            warn!("reloading rule state: {e}");
                        }
                        health.failed(&e, now, hooks);
                    } else if health.failing.is_none() {
                        hooks.set_state(MonitorState::Running);
                    }
                    reported += polls.len();
                    // Their places in the queue are free for the next fetches.
                    drop(polls);
                    wake(&delivery);
                    wake_notifier(&notifier);
                    hooks.changed();
                    if all_reported(reported) {
                        break 'run Ok(());
                    }
                    // Leave the write lock free for a moment, so a viewer's triage gets in even
                    // when polls arrive faster than they are stored; polls arriving meanwhile
                    // are committed together in the next transaction.
                    // A single round (`--once`) commits as polls come: nobody else writes, and
                    // waiting would only delay the end.
                    if !options.once {
                        let fetcher = &spawner.fetcher;
                        let backlog = rx.capacity() == 0 || fetcher.queue_full();
                        let gap = commit_gap(began.elapsed(), backlog);
                        settle(fetcher, backlog, gap).await;
                    }
                }
            }
        }
    };
    feeds.abort_all();
    feeds.reap();
    if let Some(n) = notifier.take() {
        let how = if options.once && !interrupted {
            crate::outputs::notify::Mode::Drain
        } else {
            crate::outputs::notify::Mode::Now
        };
        for ended in n.finish(how).await {
            if ended.undelivered > 0 {
                warn!(
                    "notify {}: {} event(s) not delivered{}; they stay queued for the next start",
                    ended.target,
                    ended.undelivered,
                    ended.error.map(|e| format!(" ({e})")).unwrap_or_default()
                );
            }
        }
    }
    if let Some(d) = delivery.take() {
        let how = if options.once && !interrupted {
            Stop::Drain
        } else {
            Stop::Now
        };
        let interrupt = async {
            if !interrupted {
                (&mut shutdown).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        match d.finish(how, SHUTDOWN_GRACE, interrupt).await {
            Some(Err(e)) if outcome.is_ok() => return Err(MonitorError::Delivery(e)),
            Some(_) => {}
            None => warn!(
                "standard output is not being read; undelivered events stay in the outbox for the next start"
            ),
        }
    }
    outcome
}

/// The next config a reload brings; never resolves without a reload channel.
async fn next_reload(rx: &mut Option<watch::Receiver<Option<Arc<Config>>>>) -> Arc<Config> {
    loop {
        let Some(r) = rx else {
            return std::future::pending().await;
        };
        if r.changed().await.is_err() {
            *rx = None;
            continue;
        }
        if let Some(c) = r.borrow_and_update().clone() {
            return c;
        }
    }
}

/// Moves the poll tasks to `new`: a new HTTP client when the settings changed (every task
/// restarts then), else only the feeds that changed.
fn reload(
    new: &Config,
    old: &Config,
    spawner: &mut Spawner,
    feeds: &mut FeedTasks,
    store: &SqliteStore,
    _now: DateTime<Utc>,
) -> Result<feeds::FeedChanges, MonitorError> {
    let settings_changed = format!("{:?}", new.settings) != format!("{:?}", old.settings);
    if settings_changed {
        spawner.fetcher = Fetcher::new(&new.settings)?;
    }
    let changes = feeds.apply(new, store, spawner, settings_changed)?;
    feeds.reap();
    Ok(changes)
}

/// Counts committed alerts, by severity in [`crate::config::Severity::ALL`] order.
fn count_alerts(metrics: Option<&metrics::Metrics>, by_severity: &[u64; 5]) {
    let Some(m) = metrics else { return };
    for (s, n) in crate::config::Severity::ALL.iter().zip(by_severity) {
        m.alerts(*s, *n);
    }
}

/// Commits start at most this often: polls arriving in between share one transaction (one
/// fsync, each page written once), at the cost of at most this much delay before an alert
/// is printed.
const COMMIT_EVERY: Duration = Duration::from_millis(250);

/// The pause after a commit that took `took`: the rest of [`COMMIT_EVERY`] while polls trickle
/// in, and a quarter of the commit's own time when the poll queue is full (at least 2 ms, at
/// most 250 ms), so other writers always find a gap and a backlog is never made to wait.
fn commit_gap(took: Duration, backlog: bool) -> Duration {
    let rest = if backlog {
        Duration::ZERO
    } else {
        COMMIT_EVERY.saturating_sub(took)
    };
    rest.max(took / 4)
        .clamp(Duration::from_millis(2), Duration::from_millis(250))
}

/// Waits `gap`, or less once the poll queue fills (the fetchers would otherwise wait on it).
/// Woken by the fetcher that takes the last place, never by polling.
async fn settle(fetcher: &Fetcher, backlog: bool, gap: Duration) {
    if backlog {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(gap) => {}
        () = fetcher.queue_filled() => {}
    }
}

async fn stopped(delivery: &mut Option<Delivery>) -> Result<(), Arc<DeliveryError>> {
    match delivery {
        Some(d) => d.stopped().await,
        None => std::future::pending().await,
    }
}

/// Starts the notification targets; a failure to start them is logged, not fatal: alerts
/// still reach the outbox and standard output, and the targets catch up at the next start.
fn start_notifier(config: &Config, data_dir: &Path) -> Option<crate::outputs::notify::Notifier> {
    if config.notify.iter().all(|t| !t.enabled) {
        return None;
    }
    match tokio::task::block_in_place(|| crate::outputs::notify::Notifier::start(config, data_dir))
    {
        Ok(n) => Some(n),
        Err(e) => {
            warn!("notification targets not started: {e}");
            None
        }
    }
}

fn wake_notifier(n: &Option<crate::outputs::notify::Notifier>) {
    if let Some(n) = n {
        n.wake();
    }
}

fn wake(delivery: &Option<Delivery>) {
    if let Some(d) = delivery {
        d.wake();
    }
}

fn beat(store: &mut SqliteStore, sign: &mut Heartbeat, now: DateTime<Utc>) {
    sign.at = now;
    if let Err(e) = store.heartbeat(sign) {
        warn!("writing the heartbeat: {e}");
    }
}
