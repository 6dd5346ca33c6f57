//! The lists the views show, derived from the snapshot on every frame (filtered and sorted),
//! and the selection in them, kept by key so it follows its row when the list changes.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::app::{AlertSort, App, FeedSort, Sort, View};
use super::filter::{Field, Filter, RowText};
use super::theme::{severity_label, status_label};
use crate::store::TriageState;
use crate::store::snapshot::{AlertRow, CountryRow, FeedHealth, FeedRow};

impl App {
    /// Watchlist rows in display order: listed countries, then the unlisted group.
    pub fn countries(&self) -> Vec<&CountryRow> {
        let filter = self.filter_for(View::Watchlist);
        let mut rows: Vec<&CountryRow> = self
            .snapshot
            .countries
            .iter()
            .filter(|r| !self.unacked_only || r.triage.acked.is_none())
            .filter(|r| filter.is_empty() || filter.matches(&country_text(r, self.now)))
            .collect();
        let sort = self.sort;
        rows.sort_by(|a, b| {
            let by_activity = b
                .alerts_24h
                .cmp(&a.alerts_24h)
                .then(b.newest.cmp(&a.newest));
            let by_baseline = b
                .baseline
                .unwrap_or(-1.0)
                .total_cmp(&a.baseline.unwrap_or(-1.0));
            let primary = match sort {
                Sort::Status => b.status.cmp(&a.status).then(by_activity).then(by_baseline),
                Sort::Activity => by_activity.then(b.status.cmp(&a.status)),
                Sort::Baseline => by_baseline.then(b.status.cmp(&a.status)),
                Sort::Name => a.name.cmp(&b.name),
            };
            b.listed
                .cmp(&a.listed)
                .then(primary)
                .then(a.name.cmp(&b.name))
        });
        rows
    }

    /// Alert rows for the Alerts view: one per item (the newest of its alerts stands for the
    /// rest; see [`App::alert_group`]), filtered and sorted.
    pub fn alerts(&self) -> Vec<&AlertRow> {
        self.alerts_memo()
            .rows
            .iter()
            .filter_map(|&i| self.snapshot.alerts.get(i))
            .collect()
    }

    /// `n` of the alert list's rows from `start`, each with every alert of its item (the row's
    /// own first), and how many alerts the whole list holds: a frame builds only what it shows.
    pub fn alert_page(&self, start: usize, n: usize) -> (Vec<Vec<&AlertRow>>, usize) {
        let memo = self.alerts_memo();
        let page = memo
            .groups
            .iter()
            .skip(start)
            .take(n)
            .map(|g| {
                g.iter()
                    .filter_map(|&i| self.snapshot.alerts.get(i))
                    .collect()
            })
            .collect();
        (page, memo.alerts)
    }

    /// Every alert of the item `row` stands for, newest first (itself alone when it is about
    /// no item, or not in the list).
    pub fn alert_group(&self, row: &AlertRow) -> Vec<&AlertRow> {
        let memo = self.alerts_memo();
        let found = memo.rows.iter().position(|&i| {
            self.snapshot
                .alerts
                .get(i)
                .is_some_and(|r| r.alert.id == row.alert.id)
        });
        match found {
            Some(p) => memo.groups[p]
                .iter()
                .filter_map(|&i| self.snapshot.alerts.get(i))
                .collect(),
            None => self
                .snapshot
                .alerts
                .iter()
                .filter(|r| {
                    r.alert.id == row.alert.id
                        || (!row.alert.item.is_empty()
                            && r.alert.item == row.alert.item
                            && r.alert.feed == row.alert.feed)
                })
                .collect(),
        }
    }

    fn alerts_memo(&self) -> std::cell::Ref<'_, AlertsMemo> {
        let key = (
            self.filter_text(View::Alerts),
            self.alerts_country,
            self.unacked_only,
            self.seen_until,
            self.alert_sort,
        );
        if self.alerts_memo.borrow().key.as_ref() != Some(&key) {
            let memo = self.group_alerts(key);
            *self.alerts_memo.borrow_mut() = memo;
        }
        self.alerts_memo.borrow()
    }

    fn group_alerts(&self, key: AlertsKey) -> AlertsMemo {
        let filter = Filter::parse(&key.0);
        let mut rows: Vec<usize> = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut by_item: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        for (i, r) in self.snapshot.alerts.iter().enumerate() {
            if self.alerts_country.is_some() && r.alert.country != self.alerts_country {
                continue;
            }
            let slot = if r.alert.item.is_empty() {
                None
            } else {
                by_item
                    .get(&(r.alert.feed.as_str(), r.alert.item.as_str()))
                    .copied()
            };
            match slot {
                Some(g) => groups[g].push(i),
                None => {
                    if !r.alert.item.is_empty() {
                        by_item
                            .insert((r.alert.feed.as_str(), r.alert.item.as_str()), groups.len());
                    }
                    rows.push(i);
                    groups.push(vec![i]);
                }
            }
        }
        let alerts = &self.snapshot.alerts;
        let keep: Vec<bool> = groups
            .iter()
            .map(|g| {
                let members: Vec<&AlertRow> = g.iter().filter_map(|&i| alerts.get(i)).collect();
                (!self.unacked_only || members.iter().any(|r| r.triage.acked.is_none()))
                    && (filter.is_empty()
                        || filter.matches(&group_text(&members, self.now, |a| self.is_new(a))))
            })
            .collect();
        let mut kept: Vec<(usize, Vec<usize>)> = rows
            .into_iter()
            .zip(groups)
            .zip(keep)
            .filter_map(|(pair, k)| k.then_some(pair))
            .collect();
        let top = |g: &[usize]| {
            g.iter()
                .filter_map(|&i| alerts.get(i))
                .map(|r| r.alert.severity)
                .max()
        };
        match key.4 {
            AlertSort::Time => {}
            AlertSort::Severity => kept.sort_by_key(|g| std::cmp::Reverse(top(&g.1))),
            AlertSort::Country => kept.sort_by_key(|(i, _)| {
                alerts
                    .get(*i)
                    .and_then(|r| r.alert.country)
                    .map_or_else(|| "~~".to_string(), |c| c.to_string())
            }),
        }
        let (rows, groups): (Vec<usize>, Vec<Vec<usize>>) = kept.into_iter().unzip();
        AlertsMemo {
            key: Some(key),
            rows,
            alerts: groups.iter().map(Vec::len).sum(),
            groups,
        }
    }

    /// Feed rows for the Feeds view.
    pub fn feeds(&self) -> Vec<&FeedRow> {
        let filter = self.filter_for(View::Feeds);
        let mut rows: Vec<&FeedRow> = self
            .snapshot
            .feeds
            .iter()
            .filter(|f| filter.is_empty() || filter.matches(&feed_text(f, self.now)))
            .collect();
        match self.feed_sort {
            FeedSort::Config => {}
            FeedSort::Health => rows.sort_by_key(|f| std::cmp::Reverse(f.health(self.now))),
            FeedSort::Name => rows.sort_by_key(|f| f.name.to_lowercase()),
        }
        rows
    }

    fn filter_text(&self, view: View) -> String {
        if self.view == view {
            self.filter.clone()
        } else {
            String::new()
        }
    }

    pub(super) fn filter_for(&self, view: View) -> Filter {
        if self.view == view {
            Filter::parse(&self.filter)
        } else {
            Filter::default()
        }
    }

    /// Index of the selection in the current list.
    pub fn selected_index(&self) -> usize {
        match self.view {
            View::Watchlist => {
                let rows = self.countries();
                self.country_key
                    .and_then(|k| rows.iter().position(|r| r.code == k))
                    .unwrap_or(0)
            }
            View::Alerts => {
                let rows = self.alerts();
                self.alert_key
                    .as_ref()
                    .and_then(|k| rows.iter().position(|r| &r.alert.id == k))
                    .unwrap_or(0)
            }
            View::Feeds => {
                let rows = self.feeds();
                self.feed_key
                    .as_ref()
                    .and_then(|k| rows.iter().position(|r| &r.id == k))
                    .unwrap_or(0)
            }
            View::Search => {
                let hits = self.hits();
                self.hit_key
                    .as_ref()
                    .and_then(|(f, k)| hits.iter().position(|h| &h.feed == f && &h.key == k))
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    pub(super) fn list_len(&self) -> usize {
        match self.view {
            View::Watchlist => self.countries().len(),
            View::Alerts => self.alerts().len(),
            View::Feeds => self.feeds().len(),
            View::Search => self.hits().len(),
            _ => 0,
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        match self.view {
            View::Watchlist => self.country_key = self.countries().get(index).map(|r| r.code),
            View::Alerts => self.alert_key = self.alerts().get(index).map(|r| r.alert.id.clone()),
            View::Feeds => self.feed_key = self.feeds().get(index).map(|r| r.id.clone()),
            View::Search => {
                self.hit_key = self
                    .hits()
                    .get(index)
                    .map(|h| (h.feed.clone(), h.key.clone()));
            }
            _ => {}
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        if self.scrolls() {
            let max = self.detail_max.get() as isize;
            self.detail_scroll = (self.detail_scroll as isize + delta).clamp(0, max) as u16;
            return;
        }
        if self.view == View::Help {
            let max = Action::HELP_LINES as isize;
            self.help_scroll = (self.help_scroll as isize + delta).clamp(0, max) as u16;
            return;
        }
        let len = self.list_len();
        if len == 0 {
            return;
        }
        let cur = self.selected_index() as isize;
        let next = (cur + delta).clamp(0, len as isize - 1);
        self.select(next as usize);
    }

    /// The selected country, if on the watchlist view.
    pub fn selected_country(&self) -> Option<&CountryRow> {
        let rows = self.countries();
        let i = self.selected_index();
        rows.get(i).copied()
    }

    /// The alert in focus: the Detail view's, or the Alerts view's selection.
    pub fn selected_alert(&self) -> Option<&AlertRow> {
        match self.view {
            View::Detail => self
                .alert_key
                .as_ref()
                .and_then(|k| self.snapshot.alerts.iter().find(|r| &r.alert.id == k)),
            View::Alerts => {
                let rows = self.alerts();
                rows.get(self.selected_index()).copied()
            }
            _ => None,
        }
    }

    /// The feed in focus: the Feed view's, or the Feeds view's selection.
    pub fn selected_feed(&self) -> Option<&FeedRow> {
        if self.view == View::Feed {
            return self
                .feed_key
                .as_ref()
                .and_then(|k| self.snapshot.feeds.iter().find(|f| &f.id == k));
        }
        let rows = self.feeds();
        rows.get(self.selected_index()).copied()
    }
}

/// What the alert list is filtered and sorted by.
type AlertsKey = (
    String,
    Option<crate::geo::CountryCode>,
    bool,
    DateTime<Utc>,
    AlertSort,
);

/// The alert list's last grouping and filtering: what it was made by, the indices of the rows
/// shown (one per item), and of every alert each row stands for.
#[derive(Debug, Default)]
pub struct AlertsMemo {
    key: Option<AlertsKey>,
    rows: Vec<usize>,
    groups: Vec<Vec<usize>>,
    /// Alerts in all the groups.
    alerts: usize,
}

/// Triage as filter fields (`is:ack`) and visible words (`!ack`).
fn triage_text(mut row: RowText, t: &TriageState, now: DateTime<Utc>) -> RowText {
    if t.acked.is_some() {
        row = row.field(Field::Is, "ack");
    }
    if t.snoozed_at(now) {
        row = row.field(Field::Is, "snoozed");
    }
    if !t.notes.is_empty() {
        row = row.field(Field::Is, "noted");
    }
    row
}

fn country_text(r: &CountryRow, now: DateTime<Utc>) -> RowText {
    let row = RowText::default()
        .field(
            Field::Sev,
            status_label(r.status).trim_start_matches(['▲', '●', '·', ' ']),
        )
        .field(Field::Sev, r.status.as_str())
        .field(Field::Cc, r.code.as_str())
        .field(Field::Country, r.name.as_str())
        .text(&r.notes)
        .text(r.risk_note.as_deref().unwrap_or(""));
    triage_text(row, &r.triage, now)
}

/// The filter's view of one item's alerts: every member's fields (so `rule:` finds any rule the
/// item hit, and `!rule:` none), the title once.
fn group_text(
    members: &[&AlertRow],
    now: DateTime<Utc>,
    is_new: impl Fn(&crate::event::Alert) -> bool,
) -> RowText {
    let mut row = RowText::default();
    if let Some(first) = members.first() {
        row = row
            .field(Field::Feed, first.alert.feed.as_str())
            .text(&first.alert.title);
    }
    for r in members {
        let a = &r.alert;
        row = row
            .field(Field::Sev, severity_label(a.severity))
            .field(Field::Sev, a.severity.as_str())
            .field(Field::Rule, a.rule.as_str());
        if let Some(c) = a.country {
            row = row.field(Field::Cc, c.as_str());
        }
        if let Some(name) = &a.country_name {
            row = row.field(Field::Country, name.as_str());
        }
        if is_new(a) {
            row = row.field(Field::Is, "new");
        }
        row = triage_text(row, &r.triage, now);
    }
    row
}

fn feed_text(f: &FeedRow, now: DateTime<Utc>) -> RowText {
    let health = match f.health(now) {
        FeedHealth::Ok => "ok",
        FeedHealth::Off => "off",
        FeedHealth::Pending => "pending",
        FeedHealth::Late => "late",
        FeedHealth::Failing => "failing",
    };
    RowText::default()
        .field(Field::Sev, health)
        .field(Field::Feed, f.id.as_str())
        .field(Field::Feed, f.name.as_str())
        .text(f.last_error.as_deref().unwrap_or(""))
}
