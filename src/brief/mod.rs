//! The end-of-shift brief: what changed per country in a period (status changes with their
//! reasons, the top stories with their sources, new alerts by severity, the desk's notes), the
//! feeds that failed or went silent, and each country's structural risk beside it. Gathered
//! from the store into a plain model, then written as Markdown, HTML, CSV or JSON (see
//! [`render`]). Every list has a fixed order, so the same store gives the same brief.

pub mod render;

pub use render::{Format, render, title};

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{ScreenConfig, Severity};
use crate::event::{Alert, Status, TriageAction, TriageTarget};
use crate::geo::CountryCode;
use crate::store::{PeriodReads, StoreError};

/// Stories listed per country at most.
const TOP_STORIES: usize = 5;

/// The severities, most severe first.
pub const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Counts per severity, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Critical.
    pub critical: u32,
    /// High.
    pub high: u32,
    /// Medium.
    pub medium: u32,
    /// Low.
    pub low: u32,
    /// Info.
    pub info: u32,
}

impl Counts {
    fn add(&mut self, s: Severity) {
        *self.slot(s) += 1;
    }

    fn slot(&mut self, s: Severity) -> &mut u32 {
        match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    /// The count of one severity.
    pub fn get(&self, s: Severity) -> u32 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// All of them.
    pub fn total(&self) -> u32 {
        SEVERITIES.iter().map(|s| self.get(*s)).sum()
    }

    /// "2 critical, 5 high", leaving out zeros; "none" when all are.
    pub fn words(&self) -> String {
        let parts: Vec<String> = SEVERITIES
            .iter()
            .filter(|s| self.get(**s) > 0)
            .map(|s| format!("{} {}", self.get(*s), s.as_str()))
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The brief.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    /// Start of the period (exclusive).
    #[serde(with = "crate::time::rfc3339")]
    pub since: DateTime<Utc>,
    /// End of the period: when it was written.
    #[serde(with = "crate::time::rfc3339")]
    pub until: DateTime<Utc>,
    /// New alerts in the period by severity.
    pub alerts: Counts,
    /// Status changes in the period.
    pub status_changes: usize,
    /// Countries with something to report, most urgent first.
    pub countries: Vec<CountryBrief>,
    /// Feeds that failed or went silent in the period.
    pub feeds: Vec<FeedTrouble>,
    /// How far back the factor tables look, in seconds.
    #[serde(rename = "evidence_window_secs", serialize_with = "secs")]
    pub evidence_window: std::time::Duration,
    /// Every alert of the period, oldest first (the CSV's rows).
    #[serde(skip)]
    pub all_alerts: Vec<AlertLine>,
}

/// One country's part.
#[derive(Debug, Clone, Serialize)]
pub struct CountryBrief {
    /// ISO code.
    pub code: CountryCode,
    /// Name.
    pub name: String,
    /// On the watchlist.
    pub listed: bool,
    /// Status now.
    pub status: Status,
    /// Structural risk in words, with its source.
    pub risk: Option<String>,
    /// Structural risk, 0..1.
    pub baseline: Option<f64>,
    /// Status changes in the period, oldest first.
    pub changes: Vec<Change>,
    /// New alerts by severity.
    pub alerts: Counts,
    /// The top stories, most severe and best sourced first.
    pub stories: Vec<Story>,
    /// Stories beyond the top ones.
    pub more_stories: usize,
    /// Notes written in the period on the country or its alerts.
    pub notes: Vec<Note>,
    /// The risk factors with evidence about it in the evidence window (or the one before),
    /// by factor.
    pub factors: Vec<crate::rules::evidence::FactorRow>,
}

/// A status change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// When.
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// From.
    pub from: Status,
    /// To.
    pub to: Status,
    /// Why.
    pub reason: String,
}

/// A story: the alerts of the period about one event, and its publishers.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    /// The first report's title.
    pub title: String,
    /// Its link.
    pub url: Option<String>,
    /// The most severe alert's severity.
    pub severity: Severity,
    /// The rules that fired, in order.
    pub rules: Vec<String>,
    /// Distinct publishers.
    pub sources: Vec<String>,
    /// When it was first raised.
    #[serde(with = "crate::time::rfc3339")]
    pub first: DateTime<Utc>,
    /// Why a windowed rule fired, if one did.
    pub explanation: Option<String>,
    /// The feeds its alerts came from (its publishers when the source names none).
    #[serde(skip)]
    feeds: Vec<String>,
}

/// A desk note.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    /// When.
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// Who wrote it.
    pub who: String,
    /// What it is on: "the country", or an alert's title.
    pub on: String,
    /// The text.
    pub text: String,
}

/// A feed that failed or went silent.
#[derive(Debug, Clone, Serialize)]
pub struct FeedTrouble {
    /// Feed id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Failed polls among those kept for the period.
    pub failed: usize,
    /// Polls kept for the period.
    pub polls: usize,
    /// The last error.
    pub last_error: Option<String>,
    /// Whether its last poll failed.
    pub failing_now: bool,
    /// A silence alert's explanation, if it went quiet.
    pub silent: Option<String>,
}

/// An alert as the CSV lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertLine {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// Who acknowledged it, if anyone has.
    pub acknowledged_by: Option<String>,
}

fn secs<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// Gathers the brief for `(since, until]` from `store`, naming things as `screen` does.
pub fn gather(
    store: &impl PeriodReads,
    screen: &ScreenConfig,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Brief, StoreError> {
    let alerts = store.alerts_between(since, until)?;
    let changes = store.status_changes_between(since, until)?;
    let triage = store.triage_between(since, until)?;
    let polls = store.polls_between(since, until)?;
    let statuses: HashMap<CountryCode, Status> = store.statuses()?.into_iter().collect();
    let imported = store.baseline().unwrap_or_default();
    let risks = crate::baseline::Risks::new(
        screen.countries.iter().map(|c| (c.code, c.baseline)),
        &imported,
    );
    let all_triage = crate::store::screen::triage_states(store)?;

    let mut per: BTreeMap<CountryCode, CountryBrief> = BTreeMap::new();
    let entry = |per: &mut BTreeMap<CountryCode, CountryBrief>, code: CountryCode| {
        per.entry(code)
            .or_insert_with(|| {
                let risk = risks.get(code);
                CountryBrief {
                    code,
                    name: code.name().to_string(),
                    listed: screen.countries.iter().any(|c| c.code == code),
                    status: statuses.get(&code).copied().unwrap_or_default(),
                    risk: risk.map(|r| r.describe()),
                    baseline: risk.map(|r| r.value),
                    changes: Vec::new(),
                    alerts: Counts::default(),
                    stories: Vec::new(),
                    more_stories: 0,
                    notes: Vec::new(),
                    factors: Vec::new(),
                }
            })
            .code
    };
    // Watched countries that are not quiet belong in the brief even on a calm day.
    for c in &screen.countries {
        if statuses.get(&c.code).is_some_and(|s| *s != Status::Quiet) {
            entry(&mut per, c.code);
        }
    }
    let mut totals = Counts::default();
    // A windowed rule's alert names the item that crossed the line but no story: it joins the
    // story that item belongs to, so one event is one story in the brief.
    let story_of_item: HashMap<(&str, &str), &str> = alerts
        .iter()
        .filter_map(|a| {
            a.story
                .as_deref()
                .map(|s| ((a.feed.as_str(), a.item.as_str()), s))
        })
        .collect();
    let mut stories: BTreeMap<(CountryCode, String), Story> = BTreeMap::new();
    let mut titles: HashMap<&str, &Alert> = HashMap::new();
    for a in &alerts {
        totals.add(a.severity);
        titles.insert(a.id.as_str(), a);
        let Some(code) = a.country else { continue };
        entry(&mut per, code);
        if let Some(c) = per.get_mut(&code) {
            c.alerts.add(a.severity);
        }
        let key = a
            .story
            .clone()
            .or_else(|| {
                story_of_item
                    .get(&(a.feed.as_str(), a.item.as_str()))
                    .map(|s| s.to_string())
            })
            .unwrap_or_else(|| a.id.clone());
        let s = stories.entry((code, key)).or_insert_with(|| Story {
            title: a.title.clone(),
            url: a.url.clone(),
            severity: a.severity,
            rules: Vec::new(),
            sources: Vec::new(),
            first: a.at,
            explanation: a.explanation.clone(),
            feeds: Vec::new(),
        });
        s.severity = s.severity.max(a.severity);
        if !s.rules.contains(&a.rule) {
            s.rules.push(a.rule.clone());
        }
        // Windowed alerts name no publishers; the story's items do.
        for p in &a.sources {
            if !p.is_empty() && !s.sources.contains(p) {
                s.sources.push(p.clone());
            }
        }
        if !s.feeds.contains(&a.feed) {
            s.feeds.push(a.feed.clone());
        }
        if s.explanation.is_none() {
            s.explanation = a.explanation.clone();
        }
    }
    let mut grouped: HashMap<CountryCode, Vec<Story>> = HashMap::new();
    for ((code, _), mut s) in stories {
        if s.sources.is_empty() {
            s.sources = std::mem::take(&mut s.feeds);
        }
        grouped.entry(code).or_default().push(s);
    }
    for (code, mut list) in grouped {
        list.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.sources.len().cmp(&a.sources.len()))
                .then(a.first.cmp(&b.first))
                .then(a.title.cmp(&b.title))
        });
        if let Some(c) = per.get_mut(&code) {
            c.more_stories = list.len().saturating_sub(TOP_STORIES);
            list.truncate(TOP_STORIES);
            c.stories = list;
        }
    }
    for ch in &changes {
        entry(&mut per, ch.country);
        if let Some(c) = per.get_mut(&ch.country) {
            c.changes.push(Change {
                at: ch.at,
                from: ch.from,
                to: ch.to,
                reason: ch.reason.clone(),
            });
        }
    }
    for t in triage.iter().filter(|t| t.action == TriageAction::Note) {
        let Some(text) = &t.note else { continue };
        let (code, on) = match t.target {
            TriageTarget::Country => (crate::geo::lookup(&t.key), "the country".to_string()),
            TriageTarget::Alert => match titles.get(t.key.as_str()) {
                Some(a) => (a.country, format!("alert \"{}\"", a.title)),
                None => (None, format!("alert {}", t.key)),
            },
        };
        let Some(code) = code else { continue };
        entry(&mut per, code);
        if let Some(c) = per.get_mut(&code) {
            c.notes.push(Note {
                at: t.at,
                who: t.who.clone(),
                on,
                text: text.clone(),
            });
        }
    }
    let evidence_window = crate::time::delta(screen.evidence_window());
    for (code, c) in per.iter_mut() {
        c.factors = store
            .board_of(*code, evidence_window, until)?
            .into_iter()
            .filter(|r| r.count > 0 || r.previous > 0)
            .collect();
    }
    let mut countries: Vec<CountryBrief> = per.into_values().collect();
    countries.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then(b.alerts.total().cmp(&a.alerts.total()))
            .then(a.code.as_str().cmp(b.code.as_str()))
    });

    let mut feeds = Vec::new();
    for f in &screen.feeds {
        let mine: Vec<_> = polls.iter().filter(|p| p.feed == f.id).collect();
        let failed = mine.iter().filter(|p| !p.ok).count();
        let silent = alerts
            .iter()
            .filter(|a| a.kind == "silence" && a.feed == f.id)
            .map(|a| a.explanation.clone().unwrap_or_else(|| a.title.clone()))
            .next_back();
        let last = mine.last();
        let failing_now = last.is_some_and(|p| !p.ok);
        if failed == 0 && silent.is_none() {
            continue;
        }
        feeds.push(FeedTrouble {
            id: f.id.clone(),
            name: f.name.clone(),
            failed,
            polls: mine.len(),
            last_error: mine.iter().rev().find_map(|p| p.error.clone()),
            failing_now,
            silent,
        });
    }

    let all_alerts = alerts
        .iter()
        .map(|a| AlertLine {
            alert: a.clone(),
            acknowledged_by: all_triage
                .get(&(TriageTarget::Alert, a.id.clone()))
                .and_then(|s| s.acked.as_ref().map(|(who, _)| who.clone())),
        })
        .collect();
    Ok(Brief {
        since,
        until,
        alerts: totals,
        status_changes: changes.len(),
        countries,
        feeds,
        evidence_window: screen.evidence_window(),
        all_alerts,
    })
}
