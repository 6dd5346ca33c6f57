//! One target's consumer of the outbox: reads past its cursor, keeps the events its filter
//! wants, folds them as its digest window and rate limit say, sends, and moves its cursor only
//! past what was delivered (or what it does not want). A failing target retries with backoff
//! and reports its health as `notify` events; it never holds up the collector or another
//! target, because each has its own task, connection and cursor.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Notify, watch};
use tracing::{info, warn};

use super::message::{Message, Queued};
use super::send::{SendError, send};
use super::shape::shape;
use crate::config::{NotifyConfig, Severity};
use crate::event::{Event, NotifyReport, Status, TriageTarget};
use crate::feed::fetch::redact;
use crate::store::{AnyStore, PeriodReads, Store, StoreTx};

/// Events held in memory at most; the rest wait in the outbox.
const QUEUE_MAX: usize = 500;
/// Outbox rows read at a time.
const BATCH: usize = 200;
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long an idle target sleeps before looking at the outbox unwoken.
const IDLE: Duration = Duration::from_secs(1);
/// Attempts a draining target (`--once`) makes before it gives up on the rest.
const DRAIN_ATTEMPTS: u32 = 3;
/// Critical alerts a target remembers for reminders.
const REMINDERS_MAX: usize = 200;

/// How a target should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keep delivering.
    Run,
    /// Deliver what the outbox holds now, then stop.
    Drain,
    /// Stop now.
    Now,
}

/// How a target ended.
#[derive(Debug, Clone)]
pub struct Ended {
    /// The target's id.
    pub target: String,
    /// Events it wanted and did not deliver (they stay in the outbox).
    pub undelivered: usize,
    /// The last error, if the last attempt failed.
    pub error: Option<String>,
}

struct Reminder {
    queued: Queued,
    raised: chrono::DateTime<Utc>,
    /// When it was last sent (wall clock: kept in the database across restarts).
    last: chrono::DateTime<Utc>,
}

pub(super) struct Worker {
    pub target: Arc<NotifyConfig>,
    pub store: AnyStore,
    pub clients: super::send::Clients,
    pub consumer: String,
    pub read_upto: i64,
    pub ctl: watch::Receiver<Mode>,
    pub wake: Arc<Notify>,
}

struct State {
    queue: VecDeque<Queued>,
    /// When the oldest queued event was read.
    first_at: Option<Instant>,
    sent: VecDeque<Instant>,
    failures: u32,
    failing_reported: bool,
    last_error: Option<String>,
    committed: i64,
    reminders: HashMap<String, Reminder>,
    last_ok: Option<chrono::DateTime<Utc>>,
    /// When the state was last recorded for screens.
    recorded: Option<Instant>,
}

/// How often a target that keeps delivering records so for screens.
const RECORD_EVERY: Duration = Duration::from_secs(5);

impl Worker {
    fn mode(&self) -> Mode {
        *self.ctl.borrow()
    }

    /// Whether the target wants this event.
    fn wants(&self, e: &Event) -> bool {
        let f = &self.target.filter;
        if !f.events.iter().any(|k| k == e.kind()) {
            return false;
        }
        let country_ok = |c: Option<&crate::geo::CountryCode>| {
            f.countries.is_empty() || c.is_some_and(|c| f.countries.contains(c))
        };
        match e {
            // Another publisher joining a story re-sends the alert; the desk heard it already.
            Event::Alert(a) => {
                a.revision <= 1
                    && a.severity >= f.min_severity
                    && country_ok(a.country.as_ref())
                    && (f.rules.is_empty() || f.rules.contains(&a.rule))
            }
            Event::Status(s) => {
                let floor = Status::from_severity(f.min_severity);
                (s.to >= floor || s.from >= floor) && country_ok(Some(&s.country))
            }
            Event::Resolved(r) => {
                country_ok(r.country.as_ref()) && (f.rules.is_empty() || f.rules.contains(&r.rule))
            }
            _ => false,
        }
    }

    /// Whether someone acknowledged or snoozed the alert (or snoozed its country) since it was
    /// queued.
    fn silenced(&self, q: &Queued) -> bool {
        let Event::Alert(a) = &q.event else {
            return false;
        };
        let now = Utc::now();
        let alert = self.store.triage_of(TriageTarget::Alert, &a.id);
        let country = a
            .country
            .as_ref()
            .map(|c| self.store.triage_of(TriageTarget::Country, c.as_str()));
        let alert_quiet = alert.is_ok_and(|s| s.acked.is_some() || s.snoozed_at(now));
        let country_quiet = country.is_some_and(|s| s.is_ok_and(|s| s.snoozed_at(now)));
        alert_quiet || country_quiet
    }

    fn fill(&mut self, st: &mut State) -> bool {
        if st.queue.len() >= QUEUE_MAX {
            return false;
        }
        let rows =
            match tokio::task::block_in_place(|| self.store.outbox_after(self.read_upto, BATCH)) {
                Ok(r) => r,
                Err(e) => {
                    warn!("notify {}: reading the outbox: {e}", self.target.id);
                    return false;
                }
            };
        let any = !rows.is_empty();
        for row in rows {
            self.read_upto = row.seq;
            if let Some(event) = Event::from_body(&row.body)
                && self.wants(&event)
            {
                if st.queue.is_empty() {
                    st.first_at = Some(Instant::now());
                }
                st.queue.push_back(Queued {
                    seq: row.seq,
                    event,
                });
                if st.queue.len() >= QUEUE_MAX {
                    break;
                }
            }
        }
        any
    }

    /// Records the position past everything delivered or not wanted.
    fn commit(&mut self, st: &mut State) {
        let upto = st
            .queue
            .front()
            .map_or(self.read_upto, |q| q.seq.saturating_sub(1));
        if upto > st.committed {
            match tokio::task::block_in_place(|| self.store.set_consumer(&self.consumer, upto)) {
                Ok(()) => st.committed = upto,
                Err(e) => warn!("notify {}: recording its position: {e}", self.target.id),
            }
        }
    }

    /// Records the target's state for screens (the Feeds view), at most every few seconds
    /// unless `now`.
    fn record(&mut self, st: &mut State, now: bool) {
        if !now && st.recorded.is_some_and(|t| t.elapsed() < RECORD_EVERY) {
            return;
        }
        st.recorded = Some(Instant::now());
        let row = crate::store::snapshot::NotifyRow {
            id: self.target.id.clone(),
            kind: self.target.kind.name().to_string(),
            ok: st.failures == 0,
            error: if st.failures == 0 {
                None
            } else {
                st.last_error.clone()
            },
            failures: st.failures,
            pending: st.queue.len(),
            last_ok: st.last_ok,
            updated: Utc::now(),
        };
        if let Err(e) = tokio::task::block_in_place(|| self.store.set_notify_row(&row)) {
            warn!("notify {}: recording its state: {e}", self.target.id);
        }
    }

    fn report(&mut self, st: &State, ok: bool, next_try: Option<Duration>) {
        let event = Event::Notify(NotifyReport {
            at: Utc::now(),
            target: self.target.id.clone(),
            kind: self.target.kind.name().to_string(),
            ok,
            error: if ok { None } else { st.last_error.clone() },
            failures: st.failures,
            pending: st.queue.len(),
            next_try: next_try
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| Utc::now() + d),
        });
        if let Err(e) = tokio::task::block_in_place(|| self.store.write(|tx| tx.append(&event))) {
            warn!("notify {}: recording its health: {e}", self.target.id);
        }
    }

    /// Waits `d`, or less when woken or told to stop; whether to stop now.
    async fn pause(&mut self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.wake.notified() => {}
            r = self.ctl.changed() => if r.is_err() { return true; },
        }
        self.mode() == Mode::Now
    }

    /// Keeps the reminders in the database, so a restart goes on with them.
    fn save_reminders(&mut self, st: &State) {
        let list: Vec<(String, chrono::DateTime<Utc>)> = st
            .reminders
            .iter()
            .map(|(id, r)| (id.clone(), r.last))
            .collect();
        if let Err(e) =
            tokio::task::block_in_place(|| self.store.set_notify_reminders(&self.target.id, &list))
        {
            warn!("notify {}: keeping its reminders: {e}", self.target.id);
        }
    }

    /// Takes back the reminders a previous run kept (alerts no longer stored are dropped).
    fn load_reminders(&mut self, st: &mut State) {
        if self.target.renotify.is_none() {
            return;
        }
        let kept =
            match tokio::task::block_in_place(|| self.store.notify_reminders(&self.target.id)) {
                Ok(k) => k,
                Err(e) => {
                    warn!("notify {}: reading its reminders: {e}", self.target.id);
                    return;
                }
            };
        for (id, last) in kept.into_iter().take(REMINDERS_MAX) {
            if let Ok(Some(alert)) = self.store.alert_by_id(&id) {
                st.reminders.insert(
                    id,
                    Reminder {
                        raised: alert.at,
                        queued: Queued {
                            seq: 0,
                            event: Event::Alert(alert),
                        },
                        last,
                    },
                );
            }
        }
    }

    /// Sends reminders that are due; false when told to stop.
    async fn remind(&mut self, st: &mut State) -> bool {
        let Some(every) = self.target.renotify else {
            return true;
        };
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        let due: Vec<String> = st
            .reminders
            .iter()
            .filter(|(_, r)| Utc::now() - r.last >= every)
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            let Some(r) = st.reminders.get(&id) else {
                continue;
            };
            if self.silenced(&r.queued) {
                st.reminders.remove(&id);
                self.save_reminders(st);
                continue;
            }
            let age = (Utc::now() - r.raised).to_std().unwrap_or_default();
            let age =
                crate::config::units::fmt_duration(Duration::from_secs(age.as_secs() / 60 * 60));
            let msg = Message::reminder(r.queued.clone(), &age);
            if attempt(&self.target, &self.clients, &msg).await.is_ok() {
                if let Some(r) = st.reminders.get_mut(&id) {
                    r.last = Utc::now();
                }
                self.save_reminders(st);
                st.sent.push_back(Instant::now());
            }
            if self.mode() == Mode::Now {
                return false;
            }
        }
        true
    }

    pub(super) async fn run(mut self) -> Ended {
        let mut st = State {
            queue: VecDeque::new(),
            first_at: None,
            sent: VecDeque::new(),
            failures: 0,
            failing_reported: false,
            last_error: None,
            committed: self.read_upto,
            reminders: HashMap::new(),
            last_ok: None,
            recorded: None,
        };
        self.record(&mut st, true);
        self.load_reminders(&mut st);
        let mut drain_failures = 0u32;
        loop {
            let mode = self.mode();
            if mode == Mode::Now {
                break;
            }
            let read_any = self.fill(&mut st);
            if !self.remind(&mut st).await {
                break;
            }
            if st.queue.is_empty() {
                self.commit(&mut st);
                if mode == Mode::Drain && !read_any {
                    break;
                }
                if !read_any && self.pause(IDLE).await {
                    break;
                }
                continue;
            }
            let now = Instant::now();
            while st
                .sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
            {
                st.sent.pop_front();
            }
            let slots = (self.target.per_minute as usize).saturating_sub(st.sent.len());
            let draining = mode == Mode::Drain;
            // A digest waits out its window from the first event it holds.
            if let (Some(window), Some(first), false) = (self.target.digest, st.first_at, draining)
            {
                let ready = first + window;
                if now < ready && st.queue.len() < QUEUE_MAX {
                    if self.pause(ready - now).await {
                        break;
                    }
                    continue;
                }
            }
            if slots == 0 && !draining {
                let free = st.sent.front().map_or(Duration::ZERO, |t| {
                    Duration::from_secs(60).saturating_sub(now.duration_since(*t))
                });
                if self.pause(free.max(Duration::from_millis(50))).await {
                    break;
                }
                continue;
            }
            // Past the rate limit, the last message of the minute carries everything queued.
            let last_slot = slots <= 1 && st.queue.len() > 1;
            let fold =
                self.target.digest.is_some() || last_slot || (draining && st.queue.len() > slots);
            let take = if fold { st.queue.len() } else { 1 };
            let mut batch: Vec<Queued> = st.queue.iter().take(take).cloned().collect();
            batch.retain(|q| !self.silenced(q));
            if batch.is_empty() {
                st.queue.drain(..take);
                st.first_at = (!st.queue.is_empty()).then(Instant::now);
                self.commit(&mut st);
                continue;
            }
            let why = if self.target.digest.is_some() {
                format!(
                    "digest of {}",
                    crate::config::units::fmt_duration(self.target.digest.unwrap_or_default())
                )
            } else {
                format!("rate limit of {} a minute", self.target.per_minute)
            };
            let msg = if fold {
                Message::digest(batch, &why)
            } else {
                Message::single(batch.remove(0))
            };
            match attempt(&self.target, &self.clients, &msg).await {
                Ok(()) => {
                    st.sent.push_back(Instant::now());
                    if self.target.renotify.is_some() {
                        let before = st.reminders.len();
                        for q in &msg.events {
                            if let Event::Alert(a) = &q.event
                                && a.severity == Severity::Critical
                                && st.reminders.len() < REMINDERS_MAX
                            {
                                st.reminders.insert(
                                    a.id.clone(),
                                    Reminder {
                                        queued: q.clone(),
                                        raised: a.at,
                                        last: Utc::now(),
                                    },
                                );
                            }
                        }
                        if st.reminders.len() != before {
                            self.save_reminders(&st);
                        }
                    }
                    st.queue.drain(..take);
                    st.first_at = (!st.queue.is_empty()).then(Instant::now);
                    st.last_error = None;
                    st.last_ok = Some(Utc::now());
                    let recovered = st.failing_reported;
                    st.failures = 0;
                    drain_failures = 0;
                    self.commit(&mut st);
                    let caught_up = recovered || st.queue.is_empty();
                    self.record(&mut st, caught_up);
                    if recovered {
                        st.failing_reported = false;
                        info!("notify {}: delivering again", self.target.id);
                        self.report(&st, true, None);
                    }
                }
                Err(e) => {
                    st.failures += 1;
                    drain_failures += 1;
                    let backoff = Duration::from_secs(1 << (st.failures - 1).min(9))
                        .min(MAX_BACKOFF)
                        .max(e.retry_after.unwrap_or_default());
                    st.last_error = Some(e.message.clone());
                    if st.failures == 1 || st.failures.is_multiple_of(10) {
                        warn!(
                            "notify {} ({}): {}; {} event(s) waiting, next try in {}",
                            self.target.id,
                            self.target.kind.name(),
                            e.message,
                            st.queue.len(),
                            crate::config::units::fmt_duration(backoff)
                        );
                        st.failing_reported = true;
                        self.report(&st, false, Some(backoff));
                    }
                    let first = st.failures == 1;
                    self.record(&mut st, first);
                    if draining && drain_failures >= DRAIN_ATTEMPTS {
                        break;
                    }
                    let wait = if draining {
                        backoff.min(Duration::from_secs(2))
                    } else {
                        backoff
                    };
                    // Only a stop cuts a backoff short: new events must not hammer a failing
                    // service.
                    let stop = tokio::select! {
                        () = tokio::time::sleep(wait) => false,
                        r = self.ctl.changed() => r.is_err() || self.mode() == Mode::Now,
                    };
                    if stop {
                        break;
                    }
                }
            }
        }
        self.commit(&mut st);
        self.record(&mut st, true);
        let mut undelivered = st.queue.len();
        if !st.queue.is_empty() || self.mode() != Mode::Run {
            // What the outbox holds beyond what was read counts too, if the target wants it.
            if let Ok(rows) =
                tokio::task::block_in_place(|| self.store.outbox_after(self.read_upto, 10_000))
            {
                undelivered += rows
                    .iter()
                    .filter_map(|r| Event::from_body(&r.body))
                    .filter(|e| self.wants(e))
                    .count();
            }
        }
        Ended {
            target: self.target.id.clone(),
            undelivered,
            error: st.last_error,
        }
    }
}

/// One delivery attempt of `msg` to `target`.
async fn attempt(
    target: &NotifyConfig,
    clients: &super::send::Clients,
    msg: &Message,
) -> Result<(), SendError> {
    let out = shape(&target.kind, msg);
    send(clients, &out, target.timeout).await.map_err(|mut e| {
        e.message = redact(&e.message, &target.secrets);
        e
    })
}
