//! `watchfloor tail`: the whole desk's event stream as JSON lines, read from the store's outbox
//! by a named consumer whose position is kept in the store, so a consumer restarted anywhere
//! continues where it stopped. At least once: a line is written and flushed before the position
//! moves past it, so a kill in between repeats it (its `seq` tells a repeat), never loses it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::store::{AnyStore, Store, StoreError};

/// Events read per round.
const BATCH: usize = 500;
/// How often a SQLite store is looked at for new events (it has no notifications); a
/// PostgreSQL store is woken by its commits instead and looked at this often only as a
/// safety net.
const LOOK: Duration = Duration::from_millis(200);

/// Where a consumer without a position starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At the oldest event the outbox still holds.
    Oldest,
    /// After the newest: only what comes next.
    End,
}

/// Why tailing stopped.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Standard output failed (other than being closed by its reader).
    #[error("writing standard output: {0}")]
    Write(std::io::Error),
}

/// Prints events after the consumer's position, moving it after each written batch; with
/// `follow`, waits for more until `stop` is set or the reader goes away. Returns how many
/// lines were written. Lines are those `headless` prints (the envelope with `seq`, long ones
/// cut below the pipe's atomic size).
pub fn tail(
    store: &mut AnyStore,
    consumer: &str,
    start: Start,
    follow: bool,
    out: &mut impl Write,
    stop: &AtomicBool,
) -> Result<u64, TailError> {
    let mut cursor = match store.consumer(consumer)? {
        Some(seq) => seq,
        None => {
            let seq = match start {
                Start::Oldest => 0,
                Start::End => store.outbox_end()?,
            };
            // Registered before anything is read, so the collectors keep what it has not seen.
            store.set_consumer(consumer, seq)?;
            seq
        }
    };
    let mut written = 0u64;
    let mut version = store.data_version()?;
    let mut lost = false;
    while !stop.load(Ordering::Relaxed) {
        match round(
            store,
            consumer,
            &mut cursor,
            &mut version,
            out,
            stop,
            follow,
        ) {
            Ok(Round::Wrote(n)) => written += n,
            Ok(Round::Waited) => {}
            Ok(Round::Done) => break,
            Err(TailError::Store(e)) if follow && matches!(store, AnyStore::Postgres(_)) => {
                // A lost connection (a restart, a failover, a cut link): wait for it to come
                // back. The position moves only past lines written, so nothing is skipped.
                if !std::mem::replace(&mut lost, true) {
                    tracing::warn!("reading the store: {e}; trying again every second");
                }
                std::thread::sleep(Duration::from_secs(1));
                if let AnyStore::Postgres(pg) = store
                    && pg.revive().unwrap_or(false)
                {
                    lost = false;
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        lost = false;
    }
    Ok(written)
}

/// What one round of [`tail`] did.
enum Round {
    /// Wrote this many lines.
    Wrote(u64),
    /// Found nothing and waited for more.
    Waited,
    /// Found nothing, and is not following.
    Done,
}

/// Writes the next batch after `cursor`, or waits for one.
fn round(
    store: &mut AnyStore,
    consumer: &str,
    cursor: &mut i64,
    version: &mut i64,
    out: &mut impl Write,
    stop: &AtomicBool,
    follow: bool,
) -> Result<Round, TailError> {
    let rows = store.outbox_after(*cursor, BATCH)?;
    if let Some(last) = rows.last().map(|r| r.seq) {
        let mut buf = Vec::with_capacity(rows.len() * 256);
        for r in &rows {
            buf.extend_from_slice(crate::event::line(r.seq, &r.body).as_bytes());
            buf.push(b'\n');
        }
        match out.write_all(&buf).and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Round::Done),
            Err(e) => return Err(TailError::Write(e)),
        }
        *cursor = last;
        store.set_consumer(consumer, *cursor)?;
        return Ok(Round::Wrote(rows.len() as u64));
    }
    if !follow {
        return Ok(Round::Done);
    }
    match store {
        AnyStore::Postgres(pg) => {
            pg.wait_for_events(LOOK * 10)?;
        }
        AnyStore::Sqlite(_) => loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(LOOK);
            let now = store.data_version()?;
            if now != *version {
                *version = now;
                break;
            }
        },
    }
    Ok(Round::Waited)
}
