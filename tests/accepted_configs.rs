//! Every config that `check` accepts runs: configs built from the documented keys with values
//! drawn at random (durations up to and past their maxima, every rule kind with keys that do
//! and do not apply) either fail to load with errors, or run `headless --once` to the end
//! without a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use watchfloor::config::load_str;
use watchfloor::monitor::{self, Options};
use watchfloor::outputs::VecSink;
use watchfloor::rules::clock::SystemClock;

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (1u64..120).prop_map(|n| format!("{n}s")),
        6 => (1u64..72).prop_map(|n| format!("{n}h")),
        6 => (1u64..3650).prop_map(|n| format!("{n}d")),
        1 => (1u64..400_000).prop_map(|n| format!("{n}y")),
        1 => Just("0s".to_string()),
        1 => Just("soon".to_string()),
    ]
}

fn rule(i: usize) -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("keywords"),
            Just("threshold"),
            Just("count"),
            Just("silence")
        ],
        proptest::option::weighted(0.95, duration()),
        proptest::option::weighted(0.9, 0.0f64..2e6),
        [
            proptest::bool::weighted(0.1),
            proptest::bool::weighted(0.1),
            proptest::bool::weighted(0.3),
            proptest::bool::weighted(0.5),
        ],
        prop_oneof![Just("info"), Just("high"), Just("critical")],
    )
        .prop_map(move |(kind, window, limit, extra, severity)| {
            let mut r = format!(
                "\n[[rules]]\nid = \"r{i}\"\nkind = \"{kind}\"\nseverity = \"{severity}\"\n"
            );
            if extra[0] || kind == "keywords" {
                r.push_str("any = [\"massacre\", \"kill*\"]\n");
            }
            if extra[1] || kind == "threshold" {
                r.push_str("field = \"deaths\"\n");
            }
            if extra[2] && kind == "threshold" {
                r.push_str("op = \"<\"\n");
            }
            if extra[3] && i > 0 && kind == "count" {
                r.push_str("of = \"r0\"\n");
            }
            if kind == "silence" {
                if extra[3] {
                    r.push_str("scope = \"country\"\n");
                }
                match window {
                    Some(w) => r.push_str(&format!("after = \"{w}\"\n")),
                    None => r.push_str("after = \"auto\"\n"),
                }
                return r;
            }
            if let Some(w) = window.filter(|_| kind != "keywords" || extra[0]) {
                r.push_str(&format!("window = \"{w}\"\n"));
            }
            if let Some(l) = limit.filter(|_| kind != "keywords" || extra[0]) {
                r.push_str(&format!("limit = {}\n", l.floor()));
            }
            r
        })
}

fn config() -> impl Strategy<Value = String> {
    (
        proptest::option::weighted(0.3, duration()),
        proptest::option::weighted(0.3, duration()),
        proptest::option::weighted(0.3, duration()),
        proptest::option::weighted(0.3, 1i64..3000),
        proptest::collection::vec(any::<usize>(), 1..4),
    )
        .prop_flat_map(|(retain, window, interval, max_items, rules)| {
            let rules: Vec<_> = (0..rules.len()).map(rule).collect();
            (Just((retain, window, interval, max_items)), rules)
        })
        .prop_map(|((retain, window, interval, max_items), rules)| {
            let mut c = String::from("[settings]\ntimeout = \"1s\"\nconnect_timeout = \"1s\"\n");
            for (k, v) in [("retain", retain), ("window", window), ("poll_interval", interval)] {
                if let Some(v) = v {
                    c.push_str(&format!("{k} = \"{v}\"\n"));
                }
            }
            if let Some(m) = max_items {
                c.push_str(&format!("max_items = {m}\n"));
            }
            // Port 9 on loopback refuses at once: the poll fails fast, as a down server does.
            c.push_str("\n[[feeds]]\nid = \"f\"\nurl = \"http://127.0.0.1:9/feed\"\nvalues = { deaths = \"/d\" }\n");
            for r in rules {
                c.push_str(&r);
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_accepted_config_runs_once_without_panicking(text in config()) {
        let config = match load_str(Path::new("p.toml"), &text, &|_| None) {
            Ok(c) => c,
            Err(e) => {
                if std::env::var_os("SHOW_REJECTED").is_some() {
                    eprintln!("rejected: {e}");
                }
                return Ok(());
            }
        };
        if std::env::var_os("SHOW_REJECTED").is_some() {
            eprintln!("accepted");
        }
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sink = VecSink::default();
        let result = rt.block_on(monitor::run(
            Arc::new(config),
            dir.path(),
            Some(Box::new(sink.clone())),
            Arc::new(SystemClock),
            Options { once: true, ..Options::default() },
            monitor::Hooks::default(),
            std::future::pending(),
        ));
        prop_assert!(result.is_ok(), "{text}\n{result:?}");
        prop_assert!(!sink.events().is_empty(), "{text}");
    }
}
