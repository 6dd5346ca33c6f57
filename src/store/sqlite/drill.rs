//! What the screen drills into, read only for what is in focus: one country's history, one
//! feed's last polls, a search over every stored item, and where each viewer last looked.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::{SqliteStore, StoreError, from_ts};
use crate::event::FeedReport;
use crate::store::drill::SearchHit;

pub use crate::store::screen::{CHART_DAYS, MAX_HITS};

impl SqliteStore {
    /// A feed's last polls, newest first.
    pub fn polls(&self, feed: &str) -> Result<Vec<FeedReport>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT report FROM polls WHERE feed = ?1 ORDER BY rowid DESC LIMIT 50")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([feed], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|j| serde_json::from_str(&j).ok())
            .collect())
    }

    /// Items whose title or text contains every word of `query` (any case), newest first. The
    /// trigram index narrows the search to the items holding every trigram of the words of
    /// three characters or more; each word is then checked in the text itself. Items written
    /// since the index was last brought up to date (seconds ago at most) are checked directly,
    /// and so is every item when no word is long enough (two-character Chinese names).
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut grams: Vec<String> = words.iter().flat_map(|w| trigrams(w)).collect();
        grams.sort_unstable();
        grams.dedup();
        let mut sql = String::from(
            "SELECT i.feed, i.key, i.title, i.url, i.summary, i.published, i.first_seen, i.countries,
                    EXISTS (SELECT 1 FROM alerts a WHERE a.feed = i.feed AND a.item = i.key)
             FROM items i",
        );
        let mut args: Vec<String> = Vec::new();
        let mut wheres: Vec<String> = Vec::new();
        if !grams.is_empty() {
            let phrases: Vec<String> = grams
                .iter()
                .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
                .collect();
            args.push(phrases.join(" AND "));
            wheres.push(
                "(i.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?1)
                  OR i.rowid > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts-through'))"
                    .to_owned(),
            );
        }
        for w in words {
            args.push(w);
            wheres.push(format!(
                "watchfloor_contains(i.title, i.summary, ?{})",
                args.len()
            ));
        }
        sql.push_str(" WHERE ");
        sql.push_str(&wheres.join(" AND "));
        sql.push_str(&format!(
            " ORDER BY coalesce(i.published, i.first_seen) DESC LIMIT {MAX_HITS}"
        ));
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok(SearchHit {
                    feed: r.get(0)?,
                    key: r.get(1)?,
                    title: r.get(2)?,
                    url: r.get(3)?,
                    summary: r.get(4)?,
                    published: r.get::<_, Option<i64>>(5)?.map(from_ts),
                    first_seen: from_ts(r.get(6)?),
                    countries: r
                        .get::<_, String>(7)?
                        .split(',')
                        .filter_map(crate::geo::lookup)
                        .collect(),
                    alerted: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let hits = rows.collect::<Result<Vec<_>, _>>();
        // A query the index cannot read (stray quotes) finds nothing rather than failing.
        Ok(hits.unwrap_or_default())
    }

    /// Outbox events the slowest consumer has not passed (all of them when none is
    /// registered).
    pub fn outbox_pending(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE seq > (SELECT coalesce(min(seq), 0) FROM consumers)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Where `who` last looked at the alert list.
    pub fn viewer_seen(&self, who: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.conn
            .query_row(
                "SELECT seen_until FROM viewers WHERE who = ?1",
                [who],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|t| t.map(crate::time::from_millis))
            .map_err(|e| self.err(e))
    }

    /// Records where `who` last looked (never moving it back).
    pub fn set_viewer_seen(&mut self, who: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        use crate::store::Store;
        self.write(|tx| tx.set_viewer_seen(who, at))
    }

    /// The settings a screen needs, as the collector last published them.
    pub fn screen_config(&self) -> Result<Option<crate::config::ScreenConfig>, StoreError> {
        self.meta_json("screen")
    }

    /// Publishes the settings a screen needs (never secrets: see [`crate::config::ScreenConfig`]).
    pub fn publish_screen_config(
        &mut self,
        screen: &crate::config::ScreenConfig,
    ) -> Result<(), StoreError> {
        use crate::store::Store;
        let json = serde_json::to_string(screen).unwrap_or_default();
        self.write(|tx| tx.set_meta("screen", &json))
    }
}

/// The trigrams of `word` as the index keeps them: every run of three characters.
fn trigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    chars.windows(3).map(|w| w.iter().collect()).collect()
}
