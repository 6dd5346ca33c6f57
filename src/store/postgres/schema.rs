//! The PostgreSQL schema, its migrations (run under an advisory lock, so collectors starting
//! at once migrate once) and the three roles `watchfloor store init` creates.
//!
//! Times are kept as the SQLite store keeps them (seconds, or milliseconds where the column
//! says so), so the two stores read alike and `store copy` moves rows unchanged.

/// Advisory lock key held while migrating ("watchfloor" in ASCII, truncated to 63 bits).
pub const MIGRATE_LOCK: i64 = 0x7761_7463_6866_6c6f;
/// Advisory lock key every write transaction holds until it commits: writers take turns, so
/// outbox sequence numbers are handed out in commit order and writers never deadlock.
pub const WRITE_LOCK: i64 = 0x7761_7463_6877_7269;

const MIGRATIONS: &[&str] = &[
    // 1: everything the SQLite schema holds at its version 10, plus the collectors of a desk.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('id', md5(random()::text || clock_timestamp()::text));
    CREATE TABLE feeds (
        id TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        failures BIGINT NOT NULL DEFAULT 0,
        failing_since BIGINT,
        last_ok BIGINT,
        last_error TEXT,
        last_report TEXT,
        last_full BIGINT
    );
    CREATE TABLE items (
        feed TEXT NOT NULL,
        key TEXT NOT NULL,
        ident BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        summary TEXT NOT NULL,
        published BIGINT,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        countries TEXT NOT NULL DEFAULT '',
        story BIGINT,
        PRIMARY KEY (feed, key)
    );
    CREATE INDEX items_ident ON items (ident);
    CREATE INDEX items_feed_seen ON items (feed, last_seen);
    CREATE INDEX items_story ON items (first_seen) WHERE story IS NOT NULL;
    CREATE TABLE alerts (
        row BIGINT GENERATED ALWAYS AS IDENTITY,
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        at_ms BIGINT NOT NULL,
        event_time BIGINT NOT NULL,
        country TEXT,
        listed BOOLEAN NOT NULL,
        rule TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        feed TEXT,
        item TEXT,
        matched TEXT,
        field TEXT,
        value DOUBLE PRECISION,
        lim DOUBLE PRECISION,
        op TEXT,
        expected DOUBLE PRECISION,
        explanation TEXT,
        title TEXT,
        story TEXT,
        sources TEXT,
        revision BIGINT,
        is_primary BOOLEAN,
        revised_at BIGINT
    );
    CREATE INDEX alerts_at ON alerts (at);
    CREATE INDEX alerts_event_time ON alerts (event_time);
    CREATE TABLE window_entries (
        rule TEXT NOT NULL,
        country TEXT NOT NULL,
        at BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX window_entries_at ON window_entries (at);
    CREATE TABLE statuses (country TEXT PRIMARY KEY, status TEXT NOT NULL, since BIGINT NOT NULL);
    CREATE TABLE status_history (
        country TEXT NOT NULL,
        at BIGINT NOT NULL,
        status TEXT NOT NULL,
        was TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX status_history_country ON status_history (country, at);
    CREATE TABLE outbox_seq (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), n BIGINT NOT NULL);
    INSERT INTO outbox_seq (n) VALUES (0);
    CREATE TABLE outbox (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX outbox_at ON outbox (at);
    CREATE TABLE consumers (name TEXT PRIMARY KEY, seq BIGINT NOT NULL, at BIGINT NOT NULL);
    CREATE TABLE triage (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        who TEXT NOT NULL DEFAULT session_user,
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        action TEXT NOT NULL,
        until BIGINT,
        note TEXT
    );
    CREATE INDEX triage_target ON triage (target, key);
    CREATE TABLE silence (
        rule TEXT NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (rule, subject)
    );
    CREATE TABLE corroboration (
        rule TEXT NOT NULL,
        country TEXT NOT NULL,
        story BIGINT NOT NULL,
        at BIGINT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (rule, country, story)
    );
    CREATE TABLE baseline (
        country TEXT PRIMARY KEY,
        risk DOUBLE PRECISION NOT NULL,
        rank BIGINT NOT NULL,
        of BIGINT NOT NULL,
        year BIGINT,
        source TEXT NOT NULL,
        imported_at BIGINT NOT NULL
    );
    CREATE TABLE polls (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        feed TEXT NOT NULL,
        at BIGINT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE INDEX polls_feed ON polls (feed, id);
    CREATE TABLE viewers (who TEXT PRIMARY KEY, seen_until BIGINT NOT NULL);
    CREATE TABLE evidence (
        country TEXT NOT NULL,
        factor BIGINT NOT NULL,
        rule TEXT NOT NULL,
        feed TEXT NOT NULL,
        item TEXT NOT NULL,
        source TEXT NOT NULL,
        is_primary BOOLEAN NOT NULL,
        at BIGINT NOT NULL,
        UNIQUE (feed, item, rule, country, factor)
    );
    CREATE INDEX evidence_country ON evidence (country, at);
    CREATE INDEX evidence_at ON evidence (at);
    CREATE TABLE collectors (
        name TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid BIGINT NOT NULL,
        started BIGINT NOT NULL,
        beat BIGINT NOT NULL
    );

    -- The next outbox position. Writers hold WRITE_LOCK, so positions follow commit order.
    CREATE FUNCTION watchfloor_next_seq() RETURNS BIGINT LANGUAGE sql
        SET search_path FROM CURRENT AS $$
        SELECT pg_advisory_xact_lock(8602284733557600873);
        -- Listeners (`tail`, screens) hear of it when the transaction commits; one notice per
        -- transaction, however many events it appends.
        SELECT pg_notify('watchfloor', '');
        UPDATE outbox_seq SET n = n + 1 RETURNING n;
    $$;

    -- A triage row is signed by the database (the login that wrote it, never a name the screen
    -- chose) and appended to the outbox in the same transaction. SECURITY DEFINER: an analyst
    -- writes triage and nothing else, the outbox included.
    CREATE FUNCTION watchfloor_triage_signed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.who := session_user;
        RETURN NEW;
    END $$;
    CREATE TRIGGER triage_signed BEFORE INSERT OR UPDATE ON triage
        FOR EACH ROW EXECUTE FUNCTION watchfloor_triage_signed();
    CREATE FUNCTION watchfloor_triage_event() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        s BIGINT;
        fmt CONSTANT TEXT := 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';
    BEGIN
        s := watchfloor_next_seq();
        INSERT INTO outbox (seq, at, kind, body) VALUES (
            s, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT, 'triage',
            json_build_object(
                'type', 'triage',
                'at', to_char(to_timestamp(NEW.at) AT TIME ZONE 'UTC', fmt),
                'who', NEW.who, 'target', NEW.target, 'key', NEW.key, 'action', NEW.action,
                'until', CASE WHEN NEW.until IS NULL THEN NULL
                    ELSE to_char(to_timestamp(NEW.until) AT TIME ZONE 'UTC', fmt) END,
                'note', NEW.note)::TEXT);
        RETURN NEW;
    END $$;
    CREATE TRIGGER triage_event AFTER INSERT ON triage
        FOR EACH ROW EXECUTE FUNCTION watchfloor_triage_event();
    "#,
    // 2: a desk of collectors. Each feed is leased to one collector at a time; collectors queue
    // what their polls brought (`pending`) for the leader, which evaluates every rule over all
    // of it; an outbox event names the collector whose poll raised it (`origin`), so each
    // collector prints its own.
    r"
    CREATE TABLE leases (feed TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL);
    CREATE INDEX leases_holder ON leases (holder);
    CREATE TABLE pending (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        origin TEXT NOT NULL,
        at BIGINT NOT NULL,
        poll TEXT NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN origin TEXT;
    CREATE INDEX outbox_origin ON outbox (origin, seq);
    ",
    // 3: history search by trigrams (`pg_trgm`, shipped with PostgreSQL's contrib and trusted,
    // so a database owner may add it). Where the extension cannot be had, search reads every
    // row as before, and the desk still starts.
    r"
    DO $$ BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX IF NOT EXISTS items_text ON items
            USING gin ((title || ' ' || summary) gin_trgm_ops);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'history search stays unindexed: %', SQLERRM;
    END $$;
    ",
];

/// The channel every commit that appends to the outbox notifies.
pub const CHANNEL: &str = "watchfloor";
/// The channel a collector notifies when it queues a poll for the leader.
pub const PENDING_CHANNEL: &str = "watchfloor_pending";
/// Advisory lock key a collector's round of feed leases holds until it commits.
pub const LEASE_LOCK: i64 = 0x7761_7463_686c_7365;
/// Advisory lock key the desk's leader holds for as long as its session lives.
pub const LEADER_LOCK: i64 = 0x7761_7463_686c_6561;

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The statements of migration `from` (0-based: the step from version `from` to `from + 1`).
pub fn migration(from: i64) -> Option<&'static str> {
    usize::try_from(from)
        .ok()
        .and_then(|i| MIGRATIONS.get(i))
        .copied()
}

/// The group roles and what each may do. Logins are members of one of them (`GRANT
/// watchfloor_analyst TO alice`); a triage row is signed with the login, not the group.
pub const ROLES: &str = r"
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchfloor_collector') THEN
        CREATE ROLE watchfloor_collector NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchfloor_analyst') THEN
        CREATE ROLE watchfloor_analyst NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchfloor_viewer') THEN
        CREATE ROLE watchfloor_viewer NOLOGIN;
    END IF;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public
    TO watchfloor_collector, watchfloor_analyst, watchfloor_viewer;
GRANT SELECT ON ALL TABLES IN SCHEMA public
    TO watchfloor_collector, watchfloor_analyst, watchfloor_viewer;
GRANT INSERT, UPDATE, DELETE ON
    meta, feeds, items, alerts, window_entries, statuses, status_history, outbox_seq, outbox,
    consumers, silence, corroboration, baseline, polls, viewers, evidence, collectors, leases,
    pending
    TO watchfloor_collector;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO watchfloor_collector;
GRANT INSERT ON triage TO watchfloor_analyst;
GRANT EXECUTE ON FUNCTION watchfloor_next_seq() TO watchfloor_collector;
REVOKE EXECUTE ON FUNCTION watchfloor_next_seq() FROM PUBLIC;
";
