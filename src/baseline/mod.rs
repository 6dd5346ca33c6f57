//! Structural risk from the Early Warning Project's statistical risk assessment: reading its
//! CSV files (whose columns changed from year to year) into one risk and rank per country.
//!
//! The files name a country (`country` or `ewp_name`), its Correlates of War code (`COW` or
//! `ccode`) and one or more risk columns: `risk.2015and2016.from2014` (a two-year forecast made
//! from 2014 data), `risk_in_2022` (one year), `risk_in_2022_23` or `risk_2018_19` (two years).
//! The risk taken is the two-year column of the newest run unless the caller names a column.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::geo::{self, CountryCode};

/// One country's structural risk as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The country.
    pub country: CountryCode,
    /// Probability of a new state-led mass killing in the forecast window, 0 to 1.
    pub risk: f64,
    /// 1 for the highest risk in the file.
    pub rank: u32,
    /// How many countries the file ranks.
    pub of: u32,
    /// The first year the forecast covers, when the column says.
    pub year: Option<i32>,
    /// Where it came from: the file's name and the column.
    pub source: String,
}

/// Where a country's structural risk came from.
#[derive(Debug, Clone, PartialEq)]
pub enum RiskSource {
    /// `watchfloor baseline import`: the file and column.
    Imported(String),
    /// `baseline` typed in the country's `[[countries]]` entry.
    Config,
}

/// A country's structural risk as rules and the screen use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    /// 0 to 1.
    pub value: f64,
    /// Rank and how many were ranked, for imported values.
    pub rank: Option<(u32, u32)>,
    /// Where it came from.
    pub source: RiskSource,
}

impl Risk {
    /// "14.9%, rank 3 of 162 (ewp.csv (risk_in_2022_23))" or "12.0% (config)".
    pub fn describe(&self) -> String {
        let percent = format!("{:.1}%", self.value * 100.0);
        match (&self.rank, &self.source) {
            (Some((rank, of)), RiskSource::Imported(from)) => {
                format!("{percent}, rank {rank} of {of} ({from})")
            }
            (None, RiskSource::Imported(from)) => format!("{percent} ({from})"),
            (_, RiskSource::Config) => format!("{percent} (config)"),
        }
    }
}

/// Every country's structural risk: imported values over those typed in the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Risks(HashMap<CountryCode, Risk>);

impl Risks {
    /// The config's typed values, overridden by the imported ones.
    pub fn new(
        config: impl IntoIterator<Item = (CountryCode, Option<f64>)>,
        imported: &[Estimate],
    ) -> Self {
        let mut map: HashMap<CountryCode, Risk> = config
            .into_iter()
            .filter_map(|(code, baseline)| {
                baseline.map(|value| {
                    (
                        code,
                        Risk {
                            value,
                            rank: None,
                            source: RiskSource::Config,
                        },
                    )
                })
            })
            .collect();
        for e in imported {
            map.insert(
                e.country,
                Risk {
                    value: e.risk,
                    rank: Some((e.rank, e.of)),
                    source: RiskSource::Imported(e.source.clone()),
                },
            );
        }
        Self(map)
    }

    /// A country's risk, if known.
    pub fn get(&self, country: CountryCode) -> Option<&Risk> {
        self.0.get(&country)
    }
}

/// A row the import could not attribute to a country.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmatched {
    /// 1-based line in the file.
    pub line: usize,
    /// The name as written.
    pub name: String,
    /// The COW code as written.
    pub cow: String,
}

/// What one file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// One estimate per country, highest risk first.
    pub estimates: Vec<Estimate>,
    /// Rows that name no country the registry knows.
    pub unmatched: Vec<Unmatched>,
    /// Rows whose risk cell is empty or not a number (line, name).
    pub without_risk: Vec<(usize, String)>,
    /// The risk column used.
    pub column: String,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not CSV, or a broken row.
    #[error("{file}: {source}")]
    Csv {
        /// File name.
        file: String,
        /// What the reader said.
        source: csv::Error,
    },
    /// A column the import needs is missing.
    #[error("{file}: {what}")]
    Columns {
        /// File name.
        file: String,
        /// What is missing, in words.
        what: String,
    },
}

/// COW state codes of today's countries (`cow.txt`, built by `scripts/cow-codes.py`).
static COW: LazyLock<HashMap<u32, CountryCode>> = LazyLock::new(|| {
    include_str!("cow.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (cow, iso) = l.split_once('|')?;
            Some((cow.trim().parse().ok()?, geo::lookup(iso.trim())?))
        })
        .collect()
});

/// The country a COW code stands for today.
pub fn country_of_cow(code: u32) -> Option<CountryCode> {
    COW.get(&code).copied()
}

/// The country a row names: its COW code first, then its name, then each part of a name such
/// as "Burma/Myanmar".
fn country_of(name: &str, cow: &str) -> Option<CountryCode> {
    let by_cow = cow
        .trim()
        .trim_end_matches(".0")
        .parse::<u32>()
        .ok()
        .and_then(country_of_cow);
    by_cow
        .or_else(|| geo::lookup(name))
        .or_else(|| name.split('/').find_map(geo::lookup))
        .or_else(|| geo::lookup(name.trim_start_matches("The ")))
}

/// The years a risk column names, and whether it covers two years.
fn column_years(name: &str) -> Option<(i32, bool)> {
    let rest = name
        .strip_prefix("risk.")
        .or_else(|| name.strip_prefix("risk_in_"))
        .or_else(|| name.strip_prefix("risk_"))?;
    let forecast = rest.split(".from").next().unwrap_or(rest);
    let years: Vec<&str> = forecast
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    let first: i32 = years.first()?.parse().ok()?;
    (1900..2200)
        .contains(&first)
        .then_some((first, years.len() >= 2))
}

/// Picks the risk column: the one asked for, else the two-year column of the newest run
/// (one-year columns only when there is no two-year one).
fn pick_column(headers: &[String], asked: Option<&str>) -> Result<usize, String> {
    if let Some(asked) = asked {
        return headers.iter().position(|h| h == asked).ok_or_else(|| {
            format!(
                "no column {asked:?}; risk columns: {}",
                risk_columns(headers)
            )
        });
    }
    headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| column_years(h).map(|(year, two)| (two, year, i)))
        .max()
        .map(|(_, _, i)| i)
        .ok_or_else(|| {
            "no risk column (risk.YYYYandYYYY.fromYYYY, risk_in_YYYY_YY or risk_YYYY_YY)".into()
        })
}

fn risk_columns(headers: &[String]) -> String {
    let list: Vec<&str> = headers
        .iter()
        .filter(|h| h.starts_with("risk"))
        .map(String::as_str)
        .collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// Reads one EWP risk file. `file` names it in messages and in each estimate's source.
pub fn read_ewp(text: &str, file: &str, column: Option<&str>) -> Result<Import, BaselineError> {
    let csv_error = |source| BaselineError::Csv {
        file: file.to_string(),
        source,
    };
    let columns_error = |what: String| BaselineError::Columns {
        file: file.to_string(),
        what,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let name_col = find(&["ewp_name", "country"])
        .ok_or_else(|| columns_error("no country column (ewp_name or country)".into()))?;
    let cow_col = find(&["ccode", "cow"]);
    let risk_col = pick_column(&headers, column).map_err(columns_error)?;
    let column = headers[risk_col].clone();
    let year = column_years(&column).map(|(y, _)| y);
    let source = format!("{file} ({column})");

    let mut by_country: HashMap<CountryCode, f64> = HashMap::new();
    let mut unmatched = Vec::new();
    let mut without_risk = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(i + 2, |p| p.line() as usize);
        let name = record.get(name_col).unwrap_or("").trim().to_string();
        let cow = cow_col
            .and_then(|c| record.get(c))
            .unwrap_or("")
            .trim()
            .to_string();
        let Some(country) = country_of(&name, &cow) else {
            unmatched.push(Unmatched { line, name, cow });
            continue;
        };
        let risk = record
            .get(risk_col)
            .and_then(|r| r.trim().parse::<f64>().ok())
            .filter(|r| r.is_finite() && (0.0..=1.0).contains(r));
        match risk {
            Some(risk) => {
                let kept = by_country.entry(country).or_insert(risk);
                *kept = kept.max(risk);
            }
            None => without_risk.push((line, name)),
        }
    }
    let mut ranked: Vec<(CountryCode, f64)> = by_country.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let of = u32::try_from(ranked.len()).unwrap_or(u32::MAX);
    let estimates = ranked
        .into_iter()
        .enumerate()
        .map(|(i, (country, risk))| Estimate {
            country,
            risk,
            rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            of,
            year,
            source: source.clone(),
        })
        .collect();
    Ok(Import {
        estimates,
        unmatched,
        without_risk,
        column,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_of_every_layout() {
        assert_eq!(
            column_years("risk.2015and2016.from2014"),
            Some((2015, true))
        );
        assert_eq!(column_years("risk.2015.from2014"), Some((2015, false)));
        assert_eq!(column_years("risk_in_2022_23"), Some((2022, true)));
        assert_eq!(column_years("risk_in_2022"), Some((2022, false)));
        assert_eq!(column_years("risk_2018_19"), Some((2018, true)));
        assert_eq!(column_years("riskiness"), None);
        let headers: Vec<String> = ["country", "risk_in_2022", "risk_in_2022_23", "risk_in_2021"]
            .map(String::from)
            .to_vec();
        assert_eq!(pick_column(&headers, None), Ok(2));
        assert_eq!(pick_column(&headers, Some("risk_in_2022")), Ok(1));
        assert!(
            pick_column(&headers, Some("risk_x"))
                .unwrap_err()
                .contains("risk_in_2022, risk_in_2022_23")
        );
    }

    #[test]
    fn cow_codes_cross_to_iso() {
        for (cow, iso) in [
            (345, "RS"),
            (347, "XK"),
            (626, "SS"),
            (255, "DE"),
            (2, "US"),
        ] {
            assert_eq!(
                country_of_cow(cow).map(|c| c.to_string()).as_deref(),
                Some(iso)
            );
        }
        assert_eq!(
            country_of("Burma/Myanmar", "")
                .map(|c| c.to_string())
                .as_deref(),
            Some("MM")
        );
        assert_eq!(
            country_of("The Gambia", "")
                .map(|c| c.to_string())
                .as_deref(),
            Some("GM")
        );
    }
}
