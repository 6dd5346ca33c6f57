//! The PostgreSQL store on a throwaway cluster: migrations under concurrency, outbox positions
//! in commit order under concurrent writers, and what each role may write.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use watchfloor::event::{Event, Triage, TriageAction, TriageTarget};
use watchfloor::store::address::{Origin, PgAddress, StoreAddress};
use watchfloor::store::{PeriodReads, PgStore, Store, StoreTx};

use crate::support::{pg, succeeds};

fn address(url: &str) -> PgAddress {
    match StoreAddress::parse(url, Origin::Config).unwrap() {
        StoreAddress::Postgres(pg) => pg,
        other => panic!("not postgres: {other:?}"),
    }
}

/// Role creation is cluster-wide; tests that create logins take turns.
static LOGINS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn collectors_starting_at_once_migrate_once() {
    let Some(db) = pg::database() else { return };
    let url = db.url();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let a = address(&url);
            std::thread::spawn(move || PgStore::open(&a).map(|s| s.id().to_string()))
        })
        .collect();
    let ids: BTreeSet<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one database, one identity: {ids:?}");
}

#[test]
fn outbox_positions_follow_commit_order_under_concurrent_writers() {
    let Some(db) = pg::database() else { return };
    let a = address(&db.url());
    drop(PgStore::open(&a).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let a = a.clone();
            std::thread::spawn(move || {
                let mut store = PgStore::open(&a).unwrap();
                for i in 0..40 {
                    store
                        .write(|tx| {
                            tx.append(&note(&format!("w{w}-{i}-a")))?;
                            // Hold the transaction open a while after taking a position: a
                            // position handed out before a slower writer's would commit later.
                            std::thread::sleep(Duration::from_micros(((w * 7 + i) % 5) * 300));
                            tx.append(&note(&format!("w{w}-{i}-b")))?;
                            Ok(())
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    // A consumer that follows as fast as it can, as `tail` does.
    let reader = {
        let a = a.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let store = PgStore::open_existing(&a).unwrap();
            let mut seen = Vec::new();
            let mut cursor = 0;
            loop {
                let finished = done.load(Ordering::SeqCst);
                for row in store.outbox_after(cursor, 1000).unwrap() {
                    assert!(row.seq > cursor);
                    cursor = row.seq;
                    seen.push(row.body);
                }
                if finished {
                    return seen;
                }
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    let all = PgStore::open_existing(&a)
        .unwrap()
        .outbox_after(0, 10_000)
        .unwrap();
    assert_eq!(all.len(), 4 * 40 * 2);
    assert_eq!(
        seen.len(),
        all.len(),
        "the follower skipped events that committed after a later position"
    );
}

fn note(text: &str) -> Event {
    Event::Triage(Triage {
        at: Utc::now(),
        who: "test".into(),
        target: TriageTarget::Country,
        key: "SD".into(),
        action: TriageAction::Note,
        until: None,
        note: Some(text.into()),
    })
}

#[test]
fn each_role_is_refused_every_write_it_may_not_make() {
    let Some(db) = pg::database() else { return };
    let _turn = LOGINS.lock().unwrap_or_else(|e| e.into_inner());
    let report = PgStore::init(&address(&db.url())).unwrap();
    assert_eq!(report.was, 0);
    assert!(report.now >= 1);
    // Again: nothing to do, and no error.
    PgStore::init(&address(&db.url())).unwrap();
    let suffix = &db.name;
    let (col, ana, vie) = (
        format!("col_{suffix}"),
        format!("ana_{suffix}"),
        format!("vie_{suffix}"),
    );
    db.admin_sql(&format!(
        "CREATE ROLE {col} LOGIN PASSWORD 'c' IN ROLE watchfloor_collector;
         CREATE ROLE {ana} LOGIN PASSWORD 'a' IN ROLE watchfloor_analyst;
         CREATE ROLE {vie} LOGIN PASSWORD 'v' IN ROLE watchfloor_viewer;"
    ));
    let as_user = |u: &str, p: &str| PgStore::open_existing(&address(&db.url_as(u, p))).unwrap();

    // What each may do.
    let mut collector = as_user(&col, "c");
    collector
        .write(|tx| tx.append(&note("from the collector")))
        .unwrap();
    collector.set_consumer("tail", 1).unwrap();
    let mut analyst = as_user(&ana, "a");
    analyst
        .record_triage(&Triage {
            who: "someone-else".into(),
            ..triage()
        })
        .unwrap();
    let viewer = as_user(&vie, "v");
    let rows = viewer.outbox_after(0, 10).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let signed: serde_json::Value = serde_json::from_str(&rows[1].body).unwrap();
    assert_eq!(
        signed["who"], *ana,
        "the database signs triage with the login, whatever the screen claims"
    );

    // What each may not.
    let forbidden: &[(&str, &str, &str)] = &[
        (
            &col,
            "c",
            "INSERT INTO triage (at, target, key, action) VALUES (1, 'country', 'SD', 'ack')",
        ),
        (&col, "c", "DELETE FROM triage"),
        (
            &ana,
            "a",
            "INSERT INTO alerts (id, at, at_ms, event_time, listed, rule, kind, severity) VALUES ('x', 1, 1, 1, false, 'r', 'k', 'high')",
        ),
        (
            &ana,
            "a",
            "INSERT INTO outbox (seq, at, kind, body) VALUES (999, 1, 'alert', '{}')",
        ),
        (&ana, "a", "UPDATE triage SET note = 'rewritten'"),
        (&ana, "a", "DELETE FROM triage"),
        (
            &ana,
            "a",
            "INSERT INTO consumers (name, seq, at) VALUES ('x', 1, 1)",
        ),
        (&ana, "a", "UPDATE statuses SET status = 'normal'"),
        (&ana, "a", "SELECT watchfloor_next_seq()"),
        (
            &vie,
            "v",
            "INSERT INTO triage (at, target, key, action) VALUES (1, 'country', 'SD', 'ack')",
        ),
        (
            &vie,
            "v",
            "INSERT INTO outbox (seq, at, kind, body) VALUES (999, 1, 'alert', '{}')",
        ),
        (&vie, "v", "DELETE FROM alerts"),
        (&vie, "v", "UPDATE feeds SET failures = 0"),
        (
            &vie,
            "v",
            "INSERT INTO collectors (name, host, pid, started, beat) VALUES ('x', 'h', 1, 1, 1)",
        ),
    ];
    for (user, pw, sql) in forbidden {
        let out = std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &db.port.to_string(),
                "-U",
                user,
                "-d",
                &db.name,
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
            .env("PGPASSWORD", pw)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("permission denied"),
            "{user} was allowed: {sql}\n{stderr}"
        );
    }
    // The viewer through the store interface: refused, with the database's reason.
    let mut viewer = viewer;
    let e = viewer.record_triage(&triage()).unwrap_err().to_string();
    assert!(e.contains("permission denied"), "{e}");
    assert!(!e.contains("'v'"), "{e}");
}

fn triage() -> Triage {
    Triage {
        at: Utc::now(),
        who: "ignored".into(),
        target: TriageTarget::Country,
        key: "SD".into(),
        action: TriageAction::Ack,
        until: None,
        note: None,
    }
}

/// `watchfloor store copy` of the SQLite desk in `from` into `db`.
fn store_copy(
    db: &pg::Database,
    from: &std::path::Path,
    pgpass: &std::path::Path,
) -> std::process::Output {
    watchfloor()
        .args(["store", "copy", "--from"])
        .arg(from)
        .args(["--to", &db.bare_url(pg::ADMIN)])
        .env("PGPASSFILE", pgpass)
        .output()
        .unwrap()
}

fn watchfloor() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_watchfloor"));
    c.env_remove("WATCHFLOOR_CONFIG")
        .env_remove("WATCHFLOOR_STORE")
        .env_remove("RUST_LOG")
        .env_remove("PGPASSWORD");
    c
}

#[test]
fn a_password_in_store_on_the_command_line_is_refused_without_showing_it() {
    let out = watchfloor()
        .args([
            "tail",
            "--consumer",
            "x",
            "--store",
            "postgres://desk:hunter2@127.0.0.1:1/watch",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("password on the command line"), "{stderr}");
    assert!(stderr.contains("PostgreSQL password file"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn store_init_and_tail_through_the_password_file_resume_where_the_consumer_stopped() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pgpass = db.pgpass(dir.path(), &[]);
    let url = db.bare_url(pg::ADMIN);
    let run = |args: &[&str]| {
        succeeds(
            watchfloor()
                .args(args)
                .args(["--store", &url])
                .env("PGPASSFILE", &pgpass),
        )
    };
    let said = run(&["store", "init"]);
    assert!(said.contains("schema 0 -> "), "{said}");
    let mut store = PgStore::open_existing(&address(&db.url())).unwrap();
    let add = |store: &mut PgStore, from: usize, n: usize| {
        store
            .write(|tx| {
                for i in from..from + n {
                    tx.append(&note(&format!("event {i}")))?;
                }
                Ok(())
            })
            .unwrap();
    };
    add(&mut store, 0, 3);
    let first = run(&["tail", "--consumer", "desk-log", "--once"]);
    let seqs = |text: &str| -> Vec<i64> {
        text.lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(seqs(&first), vec![1, 2, 3], "{first}");
    assert!(first.contains("event 0"), "{first}");
    add(&mut store, 3, 2);
    let second = run(&["tail", "--consumer", "desk-log", "--once"]);
    assert_eq!(seqs(&second), vec![4, 5], "{second}");
    // Another consumer has a position of its own; --from-end skips what came before it.
    assert_eq!(
        run(&["tail", "--consumer", "pager", "--once", "--from-end"]),
        ""
    );
    add(&mut store, 5, 1);
    assert_eq!(
        seqs(&run(&["tail", "--consumer", "pager", "--once"])),
        vec![6]
    );
}

#[test]
fn a_tail_killed_now_and_then_misses_nothing() {
    use std::io::Read;
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pgpass = db.pgpass(dir.path(), &[]);
    let url = db.bare_url(pg::ADMIN);
    let a = address(&db.url());
    let mut store = PgStore::open(&a).unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..300 {
            store
                .write(|tx| tx.append(&note(&format!("event {i}"))).map(drop))
                .unwrap();
            std::thread::sleep(Duration::from_millis(3));
        }
    });
    let mut seen = BTreeSet::new();
    let started = std::time::Instant::now();
    let mut kills = 0;
    let spawn = || {
        watchfloor()
            .args(["tail", "--consumer", "pager", "--store", &url])
            .env("PGPASSFILE", &pgpass)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    while !writer.is_finished() || started.elapsed() < Duration::from_secs(2) {
        let mut child = spawn();
        std::thread::sleep(Duration::from_millis(
            60 + (started.elapsed().as_millis() % 90) as u64,
        ));
        child.kill().unwrap();
        kills += 1;
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        child.wait().unwrap();
        for line in text.lines() {
            // A line cut by the kill is not counted; its event comes again.
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                seen.insert(v["seq"].as_i64().unwrap());
            }
        }
    }
    writer.join().unwrap();
    let out = watchfloor()
        .args(["tail", "--consumer", "pager", "--once", "--store", &url])
        .env("PGPASSFILE", &pgpass)
        .output()
        .unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        seen.insert(v["seq"].as_i64().unwrap());
    }
    assert!(kills >= 5, "only {kills} kills");
    let all: BTreeSet<i64> = (1..=300).collect();
    let missed: Vec<_> = all.difference(&seen).collect();
    assert!(missed.is_empty(), "{} kills; missed {missed:?}", kills);
}

const DESK: &str = r#"
[settings]
window = "72h"
[[countries]]
code = "SD"
[[feeds]]
id = "wire"
url = "https://wire.test/feed"
[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre"]
severity = "high"
[[rules]]
id = "surge"
kind = "count"
of = "atrocity"
limit = 2
window = "24h"
severity = "critical"
"#;

fn desk_item(n: usize) -> watchfloor::feed::item::Item {
    let title = format!("Massacre reported in Darfur, Sudan, village {n}");
    watchfloor::feed::item::Item {
        feed: "wire".into(),
        key: watchfloor::feed::item::item_key(Some(&format!("wire-{n}")), None, &title, ""),
        title,
        url: Some(format!("https://wire.test/{n}")),
        summary: String::new(),
        published: None,
        countries: Vec::new(),
        values: Vec::new(),
    }
}

#[test]
fn a_sqlite_desk_moves_to_postgres_without_repeating_an_alert() {
    use watchfloor::monitor::ingest::{ingest_items, restore};
    use watchfloor::rules::engine::Engine;
    use watchfloor::store::SqliteStore;
    let Some(db) = pg::database() else { return };
    let config =
        watchfloor::config::load_str(std::path::Path::new("desk.toml"), DESK, &|_| None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let items: Vec<_> = (0..4).map(desk_item).collect();
    {
        let mut lite = SqliteStore::open(dir.path()).unwrap();
        let mut engine = Engine::new(&config).unwrap();
        lite.write(|tx| ingest_items(tx, &mut engine, &items, now).map(drop))
            .unwrap();
        lite.record_triage(&Triage {
            who: "amina".into(),
            ..triage()
        })
        .unwrap();
    }
    let lite = SqliteStore::open_read_only(dir.path()).unwrap();
    let lite_alerts = lite
        .alerts_between(
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(1),
        )
        .unwrap();
    assert!(lite_alerts.len() >= 5, "{lite_alerts:?}");

    let pgpass_dir = tempfile::tempdir().unwrap();
    let pgpass = db.pgpass(pgpass_dir.path(), &[]);
    let copy = || store_copy(&db, dir.path(), &pgpass);
    let out = copy();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("{} alerts", lite_alerts.len())),
        "{said}"
    );
    assert!(
        said.contains("4 items") && said.contains("1 triage"),
        "{said}"
    );

    let mut store = PgStore::open_existing(&address(&db.url())).unwrap();
    let mut copied: Vec<String> = store.alerts().unwrap().into_iter().map(|a| a.id).collect();
    let mut want: Vec<String> = lite_alerts.iter().map(|a| a.id.clone()).collect();
    copied.sort();
    want.sort();
    assert_eq!(copied, want);
    assert!(
        store.outbox_after(0, 100).unwrap().is_empty(),
        "copied alerts are history, not news"
    );
    assert_eq!(store.statuses().unwrap(), lite.statuses().unwrap());
    // A collector on the copy: the same items raise nothing again.
    let mut engine = Engine::new(&config).unwrap();
    restore(&store, &mut engine, &config, now).unwrap();
    store
        .write(|tx| ingest_items(tx, &mut engine, &items, now).map(drop))
        .unwrap();
    assert!(store.outbox_after(0, 100).unwrap().is_empty());
    // A new report raises its own alert, and the count rule, above its limit since before the
    // move (its window came along), does not fire again.
    store
        .write(|tx| ingest_items(tx, &mut engine, &[desk_item(9)], now).map(drop))
        .unwrap();
    let rules: Vec<String> = store
        .outbox_after(0, 100)
        .unwrap()
        .iter()
        .filter_map(|r| match Event::from_body(&r.body) {
            Some(Event::Alert(a)) => Some(a.rule),
            _ => None,
        })
        .collect();
    assert_eq!(rules, vec!["atrocity".to_string()]);
    // Triage keeps who wrote it.
    let out = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &db.port.to_string(),
            "-U",
            pg::ADMIN,
            "-d",
            &db.name,
        ])
        .args(["-tA", "-c", "SELECT who FROM triage"])
        .env("PGPASSWORD", pg::ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "amina");
    // Once is enough: a second copy is refused and changes nothing.
    let again = copy();
    assert!(!again.status.success());
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(e.contains("copy into an empty store"), "{e}");
}

#[test]
fn a_desk_collector_whose_stdout_is_not_read_goes_on_collecting_and_stops_on_sigterm() {
    let Some(db) = pg::database() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(crate::support::start());
    let dir = tempfile::tempdir().unwrap();
    // Growing feeds: 50 new alerting items a poll each, far more output than a pipe holds.
    let mut text = String::from(
        "[settings]\npoll_interval = \"1s\"\n[store]\nurl = \"${WF_STORE}\"\nlease = \"3s\"\n\
         [[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n",
    );
    for f in 0..4 {
        text.push_str(&format!(
            "[[feeds]]\nid = \"g{f}\"\nurl = \"{}\"\n",
            server.url(&format!("/gen/g{f}"))
        ));
    }
    let cfg = crate::support::write_config(dir.path(), &text);
    // Its stdout is a pipe nobody reads.
    let mut child = watchfloor()
        .args(["headless", "--config"])
        .arg(&cfg)
        .env("WF_STORE", db.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let store = {
        let started = std::time::Instant::now();
        loop {
            if let Ok(s) = PgStore::open_existing(&address(&db.url())) {
                break s;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no store");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // Long enough for the pipe to fill (tens of kilobytes a second).
    std::thread::sleep(Duration::from_secs(6));
    let before = store.outbox_end().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let after = store.outbox_end().unwrap();
    assert!(
        after > before + 100,
        "collection stalled behind an unread stdout: {before} -> {after}"
    );
    // SIGTERM still stops it promptly, unread pipe and all.
    let asked = std::time::Instant::now();
    // SAFETY: sends a signal to our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "a collector with an unread stdout ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // What it could not print stays in the store for `tail`.
    assert!(store.outbox_after(0, 10).unwrap().len() == 10);
}

/// A listener whose connection the server cuts hears of it at once, connects again on its next
/// wait, and hears commits again.
#[test]
fn a_listener_connects_again_after_the_server_cuts_it() {
    let Some(db) = pg::database() else { return };
    let a = address(&db.url());
    drop(PgStore::open(&a).unwrap());
    let mut listener = PgStore::open_existing(&a).unwrap();
    assert!(
        listener.wait_for_events(Duration::ZERO).unwrap(),
        "listening"
    );
    db.admin_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    // The wait notices the cut, connects again and listens (which counts as hearing).
    let t = std::time::Instant::now();
    let woke = listener.wait_for_events(Duration::from_secs(10));
    assert!(
        matches!(woke, Ok(true)) || woke.is_err(),
        "the cut went unnoticed: {woke:?}"
    );
    if woke.is_err() {
        assert!(listener.wait_for_events(Duration::ZERO).unwrap());
    }
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(
        !listener
            .wait_for_events(Duration::from_millis(200))
            .unwrap()
    );
    let mut writer = PgStore::open_existing(&a).unwrap();
    writer
        .write(|tx| tx.append(&note("after the cut")))
        .unwrap();
    assert!(
        listener.wait_for_events(Duration::from_secs(5)).unwrap(),
        "a commit after the cut was not heard"
    );
}

/// `sslmode=require` (or libpq's `verify-full`) with `sslrootcert` connects over TLS to a
/// server whose certificate that CA signed; without it (the system's roots) or with another
/// CA the connection is refused, and a missing file is named.
#[test]
fn tls_trusts_the_ca_that_sslrootcert_names() {
    let Some(db) = pg::database() else { return };
    let ca = db.ca_file();
    let with = |params: &str| db.url().replace("sslmode=disable", params);
    for mode in ["require", "verify-full"] {
        let url = with(&format!("sslmode={mode}&sslrootcert={}", ca.display()));
        let store = PgStore::open(&address(&url)).unwrap();
        let encrypted = db.admin_query(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = 'watchfloor' AND s.ssl",
        );
        assert_eq!(encrypted, "1", "{mode}: the session is not encrypted");
        drop(store);
        std::thread::sleep(Duration::from_millis(100));
    }
    let refused = |url: &str| PgStore::open(&address(url)).unwrap_err().to_string();
    let system = refused(&with("sslmode=require"));
    assert!(system.contains("certificate"), "{system}");
    // `prefer` (the default) does not fall back to plain text past a certificate it cannot
    // check: a server that offers TLS is met with TLS or not at all.
    let preferred = refused(&with("sslmode=prefer"));
    assert!(preferred.contains("certificate"), "{preferred}");
    let dir = tempfile::tempdir().unwrap();
    let stranger = dir.path().join("other-ca.pem");
    std::fs::write(&stranger, crate::private_ca::private_ca().0).unwrap();
    let other = refused(&with(&format!(
        "sslmode=require&sslrootcert={}",
        stranger.display()
    )));
    assert!(other.contains("certificate"), "{other}");
    let missing = refused(&with(
        "sslmode=require&sslrootcert=/nonexistent/desk-ca.pem",
    ));
    assert!(missing.contains("/nonexistent/desk-ca.pem"), "{missing}");
}

/// `brief` on a shared store: a SQLite desk copied into PostgreSQL gives the same brief, in
/// each of its four forms, from either store.
#[test]
fn a_shared_store_gives_the_brief_its_sqlite_desk_gave() {
    use watchfloor::brief::{Format, gather, render};
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lite = crate::brief::seed(dir.path());
    let pgpass_dir = tempfile::tempdir().unwrap();
    let pgpass = db.pgpass(pgpass_dir.path(), &[]);
    let out = store_copy(&db, dir.path(), &pgpass);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shared = PgStore::open_existing(&address(&db.url())).unwrap();
    let config = watchfloor::config::load_str(
        std::path::Path::new("brief.toml"),
        crate::brief::CONFIG,
        &|_| None,
    )
    .unwrap();
    let screen = watchfloor::config::ScreenConfig::from(&config);
    let (since, until) = (
        crate::brief::now() - chrono::Duration::hours(24),
        crate::brief::now(),
    );
    let from_lite = gather(&lite, &screen, since, until).unwrap();
    let from_shared = gather(&shared, &screen, since, until).unwrap();
    for format in [Format::Md, Format::Html, Format::Csv, Format::Json] {
        assert_eq!(
            render(&from_shared, format),
            render(&from_lite, format),
            "{format:?}"
        );
    }
    // The same through the command line: `--store` or the data directory, one answer.
    let cfg = pgpass_dir.path().join("brief.toml");
    std::fs::write(&cfg, crate::brief::CONFIG).unwrap();
    let run = |args: &[&str], at: &[&str]| {
        succeeds(
            watchfloor()
                .args(args)
                .arg("--config")
                .arg(&cfg)
                .args(at)
                .env("PGPASSFILE", &pgpass),
        )
    };
    let bare = db.bare_url(pg::ADMIN);
    let data = dir.path().to_str().unwrap();
    for args in [
        &["brief", "--since", "366d"][..],
        &["export", "--format", "cap", "--id", "a1"][..],
    ] {
        let shared = run(args, &["--store", &bare]);
        assert!(!shared.is_empty(), "{args:?}");
        assert_eq!(shared, run(args, &["--data", data]), "{args:?}");
    }
}

#[test]
fn history_search_on_a_shared_store_uses_the_trigram_index() {
    use watchfloor::store::screen::ScreenReads;
    let Some(db) = pg::database() else { return };
    let mut store = PgStore::open(&address(&db.url())).unwrap();
    let item = |key: &str, title: &str, summary: &str| watchfloor::feed::item::Item {
        feed: "wire".into(),
        key: key.into(),
        title: title.into(),
        url: None,
        summary: summary.into(),
        published: None,
        countries: Vec::new(),
        values: Vec::new(),
    };
    let now = Utc::now();
    store
        .write(|tx| {
            tx.upsert_item(
                &item("1", "Aid convoy stopped near El Fasher", "A checkpoint."),
                now,
            )?;
            tx.upsert_item(&item("2", "苏丹达尔富尔发生屠杀", "联合国称平民死亡"), now)?;
            tx.upsert_item(&item("3", "Market prices", "Convoys of trucks."), now)?;
            tx.upsert_item(&item("4", "100% of wells dry", "a_b"), now)
                .map(drop)
        })
        .unwrap();
    let keys = |q: &str| {
        let mut k: Vec<String> = store.find(q).unwrap().into_iter().map(|h| h.key).collect();
        k.sort();
        k
    };
    assert_eq!(keys("convoy"), ["1", "3"], "title and text, any case");
    assert_eq!(keys("CONVOY fasher"), ["1"], "every word must be there");
    assert_eq!(
        keys("checkpoint. aid"),
        ["1"],
        "words from title and text together"
    );
    assert_eq!(
        keys("达尔富尔"),
        ["2"],
        "Chinese, with no spaces between words"
    );
    assert_eq!(
        keys("100%"),
        ["4"],
        "a % in the query is a character, not a wildcard"
    );
    assert!(keys("1_0").is_empty(), "nor is _");
    assert!(keys("massacre").is_empty());

    let indexed = db.admin_query("SELECT indexdef FROM pg_indexes WHERE indexname = 'items_text'");
    assert!(indexed.contains("gin_trgm_ops"), "{indexed}");
    // With enough rows the planner takes the index by itself; here it is told to prefer it,
    // which shows the query's shape is one the index serves.
    let plan = db.admin_query(
        "SET enable_seqscan = off; EXPLAIN SELECT key FROM items i
         WHERE (i.title || ' ' || i.summary) ILIKE '%convoy%'",
    );
    assert!(plan.contains("items_text"), "{plan}");
}
