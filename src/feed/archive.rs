//! The poll archive (`headless --archive DIR`): every response body a poll received, gzipped,
//! as `DIR/FEED/YYYYMMDDTHHMMSSZ.gz`, beside a one-line JSON sidecar (`.json`: the URL as
//! written in the config, never with its secrets; the status; the validators). The oldest
//! files go once the archive passes its size limit. `watchfloor replay DIR` reads it back.
//!
//! Writing happens on a thread of its own behind a bounded queue: a slow disk never holds up
//! a poll, and a full queue drops the copy (with a log line), never the poll.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::warn;

/// Bodies waiting to be written at most.
const QUEUE: usize = 64;

/// One body to keep.
#[derive(Debug)]
pub struct Record {
    /// Feed id.
    pub feed: String,
    /// When it was fetched.
    pub at: DateTime<Utc>,
    /// The body as received (after decompression).
    pub body: bytes::Bytes,
    /// What the sidecar says.
    pub meta: Meta,
}

/// The sidecar of one archived body.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// The URL as written in the config (placeholders, never secrets).
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
}

/// A handle to the archive's writer thread.
#[derive(Debug, Clone)]
pub struct Archive {
    tx: mpsc::SyncSender<Record>,
    writer: Writer,
}

/// Waits for the writer thread; it ends once every [`Archive`] handle is gone and the queue is
/// written.
#[derive(Debug, Clone)]
pub struct Writer(Arc<Mutex<Option<std::thread::JoinHandle<()>>>>);

impl Writer {
    /// Waits until everything queued is on disk (call after dropping every [`Archive`]).
    pub fn wait(self) {
        let handle = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Archive {
    /// Starts writing into `dir`, keeping at most `max_bytes` of files.
    pub fn start(dir: &Path, max_bytes: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut files = existing(dir);
        let (tx, rx) = mpsc::sync_channel::<Record>(QUEUE);
        let dir = dir.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("archive".into())
            .spawn(move || {
                for r in rx {
                    match write(&dir, &r) {
                        Ok(written) => files.extend(written),
                        Err(e) => warn!("archiving a poll of {}: {e}", r.feed),
                    }
                    trim(&mut files, max_bytes);
                }
            })?;
        Ok(Self {
            tx,
            writer: Writer(Arc::new(Mutex::new(Some(handle)))),
        })
    }

    /// The writer thread, to wait for at shutdown.
    pub fn writer(&self) -> Writer {
        self.writer.clone()
    }

    /// Queues a body; dropped (with a log line) when the writer is behind.
    pub fn keep(&self, record: Record) {
        if let Err(mpsc::TrySendError::Full(r)) = self.tx.try_send(record) {
            warn!(
                "archive writer is behind; a poll of {} was not archived",
                r.feed
            );
        }
    }
}

/// The archive's files, oldest first (names sort by time), with their sizes.
fn existing(dir: &Path) -> VecDeque<(PathBuf, u64)> {
    let mut all: Vec<(String, PathBuf, u64)> = Vec::new();
    for feed in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(feed.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let name = f.file_name().to_string_lossy().into_owned();
            all.push((name, f.path(), size));
        }
    }
    all.sort();
    all.into_iter().map(|(_, p, s)| (p, s)).collect()
}

fn write(dir: &Path, r: &Record) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let feed_dir = dir.join(&r.feed);
    std::fs::create_dir_all(&feed_dir)?;
    let stamp = r.at.format("%Y%m%dT%H%M%SZ").to_string();
    let body_path = feed_dir.join(format!("{stamp}.gz"));
    if body_path.exists() {
        // Two polls within one second: the first is kept.
        return Ok(Vec::new());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&r.body)?;
    let packed = gz.finish()?;
    std::fs::write(&body_path, &packed)?;
    let meta = serde_json::to_string(&r.meta).unwrap_or_default() + "\n";
    let meta_path = feed_dir.join(format!("{stamp}.json"));
    std::fs::write(&meta_path, &meta)?;
    Ok(vec![
        (body_path, packed.len() as u64),
        (meta_path, meta.len() as u64),
    ])
}

/// Removes the oldest files until the archive fits `max_bytes`.
fn trim(files: &mut VecDeque<(PathBuf, u64)>, max_bytes: u64) {
    let mut total: u64 = files.iter().map(|(_, s)| s).sum();
    while total > max_bytes {
        let Some((path, size)) = files.pop_front() else {
            break;
        };
        if let Err(e) = std::fs::remove_file(&path) {
            warn!("removing {} from the archive: {e}", path.display());
        }
        total -= size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(feed: &str, secs: i64, body: &str) -> Record {
        Record {
            feed: feed.into(),
            at: DateTime::from_timestamp(1_750_000_000 + secs, 0).unwrap_or_default(),
            body: bytes::Bytes::from(body.to_string()),
            meta: Meta {
                url: "https://x.test/?key=${KEY}".into(),
                status: 200,
                etag: Some("\"1\"".into()),
                last_modified: None,
            },
        }
    }

    #[test]
    fn writes_gzip_and_sidecar_and_drops_the_oldest_past_the_limit() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut files = VecDeque::new();
        for s in 0..5 {
            files.extend(write(dir.path(), &record("wire", s, &"x".repeat(2000)))?);
        }
        let one: u64 = files.iter().take(2).map(|(_, s)| s).sum();
        assert_eq!(files.len(), 10);
        let first = files[0].0.clone();
        assert!(first.ends_with("wire/20250615T150640Z.gz"), "{first:?}");
        let sidecar = std::fs::read_to_string(&files[1].0)?;
        assert!(
            sidecar.contains("\"status\":200") && sidecar.contains("${KEY}"),
            "{sidecar}"
        );
        trim(&mut files, one * 3);
        assert_eq!(files.len(), 6);
        assert!(!first.exists());
        assert_eq!(existing(dir.path()).len(), 6);
        Ok(())
    }
}
