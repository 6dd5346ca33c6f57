//! The silence rule: a feed that has produced nothing new, or a watched country no item has
//! mentioned, for longer than it usually stays quiet.
//!
//! Each subject keeps, per day for the last [`LEARN_DAYS`] days, how many arrivals it had and
//! the longest gap that ended that day: constant space, whatever the volume. `after = "auto"`
//! waits one and a half times the longest gap of those days (a feed quiet every night, or every
//! weekend, learns that and stays silent about it), at least two poll intervals (an hour for a
//! country), at most seven days; while less than two days are known it waits at least a day.
//! A country is watched for silence only while it usually has more than three mentions a day.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::config::After;

/// How many days of arrivals a subject learns from.
pub const LEARN_DAYS: usize = 14;
/// The longest an automatic silence limit grows.
const AUTO_MAX: TimeDelta = TimeDelta::days(7);
/// The shortest history an automatic limit trusts below a day.
const AUTO_TRUSTED: TimeDelta = TimeDelta::days(2);
/// Mentions a day a country must usually have to be watched for silence.
const COUNTRY_MIN_DAILY: f64 = 3.0;

/// One day of a subject's arrivals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Day {
    /// Days since the epoch.
    day: i64,
    /// Arrivals that day.
    count: u32,
    /// The longest gap (seconds) between two arrivals that ended that day.
    gap: i64,
}

/// What one silence rule knows of one feed or country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceState {
    /// The first arrival learned from (seconds since the epoch).
    first: Option<i64>,
    /// The newest arrival.
    last: Option<i64>,
    days: [Day; LEARN_DAYS],
    /// The newest arrival when the rule fired (the silence alert's id derives from it), until
    /// the subject speaks again.
    pub fired: Option<i64>,
}

/// A silence limit and how it was found, for the alert's explanation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// How long the subject may stay quiet.
    pub after: TimeDelta,
    /// The longest gap learned, when `after` was learned.
    pub learned: Option<TimeDelta>,
}

fn day_of(t: i64) -> i64 {
    t.div_euclid(86_400)
}

impl SilenceState {
    /// Records an arrival at `t` seen at `now`. Returns the arrival the rule had fired for,
    /// when this ends a silence it reported.
    pub fn record(&mut self, t: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
        let t = t.timestamp();
        let today = day_of(now.timestamp());
        let day = day_of(t);
        if day <= today - LEARN_DAYS as i64 {
            return None;
        }
        let gap = self.last.map_or(0, |last| t - last);
        let slot = &mut self.days[day.rem_euclid(LEARN_DAYS as i64) as usize];
        if slot.day != day {
            *slot = Day {
                day,
                ..Day::default()
            };
        }
        slot.count = slot.count.saturating_add(1);
        if gap > 0 {
            slot.gap = slot.gap.max(gap);
        }
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        if self.last.is_none_or(|l| t > l) {
            self.last = Some(t);
        }
        self.fired.take()
    }

    /// The newest arrival.
    pub fn last(&self) -> Option<DateTime<Utc>> {
        self.last.and_then(|t| DateTime::from_timestamp(t, 0))
    }

    fn recent_days(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Day> {
        let today = day_of(now.timestamp());
        self.days
            .iter()
            .filter(move |d| d.count > 0 && d.day > today - LEARN_DAYS as i64 && d.day <= today)
    }

    /// Mentions a day over the days learned.
    pub fn daily(&self, now: DateTime<Utc>) -> f64 {
        let total: u64 = self.recent_days(now).map(|d| u64::from(d.count)).sum();
        total as f64 / LEARN_DAYS as f64
    }

    /// How long the subject may stay quiet at `now`; `floor` is the shortest automatic limit.
    pub fn limit(&self, after: After, floor: TimeDelta, now: DateTime<Utc>) -> Limit {
        if let After::Fixed(d) = after {
            return Limit {
                after: crate::time::delta(d),
                learned: None,
            };
        }
        let longest = self.recent_days(now).map(|d| d.gap).max().unwrap_or(0);
        let longest = TimeDelta::seconds(longest);
        let mut after = (longest * 3 / 2).max(floor);
        let known = self.first.map_or(TimeDelta::zero(), |f| {
            now - DateTime::from_timestamp(f, 0).unwrap_or(now)
        });
        if known < AUTO_TRUSTED {
            after = after.max(TimeDelta::days(1));
        }
        Limit {
            after: after.min(AUTO_MAX),
            learned: Some(longest),
        }
    }

    /// Whether the rule should fire now: quiet past the limit and not yet reported. Marks it
    /// reported and returns the quiet time and the limit.
    pub fn check(
        &mut self,
        after: After,
        floor: TimeDelta,
        country: bool,
        now: DateTime<Utc>,
    ) -> Option<(TimeDelta, Limit)> {
        let last = self.last?;
        if self.fired == Some(last) {
            return None;
        }
        if country && self.daily(now) <= COUNTRY_MIN_DAILY {
            return None;
        }
        let quiet = now - DateTime::from_timestamp(last, 0)?;
        let limit = self.limit(after, floor, now);
        if quiet < limit.after {
            return None;
        }
        self.fired = Some(last);
        Some((quiet, limit))
    }
}

/// The alert's explanation: "no new items for 9 h (usually quiet at most 4 h 10 m over 14 d;
/// limit 6 h 15 m)".
pub fn explain(what: &str, quiet: TimeDelta, limit: &Limit) -> String {
    let d = |t: TimeDelta| crate::config::units::fmt_duration(t.to_std().unwrap_or_default());
    match limit.learned {
        Some(longest) => format!(
            "{what} for {} (longest quiet spell over {LEARN_DAYS} d: {}; limit {})",
            d(quiet),
            d(longest),
            d(limit.after)
        ),
        None => format!("{what} for {} (limit {})", d(quiet), d(limit.after)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000, 0).unwrap() + TimeDelta::hours(h)
    }

    #[test]
    fn a_nightly_gap_is_learned_and_not_reported() {
        let mut s = SilenceState::default();
        // Hourly from 06:00 to 22:00 for five days, nothing at night.
        for day in 0..5 {
            for h in 6..=22 {
                s.record(at(day * 24 + h), at(day * 24 + h));
            }
        }
        let night = at(4 * 24 + 22 + 7);
        let floor = TimeDelta::minutes(10);
        assert!(s.check(After::Auto, floor, false, night).is_none());
        let limit = s.limit(After::Auto, floor, night);
        assert_eq!(limit.learned, Some(TimeDelta::hours(8)));
        assert_eq!(limit.after, TimeDelta::hours(12));
        // Quiet for 12 h: reported once.
        let (quiet, _) = s
            .check(After::Auto, floor, false, at(4 * 24 + 22 + 12))
            .unwrap();
        assert_eq!(quiet, TimeDelta::hours(12));
        assert!(
            s.check(After::Auto, floor, false, at(4 * 24 + 22 + 13))
                .is_none()
        );
        // Speaking again ends it.
        assert_eq!(
            s.record(at(4 * 24 + 22 + 14), at(4 * 24 + 22 + 14)),
            Some(at(4 * 24 + 22).timestamp())
        );
        assert_eq!(s.fired, None);
    }

    #[test]
    fn a_new_subject_waits_a_day_and_a_fixed_limit_is_kept() {
        let mut s = SilenceState::default();
        s.record(at(0), at(0));
        s.record(at(1), at(1));
        let floor = TimeDelta::minutes(10);
        assert!(s.check(After::Auto, floor, false, at(20)).is_none());
        assert!(s.check(After::Auto, floor, false, at(25)).is_some());
        let mut f = SilenceState::default();
        f.record(at(0), at(0));
        let six = After::Fixed(std::time::Duration::from_secs(6 * 3600));
        assert!(f.check(six, floor, false, at(5)).is_none());
        assert!(f.check(six, floor, false, at(6)).is_some());
    }

    #[test]
    fn a_country_is_watched_only_above_three_a_day() {
        let mut s = SilenceState::default();
        // 40 mentions over 14 days: under 3 a day.
        for i in 0..40 {
            s.record(at(i * 8), at(i * 8));
        }
        let later = at(40 * 8 + 24 * 6);
        let six = After::Fixed(std::time::Duration::from_secs(6 * 3600));
        assert!(s.check(six, TimeDelta::hours(1), true, later).is_none());
        // Ten a day for 14 days, then nothing.
        let mut busy = SilenceState::default();
        for i in 0..140 {
            let t = at(i * 24 / 10 + 1000);
            busy.record(t, t);
        }
        let quiet = at(140 * 24 / 10 + 1000 + 7);
        assert!(busy.check(six, TimeDelta::hours(1), true, quiet).is_some());
    }

    #[test]
    fn history_older_than_fourteen_days_is_forgotten() {
        let mut s = SilenceState::default();
        s.record(at(0), at(0));
        s.record(at(100), at(100)); // a 100 h gap
        for h in 101..500 {
            s.record(at(h), at(h));
        }
        let now = at(500);
        assert_eq!(
            s.limit(After::Auto, TimeDelta::minutes(1), now).learned,
            Some(TimeDelta::hours(1))
        );
    }
}
