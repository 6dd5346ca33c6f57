//! Each service's own documented message shape. Feed text is plain already (sanitised at
//! ingest); here it is escaped for each service's markup, and mentions are switched off, so a
//! headline can neither ping a channel nor pass for a link.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::message::Message;
use crate::config::{NotifyKind, Severity};

/// A request to make, or a program to run.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// An HTTP request with a JSON body.
    Http {
        /// POST or PUT.
        put: bool,
        /// Where.
        url: String,
        /// Headers, secrets included.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// A mail.
    Email {
        /// The server.
        smtp: crate::config::SmtpServer,
        /// Sign-in, if any.
        login: Option<(String, String)>,
        /// Sender.
        from: String,
        /// Recipients.
        to: Vec<String>,
        /// Subject line.
        subject: String,
        /// Plain-text body.
        body: String,
        /// A stable Message-ID local part, so a repeat is recognisable as the same mail.
        key: String,
    },
    /// A program, with what to write on its stdin.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// JSON lines, one per event.
        stdin: Vec<u8>,
    },
}

/// Longest text put in a message body.
const BODY_CHARS: usize = 3500;

fn cap(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn colour(s: Option<Severity>) -> u32 {
    match s {
        Some(Severity::Critical) => 0x00B0_1E2D,
        Some(Severity::High) => 0x00E0_6C00,
        Some(Severity::Medium) => 0x00D4_A500,
        Some(Severity::Low) => 0x0035_7ABD,
        _ => 0x0080_8080,
    }
}

/// Slack's mrkdwn: only `&`, `<` and `>` are special (a `<...>` is a link or a mention).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Discord markdown: a backslash before every character that formats or links.
fn discord_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\*_~`|>[]#@<".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn html_escape(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn json_body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn link_ok(link: &Option<String>) -> Option<&str> {
    link.as_deref()
        .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
}

/// The webhook body: the event's JSON line, or for several events an object listing them.
pub fn webhook_body(m: &Message) -> Vec<u8> {
    // A message of its own kind (a test, a brief, a reminder) says so, with its events.
    if let Some((kind, fields)) = m.payload.clone() {
        let events: Vec<Value> = m
            .events
            .iter()
            .filter_map(|q| serde_json::from_str(&q.line()).ok())
            .collect();
        let mut v = json!({
            "v": crate::event::SCHEMA_VERSION,
            "type": kind,
            "title": m.title,
            "text": m.lines.join("\n"),
        });
        if let Some(obj) = v.as_object_mut() {
            if let Value::Object(more) = fields {
                obj.extend(more);
            }
            if !events.is_empty() {
                obj.insert("events".into(), Value::Array(events));
            }
        }
        return json_body(&v);
    }
    match m.events.as_slice() {
        [one] => one.line().into_bytes(),
        [] => json_body(&json!({
            "v": crate::event::SCHEMA_VERSION,
            "type": "test",
            "title": m.title,
            "text": m.lines.join("\n"),
        })),
        events => {
            let listed: Vec<Value> = events
                .iter()
                .filter_map(|q| serde_json::from_str(&q.line()).ok())
                .collect();
            json_body(&json!({
                "v": crate::event::SCHEMA_VERSION,
                "type": "digest",
                "title": m.title,
                "count": listed.len(),
                "events": listed,
            }))
        }
    }
}

/// `sha256=<hex>` of the body under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes a key of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", hex::encode(bytes))
}

/// Shapes `m` for `kind`.
pub fn shape(kind: &NotifyKind, m: &Message) -> Outgoing {
    let json = |url: &str, v: Value| Outgoing::Http {
        put: false,
        url: url.to_string(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: json_body(&v),
    };
    match kind {
        NotifyKind::Webhook {
            url,
            secret,
            headers,
        } => {
            let body = webhook_body(m);
            let mut hs = vec![("Content-Type".to_string(), "application/json".to_string())];
            hs.extend(headers.iter().cloned());
            if let Some(secret) = secret {
                hs.push(("X-Watchfloor-Signature".into(), signature(secret, &body)));
            }
            Outgoing::Http {
                put: false,
                url: url.clone(),
                headers: hs,
                body,
            }
        }
        NotifyKind::Slack { url } => {
            let mut text = format!("*{}*", slack_escape(&m.title));
            for l in &m.lines {
                text.push('\n');
                text.push_str(&slack_escape(l));
            }
            if let Some(link) = link_ok(&m.link) {
                text.push_str(&format!("\n<{}|Open the source>", slack_escape(link)));
            }
            json(
                url,
                json!({
                    "text": cap(&text, BODY_CHARS),
                    "unfurl_links": false,
                    "unfurl_media": false,
                }),
            )
        }
        NotifyKind::Discord { url } => {
            let mut embed = json!({
                "title": cap(&m.title, 256),
                "description": cap(
                    &m.lines.iter().map(|l| discord_escape(l)).collect::<Vec<_>>().join("\n"),
                    BODY_CHARS,
                ),
                "color": colour(m.severity),
            });
            if let Some(link) = link_ok(&m.link) {
                embed["url"] = json!(link);
            }
            json(
                url,
                json!({
                    "content": cap(&discord_escape(&m.title), 1900),
                    "embeds": [embed],
                    "allowed_mentions": { "parse": [] },
                }),
            )
        }
        NotifyKind::Teams { url } => {
            let mut body = vec![json!({
                "type": "TextBlock", "text": cap(&m.title, 300), "weight": "Bolder",
                "size": "Medium", "wrap": true,
            })];
            for l in &m.lines {
                body.push(json!({ "type": "TextBlock", "text": cap(l, 1000), "wrap": true }));
            }
            let mut card = json!({
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            });
            if let Some(link) = link_ok(&m.link) {
                card["actions"] =
                    json!([{ "type": "Action.OpenUrl", "title": "Open the source", "url": link }]);
            }
            json(
                url,
                json!({
                    "type": "message",
                    "attachments": [{
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "contentUrl": null,
                        "content": card,
                    }],
                }),
            )
        }
        NotifyKind::Matrix {
            homeserver,
            room,
            token,
        } => {
            let mut html = format!("<strong>{}</strong>", html_escape(&m.title));
            for l in &m.lines {
                html.push_str("<br>");
                html.push_str(&html_escape(l));
            }
            if let Some(link) = link_ok(&m.link) {
                html.push_str(&format!(
                    "<br><a href=\"{}\">Open the source</a>",
                    html_escape::encode_double_quoted_attribute(link)
                ));
            }
            let room: String = url::form_urlencoded::byte_serialize(room.as_bytes()).collect();
            // The transaction id makes a repeat of the same message (a retry after a timeout,
            // a restart) land once.
            let txn: String =
                url::form_urlencoded::byte_serialize(format!("watchfloor-{}", m.key).as_bytes())
                    .collect();
            Outgoing::Http {
                put: true,
                url: format!(
                    "{homeserver}/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
                ),
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Authorization".into(), format!("Bearer {token}")),
                ],
                body: json_body(&json!({
                    "msgtype": "m.text",
                    "body": cap(&m.plain(), BODY_CHARS),
                    "format": "org.matrix.custom.html",
                    "formatted_body": html,
                })),
            }
        }
        NotifyKind::Ntfy { url, token } => {
            // ntfy takes JSON at the server's root, with the topic in the body.
            let (root, topic) = match url.rsplit_once('/') {
                Some((root, topic)) => (root.to_string(), topic.to_string()),
                None => (url.clone(), String::new()),
            };
            let priority = match m.severity {
                Some(Severity::Critical) => 5,
                Some(Severity::High) => 4,
                Some(Severity::Medium) | None => 3,
                Some(Severity::Low) => 2,
                Some(Severity::Info) => 1,
            };
            let mut v = json!({
                "topic": topic,
                "title": cap(&m.title, 250),
                "message": cap(&m.lines.join("\n"), BODY_CHARS),
                "priority": priority,
                "tags": [m.severity.map_or("event", |s| s.as_str())],
            });
            if let Some(link) = link_ok(&m.link) {
                v["click"] = json!(link);
            }
            let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
            if let Some(t) = token {
                headers.push(("Authorization".into(), format!("Bearer {t}")));
            }
            Outgoing::Http {
                put: false,
                url: format!("{root}/"),
                headers,
                body: json_body(&v),
            }
        }
        NotifyKind::Email {
            smtp,
            from,
            to,
            login,
        } => {
            let mut body = m.plain();
            body.push_str("\n\n-- \nSent by watchfloor. Events carried:\n");
            for q in &m.events {
                body.push_str(&q.line());
                body.push('\n');
            }
            Outgoing::Email {
                smtp: smtp.clone(),
                login: login.clone(),
                from: from.clone(),
                to: to.clone(),
                subject: cap(&m.title, 200),
                body,
                key: m.key.clone(),
            }
        }
        NotifyKind::Command { argv } => {
            let mut stdin = Vec::new();
            if m.events.is_empty() {
                stdin.extend_from_slice(&webhook_body(m));
                stdin.push(b'\n');
            }
            for q in &m.events {
                stdin.extend_from_slice(q.line().as_bytes());
                stdin.push(b'\n');
            }
            Outgoing::Command {
                argv: argv.clone(),
                stdin,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn markup_in_feed_text_is_escaped() {
        assert_eq!(slack_escape("<!channel> & co"), "&lt;!channel&gt; &amp; co");
        assert_eq!(discord_escape("@everyone [x](y)"), "\\@everyone \\[x\\](y)");
    }
}
