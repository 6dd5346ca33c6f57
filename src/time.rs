//! Time arithmetic that cannot overflow, and the one timestamp format of every event
//! (RFC 3339, UTC, milliseconds: `2026-11-27T10:35:15.123Z`).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// `t - d`, saturating at the earliest representable time instead of overflowing.
pub fn before(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `t + d`, saturating at the latest representable time instead of overflowing.
pub fn after(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A `std` duration as a chrono delta, saturating at the largest delta.
pub fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Formats a time the way every event writes it.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Milliseconds since the epoch (the database's event-time unit).
pub fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The time `ms` milliseconds after the epoch (the epoch itself when out of range).
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Serde for a timestamp in the event format; reads any RFC 3339 time.
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `2026-11-27T10:35:15.123Z`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(t))
    }

    /// Reads any RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }
}

/// Serde for an optional timestamp in the event format (`null` when absent).
pub mod rfc3339_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the time, or `null`.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads any RFC 3339 time, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let now = Utc::now();
        let huge = Duration::from_secs(300_000 * 365 * 86_400);
        assert_eq!(before(now, huge), DateTime::<Utc>::MIN_UTC);
        assert_eq!(after(now, huge), DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            before(now, Duration::from_secs(60)),
            now - TimeDelta::seconds(60)
        );
        assert_eq!(delta(Duration::MAX), TimeDelta::MAX);
    }

    #[test]
    fn format_is_utc_with_milliseconds() {
        let t = from_millis(1_700_000_000_123);
        assert_eq!(format(&t), "2023-11-14T22:13:20.123Z");
        assert_eq!(format(&from_millis(0)), "1970-01-01T00:00:00.000Z");
    }
}
