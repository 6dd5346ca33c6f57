//! Story grouping per item: the labelled headlines of `tests/stories/` arriving again and
//! again from 40 feeds, against a full memory of recent headlines (the bounded index a
//! collector keeps). Run with `cargo bench --bench story`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use watchfloor::rules::matcher::MatcherBuilder;
use watchfloor::story::{Signature, Stories};

fn bench(c: &mut Criterion) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stories/headlines.tsv"),
    )
    .unwrap();
    let matcher = MatcherBuilder::new().build().unwrap();
    let signatures: Vec<Signature> = text
        .lines()
        .skip(1)
        .map(|l| {
            let title = l.split('\t').nth(3).unwrap();
            Signature::new(title, &matcher.scan(&[title]).countries)
        })
        .collect();
    let start = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let mut stories = Stories::default();
    let mut n: i64 = 0;
    // Fill the memory first, so every measured item is compared against a full index.
    for _ in 0..70 {
        for s in &signatures {
            n += 1;
            let feed = format!("feed-{}", n % 40);
            stories.assign(s.clone(), &feed, start, TimeDelta::hours(24), n);
        }
    }
    let mut g = c.benchmark_group("story");
    g.throughput(Throughput::Elements(signatures.len() as u64));
    g.bench_function("assign", |b| {
        b.iter(|| {
            for s in &signatures {
                n += 1;
                let feed = format!("feed-{}", n % 40);
                black_box(stories.assign(s.clone(), &feed, start, TimeDelta::hours(24), n));
            }
        });
    });
    g.bench_function("signature", |b| {
        b.iter(|| {
            for l in text.lines().skip(1) {
                let title = l.split('\t').nth(3).unwrap();
                black_box(Signature::new(title, &[]));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
