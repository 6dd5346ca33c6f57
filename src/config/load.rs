//! Reading, interpolating and validating a config file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, ConfigErrors};
use super::raw::{RawConfig, RawSettings, S};
use super::toml_errors::explain_toml_error;
use super::units::{parse_duration, parse_size};
use super::*;
use crate::geo::{self, CountryCode};

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
    let raw = parse(path, source).map_err(|e| ConfigErrors(vec![e]))?;
    // Included files are read first, so every error can name its own file, line and column.
    let mut files = Vec::new();
    let mut packs = Vec::new();
    let mut errors = Vec::new();
    let mut stack = vec![canonical(path)];
    include(
        path,
        source,
        &raw,
        &mut stack,
        &mut files,
        &mut packs,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    let mut v = Validator {
        path,
        source,
        root: (path, source),
        files: &files,
        evidence_window: Duration::from_secs(30 * 86_400),
        env,
        errors: Vec::new(),
    };
    let config = v.config(raw, packs);
    // Whatever logs from here on, in any crate, never shows these values.
    crate::logging::add_secrets(config.feeds.iter().flat_map(|f| f.secrets.iter()));
    if v.errors.is_empty() {
        Ok(config)
    } else {
        // In the order they appear in the file; errors with no place come last.
        v.errors.sort_by_key(|e| (e.line == 0, e.line, e.column));
        Err(ConfigErrors(v.errors))
    }
}
fn parse(path: &Path, source: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(source).map_err(|e| {
        let (key, message) = explain_toml_error(e.message(), e.span(), source);
        ConfigError::at(path, source, e.span(), &key, message)
    })
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Reads the files `raw` includes (paths relative to the including file), depth first, into
/// `files`, and their parsed contents into `packs` (with the index of their file). A cycle is
/// refused with the chain named; an included file holds rules (and includes) only.
fn include(
    path: &Path,
    source: &str,
    raw: &RawConfig,
    stack: &mut Vec<PathBuf>,
    files: &mut Vec<(PathBuf, String)>,
    packs: &mut Vec<(usize, RawConfig)>,
    errors: &mut Vec<ConfigError>,
) {
    for (i, inc) in raw.include.iter().enumerate() {
        let key = format!("include[{i}]");
        let target = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(inc.get_ref());
        let canon = canonical(&target);
        if let Some(at) = stack.iter().position(|p| *p == canon) {
            let chain: Vec<String> = stack[at..]
                .iter()
                .chain(std::iter::once(&canon))
                .map(|p| p.display().to_string())
                .collect();
            errors.push(ConfigError::at(
                path,
                source,
                Some(inc.span()),
                &key,
                format!("include cycle: {}", chain.join(" -> ")),
            ));
            continue;
        }
        if stack.len() > 8 {
            errors.push(ConfigError::at(
                path,
                source,
                Some(inc.span()),
                &key,
                "includes nest more than 8 deep",
            ));
            continue;
        }
        let text = match std::fs::read_to_string(&target) {
            Ok(t) => t,
            Err(e) => {
                errors.push(ConfigError::at(
                    path,
                    source,
                    Some(inc.span()),
                    &key,
                    format!("cannot read {}: {e}", target.display()),
                ));
                continue;
            }
        };
        let parsed = match parse(&target, &text) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let not_rules: Vec<(&str, Option<std::ops::Range<usize>>)> = [
            ("settings", parsed.settings.as_ref().map(|s| s.span())),
            ("countries", parsed.countries.first().map(|s| s.span())),
            ("feeds", parsed.feeds.first().map(|s| s.span())),
            ("keys", parsed.keys.values().next().map(|s| s.span())),
            ("baseline", parsed.baseline.as_ref().map(|s| s.span())),
            ("views", parsed.views.first().map(|s| s.span())),
            ("notify", parsed.notify.first().map(|s| s.span())),
        ]
        .into_iter()
        .filter(|(_, span)| span.is_some())
        .collect();
        for (table, span) in not_rules {
            errors.push(ConfigError::at(
                &target,
                &text,
                span,
                table,
                format!(
                    "an included file holds [[rules]] (and include) only; put {table} in {}",
                    path.display()
                ),
            ));
        }
        stack.push(canon);
        include(&target, &text, &parsed, stack, files, packs, errors);
        stack.pop();
        files.push((target, text));
        packs.push((files.len() - 1, parsed));
    }
}

pub(super) struct Validator<'a> {
    pub(super) path: &'a Path,
    pub(super) source: &'a str,
    /// The config file itself, and the files it includes: rules are checked against their own.
    pub(super) root: (&'a Path, &'a str),
    pub(super) files: &'a [(PathBuf, String)],
    /// `settings.evidence_window`, the default window of factors rules.
    pub(super) evidence_window: Duration,
    pub(super) env: &'a dyn Fn(&str) -> Option<String>,
    pub(super) errors: Vec<ConfigError>,
}

pub(super) fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Validator<'_> {
    pub(super) fn err<T>(&mut self, spanned: &S<T>, key: &str, message: impl Into<String>) {
        let e = ConfigError::at(self.path, self.source, Some(spanned.span()), key, message);
        self.errors.push(e);
    }

    /// A duration, at most `max` (every duration has a documented maximum, so no arithmetic on
    /// dates can overflow and no typo such as "300000y" is taken at its word).
    pub(super) fn duration(
        &mut self,
        v: &Option<S<String>>,
        key: &str,
        default: Duration,
        max: Duration,
    ) -> Duration {
        match v {
            None => default,
            Some(s) => match parse_duration(s.get_ref()) {
                Ok(d) if d <= max => d,
                Ok(_) => {
                    self.err(
                        s,
                        key,
                        format!(
                            "{:?} is longer than the maximum of {}",
                            s.get_ref(),
                            super::units::fmt_duration(max)
                        ),
                    );
                    default
                }
                Err(m) => {
                    self.err(s, key, m);
                    default
                }
            },
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

    pub(super) fn country(&mut self, v: &S<String>, key: &str) -> Option<CountryCode> {
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
    pub(super) fn interpolate(
        &mut self,
        v: &S<String>,
        key: &str,
        secrets: &mut Vec<String>,
    ) -> String {
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

    /// Points error locations at the file a rule came from (`None`: the config itself).
    fn locate(&mut self, origin: Option<usize>) {
        let (path, source) = match origin.and_then(|i| self.files.get(i)) {
            Some((p, s)) => (p.as_path(), s.as_str()),
            None => self.root,
        };
        self.path = path;
        self.source = source;
    }

    fn config(&mut self, raw: RawConfig, packs: Vec<(usize, RawConfig)>) -> Config {
        let settings = match &raw.settings {
            Some(s) => self.settings(s.get_ref()),
            None => self.settings(&RawSettings::default()),
        };
        self.evidence_window = settings.evidence_window;
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
        // The config's own rules, then each included file's: (file, index in it, rule).
        let mut all_rules: Vec<(Option<usize>, usize, &S<super::raw::RawRule>)> = raw
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (None, i, r))
            .collect();
        for (file, pack) in &packs {
            all_rules.extend(
                pack.rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (Some(*file), i, r)),
            );
        }
        for &(origin, i, r) in &all_rules {
            self.locate(origin);
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
        for &(origin, i, r) in &all_rules {
            self.locate(origin);
            let r = r.get_ref();
            if let Some(of) = &r.of {
                let target = all_rules
                    .iter()
                    .map(|(_, _, x)| *x)
                    .find(|x| x.get_ref().id.get_ref() == of.get_ref());
                match target {
                    None => {
                        let known: Vec<_> = all_rules
                            .iter()
                            .map(|(_, _, x)| x.get_ref().id.get_ref().as_str())
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
                    Some(t) if matches!(t.get_ref().kind.get_ref().as_str(), "count" | "spike") => {
                        self.err(
                            of,
                            &format!("rules[{i}].of"),
                            format!(
                                "cannot count the hits of another {} rule; name a keywords or threshold rule",
                                t.get_ref().kind.get_ref()
                            ),
                        );
                    }
                    _ => {}
                }
            }
        }

        self.locate(None);
        // History must outlive every window, or restarts would forget what a window counts.
        // The factor board compares the evidence window with the one before it, when a rule
        // gives evidence at all.
        let board = rules.iter().any(|r| !r.factors.is_empty()).then(|| {
            (
                settings.evidence_window * 2,
                "twice settings.evidence_window",
            )
        });
        let longest = rules
            .iter()
            .filter_map(|r| r.kind.lookback().map(|w| (w, r.id.as_str())))
            .chain(std::iter::once((settings.window, "settings.window")))
            .chain(board)
            .max_by_key(|(w, _)| *w);
        if let Some((window, whose)) = longest
            && settings.retain < window
        {
            let span = raw
                .settings
                .as_ref()
                .and_then(|s| s.get_ref().retain.as_ref().map(|r| r.span()));
            self.errors.push(ConfigError::at(
                self.path,
                self.source,
                span,
                "settings.retain",
                format!(
                    "{} is shorter than the longest window ({} of {whose}); keep history at least that long",
                    super::units::fmt_duration(settings.retain),
                    super::units::fmt_duration(window)
                ),
            ));
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

        let mut baseline = crate::config::BaselineSettings::default();
        if let Some(top) = raw
            .baseline
            .as_ref()
            .and_then(|b| b.get_ref().escalate_top.as_ref())
        {
            match u32::try_from(*top.get_ref()) {
                Ok(n) if n <= 1000 => baseline.escalate_top = n,
                _ => self.err(
                    top,
                    "baseline.escalate_top",
                    "must be a whole number from 0 (never) to 1000",
                ),
            }
        }

        let views = self.views(&raw.views);
        let notify = self.notify(&raw.notify, &rule_ids);
        let store = self.store(raw.store.as_ref());

        Config {
            path: self.path.to_path_buf(),
            settings,
            countries,
            feeds,
            rules,
            keys,
            baseline,
            views,
            notify,
            store,
        }
    }

    /// `[store]`: `url`, a `postgres://` URL (a password only through `${VAR}`) or a
    /// directory; `lease`, from 3 s to 10 min.
    fn store(&mut self, raw: Option<&super::raw::S<super::raw::RawStore>>) -> super::StoreSettings {
        let mut settings = super::StoreSettings::default();
        let Some(raw) = raw else {
            return settings;
        };
        let raw = raw.get_ref();
        settings.lease = self.duration(
            &raw.lease,
            "store.lease",
            settings.lease,
            Duration::from_secs(600),
        );
        if let Some(l) = &raw.lease
            && settings.lease < Duration::from_secs(3)
        {
            self.err(
                l,
                "store.lease",
                "at least 3s: collectors renew it every quarter of it",
            );
            settings.lease = Duration::from_secs(3);
        }
        settings.address = self.store_address(raw.url.as_ref());
        settings
    }

    fn store_address(
        &mut self,
        url: Option<&super::raw::S<String>>,
    ) -> Option<crate::store::StoreAddress> {
        use crate::store::address::{Origin, StoreAddress};
        let url = url?;
        let mut secrets = Vec::new();
        let text = self.interpolate(url, "store.url", &mut secrets);
        if url.get_ref().contains(':')
            && url::Url::parse(url.get_ref()).is_ok_and(|u| u.password().is_some())
            && secrets.is_empty()
        {
            self.err(
                url,
                "store.url",
                "a password written into the config; put it in an environment variable (postgres://user:${PGPASS}@host/db) or the PostgreSQL password file",
            );
            return None;
        }
        match StoreAddress::parse(&text, Origin::Config) {
            Ok(a) => Some(a),
            Err(e) => {
                let mut msg = e.to_string();
                for s in &secrets {
                    msg = msg.replace(s.as_str(), "***");
                }
                self.err(url, "store.url", msg);
                None
            }
        }
    }

    /// `[[views]]`: at most nine (one per digit), names unique, each list and sort known.
    fn views(&mut self, raw: &[super::raw::S<super::raw::RawView>]) -> Vec<super::SavedView> {
        use crate::tui::app::ViewSort;
        let mut views: Vec<super::SavedView> = Vec::new();
        for (i, v) in raw.iter().enumerate() {
            let key = format!("views[{i}]");
            if i >= 9 {
                self.err(
                    v,
                    &key,
                    "at most 9 views: they are chosen with v and a digit from 1 to 9",
                );
                break;
            }
            let v = v.get_ref();
            let name = crate::text::clean(v.name.get_ref(), 40);
            if name.is_empty() {
                self.err(&v.name, &format!("{key}.name"), "a view needs a name");
                continue;
            }
            if views.iter().any(|w| w.name.eq_ignore_ascii_case(&name)) {
                self.err(
                    &v.name,
                    &format!("{key}.name"),
                    format!("\"{name}\" names two views"),
                );
                continue;
            }
            let list = v.list.as_ref().map_or("alerts", |l| l.get_ref().as_str());
            let sort = match ViewSort::parse(list, v.sort.as_ref().map(|s| s.get_ref().as_str())) {
                Ok(sort) => sort,
                Err(message) => {
                    match (&v.sort, &v.list) {
                        (Some(s), _) if ViewSort::parse(list, None).is_ok() => {
                            self.err(s, &format!("{key}.sort"), message)
                        }
                        (_, Some(l)) => self.err(l, &format!("{key}.list"), message),
                        (Some(s), None) => self.err(s, &format!("{key}.sort"), message),
                        (None, None) => {}
                    }
                    continue;
                }
            };
            views.push(super::SavedView {
                name,
                filter: v
                    .filter
                    .as_ref()
                    .map(|f| crate::text::clean(f.get_ref(), 200))
                    .unwrap_or_default(),
                sort,
            });
        }
        views
    }

    /// Reads `settings.ca_file` (relative to the config file): PEM certificates, at least one.
    fn ca_file(&mut self, f: &S<String>) -> Option<Vec<u8>> {
        let path = self
            .path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(f.get_ref());
        let pem = match std::fs::read(&path) {
            Ok(pem) => pem,
            Err(e) => {
                self.err(
                    f,
                    "settings.ca_file",
                    format!("cannot read {}: {e}", path.display()),
                );
                return None;
            }
        };
        match reqwest::Certificate::from_pem_bundle(&pem) {
            Ok(certs) if !certs.is_empty() => Some(pem),
            _ => {
                self.err(
                    f,
                    "settings.ca_file",
                    format!(
                        "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                        path.display()
                    ),
                );
                None
            }
        }
    }

    fn settings(&mut self, s: &RawSettings) -> Settings {
        let archive_max = match &s.archive_max {
            None => 2_000_000_000,
            Some(v) => parse_size(v.get_ref()).unwrap_or_else(|m| {
                self.err(v, "settings.archive_max", m);
                2_000_000_000
            }),
        };
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
                limits::INTERVAL,
            ),
            window: self.duration(
                &s.window,
                "settings.window",
                Duration::from_secs(72 * 3600),
                limits::WINDOW,
            ),
            timeout: self.duration(
                &s.timeout,
                "settings.timeout",
                Duration::from_secs(30),
                limits::TIMEOUT,
            ),
            connect_timeout: self.duration(
                &s.connect_timeout,
                "settings.connect_timeout",
                Duration::from_secs(10),
                limits::TIMEOUT,
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
                limits::RETAIN,
            ),
            data_dir: s.data_dir.as_ref().map(|d| PathBuf::from(d.get_ref())),
            max_items: self.count(&s.max_items, "settings.max_items", 1000, 100_000),
            concurrency: self.count(&s.concurrency, "settings.concurrency", 16, 1024),
            per_host: self.count(&s.per_host, "settings.per_host", 2, 64),
            bell: match &s.bell {
                None => Some(Severity::High),
                Some(v) if v.get_ref() == "off" => None,
                Some(v) => match Severity::parse(v.get_ref()) {
                    Some(sev) => Some(sev),
                    None => {
                        self.err(v, "settings.bell", format!("unknown severity {:?}; use info, low, medium, high, critical or off", v.get_ref()));
                        Some(Severity::High)
                    }
                },
            },
            notify: s.notify.unwrap_or(false),
            archive_max,
            ca_pem: s.ca_file.as_ref().and_then(|f| self.ca_file(f)),
            sender: match &s.sender {
                Some(v)
                    if !v.get_ref().trim().is_empty()
                        && !v.get_ref().contains([' ', ',', '<', '&']) =>
                {
                    v.get_ref().trim().to_string()
                }
                Some(v) => {
                    self.err(
                        v,
                        "settings.sender",
                        "CAP senders carry no spaces, commas, '<' or '&'; use an address such as \"watchfloor@desk.example.org\"",
                    );
                    String::new()
                }
                None => format!("watchfloor@{}", crate::store::lock::hostname()),
            },
            evidence_window: self.duration(
                &s.evidence_window,
                "settings.evidence_window",
                Duration::from_secs(30 * 86_400),
                Duration::from_secs(366 * 86_400),
            ),
            cap_scope: match s.cap_scope.as_ref().map(|v| (v, v.get_ref().as_str())) {
                None | Some((_, "Public")) => super::CapScope::Public,
                Some((_, "Restricted")) => super::CapScope::Restricted,
                Some((v, other)) => {
                    self.err(
                        v,
                        "settings.cap_scope",
                        format!("unknown CAP scope {other:?}; use Public or Restricted"),
                    );
                    super::CapScope::Public
                }
            },
            max_age: self.duration(
                &s.max_age,
                "settings.max_age",
                Duration::from_secs(7 * 86_400),
                limits::RETAIN,
            ),
        }
    }
}

/// The longest value each kind of duration may take.
pub mod limits {
    use std::time::Duration;

    const DAY: u64 = 86_400;
    /// Poll intervals.
    pub const INTERVAL: Duration = Duration::from_secs(7 * DAY);
    /// The status window and rule windows.
    pub const WINDOW: Duration = Duration::from_secs(365 * DAY);
    /// Request and connect timeouts.
    pub const TIMEOUT: Duration = Duration::from_secs(600);
    /// How long history is kept.
    pub const RETAIN: Duration = Duration::from_secs(10 * 365 * DAY);
}

pub(super) fn bad_escape(pointer: &str) -> Option<String> {
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
    fn every_error_is_reported_in_line_order() {
        let e = check("[[rules]]\nid = \"k\"\nkind = \"keywords\"\nany = [\"x\"]\nwindow = \"1h\"\nseverity = \"loud\"\n\n[settings]\nretain = \"9999999d\"\n")
            .unwrap_err();
        let lines: Vec<usize> = e
            .lines()
            .map(|l| {
                l.split(':')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            })
            .collect();
        assert_eq!(lines, [5, 6, 9], "{e}");
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
