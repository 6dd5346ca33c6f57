//! `watchfloor headless --once` against newsboat's `-x reload` on the same feeds: 200 feeds of
//! 50 items on 10 loopback hosts, fresh state each run, five runs each, medians compared.
//! newsboat is tried at several `reload-threads` settings and its best is kept; watchfloor runs
//! with its default settings. Time and peak memory come from `/usr/bin/time`.
//!
//! ```sh
//! apt-get install newsboat time
//! cargo build --release && cargo run --release --example ingest_vs_newsboat
//! ```
//!
//! `WATCHFLOOR_BIN=path` times another build of watchfloor instead of `target/release`'s.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/feeds.rs"]
mod feeds;

use std::path::Path;
use std::process::Command;

/// Runs `cmd` under /usr/bin/time; (seconds, peak RSS in KiB).
fn measure(cmd: &mut Command, dir: &Path) -> (f64, u64) {
    let out = dir.join("time.txt");
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(ToOwned::to_owned).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let status = Command::new("/usr/bin/time")
        .envs(envs)
        .args(["-f", "%e %M", "-o"])
        .arg(&out)
        .arg(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("/usr/bin/time (apt-get install time)");
    assert!(status.success(), "{cmd:?} failed");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut f = text.split_whitespace();
    (
        f.next().unwrap().parse().unwrap(),
        f.next().unwrap().parse().unwrap(),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

const RUNS: usize = 5;

#[tokio::main]
async fn main() {
    let urls = feeds::start(10, 20, feeds::Shape::Fixed(50)).await;
    // WATCHFLOOR_BIN compares another build (another profile, another target directory).
    let bin = std::env::var_os("WATCHFLOOR_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/watchfloor"),
        std::path::PathBuf::from,
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bench.toml");
    std::fs::write(&cfg, feeds::config(&urls, "1h")).unwrap();
    std::fs::write(dir.path().join("urls"), urls.join("\n") + "\n").unwrap();

    let mut wf = Vec::new();
    let mut wf_rss = Vec::new();
    for run in 0..RUNS {
        let data = dir.path().join(format!("wf-{run}"));
        let (t, rss) = measure(
            Command::new(&bin)
                .args(["headless", "--once", "--config"])
                .arg(&cfg)
                .arg("--data")
                .arg(&data),
            dir.path(),
        );
        wf.push(t);
        wf_rss.push(rss as f64);
    }
    let (wf_t, wf_m) = (median(wf), median(wf_rss));
    println!(
        "watchfloor headless --once: median {wf_t:.2} s, peak RSS {:.1} MiB",
        wf_m / 1024.0
    );

    let mut best: Option<(usize, f64, f64)> = None;
    for threads in [1, 2, 4, 8, 16, 32] {
        let conf = dir.path().join(format!("nb-{threads}.conf"));
        std::fs::write(&conf, format!("reload-threads {threads}\n")).unwrap();
        let mut times = Vec::new();
        let mut rss = Vec::new();
        for run in 0..RUNS {
            let home = dir.path().join(format!("nb-home-{threads}-{run}"));
            std::fs::create_dir_all(&home).unwrap();
            let (t, m) = measure(
                Command::new("newsboat")
                    .env("HOME", &home)
                    .arg("-u")
                    .arg(dir.path().join("urls"))
                    .arg("-c")
                    .arg(home.join("cache.db"))
                    .arg("-C")
                    .arg(&conf)
                    .args(["-x", "reload"]),
                dir.path(),
            );
            times.push(t);
            rss.push(m as f64);
        }
        let (t, m) = (median(times), median(rss));
        println!(
            "newsboat -x reload, reload-threads {threads:>2}: median {t:.2} s, peak RSS {:.1} MiB",
            m / 1024.0
        );
        if best.is_none_or(|(_, bt, _)| t < bt) {
            best = Some((threads, t, m));
        }
    }
    let (threads, nb_t, nb_m) = best.unwrap();
    println!(
        "ratio: watchfloor is {:.1}x faster than newsboat at its best ({threads} threads), using {:.2}x its memory",
        nb_t / wf_t,
        wf_m / nb_m
    );
}
