//! Makes one delivery attempt: an HTTP request, or a program run with a time limit. Errors are
//! one line, name what went wrong, and never carry the URL or a secret.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::shape::Outgoing;
use crate::text;

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// One line, safe to show.
    pub message: String,
    /// What the service asked for (429, 503 with Retry-After).
    pub retry_after: Option<Duration>,
}

impl SendError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry_after: None,
        }
    }
}

/// What notifications go out through: one HTTP client (the settings' user agent, proxies and
/// certificate authorities; no redirects: a webhook that moved should be reconfigured, not
/// followed with its payload), and the extra certificate authorities for SMTP.
#[derive(Clone)]
pub struct Clients {
    http: reqwest::Client,
    ca_pem: Option<std::sync::Arc<Vec<u8>>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clients")
    }
}

/// Builds the [`Clients`] from the settings.
pub fn clients(settings: &crate::config::Settings) -> Result<Clients, reqwest::Error> {
    let mut b = reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .connect_timeout(settings.connect_timeout)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &settings.ca_pem {
        b = b.tls_certs_merge(reqwest::Certificate::from_pem_bundle(pem)?);
    }
    Ok(Clients {
        http: b.build()?,
        ca_pem: settings.ca_pem.clone().map(std::sync::Arc::new),
    })
}

/// Makes one attempt within `timeout`.
pub async fn send(clients: &Clients, out: &Outgoing, timeout: Duration) -> Result<(), SendError> {
    match out {
        Outgoing::Http {
            put,
            url,
            headers,
            body,
        } => http(&clients.http, *put, url, headers, body, timeout).await,
        Outgoing::Email { .. } => {
            match tokio::time::timeout(timeout, email(clients, out, timeout)).await {
                Ok(r) => r,
                Err(_) => Err(SendError::new(format!(
                    "the mail server did not finish within {}",
                    crate::config::units::fmt_duration(timeout)
                ))),
            }
        }
        Outgoing::Command { argv, stdin } => command(argv, stdin, timeout).await,
    }
}

async fn http(
    client: &reqwest::Client,
    put: bool,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<(), SendError> {
    let mut req = if put {
        client.put(url)
    } else {
        client.post(url)
    };
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req
        .timeout(timeout)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| SendError::new(describe(&e)))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let code = status.as_u16();
    let retry_after = if matches!(code, 429 | 503) {
        resp.headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after)
    } else {
        None
    };
    // The service's own words help most ("invalid_token", "channel_not_found").
    let said = match tokio::time::timeout(Duration::from_secs(5), resp.bytes()).await {
        Ok(Ok(b)) => text::html_to_text(&String::from_utf8_lossy(&b[..b.len().min(2000)]), 160),
        _ => String::new(),
    };
    let mut message = format!("HTTP {code} {}", status.canonical_reason().unwrap_or(""))
        .trim()
        .to_string();
    if !said.is_empty() {
        message.push_str(&format!(": {said}"));
    }
    Err(SendError {
        message,
        retry_after,
    })
}

fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(
        wait.to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(3600)),
    )
}

fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (not followed)"
    } else {
        "request failed"
    };
    // The innermost cause names the problem (refused, DNS, certificate); the URL is left out.
    let mut cause = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    match cause {
        Some(c) => format!("{what}: {}", text::clean(&c, 160)),
        None => what.to_string(),
    }
}

async fn email(clients: &Clients, out: &Outgoing, timeout: Duration) -> Result<(), SendError> {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Mail, Tokio1Executor};

    let Outgoing::Email {
        smtp,
        login,
        from,
        to,
        subject,
        body,
        key,
    } = out
    else {
        return Err(SendError::new("not a mail"));
    };
    let bad = |e: &dyn std::fmt::Display| SendError::new(text::clean(&e.to_string(), 200));
    let from_box: lettre::message::Mailbox = from.parse().map_err(|e| bad(&e))?;
    let domain = from_box.email.domain().to_string();
    let mut mail = Mail::builder()
        .from(from_box)
        .subject(subject.clone())
        .message_id(Some(format!("<watchfloor-{key}@{domain}>")));
    for t in to {
        mail = mail.to(t.parse().map_err(|e| bad(&e))?);
    }
    let mail = mail
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.clone())
        .map_err(|e| bad(&e))?;
    let tls = || -> Result<TlsParameters, SendError> {
        let mut b = TlsParameters::builder(smtp.host.clone());
        if let Some(pem) = &clients.ca_pem {
            b = b.add_root_certificate(Certificate::from_pem(pem).map_err(|e| bad(&e))?);
        }
        b.build().map_err(|e| bad(&e))
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .timeout(Some(timeout))
        .tls(match smtp.tls {
            crate::config::SmtpTls::StartTls => Tls::Required(tls()?),
            crate::config::SmtpTls::Implicit => Tls::Wrapper(tls()?),
            crate::config::SmtpTls::None => Tls::None,
        });
    if let Some((user, pass)) = login {
        transport = transport.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    transport.build().send(mail).await.map(drop).map_err(|e| {
        // The server's own reply says most ("550 mailbox unavailable").
        let mut message = if e.is_permanent() {
            "refused by the mail server".to_string()
        } else if e.is_transient() {
            "the mail server asked to try later".to_string()
        } else {
            "mail not sent".to_string()
        };
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        message.push_str(&format!(": {}", text::clean(&detail, 200)));
        SendError::new(message)
    })
}

async fn command(argv: &[String], stdin: &[u8], timeout: Duration) -> Result<(), SendError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(SendError::new("no program to run"));
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SendError::new(format!("could not start {program}: {e}")))?;
    let run = async {
        if let Some(mut input) = child.stdin.take() {
            // A program that exits without reading its input is its own business.
            let _ = input.write_all(stdin).await;
            drop(input);
        }
        let mut err = Vec::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = (&mut e).take(4096).read_to_end(&mut err).await;
        }
        let status = child.wait().await;
        (status, err)
    };
    match tokio::time::timeout(timeout, run).await {
        Err(_) => Err(SendError::new(format!(
            "{program} did not finish within {} and was stopped",
            crate::config::units::fmt_duration(timeout)
        ))),
        Ok((Err(e), _)) => Err(SendError::new(format!("waiting for {program}: {e}"))),
        Ok((Ok(status), _)) if status.success() => Ok(()),
        Ok((Ok(status), err)) => {
            let said = text::clean(
                String::from_utf8_lossy(&err).lines().next().unwrap_or(""),
                160,
            );
            let how = match status.code() {
                Some(c) => format!("exited with status {c}"),
                None => "was killed by a signal".to_string(),
            };
            Err(SendError::new(if said.is_empty() {
                format!("{program} {how}")
            } else {
                format!("{program} {how}: {said}")
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_capped() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("99999"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
