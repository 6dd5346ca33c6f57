//! Tag + match throughput on realistic items with the full gazetteer and 2,000 keyword terms,
//! beside a bare aho-corasick scan of the same bytes with the same patterns (the practical
//! limit). Run with `cargo bench --bench pipeline`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use watchfloor::rules::matcher::{Hits, MatcherBuilder, Scratch};

const TERMS: &[&str] = &[
    "massacre",
    "massacres",
    "mass killing*",
    "ethnic cleansing",
    "genocid*",
    "crimes against humanity",
    "summary execution*",
    "mass grave*",
    "killed",
    "airstrike*",
    "shelling",
    "abduct*",
    "kidnapp*",
    "displaced",
    "refugees",
    "famine",
    "cholera",
    "looting",
    "torched",
    "beheaded",
    "massacré*",
    "tuerie*",
    "nettoyage ethnique",
    "génocide*",
    "masacre*",
    "limpieza étnica",
    "genocidio*",
    "chacina*",
    "مجزرة",
    "إبادة جماعية",
    "exterminate",
    "cockroaches",
    "sexual violence",
    "mass rape*",
];

const PLACES: &[&str] = &[
    "El Fasher",
    "Darfur",
    "South Sudan",
    "Goma",
    "North Kivu",
    "Mopti",
    "Djibo",
    "Tillabéri",
    "Maiduguri",
    "Sagaing",
    "Rakhine",
    "Port-au-Prince",
    "Kharkiv",
    "Gaza",
    "Aleppo",
    "Mogadishu",
    "Cabo Delgado",
    "Tigray",
    "Khartoum",
    "Bangui",
    "the capital",
    "a village",
    "the border area",
];

const VERBS: &[&str] = &[
    "Gunmen attack",
    "Army shells",
    "Militia accused of massacre in",
    "Aid convoy looted near",
    "Floods displace thousands in",
    "Talks stall over",
    "Drone strike hits market in",
    "UN warns of famine in",
    "Protesters killed in",
    "Residents flee fighting in",
];

const FILLER: &str = "Witnesses said armed men arrived at dawn and went from house to house, \
    according to local officials who spoke on condition of anonymity. Humanitarian agencies said \
    access remained restricted and that the number of casualties could not be independently verified.";

/// 2,000 keyword terms: the real ones above plus generated multi-word and prefix terms of the
/// same shape.
fn terms() -> Vec<String> {
    let stems = [
        "attack", "raid", "strike", "clash", "ambush", "siege", "blockade", "riot", "purge",
        "pogrom",
    ];
    let mods = [
        "armed",
        "militia",
        "cross-border",
        "night",
        "targeted",
        "reprisal",
        "sectarian",
        "tribal",
        "ethnic",
        "urban",
    ];
    let mut out: Vec<String> = TERMS.iter().map(|s| s.to_string()).collect();
    let mut n = 0u32;
    while out.len() < 2000 {
        let s = stems[n as usize % stems.len()];
        let m = mods[(n as usize / stems.len()) % mods.len()];
        let t = match n % 3 {
            0 => format!("{m} {s}{}", n / 100),
            1 => format!("{s}{}x*", n / 30),
            _ => format!("{m}{} {s}s", n / 100),
        };
        out.push(t);
        n += 1;
    }
    out
}

fn items() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..2000usize {
        let verb = VERBS[i % VERBS.len()];
        let place = PLACES[(i * 7) % PLACES.len()];
        let title = format!("{verb} {place}, {} dead", 3 + i % 40);
        let summary = format!(
            "{} {FILLER}",
            if i % 5 == 0 {
                "Reports of mass killings emerged."
            } else {
                ""
            }
        );
        out.push((title, summary));
    }
    out
}

fn bench(c: &mut Criterion) {
    let terms = terms();
    let mut b = MatcherBuilder::new();
    for t in &terms {
        b.term(t);
    }
    let matcher = b.build().expect("automaton builds");
    let items = items();
    let joined: Vec<String> = items.iter().map(|(t, s)| format!("{t}\n{s}")).collect();
    let bytes: usize = joined.iter().map(String::len).sum();
    eprintln!(
        "{} items, {} bytes ({:.0} B/item), {} patterns",
        items.len(),
        bytes,
        bytes as f64 / items.len() as f64,
        matcher.pattern_count()
    );

    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(items.len() as u64));
    g.bench_function("tag_and_match", |bench| {
        let mut scratch = Scratch::default();
        let mut hits = Hits::default();
        bench.iter(|| {
            let mut n = 0usize;
            for (title, summary) in &items {
                matcher.scan_into(&[title, summary], &mut scratch, &mut hits);
                n += hits.countries.len() + hits.terms.len();
            }
            black_box(n)
        });
    });
    g.bench_function("bare_scan", |bench| {
        let ac = matcher.automaton();
        bench.iter(|| {
            let mut n = 0usize;
            for text in &joined {
                n += ac.find_overlapping_iter(text.as_str()).count();
            }
            black_box(n)
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
