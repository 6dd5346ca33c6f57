//! Email notifications through a loopback SMTP server that speaks STARTTLS with a certificate
//! from a private certificate authority (trusted through `settings.ca_file`), and asks for a
//! sign-in: every alert arrives as a mail, the password never shows, and a server that cannot
//! encrypt is refused rather than sent the mail in the clear.

use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::support;

/// A mail the server accepted.
#[derive(Debug, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
    login: String,
    encrypted: bool,
}

#[derive(Default)]
struct Inbox {
    mails: Mutex<Vec<Mail>>,
}

enum Next {
    Done,
    StartTls,
}

/// One SMTP session on `stream` until QUIT or STARTTLS.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    encrypted: bool,
    offer_tls: bool,
    inbox: &Inbox,
) -> Next {
    let mut from = String::new();
    let mut to = Vec::new();
    let mut login = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return Next::Done;
        }
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            if encrypted {
                "250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n".into()
            } else if offer_tls {
                "250-test.local\r\n250 STARTTLS\r\n".into()
            } else {
                "250-test.local\r\n250 8BITMIME\r\n".into()
            }
        } else if upper.starts_with("STARTTLS") && offer_tls && !encrypted {
            let _ = stream.write_all(b"220 go ahead\r\n").await;
            let _ = stream.flush().await;
            return Next::StartTls;
        } else if upper.starts_with("AUTH PLAIN") {
            let b64 = line[10..].trim();
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            login = String::from_utf8_lossy(&raw).replace('\0', "|");
            if login == "|desk-mailer|mail-pw-456" {
                "235 2.7.0 accepted\r\n".into()
            } else {
                "535 5.7.8 bad credentials\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_string();
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_string());
            "250 ok\r\n".into()
        } else if upper.starts_with("DATA") {
            let _ = stream.write_all(b"354 go on\r\n").await;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if stream.read_line(&mut l).await.unwrap_or(0) == 0 {
                    return Next::Done;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            inbox.mails.lock().unwrap().push(Mail {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
                login: login.clone(),
                encrypted,
            });
            "250 queued\r\n".into()
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            "250 ok\r\n".into()
        } else if upper.starts_with("QUIT") {
            let _ = stream.write_all(b"221 bye\r\n").await;
            return Next::Done;
        } else {
            "502 unknown\r\n".into()
        };
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return Next::Done;
        }
        let _ = stream.flush().await;
    }
}

async fn smtp_server(offer_tls: bool) -> (u16, Arc<Inbox>, String) {
    let (ca_pem, cert, key) = crate::private_ca::private_ca();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Inbox::default());
    let served = inbox.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let inbox = served.clone();
            tokio::spawn(async move {
                let mut plain = BufReader::new(tcp);
                if plain.write_all(b"220 test.local ESMTP\r\n").await.is_err() {
                    return;
                }
                if let Next::StartTls = session(&mut plain, false, offer_tls, &inbox).await {
                    let Ok(tls) = acceptor.accept(plain.into_inner()).await else {
                        return;
                    };
                    let mut tls = BufReader::new(tls);
                    session(&mut tls, true, true, &inbox).await;
                }
            });
        }
    });
    (port, inbox, ca_pem)
}

fn config(
    dir: &std::path::Path,
    feeds: &support::TestServer,
    port: u16,
    ca: &str,
) -> std::path::PathBuf {
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca).unwrap();
    let base = support::config_text(
        feeds,
        &format!(
            r#"
[[notify]]
id = "desk-email"
kind = "email"
url = "smtp://localhost:{port}"
from = "watchfloor <watchfloor@desk.example.org>"
to = ["duty-officer@desk.example.org", "Night Desk <night@desk.example.org>"]
username = "desk-mailer"
password = "${{SMTP_PASSWORD}}"
min_severity = "critical"
events = ["alert"]
per_minute = 600
timeout = "5s"
"#
        ),
    );
    // ca_file belongs in [settings], which the fixture config opens first.
    let text = base.replacen(
        "[settings]\n",
        &format!("[settings]\nca_file = \"{}\"\n", ca_path.display()),
        1,
    );
    support::write_config(dir, &text)
}

fn run(cfg: &std::path::Path, data: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_watchfloor"))
        .args(["headless", "--once", "--config"])
        .arg(cfg)
        .arg("--data")
        .arg(data)
        .env("SMTP_PASSWORD", "mail-pw-456")
        .output()
        .unwrap()
}

/// Undoes quoted-printable (soft line breaks and `=XX`), as a mail reader would.
fn quoted_printable(data: &str) -> String {
    let joined = data.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn critical_alerts_arrive_as_mail_over_starttls() {
    let feeds = support::start().await;
    let (port, inbox, ca) = smtp_server(true).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &feeds, port, &ca);
    let data = dir.path().join("data");
    let out = tokio::task::spawn_blocking(move || run(&cfg, &data))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let critical: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "alert" && e["severity"] == "critical")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!critical.is_empty());
    let mails = inbox.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), critical.len(), "{stderr}");
    for (mail, id) in mails.iter().zip(&critical) {
        assert!(mail.encrypted, "sent only after STARTTLS");
        assert_eq!(mail.login, "|desk-mailer|mail-pw-456");
        assert_eq!(mail.from, "<watchfloor@desk.example.org>");
        assert_eq!(
            mail.to,
            [
                "<duty-officer@desk.example.org>",
                "<night@desk.example.org>"
            ]
        );
        assert!(mail.data.contains("Subject: CRITICAL"), "{}", mail.data);
        assert!(
            mail.data.contains("Message-ID: <watchfloor-"),
            "{}",
            mail.data
        );
        let body = quoted_printable(&mail.data);
        assert!(
            body.contains(id.as_str()),
            "the mail carries its alert: {body}"
        );
        assert!(
            body.starts_with("CRITICAL · ") || body.contains("\r\n\r\nCRITICAL · "),
            "{body}"
        );
    }
    assert!(!stderr.contains("mail-pw-456"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("mail-pw-456"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_starttls_gets_no_mail() {
    let feeds = support::start().await;
    let (port, inbox, ca) = smtp_server(false).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &feeds, port, &ca);
    let data = dir.path().join("data");
    let out = tokio::task::spawn_blocking(move || run(&cfg, &data))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(inbox.mails.lock().unwrap().is_empty());
    assert!(
        stderr.contains("notify desk-email") && stderr.contains("not delivered"),
        "{stderr}"
    );
    assert!(!stderr.contains("mail-pw-456"));
}
