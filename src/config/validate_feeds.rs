//! Validation of `[[feeds]]` entries.

use super::XmlPoint;
use super::load::{Validator, bad_escape, is_id};
use super::raw::{RawFeed, RawValue, S};
use super::{FeedConfig, Format, JsonMap, Settings, ValueSpec};
use crate::geo::CodeSystem;

impl Validator<'_> {
    pub(super) fn pointer(&mut self, v: &Option<S<String>>, key: &str) -> Option<String> {
        let v = v.as_ref()?;
        let p = v.get_ref();
        if !(p.is_empty() || p.starts_with('/')) {
            self.err(
                v,
                key,
                format!("{p:?} is not a JSON Pointer; it must start with '/' (e.g. \"/data\")"),
            );
        } else if let Some(bad) = bad_escape(p) {
            self.err(
                v,
                key,
                format!("invalid escape {bad:?} in JSON Pointer; only ~0 and ~1 are allowed"),
            );
        }
        Some(p.clone())
    }

    pub(super) fn feed(&mut self, i: usize, f: &RawFeed, settings: &Settings) -> FeedConfig {
        let key = |k: &str| format!("feeds[{i}].{k}");
        let id = f.id.get_ref().clone();
        if !is_id(&id) {
            self.err(
                &f.id,
                &key("id"),
                format!("{id:?} is not a valid id; use lowercase letters, digits and '-'"),
            );
        }
        let mut secrets = Vec::new();
        let errors_before = self.errors.len();
        let url = self.interpolate(&f.url, &key("url"), &mut secrets);
        let enabled = f.enabled.unwrap_or(true);
        match url::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(u) => self.err(
                &f.url,
                &key("url"),
                format!(
                    "scheme {:?} is not supported; use http or https",
                    u.scheme()
                ),
            ),
            Err(e) if !url.contains("${") => {
                self.err(&f.url, &key("url"), format!("invalid URL: {e}"))
            }
            Err(_) => {}
        }
        let format = match f.format.as_ref() {
            None => Format::Auto,
            Some(v) => match v.get_ref().as_str() {
                "auto" => Format::Auto,
                "rss" => Format::Rss,
                "atom" => Format::Atom,
                "json" => Format::Json,
                other => {
                    self.err(
                        v,
                        &key("format"),
                        format!("unknown format {other:?}; use auto, rss, atom or json"),
                    );
                    Format::Auto
                }
            },
        };
        let mut headers = Vec::new();
        for (name, value) in &f.headers {
            let val = self.interpolate(value, &key(&format!("headers.{name}")), &mut secrets);
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.err(
                    value,
                    &key("headers"),
                    format!("{name:?} is not a valid header name"),
                );
            }
            headers.push((name.clone(), val));
        }
        // A disabled feed may keep placeholders for variables that are not set.
        if !enabled {
            let tail = self.errors.split_off(errors_before);
            self.errors.extend(
                tail.into_iter()
                    .filter(|e| !e.message.starts_with("environment variable")),
            );
        }
        if let Some(j) = &f.json
            && j.get_ref().lat.is_some() != j.get_ref().lon.is_some()
        {
            self.err(
                j,
                &key("json"),
                "lat and lon go together: set both, or neither",
            );
        }
        if let Some(x) = &f.xml
            && x.get_ref().lat.is_some() != x.get_ref().lon.is_some()
        {
            self.err(
                x,
                &key("xml"),
                "lat and lon go together: set both, or neither",
            );
        }
        let json = f.json.as_ref().map(|j| {
            let j = j.get_ref();
            let items = self
                .pointer(&Some(j.items.clone()), &key("json.items"))
                .unwrap_or_default();
            let next = self.pointer(&j.next, &key("json.next"));
            let paging = match (next, &j.page_param) {
                (Some(_), Some(p)) => {
                    self.err(
                        p,
                        &key("json.page_param"),
                        "set next (a pointer to the next page's URL) or page_param, not both",
                    );
                    None
                }
                (Some(n), None) => Some(crate::config::Paging::Next(n)),
                (None, Some(p)) if p.get_ref().trim().is_empty() => {
                    self.err(
                        p,
                        &key("json.page_param"),
                        "name the query parameter, such as \"page\"",
                    );
                    None
                }
                (None, Some(p)) => {
                    Some(crate::config::Paging::Param(p.get_ref().trim().to_string()))
                }
                (None, None) => None,
            };
            let max_pages = match &j.max_pages {
                None if paging.is_some() => 5,
                None => 1,
                Some(m) => match usize::try_from(*m.get_ref()) {
                    Ok(n @ 1..=50) => n,
                    _ => {
                        self.err(
                            m,
                            &key("json.max_pages"),
                            "must be a whole number from 1 to 50",
                        );
                        1
                    }
                },
            };
            JsonMap {
                paging,
                max_pages,
                items,
                id: self.pointer(&j.id, &key("json.id")),
                title: self.pointer(&j.title, &key("json.title")),
                url: self.pointer(&j.url, &key("json.url")),
                published: self.pointer(&j.published, &key("json.published")),
                summary: self.pointer(&j.summary, &key("json.summary")),
                country: self.pointer(&j.country, &key("json.country")),
                lat: self.pointer(&j.lat, &key("json.lat")),
                lon: self.pointer(&j.lon, &key("json.lon")),
            }
        });
        if let (Some(_), Some(fmt)) = (&f.json, &f.format)
            && !matches!(format, Format::Json | Format::Auto)
        {
            self.err(
                fmt,
                &key("format"),
                "a [feeds.json] table needs format = \"json\"",
            );
        }
        let mut values = Vec::new();
        for (name, v) in &f.values {
            let spec = match v.get_ref() {
                RawValue::At(at) => ValueSpec {
                    name: name.clone(),
                    at: at.clone(),
                    attr: None,
                    map: Vec::new(),
                },
                RawValue::Full(t) => ValueSpec {
                    name: name.clone(),
                    at: t.at.clone(),
                    attr: t.attr.clone(),
                    map: t.map.iter().map(|(k, v)| (k.to_lowercase(), *v)).collect(),
                },
            };
            if spec.at.starts_with('/') {
                if let Some(bad) = bad_escape(&spec.at) {
                    self.err(
                        v,
                        &key(&format!("values.{name}")),
                        format!("invalid escape {bad:?} in JSON Pointer"),
                    );
                }
            } else if spec.at.is_empty() || spec.at.contains(char::is_whitespace) {
                self.err(v, &key(&format!("values.{name}")), "write a JSON Pointer (\"/fatalities\") or an element name (\"gdacs:alertscore\")");
            }
            values.push(spec);
        }
        let country_codes = match &f.country_codes {
            None => CodeSystem::Iso,
            Some(v) => match v.get_ref().as_str() {
                "iso" => CodeSystem::Iso,
                "fips" => CodeSystem::Fips,
                other => {
                    self.err(
                        v,
                        &key("country_codes"),
                        format!("unknown code system {other:?}; use \"iso\" or \"fips\""),
                    );
                    CodeSystem::Iso
                }
            },
        };
        let country = f
            .country
            .as_ref()
            .and_then(|c| self.country(c, &key("country")));
        FeedConfig {
            max_age: self.duration(
                &f.max_age,
                &key("max_age"),
                settings.max_age,
                super::load::limits::RETAIN,
            ),
            name: f
                .name
                .clone()
                .map(|n| crate::text::clean(&n, 200))
                .unwrap_or_else(|| id.clone()),
            id,
            url_display: crate::text::clean(f.url.get_ref(), 2000),
            url,
            format,
            interval: self.duration(
                &f.interval,
                &key("interval"),
                settings.poll_interval,
                super::load::limits::INTERVAL,
            ),
            country,
            country_codes,
            headers,
            enabled,
            json,
            xml_country: f
                .xml
                .as_ref()
                .map(|x| x.get_ref().country.clone())
                .unwrap_or_default(),
            xml_point: f
                .xml
                .as_ref()
                .map(|x| {
                    let x = x.get_ref();
                    XmlPoint {
                        lat: x.lat.clone(),
                        lon: x.lon.clone(),
                        point: x.point.clone(),
                    }
                })
                .unwrap_or_default(),
            values,
            secrets,
        }
    }
}
