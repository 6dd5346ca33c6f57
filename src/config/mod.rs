//! The configuration: TOML on disk ([`load`]), validated into the types here. Every error names
//! the file, line, column and key, and what would be valid.

mod error;
mod load;
mod notify;
mod raw;
mod screen;
mod toml_errors;
pub mod units;
mod validate_feeds;
mod validate_rules;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

pub use error::{ConfigError, ConfigErrors};
pub use load::{load, load_str};
pub use notify::{NOTIFY_EVENTS, NotifyConfig, NotifyFilter, NotifyKind, SmtpServer, SmtpTls};
pub use screen::{SavedView, ScreenConfig, ScreenCountry, ScreenFeed, ScreenRule, public_url};

use crate::geo::{CodeSystem, CountryCode};

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// Global settings.
    pub settings: Settings,
    /// The watchlist.
    pub countries: Vec<WatchCountry>,
    /// Feeds to poll.
    pub feeds: Vec<FeedConfig>,
    /// Rules to evaluate.
    pub rules: Vec<Rule>,
    /// Key overrides from `[keys]`: (action name, keys), validated.
    pub keys: Vec<(String, Vec<String>)>,
    /// `[baseline]`: what structural risk changes.
    pub baseline: BaselineSettings,
    /// `[[views]]`: saved list views, chosen on the screen with `v` and a digit.
    pub views: Vec<SavedView>,
    /// `[[notify]]`: notification targets.
    pub notify: Vec<NotifyConfig>,
    /// `[store]`: where the state lives when it is shared.
    pub store: StoreSettings,
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// `url`: where the state lives, when not in the data directory (a `postgres://` URL,
    /// `${VAR}` filled in).
    pub address: Option<crate::store::StoreAddress>,
    /// `lease`: how long a collector holds a feed without renewing (a collector that dies
    /// loses its feeds after this long).
    pub lease: std::time::Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            address: None,
            lease: std::time::Duration::from_secs(30),
        }
    }
}

/// `[baseline]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaselineSettings {
    /// A spike in a country ranked this high or higher by the imported risk assessment is
    /// raised one severity step (0: never).
    pub escalate_top: u32,
}

impl Default for BaselineSettings {
    fn default() -> Self {
        Self { escalate_top: 30 }
    }
}

/// A rule's demand on a country's structural risk (`min_baseline`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinBaseline {
    /// The least risk, 0..1.
    pub at_least: f64,
    /// Whether a country with no known risk passes (`min_baseline_missing`).
    pub missing_passes: bool,
}

impl Config {
    /// The config file's directory (relative paths in the config resolve against it).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// `[settings]`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Default poll interval per feed.
    pub poll_interval: Duration,
    /// How long an alert counts toward a country's status.
    pub window: Duration,
    /// Total request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Body cap in decoded bytes.
    pub max_body: u64,
    /// User-Agent header.
    pub user_agent: String,
    /// Items and alerts older than this are pruned.
    pub retain: Duration,
    /// Data directory, if set in the config.
    pub data_dir: Option<PathBuf>,
    /// At most this many items are read from one response.
    pub max_items: usize,
    /// At most this many fetches at once.
    pub concurrency: usize,
    /// At most this many fetches at once to one host.
    pub per_host: usize,
    /// New alerts at or above this severity ring the terminal bell (`None`: never).
    pub bell: Option<Severity>,
    /// Also send a desktop notification where one is available.
    pub notify: bool,
    /// Items published longer ago than this are stored and counted, but raise no alert.
    pub max_age: Duration,
    /// Most bytes `headless --archive` keeps.
    pub archive_max: u64,
    /// Extra certificate authorities to trust (`settings.ca_file`, PEM), beside the built-in
    /// roots: a private CA of a government network.
    pub ca_pem: Option<Vec<u8>>,
    /// Who the desk is, in exports (CAP `sender`): `settings.sender`, else
    /// `watchfloor@<host name>`.
    pub sender: String,
    /// CAP `scope` of exported alerts.
    pub cap_scope: CapScope,
    /// How far back the risk-factor board looks for evidence (and the window before it, for
    /// the trend).
    pub evidence_window: Duration,
}

/// CAP `scope`: who an exported alert is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CapScope {
    /// Anyone.
    #[default]
    Public,
    /// Those the desk shares with (`restriction` says so).
    Restricted,
}

impl CapScope {
    /// The CAP value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "Public",
            Self::Restricted => "Restricted",
        }
    }
}

/// CAP `category` values.
pub const CAP_CATEGORIES: &[&str] = &[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
];

/// One `[[countries]]` entry.
#[derive(Debug, Clone)]
pub struct WatchCountry {
    /// The country.
    pub code: CountryCode,
    /// Structural risk estimate, 0..1.
    pub baseline: Option<f64>,
    /// Free-text notes.
    pub notes: String,
    /// Extra names for the tagger.
    pub aliases: Vec<String>,
}

/// Feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Detect from the body.
    Auto,
    /// RSS 0.9x/1.0/2.0.
    Rss,
    /// Atom.
    Atom,
    /// A JSON API read through pointers (or JSON Feed without pointers).
    Json,
}

/// One `[[feeds]]` entry.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Unique id, `[a-z0-9-]`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The URL to fetch, with `${VAR}`s filled in. Never log or show this: use `url_display`.
    pub url: String,
    /// The URL as written, with `${VAR}` placeholders: safe to show.
    pub url_display: String,
    /// Format.
    pub format: Format,
    /// Poll interval.
    pub interval: Duration,
    /// Every item is about this country.
    pub country: Option<CountryCode>,
    /// How two-letter codes in this feed are written.
    pub country_codes: CodeSystem,
    /// Extra request headers (values may hold secrets).
    pub headers: Vec<(String, String)>,
    /// Whether it is polled.
    pub enabled: bool,
    /// JSON pointers, for JSON APIs.
    pub json: Option<JsonMap>,
    /// Where to read the item's country in RSS/Atom extension elements (`gdacs:iso3`).
    pub xml_country: Vec<String>,
    /// Where to read the item's coordinates in RSS/Atom elements: its country when no field
    /// names one.
    pub xml_point: XmlPoint,
    /// Named numbers for threshold rules.
    pub values: Vec<ValueSpec>,
    /// Secret strings (interpolated values) to redact from anything shown.
    pub secrets: Vec<String>,
    /// This feed's `max_age` (else the settings').
    pub max_age: Duration,
    /// How a bearer token for this feed is obtained, if the source needs one.
    pub auth: Option<std::sync::Arc<AuthConfig>>,
}

/// `[feeds.auth]`: an OAuth 2.0 token endpoint the collector signs in to, sending the token it
/// gets as `Authorization: Bearer …` and renewing it before it expires.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AuthConfig {
    /// The token endpoint (secrets filled in).
    pub token_url: String,
    /// How to sign in.
    pub grant: Grant,
    /// `client_id`, if the endpoint wants one.
    pub client_id: Option<String>,
    /// `client_secret`, if the endpoint wants one.
    pub client_secret: Option<String>,
    /// `scope`, if the endpoint wants one.
    pub scope: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials never reach a log through a Debug print.
        f.debug_struct("AuthConfig")
            .field("grant", &self.grant.name())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// An OAuth 2.0 grant.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Grant {
    /// Resource-owner password credentials (ACLED's `grant_type=password`).
    Password {
        /// The account.
        username: String,
        /// Its password.
        password: String,
    },
    /// Client credentials (`grant_type=client_credentials`).
    ClientCredentials,
}

impl Grant {
    /// The `grant_type` value.
    pub fn name(&self) -> &'static str {
        match self {
            Grant::Password { .. } => "password",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

/// `[feeds.json]`: RFC 6901 JSON Pointers into a JSON API response.
#[derive(Debug, Clone, Default)]
pub struct JsonMap {
    /// The array of items (empty string: the document itself is the array).
    pub items: String,
    /// Stable id of an item.
    pub id: Option<String>,
    /// Title.
    pub title: Option<TextSpec>,
    /// Link.
    pub url: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Summary or body.
    pub summary: Option<TextSpec>,
    /// Country of the item (overrides the tagger).
    pub country: Option<String>,
    /// Latitude and longitude of the item, in decimal degrees: its country when no field names
    /// one. A GeoJSON feature's Point geometry is read without them.
    pub lat: Option<String>,
    /// Longitude (see `lat`).
    pub lon: Option<String>,
    /// How further pages are found, if the API pages its results.
    pub paging: Option<Paging>,
    /// Pages read at most in one poll (the first included).
    pub max_pages: usize,
}

/// Where an item's text is read: one JSON Pointer (`"/title"`), or a template that joins
/// several fields (`"{/sub_event_type} in {/location}, {/country}"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextSpec {
    /// The text at one pointer.
    Pointer(String),
    /// Literal text and pointers, in order.
    Template(Vec<TemplatePart>),
}

/// A piece of a [`TextSpec::Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text written in the config.
    Literal(String),
    /// The text at a JSON Pointer (empty when absent).
    Field(String),
}

/// How a JSON API's further pages are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// A JSON Pointer to the next page's URL in each page (`/links/next/href`).
    Next(String),
    /// A query parameter counting pages from 1 (`page`).
    Param(String),
}

/// Elements holding an RSS/Atom item's coordinates: `lat` and `lon` (`geo:lat`, `geo:long`),
/// or `point`, one element with both (`georss:point`, "lat lon").
#[derive(Debug, Clone, Default)]
pub struct XmlPoint {
    /// Latitude element.
    pub lat: Option<String>,
    /// Longitude element.
    pub lon: Option<String>,
    /// An element holding "lat lon".
    pub point: Option<String>,
}

impl XmlPoint {
    /// Whether any element is named.
    pub fn is_set(&self) -> bool {
        self.point.is_some() || (self.lat.is_some() && self.lon.is_some())
    }
}

/// A named number read from each item.
#[derive(Debug, Clone)]
pub struct ValueSpec {
    /// The name rules refer to (`fatalities`).
    pub name: String,
    /// JSON Pointer, or an XML element name such as `gdacs:alertscore`.
    pub at: String,
    /// Read this XML attribute instead of the element text.
    pub attr: Option<String>,
    /// Words to numbers (`green = 1`), matched case-insensitively.
    pub map: Vec<(String, f64)>,
}

/// Alert severities, ordered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// One step higher (critical stays critical).
    pub fn raised(self) -> Self {
        match self {
            Self::Info => Self::Low,
            Self::Low => Self::Medium,
            Self::Medium => Self::High,
            Self::High | Self::Critical => Self::Critical,
        }
    }

    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Reads the lowercase name back.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Comparison operators for threshold rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `==`
    #[serde(rename = "==")]
    Eq,
}

impl Op {
    /// Whether `value op limit` holds.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Self::Gt => value > limit,
            Self::Ge => value >= limit,
            Self::Lt => value < limit,
            Self::Le => value <= limit,
            Self::Eq => (value - limit).abs() < f64::EPSILON * value.abs().max(1.0),
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "==",
        }
    }
}

/// What a rule tests.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// Terms in the item's text.
    Keywords {
        /// At least one of these.
        any: Vec<String>,
        /// Every one of these.
        all: Vec<String>,
        /// None of these.
        not: Vec<String>,
    },
    /// A named value against a limit, per item or summed per country over a window.
    Threshold {
        /// A name from `[feeds.values]`.
        field: String,
        /// Comparison.
        op: Op,
        /// Limit.
        limit: f64,
        /// Sum over this window per country instead of testing each item.
        window: Option<Duration>,
    },
    /// Items (or another rule's hits) per country within a window.
    Count {
        /// Count only hits of this rule.
        of: Option<String>,
        /// Fires when the count reaches this.
        limit: u32,
        /// The window.
        window: Duration,
    },
    /// A country's recent count (items, or another rule's hits) against its own history.
    Spike {
        /// Count only hits of this rule.
        of: Option<String>,
        /// The recent window.
        slot: Duration,
        /// The slots before the recent one that it is compared with.
        history: Duration,
        /// Fires when the recent count reaches this many times the history's mean per slot ...
        factor: f64,
        /// ... and at least this many.
        min: u32,
    },
    /// Evidence for several risk factors in one country at once.
    Factors {
        /// At least this many factors with evidence ...
        min: Option<u32>,
        /// ... or at least one of these ...
        any_of: Vec<u8>,
        /// ... together with every one of these.
        with: Vec<u8>,
        /// How far back evidence counts.
        window: Duration,
        /// Count items that only mention the country, not only those about it.
        mentions: bool,
    },
    /// A feed or a watched country that has gone quiet.
    Silence {
        /// What is watched for silence.
        scope: SilenceScope,
        /// How long a silence must last.
        after: After,
    },
}

/// What a silence rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceScope {
    /// Each feed: nothing new from it.
    Feed,
    /// Each watched country: no items about it.
    Country,
}

/// How long a silence must last before a silence rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Learned from each feed's or country's own gaps.
    Auto,
    /// A fixed duration.
    Fixed(Duration),
}

impl RuleKind {
    /// The kind's name as in the config.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Keywords { .. } => "keywords",
            Self::Threshold { .. } => "threshold",
            Self::Count { .. } => "count",
            Self::Spike { .. } => "spike",
            Self::Silence { .. } => "silence",
            Self::Factors { .. } => "factors",
        }
    }

    /// How far back the rule looks, for rules that keep a window.
    pub fn lookback(&self) -> Option<Duration> {
        match self {
            Self::Count { window, .. } => Some(*window),
            Self::Threshold { window, .. } => *window,
            Self::Spike { slot, history, .. } => Some(slot.saturating_add(*history)),
            Self::Factors { window, .. } => Some(*window),
            // A silence rule keeps its own compact history (see `rules::silence`).
            Self::Keywords { .. } | Self::Silence { .. } => None,
        }
    }
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// What it tests.
    pub kind: RuleKind,
    /// Severity of its alerts.
    pub severity: Severity,
    /// Only these countries (empty: all).
    pub countries: Vec<CountryCode>,
    /// Only these feeds (empty: all).
    pub feeds: Vec<String>,
    /// How many distinct publishers must carry a story before an item rule fires.
    pub corroborate: Corroborate,
    /// Only an item's primary country (the one it is about) counts, not the others it names.
    pub primary_only: bool,
    /// Only countries whose structural risk is at least this.
    pub min_baseline: Option<MinBaseline>,
    /// CAP `category` of its alerts in exports (one of [`CAP_CATEGORIES`]; default Security).
    pub cap_category: Option<String>,
    /// The risk factors of the UN Framework of Analysis for Atrocity Crimes (1 to 14) its hits
    /// are evidence for.
    pub factors: Vec<u8>,
    /// Its hits are evidence for its factors and raise no alert.
    pub evidence_only: bool,
}

impl Rule {
    /// Whether the rule looks at `country` of an item whose primary country is `primary`,
    /// given each country's structural risk.
    pub fn applies_to(
        &self,
        country: Option<CountryCode>,
        primary: Option<CountryCode>,
        risks: &crate::baseline::Risks,
    ) -> bool {
        if self.primary_only && country != primary {
            return false;
        }
        if let Some(min) = self.min_baseline {
            let risk = country.and_then(|c| risks.get(c)).map(|r| r.value);
            let passes = risk.map_or(min.missing_passes, |r| r >= min.at_least);
            if !passes {
                return false;
            }
        }
        self.countries.is_empty() || country.is_some_and(|c| self.countries.contains(&c))
    }
}

/// The longest `corroborate_within`: stories are grouped over at most this long.
pub const STORY_WINDOW_MAX: Duration = Duration::from_secs(7 * 86_400);

/// An item rule's demand for corroboration: `min_sources` distinct publishers carrying the
/// story within `within` of its first report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corroborate {
    /// Distinct publishers needed (1: fire on the first report).
    pub min_sources: u32,
    /// How long after the first report a publisher still counts.
    pub within: Duration,
}

impl Default for Corroborate {
    fn default() -> Self {
        Self {
            min_sources: 1,
            within: Duration::from_secs(86_400),
        }
    }
}
