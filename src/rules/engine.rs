//! The engine: items in, alerts and status changes out. It knows nothing of HTTP, SQL or
//! terminals, and takes the time as an argument, so scenario tests step a clock.
//!
//! Item rules (keywords, per-item thresholds) raise one alert per (rule, country, item).
//! Windowed rules (counts, summed thresholds) keep a bounded history per (rule, country) and
//! raise one alert when the window crosses the limit, then re-arm only after it falls below.
//! A country's status is the highest severity among its alerts inside `settings.window`.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use sha2::{Digest, Sha256};

use super::corroborate::{Corroborations, Heard};
use super::matcher::{Hits, Matcher, MatcherBuilder, Scratch, TermId};
use super::silence::{self, SilenceState};
use super::spike::{Spike, SpikeState};
use crate::config::{After, Config, Op, Rule, RuleKind, Severity, SilenceScope};
use crate::event::{Alert, Resolved, Status, StatusChange};
use crate::feed::item::{Item, hex16};
use crate::geo::CountryCode;
use crate::store::StoryItem;
use crate::story::{Publisher, Signature, Stories};

pub use super::corroborate::CorroborationRecord;

/// Most entries kept per (rule, country) window; older entries are dropped first.
const MAX_WINDOW_ENTRIES: usize = 100_000;

#[derive(Debug)]
enum Compiled {
    Keywords {
        any: Vec<TermId>,
        all: Vec<TermId>,
        not: Vec<TermId>,
    },
    Threshold {
        field: String,
        op: Op,
        limit: f64,
    },
    WindowSum {
        field: String,
        op: Op,
        limit: f64,
        window: chrono::Duration,
    },
    Count {
        of: Option<usize>,
        limit: u32,
        window: chrono::Duration,
    },
    Spike {
        of: Option<usize>,
        spike: Spike,
    },
    Silence {
        scope: SilenceScope,
        after: After,
    },
    Factors {
        min: Option<u32>,
        any_of: Vec<u8>,
        with: Vec<u8>,
        window: chrono::Duration,
        mentions: bool,
    },
}

/// The newest evidence for one factor in one country: about it, and any at all (the item may
/// only mention it).
#[derive(Debug, Clone, Default)]
struct FactorSeen {
    primary: Option<Quote>,
    any: Option<Quote>,
}

impl FactorSeen {
    /// Keeps `quote` where it ranks above what is kept.
    fn offer(&mut self, quote: Quote, primary: bool) {
        if primary && self.primary.as_ref().is_none_or(|q| quote > *q) {
            self.primary = Some(quote.clone());
        }
        if self.any.as_ref().is_none_or(|q| quote > *q) {
            self.any = Some(quote);
        }
    }
}

/// The item a factor's evidence is quoted by, with what made it evidence. The fields rank it,
/// in order: the newest item; among items of one time, one whose title names what the rule
/// matched; then a fixed order of feed and key. So every collector, and every restart, quotes
/// the same item whatever order the items arrived in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Quote {
    at: DateTime<Utc>,
    headline: bool,
    feed: String,
    key: String,
    title: String,
    /// What the rule matched: its terms found, or its threshold.
    why: String,
}

impl Quote {
    /// The quote as an explanation shows it: the title, and what the rule matched when the
    /// title does not show it.
    fn show(&self) -> String {
        let title = crate::text::clean(&self.title, 80);
        if self.headline || self.why.is_empty() {
            format!("\"{title}\"")
        } else {
            format!("\"{title}\": {}", crate::text::clean(&self.why, 60))
        }
    }
}

/// What a silence rule watches one of.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A feed, by id.
    Feed(String),
    /// A country.
    Country(CountryCode),
}

impl Subject {
    /// The form the store keeps: `feed:ID` or `country:CODE`.
    pub fn key(&self) -> String {
        match self {
            Self::Feed(f) => format!("feed:{f}"),
            Self::Country(c) => format!("country:{c}"),
        }
    }

    /// Reads [`Subject::key`] back.
    pub fn parse(key: &str) -> Option<Self> {
        match key.split_once(':')? {
            ("feed", f) => Some(Self::Feed(f.to_string())),
            ("country", c) => crate::geo::lookup(c).map(Self::Country),
            _ => None,
        }
    }
}

/// A silence rule's state for one subject, as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRecord {
    /// Rule id.
    pub rule: String,
    /// What it is about ([`Subject::key`]).
    pub subject: String,
    /// The state, as JSON.
    pub state: String,
}

/// What the engine's clock tick produced.
#[derive(Debug, Default)]
pub struct Tick {
    /// Alerts raised (silences); the caller drops those already recorded and passes the rest
    /// to [`Engine::record`].
    pub alerts: Vec<Alert>,
    /// Status changes from alerts leaving the status window.
    pub changes: Vec<StatusChange>,
}

#[derive(Debug, Default)]
struct WindowState {
    /// In time order, so expiry only ever takes from the front.
    entries: VecDeque<(DateTime<Utc>, f64)>,
    /// The sum of the entries' values, kept as they come and go.
    total: f64,
    /// Above the limit: fired, waiting to fall below before it can fire again.
    crossed: bool,
}

impl WindowState {
    /// Adds an entry in its place in time (a backfilled item may be older than the newest).
    fn add(&mut self, at: DateTime<Utc>, value: f64) {
        if self.entries.len() >= MAX_WINDOW_ENTRIES {
            self.drop_oldest();
        }
        let i = self.entries.partition_point(|(t, _)| *t <= at);
        self.entries.insert(i, (at, value));
        self.total += value;
    }

    fn drop_oldest(&mut self) {
        if let Some((_, v)) = self.entries.pop_front() {
            self.total -= v;
        }
        if self.entries.is_empty() {
            // Whatever rounding has gathered goes with the last entry.
            self.total = 0.0;
        }
    }
}

/// An entry of a windowed rule's history, for persistence.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowEntry {
    /// Rule id.
    pub rule: String,
    /// Country.
    pub country: CountryCode,
    /// Event time.
    pub at: DateTime<Utc>,
    /// 1 for counts, the value for sums.
    pub value: f64,
}

/// What processing one item produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Candidate alerts (the caller drops those it has already recorded).
    pub alerts: Vec<Alert>,
    /// Entries added to windowed rules, to persist.
    pub window_entries: Vec<WindowEntry>,
    /// The item was published longer ago than its feed's `max_age`: it counts in windows but
    /// raised no alert.
    pub too_old: bool,
    /// Silences the item ended.
    pub resolved: Vec<Resolved>,
    /// The story the item was filed under, when it was filed now (it hit an item rule): to
    /// keep with the item.
    pub story: Option<i64>,
    /// The countries the tagger read in the item's text, when the source stated none (the
    /// store keeps them with the item, for each country's chart and history).
    pub tagged: Vec<CountryCode>,
    /// Evidence for risk factors from rules that carry them, to store (old items included).
    pub evidence: Vec<super::evidence::Evidence>,
}

/// The countries an item is tagged to (`[None]` when none), and the one it is about: a
/// source's own country field, else the tagger's primary country, `None` when the item is about
/// no one country ("France and Germany back new defence fund").
struct Tagged {
    countries: Vec<Option<CountryCode>>,
    primary: Option<CountryCode>,
    /// Countries the text names only as who acts ([`crate::rules::matcher::Hits::actors`]).
    actors: Vec<CountryCode>,
}

/// An item rule that an item hit, before it is turned into alerts.
struct Hit {
    rule: usize,
    matched: Vec<String>,
    field: Option<String>,
    value: Option<f64>,
    limit: Option<f64>,
    op: Option<Op>,
}

/// An item's own story id: the story it starts when it joins none.
pub fn own_story(item: &Item) -> i64 {
    crate::feed::item::digest64(format!("{}\u{0}{}", item.feed, item.key).as_bytes())
}

/// How a story id is written in alerts.
pub fn story_text(story: i64) -> String {
    format!("{:016x}", story as u64)
}

/// The newest event time seen for each severity (indexed by [`Severity`] order).
type Newest = [Option<DateTime<Utc>>; 5];

fn note(newest: &mut Newest, severity: Severity, at: DateTime<Utc>) {
    let slot = &mut newest[severity as usize];
    if slot.is_none_or(|t| t < at) {
        *slot = Some(at);
    }
}

/// The rule engine.
pub struct Engine {
    matcher: Matcher,
    rules: Vec<Rule>,
    compiled: Vec<Compiled>,
    listed: HashMap<CountryCode, ()>,
    status_window: chrono::Duration,
    /// Per feed id, the age past which an item raises no alert.
    max_age: HashMap<String, chrono::Duration>,
    default_max_age: chrono::Duration,
    windows: HashMap<(usize, CountryCode), WindowState>,
    spikes: HashMap<(usize, CountryCode), SpikeState>,
    /// Silence rules' subjects, each with whether it changed since it was last saved.
    silences: HashMap<(usize, Subject), (SilenceState, bool)>,
    /// Per feed id: its name and the shortest automatic silence (two poll intervals).
    feeds: HashMap<String, (String, chrono::Duration)>,
    /// Per country, the newest event time of an alert of each severity: all a status needs,
    /// in constant space however many alerts the window holds.
    recent: HashMap<CountryCode, Newest>,
    status: HashMap<CountryCode, Status>,
    /// Recent items that hit item rules, grouped into stories.
    stories: Stories,
    /// How long apart two reports of one story may be: the longest `corroborate_within`.
    story_window: chrono::Duration,
    corroborations: Corroborations,
    /// Structural risk per country: the config's, overridden by an import.
    risks: crate::baseline::Risks,
    /// The config's typed risks, kept to rebuild [`Engine::risks`] when an import changes.
    watch: Vec<crate::config::WatchCountry>,
    /// Spikes in countries ranked this high are raised one severity step (0: never).
    escalate_top: u32,
    scratch: Scratch,
    hits: Hits,
    /// Per (country, factor), the newest evidence: constant space per country.
    factor_seen: HashMap<(CountryCode, u8), FactorSeen>,
    /// Factors rules that have fired for a country and not yet fallen back below.
    factor_crossed: HashSet<(usize, CountryCode)>,
    /// How far back the board (and status events' factor sets) look.
    evidence_window: chrono::Duration,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

fn dur(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Engine {
    /// Compiles the config's rules, watchlist aliases and the gazetteer into one engine.
    pub fn new(config: &Config) -> Result<Self, aho_corasick::BuildError> {
        let mut b = MatcherBuilder::new();
        for c in &config.countries {
            for a in &c.aliases {
                b.alias(a, c.code);
            }
        }
        let ids: Vec<&str> = config.rules.iter().map(|r| r.id.as_str()).collect();
        let mut compiled = Vec::new();
        for r in &config.rules {
            compiled.push(match &r.kind {
                RuleKind::Keywords { any, all, not } => Compiled::Keywords {
                    any: any.iter().map(|t| b.term(t)).collect(),
                    all: all.iter().map(|t| b.term(t)).collect(),
                    not: not.iter().map(|t| b.term(t)).collect(),
                },
                RuleKind::Threshold {
                    field,
                    op,
                    limit,
                    window: None,
                } => Compiled::Threshold {
                    field: field.clone(),
                    op: *op,
                    limit: *limit,
                },
                RuleKind::Threshold {
                    field,
                    op,
                    limit,
                    window: Some(w),
                } => Compiled::WindowSum {
                    field: field.clone(),
                    op: *op,
                    limit: *limit,
                    window: dur(*w),
                },
                RuleKind::Count { of, limit, window } => Compiled::Count {
                    of: of.as_ref().and_then(|o| ids.iter().position(|i| i == o)),
                    limit: *limit,
                    window: dur(*window),
                },
                RuleKind::Spike {
                    of,
                    slot,
                    history,
                    factor,
                    min,
                } => Compiled::Spike {
                    of: of.as_ref().and_then(|o| ids.iter().position(|i| i == o)),
                    spike: Spike::new(*slot, *history, *factor, *min),
                },
                RuleKind::Silence { scope, after } => Compiled::Silence {
                    scope: *scope,
                    after: *after,
                },
                RuleKind::Factors {
                    min,
                    any_of,
                    with,
                    window,
                    mentions,
                } => Compiled::Factors {
                    min: *min,
                    any_of: any_of.clone(),
                    with: with.clone(),
                    window: dur(*window),
                    mentions: *mentions,
                },
            });
        }
        Ok(Self {
            matcher: b.build()?,
            rules: config.rules.clone(),
            compiled,
            listed: config.countries.iter().map(|c| (c.code, ())).collect(),
            status_window: dur(config.settings.window),
            max_age: config
                .feeds
                .iter()
                .map(|f| (f.id.clone(), dur(f.max_age)))
                .collect(),
            default_max_age: dur(config.settings.max_age),
            windows: HashMap::new(),
            spikes: HashMap::new(),
            silences: HashMap::new(),
            feeds: config
                .feeds
                .iter()
                .map(|f| (f.id.clone(), (f.name.clone(), dur(f.interval) * 2)))
                .collect(),
            recent: HashMap::new(),
            status: HashMap::new(),
            stories: Stories::default(),
            story_window: config
                .rules
                .iter()
                .map(|r| dur(r.corroborate.within))
                .fold(chrono::Duration::days(1), chrono::Duration::max),
            corroborations: Corroborations::default(),
            risks: crate::baseline::Risks::new(
                config.countries.iter().map(|c| (c.code, c.baseline)),
                &[],
            ),
            watch: config.countries.clone(),
            escalate_top: config.baseline.escalate_top,
            scratch: Scratch::default(),
            hits: Hits::default(),
            factor_seen: HashMap::new(),
            factor_crossed: HashSet::new(),
            evidence_window: dur(config.settings.evidence_window),
        })
    }

    /// The matcher (for benchmarks and the tagger test).
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Restores a windowed rule's entry from the store (no alert is raised).
    pub fn restore_window_entry(&mut self, e: &WindowEntry) {
        if let Some(i) = self.rules.iter().position(|r| r.id == e.rule) {
            if let Compiled::Spike { spike, .. } = &self.compiled[i] {
                spike.record(self.spikes.entry((i, e.country)).or_default(), e.at);
                return;
            }
            let w = self.windows.entry((i, e.country)).or_default();
            w.add(e.at, e.value);
        }
    }

    /// Restores a silence rule's state for one subject.
    pub fn restore_silence(&mut self, r: &SilenceRecord) {
        let Some(i) = self.rules.iter().position(|x| x.id == r.rule) else {
            return;
        };
        let (Some(subject), Ok(state)) =
            (Subject::parse(&r.subject), serde_json::from_str(&r.state))
        else {
            return;
        };
        self.silences.insert((i, subject), (state, false));
    }

    /// Silence states changed since they were last taken, to save.
    pub fn take_silences(&mut self) -> Vec<SilenceRecord> {
        let mut out = Vec::new();
        for ((ri, subject), (state, dirty)) in &mut self.silences {
            if std::mem::take(dirty) {
                out.push(SilenceRecord {
                    rule: self.rules[*ri].id.clone(),
                    subject: subject.key(),
                    state: serde_json::to_string(state).unwrap_or_default(),
                });
            }
        }
        out
    }

    /// Restores a recorded alert (for status) and a country's last status, without events.
    pub fn restore_alert(
        &mut self,
        country: CountryCode,
        event_time: DateTime<Utc>,
        severity: Severity,
    ) {
        note(
            self.recent.entry(country).or_default(),
            severity,
            event_time,
        );
    }

    /// Restores the last known status of a country.
    pub fn restore_status(&mut self, country: CountryCode, status: Status) {
        self.status.insert(country, status);
    }

    /// After restoring, settle windows so rules already above their limit do not fire again.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        for (&(ri, _), state) in &mut self.spikes {
            if let Compiled::Spike { spike, .. } = &self.compiled[ri] {
                state.crossed = spike.read(state, now).above();
            }
        }
        let keys: Vec<_> = self.windows.keys().copied().collect();
        for key in keys {
            let (limit_ok, _) = self.window_value(key, now);
            if let Some(w) = self.windows.get_mut(&key) {
                w.crossed = limit_ok;
            }
        }
    }

    /// The current status of a country.
    pub fn status(&self, country: CountryCode) -> Status {
        self.status.get(&country).copied().unwrap_or_default()
    }

    fn scan(&mut self, item: &Item) {
        self.matcher.scan_into(
            &[&item.title, &item.summary],
            &mut self.scratch,
            &mut self.hits,
        );
    }

    /// Evaluates every rule against an item seen at `now`. A revision (`revised`) is evaluated
    /// for item rules only, so windows do not count one item twice.
    pub fn process(&mut self, item: &Item, now: DateTime<Utc>, revised: bool) -> Outcome {
        self.scan(item);
        let tagged = if !item.countries.is_empty() {
            // A source's own country field: its first country is the one the item is about.
            Tagged {
                countries: item.countries.iter().copied().map(Some).collect(),
                primary: item.countries.first().copied(),
                actors: Vec::new(),
            }
        } else if !self.hits.countries.is_empty() {
            Tagged {
                countries: self.hits.countries.iter().copied().map(Some).collect(),
                primary: self.hits.primary,
                actors: self.hits.actors.clone(),
            }
        } else {
            Tagged {
                countries: vec![None],
                primary: None,
                actors: Vec::new(),
            }
        };
        let countries = &tagged.countries;
        let event_time = item.event_time(now);
        let max_age = self
            .max_age
            .get(&item.feed)
            .copied()
            .unwrap_or(self.default_max_age);
        let too_old = item
            .published
            .is_some_and(|p| now.signed_duration_since(p) > max_age);
        let mut out = Outcome {
            too_old,
            tagged: if item.countries.is_empty() {
                countries.iter().flatten().copied().collect()
            } else {
                Vec::new()
            },
            ..Outcome::default()
        };
        let mut fired = vec![false; self.rules.len()];
        let mut hits = Vec::new();
        for (ri, rule) in self.rules.iter().enumerate() {
            if !rule.feeds.is_empty() && !rule.feeds.contains(&item.feed) {
                continue;
            }
            let hit = match &self.compiled[ri] {
                Compiled::Keywords { any, all, not } => {
                    let hit = any.iter().any(|t| self.hits.has(*t))
                        && all.iter().all(|t| self.hits.has(*t))
                        && !not.iter().any(|t| self.hits.has(*t));
                    if !hit {
                        continue;
                    }
                    let matched = self
                        .hits
                        .terms
                        .iter()
                        .filter(|(t, _)| any.contains(t) || all.contains(t))
                        .map(|(t, n)| {
                            let d = self.matcher.term(*t).display();
                            if *n > 1 { format!("{d} ×{n}") } else { d }
                        })
                        .collect();
                    Hit {
                        rule: ri,
                        matched,
                        field: None,
                        value: None,
                        limit: None,
                        op: None,
                    }
                }
                Compiled::Threshold { field, op, limit } => {
                    let Some(v) = value_of(item, field) else {
                        continue;
                    };
                    if !op.holds(v, *limit) {
                        continue;
                    }
                    Hit {
                        rule: ri,
                        matched: Vec::new(),
                        field: Some(field.clone()),
                        value: Some(v),
                        limit: Some(*limit),
                        op: Some(*op),
                    }
                }
                Compiled::WindowSum { .. }
                | Compiled::Count { .. }
                | Compiled::Spike { .. }
                | Compiled::Silence { .. }
                | Compiled::Factors { .. } => {
                    continue;
                }
            };
            fired[ri] = true;
            // Old news still counts toward windows (through `fired`) and the factor board, but
            // alerts no one; an evidence-only rule alerts no one either.
            if !too_old && !rule.evidence_only {
                hits.push(hit);
            }
        }
        self.evidence(item, &fired, &tagged, event_time, &mut out);
        if !too_old && !out.evidence.is_empty() {
            let mut touched: Vec<CountryCode> = out.evidence.iter().map(|e| e.country).collect();
            touched.sort_unstable();
            touched.dedup();
            self.factor_alerts(&touched, now, &mut out);
        }
        if !hits.is_empty() {
            self.alert_hits(item, hits, &tagged, event_time, now, &mut out);
        }

        if revised {
            return out;
        }
        self.hear(countries, item, event_time, now, &mut out);
        for ri in 0..self.rules.len() {
            let rule = &self.rules[ri];
            if !rule.feeds.is_empty() && !rule.feeds.contains(&item.feed) {
                continue;
            }
            if let Compiled::Spike { of, .. } = &self.compiled[ri] {
                if of.is_some_and(|o| !fired[o]) {
                    continue;
                }
                self.spike(ri, &tagged, item, event_time, now, too_old, &mut out);
                continue;
            }
            let (value, field) = match &self.compiled[ri] {
                Compiled::Count { of, .. } => {
                    if of.is_some_and(|o| !fired[o]) {
                        continue;
                    }
                    (1.0, None)
                }
                Compiled::WindowSum { field, .. } => match value_of(item, field) {
                    Some(v) => (v, Some(field.clone())),
                    None => continue,
                },
                _ => continue,
            };
            for country in countries.iter().flatten().copied() {
                if !self.rules[ri].applies_to(Some(country), tagged.primary, &self.risks) {
                    continue;
                }
                let w = self.windows.entry((ri, country)).or_default();
                w.add(event_time, value);
                out.window_entries.push(WindowEntry {
                    rule: self.rules[ri].id.clone(),
                    country,
                    at: event_time,
                    value,
                });
                let (above, total) = self.window_value((ri, country), now);
                let Some(w) = self.windows.get_mut(&(ri, country)) else {
                    continue;
                };
                if too_old {
                    // The window is fed; a crossing waits for fresh evidence.
                    continue;
                }
                if above && !w.crossed {
                    w.crossed = true;
                    let rule = &self.rules[ri];
                    let id = alert_id(
                        &rule.id,
                        Some(country),
                        &format!("window:{}", event_time.timestamp()),
                    );
                    let (limit, op, window) = match &self.compiled[ri] {
                        Compiled::Count { limit, window, .. } => {
                            (f64::from(*limit), Some(Op::Ge), *window)
                        }
                        Compiled::WindowSum {
                            limit, op, window, ..
                        } => (*limit, Some(*op), *window),
                        _ => continue,
                    };
                    let explanation = format!(
                        "{total} {} in {} ({} {limit})",
                        field.as_deref().unwrap_or("items"),
                        crate::config::units::fmt_duration(window.to_std().unwrap_or_default()),
                        op.map_or(">=", Op::as_str)
                    );
                    let mut a = self.alert(
                        rule,
                        id,
                        Some(country),
                        item,
                        now,
                        Vec::new(),
                        field.clone(),
                        Some(total),
                        Some(limit),
                        op,
                    );
                    a.item = item.key.clone();
                    a.explanation = Some(explanation);
                    out.alerts.push(a);
                } else if !above {
                    w.crossed = false;
                }
            }
        }
        out
    }

    /// The factors with evidence in `country` within `window` of `now` (counting items that
    /// only mention it with `mentions`), each with its newest item's title.
    fn factors_present(
        &self,
        country: CountryCode,
        window: chrono::Duration,
        mentions: bool,
        now: DateTime<Utc>,
    ) -> Vec<(u8, String)> {
        (1..=14u8)
            .filter_map(|f| {
                let seen = self.factor_seen.get(&(country, f))?;
                let newest = if mentions {
                    seen.any.as_ref()
                } else {
                    seen.primary.as_ref()
                }?;
                (now - newest.at <= window).then(|| (f, newest.show()))
            })
            .collect()
    }

    /// The factors with evidence for factors rule `ri` in `country` when its condition holds
    /// at `now`; `None` when it does not (or `ri` is no factors rule).
    fn factors_holding(
        &self,
        ri: usize,
        country: CountryCode,
        now: DateTime<Utc>,
    ) -> Option<Vec<(u8, String)>> {
        let Compiled::Factors {
            min,
            any_of,
            with,
            window,
            mentions,
        } = &self.compiled[ri]
        else {
            return None;
        };
        let present = self.factors_present(country, *window, *mentions, now);
        let has = |f: &u8| present.iter().any(|(p, _)| p == f);
        let holds = (min.is_some_and(|m| present.len() >= m as usize) || any_of.iter().any(has))
            && with.iter().all(has);
        holds.then_some(present)
    }

    /// Raises the factors rules whose condition now holds in `countries` (once per crossing).
    fn factor_alerts(&mut self, countries: &[CountryCode], now: DateTime<Utc>, out: &mut Outcome) {
        for ri in 0..self.rules.len() {
            let Compiled::Factors { min, window, .. } = &self.compiled[ri] else {
                continue;
            };
            let (min, window) = (*min, *window);
            for &country in countries {
                let rule = &self.rules[ri];
                if !rule.applies_to(Some(country), Some(country), &self.risks) {
                    continue;
                }
                let Some(present) = self.factors_holding(ri, country, now) else {
                    self.factor_crossed.remove(&(ri, country));
                    continue;
                };
                if !self.factor_crossed.insert((ri, country)) {
                    continue;
                }
                let listed: Vec<String> = present
                    .iter()
                    .map(|(f, quote)| format!("{f} {} ({quote})", super::evidence::factor_name(*f)))
                    .collect();
                let window_text =
                    crate::config::units::fmt_duration(window.to_std().unwrap_or_default());
                let rule = &self.rules[ri];
                let id = alert_id(
                    &rule.id,
                    Some(country),
                    &format!("factors:{}", now.timestamp()),
                );
                let mut a = self.bare_alert(rule, id, Some(country), now);
                a.title = format!(
                    "Evidence for {} risk factors in {}",
                    present.len(),
                    country.name()
                );
                a.field = Some("factors".into());
                a.value = Some(present.len() as f64);
                a.limit = min.map(f64::from);
                a.op = min.map(|_| Op::Ge.as_str().to_string());
                a.explanation = Some(format!(
                    "evidence in the last {window_text} for {}",
                    listed.join("; ")
                ));
                out.alerts.push(a);
            }
        }
    }

    /// Re-arms factors rules whose condition no longer holds (evidence aged out).
    fn expire_factors(&mut self, now: DateTime<Utc>) {
        let crossed: Vec<(usize, CountryCode)> = self.factor_crossed.iter().copied().collect();
        for (ri, country) in crossed {
            if self.factors_holding(ri, country, now).is_none() {
                self.factor_crossed.remove(&(ri, country));
            }
        }
    }

    /// Takes in stored evidence (on restart), so factors rules and status events see it.
    pub fn restore_evidence(&mut self, e: &super::evidence::StoredEvidence) {
        // The item is scanned again, so its quote ranks and reads as it did when it came.
        self.matcher
            .scan_into(&[&e.title, &e.summary], &mut self.scratch, &mut self.hits);
        let (headline, why) = self
            .rules
            .iter()
            .position(|r| r.id == e.rule)
            .map(|ri| self.matched_by(ri))
            .unwrap_or_default();
        let quote = Quote {
            at: e.at,
            headline,
            feed: e.feed.clone(),
            key: e.item.clone(),
            title: e.title.clone(),
            why,
        };
        self.factor_seen
            .entry((e.country, e.factor))
            .or_default()
            .offer(quote, e.primary);
    }

    /// What item rule `ri` matched in the last scan, and whether the title shows it: a keyword
    /// rule's terms found, or a threshold rule's condition.
    fn matched_by(&self, ri: usize) -> (bool, String) {
        match &self.compiled[ri] {
            Compiled::Keywords { any, all, .. } => {
                let found: Vec<TermId> = any
                    .iter()
                    .chain(all)
                    .copied()
                    .filter(|t| self.hits.has(*t))
                    .collect();
                let headline = found.iter().any(|t| self.hits.in_first_part(*t));
                let why = found
                    .iter()
                    .map(|t| self.matcher.term(*t).display())
                    .collect::<Vec<_>>()
                    .join(", ");
                (headline, why)
            }
            Compiled::Threshold { field, op, limit } => {
                (false, format!("{field} {} {limit}", op.as_str()))
            }
            _ => (false, String::new()),
        }
    }

    /// Marks factors rules that already fired for a country (on restart), so they do not
    /// fire again for the same evidence.
    pub fn restore_factor_alert(&mut self, rule: &str, country: CountryCode) {
        if let Some(ri) = self.rules.iter().position(|r| r.id == rule) {
            self.factor_crossed.insert((ri, country));
        }
    }

    /// The factors with evidence about `country` in the evidence window.
    pub fn factor_set(&self, country: CountryCode, now: DateTime<Utc>) -> Vec<u8> {
        self.factors_present(country, self.evidence_window, false, now)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    /// Records the item as evidence for the factors of every rule it hit that carries some,
    /// in each country the rule looks at.
    fn evidence(
        &mut self,
        item: &Item,
        fired: &[bool],
        tagged: &Tagged,
        event_time: DateTime<Utc>,
        out: &mut Outcome,
    ) {
        let (countries, primary) = (&tagged.countries, tagged.primary);
        let mut publisher = None;
        for (ri, rule) in self.rules.iter().enumerate() {
            if !fired[ri] || rule.factors.is_empty() {
                continue;
            }
            let source = publisher
                .get_or_insert_with(|| {
                    crate::story::publisher::Publisher::of(item.url.as_deref(), &item.feed).name
                })
                .clone();
            let (headline, why) = self.matched_by(ri);
            for country in countries.iter().flatten().copied() {
                if !rule.applies_to(Some(country), primary, &self.risks) {
                    continue;
                }
                let primary = Some(country) == primary;
                for factor in &rule.factors {
                    let quote = Quote {
                        at: event_time,
                        headline,
                        feed: item.feed.clone(),
                        key: item.key.clone(),
                        title: item.title.clone(),
                        why: why.clone(),
                    };
                    self.factor_seen
                        .entry((country, *factor))
                        .or_default()
                        .offer(quote, primary);
                    out.evidence.push(super::evidence::Evidence {
                        country,
                        factor: *factor,
                        rule: rule.id.clone(),
                        feed: item.feed.clone(),
                        item: item.key.clone(),
                        source: source.clone(),
                        primary,
                        at: event_time,
                    });
                }
            }
        }
    }

    /// Counts an item for spike rule `ri` in each of its countries, and raises an alert where the
    /// recent count crosses the threshold.
    #[allow(clippy::too_many_arguments)]
    fn spike(
        &mut self,
        ri: usize,
        tagged: &Tagged,
        item: &Item,
        event_time: DateTime<Utc>,
        now: DateTime<Utc>,
        too_old: bool,
        out: &mut Outcome,
    ) {
        let Compiled::Spike { spike, .. } = &self.compiled[ri] else {
            return;
        };
        let rule = &self.rules[ri];
        for country in tagged.countries.iter().flatten().copied() {
            if !rule.applies_to(Some(country), tagged.primary, &self.risks) {
                continue;
            }
            out.window_entries.push(WindowEntry {
                rule: rule.id.clone(),
                country,
                at: event_time,
                value: 1.0,
            });
            let reading = {
                let state = self.spikes.entry((ri, country)).or_default();
                spike.record(state, event_time);
                let reading = spike.read(state, now);
                if !reading.above() {
                    state.crossed = false;
                    continue;
                }
                if state.crossed || too_old {
                    continue;
                }
                state.crossed = true;
                reading
            };
            let id = alert_id(
                &rule.id,
                Some(country),
                &format!("spike:{}", event_time.timestamp()),
            );
            let mut a = self.alert(
                rule,
                id,
                Some(country),
                item,
                now,
                Vec::new(),
                None,
                Some(f64::from(reading.recent)),
                Some(reading.threshold.ceil()),
                Some(Op::Ge),
            );
            a.expected = Some((reading.expected * 100.0).round() / 100.0);
            let mut why = spike.explain(&reading);
            if let Some(risk) = self.risks.get(country)
                && let Some((rank, _)) = risk.rank
                && rank <= self.escalate_top
                && a.severity != Severity::Critical
            {
                let from = a.severity;
                a.severity = from.raised();
                why.push_str(&format!(
                    "; raised from {} to {}: structural risk {} is in the top {}",
                    from.as_str(),
                    a.severity.as_str(),
                    risk.describe(),
                    self.escalate_top
                ));
            }
            a.explanation = Some(why);
            a.item = item.key.clone();
            out.alerts.push(a);
        }
    }

    /// A new item ends the silence of its feed, and of each watched country it is about, for
    /// every silence rule that covers them.
    fn hear(
        &mut self,
        countries: &[Option<CountryCode>],
        item: &Item,
        event_time: DateTime<Utc>,
        now: DateTime<Utc>,
        out: &mut Outcome,
    ) {
        for ri in 0..self.rules.len() {
            let Compiled::Silence { scope, .. } = &self.compiled[ri] else {
                continue;
            };
            let rule = &self.rules[ri];
            if !rule.feeds.is_empty() && !rule.feeds.contains(&item.feed) {
                continue;
            }
            // A feed speaks when it brings something new; a country, when the news is about it
            // (by the item's own time, so a backlog teaches its rhythm at once).
            let heard: Vec<(Subject, DateTime<Utc>)> = match scope {
                SilenceScope::Feed => vec![(Subject::Feed(item.feed.clone()), now)],
                SilenceScope::Country => countries
                    .iter()
                    .flatten()
                    .filter(|c| self.listed.contains_key(c))
                    .filter(|c| rule.countries.is_empty() || rule.countries.contains(c))
                    .map(|c| (Subject::Country(*c), event_time))
                    .collect(),
            };
            for (subject, t) in heard {
                self.heard(ri, subject, t, now, &item.title, &mut out.resolved);
            }
        }
    }

    /// A new item its feed carries but another feed brought first: its feed still spoke.
    pub fn feed_heard(&mut self, item: &Item, now: DateTime<Utc>) -> Vec<Resolved> {
        let mut resolved = Vec::new();
        for ri in 0..self.rules.len() {
            let rule = &self.rules[ri];
            if matches!(
                self.compiled[ri],
                Compiled::Silence {
                    scope: SilenceScope::Feed,
                    ..
                }
            ) && (rule.feeds.is_empty() || rule.feeds.contains(&item.feed))
            {
                let subject = Subject::Feed(item.feed.clone());
                self.heard(ri, subject, now, now, &item.title, &mut resolved);
            }
        }
        resolved
    }

    fn heard(
        &mut self,
        ri: usize,
        subject: Subject,
        t: DateTime<Utc>,
        now: DateTime<Utc>,
        title: &str,
        resolved: &mut Vec<Resolved>,
    ) {
        let (state, dirty) = self.silences.entry((ri, subject.clone())).or_default();
        *dirty = true;
        let Some(last) = state.record(t, now) else {
            return;
        };
        let rule = &self.rules[ri];
        let (feed, country, what) = match &subject {
            Subject::Feed(f) => (Some(f.clone()), None, format!("feed {f}")),
            Subject::Country(c) => (None, Some(*c), c.name().to_string()),
        };
        resolved.push(Resolved {
            at: now,
            id: silence_id(&rule.id, &subject, last),
            rule: rule.id.clone(),
            feed,
            country,
            reason: format!("{what} spoke again: {title}"),
        });
    }

    /// Silence rules' alerts due at `now`.
    fn silences_due(&mut self, now: DateTime<Utc>) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let mut keys: Vec<(usize, Subject)> = self.silences.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let (ri, subject) = &key;
            let Compiled::Silence { after, .. } = &self.compiled[*ri] else {
                continue;
            };
            let (floor, name) = match subject {
                Subject::Feed(f) => match self.feeds.get(f) {
                    Some((name, floor)) => (*floor, name.clone()),
                    // A feed no longer configured is not watched.
                    None => continue,
                },
                Subject::Country(c) => (chrono::Duration::hours(1), c.name().to_string()),
            };
            let Some((state, dirty)) = self.silences.get_mut(&key) else {
                continue;
            };
            let country = match subject {
                Subject::Feed(_) => None,
                Subject::Country(c) => Some(*c),
            };
            let Some((quiet, limit)) = state.check(*after, floor, country.is_some(), now) else {
                continue;
            };
            *dirty = true;
            let last = state.fired.unwrap_or_default();
            let rule = &self.rules[*ri];
            let (title, what) = match subject {
                Subject::Feed(_) => (
                    format!("Feed {name} has brought nothing new"),
                    "nothing new".to_string(),
                ),
                Subject::Country(_) => (format!("No reports on {name}"), "no items".to_string()),
            };
            let hours = |t: chrono::Duration| (t.num_seconds() as f64 / 360.0).round() / 10.0;
            alerts.push(Alert {
                feed: match subject {
                    Subject::Feed(f) => f.clone(),
                    Subject::Country(_) => String::new(),
                },
                title,
                field: Some("quiet_hours".into()),
                value: Some(hours(quiet)),
                limit: Some(hours(limit.after)),
                op: Some(Op::Ge.as_str().to_string()),
                explanation: Some(silence::explain(&what, quiet, &limit)),
                ..self.bare_alert(rule, silence_id(&rule.id, subject, last), country, now)
            });
        }
        alerts
    }

    /// (above the limit, current total) for a windowed rule, after dropping expired entries.
    fn window_value(&mut self, key: (usize, CountryCode), now: DateTime<Utc>) -> (bool, f64) {
        let (window, limit, op) = match &self.compiled[key.0] {
            Compiled::Count { window, limit, .. } => (*window, f64::from(*limit), Op::Ge),
            Compiled::WindowSum {
                window, limit, op, ..
            } => (*window, *limit, *op),
            _ => return (false, 0.0),
        };
        let Some(w) = self.windows.get_mut(&key) else {
            return (false, 0.0);
        };
        let cutoff = now
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        while w.entries.front().is_some_and(|(t, _)| *t <= cutoff) {
            w.drop_oldest();
        }
        let total = w.total;
        (op.holds(total, limit), total)
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(
        &self,
        rule: &Rule,
        id: String,
        country: Option<CountryCode>,
        item: &Item,
        now: DateTime<Utc>,
        matched: Vec<String>,
        field: Option<String>,
        value: Option<f64>,
        limit: Option<f64>,
        op: Option<Op>,
    ) -> Alert {
        Alert {
            feed: item.feed.clone(),
            title: item.title.clone(),
            url: item.url.clone(),
            published: item.published,
            matched,
            field,
            value,
            limit,
            op: op.map(|o| o.as_str().to_string()),
            item: item.key.clone(),
            summary: item.summary.clone(),
            ..self.bare_alert(rule, id, country, now)
        }
    }

    /// Files an item that hit item rules under a story and raises, per rule and country, the
    /// alert of that story when its publishers are enough, or its next revision when the item
    /// brought a new publisher.
    fn alert_hits(
        &mut self,
        item: &Item,
        hits: Vec<Hit>,
        tagged: &Tagged,
        event_time: DateTime<Utc>,
        now: DateTime<Utc>,
        out: &mut Outcome,
    ) {
        let (countries, primary, actors) = (&tagged.countries, tagged.primary, &tagged.actors);
        let own = own_story(item);
        let story = match self.stories.story_of(own) {
            Some(s) => s,
            None => {
                let tagged: Vec<CountryCode> = countries.iter().flatten().copied().collect();
                let s = self.stories.assign(
                    Signature::new(&item.title, &tagged).with_actors(actors),
                    &item.feed,
                    event_time,
                    self.story_window,
                    own,
                );
                out.story = Some(s);
                s
            }
        };
        // One link parse per item, not per rule and country.
        let publisher = Publisher::of(item.url.as_deref(), &item.feed);
        for hit in hits {
            let rule = &self.rules[hit.rule];
            for country in countries.iter().copied() {
                if !rule.applies_to(country, primary, &self.risks) {
                    continue;
                }
                let heard = self.corroborations.hear(
                    (hit.rule, country, story),
                    &rule.corroborate,
                    &publisher,
                    event_time,
                    now,
                );
                let Heard::Emit { revision, sources } = heard else {
                    continue;
                };
                let id = alert_id(&rule.id, country, &format!("story:{}", story_text(story)));
                let mut alert = self.alert(
                    rule,
                    id,
                    country,
                    item,
                    now,
                    hit.matched.clone(),
                    hit.field.clone(),
                    hit.value,
                    hit.limit,
                    hit.op,
                );
                if rule.corroborate.min_sources > 1 {
                    alert.explanation = Some(format!(
                        "carried by {} publishers within {}: {}",
                        sources.len(),
                        crate::config::units::fmt_duration(rule.corroborate.within),
                        sources.join(", ")
                    ));
                }
                alert.primary = country == primary;
                alert.story = Some(story_text(story));
                alert.sources = sources;
                alert.revision = revision;
                out.alerts.push(alert);
            }
        }
    }

    /// Files a stored item under its story again (on restart), so later reports join it.
    pub fn restore_story(&mut self, s: &StoryItem) {
        let (countries, actors) = if s.item.countries.is_empty() {
            self.scan(&s.item);
            (self.hits.countries.clone(), self.hits.actors.clone())
        } else {
            (s.item.countries.clone(), Vec::new())
        };
        let at = s.item.event_time(s.first_seen);
        self.stories.remember(
            Signature::new(&s.item.title, &countries).with_actors(&actors),
            &s.item.feed,
            at,
            own_story(&s.item),
            s.story,
        );
    }

    /// Restores what corroboration knows of a raised alert about a story, from the alert as
    /// stored (restore these after [`Engine::restore_corroboration`]: they are newer).
    pub fn restore_story_alert(&mut self, a: &Alert) {
        let (Some(story), Some(rule)) = (
            a.story
                .as_deref()
                .and_then(|s| u64::from_str_radix(s, 16).ok()),
            self.rules.iter().position(|r| r.id == a.rule),
        ) else {
            return;
        };
        let first = a.published.map_or(a.at, |p| p.min(a.at));
        self.corroborations.restore_raised(
            (rule, a.country, story as i64),
            first,
            a.at,
            &a.sources,
            a.revision,
        );
    }

    /// Restores a corroboration state from the store.
    pub fn restore_corroboration(&mut self, r: &CorroborationRecord) {
        if let Some(i) = self.rules.iter().position(|x| x.id == r.rule) {
            self.corroborations.restore(i, r);
        }
    }

    /// Corroboration states changed since they were last taken, to save.
    pub fn take_corroborations(&mut self) -> Vec<CorroborationRecord> {
        let rules = &self.rules;
        self.corroborations.take(|i| rules[i].id.as_str())
    }

    /// How far back stories reach: what a restart must read again.
    pub fn story_window(&self) -> chrono::Duration {
        self.story_window
    }

    /// An alert of `rule` about `country`, with no item, value or explanation yet.
    fn bare_alert(
        &self,
        rule: &Rule,
        id: String,
        country: Option<CountryCode>,
        now: DateTime<Utc>,
    ) -> Alert {
        Alert {
            id,
            at: now,
            country,
            country_name: country.map(|c| c.name().to_string()),
            listed: country.is_some_and(|c| self.listed.contains_key(&c)),
            rule: rule.id.clone(),
            kind: rule.kind.name().to_string(),
            severity: rule.severity,
            feed: String::new(),
            title: String::new(),
            url: None,
            published: None,
            matched: Vec::new(),
            field: None,
            value: None,
            limit: None,
            op: None,
            item: String::new(),
            summary: String::new(),
            expected: None,
            explanation: None,
            story: None,
            sources: Vec::new(),
            revision: 1,
            primary: true,
        }
    }

    /// Records new alerts (ones the store had not seen) from one item and returns the status
    /// changes they cause: at most one per country, to its final status.
    pub fn record(
        &mut self,
        alerts: &[Alert],
        event_time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<StatusChange> {
        let mut touched: Vec<(CountryCode, &Alert)> = Vec::new();
        for alert in alerts {
            let Some(country) = alert.country else {
                continue;
            };
            if event_time
                > now
                    .checked_sub_signed(self.status_window)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC)
            {
                note(
                    self.recent.entry(country).or_default(),
                    alert.severity,
                    event_time,
                );
            }
            match touched.iter_mut().find(|(c, _)| *c == country) {
                Some(slot) if slot.1.severity < alert.severity => slot.1 = alert,
                Some(_) => {}
                None => touched.push((country, alert)),
            }
        }
        touched
            .into_iter()
            .filter_map(|(country, alert)| {
                self.update_status(country, now, || {
                    format!(
                        "{} alert from rule {}: {}",
                        alert.severity.as_str(),
                        alert.rule,
                        alert.title
                    )
                })
            })
            .collect()
    }

    /// Takes a newly imported structural risk assessment (over the config's typed values).
    pub fn set_imported_baseline(&mut self, imported: &[crate::baseline::Estimate]) {
        self.risks =
            crate::baseline::Risks::new(self.watch.iter().map(|c| (c.code, c.baseline)), imported);
    }

    /// Expires old alerts and windows, and raises the silences due; returns those alerts and
    /// the status changes expiry causes.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Tick {
        let alerts = self.silences_due(now);
        self.expire_factors(now);
        self.corroborations.expire(now, self.story_window * 2);
        // A spike ends when items stop: re-arm it once the recent count falls below. One
        // below its threshold needs no reading until its next item; it is only forgotten once
        // all its counts have left the history.
        let compiled = &self.compiled;
        self.spikes.retain(|&(ri, _), state| {
            if let Compiled::Spike { spike, .. } = &compiled[ri] {
                if !state.crossed {
                    spike.forget_past(state, now);
                } else if !spike.read(state, now).above() {
                    state.crossed = false;
                }
            }
            state.crossed || !state.is_empty()
        });
        let keys: Vec<_> = self.windows.keys().copied().collect();
        for key in keys {
            let (above, _) = self.window_value(key, now);
            if let Some(w) = self.windows.get_mut(&key) {
                if !above {
                    w.crossed = false;
                }
                if w.entries.is_empty() && !w.crossed {
                    self.windows.remove(&key);
                }
            }
        }
        let mut countries: Vec<CountryCode> = self.recent.keys().copied().collect();
        countries.extend(self.status.keys().copied());
        countries.sort_unstable();
        countries.dedup();
        let window_text =
            crate::config::units::fmt_duration(self.status_window.to_std().unwrap_or_default());
        let changes = countries
            .into_iter()
            .filter_map(|c| {
                self.update_status(c, now, || {
                    format!("no higher alerts in the last {window_text}")
                })
            })
            .collect();
        Tick { alerts, changes }
    }

    fn update_status(
        &mut self,
        country: CountryCode,
        now: DateTime<Utc>,
        reason: impl FnOnce() -> String,
    ) -> Option<StatusChange> {
        let cutoff = now
            .checked_sub_signed(self.status_window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let recent = self.recent.entry(country).or_default();
        for slot in recent.iter_mut() {
            if slot.is_some_and(|t| t <= cutoff) {
                *slot = None;
            }
        }
        let to = Severity::ALL
            .iter()
            .zip(recent.iter())
            .filter(|(_, t)| t.is_some())
            .map(|(s, _)| Status::from_severity(*s))
            .max()
            .unwrap_or(Status::Quiet);
        if recent.iter().all(Option::is_none) {
            self.recent.remove(&country);
        }
        let from = self.status.get(&country).copied().unwrap_or_default();
        if from == to {
            return None;
        }
        if to == Status::Quiet {
            self.status.remove(&country);
        } else {
            self.status.insert(country, to);
        }
        Some(StatusChange {
            at: now,
            country,
            country_name: country.name().to_string(),
            from,
            to,
            reason: reason(),
            factors: self.factor_set(country, now),
        })
    }
}

fn value_of(item: &Item, field: &str) -> Option<f64> {
    item.values
        .iter()
        .find(|(k, _)| k == field)
        .map(|(_, v)| *v)
}

/// The id of a silence alert: one per rule, subject and silence (named by its last arrival).
fn silence_id(rule: &str, subject: &Subject, last: i64) -> String {
    let country = match subject {
        Subject::Country(c) => Some(*c),
        Subject::Feed(_) => None,
    };
    alert_id(rule, country, &format!("silence:{}:{last}", subject.key()))
}

/// The stable id of an alert.
pub fn alert_id(rule: &str, country: Option<CountryCode>, subject: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    match country {
        Some(c) => h.update(c.as_str().as_bytes()),
        None => h.update(b"--"),
    }
    h.update([0]);
    h.update(subject.as_bytes());
    hex16(&h.finalize())
}
