//! `watchfloor replay` end to end (read, parse, tag, rules, store, print) over 200,000 recorded
//! items: 200 feeds' files of 1,000 items each, spread over 28 days, with a keyword rule, a count
//! rule and a spike rule. Reports items per second and peak memory (GNU time).
//!
//! ```sh
//! cargo build --release && cargo run --release --example replay_bench
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/feeds.rs"]
mod feeds;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

const FEEDS: usize = 200;
const PER_FEED: usize = 1_000;
const WORDS: [&str; 6] = [
    "clashes", "massacre", "floods", "protests", "attack", "talks",
];

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("recorded");
    std::fs::create_dir_all(&files).unwrap();
    let start = chrono::Utc::now().timestamp() - 28 * 86_400;
    let mut cfg = String::from(
        "[settings]\nmax_items = 1000\n\n[[countries]]\ncode = \"ML\"\n[[countries]]\ncode = \"SD\"\n\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\", \"attack*\"]\nseverity = \"high\"\n\n[[rules]]\nid = \"atrocity-day\"\nkind = \"count\"\nof = \"atrocity\"\nlimit = 50\nwindow = \"24h\"\nseverity = \"critical\"\n\n[[rules]]\nid = \"surge\"\nkind = \"spike\"\nslot = \"6h\"\nhistory = \"14d\"\nfactor = 3.0\nmin = 10\nseverity = \"high\"\n",
    );
    for f in 0..FEEDS {
        let _ = write!(
            cfg,
            "\n[[feeds]]\nid = \"wire-{f}\"\nurl = \"https://bench.test/{f}\"\n"
        );
        let mut rss =
            String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>");
        for k in 0..PER_FEED {
            let n = f * PER_FEED + k;
            let at = start + (n as i64 * 28 * 86_400) / (FEEDS * PER_FEED) as i64;
            let date = chrono::DateTime::from_timestamp(at, 0)
                .unwrap()
                .to_rfc2822();
            let _ = write!(
                rss,
                "<item><title>Reports of {} near a village in {} ({n})</title><link>https://bench.test/{f}/{k}</link><guid>b-{n}</guid><pubDate>{date}</pubDate><description>Local sources said the situation remained tense; residents fled toward the district capital and aid groups reported people missing. Officials promised an inquiry as the area stayed under curfew.</description></item>",
                WORDS[n % WORDS.len()],
                feeds::PLACES[n % feeds::PLACES.len()]
            );
        }
        rss.push_str("</channel></rss>");
        std::fs::write(files.join(format!("wire-{f}.xml")), rss).unwrap();
    }
    let cfg_path = dir.path().join("bench.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    if let Ok(keep) = std::env::var("REPLAY_BENCH_KEEP") {
        // Leaves the recorded files and config for a profiler.
        let _ = std::fs::remove_dir_all(&keep);
        std::fs::rename(dir.path(), &keep).unwrap();
        println!("kept in {keep}");
        return;
    }
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/watchfloor");
    let time = dir.path().join("time.txt");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %M", "-o"])
        .arg(&time)
        .arg(&bin)
        .args(["replay", "--config"])
        .arg(&cfg_path)
        .arg(&files)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("/usr/bin/time (apt-get install time)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let summary = String::from_utf8_lossy(&status.stderr);
    println!("{}", summary.lines().next().unwrap_or_default());
    let t = std::fs::read_to_string(&time).unwrap();
    let mut f = t.split_whitespace();
    let wall: f64 = f.next().unwrap().parse().unwrap();
    let user: f64 = f.next().unwrap().parse().unwrap();
    let rss: f64 = f.next().unwrap().parse().unwrap();
    let items = (FEEDS * PER_FEED) as f64;
    println!(
        "replay of {items} items: {wall:.2} s wall, {user:.2} s user CPU: {:.0} items/s, peak RSS {:.1} MiB",
        items / wall,
        rss / 1024.0
    );
}
