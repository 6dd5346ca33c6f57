//! The screen's state and its update function: key events and snapshots in, state and effects
//! out. Nothing here draws or does I/O, so every key can be tested without a terminal.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};

use super::action::Action;
use super::keymap::KeyMap;
pub use super::sort::{AlertSort, FeedSort, Sort, SortOrder, ViewSort};
use crate::config::Severity;
use crate::event::{Status, Triage, TriageAction, TriageTarget};
use crate::geo::CountryCode;
use crate::store::snapshot::{AlertRow, Snapshot};

/// The views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Countries by status.
    Watchlist,
    /// Alerts, newest first.
    Alerts,
    /// Feed health.
    Feeds,
    /// One alert in full.
    Detail,
    /// One feed in full: its last poll, schedule and whole last error.
    Feed,
    /// One country's evidence: status history, risk, chart, stories, notes.
    Country,
    /// History search results.
    Search,
    /// One search result (an item, alerted or not) in full.
    Hit,
    /// Every key.
    Help,
}

impl View {
    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Watchlist => "Watchlist",
            Self::Alerts => "Alerts",
            Self::Feeds => "Feeds",
            Self::Detail => "Detail",
            Self::Feed => "Feed",
            Self::Country => "Country",
            Self::Search => "Search",
            Self::Hit => "Item",
            Self::Help => "Help",
        }
    }

    /// Whether it is opened from another view (and `q` or Esc go back to it).
    pub fn is_sub_view(self) -> bool {
        !matches!(self, Self::Watchlist | Self::Alerts | Self::Feeds)
    }
}

/// What the user is typing into, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// The list filter, applied as you type.
    Filter,
    /// A snooze duration for one or more targets.
    Snooze {
        /// Country or alert.
        target: TriageTarget,
        /// Their keys.
        keys: Vec<String>,
        /// What it is, in words.
        label: String,
    },
    /// A note for a target.
    Note {
        /// Country or alert.
        target: TriageTarget,
        /// Its keys.
        keys: Vec<String>,
        /// What it is, in words.
        label: String,
    },
    /// A history search.
    Search,
}

/// Something the runtime must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Save a triage action.
    Triage(Triage),
    /// Poll a feed now.
    PollNow(String),
    /// Open a link in a browser.
    OpenLink(String),
    /// Copy a link to the clipboard.
    CopyLink(String),
    /// Remember that this viewer has seen the alerts raised up to this moment.
    Seen(DateTime<Utc>),
    /// Ring the terminal bell (and notify, if configured) for a new alert.
    Bell {
        /// One line about the alert, sanitised.
        summary: String,
    },
}

/// Where a list's rows were drawn: the screen row of the first data row, how many rows fit, the
/// display position of the first drawn row, and (on the watchlist) the display position of the
/// "not listed" separator, which is no row of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListGeometry {
    /// Screen row of the first data row.
    pub top: u16,
    /// Data rows that fit.
    pub rows: u16,
    /// Display position of the first drawn row.
    pub first: usize,
    /// Display position of a separator row, if any.
    pub separator: Option<usize>,
}

/// The least time between two bells; alerts in between ring together with the next.
pub const BELL_REST: chrono::Duration = chrono::Duration::seconds(10);

/// Where the screen's data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// This process polls.
    Live,
    /// Following another process's database.
    Attached,
}

/// The screen's state.
#[derive(Debug)]
pub struct App {
    /// What is shown (frozen while paused).
    pub snapshot: Snapshot,
    /// The alert list as last filtered, kept while neither the snapshot nor what filters it
    /// changes (a frame asks for the list several times; 10,000 rows are worth filtering once).
    pub(super) alerts_memo: std::cell::RefCell<super::lists::AlertsMemo>,
    /// The newest snapshot received while paused.
    pending: Option<Snapshot>,
    /// Current view.
    pub view: View,
    /// The views a sub-view was opened from, innermost last; Back returns to the last.
    back: Vec<View>,
    /// Selected country.
    pub country_key: Option<CountryCode>,
    /// Selected alert.
    pub alert_key: Option<String>,
    /// Selected feed.
    pub feed_key: Option<String>,
    /// The Alerts view shows only this country.
    pub alerts_country: Option<CountryCode>,
    /// Filter text per list view.
    pub filter: String,
    /// Active prompt and its input.
    pub prompt: Option<Prompt>,
    /// What the user has typed into the prompt.
    pub input: String,
    /// Watchlist sort.
    pub sort: Sort,
    /// Alert list sort.
    pub alert_sort: AlertSort,
    /// Feed list sort.
    pub feed_sort: FeedSort,
    /// Saved views from the config.
    pub views: Vec<crate::config::SavedView>,
    /// The saved view last chosen, while its filter is unchanged.
    pub view_name: Option<String>,
    /// The saved-view key was pressed: the next digit chooses one.
    awaiting_view: bool,
    /// Marked rows (countries or alerts) that triage acts on together.
    pub marked: HashSet<(TriageTarget, String)>,
    /// The history search shown in the Search view.
    pub search: Option<String>,
    /// The selected search result: (feed, item key).
    pub hit_key: Option<(String, String)>,
    /// Updates frozen.
    pub paused: bool,
    /// A one-line message for the footer, with when it was set.
    pub message: Option<(String, DateTime<Utc>)>,
    /// Keys.
    pub keymap: KeyMap,
    /// Live or attached.
    pub mode: Mode,
    /// Config file shown in the header.
    pub config_label: String,
    /// The clock.
    pub now: DateTime<Utc>,
    /// Set when the user quits.
    pub quit: bool,
    /// Rows that fit on a page (set by the view after drawing).
    pub page: usize,
    /// Alerts at or above this ring the bell (`None`: never).
    pub bell: Option<Severity>,
    /// The bell muted from the keyboard (alerts still arrive and show).
    pub muted: bool,
    /// Lists show only what nobody has acknowledged.
    pub unacked_only: bool,
    /// Alerts raised after this are new to this viewer: it moves to the moment the viewer
    /// leaves the alert list (having looked), and starts when the screen opens.
    pub seen_until: DateTime<Utc>,
    /// Why this screen cannot write triage, when it cannot (shown at start and on each try).
    pub read_only: Option<String>,
    /// When the bell last rang.
    last_bell: Option<DateTime<Utc>>,
    /// Alerts that deserved a bell while it was resting, rung together next time.
    held_bells: Vec<String>,
    /// Alert ids already seen, so only new ones ring.
    seen: HashSet<String>,
    /// Whether a first snapshot has arrived (its alerts are history, not news).
    primed: bool,
    /// Who triages (the OS user name).
    pub who: String,
    /// First line shown on the help screen.
    pub help_scroll: u16,
    /// First line shown of the detail view.
    pub detail_scroll: u16,
    /// The detail view's last scroll position with text below it, as the last draw measured.
    pub detail_max: std::cell::Cell<u16>,
    /// Where the last draw put the current list's rows, for mouse clicks.
    pub list_geometry: std::cell::Cell<Option<ListGeometry>>,
    /// A warning shown across the screen until it no longer holds (the collector stopped).
    pub banner: Option<String>,
}

impl App {
    /// A new app on an empty snapshot.
    pub fn new(
        keymap: KeyMap,
        mode: Mode,
        config_label: String,
        who: String,
        bell: Option<Severity>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            snapshot: Snapshot {
                at: now,
                ..Snapshot::default()
            },
            pending: None,
            alerts_memo: std::cell::RefCell::default(),
            view: View::Watchlist,
            back: Vec::new(),
            country_key: None,
            alert_key: None,
            feed_key: None,
            alerts_country: None,
            filter: String::new(),
            prompt: None,
            input: String::new(),
            sort: Sort::Status,
            alert_sort: AlertSort::Time,
            feed_sort: FeedSort::Config,
            views: Vec::new(),
            view_name: None,
            awaiting_view: false,
            marked: HashSet::new(),
            search: None,
            hit_key: None,
            paused: false,
            message: None,
            keymap,
            mode,
            config_label,
            now,
            quit: false,
            page: 10,
            bell,
            muted: false,
            unacked_only: false,
            seen_until: now,
            read_only: None,
            last_bell: None,
            held_bells: Vec::new(),
            seen: HashSet::new(),
            primed: false,
            who,
            help_scroll: 0,
            detail_scroll: 0,
            detail_max: std::cell::Cell::new(0),
            list_geometry: std::cell::Cell::new(None),
            banner: None,
        }
    }

    pub(super) fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), self.now));
    }

    /// Advances the clock; old messages fade after 8 s; bells held back ring once the bell has
    /// rested.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        self.now = now;
        if self
            .message
            .as_ref()
            .is_some_and(|(_, at)| now - *at > chrono::Duration::seconds(8))
        {
            self.message = None;
        }
        self.ring_held()
    }

    /// One bell for everything held, if the bell has rested [`BELL_REST`] since it last rang.
    fn ring_held(&mut self) -> Vec<Effect> {
        if self.held_bells.is_empty() || self.last_bell.is_some_and(|at| self.now - at < BELL_REST)
        {
            return Vec::new();
        }
        let n = self.held_bells.len();
        let first = self.held_bells.remove(0);
        self.held_bells.clear();
        self.last_bell = Some(self.now);
        vec![Effect::Bell {
            summary: if n == 1 {
                first
            } else {
                format!("{n} new alerts; the first: {first}")
            },
        }]
    }

    /// Whether an alert is new to this viewer.
    pub fn is_new(&self, alert: &crate::event::Alert) -> bool {
        alert.at > self.seen_until
    }

    /// How many alerts are new to this viewer.
    pub fn new_alerts(&self) -> usize {
        self.snapshot
            .alerts
            .iter()
            .filter(|r| self.is_new(&r.alert))
            .count()
    }

    /// Takes a new snapshot (or holds it while paused); returns a bell for each new alert that
    /// deserves one.
    pub fn set_snapshot(&mut self, snapshot: Snapshot) -> Vec<Effect> {
        let mut effects = Vec::new();
        for row in &snapshot.alerts {
            if !self.seen.insert(row.alert.id.clone()) || !self.primed {
                continue;
            }
            if !self.muted && self.rings(row, &snapshot) && self.held_bells.len() < 10_000 {
                let a = &row.alert;
                let place = a
                    .country_name
                    .clone()
                    .unwrap_or_else(|| "no country".into());
                self.held_bells.push(format!(
                    "{} {}: {}",
                    a.severity.as_str().to_uppercase(),
                    place,
                    a.title
                ));
            }
        }
        self.primed = true;
        effects.extend(self.ring_held());
        if self.seen.len() > 50_000 {
            self.seen = snapshot.alerts.iter().map(|r| r.alert.id.clone()).collect();
        }
        if self.paused {
            // What a sub-view drills into is read for it now; only the lists stay frozen.
            self.snapshot.drill = snapshot.drill.clone();
            self.pending = Some(snapshot);
        } else {
            self.snapshot = snapshot;
            self.alerts_memo.take();
        }
        effects
    }

    fn rings(&self, row: &AlertRow, snapshot: &Snapshot) -> bool {
        let Some(min) = self.bell else { return false };
        if row.alert.severity < min || row.triage.acked.is_some() || row.triage.snoozed_at(self.now)
        {
            return false;
        }
        let country_snoozed = row.alert.country.is_some_and(|c| {
            snapshot
                .countries
                .iter()
                .any(|r| r.code == c && r.triage.snoozed_at(self.now))
        });
        !country_snoozed
    }

    /// New alerts held back while paused.
    pub fn pending_alerts(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| {
            p.alerts
                .iter()
                .filter(|a| {
                    !self
                        .snapshot
                        .alerts
                        .iter()
                        .any(|b| b.alert.id == a.alert.id)
                })
                .count()
        })
    }

    /// Goes to a top-level view.
    pub(super) fn switch(&mut self, view: View) -> Vec<Effect> {
        let effects = self.leave_alerts(view);
        if self.view != view {
            self.filter.clear();
            self.view_name = None;
            self.marked.clear();
        }
        if view == View::Alerts && self.view != View::Detail && self.view != View::Watchlist {
            self.alerts_country = None;
        }
        self.back.clear();
        self.view = view;
        effects
    }

    /// Leaving the alert list for `next` (other than its own detail) means its alerts were
    /// seen: the mark moves, and is saved so it holds in the next session.
    fn leave_alerts(&mut self, next: View) -> Vec<Effect> {
        if self.view == View::Alerts && !matches!(next, View::Alerts | View::Detail) {
            self.seen_until = self.now;
            return vec![Effect::Seen(self.now)];
        }
        Vec::new()
    }

    /// Opens a sub-view over the current one.
    pub(super) fn open_view(&mut self, view: View) {
        if self.view != view {
            self.back.push(self.view);
        }
        self.view = view;
    }

    /// Leaves a sub-view for the view it was opened from.
    fn go_back(&mut self) -> Vec<Effect> {
        let to = self.back.pop().unwrap_or(View::Watchlist);
        let effects = self.leave_alerts(to);
        self.view = to;
        effects
    }

    /// What the loader should read beside the snapshot for the view that is open.
    pub fn focus(&self) -> crate::store::drill::Focus {
        crate::store::drill::Focus {
            country: (self.view == View::Country)
                .then_some(self.country_key)
                .flatten(),
            feed: (self.view == View::Feed)
                .then(|| self.feed_key.clone())
                .flatten(),
            search: matches!(self.view, View::Search | View::Hit)
                .then(|| self.search.clone())
                .flatten(),
        }
    }

    /// Handles a key.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        if std::mem::take(&mut self.awaiting_view) {
            if let crossterm::event::KeyCode::Char(c @ '1'..='9') = key.code {
                return self.choose_view(usize::from(c as u8 - b'1'));
            } else {
                self.say("No view chosen");
            }
            return Vec::new();
        }
        match self.keymap.action(&key) {
            Some(action) => self.apply(action),
            None => Vec::new(),
        }
    }

    /// Handles the mouse: the wheel scrolls.
    pub fn handle_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        match ev.kind {
            MouseEventKind::ScrollDown => self.move_by(3),
            MouseEventKind::ScrollUp => self.move_by(-3),
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => self.click(ev.row),
            _ => {}
        }
        Vec::new()
    }

    /// A click on a list row selects it (a click on the selected row opens it, as Enter does).
    fn click(&mut self, row: u16) {
        if !matches!(
            self.view,
            View::Watchlist | View::Alerts | View::Feeds | View::Search
        ) {
            return;
        }
        let Some(g) = self.list_geometry.get() else {
            return;
        };
        if row < g.top || row >= g.top + g.rows {
            return;
        }
        let display = g.first + usize::from(row - g.top);
        let index = match g.separator {
            Some(s) if display == s => return,
            Some(s) if display > s => display - 1,
            _ => display,
        };
        if index >= self.list_len() {
            return;
        }
        if index == self.selected_index() {
            self.apply(Action::Open);
        } else {
            self.select(index);
        }
    }

    /// Applies a user intent.
    pub fn apply(&mut self, action: Action) -> Vec<Effect> {
        let page = self.page.max(1) as isize;
        match action {
            Action::Quit if self.view.is_sub_view() => return self.go_back(),
            Action::Quit | Action::QuitNow => self.quit = true,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top if self.view == View::Help => self.help_scroll = 0,
            Action::Top if self.scrolls() => self.detail_scroll = 0,
            Action::Bottom if self.scrolls() => {
                self.detail_scroll = self.detail_max.get();
            }
            Action::Bottom if self.view == View::Help => self.move_by(Action::HELP_LINES as isize),
            Action::Top => self.select(0),
            Action::Bottom => {
                let len = self.list_len();
                self.select(len.saturating_sub(1));
            }
            Action::Open => match self.view {
                View::Watchlist => {
                    if let Some(code) = self.selected_country().map(|r| r.code) {
                        self.country_key = Some(code);
                        self.detail_scroll = 0;
                        self.open_view(View::Country);
                    }
                }
                View::Country => {
                    if let Some(code) = self.country_key {
                        self.alerts_country = Some(code);
                        self.filter.clear();
                        self.view_name = None;
                        self.back.clear();
                        self.view = View::Alerts;
                        self.alert_key = self.alerts().first().map(|r| r.alert.id.clone());
                    }
                }
                View::Alerts => {
                    if let Some(id) = self.selected_alert().map(|r| r.alert.id.clone()) {
                        self.alert_key = Some(id);
                        self.detail_scroll = 0;
                        self.open_view(View::Detail);
                    }
                }
                View::Feeds => {
                    if let Some(id) = self.selected_feed().map(|f| f.id.clone()) {
                        self.feed_key = Some(id);
                        self.open_view(View::Feed);
                    }
                }
                View::Search => self.open_hit(),
                _ => {}
            },
            Action::Back => match self.view {
                v if v.is_sub_view() => return self.go_back(),
                _ if !self.filter.is_empty() => {
                    self.filter.clear();
                    self.view_name = None;
                }
                _ if !self.marked.is_empty() => {
                    self.say(format!("{} marks cleared", self.marked.len()));
                    self.marked.clear();
                }
                View::Alerts if self.alerts_country.is_some() => {
                    self.alerts_country = None;
                    self.view = View::Watchlist;
                    return vec![Effect::Seen(self.now)];
                }
                _ => {}
            },
            Action::NextView | Action::PrevView => {
                let order = [View::Watchlist, View::Alerts, View::Feeds];
                let cur = order.iter().position(|v| *v == self.view).unwrap_or(0);
                let next = if action == Action::NextView {
                    (cur + 1) % 3
                } else {
                    (cur + 2) % 3
                };
                return self.switch(order[next]);
            }
            Action::ShowWatchlist => return self.switch(View::Watchlist),
            Action::ShowAlerts => {
                self.alerts_country = None;
                return self.switch(View::Alerts);
            }
            Action::ShowFeeds => return self.switch(View::Feeds),
            Action::ShowHelp => {
                if self.view != View::Help {
                    self.open_view(View::Help);
                    self.help_scroll = 0;
                }
            }
            Action::Filter => {
                if matches!(self.view, View::Watchlist | View::Alerts | View::Feeds) {
                    self.prompt = Some(Prompt::Filter);
                    self.input = self.filter.clone();
                }
            }
            Action::Search => {
                self.prompt = Some(Prompt::Search);
                self.input = self.search.clone().unwrap_or_default();
            }
            Action::SavedView => {
                if self.views.is_empty() {
                    self.say("No saved views: add [[views]] to the config (see the README)");
                } else {
                    self.awaiting_view = true;
                    let names: Vec<String> = self
                        .views
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("{} {}", i + 1, v.name))
                        .collect();
                    self.say(format!("View: {}", names.join("  ")));
                }
            }
            Action::CycleSort => match self.view {
                View::Watchlist => {
                    self.sort = self.sort.next();
                    self.say(format!("Watchlist sorted by {}", self.sort.label()));
                }
                View::Alerts => {
                    self.alert_sort = self.alert_sort.next();
                    self.say(format!("Alerts sorted by {}", self.alert_sort.label()));
                }
                View::Feeds => {
                    self.feed_sort = self.feed_sort.next();
                    self.say(format!("Feeds sorted by {}", self.feed_sort.label()));
                }
                _ => self.say("Sorting works on the lists (1, 2, 3)"),
            },
            Action::Mark => self.toggle_mark(),
            Action::UnackedOnly => {
                self.unacked_only = !self.unacked_only;
                self.say(if self.unacked_only {
                    "Showing only unacknowledged countries and alerts"
                } else {
                    "Showing everything"
                });
            }
            Action::MuteBell => {
                self.muted = !self.muted;
                if self.muted {
                    self.held_bells.clear();
                }
                self.say(if self.muted {
                    "Bell muted: alerts still arrive and show"
                } else {
                    "Bell on"
                });
            }
            Action::TogglePause => {
                self.paused = !self.paused;
                if !self.paused {
                    if let Some(p) = self.pending.take() {
                        self.snapshot = p;
                        self.alerts_memo.take();
                    }
                    self.say("Updates resumed");
                } else {
                    self.say("Paused: the screen is frozen, collection goes on");
                }
            }
            Action::Acknowledge | Action::Snooze | Action::Note if self.read_only.is_some() => {
                let why = self.read_only.clone().unwrap_or_default();
                self.say(why);
            }
            Action::Acknowledge => {
                let Some((target, keys, label, acked)) = self.target() else {
                    self.say("Select a country or an alert to acknowledge");
                    return Vec::new();
                };
                let action = if acked {
                    TriageAction::Unack
                } else {
                    TriageAction::Ack
                };
                self.say(if acked {
                    format!("Acknowledgement of {label} withdrawn")
                } else {
                    format!("Acknowledged {label}")
                });
                self.marked.clear();
                return keys
                    .into_iter()
                    .map(|key| Effect::Triage(self.triage(target, key, action, None, None)))
                    .collect();
            }
            Action::Snooze | Action::Note => {
                let Some((target, keys, label, _)) = self.target() else {
                    self.say("Select a country or an alert first");
                    return Vec::new();
                };
                // Typing replaces nothing: the prompt starts empty and shows the presets.
                self.input = String::new();
                self.prompt = Some(if action == Action::Snooze {
                    Prompt::Snooze {
                        target,
                        keys,
                        label,
                    }
                } else {
                    Prompt::Note {
                        target,
                        keys,
                        label,
                    }
                });
            }
            Action::OpenLink | Action::CopyLink => {
                let url = match self.view {
                    View::Search | View::Hit => self.selected_hit().and_then(|h| h.url.clone()),
                    _ => self.selected_alert().and_then(|r| r.alert.url.clone()),
                };
                let Some(url) =
                    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                else {
                    self.say("No http(s) link on the selection");
                    return Vec::new();
                };
                return if action == Action::OpenLink {
                    self.say(format!("Opening {url}"));
                    vec![Effect::OpenLink(url)]
                } else {
                    self.say(format!("Copied {url}"));
                    vec![Effect::CopyLink(url)]
                };
            }
            Action::PollNow => {
                if !matches!(self.view, View::Feeds | View::Feed) {
                    self.say(format!(
                        "Poll now works on the Feeds view ({})",
                        self.keymap.hint(Action::ShowFeeds)
                    ));
                } else if self.mode == Mode::Attached {
                    self.say("Attached: polling is the collector's job");
                } else if let Some(f) = self.selected_feed() {
                    let id = f.id.clone();
                    if f.enabled {
                        self.say(format!("Polling {id} now"));
                        return vec![Effect::PollNow(id)];
                    }
                    self.say(format!("{id} is disabled in the config"));
                }
            }
        }
        Vec::new()
    }

    /// Statuses counted for the header: (critical, warning).
    pub fn status_counts(&self) -> (usize, usize) {
        let c = self
            .snapshot
            .countries
            .iter()
            .filter(|r| r.status == Status::Critical)
            .count();
        let w = self
            .snapshot
            .countries
            .iter()
            .filter(|r| r.status == Status::Warning)
            .count();
        (c, w)
    }
}

/// Cuts text to at most `max` characters with an ellipsis.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
