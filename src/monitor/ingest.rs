//! Storing a poll: items upserted, the engine run over the new and revised ones, alerts,
//! window entries and status changes written, and every event appended to the outbox, all
//! inside the caller's transaction. And the engine's state rebuilt from the store.

use chrono::{DateTime, Utc};
use tracing::{debug, info};

use super::poll::Poll;
use crate::config::{Config, Severity};
use crate::event::{Event, FeedReport};
use crate::feed::fetch::Validators;
use crate::feed::item::Item;
use crate::rules::engine::Engine;
use crate::store::{Seen, Store, StoreError, StoreTx};

/// Rebuilds the engine's windows, recent alerts and statuses from the store.
pub fn restore(
    store: &impl Store,
    engine: &mut Engine,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let longest = config
        .rules
        .iter()
        .filter_map(|r| r.kind.lookback())
        .max()
        .unwrap_or_default();
    for e in store.window_entries(crate::time::before(now, longest))? {
        engine.restore_window_entry(&e);
    }
    for (c, t, s) in store.recent_alerts(crate::time::before(now, config.settings.window))? {
        engine.restore_alert(c, t, s);
    }
    for (c, s) in store.statuses()? {
        engine.restore_status(c, s);
    }
    // Evidence the factor rules and status events read, as far back as any of them looks.
    let evidence_back = config
        .rules
        .iter()
        .filter_map(|r| match &r.kind {
            crate::config::RuleKind::Factors { window, .. } => Some(*window),
            _ => None,
        })
        .chain(std::iter::once(config.settings.evidence_window))
        .max()
        .unwrap_or_default();
    for e in store.evidence_since(crate::time::before(now, evidence_back))? {
        engine.restore_evidence(&e);
    }
    for (rule, c) in store.factor_alerts_since(crate::time::before(now, evidence_back))? {
        engine.restore_factor_alert(&rule, c);
    }
    for r in store.silences()? {
        engine.restore_silence(&r);
    }
    let stories = engine.story_window();
    for s in store.story_items(now - stories)? {
        engine.restore_story(&s);
    }
    for r in store.corroborations(now - stories * 2)? {
        engine.restore_corroboration(&r);
    }
    for a in store.story_alerts(now - stories * 2)? {
        engine.restore_story_alert(&a);
    }
    engine.set_imported_baseline(&store.baseline()?);
    engine.settle(now);
    Ok(())
}

/// What a poll brought, as plain data: what [`process`] stores. A collector sharing a
/// PostgreSQL store queues it for the desk's leader, which stores it as its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The feed polled.
    pub feed: String,
    /// The HTTP status, when there was a response.
    pub http_status: Option<u16>,
    /// How long the fetch took.
    pub ms: u64,
    /// Whether the server answered 304 Not Modified.
    pub not_modified: bool,
    /// Why the poll failed (fetch or parse), in words.
    pub error: Option<String>,
    /// The items parsed.
    pub items: Vec<Item>,
    /// The validators of a full response.
    pub validators: Option<Validators>,
    /// When the feed is polled next.
    pub next_poll: DateTime<Utc>,
    /// Consecutive failures, this poll included.
    pub failures: u32,
}

impl Outcome {
    /// Whether the poll succeeded: a response came and was read.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.http_status.is_some()
    }
}

/// A poll's outcome, borrowed: what [`process`] and [`process_outcome`] store.
struct View<'a> {
    feed: &'a str,
    http_status: Option<u16>,
    ms: u64,
    not_modified: bool,
    error: Option<String>,
    items: &'a [Item],
    validators: Option<&'a Validators>,
    next_poll: DateTime<Utc>,
    failures: u32,
}

impl<'a> View<'a> {
    fn of_poll(poll: &'a Poll) -> Self {
        let mut v = Self {
            feed: &poll.feed.id,
            http_status: None,
            ms: 0,
            not_modified: false,
            error: None,
            items: &[],
            validators: None,
            next_poll: poll.next_poll,
            failures: poll.failures,
        };
        match &poll.result {
            Ok((fetched, parsed)) => {
                v.http_status = Some(fetched.status);
                v.ms = fetched.elapsed.as_millis() as u64;
                v.not_modified = fetched.status == 304;
                match parsed {
                    Ok(list) => {
                        v.items = list;
                        v.validators = Some(&fetched.validators);
                    }
                    Err(e) => v.error = Some(e.to_string()),
                }
            }
            Err(e) => {
                v.http_status = e.status;
                v.ms = e.elapsed.as_millis() as u64;
                v.error = Some(e.message.clone());
            }
        }
        v
    }

    fn of_outcome(o: &'a Outcome) -> Self {
        Self {
            feed: &o.feed,
            http_status: o.http_status,
            ms: o.ms,
            not_modified: o.not_modified,
            error: o.error.clone(),
            items: &o.items,
            validators: o.validators.as_ref(),
            next_poll: o.next_poll,
            failures: o.failures,
        }
    }

    fn outcome(&self) -> Outcome {
        Outcome {
            feed: self.feed.to_string(),
            http_status: self.http_status,
            ms: self.ms,
            not_modified: self.not_modified,
            error: self.error.clone(),
            items: self.items.to_vec(),
            validators: self.validators.cloned(),
            next_poll: self.next_poll,
            failures: self.failures,
        }
    }
}

impl Outcome {
    /// The outcome of a poll (its items copied).
    pub(super) fn of(poll: &Poll) -> Self {
        View::of_poll(poll).outcome()
    }
}

/// Stores one poll and appends its events, inside the caller's transaction; returns the
/// poll's report and what was stored of it.
pub(super) fn process(
    tx: &mut impl StoreTx,
    engine: &mut Engine,
    poll: &Poll,
    now: DateTime<Utc>,
) -> Result<(FeedReport, Ingested), StoreError> {
    store_view(tx, engine, View::of_poll(poll), now)
}

/// Stores what a poll brought and appends its events, inside the caller's transaction.
pub fn process_outcome(
    tx: &mut impl StoreTx,
    engine: &mut Engine,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(FeedReport, Ingested), StoreError> {
    store_view(tx, engine, View::of_outcome(outcome), now)
}

fn store_view(
    tx: &mut impl StoreTx,
    engine: &mut Engine,
    poll: View<'_>,
    now: DateTime<Utc>,
) -> Result<(FeedReport, Ingested), StoreError> {
    let ok = poll.error.is_none() && poll.http_status.is_some();
    let mut report = FeedReport {
        at: now,
        feed: poll.feed.to_string(),
        ok,
        http_status: poll.http_status,
        items: if ok { poll.items.len() } else { 0 },
        new: 0,
        old: 0,
        not_modified: poll.not_modified,
        error: poll.error,
        ms: poll.ms,
        next_poll: Some(poll.next_poll),
        failures: poll.failures,
    };
    if let Some(err) = &report.error {
        // The failure is an event already; the log line is for operators who ask for it.
        info!(feed = %poll.feed, "poll failed: {err}");
    }
    let items: &[Item] = if ok { poll.items } else { &[] };
    let validators = if ok { poll.validators } else { None };

    if report.not_modified {
        // The items of the last full response are still present: keep them from being pruned,
        // or they would come back as new (and alert again) on the next full response.
        report.items = tx.touch_unchanged(poll.feed, now)?;
    }
    let counts = ingest_items(tx, engine, items, now)?;
    report.new = counts.new;
    report.old = counts.old;
    tx.record_feed(&report, validators)?;
    debug!(feed = %poll.feed, items = report.items, new = counts.new, alerts = counts.alerts, "processed poll");
    tx.append(&Event::Feed(report.clone()))?;
    Ok((report, counts))
}

/// What [`ingest_items`] found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ingested {
    /// Items not seen before.
    pub new: usize,
    /// Of those, items older than their feed's `max_age`.
    pub old: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// Alerts raised before and sent again with another publisher.
    pub revised: usize,
    /// Alerts raised, by severity (in [`Severity::ALL`] order).
    pub by_severity: [u64; 5],
}

/// Stores items seen at `now`, runs the engine over the new and revised ones, and writes their
/// alerts, window entries and status changes, with events, inside the caller's transaction.
pub fn ingest_items(
    tx: &mut impl StoreTx,
    engine: &mut Engine,
    items: &[Item],
    now: DateTime<Utc>,
) -> Result<Ingested, StoreError> {
    let mut counts = Ingested::default();
    for item in items {
        let checked = tx.check_item(item, now)?;
        let seen = checked.seen;
        match seen {
            Seen::Same => continue,
            Seen::Carried => {
                tx.save_item(item, now, checked, &[], None)?;
                counts.new += 1;
                for r in engine.feed_heard(item, now) {
                    tx.append(&Event::Resolved(r))?;
                }
                continue;
            }
            Seen::New => counts.new += 1,
            Seen::Revised => {}
        }
        let outcome = engine.process(item, now, seen == Seen::Revised);
        // The row is written once, with what the engine read in it.
        tx.save_item(item, now, checked, &outcome.tagged, outcome.story)?;
        if outcome.too_old && seen == Seen::New {
            counts.old += 1;
        }
        for e in &outcome.window_entries {
            tx.insert_window_entry(e)?;
        }
        for e in &outcome.evidence {
            tx.insert_evidence(e)?;
        }
        let event_time = item.event_time(now);
        let mut fresh = Vec::new();
        for alert in outcome.alerts {
            // A later revision updates the alert raised before, unless that one is gone.
            if alert.revision > 1 && tx.revise_alert(&alert)? {
                counts.revised += 1;
                continue;
            }
            if tx.insert_alert(&alert, event_time)? {
                fresh.push(alert);
            }
        }
        counts.alerts += fresh.len();
        for a in &fresh {
            counts.by_severity[severity_index(a.severity)] += 1;
        }
        for change in engine.record(&fresh, event_time, now) {
            tx.set_status(&change, now)?;
            tx.append(&Event::Status(change))?;
        }
        for r in outcome.resolved {
            tx.append(&Event::Resolved(r))?;
        }
    }
    // Once per call: items of one story in one poll change its state many times.
    for r in engine.take_corroborations() {
        tx.save_corroboration(&r)?;
    }
    Ok(counts)
}

/// Runs the engine's clock tick at `now` inside the caller's transaction: silence alerts
/// raised, statuses expired, and what silence rules learned saved. Returns whether anything
/// was written for a consumer, and the alerts raised by severity (in [`Severity::ALL`] order).
pub fn tick(
    tx: &mut impl StoreTx,
    engine: &mut Engine,
    now: DateTime<Utc>,
) -> Result<(bool, [u64; 5]), StoreError> {
    let tick = engine.tick(now);
    let mut fresh = Vec::new();
    for alert in tick.alerts {
        if tx.insert_alert(&alert, now)? {
            fresh.push(alert);
        }
    }
    let mut by_severity = [0; 5];
    for a in &fresh {
        by_severity[severity_index(a.severity)] += 1;
    }
    let mut changes = tick.changes;
    changes.extend(engine.record(&fresh, now, now));
    let wrote = !fresh.is_empty() || !changes.is_empty();
    for change in changes {
        tx.set_status(&change, now)?;
        tx.append(&Event::Status(change))?;
    }
    for r in engine.take_silences() {
        tx.save_silence(&r)?;
    }
    Ok((wrote, by_severity))
}

/// Where a severity sits in [`Severity::ALL`].
pub fn severity_index(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}
