//! Corroboration: per item rule, country and story, the distinct publishers that carried the
//! story, so a rule alerts once per story, raises a new revision of that alert when another
//! publisher joins, and may wait for `min_sources` publishers before it fires at all.

use chrono::{DateTime, Utc};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use crate::config::Corroborate;
use crate::geo::CountryCode;
use crate::story::Publisher;

/// Most (rule, country, story) states kept; past this the least recently changed go first.
const MAX_STATES: usize = 50_000;

/// One publisher of a story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// What tells publishers apart ([`Publisher::family`]).
    pub family: String,
    /// How it is shown ([`Publisher::name`]).
    pub name: String,
}

/// What one item rule knows of one story in one country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The event time of the story's first report that hit the rule.
    pub first: DateTime<Utc>,
    /// When it last changed.
    pub last: DateTime<Utc>,
    /// Distinct publishers within the rule's `corroborate_within` of `first`, in order.
    pub sources: Vec<Source>,
    /// 0 until the alert is raised; then the revision last emitted.
    pub revision: u32,
}

/// A corroboration state as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct CorroborationRecord {
    /// Rule id.
    pub rule: String,
    /// Country (`None`: an item about no country).
    pub country: Option<CountryCode>,
    /// Story id.
    pub story: i64,
    /// When it last changed.
    pub at: DateTime<Utc>,
    /// The state, as JSON.
    pub state: String,
}

/// What hearing a report of a story did.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// Nothing to emit: the publisher was known, or too few publishers so far.
    Nothing,
    /// Emit the alert at this revision (1: raised; more: another publisher joined).
    Emit {
        /// The revision.
        revision: u32,
        /// The publishers' names, in order of arrival.
        sources: Vec<String>,
    },
}

type Key = (usize, Option<CountryCode>, i64);

/// Every item rule's corroboration states.
#[derive(Debug, Default)]
pub struct Corroborations {
    states: HashMap<Key, State>,
    /// States changed since they were last taken (may repeat).
    dirty: Vec<Key>,
    /// When states were last expired.
    expired: Option<DateTime<Utc>>,
}

impl Corroborations {
    /// A report of `story` by `publisher` hit rule `rule` in `country` at `event_time`.
    pub fn hear(
        &mut self,
        (rule, country, story): Key,
        demand: &Corroborate,
        publisher: &Publisher,
        event_time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Heard {
        if self.states.len() >= MAX_STATES && !self.states.contains_key(&(rule, country, story)) {
            self.evict();
        }
        let key = (rule, country, story);
        let state = self.states.entry(key).or_insert_with(|| State {
            first: event_time,
            last: now,
            sources: Vec::new(),
            revision: 0,
        });
        let within = chrono::Duration::from_std(demand.within).unwrap_or(chrono::Duration::MAX);
        if event_time < state.first {
            // A backfilled report older than the first one seen.
            state.first = event_time;
        }
        let counts = event_time.signed_duration_since(state.first) <= within
            && !state.sources.iter().any(|s| s.family == publisher.family);
        if counts {
            state.sources.push(Source {
                family: publisher.family.clone(),
                name: publisher.name.clone(),
            });
            state.last = now;
            self.dirty.push(key);
        }
        let due = if state.revision == 0 {
            state.sources.len() >= demand.min_sources as usize
        } else {
            counts
        };
        if !due {
            return Heard::Nothing;
        }
        state.revision += 1;
        state.last = now;
        self.dirty.push(key);
        Heard::Emit {
            revision: state.revision,
            sources: state.sources.iter().map(|s| s.name.clone()).collect(),
        }
    }

    fn evict(&mut self) {
        let mut by_age: Vec<(DateTime<Utc>, Key)> =
            self.states.iter().map(|(k, s)| (s.last, *k)).collect();
        by_age.sort_unstable();
        for (_, k) in by_age.into_iter().take(MAX_STATES / 10) {
            self.states.remove(&k);
        }
    }

    /// Forgets states that have not changed for `keep` (looked at every eighth of `keep`).
    pub fn expire(&mut self, now: DateTime<Utc>, keep: chrono::Duration) {
        if self
            .expired
            .is_some_and(|t| now.signed_duration_since(t) < keep / 8)
        {
            return;
        }
        self.expired = Some(now);
        self.states
            .retain(|_, s| now.signed_duration_since(s.last) <= keep);
    }

    /// Restores a state read from the store (rule given by index).
    pub fn restore(&mut self, rule: usize, r: &CorroborationRecord) {
        if let Ok(state) = serde_json::from_str::<State>(&r.state) {
            self.states.insert((rule, r.country, r.story), state);
        }
    }

    /// Restores the state of a raised alert from the alert as stored: its first report's time,
    /// publishers and revision.
    pub fn restore_raised(
        &mut self,
        key: Key,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        sources: &[String],
        revision: u32,
    ) {
        let sources = sources
            .iter()
            .map(|name| {
                let p = Publisher::from_name(name);
                Source {
                    family: p.family,
                    name: p.name,
                }
            })
            .collect();
        self.states.insert(
            key,
            State {
                first,
                last,
                sources,
                revision,
            },
        );
    }

    /// States still waiting for publishers that changed since they were last taken, to save
    /// (a raised alert keeps its own publishers and revision); `rule_id` names a rule by
    /// index.
    pub fn take<'a>(&mut self, rule_id: impl Fn(usize) -> &'a str) -> Vec<CorroborationRecord> {
        let mut keys = std::mem::take(&mut self.dirty);
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k @ (rule, country, story)| {
                let state = self.states.get(&k).filter(|s| s.revision == 0)?;
                Some(CorroborationRecord {
                    rule: rule_id(rule).to_string(),
                    country,
                    story,
                    at: state.last,
                    state: serde_json::to_string(state).unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000, 0).unwrap() + TimeDelta::hours(h)
    }

    fn publisher(domain: &str) -> Publisher {
        Publisher::of(Some(&format!("https://www.{domain}/x")), "f")
    }

    fn demand(min_sources: u32) -> Corroborate {
        Corroborate {
            min_sources,
            ..Corroborate::default()
        }
    }

    fn revision(h: Heard) -> Option<u32> {
        match h {
            Heard::Nothing => None,
            Heard::Emit { revision, .. } => Some(revision),
        }
    }

    #[test]
    fn one_alert_per_story_and_a_revision_per_new_publisher() {
        let mut c = Corroborations::default();
        let k = (0, None, 7);
        let d = demand(1);
        assert_eq!(
            revision(c.hear(k, &d, &publisher("a.com"), at(0), at(0))),
            Some(1)
        );
        // The same outlet again, or its mirror, adds nothing.
        assert_eq!(
            revision(c.hear(k, &d, &publisher("a.com"), at(1), at(1))),
            None
        );
        assert_eq!(
            revision(c.hear(k, &d, &publisher("a.co.uk"), at(1), at(1))),
            None
        );
        match c.hear(k, &d, &publisher("b.org"), at(2), at(2)) {
            Heard::Emit { revision, sources } => {
                assert_eq!(revision, 2);
                assert_eq!(sources, ["a.com", "b.org"]);
            }
            Heard::Nothing => panic!("a second publisher is a revision"),
        }
        // Past corroborate_within a publisher no longer counts.
        assert_eq!(
            revision(c.hear(k, &d, &publisher("c.net"), at(30), at(30))),
            None
        );
    }

    #[test]
    fn min_sources_waits_for_the_second_publisher_within_the_window() {
        let mut c = Corroborations::default();
        let d = demand(2);
        let k = (0, None, 1);
        assert_eq!(
            revision(c.hear(k, &d, &publisher("a.com"), at(0), at(0))),
            None
        );
        assert_eq!(
            revision(c.hear(k, &d, &publisher("a.com"), at(1), at(1))),
            None
        );
        assert_eq!(
            revision(c.hear(k, &d, &publisher("b.com"), at(5), at(5))),
            Some(1)
        );
        // Too late: the second publisher came after the window.
        let k = (0, None, 2);
        assert_eq!(
            revision(c.hear(k, &d, &publisher("a.com"), at(0), at(0))),
            None
        );
        assert_eq!(
            revision(c.hear(k, &d, &publisher("b.com"), at(25), at(25))),
            None
        );
    }

    #[test]
    fn state_survives_a_round_trip_through_its_record() {
        let mut c = Corroborations::default();
        let d = demand(2);
        let k = (3, None, 9);
        c.hear(k, &d, &publisher("a.com"), at(0), at(0));
        let records = c.take(|_| "r");
        assert_eq!(records.len(), 1, "a pending state is saved");
        assert!(c.take(|_| "r").is_empty(), "taken states are clean");
        let mut back = Corroborations::default();
        back.restore(3, &records[0]);
        assert_eq!(
            revision(back.hear(k, &d, &publisher("b.com"), at(2), at(2))),
            Some(1)
        );
        assert!(
            back.take(|_| "r").is_empty(),
            "a raised alert keeps its own state"
        );
        // Restored from the alert: the known publishers add nothing, a new one revises.
        let mut raised = Corroborations::default();
        raised.restore_raised(k, at(0), at(2), &["a.com".into(), "b.com".into()], 1);
        assert_eq!(
            revision(raised.hear(k, &d, &publisher("b.com"), at(3), at(3))),
            None
        );
        assert_eq!(
            revision(raised.hear(k, &d, &publisher("c.org"), at(3), at(3))),
            Some(2)
        );
    }
}
