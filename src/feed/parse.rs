//! Response bodies to [`Item`]s: RSS, Atom and JSON Feed through feed-rs, JSON APIs and GeoJSON
//! through JSON Pointers, and numbers from RSS/Atom extension elements (`gdacs:alertscore`).

use chrono::{DateTime, Utc};
use quick_xml::events::Event as XmlEvent;
use serde_json::Value;

use super::date::{parse_date, parse_epoch};
use super::item::{Item, clamp_date, item_key};
use crate::config::{FeedConfig, Format, JsonMap, ValueSpec};
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
        if !feed.values.is_empty() || !feed.xml_country.is_empty() {
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

/// If the document holds more than `max` `<item>`/`<entry>` elements, a copy cut after the
/// `max`-th one with the open elements closed again; `None` when it is within the cap (or not
/// well-formed enough to cut, in which case the parser reports it).
fn cap_entries(body: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut seen = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(e)) => open.push(e.name().as_ref().to_vec()),
            Ok(XmlEvent::End(e)) => {
                open.pop();
                if matches!(e.name().local_name().as_ref(), b"item" | b"entry") {
                    seen += 1;
                    if seen == max {
                        let at = usize::try_from(reader.buffer_position()).ok()?;
                        // Anything after the cap only matters if another entry follows.
                        let rest = body.get(at..)?;
                        let more = rest.windows(5).any(|w| w == b"<item" || w == b"<entr");
                        if !more {
                            return None;
                        }
                        let mut out = body.get(..at)?.to_vec();
                        for name in open.iter().rev() {
                            out.extend_from_slice(b"</");
                            out.extend_from_slice(name);
                            out.push(b'>');
                        }
                        return Some(out);
                    }
                }
            }
            Ok(XmlEvent::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
        buf.clear();
    }
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

/// Whether an XML document is UTF-8 by its prolog (no encoding declared means UTF-8).
fn declares_utf8(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(200)]).to_ascii_lowercase();
    match head.find("encoding=") {
        None => true,
        Some(i) => head[i + 9..]
            .trim_start_matches(['"', '\''])
            .starts_with("utf-8"),
    }
}

/// Says what is wrong with an XML body feed-rs refused: malformed XML (with its line), an HTML
/// page, or a root element that is not a feed.
fn diagnose_xml(body: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut root: Option<String> = None;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(e) | XmlEvent::Empty(e)) if root.is_none() => {
                root = Some(String::from_utf8_lossy(e.name().as_ref()).to_lowercase());
            }
            Ok(XmlEvent::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position())
                    .unwrap_or(0)
                    .min(body.len());
                let line = body[..at].iter().filter(|b| **b == b'\n').count() + 1;
                return Some(text::clean(
                    &format!("invalid XML at line {line}: {e}"),
                    300,
                ));
            }
        }
        buf.clear();
    }
    match root.as_deref() {
        Some("html") => Some("got an HTML page, not a feed".into()),
        // A feed root: feed-rs's own message says more than we can.
        Some("rss" | "feed" | "rdf:rdf") => None,
        Some(r)
            if !r
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.')) =>
        {
            let head = String::from_utf8_lossy(&body[..body.len().min(30)]).into_owned();
            Some(format!(
                "not XML (starts with {:?})",
                text::clean(&head, 30)
            ))
        }
        Some(r) => Some(text::clean(
            &format!("<{r}> is not an RSS, RDF or Atom root element"),
            200,
        )),
        None => Some("no XML element in the body".into()),
    }
}

/// Keeps only absolute http(s) links, sanitised.
pub fn safe_link(raw: &str) -> Option<String> {
    let cleaned = text::clean(raw, SHORT_MAX_CHARS);
    let u = url::Url::parse(&cleaned).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// Reads extension elements of each `<item>`/`<entry>` in document order: the configured values
/// and countries. quick-xml resolves no entities beyond the XML built-ins and no external ones.
fn apply_xml_extensions(body: &[u8], feed: &FeedConfig, items: &mut [Item]) {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut index: Option<usize> = None;
    let mut count = 0usize;
    let mut current: Option<(String, Vec<(String, String)>)> = None;
    let mut values: Vec<Vec<(String, String)>> = Vec::new();
    // A malformed document ends the pass; feed-rs has already accepted or refused it.
    while let Ok(ev) = reader.read_event_into(&mut buf) {
        match ev {
            XmlEvent::Start(e) | XmlEvent::Empty(e) if index.is_none() => {
                let name = e.name();
                if matches!(name.local_name().as_ref(), b"item" | b"entry") {
                    index = Some(count);
                    count += 1;
                    values.push(Vec::new());
                }
            }
            XmlEvent::Start(e) => {
                let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let attrs = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        let v = a
                            .unescape_value()
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        (k, v)
                    })
                    .collect();
                current = Some((qname, attrs));
                if let (Some(i), Some((q, attrs))) = (index, &current) {
                    for (k, v) in attrs {
                        values[i].push((format!("{q}@{k}"), v.clone()));
                    }
                }
            }
            XmlEvent::Empty(e) => {
                if let Some(i) = index {
                    let q = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    for a in e.attributes().flatten() {
                        let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        let v = a
                            .unescape_value()
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        values[i].push((format!("{q}@{k}"), v));
                    }
                    values[i].push((q, String::new()));
                }
            }
            XmlEvent::Text(t) => {
                if let (Some(i), Some((q, _))) = (index, &current) {
                    let v = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                    let v = html_escape::decode_html_entities(&v).into_owned();
                    values[i].push((q.clone(), v));
                }
            }
            XmlEvent::CData(t) => {
                if let (Some(i), Some((q, _))) = (index, &current) {
                    values[i].push((q.clone(), String::from_utf8_lossy(&t).into_owned()));
                }
            }
            XmlEvent::End(e) => {
                if matches!(e.name().local_name().as_ref(), b"item" | b"entry") {
                    index = None;
                }
                current = None;
            }
            XmlEvent::Eof => break,
            _ => {}
        }
        buf.clear();
        if count > items.len() + 1 {
            break;
        }
    }
    for (item, found) in items.iter_mut().zip(values) {
        let get = |name: &str| -> Option<&str> {
            found
                .iter()
                .find(|(k, _)| {
                    k == name || (!name.contains(':') && k.rsplit(':').next() == Some(name))
                })
                .map(|(_, v)| v.as_str())
        };
        for spec in &feed.values {
            let key = match &spec.attr {
                Some(a) => format!("{}@{a}", spec.at),
                None => spec.at.clone(),
            };
            if let Some(v) = get(&key).and_then(|raw| number_from_str(raw, spec)) {
                item.values.push((spec.name.clone(), v));
            }
        }
        for name in &feed.xml_country {
            if let Some(raw) = get(name) {
                item.countries
                    .extend(countries_from_str(raw, feed.country_codes));
            }
            if !item.countries.is_empty() {
                break;
            }
        }
        item.countries.dedup();
    }
}

fn countries_from_str(raw: &str, system: CodeSystem) -> Vec<CountryCode> {
    if let Some(c) = geo::lookup_in(raw, system) {
        return vec![c];
    }
    let mut out: Vec<CountryCode> = raw
        .split([',', ';', '|'])
        .filter_map(|p| geo::lookup_in(p, system))
        .collect();
    out.dedup();
    out
}

fn number_from_str(raw: &str, spec: &ValueSpec) -> Option<f64> {
    let t = raw.trim();
    let lower = t.to_lowercase();
    if let Some((_, v)) = spec.map.iter().find(|(k, _)| *k == lower) {
        return Some(*v);
    }
    let n: f64 = t.replace(',', "").parse().ok()?;
    n.is_finite().then_some(n)
}

fn parse_json_api(
    body: &[u8],
    feed: &FeedConfig,
    map: &JsonMap,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Item>, ParseError> {
    let doc: Value = serde_json::from_slice(body).map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: text::clean(&e.to_string(), 200),
    })?;
    let array = match doc.pointer(&map.items) {
        Some(Value::Array(a)) => a,
        other => {
            return Err(ParseError::NotAnArray {
                pointer: map.items.clone(),
                found: match other {
                    None => " (nothing there)".into(),
                    Some(v) => format!(" (found {})", json_kind(v)),
                },
            });
        }
    };
    let mut items = Vec::new();
    for entry in array.iter().take(max_items) {
        let s = |p: &Option<String>, cap: usize| -> String {
            p.as_ref()
                .and_then(|p| entry.pointer(p))
                .map(|v| text::html_to_text(&scalar_text(v), cap))
                .unwrap_or_default()
        };
        let title = s(&map.title, TITLE_MAX_CHARS);
        let summary = s(&map.summary, SUMMARY_MAX_CHARS);
        let url = map
            .url
            .as_ref()
            .and_then(|p| entry.pointer(p))
            .and_then(|v| safe_link(&scalar_text(v)));
        let guid = s(&map.id, SHORT_MAX_CHARS);
        let published = map
            .published
            .as_ref()
            .and_then(|p| entry.pointer(p))
            .and_then(|v| match v {
                Value::Number(n) => n.as_f64().and_then(parse_epoch),
                Value::String(s) => parse_date(s),
                _ => None,
            });
        let mut countries = Vec::new();
        if let Some(v) = map.country.as_ref().and_then(|p| entry.pointer(p)) {
            json_countries(v, feed.country_codes, &mut countries);
        }
        countries.dedup();
        let mut values = Vec::new();
        for spec in &feed.values {
            if let Some(v) = entry.pointer(&spec.at).and_then(|v| json_number(v, spec)) {
                values.push((spec.name.clone(), v));
            }
        }
        if title.is_empty() && summary.is_empty() && url.is_none() && guid.is_empty() {
            continue;
        }
        items.push(Item {
            feed: feed.id.clone(),
            key: item_key(Some(&guid), url.as_deref(), &title, &summary),
            title,
            url,
            summary,
            published: clamp_date(published, now),
            countries,
            values,
        });
    }
    Ok(items)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn json_countries(v: &Value, system: CodeSystem, out: &mut Vec<CountryCode>) {
    match v {
        Value::String(s) => out.extend(countries_from_str(s, system)),
        Value::Number(n) => out.extend(geo::lookup(&n.to_string())),
        Value::Array(a) => {
            for x in a.iter().take(50) {
                json_countries(x, system, out);
            }
        }
        Value::Object(o) => {
            for k in ["iso2", "iso3", "iso", "code", "name"] {
                if let Some(Value::String(s)) = o.get(k)
                    && let Some(c) = geo::lookup_in(s, system)
                {
                    out.push(c);
                    return;
                }
            }
        }
        _ => {}
    }
}

fn json_number(v: &Value, spec: &ValueSpec) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        Value::String(s) => number_from_str(s, spec),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
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
