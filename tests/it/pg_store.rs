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
use watchfloor::store::{PgStore, Store, StoreTx};

use crate::support::pg;

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
