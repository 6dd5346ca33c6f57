//! Evidence for the risk factors of the UN Framework of Analysis for Atrocity Crimes (2014,
//! A/70/741–S/2016/71): an item that hit a rule carrying `factors` is evidence for each of
//! them in each country it is about. Evidence is a reading aid for analysts, not an assessment.

use chrono::{DateTime, Utc};

use crate::geo::CountryCode;

/// The 14 risk factors, by number, in short words.
pub const FACTORS: [&str; 14] = [
    "Armed conflict or other instability",
    "Record of serious violations",
    "Weakness of state structures",
    "Motives or incentives",
    "Capacity to commit atrocity crimes",
    "Absence of mitigating factors",
    "Enabling circumstances or preparatory action",
    "Triggering factors",
    "Intergroup tensions or discrimination",
    "Signs of intent to destroy a protected group",
    "Signs of a widespread or systematic attack on civilians",
    "Signs of a plan or policy to attack civilians",
    "Serious threats to those protected under IHL",
    "Serious threats to humanitarian or peacekeeping operations",
];

/// The factors specific to genocide and crimes against humanity (10 to 12): the board marks
/// them.
pub const SPECIFIC: [u8; 3] = [10, 11, 12];

/// The short name of factor `n` (1 to 14).
pub fn factor_name(n: u8) -> &'static str {
    FACTORS
        .get(usize::from(n).wrapping_sub(1))
        .copied()
        .unwrap_or("unknown factor")
}

/// One item's evidence for one factor in one country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The country.
    pub country: CountryCode,
    /// The factor, 1 to 14.
    pub factor: u8,
    /// The rule it hit.
    pub rule: String,
    /// The item's feed.
    pub feed: String,
    /// The item's key in its feed.
    pub item: String,
    /// Its publisher (registrable domain, else the feed id).
    pub source: String,
    /// Whether the country is the one the item is about (else one it mentions).
    pub primary: bool,
    /// The item's time (published, else first seen).
    pub at: DateTime<Utc>,
}

/// Stored evidence as the engine takes it back on restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvidence {
    /// The country.
    pub country: CountryCode,
    /// The factor, 1 to 14.
    pub factor: u8,
    /// The item's time.
    pub at: DateTime<Utc>,
    /// Whether the item is about the country.
    pub primary: bool,
    /// The rule it hit.
    pub rule: String,
    /// The item's feed.
    pub feed: String,
    /// The item's key in its feed.
    pub item: String,
    /// The item's title.
    pub title: String,
    /// The item's summary.
    pub summary: String,
}

/// One row of a country's board: a factor's evidence in the window and the one before it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct FactorRow {
    /// The factor, 1 to 14.
    pub factor: u8,
    /// Items in the window (for the country as the one they are about).
    pub count: u32,
    /// Distinct publishers among them.
    pub sources: u32,
    /// Items in the window before.
    pub previous: u32,
    /// The newest item: its time, title and link.
    pub newest: Option<(DateTime<Utc>, String, Option<String>)>,
}

impl FactorRow {
    /// The trend against the window before, in words: "new", "up", "down", "steady".
    pub fn trend(&self) -> &'static str {
        match (self.previous, self.count) {
            (0, 0) => "",
            (0, _) => "new",
            (p, c) if c > p => "up",
            (p, c) if c < p => "down",
            _ => "steady",
        }
    }
}

/// "7/14" with the specific factors 10 to 12 marked (`7/14 !11`), for a watchlist column.
pub fn summary(factors: &[u8]) -> String {
    if factors.is_empty() {
        return String::new();
    }
    let specific: Vec<String> = factors
        .iter()
        .filter(|f| SPECIFIC.contains(f))
        .map(|f| f.to_string())
        .collect();
    if specific.is_empty() {
        format!("{}/14", factors.len())
    } else {
        format!("{}/14 !{}", factors.len(), specific.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_summaries_and_trends() {
        assert_eq!(factor_name(1), "Armed conflict or other instability");
        assert_eq!(factor_name(14), FACTORS[13]);
        assert_eq!(factor_name(0), "unknown factor");
        assert_eq!(summary(&[1, 7, 8]), "3/14");
        assert_eq!(summary(&[1, 10, 11]), "3/14 !10,11");
        let row = |count, previous| FactorRow {
            count,
            previous,
            ..FactorRow::default()
        };
        assert_eq!(row(3, 0).trend(), "new");
        assert_eq!(row(3, 1).trend(), "up");
        assert_eq!(row(1, 3).trend(), "down");
        assert_eq!(row(2, 2).trend(), "steady");
    }
}
