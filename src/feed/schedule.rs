//! When each feed is polled next: its interval on success (or longer, if the server asks),
//! exponential backoff with jitter while it fails, Retry-After honoured, and first polls
//! spread out so feeds do not all start at once.

use std::time::Duration;

use rand::Rng;

/// Longest backoff for a failing feed.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// Delay before the first poll: a stable spread in `[0, min(interval, spread_max))` derived
/// from the feed id, so restarts keep the same phase.
pub fn first_delay(feed_id: &str, interval: Duration, spread_max: Duration) -> Duration {
    let span = interval.min(spread_max).as_millis() as u64;
    if span == 0 {
        return Duration::ZERO;
    }
    let h = feed_id.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    Duration::from_millis(h % span)
}

/// Delay after a successful poll: the interval with ±5 % jitter (so feeds that started together
/// drift apart instead of polling in lockstep), or the server's max-age if longer.
pub fn after_success(interval: Duration, max_age: Option<Duration>) -> Duration {
    let jittered = interval.mul_f64(rand::rng().random_range(0.95..1.05));
    jittered.max(max_age.unwrap_or(Duration::ZERO))
}

/// Delay after the `failures`-th consecutive failure: the interval doubled per failure (from
/// a floor of 30 s), capped at [`MAX_BACKOFF`] (or the interval, if longer), ±20 % jitter, and
/// never sooner than the server's Retry-After.
pub fn after_failure(interval: Duration, failures: u32, retry_after: Option<Duration>) -> Duration {
    let base = interval
        .min(Duration::from_secs(300))
        .max(Duration::from_secs(30));
    let exp = base.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let capped = exp.min(MAX_BACKOFF.max(interval));
    let jitter = rand::rng().random_range(0.8..1.2);
    let with_jitter = capped.mul_f64(jitter);
    with_jitter.max(retry_after.unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let i = Duration::from_secs(600);
        let d1 = after_failure(i, 1, None);
        assert!(
            d1 >= Duration::from_secs(240) && d1 <= Duration::from_secs(360),
            "{d1:?}"
        );
        let d3 = after_failure(i, 3, None);
        assert!(d3 >= Duration::from_secs(960), "{d3:?}");
        let d20 = after_failure(i, 20, None);
        assert!(d20 <= MAX_BACKOFF.mul_f64(1.2), "{d20:?}");
        let ra = after_failure(i, 1, Some(Duration::from_secs(3600)));
        assert!(ra >= Duration::from_secs(3600));
    }

    #[test]
    fn first_polls_are_spread_and_stable() {
        let i = Duration::from_secs(600);
        let cap = Duration::from_secs(30);
        let a = first_delay("a", i, cap);
        assert_eq!(a, first_delay("a", i, cap));
        assert!(a < cap);
        let distinct: std::collections::HashSet<_> = (0..50)
            .map(|n| first_delay(&format!("f{n}"), i, cap))
            .collect();
        assert!(distinct.len() > 40);
    }
}
