//! Replay: the whole pipeline (parse, tag, rules, store) over recorded payloads, with the clock
//! taken from the items, in a throw-away store. An analyst tunes a rule on last month's data
//! before it goes live, and sees exactly the alerts it would have raised.
//!
//! Inputs are files named after the feed they belong to (`gdacs.xml`, `reliefweb.json`), a
//! directory of such files, or an archive directory laid out as `DIR/FEED/YYYYMMDDTHHMMSSZ.gz`
//! (one gzip file per poll, the time of the poll in its name).

pub mod scratch;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::config::{Config, FeedConfig};
use crate::event;
use crate::feed::item::Item;
use crate::feed::parse;
use crate::monitor::ingest::{ingest_items, tick};
use crate::rules::engine::Engine;
use crate::store::{SqliteStore, Store, StoreError};

/// Moments of the replayed timeline stored per transaction.
const BATCH: usize = 10_000;
/// How often the replayed clock lets the engine tick (so statuses and spikes can end).
const TICK: chrono::TimeDelta = chrono::TimeDelta::seconds(15);

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// An input could not be read.
    #[error("{path}: {message}")]
    Input {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The throw-away store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The rules could not be compiled.
    #[error("compiling rules: {0}")]
    Rules(#[from] aho_corasick::BuildError),
}

/// One recorded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Index of its feed in the config.
    pub feed: usize,
    /// The file.
    pub path: PathBuf,
    /// When it was fetched, for archive files.
    pub fetched: Option<DateTime<Utc>>,
}

/// What a replay produced.
#[derive(Debug, Default)]
pub struct Summary {
    /// Items read.
    pub items: usize,
    /// Of those, the repeats of an item an earlier payload held as it was (the polls of an
    /// archive hold a feed's items again and again): left out, as the store would find them
    /// unchanged.
    pub repeats: usize,
    /// Payloads read.
    pub payloads: usize,
    /// Alerts per (rule, country or "-").
    pub alerts: BTreeMap<(String, String), usize>,
    /// Payloads that could not be parsed, with why.
    pub failed: Vec<String>,
    /// The risk-factor board at the end of the replay: per country, the factors with evidence
    /// in the evidence window before the last item, with their item counts.
    pub board: Vec<(crate::geo::CountryCode, Vec<(u8, u32)>)>,
    /// The evidence window the board covers.
    pub evidence_window: std::time::Duration,
}

/// Finds the payloads in `paths`.
pub fn inputs(config: &Config, paths: &[PathBuf]) -> Result<Vec<Input>, ReplayError> {
    let mut out = Vec::new();
    for p in paths {
        collect(config, p, &mut out)?;
    }
    // Archive files first by fetch time; files without one keep their order, before them.
    out.sort_by_key(|i| i.fetched);
    Ok(out)
}

fn feed_index(config: &Config, id: &str) -> Option<usize> {
    config.feeds.iter().position(|f| f.id == id)
}

fn unknown(config: &Config, path: &Path, id: &str) -> ReplayError {
    let known: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    ReplayError::Input {
        path: path.to_path_buf(),
        message: format!(
            "no feed {id:?} in the config; name files after a feed id ({})",
            known.join(", ")
        ),
    }
}

fn collect(config: &Config, path: &Path, out: &mut Vec<Input>) -> Result<(), ReplayError> {
    let io = |e: std::io::Error| ReplayError::Input {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let stem = name.split('.').next().unwrap_or_default();
        // An archive file: DIR/FEED/20250101T000000Z.gz (its sidecars are not payloads).
        if let Some(fetched) = archive_time(stem) {
            if !name.ends_with(".gz") {
                return Ok(());
            }
            let feed_id = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let feed = feed_index(config, feed_id).ok_or_else(|| unknown(config, path, feed_id))?;
            out.push(Input {
                feed,
                path: path.to_path_buf(),
                fetched: Some(fetched),
            });
            return Ok(());
        }
        let feed = feed_index(config, stem).ok_or_else(|| unknown(config, path, stem))?;
        out.push(Input {
            feed,
            path: path.to_path_buf(),
            fetched: None,
        });
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            // Hidden files are not payloads.
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !name.starts_with('.')
        })
        .collect();
    entries.sort();
    for e in entries {
        collect(config, &e, out)?;
    }
    Ok(())
}

fn archive_time(stem: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(stem, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// Reads a payload, gunzipping `.gz` files, at most `max` bytes.
fn read(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    let gz = path.extension().is_some_and(|e| e == "gz");
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    reader
        .take(max + 1)
        .read_to_end(&mut body)
        .map_err(|e| e.to_string())?;
    if body.len() as u64 > max {
        return Err(format!("larger than max_body ({max} bytes)"));
    }
    Ok(body)
}

/// Replays `inputs` through a fresh store in `dir`; events go to `out` as JSON lines, in the
/// order they would have been printed.
pub fn run(
    config: &Config,
    inputs: &[Input],
    dir: &Path,
    out: &mut dyn FnMut(&str),
) -> Result<Summary, ReplayError> {
    let mut summary = Summary::default();
    let started = Utc::now();
    // Every item, and beside it the time it happened: its published time, else when it was
    // fetched.
    let mut parsed: Vec<Item> = Vec::new();
    let mut happened: Vec<DateTime<Utc>> = Vec::new();
    let mut repeats = Repeats::default();
    for input in inputs {
        let feed: &FeedConfig = &config.feeds[input.feed];
        let seen = input.fetched.unwrap_or(started);
        let body = match read(&input.path, config.settings.max_body) {
            Ok(b) => b,
            Err(why) => {
                summary
                    .failed
                    .push(format!("{}: {why}", input.path.display()));
                continue;
            }
        };
        summary.payloads += 1;
        match parse::parse(&body, feed, config.settings.max_items, seen) {
            Ok(items) => {
                summary.items += items.len();
                for item in items {
                    let at = item.event_time(seen);
                    if !repeats.keep(&item, at, &parsed, &happened) {
                        summary.repeats += 1;
                        continue;
                    }
                    happened.push(at);
                    parsed.push(item);
                }
            }
            Err(e) => summary
                .failed
                .push(format!("{}: {e}", input.path.display())),
        }
    }
    drop(repeats);
    // Items in time order (in the order read among equals), each moved once: sorting the
    // items themselves would move each many times.
    let mut order: Vec<usize> = (0..parsed.len()).collect();
    order.sort_by_key(|&i| happened[i]);
    let times: Vec<DateTime<Utc>> = order.iter().map(|&i| happened[i]).collect();
    let items: Vec<Item> = order
        .iter()
        .map(|&i| std::mem::take(&mut parsed[i]))
        .collect();
    drop((parsed, happened, order));
    // Each moment's items are a slice of the ordered items, not a copy.
    let mut moments: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, t) in times.iter().enumerate() {
        match moments.last_mut() {
            Some(m) if times[m.start] == *t => m.end = i + 1,
            _ => moments.push(i..i + 1),
        }
    }

    // A throw-away store: nothing needs to survive a crash.
    let mut store = SqliteStore::create_throwaway(dir)?;
    let mut engine = Engine::new(config)?;
    let mut last_tick: Option<DateTime<Utc>> = None;
    let mut printed = 0i64;
    for batch in moments.chunks(BATCH) {
        store.write(|tx| {
            for moment in batch {
                let now = times[moment.start];
                match last_tick {
                    Some(t) if now - t < TICK => {}
                    Some(_) => {
                        last_tick = Some(now);
                        tick(tx, &mut engine, now)?;
                    }
                    None => last_tick = Some(now),
                }
                ingest_items(tx, &mut engine, &items[moment.clone()], now)?;
            }
            Ok(())
        })?;
        for row in store.outbox_after(printed, usize::MAX >> 1)? {
            printed = row.seq;
            // Only the type, rule and country are needed for the table: read just those.
            if let Ok(head) = serde_json::from_str::<Head<'_>>(&row.body)
                && head.kind == "alert"
            {
                let country = head
                    .country
                    .map_or_else(|| "-".to_string(), |c| c.into_owned());
                let rule = head.rule.unwrap_or_default().into_owned();
                *summary.alerts.entry((rule, country)).or_default() += 1;
            }
            out(&event::line(row.seq, &row.body));
        }
    }
    // The board as it stood when the last item arrived.
    if let Some(end) = times.last().copied() {
        let window = crate::time::delta(config.settings.evidence_window);
        let mut sets: Vec<_> = store.factor_sets(window, end)?.into_iter().collect();
        sets.sort_by(|(a, _), (b, _)| a.as_str().cmp(b.as_str()));
        for (country, _) in sets {
            let rows: Vec<(u8, u32)> = store
                .board(country, window, end)?
                .into_iter()
                .filter(|r| r.count > 0)
                .map(|r| (r.factor, r.count))
                .collect();
            if !rows.is_empty() {
                summary.board.push((country, rows));
            }
        }
    }
    summary.evidence_window = config.settings.evidence_window;
    Ok(summary)
}

/// The last kept copy of each (feed, key), to leave out repeats while the payloads are read:
/// an archive holds a feed's items once per poll, and a month of polls every few minutes
/// would otherwise hold thousands of copies of each item in memory before the replay starts.
///
/// A copy is left out only when it equals the last one kept in every field and happened at the
/// same time. It then follows that copy in the timeline (a stable sort keeps read order among
/// equal times), with no other version of the item between them, so the store would find it
/// unchanged and do nothing with it.
#[derive(Default)]
struct Repeats {
    /// A hash of (feed, key) to the position of the last kept copy.
    last: std::collections::HashMap<u64, usize>,
}

impl Repeats {
    /// Whether `item`, happening at `at`, is to be kept (pushed next onto `kept`, whose times
    /// are `times`): false for a repeat of the last copy kept.
    fn keep(
        &mut self,
        item: &Item,
        at: DateTime<Utc>,
        kept: &[Item],
        times: &[DateTime<Utc>],
    ) -> bool {
        use std::collections::hash_map::Entry;
        use std::hash::Hasher;
        let mut h = std::hash::DefaultHasher::new();
        h.write(item.feed.as_bytes());
        h.write_u8(0xff);
        h.write(item.key.as_bytes());
        match self.last.entry(h.finish()) {
            Entry::Occupied(e) if times[*e.get()] == at && kept[*e.get()] == *item => false,
            // Another version (or another item whose hash collides): kept, and the copy the
            // next ones are compared with.
            Entry::Occupied(mut e) => {
                e.insert(kept.len());
                true
            }
            Entry::Vacant(e) => {
                e.insert(kept.len());
                true
            }
        }
    }
}

/// The fields of an event the summary counts by.
#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    rule: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    country: Option<std::borrow::Cow<'a, str>>,
}

impl Summary {
    /// The table of alerts per rule and country, for a person.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let total: usize = self.alerts.values().sum();
        let repeats = if self.repeats > 0 {
            format!(" ({} repeated from an earlier payload)", self.repeats)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "replay: {} payloads, {} items{repeats}, {total} alerts",
            self.payloads, self.items
        );
        if !self.alerts.is_empty() {
            let _ = writeln!(s, "  {:<28} {:<8} {:>7}", "rule", "country", "alerts");
            for ((rule, country), n) in &self.alerts {
                let _ = writeln!(s, "  {rule:<28} {country:<8} {n:>7}");
            }
        }
        if !self.board.is_empty() {
            let _ = writeln!(
                s,
                "risk-factor evidence in the last {} of the replay (factor: items; ! marks 10 to 12):",
                crate::config::units::fmt_duration(self.evidence_window)
            );
            for (country, rows) in &self.board {
                let cells: Vec<String> = rows
                    .iter()
                    .map(|(f, n)| {
                        let mark = if crate::rules::evidence::SPECIFIC.contains(f) {
                            "!"
                        } else {
                            ""
                        };
                        format!("{mark}{f}:{n}")
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "  {:<3} {:<24} {:>2}/14  {}",
                    country.as_str(),
                    crate::text::clean(country.name(), 24),
                    rows.len(),
                    cells.join(" ")
                );
            }
        }
        for f in &self.failed {
            let _ = writeln!(s, "  not read: {f}");
        }
        s
    }
}
