//! Dates as real feeds write them: RFC 822/2822, ISO 8601 with or without offset, seconds or
//! separators, compact GDELT stamps, epoch seconds or milliseconds, and bare dates.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses a date string in any of the shapes real feeds use. Times without a zone are UTC.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_digits(s);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Some(dt) = parse_rfc2822_lenient(s) {
        return Some(dt);
    }
    parse_iso_variants(s)
}

/// Parses a JSON number as an epoch timestamp (seconds, or milliseconds when it is too large to
/// be seconds).
pub fn parse_epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    // Anything past year 5000 in seconds is taken as milliseconds.
    let ms = if n > 95_617_584_000.0 { n } else { n * 1000.0 };
    if ms > 253_402_300_799_000.0 {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

fn parse_digits(s: &str) -> Option<DateTime<Utc>> {
    match s.len() {
        // YYYYMMDD
        8 => NaiveDate::parse_from_str(s, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|n| Utc.from_utc_datetime(&n)),
        // YYYYMMDDHHMMSS (GDELT's other stamp)
        14 => NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S")
            .ok()
            .map(|n| Utc.from_utc_datetime(&n)),
        _ => s.parse::<f64>().ok().and_then(parse_epoch),
    }
}

fn parse_rfc2822_lenient(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // Common deviations: "UTC"/"Z" zones, a missing zone, full month or day names.
    let base = s
        .trim_end_matches(" UTC")
        .trim_end_matches(" Z")
        .trim_end_matches(" GMT");
    let no_weekday = match base.find(", ") {
        Some(i) if i <= 10 => &base[i + 2..],
        _ => base,
    };
    for fmt in [
        "%d %b %Y %H:%M:%S",
        "%d %B %Y %H:%M:%S",
        "%d %b %Y %H:%M",
        "%d %B %Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(no_weekday, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    for fmt in ["%d %b %Y %H:%M:%S %z", "%d %B %Y %H:%M:%S %z"] {
        if let Ok(dt) = DateTime::<FixedOffset>::parse_from_str(no_weekday, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    None
}

fn parse_iso_variants(s: &str) -> Option<DateTime<Utc>> {
    const WITH_ZONE: &[&str] = &[
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M%z",
        "%Y%m%dT%H%M%S%z",
    ];
    for fmt in WITH_ZONE {
        if let Ok(dt) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    // A trailing Z with a format chrono's %z does not take.
    let (body, _) = match s.strip_suffix('Z').or_else(|| s.strip_suffix(" UTC")) {
        Some(b) => (b, true),
        None => (s, false),
    };
    const NAIVE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y%m%dT%H%M%S",
        "%Y%m%dT%H%M",
        "%Y/%m/%d %H:%M:%S",
    ];
    for fmt in NAIVE {
        if let Ok(n) = NaiveDateTime::parse_from_str(body, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(body, fmt) {
            return d.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_date(s)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn real_world_shapes() {
        let cases = [
            ("Tue, 21 Jun 2022 01:46:00 GMT", "2022-06-21T01:46:00Z"),
            ("Tue, 21 Jun 2022 03:46:00 +0200", "2022-06-21T01:46:00Z"),
            ("21 Jun 2022 01:46:00 UTC", "2022-06-21T01:46:00Z"),
            ("Tue, 21 June 2022 01:46:00 Z", "2022-06-21T01:46:00Z"),
            ("2022-06-21T01:46+0200", "2022-06-20T23:46:00Z"),
            ("2022-06-21T01:46:30+02:00", "2022-06-20T23:46:30Z"),
            ("2022-09-21T00:00:00", "2022-09-21T00:00:00Z"),
            ("2022-09-21T00:00:00.123Z", "2022-09-21T00:00:00Z"),
            ("2022-09-21 13:05:00", "2022-09-21T13:05:00Z"),
            ("20250510T120000Z", "2025-05-10T12:00:00Z"),
            ("20250510120000", "2025-05-10T12:00:00Z"),
            ("2025-05-10", "2025-05-10T00:00:00Z"),
            ("20250510", "2025-05-10T00:00:00Z"),
            ("1746878400", "2025-05-10T12:00:00Z"),
            ("1746878400000", "2025-05-10T12:00:00Z"),
            ("", "none"),
            ("yesterday", "none"),
            ("2025-13-45", "none"),
        ];
        for (input, want) in cases {
            assert_eq!(iso(input), want, "input {input:?}");
        }
    }

    #[test]
    fn epoch_numbers() {
        assert_eq!(
            parse_epoch(1_746_878_400_000.0).map(|d| d.timestamp()),
            Some(1_746_878_400)
        );
        assert_eq!(parse_epoch(f64::NAN), None);
        assert_eq!(parse_epoch(-1.0), None);
        assert_eq!(parse_epoch(1e300), None);
    }
}
