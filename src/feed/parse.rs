//! Response bodies to [`Item`]s: RSS, Atom and JSON Feed through feed-rs, JSON APIs and GeoJSON
//! through JSON Pointers, and numbers from RSS/Atom extension elements (`gdacs:alertscore`).

use chrono::{DateTime, Utc};

use super::date::parse_date;
use super::item::{Item, clamp_date, item_key};
use super::json::parse_json_api;
use super::xml::{apply_xml_extensions, cap_entries, declares_utf8, diagnose_xml};
use crate::config::{FeedConfig, Format, ValueSpec};
use crate::geo::{self, CodeSystem, CountryCode};
use crate::text::{self, SHORT_MAX_CHARS, SUMMARY_MAX_CHARS, TITLE_MAX_CHARS};

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is empty.
    #[error("empty response body")]
    Empty,
    /// Not a feed format we know.
    #[error("body is neither XML nor JSON (starts with {0:?})")]
    Unrecognised(String),
    /// feed-rs refused it.
    #[error("invalid feed: {0}")]
    Feed(String),
    /// A JSON feed answered with text (an API's own error message, as GDELT gives).
    #[error("the server answered with text, not JSON: {0:?}")]
    Text(String),
    /// Invalid JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What serde_json said.
        message: String,
    },
    /// The items pointer does not lead to an array.
    #[error("JSON Pointer {pointer:?} (json.items) does not lead to an array{found}")]
    NotAnArray {
        /// The pointer.
        pointer: String,
        /// What it found instead.
        found: String,
    },
}

/// Parses a response body for a feed. `now` is when it was fetched.
pub fn parse(
    body: &[u8],
    feed: &FeedConfig,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Item>, ParseError> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    let Some(start) = start else {
        return Err(ParseError::Empty);
    };
    let first = body[start];
    let is_json = match feed.format {
        // An API that answers 200 with a sentence says what is wrong in it: show it.
        Format::Json if first != b'{' && first != b'[' && first != b'<' => {
            let text = String::from_utf8_lossy(&body[start..body.len().min(start + 600)]);
            let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(ParseError::Text(text::clean(line, 200)));
        }
        Format::Json => true,
        Format::Rss | Format::Atom => false,
        Format::Auto => first == b'{' || first == b'[',
    };
    let mut items = if is_json {
        match &feed.json {
            Some(map) => parse_json_api(body, feed, map, max_items, now)?,
            None => parse_with_feed_rs(body, feed, max_items, now)?,
        }
    } else if first == b'<' {
        // feed-rs builds every entry in memory; cut the document after `max_items` entries so a
        // feed of 100,000 items costs no more than one of `max_items`.
        let capped = cap_entries(body, max_items);
        let body: &[u8] = capped.as_deref().unwrap_or(body);
        let mut items = parse_with_feed_rs(body, feed, max_items, now)?;
        if !feed.values.is_empty() || !feed.xml_country.is_empty() || feed.xml_point.is_set() {
            apply_xml_extensions(body, feed, &mut items);
        }
        items
    } else {
        let head: String = String::from_utf8_lossy(&body[start..body.len().min(start + 20)]).into();
        return Err(ParseError::Unrecognised(text::clean(&head, 20)));
    };
    if let Some(c) = feed.country {
        for it in &mut items {
            it.countries = vec![c];
        }
    }
    Ok(items)
}

fn parse_with_feed_rs(
    body: &[u8],
    feed: &FeedConfig,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Item>, ParseError> {
    // An empty generated id tells us the source gave none, so our own key is used instead of
    // a parser's invented one.
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(parse_date)
        .build();
    let parsed = match guarded(|| parser.parse(body))? {
        Ok(p) => p,
        // One bad byte should not cost the whole feed: read invalid UTF-8 with replacement
        // characters when the document says (or implies) it is UTF-8.
        Err(_) if std::str::from_utf8(body).is_err() && declares_utf8(body) => {
            let lossy = String::from_utf8_lossy(body);
            // A fresh parser: one that panicked may hold half-built state.
            let fresh = feed_rs::parser::Builder::new()
                .id_generator(|_, _, _| String::new())
                .timestamp_parser(parse_date)
                .build();
            guarded(|| fresh.parse(lossy.as_bytes()))?
                .map_err(|e| feed_error(lossy.as_bytes(), &e))?
        }
        Err(e) => return Err(feed_error(body, &e)),
    };
    Ok(parsed
        .entries
        .into_iter()
        .take(max_items)
        .map(|e| {
            let title = e
                .title
                .map(|t| text::html_to_text(&t.content, TITLE_MAX_CHARS))
                .unwrap_or_default();
            let summary_raw = e
                .summary
                .map(|s| s.content)
                .or_else(|| e.content.and_then(|c| c.body))
                .unwrap_or_default();
            let summary = text::html_to_text(&summary_raw, SUMMARY_MAX_CHARS);
            let url = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .and_then(|l| safe_link(&l.href));
            let guid = text::clean(&e.id, SHORT_MAX_CHARS);
            Item {
                feed: feed.id.clone(),
                key: item_key(Some(&guid), url.as_deref(), &title, &summary),
                title,
                url,
                summary,
                published: clamp_date(e.published.or(e.updated), now),
                countries: Vec::new(),
                values: Vec::new(),
            }
        })
        .collect())
}

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a third-party parser so that a panic inside it (feed-rs asserts on some malformed
/// input) becomes an error for this feed instead of taking the monitor down. The panic hook
/// stays quiet for these: see [`quiet_guarded_panics`].
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ParseError> {
    GUARDED.with(|g| g.set(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    out.map_err(|_| {
        ParseError::Feed("the feed parser gave up on this document (malformed structure)".into())
    })
}

/// Wraps the current panic hook so that panics caught by the guarded parser neither print nor
/// trigger terminal restoration. Call after any other hook is installed (e.g. the screen's).
pub fn quiet_guarded_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !GUARDED.with(std::cell::Cell::get) {
            previous(info);
        }
    }));
}

fn feed_error(body: &[u8], e: &feed_rs::parser::ParseFeedError) -> ParseError {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let why = if first == Some(&b'<') {
        diagnose_xml(body)
    } else {
        None
    };
    ParseError::Feed(why.unwrap_or_else(|| text::clean(&e.to_string(), 300)))
}

/// Keeps only absolute http(s) links, sanitised.
pub fn safe_link(raw: &str) -> Option<String> {
    let cleaned = text::clean(raw, SHORT_MAX_CHARS);
    let u = url::Url::parse(&cleaned).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

pub(super) fn countries_from_str(raw: &str, system: CodeSystem) -> Vec<CountryCode> {
    if let Some(c) = geo::lookup_in(raw, system) {
        return vec![c];
    }
    // A list: "China, India, Laos, Myanmar", "Chad; Niger", "Mali and Niger". A part that is
    // not a name as a whole ("Bosnia and Herzegovina" is) is split at its conjunction.
    let mut out: Vec<CountryCode> = Vec::new();
    for part in raw.split([',', ';', '|', '/']) {
        let part = part.trim();
        let found: Vec<CountryCode> = match geo::lookup_in(part, system) {
            Some(c) => vec![c],
            None => part
                .split(" and ")
                .flat_map(|p| p.split(" & "))
                .flat_map(|p| p.split(" et "))
                .flat_map(|p| p.split(" y "))
                .filter_map(|p| geo::lookup_in(p.trim_start_matches("and "), system))
                .collect(),
        };
        for c in found {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

pub(super) fn number_from_str(raw: &str, spec: &ValueSpec) -> Option<f64> {
    let t = raw.trim();
    let lower = t.to_lowercase();
    if let Some((_, v)) = spec.map.iter().find(|(k, _)| *k == lower) {
        return Some(*v);
    }
    let n: f64 = t.replace(',', "").parse().ok()?;
    n.is_finite().then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use std::path::Path;

    fn feed(extra: &str) -> FeedConfig {
        let text = format!("[[feeds]]\nid = \"t\"\nurl = \"https://t.test/\"\n{extra}");
        let c = load_str(Path::new("t.toml"), &text, &|_| None).unwrap_or_else(|e| panic!("{e}"));
        c.feeds[0].clone()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn codes(v: &[CountryCode]) -> Vec<String> {
        v.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_field_listing_several_countries_yields_every_one() {
        let all = |s: &str| codes(&countries_from_str(s, CodeSystem::Iso));
        assert_eq!(all("China, India, Laos, Myanmar"), ["CN", "IN", "LA", "MM"]);
        assert_eq!(all("Mali and Niger"), ["ML", "NE"]);
        assert_eq!(all("Chad; Sudan & South Sudan"), ["TD", "SD", "SS"]);
        assert_eq!(all("Bosnia and Herzegovina, Serbia"), ["BA", "RS"]);
        assert_eq!(all("Trinidad and Tobago"), ["TT"]);
        assert_eq!(all("SDN/SSD"), ["SD", "SS"]);
    }

    #[test]
    fn every_country_field_and_every_repeat_contributes() {
        let rss = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:gdacs="http://www.gdacs.org"><channel><title>G</title>
<item><title>Flood alert</title><link>https://g.test/1</link>
<gdacs:iso3>CHN</gdacs:iso3><gdacs:country>China, India, Laos, Myanmar</gdacs:country>
<category>Nepal</category><category>Bhutan</category></item>
</channel></rss>"#;
        let f = feed("[feeds.xml]\ncountry = [\"gdacs:iso3\", \"gdacs:country\", \"category\"]");
        let items = parse(rss.as_bytes(), &f, 100, now()).expect("parses");
        assert_eq!(
            codes(&items[0].countries),
            ["CN", "IN", "LA", "MM", "NP", "BT"]
        );
    }

    #[test]
    fn coordinates_give_the_country_and_a_point_at_sea_gives_none() {
        // USGS-style GeoJSON: the geometry is read without any setting.
        let geojson = r#"{"type":"FeatureCollection","features":[
          {"id":"a","properties":{"title":"M 5.1 - 45 km NE of the city"},"geometry":{"type":"Point","coordinates":[39.47,13.5,10]}},
          {"id":"b","properties":{"title":"M 5.9 - Mid-Indian Ridge"},"geometry":{"type":"Point","coordinates":[66.0,-10.0,10]}},
          {"id":"c","properties":{"title":"M 4.0 - near Goma","iso":"COD"},"geometry":{"type":"Point","coordinates":[39.47,13.5,10]}}]}"#;
        let f = feed(
            "[feeds.json]\nitems = \"/features\"\nid = \"/id\"\ntitle = \"/properties/title\"\ncountry = \"/properties/iso\"",
        );
        let items = parse(geojson.as_bytes(), &f, 100, now()).expect("parses");
        assert_eq!(codes(&items[0].countries), ["ET"]);
        assert!(items[1].countries.is_empty(), "at sea");
        assert_eq!(codes(&items[2].countries), ["CD"], "a country field wins");

        let json = r#"[{"t":"Report","lat":"13.63","lon":25.35}]"#;
        let f = feed("[feeds.json]\nitems = \"\"\ntitle = \"/t\"\nlat = \"/lat\"\nlon = \"/lon\"");
        let items = parse(json.as_bytes(), &f, 100, now()).expect("parses");
        assert_eq!(codes(&items[0].countries), ["SD"]);

        let rss = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:geo="http://www.w3.org/2003/01/geo/wgs84_pos#" xmlns:georss="http://www.georss.org/georss"><channel><title>G</title>
<item><title>Flood alert</title><link>https://g.test/1</link><geo:lat>-1.68</geo:lat><geo:long>29.22</geo:long></item>
<item><title>Cyclone</title><link>https://g.test/2</link><georss:point>18.42 -64.62</georss:point></item>
</channel></rss>"#;
        let f = feed("[feeds.xml]\nlat = \"geo:lat\"\nlon = \"geo:long\"");
        let items = parse(rss.as_bytes(), &f, 100, now()).expect("parses");
        assert_eq!(codes(&items[0].countries), ["CD"]);
        let f = feed("[feeds.xml]\npoint = \"georss:point\"");
        let items = parse(rss.as_bytes(), &f, 100, now()).expect("parses");
        assert_eq!(codes(&items[1].countries), ["VG"]);
    }

    #[test]
    fn rss1_rdf_and_json_feed() {
        let rdf = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://r.test/"><title>R</title><link>https://r.test/</link><description>d</description></channel>
  <item rdf:about="https://r.test/1"><title>Clashes in Mali</title><link>https://r.test/1</link></item>
</rdf:RDF>"#;
        let items = parse(rdf.as_bytes(), &feed(""), 100, now()).expect("RSS 1.0 parses");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "Clashes in Mali");
        let jf = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":"j1","title":"Floods in Chad","content_html":"<p>Rains <b>hit</b> N'Djamena</p>","date_published":"2025-05-05T10:00:00Z"}]}"#;
        let items = parse(jf.as_bytes(), &feed(""), 100, now()).expect("JSON Feed parses");
        assert_eq!(items[0].key, "id:j1");
        assert_eq!(items[0].summary, "Rains hit N'Djamena");
    }

    #[test]
    fn an_api_answering_in_words_is_quoted() {
        let f = feed("format = \"json\"\n[feeds.json]\nitems = \"/articles\"\n");
        let e = parse(
            b"Your search contained a keyword that was too short.\nPlease try again.",
            &f,
            100,
            now(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server answered with text, not JSON: \"Your search contained a keyword that was too short.\""
        );
    }

    #[test]
    fn errors_say_where() {
        let f = feed("format = \"json\"\n[feeds.json]\nitems = \"/data\"\n");
        let e = parse(b"{\"data\": [1, 2,}", &f, 100, now()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid JSON at line 1, column 16"),
            "{e}"
        );
        let e = parse(b"{\"data\": {\"a\": 1}}", &f, 100, now()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "JSON Pointer \"/data\" (json.items) does not lead to an array (found an object)"
        );
        let e = parse(b"   ", &feed(""), 100, now()).unwrap_err();
        assert_eq!(e, ParseError::Empty);
        let e = parse(b"Rate limit exceeded", &feed(""), 100, now()).unwrap_err();
        assert!(
            e.to_string().starts_with("body is neither XML nor JSON"),
            "{e}"
        );
        let e = parse(
            b"<rss><channel><item><title>x</item>",
            &feed(""),
            100,
            now(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("invalid feed"), "{e}");
    }

    #[test]
    fn fips_codes_numbers_as_strings_and_caps() {
        let f = feed(
            "format = \"json\"\ncountry_codes = \"fips\"\n[feeds.json]\nitems = \"\"\ntitle = \"/t\"\ncountry = \"/c\"\n[feeds.values]\nn = \"/n\"\n",
        );
        let body = br#"[{"t":"a","c":"CH","n":"1,250"},{"t":"b","c":"SU","n":true},{"t":"c","c":"zz","n":"x"}]"#;
        let items = parse(body, &f, 2, now()).expect("parses");
        assert_eq!(items.len(), 2, "capped at max_items");
        assert_eq!(
            items[0]
                .countries
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            ["CN"]
        );
        assert_eq!(items[0].values, [("n".to_string(), 1250.0)]);
        assert_eq!(
            items[1]
                .countries
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            ["SD"]
        );
    }

    #[test]
    fn future_dates_are_clamped_and_links_must_be_http() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>javascript:alert(1)</link><pubDate>Tue, 01 Jan 2099 00:00:00 GMT</pubDate></item>
</channel></rss>"#;
        let items = parse(rss.as_bytes(), &feed(""), 10, now()).expect("parses");
        assert_eq!(items[0].published, Some(now()));
        assert_eq!(items[0].url, None);
        assert!(items[0].key.starts_with("hash:"));
    }

    #[test]
    fn long_feeds_are_cut_after_the_cap_and_stay_valid() {
        let items: String = (0..50)
            .map(|i| format!("<item><title>t{i}</title><guid>g{i}</guid></item>"))
            .collect();
        let body = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>c</title>{items}</channel></rss>"
        );
        let cut = cap_entries(body.as_bytes(), 10).expect("cut");
        assert!(String::from_utf8_lossy(&cut).ends_with("<guid>g9</guid></item></channel></rss>"));
        let parsed = parse(body.as_bytes(), &feed(""), 10, now()).expect("parses");
        assert_eq!(parsed.len(), 10);
        assert_eq!(parsed[9].title, "t9");
        assert!(cap_entries(body.as_bytes(), 50).is_none());

        // Entries under a namespace prefix count too.
        let entries: String = (0..50)
            .map(|i| format!("<a:entry><a:title>t{i}</a:title><a:id>g{i}</a:id></a:entry>"))
            .collect();
        let body = format!("<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\">{entries}</a:feed>");
        let cut = cap_entries(body.as_bytes(), 10).expect("cut");
        assert!(String::from_utf8_lossy(&cut).ends_with("<a:id>g9</a:id></a:entry></a:feed>"));
        assert!(cap_entries(body.as_bytes(), 50).is_none());
    }

    #[test]
    fn non_feeds_say_what_they_are() {
        for body in [
            &b"<<<this is not a feed>>>"[..],
            b"<html><body>Service down</body></html>",
            b"<rss><channel><item><title>x</item>",
        ] {
            let e = parse(body, &feed(""), 100, now()).unwrap_err().to_string();
            println!("{e}");
            assert!(e.starts_with("invalid feed: "), "{e}");
            assert!(!e.contains("no root element"), "{e}");
        }
    }
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn a_panicking_parser_becomes_a_feed_error() {
        quiet_guarded_panics();
        let r: Result<(), ParseError> = guarded(|| panic!("parser bug"));
        assert_eq!(
            r.unwrap_err().to_string(),
            "invalid feed: the feed parser gave up on this document (malformed structure)"
        );
        assert!(
            !GUARDED.with(std::cell::Cell::get),
            "the guard is lowered after a panic"
        );
    }
}
