//! `[[notify]]`: where events go besides standard output, and which of them.

use std::collections::HashSet;
use std::time::Duration;

use super::Severity;
use super::load::{Validator, is_id};
use super::raw::{RawNotify, S};
use crate::geo::CountryCode;

/// One notification target.
#[derive(Clone, PartialEq)]
pub struct NotifyConfig {
    /// Unique id, `[a-z0-9-]`; also the name of its outbox consumer (`notify:<id>`).
    pub id: String,
    /// What it delivers to, and how.
    pub kind: NotifyKind,
    /// Which events it receives.
    pub filter: NotifyFilter,
    /// Batch what arrives within this long into one message.
    pub digest: Option<Duration>,
    /// Messages a minute at most; past that, the rest are folded into one digest.
    pub per_minute: u32,
    /// One delivery attempt's time limit.
    pub timeout: Duration,
    /// Send critical alerts again, with their age, this often until acknowledged.
    pub renotify: Option<Duration>,
    /// Whether it is used.
    pub enabled: bool,
    /// Secret strings (interpolated values) to redact from anything shown.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // URLs, tokens and commands may hold secrets; a Debug print never shows them.
        f.debug_struct("NotifyConfig")
            .field("id", &self.id)
            .field("kind", &self.kind.name())
            .field("filter", &self.filter)
            .field("digest", &self.digest)
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

/// Kinds of target, each with what it needs.
#[derive(Clone, PartialEq, Eq)]
pub enum NotifyKind {
    /// A JSON POST of the event line, signed when `secret` is set.
    Webhook {
        /// Where to POST.
        url: String,
        /// HMAC-SHA256 key for `X-Watchfloor-Signature`.
        secret: Option<String>,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// A Slack incoming webhook.
    Slack {
        /// The webhook URL.
        url: String,
    },
    /// A Discord channel webhook.
    Discord {
        /// The webhook URL.
        url: String,
    },
    /// A Microsoft Teams Workflows webhook (an Adaptive Card).
    Teams {
        /// The workflow's URL.
        url: String,
    },
    /// A Matrix room, through the client-server API.
    Matrix {
        /// The homeserver's base URL.
        homeserver: String,
        /// The room id (`!abc:example.org`).
        room: String,
        /// An access token of the sending account.
        token: String,
    },
    /// An ntfy topic.
    Ntfy {
        /// The topic's URL (`https://ntfy.sh/desk-alerts`).
        url: String,
        /// An access token, for protected topics.
        token: Option<String>,
    },
    /// Mail through an SMTP server.
    Email {
        /// The server.
        smtp: SmtpServer,
        /// The sender, `Name <address>` or an address.
        from: String,
        /// The recipients.
        to: Vec<String>,
        /// Sign-in, if the server wants one: (user, password).
        login: Option<(String, String)>,
    },
    /// A program run with the event as JSON on stdin (never through a shell).
    Command {
        /// The program and its arguments.
        argv: Vec<String>,
    },
}

impl NotifyKind {
    /// The kind's name as configured.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Slack { .. } => "slack",
            Self::Discord { .. } => "discord",
            Self::Teams { .. } => "teams",
            Self::Matrix { .. } => "matrix",
            Self::Ntfy { .. } => "ntfy",
            Self::Email { .. } => "email",
            Self::Command { .. } => "command",
        }
    }
}

/// An SMTP server and how to secure the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// Host name (also the name its certificate must carry).
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465).
    Implicit,
    /// `smtp+plain://`: no encryption, for a relay on the same machine (port 25).
    None,
}

/// Event kinds a target can receive.
pub const NOTIFY_EVENTS: &[&str] = &["alert", "status", "resolved"];

/// Which events a target receives: all conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyFilter {
    /// Alerts at least this severe (status changes: to at least the status it raises to).
    pub min_severity: Severity,
    /// Only about these countries (empty: all).
    pub countries: Vec<CountryCode>,
    /// Only alerts of these rules (empty: all).
    pub rules: Vec<String>,
    /// Event kinds, from [`NOTIFY_EVENTS`].
    pub events: Vec<String>,
}

impl Default for NotifyFilter {
    fn default() -> Self {
        Self {
            min_severity: Severity::Info,
            countries: Vec::new(),
            rules: Vec::new(),
            events: NOTIFY_EVENTS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

const KINDS: &str = "webhook, slack, discord, teams, matrix, ntfy, email or command";

impl Validator<'_> {
    pub(super) fn notify(
        &mut self,
        raw: &[S<RawNotify>],
        rule_ids: &HashSet<String>,
    ) -> Vec<NotifyConfig> {
        let mut out: Vec<NotifyConfig> = Vec::new();
        for (i, n) in raw.iter().enumerate() {
            let key = |k: &str| format!("notify[{i}].{k}");
            let r = n.get_ref();
            let id = r.id.get_ref().clone();
            if !is_id(&id) {
                self.err(
                    &r.id,
                    &key("id"),
                    format!("{id:?} is not a valid id; use lowercase letters, digits and '-'"),
                );
            } else if out.iter().any(|t| t.id == id) {
                self.err(&r.id, &key("id"), format!("duplicate notify id {id:?}"));
            }
            let enabled = r.enabled.unwrap_or(true);
            let errors_before = self.errors.len();
            let mut secrets = Vec::new();
            let kind = self.notify_kind(n, &key, &mut secrets);
            // A disabled target may keep placeholders for variables that are not set.
            if !enabled {
                let tail = self.errors.split_off(errors_before);
                self.errors.extend(
                    tail.into_iter()
                        .filter(|e| !e.message.starts_with("environment variable")),
                );
            }
            let filter = self.notify_filter(r, &key, rule_ids);
            let digest = r.digest.as_ref().map(|_| {
                self.duration(
                    &r.digest,
                    &key("digest"),
                    Duration::from_secs(300),
                    Duration::from_secs(24 * 3600),
                )
            });
            let per_minute = match &r.per_minute {
                None => 20,
                Some(v) => match u32::try_from(*v.get_ref()) {
                    Ok(n @ 1..=600) => n,
                    _ => {
                        self.err(
                            v,
                            &key("per_minute"),
                            "must be a whole number from 1 to 600",
                        );
                        20
                    }
                },
            };
            let timeout = self.duration(
                &r.timeout,
                &key("timeout"),
                Duration::from_secs(10),
                Duration::from_secs(300),
            );
            let renotify = r.renotify.as_ref().map(|_| {
                self.duration(
                    &r.renotify,
                    &key("renotify"),
                    Duration::from_secs(1800),
                    Duration::from_secs(7 * 24 * 3600),
                )
            });
            if let (Some(d), Some(v)) = (renotify, &r.renotify)
                && d < Duration::from_secs(10)
            {
                self.err(v, &key("renotify"), "must be at least 10s");
            }
            let Some(kind) = kind else { continue };
            out.push(NotifyConfig {
                id,
                kind,
                filter,
                digest,
                per_minute,
                timeout,
                renotify,
                enabled,
                secrets,
            });
        }
        out
    }

    fn notify_kind(
        &mut self,
        n: &S<RawNotify>,
        key: &dyn Fn(&str) -> String,
        secrets: &mut Vec<String>,
    ) -> Option<NotifyKind> {
        let r = n.get_ref();
        let kind = r.kind.get_ref().as_str();
        let needs = |this: &mut Self, field: &Option<S<String>>, name: &str| -> bool {
            if field.is_none() {
                this.err(n, &key(name), format!("a {kind} target needs {name}"));
                false
            } else {
                true
            }
        };
        let http_url = |this: &mut Self, field: &Option<S<String>>, secrets: &mut Vec<String>| {
            let v = field.as_ref()?;
            let text = this.interpolate(v, &key("url"), secrets);
            match url::Url::parse(&text) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Some(text),
                Ok(u) => {
                    this.err(
                        v,
                        &key("url"),
                        format!("scheme {:?} is not supported; use https", u.scheme()),
                    );
                    None
                }
                Err(_) if text.contains("${") => None,
                Err(e) => {
                    this.err(v, &key("url"), format!("invalid URL: {e}"));
                    None
                }
            }
        };
        // Every value from the environment is a secret; so is a written token or secret.
        let secret =
            |this: &mut Self, field: &Option<S<String>>, name: &str, secrets: &mut Vec<String>| {
                field.as_ref().map(|v| {
                    let text = this.interpolate(v, &key(name), secrets);
                    if !text.is_empty() {
                        secrets.push(text.clone());
                    }
                    text
                })
            };
        let only = |this: &mut Self, present: &[(&str, bool)]| {
            for (name, set) in present {
                if *set {
                    this.err(
                        n,
                        &key(name),
                        format!("{name} does not apply to a {kind} target"),
                    );
                }
            }
        };
        match kind {
            "webhook" | "slack" | "discord" | "teams" => {
                if !needs(self, &r.url, "url") {
                    return None;
                }
                let url = http_url(self, &r.url, secrets)?;
                if kind != "webhook" {
                    only(
                        self,
                        &[
                            ("secret", r.secret.is_some()),
                            ("headers", !r.headers.is_empty()),
                            ("token", r.token.is_some()),
                            ("room", r.room.is_some()),
                            ("command", r.command.is_some()),
                        ],
                    );
                }
                // A webhook URL is itself the credential.
                secrets.push(url.clone());
                Some(match kind {
                    "webhook" => {
                        only(
                            self,
                            &[
                                ("token", r.token.is_some()),
                                ("room", r.room.is_some()),
                                ("command", r.command.is_some()),
                            ],
                        );
                        let secret = secret(self, &r.secret, "secret", secrets);
                        let mut headers = Vec::new();
                        for (name, value) in &r.headers {
                            let val =
                                self.interpolate(value, &key(&format!("headers.{name}")), secrets);
                            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                                self.err(
                                    value,
                                    &key("headers"),
                                    format!("{name:?} is not a valid header name"),
                                );
                            }
                            headers.push((name.clone(), val));
                        }
                        NotifyKind::Webhook {
                            url,
                            secret,
                            headers,
                        }
                    }
                    "slack" => NotifyKind::Slack { url },
                    "discord" => NotifyKind::Discord { url },
                    _ => NotifyKind::Teams { url },
                })
            }
            "matrix" => {
                let ok = needs(self, &r.url, "url")
                    & needs(self, &r.room, "room")
                    & needs(self, &r.token, "token");
                only(
                    self,
                    &[
                        ("secret", r.secret.is_some()),
                        ("headers", !r.headers.is_empty()),
                        ("command", r.command.is_some()),
                    ],
                );
                if !ok {
                    return None;
                }
                let homeserver = http_url(self, &r.url, secrets)?;
                let room = r.room.as_ref().map(|v| v.get_ref().trim().to_string())?;
                if !room.starts_with('!') || !room.contains(':') {
                    if let Some(v) = &r.room {
                        self.err(
                            v,
                            &key("room"),
                            format!("{room:?} is not a room id; it looks like \"!abc123:example.org\" (Room settings > Advanced)"),
                        );
                    }
                    return None;
                }
                let token = secret(self, &r.token, "token", secrets)?;
                Some(NotifyKind::Matrix {
                    homeserver: homeserver.trim_end_matches('/').to_string(),
                    room,
                    token,
                })
            }
            "ntfy" => {
                if !needs(self, &r.url, "url") {
                    return None;
                }
                only(
                    self,
                    &[
                        ("secret", r.secret.is_some()),
                        ("headers", !r.headers.is_empty()),
                        ("room", r.room.is_some()),
                        ("command", r.command.is_some()),
                    ],
                );
                let url = http_url(self, &r.url, secrets)?;
                let topic_ok = url::Url::parse(&url).ok().is_some_and(|u| {
                    u.path_segments()
                        .and_then(|mut s| s.next_back())
                        .is_some_and(|t| !t.is_empty())
                });
                if !topic_ok {
                    if let Some(v) = &r.url {
                        self.err(
                            v,
                            &key("url"),
                            "name the topic in the URL, such as \"https://ntfy.sh/desk-alerts\"",
                        );
                    }
                    return None;
                }
                let token = secret(self, &r.token, "token", secrets);
                Some(NotifyKind::Ntfy { url, token })
            }
            "command" => {
                only(
                    self,
                    &[
                        ("url", r.url.is_some()),
                        ("secret", r.secret.is_some()),
                        ("headers", !r.headers.is_empty()),
                        ("token", r.token.is_some()),
                        ("room", r.room.is_some()),
                    ],
                );
                let Some(cmd) = &r.command else {
                    self.err(
                        n,
                        &key("command"),
                        "a command target needs command = [\"/path/to/program\", \"arg\", …]",
                    );
                    return None;
                };
                let mut argv = Vec::new();
                for (j, a) in cmd.get_ref().iter().enumerate() {
                    argv.push(self.interpolate(a, &key(&format!("command[{j}]")), secrets));
                }
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    self.err(cmd, &key("command"), "name the program to run first");
                    return None;
                }
                Some(NotifyKind::Command { argv })
            }
            "email" => {
                let ok = needs(self, &r.url, "url") & needs(self, &r.from, "from");
                if r.to.is_empty() {
                    self.err(
                        n,
                        &key("to"),
                        "an email target needs to = [\"desk@example.org\"]",
                    );
                }
                only(
                    self,
                    &[
                        ("secret", r.secret.is_some()),
                        ("headers", !r.headers.is_empty()),
                        ("token", r.token.is_some()),
                        ("room", r.room.is_some()),
                        ("command", r.command.is_some()),
                    ],
                );
                if !ok || r.to.is_empty() {
                    return None;
                }
                let raw_url = r.url.as_ref()?;
                let text = self.interpolate(raw_url, &key("url"), secrets);
                let smtp = match smtp_server(&text) {
                    Ok(s) => s,
                    Err(m) => {
                        if !text.contains("${") {
                            self.err(raw_url, &key("url"), m);
                        }
                        return None;
                    }
                };
                let mut mailbox = |this: &mut Self, v: &S<String>, name: &str| {
                    let text = this.interpolate(v, &key(name), secrets);
                    match text.parse::<lettre::message::Mailbox>() {
                        Ok(_) => Some(text),
                        Err(e) => {
                            this.err(
                                v,
                                &key(name),
                                format!("{text:?} is not an email address ({e})"),
                            );
                            None
                        }
                    }
                };
                let from = r.from.as_ref().and_then(|v| mailbox(self, v, "from"));
                let to: Vec<String> = r.to.iter().filter_map(|v| mailbox(self, v, "to")).collect();
                let login = match (&r.username, &r.password) {
                    (Some(u), Some(p)) => {
                        let user = self.interpolate(u, &key("username"), secrets);
                        let pass = secret(self, &Some(p.clone()), "password", secrets)?;
                        Some((user, pass))
                    }
                    (None, None) => None,
                    _ => {
                        self.err(n, &key("username"), "username and password go together");
                        None
                    }
                };
                if login.is_some() && smtp.tls == SmtpTls::None {
                    self.err(
                        raw_url,
                        &key("url"),
                        "a password is never sent unencrypted; use smtp:// (STARTTLS) or smtps://",
                    );
                    return None;
                }
                Some(NotifyKind::Email {
                    smtp,
                    from: from?,
                    to,
                    login,
                })
            }
            other => {
                self.err(
                    &r.kind,
                    &key("kind"),
                    format!("unknown kind {other:?}; use {KINDS}"),
                );
                None
            }
        }
    }

    fn notify_filter(
        &mut self,
        r: &RawNotify,
        key: &dyn Fn(&str) -> String,
        rule_ids: &HashSet<String>,
    ) -> NotifyFilter {
        let mut filter = NotifyFilter::default();
        if let Some(s) = &r.min_severity {
            match Severity::parse(s.get_ref()) {
                Some(v) => filter.min_severity = v,
                None => self.err(
                    s,
                    &key("min_severity"),
                    format!(
                        "unknown severity {:?}; use info, low, medium, high or critical",
                        s.get_ref()
                    ),
                ),
            }
        }
        for c in &r.countries {
            match crate::geo::lookup(c.get_ref()) {
                Some(code) => filter.countries.push(code),
                None => self.err(
                    c,
                    &key("countries"),
                    format!("unknown country {:?}", c.get_ref()),
                ),
            }
        }
        for rule in &r.rules {
            if rule_ids.contains(rule.get_ref()) {
                filter.rules.push(rule.get_ref().clone());
            } else {
                self.err(
                    rule,
                    &key("rules"),
                    format!("no rule {:?} in this config", rule.get_ref()),
                );
            }
        }
        if let Some(events) = &r.events {
            filter.events.clear();
            for e in events.get_ref() {
                if NOTIFY_EVENTS.contains(&e.as_str()) {
                    filter.events.push(e.clone());
                } else {
                    self.err(
                        events,
                        &key("events"),
                        format!("unknown event {e:?}; use alert, status or resolved"),
                    );
                }
            }
        }
        filter
    }
}

/// Reads `smtp://host[:port]`, `smtps://host[:port]` or `smtp+plain://host[:port]`.
fn smtp_server(text: &str) -> Result<SmtpServer, String> {
    let u = url::Url::parse(text).map_err(|e| format!("invalid URL: {e}"))?;
    let (tls, default_port) = match u.scheme() {
        "smtp" => (SmtpTls::StartTls, 587),
        "smtps" => (SmtpTls::Implicit, 465),
        "smtp+plain" => (SmtpTls::None, 25),
        other => {
            return Err(format!(
                "scheme {other:?} is not an SMTP server; use smtp:// (STARTTLS), smtps:// (TLS) or smtp+plain:// (a relay on this machine)"
            ));
        }
    };
    if !u.username().is_empty() || u.password().is_some() {
        return Err("put the sign-in in username and password, not in the URL".into());
    }
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("name the server, such as \"smtp://mail.example.org\"")?
        .to_string();
    Ok(SmtpServer {
        host,
        port: u.port().unwrap_or(default_port),
        tls,
    })
}
