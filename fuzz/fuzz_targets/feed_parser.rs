//! Arbitrary bytes into the feed parser, as RSS/Atom (auto), as a JSON API with pointers, and
//! with XML extension values: it must return, never panic or hang.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use watchfloor::config::{FeedConfig, load_str};

fn feeds() -> &'static [FeedConfig] {
    static FEEDS: OnceLock<Vec<FeedConfig>> = OnceLock::new();
    FEEDS.get_or_init(|| {
        let text = r#"
[[feeds]]
id = "auto"
url = "https://f.test/"
[[feeds]]
id = "json"
url = "https://f.test/"
format = "json"
[feeds.json]
items = "/data"
id = "/id"
title = "/title"
published = "/date"
country = "/country"
[feeds.values]
n = "/n"
[[feeds]]
id = "xml"
url = "https://f.test/"
[feeds.xml]
country = ["gdacs:iso3", "gdacs:country"]
[feeds.values]
level = { at = "gdacs:alertlevel", map = { green = 1, orange = 2, red = 3 } }
pop = { at = "gdacs:population", attr = "value" }
"#;
        load_str(Path::new("fuzz.toml"), text, &|_| None)
            .map(|c| c.feeds)
            .unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    for feed in feeds() {
        let _ = watchfloor::feed::parse::parse(data, feed, 100, now);
    }
});
