//! The screen's runtime: terminal set-up and restore, the loader task that reads snapshots
//! from the database, the event loop, and the effects (triage writes, links, clipboard, bell).
//!
//! Polling (the monitor), the database (the loader and triage writer, on blocking threads) and
//! the screen run on separate tasks; the screen redraws on change and on a 1 Hz clock tick.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream, KeyEventKind,
};
use futures_util::StreamExt;
use tokio::sync::{Notify, watch};

use super::app::{App, Effect, Mode};
use super::keymap::KeyMap;
use super::theme::Theme;
use super::view;
use crate::config::ScreenConfig;
use crate::monitor::{Hooks, MonitorState};
use crate::store::drill::Focus;
use crate::store::screen::ScreenReads;
use crate::store::snapshot::Snapshot;
use crate::store::{AnyStore, PgStore, SqliteStore, Store, StoreError};

/// Why the screen stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The terminal failed.
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Attached without a config to a database no collector has described.
    #[error(
        "{dir}: no collector has published its settings here yet (one older than this build, or none started); start `watchfloor headless` on this data directory or store, or pass --config"
    )]
    NoSettings {
        /// The data directory.
        dir: PathBuf,
    },
    /// This user may only read the data directory, and reading failed.
    #[error(
        "{dir}: this user can only read the collector's files, and reading failed ({cause}). Reading needs the collector running (its watchfloor.db-wal and -shm files present), or write access to the directory: ask to be added to the collector's group (its unit sets UMask=0007)"
    )]
    ReadOnly {
        /// The data directory.
        dir: PathBuf,
        /// What SQLite said.
        cause: String,
    },
}

/// How often the loader checks the database for changes made by other processes.
const CHANGE_CHECK: Duration = Duration::from_millis(500);

/// Reads snapshots whenever the database changes (our monitor's notification, or a commit by
/// any other connection seen through `PRAGMA data_version`) or the screen's focus moves, at most
/// one read at a time. `follow`: the screen has no config of its own, and takes the settings the
/// collector published with each read (so it follows a collector restarted on a new config).
async fn loader(
    mut store: AnyStore,
    mut screen: Arc<ScreenConfig>,
    follow: bool,
    changed: Arc<Notify>,
    mut focus: watch::Receiver<Focus>,
    tx: watch::Sender<Snapshot>,
) {
    let mut last_version = -1i64;
    let mut last_read = std::time::Instant::now() - Duration::from_secs(3600);
    let mut focus_moved = false;
    // The collector's process, when its heartbeat says it runs on this host.
    let mut collector: Option<(String, u32)> = None;
    let mut gone = false;
    // A PostgreSQL store wakes the loader through LISTEN/NOTIFY (see `listen`); the timer is
    // only the 30 s re-read that lets windows slide.
    let look = match store {
        AnyStore::Sqlite(_) => CHANGE_CHECK,
        AnyStore::Postgres(_) => Duration::from_secs(30),
    };
    loop {
        // A version that cannot be read (a lost connection) counts as a change: the read
        // connects again.
        let version = store.data_version().unwrap_or(last_version.wrapping_add(1));
        // A collector on this host that has died is told at once, not after its heartbeat
        // goes stale.
        let now_gone = collector
            .as_ref()
            .is_some_and(|(host, pid)| crate::store::lock::process_gone(host, *pid));
        let died = now_gone && !gone;
        gone = now_gone;
        // Re-read at least every 30 s so windows slide even when nothing is written.
        if died
            || focus_moved
            || version != last_version
            || last_read.elapsed() > Duration::from_secs(30)
        {
            last_version = version;
            last_read = std::time::Instant::now();
            let wanted = focus.borrow_and_update().clone();
            let cfg = screen.clone();
            let result = tokio::task::spawn_blocking(move || {
                if let AnyStore::Postgres(pg) = &mut store
                    && let Err(e) = pg.revive()
                {
                    tracing::warn!("connecting to the store again: {e}");
                }
                let published = if follow {
                    crate::store::screen::screen_config(&store).ok().flatten()
                } else {
                    None
                };
                let cfg = published.map_or(cfg, Arc::new);
                let now = Utc::now();
                let snap = store.snapshot(&cfg, now).and_then(|mut s| {
                    s.drill = store.drill(&wanted, now)?;
                    Ok(s)
                });
                (store, cfg, snap)
            })
            .await;
            let Ok((back, cfg, snap)) = result else {
                return;
            };
            store = back;
            screen = cfg;
            match snap {
                Ok(mut s) => {
                    collector = s.heartbeat.as_ref().map(|h| (h.host.clone(), h.pid));
                    gone = collector
                        .as_ref()
                        .is_some_and(|(host, pid)| crate::store::lock::process_gone(host, *pid));
                    s.collector_gone = gone;
                    if tx.send(s).is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!("reading the database: {e}"),
            }
        }
        focus_moved = false;
        tokio::select! {
            () = changed.notified() => {}
            r = focus.changed() => {
                if r.is_err() { return }
                focus_moved = true;
            }
            () = tokio::time::sleep(look) => {}
        }
    }
}

/// Who triages: the OS user name.
pub fn who() -> String {
    whoami::username()
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .map(|u| crate::text::clean(&u, 64))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Runs the screen until the user quits or `shutdown` resolves. In live mode `hooks` come from
/// the monitor running beside it; attached, the database is another process's. Without a
/// `screen` config the settings the collector published in the store are shown.
pub async fn run(
    screen: Option<ScreenConfig>,
    data_dir: &Path,
    mode: Mode,
    hooks: Hooks,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), TuiError> {
    let writer_dir: PathBuf = data_dir.to_path_buf();
    // A screen that may only read the collector's files says so at once, and never tries.
    let read_only = mode == Mode::Attached && !crate::store::writable(&writer_dir);
    let reader = match mode {
        Mode::Attached if read_only => {
            SqliteStore::open_read_only(data_dir).map_err(|e| TuiError::ReadOnly {
                dir: writer_dir.clone(),
                cause: e.to_string(),
            })?
        }
        Mode::Attached => SqliteStore::open_existing(data_dir)?,
        Mode::Live => SqliteStore::open(data_dir)?,
    };
    let writer = if read_only {
        None
    } else {
        Some(AnyStore::Sqlite(SqliteStore::open(&writer_dir)?))
    };
    let note = read_only.then(|| format!(
        "Read-only: you cannot write to {}; triage is off. Ask for group write access (the collector's unit sets UMask=0007).",
        crate::text::clean(&writer_dir.join("watchfloor.db").display().to_string(), 120)
    ));
    let place = Place {
        dir: writer_dir,
        listen: None,
        who: who(),
    };
    drive(
        screen,
        AnyStore::Sqlite(reader),
        writer,
        note,
        place,
        mode,
        hooks,
        shutdown,
    )
    .await
}

/// Runs the screen over a shared PostgreSQL store (`attach --store URL`): it follows commits
/// through LISTEN/NOTIFY, lists the collectors alive, and triage is signed by the database
/// with this login; a login that may not write triage gets a read-only screen.
pub async fn run_shared(
    screen: Option<ScreenConfig>,
    address: &crate::store::address::PgAddress,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), TuiError> {
    let wait_for_settings = screen.is_none();
    let (reader, writer, login, may) = {
        let a = address.clone();
        tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let reader = PgStore::open_existing(&a)?;
            // A screen started with its collector waits a while for the settings it publishes.
            if wait_for_settings {
                let started = std::time::Instant::now();
                while crate::store::screen::screen_config(&reader)?.is_none()
                    && started.elapsed() < Duration::from_secs(60)
                {
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
            let writer = PgStore::open_existing(&a)?;
            let login = writer.login()?;
            let may = writer.may_triage()?;
            Ok((reader, writer, login, may))
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??
    };
    let note = (!may).then(|| {
        format!(
            "Read-only: the login {} may not write triage (a member of watchfloor_viewer); triage is off.",
            crate::text::clean(&login, 64)
        )
    });
    let place = Place {
        dir: PathBuf::from(address.label()),
        listen: Some(address.clone()),
        who: crate::text::clean(&login, 64),
    };
    let writer = may.then_some(AnyStore::Postgres(writer));
    drive(
        screen,
        AnyStore::Postgres(reader),
        writer,
        note,
        place,
        Mode::Attached,
        Hooks::default(),
        shutdown,
    )
    .await
}

/// Where a screen's store is.
struct Place {
    /// The data directory, or the store's URL.
    dir: PathBuf,
    /// A shared store to follow through LISTEN/NOTIFY.
    listen: Option<crate::store::address::PgAddress>,
    /// Who triages.
    who: String,
}

/// Wakes the loader whenever a commit on the shared store appends events, on a connection of
/// its own (made again when it is lost); ends with the process.
fn listen(address: crate::store::address::PgAddress, changed: Arc<Notify>) {
    let _ = std::thread::Builder::new()
        .name("listen".into())
        .spawn(move || {
            let mut store = loop {
                match PgStore::connect(&address) {
                    Ok(s) => break s,
                    Err(_) => std::thread::sleep(Duration::from_secs(1)),
                }
            };
            // A lost connection is made again (the wait connects first); listening again
            // counts as a change, so the screen reads what it missed meanwhile.
            loop {
                match store.wait_for_events(Duration::from_secs(60)) {
                    Ok(true) => changed.notify_one(),
                    Ok(false) => {}
                    Err(_) => std::thread::sleep(Duration::from_secs(1)),
                }
            }
        });
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    screen: Option<ScreenConfig>,
    reader: AnyStore,
    mut writer: Option<AnyStore>,
    read_only: Option<String>,
    place: Place,
    mode: Mode,
    hooks: Hooks,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), TuiError> {
    let writer_dir = place.dir.clone();
    let mut monitor_state = hooks.state.as_ref().map(|s| s.subscribe());
    let changed = hooks
        .changed
        .clone()
        .unwrap_or_else(|| Arc::new(Notify::new()));
    let follow = screen.is_none();
    let screen = match screen {
        Some(s) => s,
        None => {
            crate::store::screen::screen_config(&reader)?.ok_or_else(|| TuiError::NoSettings {
                dir: writer_dir.clone(),
            })?
        }
    };
    if let Some(address) = place.listen.clone() {
        listen(address, changed.clone());
    }
    let viewer = place.who.clone();
    // New-since-seen holds across sessions: this viewer's mark is kept in the store.
    let seen = reader.seen_by(&viewer).ok().flatten();
    let screen = Arc::new(screen);
    let (snap_tx, mut snap_rx) = watch::channel(Snapshot::default());
    let (focus_tx, focus_rx) = watch::channel(Focus::default());
    let loader_task = tokio::spawn(loader(
        reader,
        screen.clone(),
        follow,
        changed.clone(),
        focus_rx,
        snap_tx,
    ));

    let keymap = KeyMap::new(&screen.keys).unwrap_or_default();
    let label = if follow {
        format!("{} (published)", screen.label)
    } else {
        screen.label.clone()
    };
    let mut app = App::new(
        keymap,
        mode,
        crate::text::clean(&label, 80),
        viewer,
        screen.bell,
        Utc::now(),
    );
    app.views = screen.views.clone();
    if let Some(seen) = seen {
        app.seen_until = seen;
    }
    app.read_only = read_only;
    let theme = Theme::from_env();

    let mut terminal = ratatui::init();
    // ratatui's hook restores the screen on a panic; mouse capture must be released too.
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        restore(info);
    }));
    crate::feed::parse::quiet_guarded_panics();
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    let mut dirty = true;
    let result: Result<(), TuiError> = loop {
        if dirty {
            let size = terminal.size()?;
            app.page = usize::from(size.height.saturating_sub(6)).max(1);
            if let Err(e) = terminal.draw(|f| view::draw(f, &app, &theme)) {
                break Err(e.into());
            }
            dirty = false;
        }
        let effects = tokio::select! {
            () = &mut shutdown => break Ok(()),
            ev = events.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => { dirty = true; app.handle_key(k) }
                Some(Ok(TermEvent::Mouse(m))) => { dirty = true; app.handle_mouse(m) }
                Some(Ok(TermEvent::Resize(..))) => { dirty = true; Vec::new() }
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            r = snap_rx.changed() => {
                if r.is_err() { break Ok(()) }
                dirty = true;
                let snap = snap_rx.borrow_and_update().clone();
                app.set_snapshot(snap)
            }
            _ = tick.tick() => { dirty = true; app.tick(Utc::now()) }
            state = monitor_changed(&mut monitor_state) => {
                app.banner = match state {
                    MonitorState::Starting | MonitorState::Running => None,
                    MonitorState::StoreFailing(why) => Some(format!("Collection goes on but is not being stored: {why}")),
                    MonitorState::Stopped(why) => Some(format!("Collector stopped: {why}. Nothing new will appear; press Q to quit.")),
                };
                dirty = true;
                Vec::new()
            }
        };
        for effect in effects {
            perform(effect, &mut writer, &hooks, &changed, &screen, &mut app).await;
        }
        focus_tx.send_if_modified(|f| {
            let now = app.focus();
            let moved = *f != now;
            *f = now;
            moved
        });
        if app.quit {
            break Ok(());
        }
    };
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    loader_task.abort();
    result
}

/// The monitor's next state; never resolves when there is no monitor (attached) or it is gone.
async fn monitor_changed(rx: &mut Option<watch::Receiver<MonitorState>>) -> MonitorState {
    let Some(r) = rx else {
        return std::future::pending().await;
    };
    if r.changed().await.is_err() {
        *rx = None;
        return std::future::pending().await;
    }
    r.borrow_and_update().clone()
}

async fn perform(
    effect: Effect,
    writer: &mut Option<AnyStore>,
    hooks: &Hooks,
    changed: &Arc<Notify>,
    screen: &ScreenConfig,
    app: &mut App,
) {
    match effect {
        Effect::Seen(at) => {
            let Some(mut store) = writer.take() else {
                return;
            };
            let who = app.who.clone();
            if let Ok((store, res)) = tokio::task::spawn_blocking(move || {
                let r = store.mark_seen(&who, at);
                (store, r)
            })
            .await
            {
                *writer = Some(store);
                if let Err(e) = res {
                    tracing::warn!("saving where this viewer last looked: {e}");
                }
            }
        }
        Effect::Triage(t) => {
            let Some(mut store) = writer.take() else {
                return;
            };
            let r = tokio::task::spawn_blocking(move || {
                let r = store.record_triage(&t);
                (store, r)
            })
            .await;
            match r {
                Ok((store, res)) => {
                    *writer = Some(store);
                    match res {
                        Ok(()) => changed.notify_waiters(),
                        Err(e) => app.message = Some((format!("Triage not saved: {e}"), app.now)),
                    }
                }
                Err(_) => {
                    app.message = Some((
                        "Triage not saved: the database task stopped".into(),
                        app.now,
                    ))
                }
            }
        }
        Effect::PollNow(id) => {
            if let Some(n) = hooks.poll_now.get(&id) {
                n.notify_one();
            }
        }
        Effect::OpenLink(url) => {
            if let Err(why) = open_link(&url) {
                app.message = Some((why, app.now));
            }
        }
        Effect::CopyLink(url) => {
            let mut out = std::io::stdout();
            let _ = out.write_all(osc52(&url).as_bytes());
            let _ = out.flush();
        }
        Effect::Bell { summary } => {
            let mut out = std::io::stdout();
            let _ = out.write_all(b"\x07");
            let _ = out.flush();
            if screen.notify {
                notify(&summary);
            }
        }
    }
}

/// The OSC 52 sequence that asks the terminal to put `text` on the clipboard. Terminals pass it
/// through SSH, so it works on a remote server.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Opens an http(s) link with the desktop's opener, passing it as one argument (never through a
/// shell). Refuses when there is no display (a server reached over SSH).
fn open_link(url: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.chars().any(char::is_control)
    {
        return Err("Only http(s) links are opened".into());
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        let display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        if !display {
            return Err("No display here: press y to copy the link instead".into());
        }
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(reap)
        .map_err(|e| format!("Could not run {opener}: {e}"))
}

/// A desktop notification where `notify-send` exists; the text is already sanitised.
fn notify(summary: &str) {
    let _ = std::process::Command::new("notify-send")
        .arg("--app-name=watchfloor")
        .arg("watchfloor")
        .arg(crate::text::clean(summary, 200))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(reap);
}

/// Waits for a child on a thread of its own, so it never lingers as a zombie.
fn reap(mut child: std::process::Child) {
    let _ = std::thread::Builder::new()
        .name("reap".into())
        .spawn(move || child.wait());
}
