//! Choosing what acts: saved views, marked rows, and search results.

use super::app::{App, Effect, SortOrder, View, ViewSort, short};
use crate::event::TriageTarget;
use crate::store::drill::SearchHit;

impl App {
    /// Whether the view scrolls as one page of text (rather than moving a selection).
    pub(super) fn scrolls(&self) -> bool {
        matches!(
            self.view,
            View::Detail | View::Country | View::Hit | View::Feed
        )
    }

    /// Shows saved view `i` (0-based): its list, filter and sort.
    pub(super) fn choose_view(&mut self, i: usize) -> Vec<Effect> {
        let Some(v) = self.views.get(i).cloned() else {
            self.say(format!("No view {}: {} saved", i + 1, self.views.len()));
            return Vec::new();
        };
        let list = match v.sort {
            ViewSort::Watchlist(s) => {
                self.sort = s;
                View::Watchlist
            }
            ViewSort::Alerts(s) => {
                self.alert_sort = s;
                self.alerts_country = None;
                View::Alerts
            }
            ViewSort::Feeds(s) => {
                self.feed_sort = s;
                View::Feeds
            }
        };
        let effects = self.switch(list);
        self.filter = v.filter.clone();
        self.view_name = Some(v.name.clone());
        let sort = match v.sort {
            ViewSort::Watchlist(s) => s.label(),
            ViewSort::Alerts(s) => s.label(),
            ViewSort::Feeds(s) => s.label(),
        };
        self.say(format!("View {}: {} sorted by {sort}", i + 1, v.name));
        self.select(0);
        effects
    }

    /// Marks the selected row, or unmarks it, and moves down.
    pub(super) fn toggle_mark(&mut self) {
        let key = match self.view {
            View::Watchlist => self
                .selected_country()
                .map(|r| (TriageTarget::Country, r.code.to_string())),
            View::Alerts => self
                .selected_alert()
                .map(|r| (TriageTarget::Alert, r.alert.id.clone())),
            _ => {
                self.say("Marking works on the Watchlist and Alerts lists");
                return;
            }
        };
        let Some(key) = key else { return };
        if !self.marked.remove(&key) {
            self.marked.insert(key);
        }
        self.move_by(1);
        let n = self.marked.len();
        if n > 0 {
            self.say(format!(
                "{n} marked: acknowledge or snooze acts on all of them (Esc clears the marks)"
            ));
        }
    }

    /// Whether a row is marked.
    pub fn is_marked(&self, target: TriageTarget, key: &str) -> bool {
        self.marked.contains(&(target, key.to_string()))
    }

    /// Search results, newest first, when they are for the search shown.
    pub fn hits(&self) -> &[SearchHit] {
        match (&self.snapshot.drill.search, &self.search) {
            (Some((q, hits)), Some(s)) if q == s => hits,
            _ => &[],
        }
    }

    /// Whether the search shown still waits for its results.
    pub fn search_pending(&self) -> bool {
        self.search.is_some()
            && self
                .snapshot
                .drill
                .search
                .as_ref()
                .is_none_or(|(q, _)| Some(q) != self.search.as_ref())
    }

    /// The selected search result.
    pub fn selected_hit(&self) -> Option<&SearchHit> {
        let hits = self.hits();
        let i = self
            .hit_key
            .as_ref()
            .and_then(|(f, k)| hits.iter().position(|h| &h.feed == f && &h.key == k))
            .unwrap_or(0);
        hits.get(i)
    }

    /// Opens the selected result: its alert's detail when it raised one still listed, else
    /// the item itself.
    pub(super) fn open_hit(&mut self) {
        let Some(hit) = self.selected_hit() else {
            return;
        };
        let (feed, key) = (hit.feed.clone(), hit.key.clone());
        let alert = self
            .snapshot
            .alerts
            .iter()
            .find(|r| r.alert.feed == feed && r.alert.item == key)
            .map(|r| r.alert.id.clone());
        self.hit_key = Some((feed, key));
        self.detail_scroll = 0;
        match alert {
            Some(id) => {
                self.alert_key = Some(id);
                self.open_view(View::Detail);
            }
            None => self.open_view(View::Hit),
        }
    }

    /// Runs a history search and shows its results.
    pub(super) fn start_search(&mut self, query: &str) {
        let q = crate::text::clean(query, 200);
        if q.is_empty() {
            self.say("Type words to search for");
            return;
        }
        self.search = Some(q);
        self.hit_key = None;
        if self.view != View::Search {
            self.open_view(View::Search);
        }
    }

    /// What the marked (else the selected) rows are, in words.
    pub(super) fn marked_label(&self, target: TriageTarget, keys: &[String]) -> String {
        match (target, keys) {
            (TriageTarget::Country, [one]) => self
                .snapshot
                .countries
                .iter()
                .find(|r| r.code.as_str() == one)
                .map_or_else(|| one.clone(), |r| format!("{} {}", r.code, r.name)),
            (TriageTarget::Alert, [one]) => self
                .snapshot
                .alerts
                .iter()
                .find(|r| &r.alert.id == one)
                .map_or_else(
                    || "the alert".into(),
                    |r| format!("alert \"{}\"", short(&r.alert.title, 40)),
                ),
            (TriageTarget::Country, many) => format!("{} countries", many.len()),
            (TriageTarget::Alert, many) => format!("{} alerts", many.len()),
        }
    }
}
