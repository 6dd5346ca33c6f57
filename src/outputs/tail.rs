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
    // Read inside the rounds, so a connection lost while starting is waited out as well.
    let mut cursor: Option<i64> = None;
    let mut written = 0u64;
    let mut version: Option<i64> = None;
    let mut lost = false;
    while !stop.load(Ordering::Relaxed) {
        match round(
            store,
            consumer,
            start,
            &mut cursor,
            &mut version,
            out,
            stop,
            follow,
        ) {
            Ok(Round::More(n) | Round::Waited(n)) => written += n,
            Ok(Round::Done(n)) => {
                written += n;
                break;
            }
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

/// What one round of [`tail`] did, with the lines it wrote.
enum Round {
    /// Wrote a whole batch: more may be waiting.
    More(u64),
    /// Wrote what there was, then waited for more.
    Waited(u64),
    /// Wrote what there was and is not following, or the reader went away.
    Done(u64),
}

/// The consumer's position: where it stopped, or for a new consumer `start`, registered before
/// anything is read so that the collectors keep what it has not seen.
fn position(store: &mut AnyStore, consumer: &str, start: Start) -> Result<i64, StoreError> {
    if let Some(seq) = store.consumer(consumer)? {
        return Ok(seq);
    }
    let seq = match start {
        Start::Oldest => 0,
        Start::End => store.outbox_end()?,
    };
    store.set_consumer(consumer, seq)?;
    Ok(seq)
}

/// Writes the next batch after the consumer's position (read first if not known yet); when
/// that was all there is, waits for more.
#[allow(clippy::too_many_arguments)]
fn round(
    store: &mut AnyStore,
    consumer: &str,
    start: Start,
    cursor: &mut Option<i64>,
    version: &mut Option<i64>,
    out: &mut impl Write,
    stop: &AtomicBool,
    follow: bool,
) -> Result<Round, TailError> {
    let at = match *cursor {
        Some(seq) => seq,
        None => {
            let seq = position(store, consumer, start)?;
            *version = Some(store.data_version()?);
            *cursor = Some(seq);
            seq
        }
    };
    let rows = store.outbox_after(at, BATCH)?;
    let wrote = rows.len() as u64;
    if let Some(last) = rows.last().map(|r| r.seq) {
        let mut buf = Vec::with_capacity(rows.len() * 256);
        for r in &rows {
            buf.extend_from_slice(crate::event::line(r.seq, &r.body).as_bytes());
            buf.push(b'\n');
        }
        match out.write_all(&buf).and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Round::Done(0)),
            Err(e) => return Err(TailError::Write(e)),
        }
        *cursor = Some(last);
        store.set_consumer(consumer, last)?;
        if rows.len() == BATCH {
            return Ok(Round::More(wrote));
        }
    }
    if !follow {
        return Ok(Round::Done(wrote));
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
            if *version != Some(now) {
                *version = Some(now);
                break;
            }
        },
    }
    Ok(Round::Waited(wrote))
}
