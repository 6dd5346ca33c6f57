//! The part of a config a screen needs, which a collector publishes in its store so a screen
//! can attach with only the data directory: names, intervals, rules, countries, views. Never
//! URLs with secrets in them (the feed URL is the one written in the config, with `${VAR}`
//! placeholders left unexpanded), nor headers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Config, Severity};
use crate::geo::CountryCode;
use crate::tui::app::ViewSort;

/// What a screen shows of a config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenConfig {
    /// The config file, as a label for the header.
    pub label: String,
    /// The status window, in seconds.
    pub window_secs: u64,
    /// Alerts at or above this ring the bell.
    pub bell: Option<Severity>,
    /// Desktop notifications with the bell.
    pub notify: bool,
    /// The watchlist.
    pub countries: Vec<ScreenCountry>,
    /// Every feed.
    pub feeds: Vec<ScreenFeed>,
    /// Every rule.
    pub rules: Vec<ScreenRule>,
    /// Saved views, on `v` and a digit.
    #[serde(default)]
    pub views: Vec<SavedView>,
    /// Key bindings as configured.
    #[serde(default)]
    pub keys: Vec<(String, Vec<String>)>,
    /// The enabled notification targets' ids.
    #[serde(default)]
    pub targets: Vec<String>,
    /// How far back the risk-factor board looks, in seconds.
    #[serde(default = "thirty_days")]
    pub evidence_window_secs: u64,
}

/// A watched country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenCountry {
    /// Its code.
    pub code: CountryCode,
    /// Structural risk typed in the config.
    pub baseline: Option<f64>,
    /// Notes from the config.
    pub notes: String,
}

/// A feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenFeed {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// URL as written (placeholders, never secrets).
    pub url: String,
    /// Polled at all.
    pub enabled: bool,
    /// Poll interval, in seconds.
    pub interval_secs: u64,
}

impl ScreenFeed {
    /// The poll interval.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs)
    }
}

/// A rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenRule {
    /// Id.
    pub id: String,
    /// Kind, as in the config.
    pub kind: String,
    /// Severity it raises.
    pub severity: Severity,
}

/// A saved view: a list, a filter and a sort, under a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    /// Its name, shown when it is chosen.
    pub name: String,
    /// The filter, in the list filter's language.
    pub filter: String,
    /// Which list, sorted how.
    pub sort: ViewSort,
}

fn thirty_days() -> u64 {
    30 * 86_400
}

impl ScreenConfig {
    /// The status window.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }

    /// How far back the risk-factor board looks.
    pub fn evidence_window(&self) -> Duration {
        Duration::from_secs(self.evidence_window_secs)
    }
}

impl From<&Config> for ScreenConfig {
    fn from(c: &Config) -> Self {
        Self {
            label: c.path.display().to_string(),
            window_secs: c.settings.window.as_secs(),
            evidence_window_secs: c.settings.evidence_window.as_secs(),
            bell: c.settings.bell,
            notify: c.settings.notify,
            countries: c
                .countries
                .iter()
                .map(|w| ScreenCountry {
                    code: w.code,
                    baseline: w.baseline,
                    notes: w.notes.clone(),
                })
                .collect(),
            feeds: c
                .feeds
                .iter()
                .map(|f| ScreenFeed {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    url: public_url(&f.url_display),
                    enabled: f.enabled,
                    interval_secs: f.interval.as_secs(),
                })
                .collect(),
            rules: c
                .rules
                .iter()
                .map(|r| ScreenRule {
                    id: r.id.clone(),
                    kind: r.kind.name().to_string(),
                    severity: r.severity,
                })
                .collect(),
            views: c.views.clone(),
            keys: c.keys.clone(),
            targets: c
                .notify
                .iter()
                .filter(|t| t.enabled)
                .map(|t| t.id.clone())
                .collect(),
        }
    }
}

/// A URL as a screen may show it to anyone who can read the store: the user name and password
/// dropped, and query values other than `${VAR}` placeholders hidden (API keys often sit there).
pub fn public_url(url: &str) -> String {
    let Ok(mut u) = reqwest::Url::parse(url) else {
        return "(not shown)".into();
    };
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let shown = if v.starts_with("${") && v.ends_with('}') {
                v.into_owned()
            } else {
                "…".to_string()
            };
            (k.into_owned(), shown)
        })
        .collect();
    if pairs.is_empty() {
        return u.to_string();
    }
    u.set_query(None);
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{u}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn public_urls_keep_placeholders_and_hide_the_rest() {
        assert_eq!(
            public_url("https://me:pw@api.test/v1/x?key=abc123&token=${TOKEN}"),
            "https://api.test/v1/x?key=…&token=${TOKEN}"
        );
        assert_eq!(
            public_url("https://x.test/feed.xml"),
            "https://x.test/feed.xml"
        );
        assert_eq!(public_url("not a url"), "(not shown)");
    }
}
