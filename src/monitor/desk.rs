//! A collector on a desk: several collectors share one PostgreSQL store.
//!
//! - **Feeds and notification targets** are leased: each collector renews its leases every
//!   quarter of `[store] lease`, gives back what is above its share (the feeds and targets over
//!   the collectors alive) and claims free or expired ones up to it, so a feed is polled and a
//!   target delivered by one collector at a time, a collector that dies loses them after one
//!   lease, and one that comes back takes its share again. A target's new holder goes on from
//!   its position in the store.
//! - **Rules** are evaluated in one place: collectors queue what each poll brought, and the
//!   leader (whoever holds an advisory lock on its own session; a takeover when it dies) stores
//!   the queue in order and runs the one engine over it, with the engine's clock tick and
//!   pruning. Windows, spikes, stories, silence and risk-factor evidence therefore give the
//!   same alerts however the feeds are split, and a new leader rebuilds the engine from the
//!   store (as any collector does at start).
//! - **Standard output** prints the events raised from this collector's own polls (and, for the
//!   leader, its clock's); `watchfloor tail` gives the whole desk's stream.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::feeds::{FeedTasks, Spawner};
use super::ingest::{Outcome, process_outcome, restore, tick};
use super::poll::Poll;
use super::{HEARTBEAT, Hooks, MonitorError, Options};
use crate::config::Config;
use crate::feed::fetch::Fetcher;
use crate::outputs::LineSink;
use crate::rules::clock::Clock;
use crate::rules::engine::Engine;
use crate::store::address::PgAddress;
use crate::store::postgres::desk::Claim;
use crate::store::postgres::schema::PENDING_CHANNEL;
use crate::store::{Heartbeat, PgStore, Store};

/// Queued polls the leader stores in one transaction at most.
const BATCH: i64 = 64;
/// How often the leader runs the engine's clock.
const TICK: Duration = Duration::from_secs(15);

/// This collector's name on the desk: host and process id.
pub fn collector_name(host: &str, pid: u32) -> String {
    format!("{host}:{pid}")
}

/// How a collector's run on the desk ended.
#[derive(Debug)]
pub enum Ended {
    /// `shutdown` resolved, or polling ended.
    Stopped,
    /// A new config came (SIGHUP): the collector has left the desk cleanly (its leases given
    /// back, its standard output drained) and joins again with this config.
    Reload(Arc<Config>),
}

/// Runs one collector of a desk until `shutdown` resolves, or until a new config arrives on
/// `reloads`. With `options.once`, a single round: it claims the feeds no collector holds,
/// polls each once, waits for the leader to store them, prints its events and leaves.
pub async fn run(
    config: Arc<Config>,
    address: PgAddress,
    sink: Option<Box<dyn LineSink>>,
    clock: Arc<dyn Clock>,
    options: Options,
    mut reloads: Option<tokio::sync::watch::Receiver<Option<Arc<Config>>>>,
    shutdown: impl Future<Output = ()>,
) -> Result<Ended, MonitorError> {
    let host = crate::store::lock::hostname();
    let pid = std::process::id();
    let me = collector_name(&host, pid);
    let mut store = tokio::task::block_in_place(|| PgStore::open(&address))?;
    let started = clock.now();
    let mut sign = Heartbeat {
        at: started,
        started,
        pid,
        host,
    };
    // A collector polling once does not join the collectors counted for shares: the others
    // keep theirs, and it takes only what none of them holds.
    let once = options.once;
    if !once {
        tokio::task::block_in_place(|| store.heartbeat(&sign))?;
    }
    // Screens attach with the store's address alone: they read what to show from here.
    if let Err(e) = tokio::task::block_in_place(|| {
        store.publish_screen_config(&crate::config::ScreenConfig::from(&*config))
    }) {
        warn!("publishing the screen's settings: {e}");
    }
    info!("collector {me} joined the desk at {}", store.label());

    let metrics = options.metrics.clone();
    let stop = Arc::new(Stop::default());
    let printer = sink.map(|s| Printer::start(address.clone(), me.clone(), s));
    let label = store.label().to_string();
    let leader = {
        let (address, config, me, clock, stop, metrics) = (
            address.clone(),
            config.clone(),
            me.clone(),
            clock.clone(),
            stop.clone(),
            metrics.clone(),
        );
        std::thread::Builder::new()
            .name("leader".into())
            .spawn(move || lead(&address, &config, &me, &*clock, &stop, metrics.as_deref()))
            .map_err(|e| crate::store::StoreError::Address {
                store: label,
                message: format!("cannot start the leader thread: {e}"),
            })?
    };

    let lease = crate::time::delta(config.store.lease);
    let (tx, mut rx) = mpsc::channel::<Poll>(Fetcher::queue_len(&config.settings));
    let spawner = Spawner {
        fetcher: Fetcher::new(&config.settings)?,
        tx,
        clock: clock.clone(),
        options,
        hooks: Hooks::default(),
        resume: true,
    };
    // Feeds and notification targets are leased alike, so both are shared out by count;
    // a target's lease is its id after `TARGET` (ids cannot hold ':', so none is a feed's).
    let all: Vec<String> = config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| f.id.clone())
        .chain(
            config
                .notify
                .iter()
                // Notification targets stay with the collectors that run on.
                .filter(|t| t.enabled && !once)
                .map(|t| format!("{TARGET}{}", t.id)),
        )
        .collect();
    let feed_count = config.feeds.iter().filter(|f| f.enabled).count();
    let mut targets = Targets::default();
    let mut feeds = FeedTasks::new();
    let mut held: HashSet<String> = HashSet::new();
    let mut renewed = started;
    // With `once`: the feeds whose poll is queued, and whether the leases were claimed.
    let mut reported: HashSet<String> = HashSet::new();
    let mut claimed = false;
    let mut round_done = false;
    let mut heartbeat = tokio::time::interval(HEARTBEAT.min(config.store.lease / 3));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leases = tokio::time::interval(config.store.lease / 4);
    leases.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let outcome = loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break Ok(Ended::Stopped),
            new = super::next_reload(&mut reloads) => break Ok(Ended::Reload(new)),
            _ = heartbeat.tick(), if !once => {
                sign.at = clock.now();
                match tokio::task::block_in_place(|| store.heartbeat(&sign)) {
                    Ok(()) => {
                        if let Some(m) = &metrics {
                            m.beat(&sign);
                        }
                    }
                    Err(e) => warn!("writing the heartbeat: {e}"),
                }
                if let Some(p) = &printer && let Some(e) = p.failed() {
                    break Err(e);
                }
            }
            _ = leases.tick() => {
                let now = clock.now();
                if once && claimed {
                    if let Err(e) = tokio::task::block_in_place(|| store.renew_leases(&me, lease, now)) {
                        warn!("renewing feed leases: {e}");
                    }
                    continue;
                }
                if once {
                    claimed = true;
                    held = tokio::task::block_in_place(|| store.lease_round(&me, &all, lease, now, Claim::AllFree))?
                        .into_iter()
                        .collect();
                    let others = feed_count.saturating_sub(held.len());
                    info!("collector {me} polls {} of {feed_count} feeds once; {others} are held by collectors that poll them", held.len());
                    if held.is_empty() {
                        break Ok(Ended::Stopped);
                    }
                    feeds.apply(&only(&config, &held), &store, &spawner, false)?;
                    continue;
                }
                match tokio::task::block_in_place(|| store.lease_round(&me, &all, lease, now, Claim::Share)) {
                    Ok(now_held) => {
                        renewed = now;
                        let now_held: HashSet<String> = now_held.into_iter().collect();
                        if now_held != held {
                            let n = now_held.iter().filter(|h| !h.starts_with(TARGET)).count();
                            info!(feeds = n, "collector {me} holds {n} of {feed_count} feeds");
                            held = now_held;
                            feeds.apply(&only(&config, &held), &store, &spawner, false)?;
                            targets.hold(&config, &address, &held).await;
                        }
                    }
                    Err(e) => {
                        warn!("renewing feed leases: {e}");
                        // Past its lease another collector may hold the feed: stop polling.
                        if now - renewed > lease && !held.is_empty() {
                            warn!("leases not renewed for {}s; polling stops until they are", (now - renewed).num_seconds());
                            held.clear();
                            feeds.apply(&only(&config, &held), &store, &spawner, false)?;
                            targets.hold(&config, &address, &held).await;
                        }
                    }
                }
                feeds.reap();
            }
            poll = rx.recv() => {
                let Some(poll) = poll else { break Ok(Ended::Stopped) };
                let outcome = Outcome::of(&poll);
                let now = clock.now();
                match tokio::task::block_in_place(|| store.queue(&me, &outcome, now)) {
                    Ok(()) => {
                        if let Some(m) = &metrics {
                            m.polled(&outcome.feed, outcome.ok(), outcome.not_modified, now);
                        }
                    }
                    Err(e) if once => {
                        // A single round has no next poll to carry it.
                        warn!(feed = %outcome.feed, "queueing a poll: {e}; what it brought is not stored");
                    }
                    Err(e) => {
                        warn!(feed = %outcome.feed, "queueing a poll: {e}");
                        feeds.refetch(&outcome.feed);
                    }
                }
                if once {
                    reported.insert(outcome.feed.clone());
                    if held.iter().all(|f| reported.contains(f)) {
                        round_done = true;
                        break Ok(Ended::Stopped);
                    }
                }
            }
        }
    };
    feeds.abort_all();
    feeds.reap();
    if round_done {
        // The leader (this collector's own thread, when no other leads) stores the queued
        // polls and raises their alerts; the printer then has them to print.
        drained(
            &mut store,
            &me,
            2 * config.store.lease + Duration::from_secs(30),
        )
        .await;
    }
    targets.hold(&config, &address, &HashSet::new()).await;
    stop.set();
    if let Err(e) = tokio::task::block_in_place(|| store.leave(&me)) {
        warn!("giving back the leases: {e}");
    }
    // The leader sees `stop` between steps; one blocked on the store is left behind.
    if !finished_within(&leader, LEADER_GRACE).await {
        warn!("the leader did not stop within {LEADER_GRACE:?}; leaving it");
    }
    if let Some(p) = printer {
        p.finish(super::SHUTDOWN_GRACE).await;
    }
    outcome
}

/// How a notification target's lease is named among the feeds' (`notify:ID`).
const TARGET: &str = "notify:";

/// The notification targets this collector holds the leases of, and their deliveries.
#[derive(Default)]
struct Targets {
    ids: std::collections::BTreeSet<String>,
    notifier: Option<crate::outputs::notify::Notifier>,
}

impl Targets {
    /// Delivers for the targets leased in `held`, and for no other: when the set changed, the
    /// deliveries stop where they are (their positions are in the store, for the next holder)
    /// and start again for the new set.
    async fn hold(&mut self, config: &Config, address: &PgAddress, held: &HashSet<String>) {
        let ids: std::collections::BTreeSet<String> = held
            .iter()
            .filter_map(|h| h.strip_prefix(TARGET).map(str::to_string))
            .collect();
        if ids == self.ids {
            return;
        }
        if let Some(n) = self.notifier.take() {
            for ended in n.finish(crate::outputs::notify::Mode::Now).await {
                if ended.undelivered > 0 {
                    warn!(
                        "notify {}: {} event(s) not delivered yet; they stay queued for the target's next holder",
                        ended.target, ended.undelivered
                    );
                }
            }
        }
        self.ids = ids;
        if self.ids.is_empty() {
            return;
        }
        let mut mine = config.clone();
        mine.notify
            .retain(|t| t.enabled && self.ids.contains(&t.id));
        let at = crate::store::StoreAddress::Postgres(address.clone());
        match tokio::task::block_in_place(|| crate::outputs::notify::Notifier::start_on(&mine, &at))
        {
            Ok(n) => {
                info!(targets = ?self.ids, "delivering for notification targets");
                self.notifier = Some(n);
            }
            Err(e) => {
                warn!(
                    "notification targets not started: {e}; trying again at the next lease round"
                );
                self.ids.clear();
            }
        }
    }
}

/// `config` with only the feeds in `held`.
fn only(config: &Config, held: &HashSet<String>) -> Config {
    let mut c = config.clone();
    c.feeds.retain(|f| held.contains(&f.id));
    c
}

/// The leader's loop, on a thread of its own: waits for the lock, then stores the queue and
/// runs the engine until it loses the lock or `stop` is set.
fn lead(
    address: &PgAddress,
    config: &Config,
    me: &str,
    clock: &dyn Clock,
    stop: &Stop,
    metrics: Option<&super::metrics::Metrics>,
) {
    let look = config.store.lease / 3;
    while !stop.is_set() {
        // The lock lives as long as this session; a leader that dies lets it go.
        let lock = match PgStore::connect(address) {
            Ok(s) => s,
            Err(e) => {
                warn!("leader election: {e}");
                stop.pause(look);
                continue;
            }
        };
        loop {
            if stop.is_set() {
                return;
            }
            match lock.try_lead() {
                Ok(true) => break,
                Ok(false) => stop.pause(look),
                Err(e) => {
                    warn!("leader election: {e}");
                    stop.pause(look);
                }
            }
        }
        info!("collector {me} leads the desk");
        if let Err(e) = leading(address, config, me, clock, stop, &lock, metrics) {
            warn!("collector {me} stops leading: {e}");
        }
        drop(lock);
    }
}

/// Waits until none of `me`'s polls waits in the queue, at most `limit`. The leader's commits
/// of what they brought wake it (each stored poll writes at least its feed event).
async fn drained(store: &mut PgStore, me: &str, limit: Duration) {
    let started = std::time::Instant::now();
    loop {
        match tokio::task::block_in_place(|| store.pending_from(me)) {
            Ok(0) => return,
            Ok(n) if started.elapsed() >= limit => {
                warn!("{n} polls still wait for the desk's leader; it stores them when it can");
                return;
            }
            Ok(_) => {}
            Err(e) => {
                warn!("reading the poll queue: {e}");
                return;
            }
        }
        // A second at most: a commit between the count and the first wait is not missed.
        if let Err(e) =
            tokio::task::block_in_place(|| store.wait_for_events(Duration::from_secs(1)))
        {
            warn!("waiting for the desk's leader: {e}");
            return;
        }
    }
}

/// The signal that tells the leader thread to stop: set once, it wakes the thread at once
/// from a pause (no sleeping in steps to look at a flag).
#[derive(Debug, Default)]
struct Stop {
    set: Mutex<bool>,
    changed: Condvar,
}

impl Stop {
    fn set(&self) {
        *self.set.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.set.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps up to `d`, waking early when the signal is set.
    fn pause(&self, d: Duration) {
        let set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        drop(
            self.changed
                .wait_timeout_while(set, d, |set| !*set)
                .unwrap_or_else(PoisonError::into_inner),
        );
    }
}

fn leading(
    address: &PgAddress,
    config: &Config,
    me: &str,
    clock: &dyn Clock,
    stop: &Stop,
    lock: &PgStore,
    metrics: Option<&super::metrics::Metrics>,
) -> Result<(), crate::store::StoreError> {
    let mut store = PgStore::open(address)?;
    let fresh = |store: &PgStore, now: DateTime<Utc>| -> Result<Engine, MonitorError> {
        let mut engine = Engine::new(config)?;
        restore(store, &mut engine, config, now)?;
        Ok(engine)
    };
    let mut engine = fresh(&store, clock.now()).map_err(store_error)?;
    let lease = crate::time::delta(config.store.lease);
    let mut last_tick = std::time::Instant::now();
    let mut last_check = std::time::Instant::now();
    let mut last_prune = std::time::Instant::now();
    while !stop.is_set() {
        // Still the leader? The lock's session answers while it lives.
        if last_check.elapsed() >= config.store.lease / 3 {
            lock.ping()?;
            last_check = std::time::Instant::now();
        }
        loop {
            let batch = store.pending(BATCH)?;
            if batch.is_empty() {
                break;
            }
            let now = clock.now();
            let written = store.write(|tx| {
                let mut by_severity = [0u64; 5];
                for p in &batch {
                    tx.set_origin(Some(&p.origin));
                    let (_, counts) = process_outcome(tx, &mut engine, &p.outcome, now)?;
                    for (all, n) in by_severity.iter_mut().zip(counts.by_severity) {
                        *all += n;
                    }
                    tx.take_pending(p.seq)?;
                }
                Ok(by_severity)
            });
            if let Ok(by_severity) = &written {
                super::count_alerts(metrics, by_severity);
            }
            if let Err(e) = written {
                // Nothing of the batch is stored: rebuild the engine from what is, and retry.
                warn!("storing queued polls: {e}");
                engine = fresh(&store, now).map_err(store_error)?;
                stop.pause(Duration::from_secs(1));
                break;
            }
        }
        if last_tick.elapsed() >= TICK {
            let now = clock.now();
            let ticked = store.write(|tx| {
                tx.set_origin(Some(me));
                tick(tx, &mut engine, now)
            });
            match ticked {
                Ok((_, by_severity)) => super::count_alerts(metrics, &by_severity),
                Err(e) => warn!("the engine's tick: {e}"),
            }
            last_tick = std::time::Instant::now();
        }
        if last_prune.elapsed() >= Duration::from_secs(60) {
            if let Err(e) = store.prune_outbox() {
                warn!("pruning the outbox: {e}");
            }
            if let Err(e) = store.retire_dead_collectors(lease, clock.now()) {
                warn!("retiring stopped collectors: {e}");
            }
            last_prune = std::time::Instant::now();
        }
        store.wait_on(PENDING_CHANNEL, Duration::from_millis(250))?;
    }
    Ok(())
}

fn store_error(e: MonitorError) -> crate::store::StoreError {
    match e {
        MonitorError::Store(s) => s,
        other => crate::store::StoreError::Address {
            store: String::new(),
            message: other.to_string(),
        },
    }
}

/// How long a stopping collector waits for its leader thread.
const LEADER_GRACE: Duration = Duration::from_secs(5);

/// Waits up to `grace` for a thread to finish, without joining it; whether it did.
async fn finished_within<T>(h: &std::thread::JoinHandle<T>, grace: Duration) -> bool {
    let until = tokio::time::Instant::now() + grace;
    while !h.is_finished() {
        if tokio::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

const RUN: u8 = 0;
const DRAIN: u8 = 1;

/// Prints this collector's events on standard output from the store, on a thread of its own
/// (a reader that does not read never holds up collection), at least once: its position, in
/// the store as consumer `stdout:NAME`, moves only past lines written.
struct Printer {
    state: Arc<AtomicU8>,
    failed: Arc<std::sync::Mutex<Option<(std::io::ErrorKind, String)>>>,
    done: Option<std::thread::JoinHandle<()>>,
}

impl Printer {
    fn start(address: PgAddress, me: String, mut sink: Box<dyn LineSink>) -> Self {
        let state = Arc::new(AtomicU8::new(RUN));
        let failed = Arc::new(std::sync::Mutex::new(None));
        let (st, fl) = (state.clone(), failed.clone());
        let done = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || {
                if let Err(e) = print(&address, &me, &mut *sink, &st)
                    && let Ok(mut f) = fl.lock()
                {
                    *f = Some(e);
                }
            })
            .ok();
        Self {
            state,
            failed,
            done,
        }
    }

    /// Why printing stopped, if it did.
    fn failed(&self) -> Option<MonitorError> {
        let (kind, e) = self.failed.lock().ok()?.clone()?;
        Some(MonitorError::Delivery(Arc::new(
            crate::outputs::DeliveryError::Sink(std::io::Error::new(kind, e)),
        )))
    }

    async fn finish(mut self, grace: Duration) {
        self.state.store(DRAIN, Ordering::SeqCst);
        // A thread blocked writing to a reader that does not read is left behind (the process
        // ends without it): a join would wait for the reader, and so would the runtime's
        // shutdown if the join ran on its blocking pool.
        if let Some(h) = self.done.take() {
            let _ = finished_within(&h, grace).await;
        }
    }
}

/// Why a round of printing stopped.
enum PrintError {
    /// The store failed: the connection may come back.
    Store(crate::store::StoreError),
    /// Standard output failed: nothing more can be printed.
    Sink(std::io::Error),
}

fn print(
    address: &PgAddress,
    me: &str,
    sink: &mut dyn LineSink,
    state: &AtomicU8,
) -> Result<(), (std::io::ErrorKind, String)> {
    let other = |e: crate::store::StoreError| (std::io::ErrorKind::Other, e.to_string());
    let mut store = PgStore::open_existing(address).map_err(other)?;
    let name = format!("stdout:{me}");
    let mut cursor = store.consumer(&name).map_err(other)?.unwrap_or(0);
    store.set_consumer(&name, cursor).map_err(other)?;
    let mut lost = false;
    loop {
        match print_round(&mut store, me, &name, &mut cursor, sink, state) {
            Ok(true) => return Ok(()),
            Ok(false) => {
                if std::mem::take(&mut lost) {
                    info!("printing this collector's events again");
                }
            }
            Err(PrintError::Sink(e)) => return Err((e.kind(), e.to_string())),
            // Shutting down: what is not printed stays in the store for `tail`.
            Err(PrintError::Store(e)) if state.load(Ordering::SeqCst) == DRAIN => {
                return Err(other(e));
            }
            Err(PrintError::Store(e)) => {
                // A lost connection (a restart, a cut link) stops printing until it is back;
                // the events wait in the store, and the position there moves only past lines
                // written, so nothing is skipped.
                if !std::mem::replace(&mut lost, true) {
                    warn!("reading this collector's events: {e}; trying again every second");
                }
                std::thread::sleep(Duration::from_secs(1));
                if let Err(e) = store.revive() {
                    tracing::debug!("connecting again: {e}");
                }
            }
        }
    }
}

/// Prints what is waiting past `cursor`, or waits for more. `Ok(true)` when draining and
/// nothing is left.
fn print_round(
    store: &mut PgStore,
    me: &str,
    name: &str,
    cursor: &mut i64,
    sink: &mut dyn LineSink,
    state: &AtomicU8,
) -> Result<bool, PrintError> {
    let rows = store
        .outbox_from(me, *cursor, 500)
        .map_err(PrintError::Store)?;
    if let Some(last) = rows.last().map(|r| r.seq) {
        for r in &rows {
            let mut line = crate::event::line(r.seq, &r.body);
            line.push('\n');
            sink.write_line(&line).map_err(PrintError::Sink)?;
        }
        *cursor = last;
        store
            .set_consumer(name, *cursor)
            .map_err(PrintError::Store)?;
        return Ok(false);
    }
    if state.load(Ordering::SeqCst) == DRAIN {
        return Ok(true);
    }
    store
        .wait_for_events(Duration::from_millis(500))
        .map_err(PrintError::Store)?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_ends_when_the_stop_is_set() {
        let stop = Arc::new(Stop::default());
        let setter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                stop.set();
            })
        };
        let started = std::time::Instant::now();
        // An hour's pause: only the signal can end it within the test's life.
        stop.pause(Duration::from_secs(3600));
        assert!(stop.is_set());
        assert!(started.elapsed() < Duration::from_secs(600));
        setter.join().expect("the setter ends");
        // Once set, a pause returns at once.
        stop.pause(Duration::from_secs(3600));
    }
}
