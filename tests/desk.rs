//! A desk of three collectors on one PostgreSQL store (a throwaway cluster): 300 feeds on ten
//! loopback hosts at a 3 s interval, a lease of 3 s, one collector killed with SIGKILL every
//! 10 s and started again (the leader among them), while a `tail` consumer is killed now and
//! then too. Every feed must be polled within two intervals plus the lease, no alert raised
//! twice, and the tail consumer must miss nothing.
//!
//! 60 s of kills with `WATCHFLOOR_LONG=1` (as CI runs it), 20 s otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use support::pg;
use watchfloor::store::Store;

const FEEDS: usize = 300;
const HOSTS: usize = 10;
const INTERVAL: Duration = Duration::from_secs(3);
const LEASE: Duration = Duration::from_secs(3);

/// When each feed was requested.
type Hits = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

/// Words of their own for each report (made-up place names), so reports are not one story.
fn words(name: &str, k: usize) -> String {
    const C: &[u8] = b"bdfghklmnprstvzjwy";
    const V: &[u8] = b"aeiou";
    let mut h = name
        .bytes()
        .fold((k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15), |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let mut next = || {
        h = h
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (h >> 33) as usize
    };
    (0..4)
        .map(|_| {
            let mut w = String::new();
            for _ in 0..3 {
                w.push(char::from(C[next() % C.len()]));
                w.push(char::from(V[next() % V.len()]));
            }
            w
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A feed with one new report per request.
async fn feed(State(hits): State<Hits>, UrlPath(name): UrlPath<String>) -> impl IntoResponse {
    let n = {
        let mut h = hits.lock().unwrap();
        let v = h.entry(name.clone()).or_default();
        v.push(Instant::now());
        v.len()
    };
    let items: String = (n.saturating_sub(3)..n)
        .map(|k| {
            // Every fifth report of the first 30 feeds is also about a convoy: the rule the
            // webhook hears (about two a second, inside its rate limit).
            let first = name[1..].parse::<usize>().is_ok_and(|n| n < 30);
            let what = if first && k % 5 == 2 {
                "Convoy ambushed, massacre"
            } else {
                "Massacre"
            };
            format!(
                "<item><title>{what}: {}</title><guid>{name}-{k}</guid><link>https://desk.test/{name}/{k}</link></item>",
                words(&name, k)
            )
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>{items}</channel></rss>"
        ),
    )
}

/// Alert ids the webhook received.
type Heard = Arc<Mutex<HashSet<String>>>;

async fn hook(State(heard): State<Heard>, body: String) -> impl IntoResponse {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body)
        && let Some(id) = v["id"].as_str()
    {
        heard.lock().unwrap().insert(id.to_string());
    }
    "{}"
}

/// A webhook receiver on loopback that keeps the alert ids it hears.
fn hook_server(rt: &tokio::runtime::Runtime, heard: Heard) -> std::net::SocketAddr {
    let app = Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(heard);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn serve(ip: &str, hits: Hits) -> std::net::SocketAddr {
    let app = Router::new().route("/d/{name}", get(feed)).with_state(hits);
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn pg_address(url: &str) -> watchfloor::store::address::PgAddress {
    match watchfloor::store::StoreAddress::parse(url, watchfloor::store::address::Origin::Config)
        .unwrap()
    {
        watchfloor::store::StoreAddress::Postgres(p) => p,
        other => panic!("{other:?}"),
    }
}

fn watchfloor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_watchfloor"));
    c.env_remove("WATCHFLOOR_CONFIG")
        .env_remove("WATCHFLOOR_STORE")
        .env_remove("PGPASSWORD")
        .env("RUST_LOG", "info");
    c
}

/// A collector whose stdout is read at once (its lines kept) and stderr kept in a file.
struct Collector {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

fn start_collector(config: &Path, url: &str, log: PathBuf) -> Collector {
    start_collector_with(config, url, log, &[])
}

/// As [`start_collector`], with more arguments for `headless`.
fn start_collector_with(config: &Path, url: &str, log: PathBuf, more: &[&str]) -> Collector {
    let mut child = watchfloor()
        .args(["headless", "--config"])
        .arg(config)
        .args(more)
        .env("WF_STORE", url)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = child.stdout.take().unwrap();
    let keep = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    Collector { child, lines }
}

/// SIGTERM, and the clean exit it must give; the collector's log.
fn stop_cleanly(c: &mut Collector, log: &Path) -> String {
    unsafe {
        libc::kill(c.child.id() as i32, libc::SIGTERM);
    }
    let status = c.child.wait().unwrap();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    assert!(status.success(), "{status}: {text}");
    text
}

/// The positions of every event in the store's outbox, in order.
fn stored_seqs(url: &str) -> Vec<i64> {
    watchfloor::store::PgStore::open_existing(&pg_address(url))
        .unwrap()
        .outbox_after(0, 1_000_000)
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect()
}

/// The positions of the events a collector printed, in the order printed.
fn printed_seqs(c: &Collector) -> Vec<i64> {
    c.lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["seq"].as_i64())
        .collect()
}

#[test]
fn three_collectors_killed_in_turn_poll_every_feed_and_raise_each_alert_once() {
    let Some(db) = pg::database() else { return };
    let long = std::env::var_os("WATCHFLOOR_LONG").is_some();
    let kills_for = if long {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(20)
    };
    let dir = tempfile::tempdir().unwrap();
    let pgpass = db.pgpass(dir.path(), &[]);
    let bare = db.bare_url(pg::ADMIN);
    let init = watchfloor()
        .args(["store", "init", "--store", &bare])
        .env("PGPASSFILE", &pgpass)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits: Hits = Arc::default();
    let addrs: Vec<_> = (1..=HOSTS)
        .map(|h| rt.block_on(serve(&format!("127.0.0.{h}"), hits.clone())))
        .collect();
    let heard: Heard = Arc::default();
    let hook_addr = hook_server(&rt, heard.clone());
    let mut config = String::from(
        r#"
[settings]
poll_interval = "3s"
timeout = "2s"
connect_timeout = "1s"
concurrency = 64
[store]
url = "${WF_STORE}"
lease = "3s"
[[countries]]
code = "ML"
[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre"]
severity = "high"
[[rules]]
id = "convoy"
kind = "keywords"
any = ["convoy"]
severity = "critical"
"#,
    );
    config.push_str(&format!(
        "[[notify]]\nid = \"desk-hook\"\nkind = \"webhook\"\nurl = \"http://{hook_addr}/hook\"\nrules = [\"convoy\"]\nper_minute = 600\n"
    ));
    for f in 0..FEEDS {
        let addr = addrs[f % HOSTS];
        config.push_str(&format!(
            "[[feeds]]\nid = \"f{f:03}\"\nurl = \"http://{addr}/d/f{f:03}\"\n"
        ));
    }
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, config).unwrap();
    let url = db.url();
    let log = |i: usize, n: usize| dir.path().join(format!("collector{i}-{n}.log"));
    let mut collectors: Vec<Collector> = (0..3)
        .map(|i| start_collector(&cfg, &url, log(i, 0)))
        .collect();

    // A tail consumer, killed every 1.5 to 3 s and started again.
    let tail_seen = Arc::new(Mutex::new(BTreeSet::new()));
    let tail_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tail = {
        let (seen, stop, bare, pgpass) = (
            tail_seen.clone(),
            tail_stop.clone(),
            bare.clone(),
            pgpass.clone(),
        );
        std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let mut child = watchfloor()
                    .args(["tail", "--consumer", "desk-log", "--store", &bare])
                    .env("PGPASSFILE", &pgpass)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                std::thread::sleep(Duration::from_millis(1500 + (round * 700) % 1500));
                child.kill().unwrap();
                let mut text = String::new();
                child
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                child.wait().unwrap();
                let mut s = seen.lock().unwrap();
                for line in text.lines() {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                        s.insert(v["seq"].as_i64().unwrap());
                    }
                }
                round += 1;
            }
        })
    };

    let started = Instant::now();
    let warm = LEASE + INTERVAL * 2;
    std::thread::sleep(warm);
    let mut kills = 0;
    let mut generation = [0usize; 3];
    while started.elapsed() < warm + kills_for {
        std::thread::sleep(Duration::from_secs(10));
        let i = kills % 3;
        collectors[i].child.kill().unwrap();
        collectors[i].child.wait().unwrap();
        generation[i] += 1;
        collectors[i] = start_collector(&cfg, &url, log(i, generation[i]));
        kills += 1;
    }
    let kills_ended = Instant::now();
    // Time for the last victim's feeds to move and be polled again.
    std::thread::sleep(LEASE + INTERVAL * 2);
    let checked_until = Instant::now();
    // Every convoy alert reaches the webhook, sent by whichever collector leads, across the
    // kills of leaders.
    let convoys = |store: &watchfloor::store::PgStore| -> HashSet<String> {
        store
            .outbox_after(0, 10_000_000)
            .unwrap()
            .iter()
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .filter(|v| v["type"] == "alert" && v["rule"] == "convoy")
            .filter_map(|v| v["id"].as_str().map(str::to_string))
            .collect()
    };
    let reader = watchfloor::store::PgStore::open_existing(&pg_address(&url)).unwrap();
    let waited = Instant::now();
    let undelivered = loop {
        let want = convoys(&reader);
        let got = heard.lock().unwrap().clone();
        let missing: Vec<String> = want.difference(&got).cloned().collect();
        if missing.is_empty() || waited.elapsed() > Duration::from_secs(30) {
            assert!(!want.is_empty(), "no convoy alert was raised");
            eprintln!(
                "{} convoy alerts, all sent to the webhook: {}",
                want.len(),
                missing.is_empty()
            );
            break missing;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(undelivered.is_empty(), "never sent: {undelivered:?}");
    tail_stop.store(true, std::sync::atomic::Ordering::SeqCst);
    tail.join().unwrap();
    for c in &mut collectors {
        // SIGTERM: a clean stop gives the leases back.
        unsafe {
            libc::kill(c.child.id() as i32, libc::SIGTERM);
        }
    }
    for c in &mut collectors {
        c.child.wait().unwrap();
    }

    // Every feed polled within two intervals plus the lease, through all the kills.
    let bound = INTERVAL * 2 + LEASE;
    let hits = hits.lock().unwrap();
    let mut worst = (Duration::ZERO, String::new());
    for f in 0..FEEDS {
        let id = format!("f{f:03}");
        let times: Vec<Instant> = hits
            .get(&id)
            .map(|v| v.iter().copied().filter(|t| *t >= started + warm).collect())
            .unwrap_or_default();
        assert!(!times.is_empty(), "{id} was never polled after the start");
        let mut last = started + warm;
        for t in times.iter().copied().chain([checked_until]) {
            let gap = t.saturating_duration_since(last);
            if gap > worst.0 {
                worst = (gap, id.clone());
            }
            last = t.max(last);
        }
    }
    eprintln!(
        "{kills} kills over {:?}; longest wait between polls of a feed: {:?} ({})",
        kills_ended - started,
        worst.0,
        worst.1
    );
    assert!(
        worst.0 <= bound,
        "{} waited {:?} between polls (bound {bound:?}); logs in {}",
        worst.1,
        worst.0,
        dir.path().display()
    );

    // No alert raised twice: each (id, revision) once in the whole outbox.
    let store =
        watchfloor::store::PgStore::open_existing(&match watchfloor::store::StoreAddress::parse(
            &url,
            watchfloor::store::address::Origin::Config,
        )
        .unwrap()
        {
            watchfloor::store::StoreAddress::Postgres(p) => p,
            other => panic!("{other:?}"),
        })
        .unwrap();
    let rows = store.outbox_after(0, 10_000_000).unwrap();
    let mut alerts = HashSet::new();
    let mut raised = 0;
    for r in &rows {
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        if v["type"] == "alert" {
            raised += 1;
            let key = (
                v["id"].as_str().unwrap().to_string(),
                v["revision"].as_u64(),
            );
            assert!(alerts.insert(key.clone()), "raised twice: {key:?}");
        }
    }
    if raised <= FEEDS {
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for r in &rows {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            *kinds
                .entry(v["type"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
        eprintln!(
            "events by kind: {kinds:?}; pending: {:?}",
            store.pending_count()
        );
        for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                eprintln!("== {}\n{}", entry.path().display(), tail.join("\n"));
            }
        }
    }
    assert!(raised > FEEDS, "only {raised} alerts");
    // Each collector printed only events of its own polls (and the leader its clock's).
    for c in &collectors {
        let lines = c.lines.lock().unwrap();
        assert!(!lines.is_empty(), "a collector printed nothing");
    }
    // The tail consumer, killed again and again, missed nothing: one last run catches up.
    let out = watchfloor()
        .args(["tail", "--consumer", "desk-log", "--once", "--store", &bare])
        .env("PGPASSFILE", &pgpass)
        .output()
        .unwrap();
    let mut seen = tail_seen.lock().unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        seen.insert(v["seq"].as_i64().unwrap());
    }
    let all: BTreeSet<i64> = rows.iter().map(|r| r.seq).collect();
    let missed: Vec<_> = all.difference(&seen).take(10).collect();
    assert!(
        missed.is_empty(),
        "tail missed {missed:?} (of {})",
        all.len()
    );
    eprintln!(
        "{} events, {raised} alerts, {} polls served",
        all.len(),
        hits.values().map(Vec::len).sum::<usize>()
    );
}

/// A collector whose connections to the store are all cut by the server three times (as a
/// restart, a failover or a lost link would) keeps running: it connects again, takes its feeds
/// and the lead back, goes on alerting, and prints every event of the store once it can.
#[test]
fn a_collector_outlives_connections_cut_by_the_server() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits: Hits = Arc::default();
    let addr = rt.block_on(serve("127.0.0.1", hits.clone()));
    let mut config = String::from(
        r#"
[settings]
poll_interval = "2s"
timeout = "2s"
[store]
url = "${WF_STORE}"
lease = "3s"
[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre"]
severity = "high"
"#,
    );
    for f in 0..10 {
        config.push_str(&format!(
            "[[feeds]]\nid = \"c{f}\"\nurl = \"http://{addr}/d/c{f}\"\n"
        ));
    }
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, config).unwrap();
    let url = db.url();
    let log = dir.path().join("collector.log");
    let mut collector = start_collector_with(&cfg, &url, log.clone(), &["--serve", "127.0.0.1:0"]);
    let alerts = |c: &Collector| {
        c.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(r#""type":"alert""#))
            .count()
    };
    let wait_for = |c: &Collector, n: usize, what: &str| {
        let t = Instant::now();
        while alerts(c) < n {
            assert!(
                t.elapsed() < Duration::from_secs(40),
                "{what}: {} alerts after {:?}; log in {}",
                alerts(c),
                t.elapsed(),
                log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for(&collector, 10, "before the cuts");
    // A `tail` consumer following the desk through the cuts.
    let pgpass = db.pgpass(dir.path(), &[]);
    let mut tail = watchfloor()
        .args(["tail", "--consumer", "cut-log", "--store"])
        .arg(db.bare_url(pg::ADMIN))
        .env("PGPASSFILE", &pgpass)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("tail.log")).unwrap())
        .spawn()
        .unwrap();
    let tailed: Arc<Mutex<BTreeSet<i64>>> = Arc::default();
    {
        let (out, seen) = (tail.stdout.take().unwrap(), tailed.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    seen.lock().unwrap().insert(v["seq"].as_i64().unwrap_or(-1));
                }
            }
        });
    }
    // The cuts come once the tail follows (one starting during a cut stops with the error).
    let t = Instant::now();
    while tailed.lock().unwrap().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "tail printed nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for _ in 0..3 {
        db.admin_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        std::thread::sleep(Duration::from_secs(3));
        assert!(
            collector.child.try_wait().unwrap().is_none(),
            "the collector stopped: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(
            tail.try_wait().unwrap().is_none(),
            "tail stopped: {}",
            std::fs::read_to_string(dir.path().join("tail.log")).unwrap_or_default()
        );
    }
    let before = alerts(&collector);
    wait_for(&collector, before + 20, "after the cuts");
    // The desk's alert feed, served from the shared store, answers after the cuts too.
    let served = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.split("alert feed on ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(|u| u.trim_end_matches(',').to_string())
        })
        .expect("the alert feed's address in the log");
    let atom = rt
        .block_on(async { reqwest::get(&served).await?.text().await })
        .unwrap();
    assert!(
        atom.matches("<entry>").count() >= 10,
        "{served}: {}",
        &atom[..atom.len().min(500)]
    );
    let text = stop_cleanly(&mut collector, &log);
    assert!(text.contains("again"), "no reconnection logged: {text}");
    // Every event in the store reached standard output, none skipped across the cuts.
    let all: BTreeSet<i64> = stored_seqs(&url).into_iter().collect();
    let printed: BTreeSet<i64> = printed_seqs(&collector).into_iter().collect();
    let missed: Vec<_> = all.difference(&printed).take(10).collect();
    assert!(
        missed.is_empty(),
        "not printed: {missed:?} of {}; log: {text}",
        all.len()
    );
    // The tail consumer, connected again too, catches up with the whole stream.
    let t = Instant::now();
    loop {
        let missed: Vec<i64> = all
            .difference(&tailed.lock().unwrap())
            .take(10)
            .copied()
            .collect();
        if missed.is_empty() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "tail missed {missed:?} of {}: {}",
            all.len(),
            std::fs::read_to_string(dir.path().join("tail.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tail.kill().unwrap();
    tail.wait().unwrap();
}

/// SIGHUP (`systemctl reload`) on a desk collector: a config with errors is refused and the
/// collector goes on; a valid one with new feeds makes it leave the desk cleanly and join
/// again, polling them, without printing any event twice or skipping one.
#[test]
fn a_desk_collector_reloads_its_config_on_sighup() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits: Hits = Arc::default();
    let addr = rt.block_on(serve("127.0.0.1", hits.clone()));
    let config = |feeds: &[&str]| {
        let mut c = String::from(
            "[settings]\npoll_interval = \"2s\"\ntimeout = \"2s\"\n[store]\nurl = \"${WF_STORE}\"\nlease = \"3s\"\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n",
        );
        for f in feeds {
            c.push_str(&format!(
                "[[feeds]]\nid = \"{f}\"\nurl = \"http://{addr}/d/{f}\"\n"
            ));
        }
        c
    };
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, config(&["r0", "r1", "r2"])).unwrap();
    let url = db.url();
    let log = dir.path().join("collector.log");
    // It archives the bodies it fetches, across the reload.
    let archive = dir.path().join("archive");
    let mut collector = start_collector_with(
        &cfg,
        &url,
        log.clone(),
        &["--archive", archive.to_str().unwrap()],
    );
    let polled = |f: &str| hits.lock().unwrap().get(f).map_or(0, Vec::len);
    let wait = |what: &str, ok: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !ok() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}; log: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait("the first polls", &|| polled("r0") >= 2);
    let hup = |c: &Collector| unsafe {
        libc::kill(c.child.id() as i32, libc::SIGHUP);
    };
    // A config with an error is refused, and nothing changes.
    std::fs::write(&cfg, "[[feeds]]\nid = \n").unwrap();
    hup(&collector);
    wait("the refusal", &|| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("reload refused")
    });
    assert!(collector.child.try_wait().unwrap().is_none(), "it stopped");
    // A valid config with two more feeds.
    std::fs::write(&cfg, config(&["r0", "r1", "r2", "n0", "n1"])).unwrap();
    hup(&collector);
    wait("the new feeds", &|| polled("n0") >= 2 && polled("n1") >= 2);
    let r0 = polled("r0");
    wait("the old feeds, still polled", &|| polled("r0") >= r0 + 2);
    assert!(collector.child.try_wait().unwrap().is_none(), "it stopped");
    let text = stop_cleanly(&mut collector, &log);
    assert!(text.contains("joins the desk again"), "{text}");
    for feed in ["r0", "n1"] {
        let bodies = std::fs::read_dir(archive.join(feed))
            .map(|d| {
                d.flatten()
                    .filter(|f| f.file_name().to_string_lossy().ends_with(".gz"))
                    .count()
            })
            .unwrap_or(0);
        assert!(bodies >= 2, "{feed}: {bodies} bodies archived");
    }
    // Every event printed once, none skipped, across the rejoin.
    assert_eq!(
        printed_seqs(&collector),
        stored_seqs(&url),
        "stdout against the store's events"
    );
}

/// A notification target is leased like a feed: one collector delivers it; when that one is
/// killed, another takes the lease and goes on from the target's position, so every alert
/// still reaches the webhook.
#[test]
fn a_notification_target_moves_with_its_lease() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits: Hits = Arc::default();
    let addr = rt.block_on(serve("127.0.0.1", hits.clone()));
    let heard: Heard = Arc::default();
    let hook_addr = hook_server(&rt, heard.clone());
    let mut config = format!(
        "[settings]\npoll_interval = \"2s\"\ntimeout = \"2s\"\n[store]\nurl = \"${{WF_STORE}}\"\nlease = \"3s\"\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n[[notify]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"http://{hook_addr}/hook\"\nper_minute = 600\n"
    );
    for f in 0..6 {
        config.push_str(&format!(
            "[[feeds]]\nid = \"m{f}\"\nurl = \"http://{addr}/d/m{f}\"\n"
        ));
    }
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, config).unwrap();
    let url = db.url();
    let mut collectors: Vec<Collector> = (0..2)
        .map(|i| start_collector(&cfg, &url, dir.path().join(format!("c{i}.log"))))
        .collect();
    let holder = || db.admin_query("SELECT holder FROM leases WHERE feed = 'notify:hook'");
    let t = Instant::now();
    while heard.lock().unwrap().is_empty() || holder().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the target was never delivered: {}{}",
            std::fs::read_to_string(dir.path().join("c0.log")).unwrap_or_default(),
            std::fs::read_to_string(dir.path().join("c1.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let first = holder();
    let pid: u32 = first.rsplit(':').next().unwrap().parse().unwrap();
    let victim = collectors
        .iter()
        .position(|c| c.child.id() == pid)
        .expect("the holder is one of the two collectors");
    collectors[victim].child.kill().unwrap();
    collectors[victim].child.wait().unwrap();
    let killed = Instant::now();
    // The other collector takes the lease, and alerts raised after the kill are delivered.
    let t = Instant::now();
    while holder() == first || holder().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the target's lease stayed with the dead collector"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "the target moved {:?} after its holder was killed",
        killed.elapsed()
    );
    std::thread::sleep(Duration::from_secs(4));
    let reader = watchfloor::store::PgStore::open_existing(&pg_address(&url)).unwrap();
    let alerts = || -> HashSet<String> {
        reader
            .outbox_after(0, 1_000_000)
            .unwrap()
            .iter()
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .filter(|v| v["type"] == "alert")
            .filter_map(|v| v["id"].as_str().map(str::to_string))
            .collect()
    };
    let t = Instant::now();
    loop {
        let want = alerts();
        let missing: Vec<String> = want
            .difference(&heard.lock().unwrap())
            .take(5)
            .cloned()
            .collect();
        if missing.is_empty() {
            eprintln!("{} alerts, every one delivered", want.len());
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "never delivered: {missing:?} of {}",
            want.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for c in &mut collectors {
        let _ = c.child.kill();
        let _ = c.child.wait();
    }
}

/// `--metrics` on a desk collector: the polls it made and the alerts it stored as leader are
/// counted, statuses and the outbox come from the shared store, and `/healthz` judges this
/// collector's own heartbeat: it fails while the heartbeat cannot reach the store (another
/// session locks the table) and recovers after.
#[test]
fn a_desk_collector_serves_its_metrics_and_health() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits: Hits = Arc::default();
    let addr = rt.block_on(serve("127.0.0.1", hits.clone()));
    let mut text = String::from(
        "[settings]\npoll_interval = \"2s\"\ntimeout = \"2s\"\n[store]\nurl = \"${WF_STORE}\"\nlease = \"3s\"\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n",
    );
    for f in ["m0", "m1"] {
        text.push_str(&format!(
            "[[feeds]]\nid = \"{f}\"\nurl = \"http://{addr}/d/{f}\"\n"
        ));
    }
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, text).unwrap();
    let url = db.url();
    let log = dir.path().join("collector.log");
    let mut collector =
        start_collector_with(&cfg, &url, log.clone(), &["--metrics", "127.0.0.1:0"]);
    let wait = |what: &str, secs: u64, ok: &mut dyn FnMut() -> bool| {
        let t = Instant::now();
        while !ok() {
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "waited {secs} s for {what}; log: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let mut base = String::new();
    wait("the metrics address", 20, &mut || {
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(rest) = logged.split("metrics on ").nth(1) {
            base = rest
                .split("/metrics")
                .next()
                .unwrap_or_default()
                .to_string();
        }
        !base.is_empty()
    });
    let get = |path: &str| {
        rt.block_on(async {
            let r = reqwest::get(format!("{base}{path}")).await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    };
    let sum = |text: &str, metric: &str, label: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(metric) && l.contains(label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let mut scrape = String::new();
    wait("polls and alerts counted", 30, &mut || {
        let (status, body) = get("/metrics");
        scrape = body;
        status == 200
            && sum(&scrape, "watchfloor_polls_total", "feed=\"m0\"") >= 2.0
            && sum(&scrape, "watchfloor_alerts_total", "severity=\"high\"") >= 1.0
    });
    assert!(
        scrape.contains("watchfloor_feed_up{feed=\"m1\"} 1"),
        "{scrape}"
    );
    assert!(scrape.contains("watchfloor_outbox_pending"), "{scrape}");
    assert!(scrape.contains("watchfloor_build_info"), "{scrape}");
    let (status, body) = get("/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok: heartbeat"), "{body}");

    // Another session locks the collectors' table: this collector's heartbeat cannot be
    // written, ages, and its health check says so; when the lock goes, it recovers.
    let (client, conn) = rt
        .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
        .unwrap();
    rt.spawn(conn);
    rt.block_on(client.batch_execute("BEGIN; LOCK TABLE collectors IN ACCESS EXCLUSIVE MODE"))
        .unwrap();
    let mut said = String::new();
    wait("healthz to fail", 30, &mut || {
        let (status, body) = get("/healthz");
        said = body;
        status == 503
    });
    assert!(said.starts_with("stuck: last heartbeat"), "{said}");
    rt.block_on(client.batch_execute("ROLLBACK")).unwrap();
    wait("healthz to recover", 20, &mut || get("/healthz").0 == 200);
    stop_cleanly(&mut collector, &log);
}

#[test]
fn a_collector_polls_the_desk_once_and_leaves_the_others_their_feeds() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits: Hits = Arc::default();
    let addr = rt.block_on(serve("127.0.0.1", hits.clone()));
    let names = ["o0", "o1", "o2", "o3"];
    let mut text = String::from(
        "[settings]\npoll_interval = \"2s\"\ntimeout = \"2s\"\n[store]\nurl = \"${WF_STORE}\"\nlease = \"3s\"\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n",
    );
    for f in names {
        text.push_str(&format!(
            "[[feeds]]\nid = \"{f}\"\nurl = \"http://{addr}/d/{f}\"\n"
        ));
    }
    let cfg = dir.path().join("desk.toml");
    std::fs::write(&cfg, text).unwrap();
    let url = db.url();
    let once = || {
        let out = watchfloor()
            .args(["headless", "--once", "--config"])
            .arg(&cfg)
            .env("WF_STORE", &url)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{}: {err}", out.status);
        (String::from_utf8_lossy(&out.stdout).into_owned(), err)
    };

    // Alone on the desk: every feed polled once, its alerts raised (by its own leader) and
    // printed, and it ends.
    let (out, err) = once();
    assert!(err.contains("polls 4 of 4 feeds once"), "{err}");
    for f in names {
        assert_eq!(hits.lock().unwrap()[f].len(), 1, "{f}: {err}");
    }
    let alerts: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "alert")
        .collect();
    assert_eq!(alerts.len(), names.len(), "{out}\n{err}");
    let stored = stored_seqs(&url);
    for a in &alerts {
        assert!(stored.contains(&a["seq"].as_i64().unwrap()), "{a}");
    }
    // It left nothing behind: no queued poll, no place among the collectors, and no lease (a
    // second round at once takes every feed again).
    let store = watchfloor::store::PgStore::open_existing(&pg_address(&url)).unwrap();
    let now = chrono::Utc::now();
    assert_eq!(store.pending_count().unwrap(), 0);
    assert!(
        store
            .collectors(chrono::TimeDelta::seconds(60), now)
            .unwrap()
            .is_empty()
    );
    let (_, err) = once();
    assert!(err.contains("polls 4 of 4 feeds once"), "{err}");
    for f in names {
        assert_eq!(hits.lock().unwrap()[f].len(), 2, "{f}: {err}");
    }

    // With a collector running that holds every feed, a single round takes none of them.
    let log = dir.path().join("collector.log");
    let mut collector = start_collector(&cfg, &url, log.clone());
    let t = Instant::now();
    while !names
        .iter()
        .all(|f| hits.lock().unwrap().get(*f).is_some_and(|v| v.len() >= 3))
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let before: Vec<usize> = names
        .iter()
        .map(|f| hits.lock().unwrap()[*f].len())
        .collect();
    let (out, err) = once();
    assert!(err.contains("polls 0 of 4 feeds once"), "{err}");
    assert!(out.trim().is_empty(), "{out}");
    // The running collector kept polling them all.
    std::thread::sleep(Duration::from_secs(3));
    for (f, n) in names.iter().zip(before) {
        assert!(hits.lock().unwrap()[*f].len() > n, "{f}");
    }
    stop_cleanly(&mut collector, &log);
}
