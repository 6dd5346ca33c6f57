//! The shipped risk-factor pack against the labelled headlines in
//! `tests/fixtures/factors/labelled.tsv`: precision and recall per factor and overall, printed
//! (`cargo test --test it factor_pack -- --nocapture`). Precision is held to 0.9 for every
//! factor; recall is reported as it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::Utc;
use watchfloor::feed::item::Item;
use watchfloor::rules::engine::Engine;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Default)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
}

#[test]
fn the_pack_reads_labelled_headlines_with_precision() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("watchfloor.toml");
    std::fs::write(
        &config_path,
        format!(
            "include = [{:?}]\n[[feeds]]\nid = \"eval\"\nurl = \"https://example.org/eval\"\n",
            root().join("config/packs/un-framework.toml")
        ),
    )
    .unwrap();
    let config = watchfloor::config::load(&config_path).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(&config).unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/factors/labelled.tsv")).unwrap();
    let sd = watchfloor::geo::lookup("SD").unwrap();
    let now = Utc::now();
    let mut scores: BTreeMap<u8, Score> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let (labels, lang, headline) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap(),
        );
        let want: BTreeSet<u8> = if labels == "-" {
            BTreeSet::new()
        } else {
            labels.split(',').map(|f| f.parse().unwrap()).collect()
        };
        let item = Item {
            feed: "eval".into(),
            key: format!("id:{n}"),
            title: headline.into(),
            url: None,
            summary: String::new(),
            published: Some(now),
            countries: vec![sd],
            values: Vec::new(),
        };
        let got: BTreeSet<u8> = engine
            .process(&item, now, false)
            .evidence
            .iter()
            .map(|e| e.factor)
            .collect();
        for f in want.union(&got) {
            let s = scores.entry(*f).or_default();
            match (want.contains(f), got.contains(f)) {
                (true, true) => s.tp += 1,
                (false, true) => {
                    s.fp += 1;
                    wrong.push(format!("false {f} ({lang}): {headline}"));
                }
                (true, false) => s.fn_ += 1,
                (false, false) => {}
            }
        }
    }
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            1.0
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    println!("factor  precision  recall  (tp fp fn)");
    let mut total = Score::default();
    for (f, s) in &scores {
        println!(
            "{f:>6}  {:>9.2}  {:>6.2}  ({} {} {})",
            ratio(s.tp, s.tp + s.fp),
            ratio(s.tp, s.tp + s.fn_),
            s.tp,
            s.fp,
            s.fn_
        );
        total.tp += s.tp;
        total.fp += s.fp;
        total.fn_ += s.fn_;
    }
    println!(
        "   all  {:>9.2}  {:>6.2}  ({} {} {})",
        ratio(total.tp, total.tp + total.fp),
        ratio(total.tp, total.tp + total.fn_),
        total.tp,
        total.fp,
        total.fn_
    );
    for w in &wrong {
        println!("{w}");
    }
    for (f, s) in &scores {
        let p = ratio(s.tp, s.tp + s.fp);
        assert!(p >= 0.9, "factor {f}: precision {p:.2} below 0.9");
    }
}
