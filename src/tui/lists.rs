//! The lists the views show, derived from the snapshot on every frame (filtered and sorted),
//! and the selection in them, kept by key so it follows its row when the list changes.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::app::{App, Sort, View};
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

    /// Alert rows for the Alerts view.
    pub fn alerts(&self) -> Vec<&AlertRow> {
        let key = (
            self.filter_text(View::Alerts),
            self.alerts_country,
            self.unacked_only,
            self.seen_until,
        );
        if let Some(memo) = self.alerts_memo.borrow().as_ref()
            && memo.key == key
        {
            return memo
                .rows
                .iter()
                .filter_map(|&i| self.snapshot.alerts.get(i))
                .collect();
        }
        let filter = Filter::parse(&key.0);
        let rows: Vec<usize> = self
            .snapshot
            .alerts
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                self.alerts_country.is_none() || r.alert.country == self.alerts_country
            })
            .filter(|(_, r)| !self.unacked_only || r.triage.acked.is_none())
            .filter(|(_, r)| {
                filter.is_empty() || filter.matches(&alert_text(r, self.now, self.is_new(&r.alert)))
            })
            .map(|(i, _)| i)
            .collect();
        let out = rows
            .iter()
            .filter_map(|&i| self.snapshot.alerts.get(i))
            .collect();
        *self.alerts_memo.borrow_mut() = Some(AlertsMemo { key, rows });
        out
    }

    /// Feed rows for the Feeds view.
    pub fn feeds(&self) -> Vec<&FeedRow> {
        let filter = self.filter_for(View::Feeds);
        self.snapshot
            .feeds
            .iter()
            .filter(|f| filter.is_empty() || filter.matches(&feed_text(f, self.now)))
            .collect()
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
            View::Detail | View::Feed | View::Help => 0,
        }
    }

    pub(super) fn list_len(&self) -> usize {
        match self.view {
            View::Watchlist => self.countries().len(),
            View::Alerts => self.alerts().len(),
            View::Feeds => self.feeds().len(),
            View::Detail | View::Feed | View::Help => 0,
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        match self.view {
            View::Watchlist => self.country_key = self.countries().get(index).map(|r| r.code),
            View::Alerts => self.alert_key = self.alerts().get(index).map(|r| r.alert.id.clone()),
            View::Feeds => self.feed_key = self.feeds().get(index).map(|r| r.id.clone()),
            View::Detail | View::Feed | View::Help => {}
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        if self.view == View::Detail {
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

/// The alert list's last filtering: what it was filtered by, and the rows' indices.
#[derive(Debug)]
pub struct AlertsMemo {
    key: (String, Option<crate::geo::CountryCode>, bool, DateTime<Utc>),
    rows: Vec<usize>,
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

fn alert_text(r: &AlertRow, now: DateTime<Utc>, new: bool) -> RowText {
    let a = &r.alert;
    let mut row = RowText::default()
        .field(Field::Sev, severity_label(a.severity))
        .field(Field::Sev, a.severity.as_str())
        .field(Field::Rule, a.rule.as_str())
        .field(Field::Feed, a.feed.as_str())
        .text(&a.title);
    if let Some(c) = a.country {
        row = row.field(Field::Cc, c.as_str());
    }
    if let Some(name) = &a.country_name {
        row = row.field(Field::Country, name.as_str());
    }
    if new {
        row = row.field(Field::Is, "new");
    }
    triage_text(row, &r.triage, now)
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
