//! The spike rule: a country's count in the recent slot against its own history.
//!
//! Counts are kept in buckets of a twenty-fourth of a slot (so the recent window slides in
//! small steps and memory is bounded by the history's length, not its volume). The history is
//! cut into the slots before the recent one; the rule fires when the recent count reaches the
//! largest of `min`, `factor` times the history's mean per slot (the EU JRC's method), and the
//! mean plus three standard deviations of the per-slot counts (so a country whose reports come
//! in bursts needs a bigger burst). A country with no history compares with `min` alone.
//!
//! Weekdays: news has a weekly rhythm (fewer reports at weekends, or on Fridays), so with at
//! least two weeks of history the mean is scaled by how busy the recent slot's weekday (UTC)
//! usually is: the history slots that end on that weekday against all of them, shrunk toward
//! 1 when they hold little (`(sum on the weekday + mean) / ((slots on the weekday + 1) x mean)`).
//! A Monday is compared with Mondays' level, a Sunday with Sundays'.

use chrono::{DateTime, TimeDelta, Utc};

/// Buckets per slot.
const BUCKETS_PER_SLOT: i64 = 24;
/// Standard deviations above the mean a recent count must also reach.
const SPREAD: f64 = 3.0;
/// History needed before weekdays are told apart: two of each.
const WEEKDAYS_FROM: i64 = 14 * 86_400;

/// A compiled spike rule.
#[derive(Debug, Clone)]
pub struct Spike {
    bucket_secs: i64,
    slots: i64,
    factor: f64,
    min: u32,
    slot: TimeDelta,
    history: TimeDelta,
}

/// The counts of the buckets that hold any, in bucket order. Events arrive nearly in time
/// order, so a count is nearly always added at the end, and the history drops from the front;
/// reading one bucket is a binary search of one contiguous array (a B-tree's lookup, at every
/// slot boundary of every new bucket, was most of a reading's cost).
#[derive(Debug, Default)]
struct Buckets(Vec<(i64, u32)>);

impl Buckets {
    /// Counts one event in bucket `b`.
    fn add(&mut self, b: i64) {
        match self.0.last_mut() {
            Some((last, n)) if *last == b => *n += 1,
            Some((last, _)) if *last > b => match self.0.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => self.0[i].1 += 1,
                Err(i) => self.0.insert(i, (b, 1)),
            },
            _ => self.0.push((b, 1)),
        }
    }

    /// The buckets in `from..=to`.
    fn range(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, u32)> + '_ {
        let start = self.0.partition_point(|&(k, _)| k < from);
        self.0[start..]
            .iter()
            .copied()
            .take_while(move |&(k, _)| k <= to)
    }

    /// The sum of the buckets in `(from, to]`: most steps are of one bucket, which one search
    /// finds.
    fn sum(&self, from: i64, to: i64) -> u64 {
        if to == from + 1 {
            self.0
                .binary_search_by_key(&to, |&(k, _)| k)
                .map_or(0, |i| u64::from(self.0[i].1))
        } else {
            self.range(from + 1, to).map(|(_, n)| u64::from(n)).sum()
        }
    }

    /// Drops the buckets before `oldest`.
    fn forget_before(&mut self, oldest: i64) {
        let end = self.0.partition_point(|&(k, _)| k < oldest);
        self.0.drain(..end);
    }

    fn first(&self) -> Option<i64> {
        self.0.first().map(|&(k, _)| k)
    }

    fn last(&self) -> Option<i64> {
        self.0.last().map(|&(k, _)| k)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One country's counts for one spike rule.
#[derive(Debug, Default)]
pub struct SpikeState {
    buckets: Buckets,
    /// Fired, waiting to fall below the threshold before it can fire again.
    pub crossed: bool,
    /// The history's mean and spread as of a newest bucket: they change only when time moves
    /// to a new bucket or an event lands in the history, so most readings reuse them.
    history: Option<History>,
    /// The history's count per slot (index 0 = the slot just before the recent one) as of
    /// the newest bucket `slots_at`. Kept up to date as time moves bucket by bucket, so a
    /// new reading adds what entered each slot and takes what left it instead of summing the
    /// whole history's buckets again.
    per_slot: Vec<u64>,
    slots_at: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct History {
    newest: i64,
    mean: f64,
    spread: f64,
    /// How busy the recent slot's weekday usually is against the mean (1 without the history
    /// to tell).
    weekday: f64,
}

impl SpikeState {
    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// What a spike rule sees at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Count in the recent slot.
    pub recent: u32,
    /// Mean count per slot over the history.
    pub mean: f64,
    /// What the recent slot is expected to hold: the mean, scaled for its weekday.
    pub expected: f64,
    /// The recent slot's weekday (UTC) when it was told apart from the others.
    pub weekday: Option<chrono::Weekday>,
    /// Standard deviation of the per-slot counts over the history.
    pub spread: f64,
    /// What the recent count must reach.
    pub threshold: f64,
}

impl Reading {
    /// Whether the recent count reaches the threshold.
    pub fn above(&self) -> bool {
        f64::from(self.recent) >= self.threshold
    }
}

impl Spike {
    /// A rule comparing the last `slot` with the `history` before it.
    pub fn new(
        slot: std::time::Duration,
        history: std::time::Duration,
        factor: f64,
        min: u32,
    ) -> Self {
        let slot_secs = i64::try_from(slot.as_secs())
            .unwrap_or(i64::MAX)
            .max(BUCKETS_PER_SLOT);
        let history_secs = i64::try_from(history.as_secs()).unwrap_or(i64::MAX);
        let bucket_secs = slot_secs / BUCKETS_PER_SLOT;
        Self {
            bucket_secs,
            slots: (history_secs / slot_secs).max(1),
            factor,
            min,
            slot: crate::time::delta(slot),
            history: crate::time::delta(history),
        }
    }

    fn bucket(&self, t: DateTime<Utc>) -> i64 {
        t.timestamp().div_euclid(self.bucket_secs)
    }

    /// Counts one event at `t`.
    pub fn record(&self, state: &mut SpikeState, t: DateTime<Utc>) {
        let b = self.bucket(t);
        state.buckets.add(b);
        if let Some(newest) = state.slots_at
            && b <= newest - BUCKETS_PER_SLOT
        {
            // Into the history as of `newest`: its slot's count, and so the mean, change.
            if let Some(n) = usize::try_from((newest - b) / BUCKETS_PER_SLOT - 1)
                .ok()
                .and_then(|k| state.per_slot.get_mut(k))
            {
                *n += 1;
            }
            state.history = None;
        }
    }

    /// Forgets all of `state`'s counts once every one has left the history at `now` (so a
    /// country gone quiet holds no memory), without reading it: a reading that nobody needs
    /// would cost a sum over the history.
    pub fn forget_past(&self, state: &mut SpikeState, now: DateTime<Utc>) {
        let oldest = self.bucket(now) - BUCKETS_PER_SLOT * (self.slots + 1) + 1;
        if state.buckets.last().is_some_and(|b| b < oldest) {
            *state = SpikeState {
                crossed: state.crossed,
                ..SpikeState::default()
            };
        }
    }

    /// The reading at `now`, forgetting what has left the history.
    pub fn read(&self, state: &mut SpikeState, now: DateTime<Utc>) -> Reading {
        let newest = self.bucket(now);
        let span = BUCKETS_PER_SLOT;
        // Slot k (0 = recent) holds buckets (newest - span*(k+1), newest - span*k].
        let recent: u64 = state.buckets.sum(newest - span, newest);
        let history = match state.history {
            Some(h) if h.newest == newest => h,
            _ => {
                let h = self.history(state, newest);
                state.history = Some(h);
                h
            }
        };
        let (mean, spread) = (history.mean, history.spread);
        let expected = mean * history.weekday;
        let threshold = f64::from(self.min)
            .max(self.factor * expected)
            .max(expected + SPREAD * spread);
        let weekday = (self.weekday_aware() && (history.weekday - 1.0).abs() > 0.05)
            .then(|| self.weekday_of_slot(newest, 0));
        Reading {
            recent: u32::try_from(recent).unwrap_or(u32::MAX),
            mean,
            expected,
            weekday,
            spread,
            threshold,
        }
    }

    /// The mean and spread of the per-slot counts before the recent slot ending at `newest`,
    /// after forgetting buckets older than the history.
    fn history(&self, state: &mut SpikeState, newest: i64) -> History {
        let span = BUCKETS_PER_SLOT;
        let oldest = newest - span * (self.slots + 1) + 1;
        self.slide(state, newest);
        if state.buckets.first().is_some_and(|b| b < oldest) {
            state.buckets.forget_before(oldest);
        }
        let per_slot = &state.per_slot;
        let n = per_slot.len().max(1) as f64;
        let mean = per_slot.iter().sum::<u64>() as f64 / n;
        let var = per_slot
            .iter()
            .map(|&c| (c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let mut weekday = 1.0;
        if self.weekday_aware() && mean > 0.0 {
            let today = self.day_of_slot(newest, 0).rem_euclid(7);
            let (mut sum, mut n) = (0u64, 0u64);
            for (k, c) in per_slot.iter().enumerate() {
                if self.day_of_slot(newest, k as i64 + 1).rem_euclid(7) == today {
                    sum += c;
                    n += 1;
                }
            }
            weekday = (sum as f64 + mean) / ((n + 1) as f64 * mean);
        }
        History {
            newest,
            mean,
            spread: var.sqrt(),
            weekday,
        }
    }

    /// Brings the per-slot counts to the newest bucket `newest`. Moving forward by `d`
    /// buckets, each slot gains the `d` buckets that enter it from the slot after it (or from
    /// the recent slot) and loses the `d` that move on to the slot before it (or out of the
    /// history): two sums of `d` buckets per slot. A jump of more than a slot, or time going
    /// back, counts them again from the buckets.
    fn slide(&self, state: &mut SpikeState, newest: i64) {
        let span = BUCKETS_PER_SLOT;
        let slots = usize::try_from(self.slots).unwrap_or(1);
        match state.slots_at {
            Some(at) if at == newest && state.per_slot.len() == slots => {}
            Some(at) if at < newest && newest - at <= span && state.per_slot.len() == slots => {
                // What crosses each slot boundary j (between slot j-1 and slot j, 1 = the
                // recent slot's far end) while time moves from `at` to `newest`.
                let mut entering = state.buckets.sum(at - span, newest - span);
                for (k, count) in state.per_slot.iter_mut().enumerate() {
                    let j = i64::try_from(k).unwrap_or(i64::MAX - 2) + 2;
                    let leaving = state.buckets.sum(at - span * j, newest - span * j);
                    *count = (*count + entering).saturating_sub(leaving);
                    entering = leaving;
                }
            }
            _ => {
                state.per_slot.clear();
                state.per_slot.resize(slots, 0);
                let oldest = newest - span * (self.slots + 1) + 1;
                for (b, n) in state.buckets.range(oldest, newest - span) {
                    let k = usize::try_from((newest - b) / span - 1).unwrap_or(usize::MAX);
                    if let Some(slot) = state.per_slot.get_mut(k) {
                        *slot += u64::from(n);
                    }
                }
            }
        }
        state.slots_at = Some(newest);
    }

    fn weekday_aware(&self) -> bool {
        self.history.num_seconds() >= WEEKDAYS_FROM
    }

    /// The day (UTC, counted from 1970-01-01) on which slot `k` (0 = recent) before the bucket
    /// `newest` ends: two slots end on the same weekday when these agree modulo 7. Cheaper than
    /// [`Spike::weekday_of_slot`], which builds a date.
    fn day_of_slot(&self, newest: i64, k: i64) -> i64 {
        ((newest - BUCKETS_PER_SLOT * k) * self.bucket_secs).div_euclid(86_400)
    }

    /// The weekday (UTC) on which slot `k` (0 = recent) before the bucket `newest` ends: for
    /// the recent slot, today.
    fn weekday_of_slot(&self, newest: i64, k: i64) -> chrono::Weekday {
        use chrono::Datelike;
        let end = (newest - BUCKETS_PER_SLOT * k) * self.bucket_secs;
        DateTime::from_timestamp(end, 0)
            .unwrap_or_default()
            .weekday()
    }

    /// The reading in words: "12 in 6h vs 1.4 per 6h over 28d (8.6x; fires at 5)", or with a
    /// weekday told apart, "12 in 6h vs 1.9 expected on a Monday (1.4 per 6h over 28d; 6.3x;
    /// fires at 6)".
    pub fn explain(&self, r: &Reading) -> String {
        let slot = crate::config::units::fmt_duration(self.slot.to_std().unwrap_or_default());
        let history = crate::config::units::fmt_duration(self.history.to_std().unwrap_or_default());
        let ratio = if r.expected > 0.0 {
            format!("{:.1}x", f64::from(r.recent) / r.expected)
        } else {
            "no history".to_string()
        };
        match r.weekday {
            Some(day) => format!(
                "{} in {slot} vs {:.1} expected on a {} ({:.1} per {slot} over {history}; {ratio}; fires at {})",
                r.recent,
                r.expected,
                weekday_name(day),
                r.mean,
                r.threshold.ceil()
            ),
            None => format!(
                "{} in {slot} vs {:.1} per {slot} over {history} ({ratio}; fires at {})",
                r.recent,
                r.mean,
                r.threshold.ceil()
            ),
        }
    }
}

fn weekday_name(d: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match d {
        Mon => "Monday",
        Tue => "Tuesday",
        Wed => "Wednesday",
        Thu => "Thursday",
        Fri => "Friday",
        Sat => "Saturday",
        Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 - 1_700_000_000 % 86_400, 0).unwrap_or_default()
            + TimeDelta::hours(h)
    }

    #[test]
    fn buckets_stay_in_order_whatever_order_events_come_in() {
        let mut b = Buckets::default();
        for k in [5, 3, 9, 5, 1, 9, 9, 7] {
            b.add(k);
        }
        assert_eq!(b.0, [(1, 1), (3, 1), (5, 2), (7, 1), (9, 3)]);
        // (from, to]: one bucket, none, several.
        assert_eq!(b.sum(4, 5), 2);
        assert_eq!(b.sum(5, 6), 0);
        assert_eq!(b.sum(2, 9), 7);
        assert_eq!(b.sum(-10, 0), 0);
        assert_eq!(b.range(3, 7).collect::<Vec<_>>(), [(3, 1), (5, 2), (7, 1)]);
        b.forget_before(4);
        assert_eq!((b.first(), b.last()), (Some(5), Some(9)));
        b.forget_before(10);
        assert!(b.is_empty());
    }

    #[test]
    fn recent_against_the_mean_of_earlier_slots() {
        let s = Spike::new(
            Duration::from_secs(6 * 3600),
            Duration::from_secs(24 * 3600),
            3.0,
            5,
        );
        let mut st = SpikeState::default();
        // One item in each of the four history slots, then eight in the recent one.
        for h in [0, 6, 12, 18] {
            s.record(&mut st, at(h) + TimeDelta::minutes(30));
        }
        for m in 0..8 {
            s.record(&mut st, at(25) + TimeDelta::minutes(m));
        }
        let r = s.read(&mut st, at(26));
        assert_eq!(r.recent, 8);
        assert!((r.mean - 1.0).abs() < 1e-9, "{r:?}");
        assert!((r.threshold - 5.0).abs() < 1e-9, "{r:?}");
        assert!(r.above());
        assert_eq!(
            s.explain(&r),
            "8 in 6h vs 1.0 per 6h over 1d (8.0x; fires at 5)"
        );
    }

    #[test]
    fn no_history_compares_with_the_floor() {
        let s = Spike::new(
            Duration::from_secs(3600),
            Duration::from_secs(10 * 3600),
            3.0,
            5,
        );
        let mut st = SpikeState::default();
        for m in 0..4 {
            s.record(&mut st, at(5) + TimeDelta::minutes(m));
        }
        let r = s.read(&mut st, at(5) + TimeDelta::minutes(10));
        assert_eq!((r.recent, r.mean), (4, 0.0));
        assert!(!r.above());
        assert!(s.explain(&r).contains("no history"));
        // Everything leaves the window in the end: memory is bounded by time, not volume,
        // whether the state is read or only told the time.
        let mut unread = SpikeState::default();
        s.record(&mut unread, at(5));
        s.forget_past(&mut unread, at(15));
        assert!(
            !unread.is_empty(),
            "an hour 5 count is in the history at hour 15"
        );
        s.forget_past(&mut unread, at(17));
        assert!(unread.is_empty(), "and has left it by hour 17");
        s.read(&mut st, at(48));
        assert!(st.is_empty());
    }

    /// Four weeks of a quiet weekend rhythm: 8 reports a day from Monday to Friday, 1 on
    /// Saturdays and Sundays (UTC), spread over the day.
    fn weekly(s: &Spike, st: &mut SpikeState, monday: DateTime<Utc>) {
        for day in 0..28 {
            let per_day = if day % 7 < 5 { 8 } else { 1 };
            for i in 0..per_day {
                s.record(
                    st,
                    monday + TimeDelta::days(day) + TimeDelta::hours(i * 24 / per_day),
                );
            }
        }
    }

    #[test]
    fn a_weekday_is_compared_with_its_own_level() {
        use chrono::Datelike;
        let s = Spike::new(
            Duration::from_secs(6 * 3600),
            Duration::from_secs(28 * 86_400),
            3.0,
            3,
        );
        let mut monday = at(0);
        while monday.weekday() != chrono::Weekday::Mon {
            monday += TimeDelta::days(1);
        }
        // A Sunday after four such weeks: 4 reports in the morning. Against the overall mean
        // (about 1.5 per 6h) that is no spike at factor 3; against Sundays (0.25) it is.
        let mut st = SpikeState::default();
        weekly(&s, &mut st, monday - TimeDelta::days(28));
        let sunday = monday - TimeDelta::days(1);
        for m in 0..4 {
            s.record(
                &mut st,
                sunday + TimeDelta::hours(1) + TimeDelta::minutes(m),
            );
        }
        let r = s.read(&mut st, sunday + TimeDelta::hours(2));
        assert_eq!(r.weekday, Some(chrono::Weekday::Sun), "{r:?}");
        assert!(r.expected < r.mean / 2.0, "{r:?}");
        assert!(r.above(), "{r:?}");
        assert!(
            s.explain(&r).contains("expected on a Sunday"),
            "{}",
            s.explain(&r)
        );
        // Five reports on a Monday morning: a spike against the weekend-diluted mean (fires at
        // 4.5), not against Mondays' level (about 2 per 6h, fires at 6).
        let mut st = SpikeState::default();
        weekly(&s, &mut st, monday - TimeDelta::days(28));
        for m in 0..5 {
            s.record(
                &mut st,
                monday + TimeDelta::hours(1) + TimeDelta::minutes(m * 30),
            );
        }
        let r = s.read(&mut st, monday + TimeDelta::hours(5));
        assert_eq!(r.weekday, Some(chrono::Weekday::Mon), "{r:?}");
        assert!(r.expected > r.mean, "{r:?}");
        assert!(!r.above(), "{r:?}");
    }

    #[test]
    fn sliding_the_history_reads_as_counting_it_again() {
        let s = Spike::new(
            Duration::from_secs(6 * 3600),
            Duration::from_secs(14 * 86_400),
            3.0,
            4,
        );
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            i64::try_from(seed % u64::try_from(n).unwrap_or(1)).unwrap_or(0)
        };
        let mut slid = SpikeState::default();
        let mut events = Vec::new();
        let mut now = at(0);
        for _ in 0..3_000 {
            // Mostly small steps, sometimes a jump of hours or days, now and then none.
            now += match next(100) {
                0..=79 => TimeDelta::seconds(next(1_200)),
                80..=95 => TimeDelta::minutes(next(600)),
                96..=97 => TimeDelta::days(next(20)),
                _ => TimeDelta::zero(),
            };
            for _ in 0..next(4) {
                // Events as late as now, as old as twenty days.
                let t = now - TimeDelta::seconds(next(20 * 86_400));
                s.record(&mut slid, t);
                events.push(t);
            }
            let read = s.read(&mut slid, now);
            let mut fresh = SpikeState::default();
            for t in &events {
                s.record(&mut fresh, *t);
            }
            assert_eq!(read, s.read(&mut fresh, now), "at {now}");
            // What left the history no longer needs to be kept to count again.
            let oldest = (now - TimeDelta::days(15)).timestamp();
            events.retain(|t| t.timestamp() >= oldest);
        }
    }

    #[test]
    fn a_bursty_history_needs_a_bigger_burst() {
        let s = Spike::new(
            Duration::from_secs(3600),
            Duration::from_secs(8 * 3600),
            2.0,
            1,
        );
        let mut st = SpikeState::default();
        // History: 0, 0, 0, 16, 0, 0, 0, 0 per hour: mean 2, spread about 5.3.
        for m in 0..16 {
            s.record(&mut st, at(3) + TimeDelta::minutes(m));
        }
        for m in 0..10 {
            s.record(&mut st, at(8) + TimeDelta::minutes(m));
        }
        let r = s.read(&mut st, at(8) + TimeDelta::minutes(30));
        assert_eq!(r.recent, 10);
        assert!(r.threshold > 17.0, "{r:?}");
        assert!(!r.above(), "factor x mean alone (4) would have fired");
    }
}
