//! JSON APIs and GeoJSON read through RFC 6901 JSON Pointers.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::date::{parse_date, parse_epoch};
use super::item::{Item, clamp_date, item_key};
use super::parse::{ParseError, countries_from_str, number_from_str, safe_link};
use crate::config::{FeedConfig, JsonMap, TemplatePart, TextSpec, ValueSpec};
use crate::geo::{self, CodeSystem, CountryCode};
use crate::text::{self, SHORT_MAX_CHARS, SUMMARY_MAX_CHARS, TITLE_MAX_CHARS};

pub(super) fn parse_json_api(
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
        let title = spec_text(entry, map.title.as_ref(), TITLE_MAX_CHARS);
        let summary = spec_text(entry, map.summary.as_ref(), SUMMARY_MAX_CHARS);
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
        if countries.is_empty() {
            // A point at sea names no country; the text may still.
            countries.extend(
                point_of(entry, map).and_then(|(lat, lon)| geo::point::country_at(lat, lon)),
            );
        }
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

/// An item's coordinates: from the `lat` and `lon` pointers, else a GeoJSON Point geometry
/// (`[lon, lat, depth]`).
fn point_of(entry: &Value, map: &JsonMap) -> Option<(f64, f64)> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    if let (Some(lat), Some(lon)) = (&map.lat, &map.lon) {
        return Some((number(entry.pointer(lat)?)?, number(entry.pointer(lon)?)?));
    }
    let geometry = entry.get("geometry")?;
    if geometry.get("type")?.as_str()? != "Point" {
        return None;
    }
    let c = geometry.get("coordinates")?.as_array()?;
    Some((number(c.get(1)?)?, number(c.first()?)?))
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

/// The text a [`TextSpec`] reads from `entry`, cleaned and capped. A template's fields are
/// cleaned one by one (so markup cannot straddle them); separators left dangling by an absent
/// field are trimmed.
fn spec_text(entry: &Value, spec: Option<&TextSpec>, cap: usize) -> String {
    let field = |p: &str| {
        entry
            .pointer(p)
            .map(|v| text::html_to_text(&scalar_text(v), cap))
            .unwrap_or_default()
    };
    match spec {
        None => String::new(),
        Some(TextSpec::Pointer(p)) => field(p),
        Some(TextSpec::Template(parts)) => {
            let mut out = String::new();
            for part in parts {
                match part {
                    TemplatePart::Literal(l) => out.push_str(l),
                    TemplatePart::Field(p) => out.push_str(&field(p)),
                }
            }
            let trimmed = out.trim_matches(|c: char| c.is_whitespace() || ",;:-|/".contains(c));
            text::clean(trimmed, cap)
        }
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

/// The next page's URL, read at `pointer` in a page's `body` and resolved against the page's
/// own `url`; `None` when there is none (the last page) or it is no http(s) URL.
pub fn next_page(body: &[u8], pointer: &str, url: &str) -> Option<String> {
    let doc: Value = serde_json::from_slice(body).ok()?;
    let raw = doc.pointer(pointer)?.as_str()?.trim();
    if raw.is_empty() {
        return None;
    }
    let next = url::Url::parse(url).ok()?.join(raw).ok()?;
    matches!(next.scheme(), "http" | "https").then(|| next.to_string())
}

/// `url` with its query parameter `name` set to `page`.
pub fn with_page(url: &str, name: &str, page: usize) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, &page.to_string());
    Some(u.to_string())
}

#[cfg(test)]
mod paging_tests {
    use super::*;

    #[test]
    fn next_pages_are_found_and_resolved() {
        let body = br#"{"links": {"next": {"href": "/v2/reports?offset=100"}}}"#;
        assert_eq!(
            next_page(
                body,
                "/links/next/href",
                "https://api.test/v2/reports?offset=0"
            )
            .as_deref(),
            Some("https://api.test/v2/reports?offset=100")
        );
        assert_eq!(
            next_page(br#"{"links": {}}"#, "/links/next/href", "https://a.test/"),
            None
        );
        assert_eq!(
            next_page(br#"{"n": "file:///etc/passwd"}"#, "/n", "https://a.test/"),
            None
        );
        assert_eq!(
            with_page("https://a.test/read?limit=500&page=1", "page", 3).as_deref(),
            Some("https://a.test/read?limit=500&page=3")
        );
    }
}
