//! What the screen drills into, read only for what is in focus: one country's history, one
//! feed's last polls, a search over every stored item, and where each viewer last looked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, StoreError, from_ts, ts};
use crate::event::{FeedReport, Status};
use crate::geo::CountryCode;
use crate::store::drill::{
    CountryDetail, DayCount, Drill, Focus, NoteLine, SearchHit, StatusStep, StoryLine,
};

/// Days the country chart covers.
pub const CHART_DAYS: usize = 30;
/// Most search results read.
pub const MAX_HITS: usize = 200;

impl SqliteStore {
    /// Reads what `focus` asks for.
    pub(super) fn read_drill(
        &self,
        focus: &Focus,
        now: DateTime<Utc>,
    ) -> Result<Drill, StoreError> {
        Ok(Drill {
            country: focus
                .country
                .map(|c| self.country_detail(c, now))
                .transpose()?,
            polls: match &focus.feed {
                Some(feed) => Some((feed.clone(), self.polls(feed)?)),
                None => None,
            },
            search: match &focus.search {
                Some(q) => Some((q.clone(), self.search(q)?)),
                None => None,
            },
        })
    }

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

    fn country_detail(
        &self,
        code: CountryCode,
        now: DateTime<Utc>,
    ) -> Result<CountryDetail, StoreError> {
        let err = |e| self.err(e);
        let cc = code.as_str();
        let since = now - chrono::Duration::days(CHART_DAYS as i64);

        let mut history = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT at, was, status, reason FROM status_history WHERE country = ?1
                     ORDER BY at DESC, rowid DESC LIMIT 100",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map([cc], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(err)?;
            for (at, was, to, reason) in rows.filter_map(Result::ok) {
                let (Some(from), Some(to)) = (Status::parse(&was), Status::parse(&to)) else {
                    continue;
                };
                history.push(StatusStep {
                    at: from_ts(at),
                    from,
                    to,
                    reason,
                });
            }
        }

        let day_of = |t: i64| -> Option<usize> {
            let age = (now - from_ts(t)).num_days();
            usize::try_from(age)
                .ok()
                .filter(|d| *d < CHART_DAYS)
                .map(|d| CHART_DAYS - 1 - d)
        };
        let mut days = vec![DayCount::default(); CHART_DAYS];
        {
            // `countries` is a comma-separated list; its codes are two letters.
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT min(coalesce(published, first_seen), first_seen) FROM items
                     WHERE first_seen > ?1 AND instr(',' || countries || ',', ?2) > 0",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map(params![ts(since), format!(",{cc},")], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(err)?;
            for t in rows.filter_map(Result::ok) {
                if let Some(d) = day_of(t) {
                    days[d].items += 1;
                }
            }
        }

        let mut stories: Vec<StoryLine> = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT a.event_time, {} FROM alerts a {} WHERE a.country = ?1 AND a.event_time > ?2
                     ORDER BY a.at DESC LIMIT 2000",
                    super::alerts::COLUMNS,
                    super::alerts::JOIN
                ))
                .map_err(err)?;
            let rows = stmt
                .query_map(params![cc, ts(since)], |r| {
                    Ok((r.get::<_, i64>(0)?, super::alerts::from_row(r, 1)?))
                })
                .map_err(err)?;
            let mut by_story: HashMap<String, usize> = HashMap::new();
            for (event_time, alert) in rows.filter_map(Result::ok) {
                let Some(alert) = alert else { continue };
                if let Some(d) = day_of(event_time) {
                    days[d].alerts += 1;
                }
                let key = alert
                    .story
                    .clone()
                    .unwrap_or_else(|| format!("{}\u{1f}{}", alert.feed, alert.item));
                let i = *by_story.entry(key).or_insert_with(|| {
                    stories.push(StoryLine {
                        title: alert.title.clone(),
                        newest: alert.at,
                        severity: alert.severity,
                        alerts: 0,
                        rules: Vec::new(),
                        sources: Vec::new(),
                    });
                    stories.len() - 1
                });
                let s = &mut stories[i];
                s.alerts += 1;
                s.severity = s.severity.max(alert.severity);
                if !s.rules.contains(&alert.rule) {
                    s.rules.push(alert.rule.clone());
                }
                let sources = if alert.sources.is_empty() {
                    vec![alert.feed.clone()]
                } else {
                    alert.sources.clone()
                };
                for src in sources {
                    if !s.sources.contains(&src) {
                        s.sources.push(src);
                    }
                }
            }
        }
        stories.truncate(50);

        let mut notes = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT t.at, t.who, t.target, t.note, a.rule FROM triage t
                     LEFT JOIN alerts a ON t.target = 'alert' AND a.id = t.key
                     WHERE t.action = 'note' AND t.note IS NOT NULL
                       AND ((t.target = 'country' AND t.key = ?1) OR a.country = ?1)
                     ORDER BY t.id DESC LIMIT 50",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map([cc], |r| {
                    Ok(NoteLine {
                        at: from_ts(r.get(0)?),
                        who: r.get(1)?,
                        about: match r.get::<_, Option<String>>(4)? {
                            Some(rule) if r.get::<_, String>(2)? == "alert" => {
                                format!("alert ({rule})")
                            }
                            _ => "country".into(),
                        },
                        text: r.get(3)?,
                    })
                })
                .map_err(err)?;
            notes.extend(rows.filter_map(Result::ok));
        }
        let evidence_window = self
            .screen_config()
            .ok()
            .flatten()
            .map_or(std::time::Duration::from_secs(30 * 86_400), |c| {
                c.evidence_window()
            });
        let board = self.board(code, crate::time::delta(evidence_window), now)?;
        Ok(CountryDetail {
            code,
            history,
            days,
            stories,
            notes,
            board,
            evidence_window,
        })
    }

    /// Items whose title or text contains every word of `query` (any case), newest first. Words
    /// of three characters or more use the trigram index; shorter ones (two-character Chinese
    /// names) are matched by a scan of the index's hits, or of every item when no word is long
    /// enough.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        let words: Vec<&str> = query.split_whitespace().collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let long: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() >= 3)
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        let short: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() < 3)
            .map(|w| format!("%{}%", w.replace(['%', '_', '\\'], "")))
            .collect();
        let mut sql = String::from(
            "SELECT i.feed, i.key, i.title, i.url, i.summary, i.published, i.first_seen, i.countries,
                    EXISTS (SELECT 1 FROM alerts a WHERE a.feed = i.feed AND a.item = i.key)
             FROM items i",
        );
        let mut args: Vec<String> = Vec::new();
        let mut wheres: Vec<String> = Vec::new();
        if !long.is_empty() {
            sql.push_str(" JOIN items_fts f ON f.rowid = i.rowid");
            args.push(long.join(" AND "));
            wheres.push(format!("items_fts MATCH ?{}", args.len()));
        }
        for s in short {
            args.push(s);
            let n = args.len();
            wheres.push(format!("(i.title LIKE ?{n} OR i.summary LIKE ?{n})"));
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
