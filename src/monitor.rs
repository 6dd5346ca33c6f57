//! Wires feeds → engine → store → sink. One task per feed polls on its own schedule (so a slow
//! feed delays nobody); one loop owns the engine and the database, processes each poll in a
//! single transaction, and only then emits its events, so a printed alert is always stored.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::config::{Config, FeedConfig, RuleKind};
use crate::event::{Alert, Event, FeedReport};
use crate::feed::fetch::{Fetcher, Validators};
use crate::feed::item::Item;
use crate::feed::{parse, schedule};
use crate::rules::clock::Clock;
use crate::rules::engine::Engine;
use crate::store::cursor::Cursor;
use crate::store::{Seen, Store, StoreError};

/// Where events go.
pub trait Sink: Send {
    /// Delivers one event. An error stops the monitor (e.g. stdout closed).
    fn emit(&mut self, event: &Event) -> std::io::Result<()>;

    /// Delivers the events of one committed poll, calling `claim(i)` (which records event `i`
    /// as delivered) immediately before handing over event `i`. Sinks should do all their
    /// preparation first, so the gap between a claim and its delivery is as short as it can be.
    fn emit_batch(
        &mut self,
        events: &[Event],
        claim: &mut dyn FnMut(usize) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        for (i, e) in events.iter().enumerate() {
            claim(i)?;
            self.emit(e)?;
        }
        Ok(())
    }
}

/// Collects events in memory (tests, and consumers that batch).
#[derive(Debug, Default, Clone)]
pub struct VecSink(pub Arc<std::sync::Mutex<Vec<Event>>>);

impl Sink for VecSink {
    fn emit(&mut self, event: &Event) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event.clone());
        Ok(())
    }
}

/// Why the monitor could not run.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The rules could not be compiled.
    #[error("compiling rules: {0}")]
    Rules(#[from] aho_corasick::BuildError),
    /// The sink failed.
    #[error("writing events: {0}")]
    Sink(std::io::Error),
    /// The delivery cursor could not be written.
    #[error("delivery cursor {path}: {source}")]
    Cursor {
        /// The cursor file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Ways for a screen to follow and steer a running monitor.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    /// Notified after every change written to the database.
    pub changed: Option<Arc<tokio::sync::Notify>>,
    /// Per feed id: notify to poll that feed now.
    pub poll_now: HashMap<String, Arc<tokio::sync::Notify>>,
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
        }
    }

    fn changed(&self) {
        if let Some(n) = &self.changed {
            n.notify_waiters();
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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            once: false,
            spread: Duration::from_secs(10),
            speed: 1.0,
        }
    }
}

struct Poll {
    feed: usize,
    result: Result<
        (
            crate::feed::fetch::Fetched,
            Result<Vec<Item>, parse::ParseError>,
        ),
        crate::feed::fetch::FetchError,
    >,
    next_poll: DateTime<Utc>,
    failures: u32,
}

/// Runs the monitor until `shutdown` resolves (or, with `once`, until every feed has reported).
pub async fn run(
    config: Arc<Config>,
    data_dir: &Path,
    mut sink: Box<dyn Sink>,
    clock: Arc<dyn Clock>,
    options: Options,
    hooks: Hooks,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MonitorError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        MonitorError::Store(StoreError::Sqlite {
            path: data_dir.to_path_buf(),
            source: rusqlite::Error::InvalidPath(
                format!("cannot create data directory: {e}").into(),
            ),
        })
    })?;
    let mut store = Store::open(data_dir)?;
    let mut engine = Engine::new(&config)?;
    let now = clock.now();
    restore(&store, &mut engine, &config, now)?;
    let pruned = store.prune(
        now - chrono::Duration::from_std(config.settings.retain).unwrap_or(chrono::Duration::MAX),
    )?;
    debug!(pruned, "pruned old rows");

    // Alerts committed but not handed to the sink before an interruption go out first.
    let mut cursor =
        Cursor::open(data_dir, || store.last_alert_row().unwrap_or(0)).map_err(|source| {
            MonitorError::Cursor {
                path: data_dir.join(crate::store::cursor::CURSOR_FILE),
                source,
            }
        })?;
    loop {
        let pending = store.alerts_after(cursor.get())?;
        if pending.is_empty() {
            break;
        }
        info!(
            count = pending.len(),
            "delivering alerts stored before an interruption"
        );
        let rows: Vec<Option<i64>> = pending.iter().map(|(row, _)| Some(*row)).collect();
        let events: Vec<Event> = pending.into_iter().map(|(_, a)| Event::Alert(a)).collect();
        deliver(sink.as_mut(), &mut cursor, &events, &rows)?;
    }

    let fetcher = Fetcher::new(&config.settings)?;
    let (tx, mut rx) = mpsc::channel::<Poll>(64);
    let enabled: Vec<usize> = (0..config.feeds.len())
        .filter(|&i| config.feeds[i].enabled)
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for &i in &enabled {
        let feed = config.feeds[i].clone();
        let validators = store.validators(&feed.id)?;
        let failures = store.failures(&feed.id)?;
        tasks.spawn(poll_feed(
            i,
            feed,
            fetcher.clone(),
            tx.clone(),
            clock.clone(),
            options.clone(),
            config.settings.max_items,
            validators,
            failures,
            hooks.poll_now.get(&config.feeds[i].id).cloned(),
        ));
    }
    drop(tx);

    let mut reported = 0usize;
    let mut tick = tokio::time::interval(Duration::from_secs(15));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut prune_tick = tokio::time::interval(Duration::from_secs(3600));
    let mut triage_tick = tokio::time::interval(Duration::from_secs(1));
    triage_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    if options.once && enabled.is_empty() {
        return Ok(());
    }
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => {
                info!("shutting down");
                break;
            }
            poll = rx.recv() => {
                let Some(poll) = poll else { break };
                let (events, rows) = tokio::task::block_in_place(|| process(&mut store, &mut engine, &config, &poll, clock.now()))?;
                deliver(sink.as_mut(), &mut cursor, &events, &rows)?;
                hooks.changed();
                reported += 1;
                if options.once && reported >= enabled.len() {
                    break;
                }
            }
            _ = tick.tick() => {
                let now = clock.now();
                let changes = engine.tick(now);
                if !changes.is_empty() {
                    store.transaction(|tx| {
                        for c in &changes {
                            tx.set_status(c.country, c.to, now)?;
                        }
                        Ok(())
                    })?;
                    for c in changes {
                        sink.emit(&Event::Status(c)).map_err(MonitorError::Sink)?;
                    }
                    hooks.changed();
                }
            }
            _ = triage_tick.tick() => {
                // Viewers write triage to the database; the collector reports it.
                // Claimed (marked delivered) before printing, so a crash never prints one twice.
                let rows = store.claim_triage()?;
                if !rows.is_empty() {
                    for t in rows {
                        sink.emit(&Event::Triage(t)).map_err(MonitorError::Sink)?;
                    }
                    hooks.changed();
                }
            }
            _ = prune_tick.tick() => {
                let cutoff = clock.now() - chrono::Duration::from_std(config.settings.retain).unwrap_or(chrono::Duration::MAX);
                if let Err(e) = store.prune(cutoff) {
                    warn!("pruning failed: {e}");
                }
            }
        }
    }
    tasks.abort_all();
    Ok(())
}

/// Hands a committed batch to the sink, moving the delivery cursor past each alert just before
/// that alert's line is written: nothing is ever printed twice, and a kill anywhere before a
/// claim (the database commit included) is replayed on restart. Only a kill between a claim
/// and its write, two adjacent system calls, can drop one alert from the stream; it stays in
/// the database. `rows[i]` is the row id of `events[i]` when it is an alert.
fn deliver(
    sink: &mut dyn Sink,
    cursor: &mut Cursor,
    events: &[Event],
    rows: &[Option<i64>],
) -> Result<(), MonitorError> {
    let path = cursor.path().to_path_buf();
    let mut claim_failed = false;
    let mut claim = |i: usize| match rows.get(i).copied().flatten() {
        Some(row) => cursor.set(row).inspect_err(|_| claim_failed = true),
        None => Ok(()),
    };
    let result = sink.emit_batch(events, &mut claim);
    match result {
        Ok(()) => Ok(()),
        Err(source) if claim_failed => Err(MonitorError::Cursor { path, source }),
        Err(e) => Err(MonitorError::Sink(e)),
    }
}

fn restore(
    store: &Store,
    engine: &mut Engine,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let longest = config
        .rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::Count { window, .. } => Some(*window),
            RuleKind::Threshold { window, .. } => *window,
            RuleKind::Keywords { .. } => None,
        })
        .max()
        .unwrap_or_default();
    let since = |d: Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    for e in store.window_entries(since(longest))? {
        engine.restore_window_entry(&e);
    }
    for (c, t, s) in store.recent_alerts(since(config.settings.window))? {
        engine.restore_alert(c, t, s);
    }
    for (c, s) in store.statuses()? {
        engine.restore_status(c, s);
    }
    engine.settle(now);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn poll_feed(
    index: usize,
    feed: FeedConfig,
    fetcher: Fetcher,
    tx: mpsc::Sender<Poll>,
    clock: Arc<dyn Clock>,
    options: Options,
    max_items: usize,
    mut validators: Validators,
    mut failures: u32,
    poll_now: Option<Arc<tokio::sync::Notify>>,
) {
    let interval = feed
        .interval
        .div_f64(options.speed.max(1.0))
        .max(Duration::from_millis(200));
    let mut delay = if options.once {
        Duration::ZERO
    } else {
        schedule::first_delay(&feed.id, interval, options.spread)
    };
    loop {
        match &poll_now {
            Some(now) => {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = now.notified() => {}
                }
            }
            None => tokio::time::sleep(delay).await,
        }
        let result = fetcher.fetch(&feed, &validators).await;
        let result = match result {
            Ok(mut fetched) => {
                let parsed = match fetched.body.take() {
                    None => Ok(Vec::new()),
                    Some(body) => {
                        let feed2 = feed.clone();
                        let now = clock.now();
                        let r = tokio::task::spawn_blocking(move || {
                            parse::parse(&body, &feed2, max_items, now)
                        })
                        .await;
                        r.unwrap_or_else(|e| {
                            Err(parse::ParseError::Feed(format!("parser stopped: {e}")))
                        })
                    }
                };
                Ok((fetched, parsed))
            }
            Err(e) => Err(e),
        };
        let (ok, retry_after, max_age) = match &result {
            Ok((f, Ok(_))) => (true, None, f.max_age),
            Ok((_, Err(_))) => (false, None, None),
            Err(e) => (false, e.retry_after, None),
        };
        if ok {
            failures = 0;
            if let Ok((f, _)) = &result {
                validators = f.validators.clone();
            }
            delay = schedule::after_success(interval, max_age);
        } else {
            failures += 1;
            // A body we could not read must be fetched whole next time.
            if matches!(&result, Ok((_, Err(_)))) {
                validators = Validators::default();
            }
            delay = schedule::after_failure(interval, failures, retry_after);
            if options.speed > 1.0 {
                delay = delay.div_f64(options.speed).max(Duration::from_millis(200));
            }
        }
        let next_poll = clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
        if tx
            .send(Poll {
                feed: index,
                result,
                next_poll,
                failures,
            })
            .await
            .is_err()
        {
            return;
        }
        if options.once {
            return;
        }
    }
}

fn process(
    store: &mut Store,
    engine: &mut Engine,
    config: &Config,
    poll: &Poll,
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, Vec<Option<i64>>), MonitorError> {
    let feed = &config.feeds[poll.feed];
    let mut report = FeedReport {
        at: now,
        feed: feed.id.clone(),
        ok: false,
        http_status: None,
        items: 0,
        new: 0,
        not_modified: false,
        error: None,
        ms: 0,
        next_poll: Some(poll.next_poll),
        failures: poll.failures,
    };
    let mut items: &[Item] = &[];
    let mut validators = None;
    match &poll.result {
        Ok((fetched, parsed)) => {
            report.http_status = Some(fetched.status);
            report.ms = fetched.elapsed.as_millis() as u64;
            report.not_modified = fetched.status == 304;
            match parsed {
                Ok(list) => {
                    report.ok = true;
                    report.items = list.len();
                    items = list;
                    validators = Some(&fetched.validators);
                }
                Err(e) => report.error = Some(e.to_string()),
            }
        }
        Err(e) => {
            report.http_status = e.status;
            report.ms = e.elapsed.as_millis() as u64;
            report.error = Some(e.message.clone());
        }
    }
    if let Some(err) = &report.error {
        // The failure is an event already; the log line is for operators who ask for it.
        info!(feed = %feed.id, "poll failed: {err}");
    }

    let mut new_alerts: Vec<Alert> = Vec::new();
    let mut rows: Vec<Option<i64>> = Vec::new();
    let mut statuses = Vec::new();
    let new_count = store.transaction(|tx| {
        let mut new = 0usize;
        if report.not_modified {
            // Unchanged content is still present: keep its items from being pruned, or they
            // would come back as new (and alert again) on the next full response.
            tx.touch_feed_items(&feed.id, now)?;
        }
        for item in items {
            let seen = tx.upsert_item(item, now)?;
            match seen {
                Seen::Same => continue,
                Seen::New => {
                    new += 1;
                    if tx.carried_elsewhere(item)? {
                        continue;
                    }
                }
                Seen::Revised => {}
            }
            let outcome = engine.process(item, now, seen == Seen::Revised);
            for e in &outcome.window_entries {
                tx.insert_window_entry(e)?;
            }
            let event_time = item.event_time(now);
            let mut fresh = Vec::new();
            for alert in outcome.alerts {
                if let Some(row) = tx.insert_alert(&alert, event_time)? {
                    rows.push(Some(row));
                    fresh.push(alert);
                }
            }
            for change in engine.record(&fresh, event_time, now) {
                tx.set_status(change.country, change.to, now)?;
                statuses.push(change);
            }
            new_alerts.extend(fresh);
        }
        report.new = new;
        tx.record_feed(&report, validators)?;
        Ok(new)
    })?;
    debug!(feed = %feed.id, items = report.items, new = new_count, alerts = new_alerts.len(), "processed poll");

    let mut events: Vec<Event> = Vec::with_capacity(new_alerts.len() + statuses.len() + 1);
    events.extend(new_alerts.into_iter().map(Event::Alert));
    events.extend(statuses.into_iter().map(Event::Status));
    events.push(Event::Feed(report));
    // Alerts come first in `events`, in the order of `rows`; the rest carry no row.
    Ok((events, rows))
}
