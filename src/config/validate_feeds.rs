//! Validation of `[[feeds]]` entries.

use super::XmlPoint;
use super::load::{Validator, bad_escape, is_id};
use super::raw::{RawAuth, RawFeed, RawValue, S};
use super::{
    AuthConfig, FeedConfig, Format, Grant, JsonMap, Settings, TemplatePart, TextSpec, ValueSpec,
};
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

    /// A text field: a pointer, or a template of literal text and `{/pointer}`s.
    fn text_spec(&mut self, v: &Option<S<String>>, key: &str) -> Option<TextSpec> {
        let raw = v.as_ref()?;
        let t = raw.get_ref();
        if !t.contains('{') {
            return self.pointer(v, key).map(TextSpec::Pointer);
        }
        match parse_template(t) {
            Ok(parts) => {
                for part in &parts {
                    if let TemplatePart::Field(p) = part
                        && let Some(bad) = bad_escape(p)
                    {
                        self.err(
                            raw,
                            key,
                            format!("invalid escape {bad:?} in JSON Pointer {p:?}; only ~0 and ~1 are allowed"),
                        );
                    }
                }
                Some(TextSpec::Template(parts))
            }
            Err(message) => {
                self.err(raw, key, message);
                None
            }
        }
    }

    fn auth(&mut self, a: &S<RawAuth>, key: &str, secrets: &mut Vec<String>) -> AuthConfig {
        let raw = a.get_ref();
        let sub = |k: &str| format!("{key}.{k}");
        let token_url = self.interpolate(&raw.token_url, &sub("token_url"), secrets);
        match url::Url::parse(&token_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(u) => self.err(
                &raw.token_url,
                &sub("token_url"),
                format!("scheme {:?} is not supported; use https", u.scheme()),
            ),
            Err(e) if !token_url.contains("${") => self.err(
                &raw.token_url,
                &sub("token_url"),
                format!("invalid URL: {e}"),
            ),
            Err(_) => {}
        }
        let mut field = |v: &Option<S<String>>, k: &str, secret: bool| {
            v.as_ref().map(|v| {
                let val = self.interpolate(v, &sub(k), secrets);
                if secret && !val.is_empty() {
                    secrets.push(val.clone());
                }
                val
            })
        };
        let client_id = field(&raw.client_id, "client_id", false);
        let client_secret = field(&raw.client_secret, "client_secret", true);
        let username = field(&raw.username, "username", false);
        let password = field(&raw.password, "password", true);
        let scope = field(&raw.scope, "scope", false);
        let grant_name = raw.grant.as_ref().map(|g| g.get_ref().as_str());
        let grant = match (grant_name, username, password) {
            (None | Some("password"), Some(username), Some(password)) => {
                Grant::Password { username, password }
            }
            (None | Some("password"), u, _) => {
                let missing = if u.is_none() { "username" } else { "password" };
                self.err(
                    a,
                    key,
                    format!("the password grant needs username and password; {missing} is missing"),
                );
                Grant::ClientCredentials
            }
            (Some("client_credentials"), _, _) => {
                if client_id.is_none() || client_secret.is_none() {
                    self.err(
                        a,
                        key,
                        "the client_credentials grant needs client_id and client_secret",
                    );
                }
                Grant::ClientCredentials
            }
            (Some(other), _, _) => {
                if let Some(g) = &raw.grant {
                    self.err(
                        g,
                        &sub("grant"),
                        format!("unknown grant {other:?}; use password or client_credentials"),
                    );
                }
                Grant::ClientCredentials
            }
        };
        AuthConfig {
            token_url,
            grant,
            client_id,
            client_secret,
            scope,
        }
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
        let auth = f
            .auth
            .as_ref()
            .map(|a| self.auth(a, &key("auth"), &mut secrets));
        if let (Some(_), Some((name, _))) = (
            &auth,
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("authorization")),
        ) && let Some(a) = &f.auth
        {
            self.err(
                a,
                &key("auth"),
                format!("[feeds.auth] sets the Authorization header; remove headers.{name}"),
            );
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
                title: self.text_spec(&j.title, &key("json.title")),
                url: self.pointer(&j.url, &key("json.url")),
                published: self.pointer(&j.published, &key("json.published")),
                summary: self.text_spec(&j.summary, &key("json.summary")),
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
            auth: auth.map(std::sync::Arc::new),
        }
    }
}

/// Splits `"{/a} in {/b}"` into literal text and pointers; `{{` and `}}` stand for braces.
fn parse_template(t: &str) -> Result<Vec<TemplatePart>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut pointer = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => pointer.push(c),
                        None => return Err(format!("unclosed '{{' in template {t:?}")),
                    }
                }
                if !pointer.starts_with('/') {
                    return Err(format!(
                        "{{{pointer}}} in template {t:?} is not a JSON Pointer; write {{/field}}"
                    ));
                }
                if !literal.is_empty() {
                    parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(TemplatePart::Field(pointer));
            }
            '}' => {
                return Err(format!(
                    "stray '}}' in template {t:?}; write }}}} for a brace"
                ));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(TemplatePart::Literal(literal));
    }
    if !parts.iter().any(|p| matches!(p, TemplatePart::Field(_))) {
        return Err(format!(
            "template {t:?} reads no field; name one as {{/field}}"
        ));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_fields() {
        assert_eq!(
            parse_template("{/a} in {/b/c}, {{x}}").unwrap(),
            vec![
                TemplatePart::Field("/a".into()),
                TemplatePart::Literal(" in ".into()),
                TemplatePart::Field("/b/c".into()),
                TemplatePart::Literal(", {x}".into()),
            ]
        );
        assert!(parse_template("{/a").unwrap_err().contains("unclosed"));
        assert!(
            parse_template("{a}")
                .unwrap_err()
                .contains("not a JSON Pointer")
        );
        assert!(parse_template("a } b {/c}").unwrap_err().contains("stray"));
        assert!(
            parse_template("{{no}} fields")
                .unwrap_err()
                .contains("reads no field")
        );
    }
}
