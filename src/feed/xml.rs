//! The XML side of parsing that feed-rs does not cover: extension elements (`gdacs:alertlevel`,
//! attributes, word maps), capping long documents before parsing, and saying in words what is
//! wrong with a document. quick-xml resolves no DTD entity and no external one.

use quick_xml::events::Event as XmlEvent;

use super::item::Item;
use super::parse::{countries_from_str, number_from_str};
use crate::config::FeedConfig;
use crate::config::XmlPoint;
use crate::geo;
use crate::text;

/// If the document holds more than `max` `<item>`/`<entry>` elements, a copy cut after the
/// `max`-th one with the open elements closed again; `None` when it is within the cap (or not
/// well-formed enough to cut, in which case the parser reports it).
pub(super) fn cap_entries(body: &[u8], max: usize) -> Option<Vec<u8>> {
    if entry_tags_at_most(body) <= max {
        return None;
    }
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
                        if entry_tags_at_most(rest) == 0 {
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

/// At least as many as the `<item>` and `<entry>` start tags in `body`, prefixed or not: each
/// such tag's name follows `<` or `:`, and so does every counted one. Counting them costs a
/// fraction of reading the document, which most feeds (well within the cap) then need not.
fn entry_tags_at_most(body: &[u8]) -> usize {
    [&b"item"[..], b"entry"]
        .into_iter()
        .map(|name| {
            memchr::memmem::find_iter(body, name)
                .filter(|&at| at > 0 && matches!(body[at - 1], b'<' | b':'))
                .count()
        })
        .sum()
}

/// Whether an XML document is UTF-8 by its prolog (no encoding declared means UTF-8).
pub(super) fn declares_utf8(body: &[u8]) -> bool {
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
pub(super) fn diagnose_xml(body: &[u8]) -> Option<String> {
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

/// Reads extension elements of each `<item>`/`<entry>` in document order: the configured values
/// and countries. quick-xml resolves no entities beyond the XML built-ins and no external ones.
pub(super) fn apply_xml_extensions(body: &[u8], feed: &FeedConfig, items: &mut [Item]) {
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
        // Every field named, and every repeat of it, adds its countries: a code field holding
        // only the first of several must not hide the list in a name field.
        for name in &feed.xml_country {
            let matches =
                |k: &str| k == name || (!name.contains(':') && k.rsplit(':').next() == Some(name));
            for (_, raw) in found.iter().filter(|(k, _)| matches(k)) {
                for c in countries_from_str(raw, feed.country_codes) {
                    if !item.countries.contains(&c) {
                        item.countries.push(c);
                    }
                }
            }
        }
        // Without a country field, the coordinates; a point at sea names none.
        if item.countries.is_empty()
            && let Some((lat, lon)) = xml_point(&feed.xml_point, &get)
        {
            item.countries.extend(geo::point::country_at(lat, lon));
        }
    }
}

/// An item's coordinates from the elements `spec` names.
fn xml_point<'a>(spec: &XmlPoint, get: &impl Fn(&str) -> Option<&'a str>) -> Option<(f64, f64)> {
    let number = |s: &str| s.trim().parse::<f64>().ok();
    if let Some(p) = &spec.point {
        let mut parts = get(p)?.split_whitespace();
        return Some((number(parts.next()?)?, number(parts.next()?)?));
    }
    Some((
        number(get(spec.lat.as_deref()?)?)?,
        number(get(spec.lon.as_deref()?)?)?,
    ))
}
