//! What a user can ask of the screen. Keys map to these (see [`super::keymap`]); the names are
//! the keys of the config's `[keys]` table.

/// A user intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Jump to the first row.
    Top,
    /// Jump to the last row.
    Bottom,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// Open the selection: a country's alerts, an alert's detail.
    Open,
    /// Back out: clear the filter, close detail or help.
    Back,
    /// Next view.
    NextView,
    /// Previous view.
    PrevView,
    /// The watchlist.
    ShowWatchlist,
    /// All alerts.
    ShowAlerts,
    /// Feed health.
    ShowFeeds,
    /// Every key.
    ShowHelp,
    /// Acknowledge (or withdraw an acknowledgement of) the selection.
    Acknowledge,
    /// Snooze the selection for a time you type.
    Snooze,
    /// Add a note to the selection.
    Note,
    /// Open the selected alert's link in a browser.
    OpenLink,
    /// Copy the selected alert's link to the clipboard (OSC 52, works over SSH).
    CopyLink,
    /// Freeze the screen while collection goes on.
    TogglePause,
    /// Filter the current list as you type.
    Filter,
    /// Cycle the current list's sort order.
    CycleSort,
    /// Search every stored item, alerted or not.
    Search,
    /// Mark or unmark the selected row, to acknowledge or snooze several at once.
    Mark,
    /// Choose a saved view: this key, then its digit.
    SavedView,
    /// Poll the selected feed now.
    PollNow,
    /// Show only what nobody has acknowledged, or everything again.
    UnackedOnly,
    /// Mute or unmute the bell.
    MuteBell,
    /// Leave a sub-view (detail, help); quit at the top.
    Quit,
    /// Quit from any view.
    QuitNow,
}

impl Action {
    /// Every action, in help order.
    pub const ALL: [Action; 30] = [
        Self::Up,
        Self::Down,
        Self::Top,
        Self::Bottom,
        Self::PageUp,
        Self::PageDown,
        Self::Open,
        Self::Back,
        Self::NextView,
        Self::PrevView,
        Self::ShowWatchlist,
        Self::ShowAlerts,
        Self::ShowFeeds,
        Self::ShowHelp,
        Self::Filter,
        Self::Search,
        Self::SavedView,
        Self::CycleSort,
        Self::Mark,
        Self::Acknowledge,
        Self::Snooze,
        Self::Note,
        Self::OpenLink,
        Self::CopyLink,
        Self::PollNow,
        Self::TogglePause,
        Self::UnackedOnly,
        Self::MuteBell,
        Self::Quit,
        Self::QuitNow,
    ];

    /// Lines the help view has: one per action, then the filter language and a note.
    pub const HELP_LINES: usize = Self::ALL.len() + 9 + 16;

    /// The name used in the config's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::Open => "open",
            Self::Back => "back",
            Self::NextView => "next_view",
            Self::PrevView => "prev_view",
            Self::ShowWatchlist => "watchlist",
            Self::ShowAlerts => "alerts",
            Self::ShowFeeds => "feeds",
            Self::ShowHelp => "help",
            Self::Acknowledge => "acknowledge",
            Self::Snooze => "snooze",
            Self::Note => "note",
            Self::OpenLink => "open_link",
            Self::CopyLink => "copy_link",
            Self::TogglePause => "pause",
            Self::Filter => "filter",
            Self::CycleSort => "sort",
            Self::Search => "search",
            Self::Mark => "mark",
            Self::SavedView => "views",
            Self::PollNow => "poll_now",
            Self::UnackedOnly => "unacked_only",
            Self::MuteBell => "mute",
            Self::Quit => "quit",
            Self::QuitNow => "quit_now",
        }
    }

    /// What it does, for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Up => "move up",
            Self::Down => "move down",
            Self::Top => "first row",
            Self::Bottom => "last row",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::Open => "open: a country's evidence (again: its alerts), an alert's detail",
            Self::Back => "back: clear the filter, close detail or help",
            Self::NextView => "next view",
            Self::PrevView => "previous view",
            Self::ShowWatchlist => "watchlist",
            Self::ShowAlerts => "all alerts",
            Self::ShowFeeds => "feed health",
            Self::ShowHelp => "this help",
            Self::Acknowledge => {
                "acknowledge the selected (or marked) countries or alerts (again to withdraw)"
            }
            Self::Snooze => "snooze the selected country or alert for a time you type",
            Self::Note => "add a note to the selected country or alert",
            Self::OpenLink => "open the alert's link in a browser (http/https only)",
            Self::CopyLink => "copy the alert's link (OSC 52: works over SSH)",
            Self::TogglePause => "pause updates (collection goes on)",
            Self::Filter => "filter the current list as you type",
            Self::CycleSort => "cycle the list's sort (the sorted column is marked ▼)",
            Self::Search => "search every stored item, alerted or not (Enter opens a result)",
            Self::Mark => "mark the row; acknowledge or snooze then acts on every marked row",
            Self::SavedView => "saved view: this key, then its number ([[views]] in the config)",
            Self::PollNow => "poll the selected feed now (Feeds view)",
            Self::UnackedOnly => "show only unacknowledged countries and alerts (again for all)",
            Self::MuteBell => {
                "mute or unmute the bell (at most one bell per 10 s; the rest ring together)"
            }
            Self::Quit => {
                "leave a sub-view (country, detail, feed, search, help); quit from a list"
            }
            Self::QuitNow => "quit from any view",
        }
    }

    /// The action with this config name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}
