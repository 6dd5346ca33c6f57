//! Reading, interpolating and validating a config file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, ConfigErrors};
use super::raw::{RawConfig, RawFeed, RawRule, RawSettings, RawValue, S};
use super::units::{parse_duration, parse_size};
use super::*;
use crate::geo::{self, CodeSystem, CountryCode};

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError::at(
            path,
            "",
            None,
            "",
            format!("cannot read: {e}"),
        )])
    })?;
    load_str(path, &source, &|k| std::env::var(k).ok())
}

/// Validates config text; `env` resolves `${VAR}`s.
pub fn load_str(
    path: &Path,
    source: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let raw: RawConfig = toml::from_str(source).map_err(|e| {
        let (key, message) = explain_toml_error(e.message(), e.span(), source);
        ConfigErrors(vec![ConfigError::at(path, source, e.span(), &key, message)])
    })?;
    let mut v = Validator {
        path,
        source,
        env,
        errors: Vec::new(),
    };
    let config = v.config(raw);
    // Whatever logs from here on, in any crate, never shows these values.
    crate::logging::add_secrets(config.feeds.iter().flat_map(|f| f.secrets.iter()));
    if v.errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(v.errors))
    }
}

/// Turns a TOML/serde message into one a person can act on: the dotted key it is about
/// (`feeds[1].json.itemz`), Rust type names in words, and for an unknown key the nearest valid
/// one.
fn explain_toml_error(
    message: &str,
    span: Option<std::ops::Range<usize>>,
    source: &str,
) -> (String, String) {
    let message = message.trim().replace('\n', " ");
    // Up to the end of the error's line, so a table header at the error itself counts.
    let table = span
        .as_ref()
        .map(|s| {
            let end = source
                .get(s.start..)
                .and_then(|r| r.find('\n'))
                .map_or(source.len(), |i| s.start + i);
            table_path(source, end)
        })
        .unwrap_or_default();
    let dotted = |k: &str| {
        if table.is_empty() {
            k.to_string()
        } else {
            format!("{table}.{k}")
        }
    };
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let nearest = valid
            .iter()
            .map(|v| (strsim::jaro_winkler(field, v), *v))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let text = match nearest {
            Some((_, v)) => format!(
                "unknown field `{field}`; did you mean `{v}`? (valid: {})",
                valid.join(", ")
            ),
            None => format!("unknown field `{field}`; valid: {}", valid.join(", ")),
        };
        return (dotted(field), text);
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return (
            dotted(field),
            format!("required field `{field}` is missing from this table"),
        );
    }
    // The key is whatever stands before '=' on the line of the error.
    let key = span
        .and_then(|s| {
            let line_start = source.get(..s.start)?.rfind('\n').map_or(0, |i| i + 1);
            let line = source.get(line_start..)?.lines().next()?;
            let (k, _) = line.split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.starts_with('[')).then(|| dotted(k))
        })
        .unwrap_or_default();
    let words = message
        .replace("expected i64", "expected a whole number")
        .replace("expected u64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a string", "expected a string (in quotes)")
        .replace("expected a boolean", "expected true or false");
    (key, words)
}

/// The table a byte offset lies in, as a dotted path with array indexes (`feeds[1].json`),
/// from the nearest `[table]` or `[[array]]` header above it.
fn table_path(source: &str, offset: usize) -> String {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut current = String::new();
    for line in before.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            current = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let name = name.trim();
            // A sub-table of the latest array entry: `[feeds.json]` after `[[feeds]]`.
            current = match name.split_once('.') {
                Some((parent, rest)) if counts.contains_key(parent) => {
                    format!("{parent}[{}].{rest}", counts[parent].saturating_sub(1))
                }
                _ => name.to_string(),
            };
        }
    }
    current
}

struct Validator<'a> {
    path: &'a Path,
    source: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Validator<'_> {
    fn err<T>(&mut self, spanned: &S<T>, key: &str, message: impl Into<String>) {
        let e = ConfigError::at(self.path, self.source, Some(spanned.span()), key, message);
        self.errors.push(e);
    }

    fn duration(&mut self, v: &Option<S<String>>, key: &str, default: Duration) -> Duration {
        match v {
            None => default,
            Some(s) => parse_duration(s.get_ref()).unwrap_or_else(|m| {
                self.err(s, key, m);
                default
            }),
        }
    }

    fn count(&mut self, v: &Option<S<i64>>, key: &str, default: usize, max: usize) -> usize {
        match v {
            None => default,
            Some(s) => match usize::try_from(*s.get_ref()) {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    self.err(s, key, format!("must be a whole number from 1 to {max}"));
                    default
                }
            },
        }
    }

    fn country(&mut self, v: &S<String>, key: &str) -> Option<CountryCode> {
        let found = geo::lookup(v.get_ref());
        if found.is_none() {
            self.err(
                v,
                key,
                format!(
                    "unknown country {:?}; use an ISO 3166-1 code such as \"SD\" or \"SDN\", or a name",
                    v.get_ref()
                ),
            );
        }
        found
    }

    /// Fills `${VAR}` from the environment; records the values as secrets.
    fn interpolate(&mut self, v: &S<String>, key: &str, secrets: &mut Vec<String>) -> String {
        let text = v.get_ref();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                self.err(v, key, "unterminated ${ in value; write ${NAME}");
                return out;
            };
            let name = &after[..end];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.err(
                    v,
                    key,
                    format!("invalid variable name {name:?} in ${{…}}; use letters, digits and _"),
                );
            } else {
                match (self.env)(name) {
                    Some(val) if !val.is_empty() => {
                        out.push_str(&val);
                        secrets.push(val);
                    }
                    _ => self.err(
                        v,
                        key,
                        format!("environment variable {name} is not set (export it, or disable this feed with enabled = false)"),
                    ),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let settings = match &raw.settings {
            Some(s) => self.settings(s.get_ref()),
            None => self.settings(&RawSettings::default()),
        };
        let mut countries = Vec::new();
        let mut seen = HashSet::new();
        for (i, c) in raw.countries.iter().enumerate() {
            let c = c.get_ref();
            let key = format!("countries[{i}].code");
            let Some(code) = self.country(&c.code, &key) else {
                continue;
            };
            if !seen.insert(code) {
                self.err(&c.code, &key, format!("{code} is listed twice"));
            }
            let baseline = c.baseline.as_ref().and_then(|b| {
                let x = *b.get_ref();
                if (0.0..=1.0).contains(&x) {
                    Some(x)
                } else {
                    self.err(
                        b,
                        &format!("countries[{i}].baseline"),
                        "must be between 0 and 1",
                    );
                    None
                }
            });
            countries.push(WatchCountry {
                code,
                baseline,
                notes: crate::text::clean(&c.notes, 500),
                aliases: c
                    .aliases
                    .iter()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect(),
            });
        }

        let mut feeds = Vec::new();
        let mut feed_ids = HashSet::new();
        for (i, f) in raw.feeds.iter().enumerate() {
            let fc = self.feed(i, f.get_ref(), &settings);
            if !feed_ids.insert(fc.id.clone()) {
                self.err(
                    &f.get_ref().id,
                    &format!("feeds[{i}].id"),
                    format!("duplicate feed id {:?}", fc.id),
                );
            }
            feeds.push(fc);
        }

        let mut rules = Vec::new();
        let mut rule_ids = HashSet::new();
        let value_names: HashSet<&str> = feeds
            .iter()
            .flat_map(|f| f.values.iter().map(|v| v.name.as_str()))
            .collect();
        for (i, r) in raw.rules.iter().enumerate() {
            let r = r.get_ref();
            if !rule_ids.insert(r.id.get_ref().clone()) {
                self.err(
                    &r.id,
                    &format!("rules[{i}].id"),
                    format!("duplicate rule id {:?}", r.id.get_ref()),
                );
            }
            if let Some(rule) = self.rule(i, r, &feed_ids, &value_names) {
                rules.push(rule);
            }
        }
        // `of` must name a rule that exists and is not itself a count rule.
        for (i, r) in raw.rules.iter().enumerate() {
            let r = r.get_ref();
            if let Some(of) = &r.of {
                let target = raw
                    .rules
                    .iter()
                    .find(|x| x.get_ref().id.get_ref() == of.get_ref());
                match target {
                    None => {
                        let known: Vec<_> = raw
                            .rules
                            .iter()
                            .map(|x| x.get_ref().id.get_ref().as_str())
                            .collect();
                        self.err(
                            of,
                            &format!("rules[{i}].of"),
                            format!(
                                "no rule {:?}; known rules: {}",
                                of.get_ref(),
                                known.join(", ")
                            ),
                        );
                    }
                    Some(t) if t.get_ref().kind.get_ref() == "count" => {
                        self.err(
                            of,
                            &format!("rules[{i}].of"),
                            "cannot count another count rule",
                        );
                    }
                    _ => {}
                }
            }
        }

        let mut keys = Vec::new();
        for (action, spec) in &raw.keys {
            let list = match spec.get_ref() {
                super::raw::RawKeys::One(k) => vec![k.clone()],
                super::raw::RawKeys::Many(ks) => ks.clone(),
            };
            keys.push((action.clone(), list));
            if let Err(m) = crate::tui::keymap::KeyMap::new(&keys) {
                self.err(spec, &format!("keys.{action}"), m);
                keys.pop();
            }
        }

        Config {
            path: self.path.to_path_buf(),
            settings,
            countries,
            feeds,
            rules,
            keys,
        }
    }

    fn settings(&mut self, s: &RawSettings) -> Settings {
        let max_body = match &s.max_body {
            None => 10 * 1024 * 1024,
            Some(v) => parse_size(v.get_ref()).unwrap_or_else(|m| {
                self.err(v, "settings.max_body", m);
                10 * 1024 * 1024
            }),
        };
        Settings {
            poll_interval: self.duration(
                &s.poll_interval,
                "settings.poll_interval",
                Duration::from_secs(600),
            ),
            window: self.duration(&s.window, "settings.window", Duration::from_secs(72 * 3600)),
            timeout: self.duration(&s.timeout, "settings.timeout", Duration::from_secs(30)),
            connect_timeout: self.duration(
                &s.connect_timeout,
                "settings.connect_timeout",
                Duration::from_secs(10),
            ),
            max_body,
            user_agent: s
                .user_agent
                .as_ref()
                .map(|u| crate::text::clean(u.get_ref(), 200))
                .unwrap_or_else(|| format!("watchfloor/{}", env!("CARGO_PKG_VERSION"))),
            retain: self.duration(
                &s.retain,
                "settings.retain",
                Duration::from_secs(90 * 86400),
            ),
            data_dir: s.data_dir.as_ref().map(|d| PathBuf::from(d.get_ref())),
            max_items: self.count(&s.max_items, "settings.max_items", 1000, 100_000),
            concurrency: self.count(&s.concurrency, "settings.concurrency", 16, 1024),
            per_host: self.count(&s.per_host, "settings.per_host", 2, 64),
            bell: match &s.bell {
                None => Some(Severity::High),
                Some(v) if v.get_ref() == "off" => None,
                Some(v) => match parse_severity(v.get_ref()) {
                    Some(sev) => Some(sev),
                    None => {
                        self.err(v, "settings.bell", format!("unknown severity {:?}; use info, low, medium, high, critical or off", v.get_ref()));
                        Some(Severity::High)
                    }
                },
            },
            notify: s.notify.unwrap_or(false),
        }
    }

    fn pointer(&mut self, v: &Option<S<String>>, key: &str) -> Option<String> {
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

    fn feed(&mut self, i: usize, f: &RawFeed, settings: &Settings) -> FeedConfig {
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
        let json = f.json.as_ref().map(|j| {
            let j = j.get_ref();
            let items = self
                .pointer(&Some(j.items.clone()), &key("json.items"))
                .unwrap_or_default();
            JsonMap {
                items,
                id: self.pointer(&j.id, &key("json.id")),
                title: self.pointer(&j.title, &key("json.title")),
                url: self.pointer(&j.url, &key("json.url")),
                published: self.pointer(&j.published, &key("json.published")),
                summary: self.pointer(&j.summary, &key("json.summary")),
                country: self.pointer(&j.country, &key("json.country")),
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
            name: f
                .name
                .clone()
                .map(|n| crate::text::clean(&n, 200))
                .unwrap_or_else(|| id.clone()),
            id,
            url_display: crate::text::clean(f.url.get_ref(), 2000),
            url,
            format,
            interval: self.duration(&f.interval, &key("interval"), settings.poll_interval),
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
            values,
            secrets,
        }
    }

    fn rule(
        &mut self,
        i: usize,
        r: &RawRule,
        feed_ids: &HashSet<String>,
        value_names: &HashSet<&str>,
    ) -> Option<Rule> {
        let key = |k: &str| format!("rules[{i}].{k}");
        let id = r.id.get_ref().clone();
        if !is_id(&id) {
            self.err(
                &r.id,
                &key("id"),
                format!("{id:?} is not a valid id; use lowercase letters, digits and '-'"),
            );
        }
        let severity = match parse_severity(r.severity.get_ref()) {
            Some(s) => s,
            None => {
                let other = r.severity.get_ref();
                self.err(
                    &r.severity,
                    &key("severity"),
                    format!("unknown severity {other:?}; use info, low, medium, high or critical"),
                );
                Severity::Info
            }
        };
        let countries = r
            .countries
            .iter()
            .filter_map(|c| self.country(c, &key("countries")))
            .collect();
        for f in &r.feeds {
            if !feed_ids.contains(f.get_ref()) {
                self.err(
                    f,
                    &key("feeds"),
                    format!("no feed {:?} in this config", f.get_ref()),
                );
            }
        }
        let feeds = r.feeds.iter().map(|f| f.get_ref().clone()).collect();
        let misplaced = |this: &mut Self,
                         present: bool,
                         span: Option<std::ops::Range<usize>>,
                         field: &str,
                         kind: &str| {
            if present {
                let e = ConfigError::at(
                    this.path,
                    this.source,
                    span.or(Some(r.kind.span())),
                    &key(field),
                    format!("{field} does not apply to a {kind} rule"),
                );
                this.errors.push(e);
            }
        };
        let kind = match r.kind.get_ref().as_str() {
            "keywords" => {
                if r.any
                    .iter()
                    .all(|t| t.trim().trim_end_matches('*').trim().is_empty())
                {
                    self.err(
                        &r.kind,
                        &key("any"),
                        "a keywords rule needs at least one term in any = [...]",
                    );
                }
                misplaced(
                    self,
                    r.field.is_some(),
                    r.field.as_ref().map(|f| f.span()),
                    "field",
                    "keywords",
                );
                misplaced(
                    self,
                    r.limit.is_some(),
                    r.limit.as_ref().map(|f| f.span()),
                    "limit",
                    "keywords",
                );
                misplaced(
                    self,
                    r.of.is_some(),
                    r.of.as_ref().map(|f| f.span()),
                    "of",
                    "keywords",
                );
                RuleKind::Keywords {
                    any: r.any.clone(),
                    all: r.all.clone(),
                    not: r.not.clone(),
                }
            }
            "threshold" => {
                let Some(field) = &r.field else {
                    self.err(
                        &r.kind,
                        &key("field"),
                        "a threshold rule needs field = \"<a name from [feeds.values]>\"",
                    );
                    return None;
                };
                if !value_names.contains(field.get_ref().as_str()) {
                    let mut known: Vec<_> = value_names.iter().copied().collect();
                    known.sort_unstable();
                    self.err(
                        field,
                        &key("field"),
                        format!(
                            "no feed defines a value {:?} in [feeds.values]; defined: {}",
                            field.get_ref(),
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
                let op = match r.op.as_ref().map(|o| (o, o.get_ref().as_str())) {
                    None => Op::Ge,
                    Some((_, ">")) => Op::Gt,
                    Some((_, ">=")) => Op::Ge,
                    Some((_, "<")) => Op::Lt,
                    Some((_, "<=")) => Op::Le,
                    Some((_, "==")) => Op::Eq,
                    Some((o, other)) => {
                        self.err(
                            o,
                            &key("op"),
                            format!("unknown operator {other:?}; use >, >=, <, <= or =="),
                        );
                        Op::Ge
                    }
                };
                let Some(limit) = &r.limit else {
                    self.err(
                        &r.kind,
                        &key("limit"),
                        "a threshold rule needs limit = <number>",
                    );
                    return None;
                };
                let window = r
                    .window
                    .as_ref()
                    .map(|_| self.duration(&r.window, &key("window"), Duration::from_secs(86400)));
                misplaced(self, !r.any.is_empty(), None, "any", "threshold");
                RuleKind::Threshold {
                    field: field.get_ref().clone(),
                    op,
                    limit: *limit.get_ref(),
                    window,
                }
            }
            "count" => {
                let Some(limit) = &r.limit else {
                    self.err(
                        &r.kind,
                        &key("limit"),
                        "a count rule needs limit = <whole number>",
                    );
                    return None;
                };
                let l = *limit.get_ref();
                if l < 1.0 || l.fract() != 0.0 || l > 1e6 {
                    self.err(
                        limit,
                        &key("limit"),
                        "must be a whole number from 1 to 1000000",
                    );
                }
                if r.window.is_none() {
                    self.err(
                        &r.kind,
                        &key("window"),
                        "a count rule needs window = \"24h\" (or another duration)",
                    );
                }
                let window = self.duration(&r.window, &key("window"), Duration::from_secs(86400));
                misplaced(self, !r.any.is_empty(), None, "any", "count");
                RuleKind::Count {
                    of: r.of.as_ref().map(|o| o.get_ref().clone()),
                    limit: l as u32,
                    window,
                }
            }
            other => {
                self.err(
                    &r.kind,
                    &key("kind"),
                    format!("unknown rule kind {other:?}; use keywords, threshold or count"),
                );
                return None;
            }
        };
        Some(Rule {
            id,
            kind,
            severity,
            countries,
            feeds,
        })
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    Severity::ALL.into_iter().find(|x| x.as_str() == s)
}

fn bad_escape(pointer: &str) -> Option<String> {
    let b = pointer.as_bytes();
    b.iter().enumerate().find_map(|(i, &c)| {
        (c == b'~' && !matches!(b.get(i + 1), Some(b'0' | b'1')))
            .then(|| pointer[i..].chars().take(2).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> Result<Config, String> {
        load_str(Path::new("t.toml"), src, &|k| {
            (k == "SET").then(|| "s3cret".to_string())
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = check("").expect("empty config is valid");
        assert_eq!(c.settings.poll_interval, Duration::from_secs(600));
        assert_eq!(c.settings.max_body, 10 * 1024 * 1024);
    }

    #[test]
    fn errors_name_file_line_column_and_key() {
        let e = check("[settings]\nwindow = \"soon\"\n").unwrap_err();
        assert!(
            e.starts_with("t.toml:2:10: settings.window: invalid duration"),
            "{e}"
        );
        let e = check("[settings]\nwindoe = \"1h\"\n").unwrap_err();
        assert!(
            e.starts_with("t.toml:2:1: settings.windoe: unknown field"),
            "{e}"
        );
        let e = check("[[feeds]]\nid = \"a\"\nurl = \"https://a.test\"\n[[feeds]]\nid = \"b\"\nurl = \"https://b.test\"\n[feeds.json]\nitemz = \"/x\"\n").unwrap_err();
        assert!(
            e.starts_with(
                "t.toml:8:1: feeds[1].json.itemz: unknown field `itemz`; did you mean `items`?"
            ),
            "{e}"
        );
        let e = check("[[feeds]]\nid = \"a\"\n").unwrap_err();
        assert!(
            e.starts_with("t.toml:1:1: feeds[0].url: required field `url` is missing"),
            "{e}"
        );
        let e = check("[[countries]]\ncode = \"XX\"\n").unwrap_err();
        assert!(
            e.contains("t.toml:2:8: countries[0].code: unknown country"),
            "{e}"
        );
    }

    #[test]
    fn interpolation_and_secrets() {
        let c =
            check("[[feeds]]\nid = \"a\"\nurl = \"https://x.test/?k=${SET}\"\n").expect("valid");
        assert_eq!(c.feeds[0].url, "https://x.test/?k=s3cret");
        assert_eq!(c.feeds[0].url_display, "https://x.test/?k=${SET}");
        assert_eq!(c.feeds[0].secrets, ["s3cret"]);
        let e = check("[[feeds]]\nid = \"a\"\nurl = \"https://x.test/?k=${UNSET}\"\n").unwrap_err();
        assert!(
            e.contains("t.toml:3:7: feeds[0].url: environment variable UNSET is not set"),
            "{e}"
        );
        check("[[feeds]]\nid = \"a\"\nenabled = false\nurl = \"https://x.test/?k=${UNSET}\"\n")
            .expect("disabled feed may keep unset placeholders");
    }

    #[test]
    fn rules_are_checked_against_each_other() {
        let e = check("[[rules]]\nid = \"c\"\nkind = \"count\"\nof = \"nope\"\nlimit = 3\nwindow = \"1h\"\nseverity = \"high\"\n").unwrap_err();
        assert!(e.contains("rules[0].of: no rule \"nope\""), "{e}");
        let e = check("[[rules]]\nid = \"t\"\nkind = \"threshold\"\nfield = \"deaths\"\nlimit = 3\nseverity = \"high\"\n").unwrap_err();
        assert!(
            e.contains("rules[0].field: no feed defines a value \"deaths\""),
            "{e}"
        );
    }
}
