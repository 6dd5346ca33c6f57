//! A consumer of the outbox on a thread of its own: it reads events past its cursor from its own
//! database connection, writes each as one whole line, then moves the cursor past it. A slow or
//! stopped reader therefore holds up nobody: the collector keeps committing, the events wait in
//! the outbox, and shutdown never waits on a blocked write for more than its grace period.
//!
//! Delivery is at least once: a kill between a line and its cursor write repeats that one line
//! on restart; consumers drop repeats by `seq`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::LineSink;
use crate::event;
use crate::store::cursor::{self, Cursor, Found};
use crate::store::{SqliteStore, Store, StoreError};

/// How often the cursor file is fsynced while it moves.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// How often the consumer's position is recorded in the database.
const RECORD_EVERY: Duration = Duration::from_secs(5);
/// How long an idle consumer sleeps before looking at the outbox again without being woken.
const IDLE: Duration = Duration::from_millis(250);
/// Events read from the outbox at a time.
const BATCH: usize = 256;

/// Why delivery stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The cursor file could not be written.
    #[error("delivery cursor {path}: {source}")]
    Cursor {
        /// The cursor file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The sink failed (stdout closed, for example).
    #[error("writing events: {0}")]
    Sink(std::io::Error),
}

/// How to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Write what is in the outbox, then stop (`--once`).
    Drain,
    /// Stop after the line being written (a signal).
    Now,
}

const RUN: u8 = 0;
const DRAIN: u8 = 1;
const NOW: u8 = 2;

/// A running consumer.
#[derive(Debug)]
pub struct Delivery {
    state: Arc<AtomicU8>,
    wake: mpsc::SyncSender<()>,
    done: tokio::sync::watch::Receiver<Option<Result<(), Arc<DeliveryError>>>>,
}

impl Delivery {
    /// Starts the consumer `name` over the database in `dir`, writing to `sink`, from its cursor
    /// file `dir/<cursor_file>` (or the database's record of it).
    pub fn start(
        dir: &Path,
        name: &str,
        cursor_file: &str,
        sink: Box<dyn LineSink>,
    ) -> Result<Self, DeliveryError> {
        let mut store = SqliteStore::open(dir)?;
        // It reads only the newest rows, which are in the operating system's cache anyway.
        store.set_cache_kib(256)?;
        let path = dir.join(cursor_file);
        let cursor = open_cursor(&mut store, name, &path)?;
        store.set_consumer(name, cursor.get())?;
        let state = Arc::new(AtomicU8::new(RUN));
        let (wake, wake_rx) = mpsc::sync_channel(1);
        let (done_tx, done) = tokio::sync::watch::channel(None);
        let worker = Worker {
            store,
            name: name.to_string(),
            cursor,
            sink,
            state: state.clone(),
            wake: wake_rx,
        };
        std::thread::Builder::new()
            .name(format!("deliver-{name}"))
            .spawn(move || {
                let result = worker.run().map_err(Arc::new);
                let _ = done_tx.send(Some(result));
            })
            .map_err(|source| DeliveryError::Cursor { path, source })?;
        Ok(Self { state, wake, done })
    }

    /// Tells the consumer that new events were committed.
    pub fn wake(&self) {
        let _ = self.wake.try_send(());
    }

    /// Resolves when the consumer has stopped, with why.
    pub async fn stopped(&mut self) -> Result<(), Arc<DeliveryError>> {
        loop {
            if let Some(r) = self.done.borrow_and_update().clone() {
                return r;
            }
            if self.done.changed().await.is_err() {
                return Ok(());
            }
        }
    }

    /// Asks the consumer to stop and waits for it, at most `grace` (after the outbox is
    /// drained, with [`Stop::Drain`]). `None` when it is still blocked (a reader that does not
    /// read): the process may exit, and what was not written stays in the outbox.
    pub async fn finish(
        mut self,
        how: Stop,
        grace: Duration,
        interrupt: impl std::future::Future<Output = ()>,
    ) -> Option<Result<(), Arc<DeliveryError>>> {
        self.state.store(
            if how == Stop::Drain { DRAIN } else { NOW },
            Ordering::SeqCst,
        );
        self.wake();
        if how == Stop::Drain {
            tokio::pin!(interrupt);
            tokio::select! {
                r = self.stopped() => return Some(r),
                () = &mut interrupt => self.state.store(NOW, Ordering::SeqCst),
            }
        }
        tokio::time::timeout(grace, self.stopped()).await.ok()
    }
}

/// Where delivery resumes: the cursor file when it belongs to this database, else the
/// database's own record of the consumer, else the start of the outbox.
fn open_cursor(store: &mut SqliteStore, name: &str, path: &Path) -> Result<Cursor, DeliveryError> {
    let io = |source| DeliveryError::Cursor {
        path: path.to_path_buf(),
        source,
    };
    let id = store.id().to_string();
    let recorded = || -> Result<i64, StoreError> { Ok(store.consumer(name)?.unwrap_or(0)) };
    let start = match cursor::read(path, &id) {
        Found::Position(v) => return Cursor::open(path, &id, v).map_err(io),
        Found::Missing => recorded()?,
        Found::OtherDatabase(other) => {
            warn!(
                "{} belongs to database {other}, not this one ({id}); ignoring it and delivering from the database's own record",
                path.display()
            );
            recorded()?
        }
        Found::Damaged => {
            warn!(
                "{} is unreadable; delivering from the database's own record",
                path.display()
            );
            recorded()?
        }
        Found::Legacy(row) => {
            let start = store.import_legacy_cursor(name, row)?;
            info!(
                "upgraded {} from version 1: alerts after row {row} were not printed and will be now",
                path.display()
            );
            start
        }
    };
    Cursor::create(path, &id, start).map_err(io)
}

struct Worker {
    store: SqliteStore,
    name: String,
    cursor: Cursor,
    sink: Box<dyn LineSink>,
    state: Arc<AtomicU8>,
    wake: mpsc::Receiver<()>,
}

impl Worker {
    fn run(mut self) -> Result<(), DeliveryError> {
        let result = self.deliver();
        // Whatever stopped us, leave the position on disk and in the database.
        let _ = self.cursor.sync();
        if let Err(e) = self.store.set_consumer(&self.name, self.cursor.get()) {
            warn!("recording the position of consumer {}: {e}", self.name);
        }
        result
    }

    fn deliver(&mut self) -> Result<(), DeliveryError> {
        let mut synced = Instant::now();
        let mut recorded = Instant::now();
        loop {
            if self.state.load(Ordering::SeqCst) == NOW {
                return Ok(());
            }
            let rows = match self.store.outbox_after(self.cursor.get(), BATCH) {
                Ok(rows) => rows,
                Err(e) => {
                    warn!("reading the outbox for {}: {e}", self.name);
                    std::thread::sleep(IDLE);
                    continue;
                }
            };
            if rows.is_empty() {
                if self.state.load(Ordering::SeqCst) == DRAIN {
                    return Ok(());
                }
                let _ = self.wake.recv_timeout(IDLE);
            }
            for row in rows {
                if self.state.load(Ordering::SeqCst) == NOW {
                    return Ok(());
                }
                let mut line = event::line(row.seq, &row.body);
                line.push('\n');
                self.sink.write_line(&line).map_err(DeliveryError::Sink)?;
                self.cursor
                    .set(row.seq)
                    .map_err(|source| DeliveryError::Cursor {
                        path: self.cursor.path().to_path_buf(),
                        source,
                    })?;
            }
            if synced.elapsed() >= SYNC_EVERY {
                synced = Instant::now();
                if let Err(e) = self.cursor.sync() {
                    warn!("syncing {}: {e}", self.cursor.path().display());
                }
            }
            if recorded.elapsed() >= RECORD_EVERY {
                recorded = Instant::now();
                if let Err(e) = self.store.set_consumer(&self.name, self.cursor.get()) {
                    warn!("recording the position of consumer {}: {e}", self.name);
                }
            }
        }
    }
}
