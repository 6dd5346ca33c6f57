//! Durations ("10m", "72h", "1d 12h") and sizes ("10MiB", "512 KB") as written in the config.

use std::time::Duration;

/// Parses a humantime duration; zero is refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|_| {
        format!("invalid duration {s:?}: write a number and a unit, e.g. \"90s\", \"10m\", \"72h\", \"7d\"")
    })?;
    if d.is_zero() {
        return Err(format!("duration {s:?} must be greater than zero"));
    }
    Ok(d)
}

/// Parses a byte size: a number with an optional unit B, KB, KiB, MB, MiB, GB, GiB.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}; write e.g. \"10MiB\" or \"512KB\""))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "kib" => 1024.0,
        "mb" | "m" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "gb" | "g" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {s:?}; use B, KB, KiB, MB, MiB, GB or GiB"
            ));
        }
    };
    let bytes = n * mult;
    if !(1.0..=1e12).contains(&bytes) {
        return Err(format!("size {s:?} must be between 1 B and 1 TB"));
    }
    Ok(bytes as u64)
}

/// Formats a duration compactly ("15m", "2h 30m", "7d").
pub fn fmt_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    parts.join(" ")
}

/// Formats a byte count with binary units ("10 MiB").
pub fn fmt_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[i])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("512 KB"), Ok(512_000));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert_eq!(fmt_size(10 * 1024 * 1024), "10 MiB");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1d 12h"), Ok(Duration::from_secs(129_600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(fmt_duration(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(fmt_duration(Duration::from_secs(9_000)), "2h 30m");
        assert_eq!(fmt_duration(Duration::from_millis(200)), "200ms");
    }
}
