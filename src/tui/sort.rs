//! How each list can be sorted, and the sort a saved view names.

use serde::{Deserialize, Serialize};

/// Watchlist sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Status, then recent activity, then baseline.
    #[default]
    Status,
    /// Alerts in the last 24 h, then newest alert.
    Activity,
    /// Baseline risk.
    Baseline,
    /// Name.
    Name,
}

/// Alert list sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSort {
    /// Newest first.
    #[default]
    Time,
    /// Highest severity first, then newest.
    Severity,
    /// By country code, then newest.
    Country,
}

/// Feed list sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedSort {
    /// As in the config.
    #[default]
    Config,
    /// Worst health first.
    Health,
    /// By name.
    Name,
}

/// Names and orders shared by the three sort types.
pub trait SortOrder: Copy + Eq + Default + 'static {
    /// Every order, in the order `s` cycles through them.
    const ALL: &'static [Self];
    /// Its name, as in the config and the header.
    fn label(self) -> &'static str;
    /// The column header it sorts by.
    fn column(self) -> &'static str;
    /// The next order.
    fn next(self) -> Self {
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
    /// The order named `name`.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.label().eq_ignore_ascii_case(name))
    }
    /// Every name, for messages.
    fn names() -> String {
        Self::ALL
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl SortOrder for Sort {
    const ALL: &'static [Self] = &[Self::Status, Self::Activity, Self::Baseline, Self::Name];
    fn label(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Activity => "activity",
            Self::Baseline => "baseline",
            Self::Name => "name",
        }
    }
    fn column(self) -> &'static str {
        match self {
            Self::Status => "Status",
            Self::Activity => "24h",
            Self::Baseline => "Risk",
            Self::Name => "Country",
        }
    }
}

impl SortOrder for AlertSort {
    const ALL: &'static [Self] = &[Self::Time, Self::Severity, Self::Country];
    fn label(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Severity => "severity",
            Self::Country => "country",
        }
    }
    fn column(self) -> &'static str {
        match self {
            Self::Time => "Age",
            Self::Severity => "Sev",
            Self::Country => "CC",
        }
    }
}

impl SortOrder for FeedSort {
    const ALL: &'static [Self] = &[Self::Config, Self::Health, Self::Name];
    fn label(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Health => "health",
            Self::Name => "name",
        }
    }
    fn column(self) -> &'static str {
        match self {
            Self::Config => "",
            Self::Health => "Health",
            Self::Name => "Feed",
        }
    }
}

/// A saved view's list and its sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "list", content = "sort", rename_all = "lowercase")]
pub enum ViewSort {
    /// The watchlist.
    Watchlist(Sort),
    /// The alert list.
    Alerts(AlertSort),
    /// The feed list.
    Feeds(FeedSort),
}

impl ViewSort {
    /// The list named `list` sorted by `sort` (its default when `None`); an error in words.
    pub fn parse(list: &str, sort: Option<&str>) -> Result<Self, String> {
        fn one<T: SortOrder>(list: &str, sort: Option<&str>) -> Result<T, String> {
            match sort {
                None => Ok(T::default()),
                Some(s) => T::parse(s).ok_or_else(|| {
                    format!(
                        "\"{s}\" is no sort of the {list} list; use one of {}",
                        T::names()
                    )
                }),
            }
        }
        match list.to_ascii_lowercase().as_str() {
            "watchlist" | "countries" => one(list, sort).map(Self::Watchlist),
            "alerts" => one(list, sort).map(Self::Alerts),
            "feeds" => one(list, sort).map(Self::Feeds),
            _ => Err(format!(
                "\"{list}\" is no list; use watchlist, alerts or feeds"
            )),
        }
    }
}
