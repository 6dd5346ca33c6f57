//! What a desk of collectors shares beyond the store interface: feed leases, the queue of
//! polls waiting for the leader, the leader's lock, and each collector's own events.

use chrono::{DateTime, Utc};
use futures_executor::block_on;

use super::{PgStore, schema};
use crate::monitor::ingest::Outcome;
use crate::store::{OutboxRow, StoreError};

/// What a lease round claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A collector that runs on: its share of the feeds, by count over the collectors alive.
    Share,
    /// A single round (`headless --once`): every feed no collector holds, whatever the share;
    /// the feeds other collectors hold stay theirs.
    AllFree,
}

/// A poll waiting in the queue.
#[derive(Debug)]
pub struct Pending {
    /// Its place in the queue.
    pub seq: i64,
    /// The collector that polled.
    pub origin: String,
    /// What the poll brought.
    pub outcome: Outcome,
}

impl PgStore {
    /// Queues what a poll brought for the leader, and wakes it.
    pub fn queue(
        &mut self,
        origin: &str,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.revive()?;
        let json = serde_json::to_string(outcome).unwrap_or_default();
        self.one(
            "WITH q AS (INSERT INTO pending (origin, at, poll) VALUES ($1, $2, $3) RETURNING seq)
             SELECT seq, pg_notify('watchfloor_pending', '') FROM q",
            &[&origin, &crate::time::millis(now), &json],
        )
        .map(drop)
    }

    /// The oldest queued polls, at most `limit`. A row that cannot be read (written by another
    /// build) is dropped with a warning rather than blocking the queue.
    pub fn pending(&self, limit: i64) -> Result<Vec<Pending>, StoreError> {
        let rows = self.rows(
            "SELECT seq, origin, poll FROM pending ORDER BY seq LIMIT $1",
            &[&limit],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let seq: i64 = r.try_get(0).map_err(|e| self.err(e))?;
            let origin: String = r.try_get(1).map_err(|e| self.err(e))?;
            let poll: String = r.try_get(2).map_err(|e| self.err(e))?;
            match serde_json::from_str(&poll) {
                Ok(outcome) => out.push(Pending {
                    seq,
                    origin,
                    outcome,
                }),
                Err(e) => {
                    tracing::warn!("a queued poll from {origin} is unreadable ({e}); dropped");
                    self.one("DELETE FROM pending WHERE seq = $1 RETURNING seq", &[&seq])
                        .map(drop)?;
                }
            }
        }
        Ok(out)
    }

    /// Polls waiting for the leader.
    pub fn pending_count(&self) -> Result<i64, StoreError> {
        self.one("SELECT count(*) FROM pending", &[])?
            .try_get(0)
            .map_err(|e| self.err(e))
    }

    /// One round of feed leases for collector `me`: renews what it holds, and claims free or
    /// expired feeds as `claim` says. With [`Claim::Share`] it also gives back what is above
    /// its share (the feeds over the collectors alive) and forgets leases of feeds no longer
    /// configured. Returns the feeds it holds now.
    pub fn lease_round(
        &mut self,
        me: &str,
        feeds: &[String],
        lease: chrono::TimeDelta,
        now: DateTime<Utc>,
        claim: Claim,
    ) -> Result<Vec<String>, StoreError> {
        self.revive()?;
        let now_ms = crate::time::millis(now);
        let until = crate::time::millis(now + lease);
        let alive_since = crate::time::millis(now - lease);
        let label = self.label.clone();
        let err = |source| StoreError::Postgres {
            store: label.clone(),
            source,
        };
        let tx = block_on(self.client.transaction()).map_err(err)?;
        // Rounds take turns: collectors claiming many rows at once in orders of their own
        // would otherwise deadlock on them.
        block_on(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::LEASE_LOCK]))
            .map_err(err)?;
        let feeds: Vec<String> = feeds.to_vec();
        if claim == Claim::Share {
            block_on(tx.execute("DELETE FROM leases WHERE NOT (feed = ANY($1))", &[&feeds]))
                .map_err(err)?;
        }
        block_on(tx.execute(
            "UPDATE leases SET until = $2 WHERE holder = $1",
            &[&me, &until],
        ))
        .map_err(err)?;
        let total = i64::try_from(feeds.len()).unwrap_or(i64::MAX);
        let share = match claim {
            Claim::AllFree => total,
            Claim::Share => {
                let alive: i64 = block_on(tx.query_one(
                    "SELECT count(*) FROM collectors WHERE beat > $1 OR name = $2",
                    &[&alive_since, &me],
                ))
                .and_then(|r| r.try_get(0))
                .map_err(err)?;
                (total + alive.max(1) - 1) / alive.max(1)
            }
        };
        let held: i64 =
            block_on(tx.query_one("SELECT count(*) FROM leases WHERE holder = $1", &[&me]))
                .and_then(|r| r.try_get(0))
                .map_err(err)?;
        if held > share {
            block_on(tx.execute(
                "DELETE FROM leases WHERE feed IN (
                    SELECT feed FROM leases WHERE holder = $1 ORDER BY md5(feed || $1) LIMIT $2)",
                &[&me, &(held - share)],
            ))
            .map_err(err)?;
        } else if held < share {
            // Free or expired feeds, in an order of this collector's own, so collectors
            // claiming at once mostly pick different ones.
            block_on(tx.execute(
                "INSERT INTO leases (feed, holder, until)
                 SELECT f, $1, $2 FROM unnest($3::TEXT[]) AS f
                 WHERE NOT EXISTS (SELECT FROM leases l WHERE l.feed = f AND l.until >= $4)
                 ORDER BY md5(f || $1) LIMIT $5
                 ON CONFLICT (feed) DO UPDATE SET holder = excluded.holder, until = excluded.until
                    WHERE leases.until < $4",
                &[&me, &until, &feeds, &now_ms, &(share - held)],
            ))
            .map_err(err)?;
        }
        let rows = block_on(tx.query(
            "SELECT feed FROM leases WHERE holder = $1 AND until >= $2 ORDER BY feed",
            &[&me, &now_ms],
        ))
        .map_err(err)?;
        block_on(tx.commit()).map_err(err)?;
        Ok(rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
    }

    /// Extends every lease `me` holds to `lease` from `now`, claiming nothing new.
    pub fn renew_leases(
        &mut self,
        me: &str,
        lease: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.revive()?;
        self.one(
            "WITH r AS (UPDATE leases SET until = $2 WHERE holder = $1) SELECT 1",
            &[&me, &crate::time::millis(now + lease)],
        )
        .map(drop)
    }

    /// How many polls by `origin` wait in the queue for the leader.
    pub fn pending_from(&self, origin: &str) -> Result<i64, StoreError> {
        self.one("SELECT count(*) FROM pending WHERE origin = $1", &[&origin])?
            .try_get(0)
            .map_err(|e| self.err(e))
    }

    /// Gives back every lease of `me` and its place among the collectors (a clean stop), so the
    /// others take its feeds over at once.
    pub fn leave(&mut self, me: &str) -> Result<(), StoreError> {
        self.revive()?;
        self.one(
            "WITH a AS (DELETE FROM leases WHERE holder = $1),
                  b AS (DELETE FROM collectors WHERE name = $1)
             SELECT 1",
            &[&me],
        )
        .map(drop)
    }

    /// Collectors alive (a beat within `lease`), with the feeds each holds.
    pub fn collectors(
        &self,
        lease: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let rows = self.rows(
            "SELECT c.name, coalesce(array_agg(l.feed ORDER BY l.feed) FILTER (WHERE l.feed IS NOT NULL), '{}')
             FROM collectors c LEFT JOIN leases l ON l.holder = c.name
             WHERE c.beat > $1 GROUP BY c.name ORDER BY c.name",
            &[&crate::time::millis(now - lease)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
            .collect())
    }

    /// Checks the connection is alive.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.one("SELECT 1", &[]).map(drop)
    }

    /// Tries to become the desk's leader: true while this connection holds the lock (it is
    /// let go when the connection ends, so a leader that dies is replaced).
    pub fn try_lead(&self) -> Result<bool, StoreError> {
        self.one("SELECT pg_try_advisory_lock($1)", &[&schema::LEADER_LOCK])?
            .try_get(0)
            .map_err(|e| self.err(e))
    }

    /// Events raised from `origin`'s polls after `seq`, oldest first.
    pub fn outbox_from(
        &self,
        origin: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = self.rows(
            "SELECT seq, body FROM outbox WHERE origin = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&origin, &seq, &limit],
        )?;
        self.outbox_rows(&rows)
    }

    /// Forgets the standard-output positions of collectors no longer alive (so they hold no
    /// events back from pruning); the names forgotten.
    pub fn retire_dead_collectors(
        &mut self,
        lease: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let rows = self.rows(
            "WITH dead AS (DELETE FROM collectors WHERE beat <= $1 RETURNING name)
             DELETE FROM consumers WHERE name IN (SELECT 'stdout:' || name FROM dead)
                OR (name LIKE 'stdout:%' AND substr(name, 8) NOT IN (SELECT name FROM collectors))
             RETURNING name",
            &[&crate::time::millis(now - lease * 10)],
        )?;
        Ok(rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
    }
}
