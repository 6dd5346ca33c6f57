//! OAuth 2.0 bearer tokens for feeds with `[feeds.auth]`: one sign-in per set of credentials,
//! shared by every feed that uses it, renewed before it expires (with the refresh token when
//! the endpoint gave one, else by signing in again), and dropped when the source answers 401.
//!
//! The exchange is one form POST (RFC 6749 sections 4.3, 4.4 and 6), sent through the same
//! guarded client, limits and certificate authorities as the feeds themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::config::{AuthConfig, Grant};
use crate::text;

/// Largest token response read.
const MAX_TOKEN_BODY: usize = 64 * 1024;

/// A token is renewed when less than this share of its lifetime is left...
const RENEW_FRACTION: u32 = 10;
/// ...or less than this, whichever is longer.
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// A token in hand.
struct Token {
    access: String,
    refresh: Option<String>,
    /// When to renew it (`None`: the endpoint gave no lifetime; keep it until a 401).
    renew_at: Option<Instant>,
}

/// The tokens the collector holds, keyed by the credentials that got them.
#[derive(Default)]
pub struct Tokens {
    slots: Mutex<HashMap<AuthConfig, Arc<tokio::sync::Mutex<Option<Token>>>>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens")
    }
}

/// The fields of a token endpoint's answer that matter here.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Tokens {
    fn slot(&self, auth: &AuthConfig) -> Arc<tokio::sync::Mutex<Option<Token>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(auth.clone()).or_default().clone()
    }

    /// A token to send, signing in or renewing first when needed. Feeds sharing credentials
    /// wait for one sign-in rather than each making their own.
    pub async fn bearer(
        &self,
        auth: &AuthConfig,
        client: &reqwest::Client,
    ) -> Result<String, String> {
        let slot = self.slot(auth);
        let mut held = slot.lock().await;
        let now = Instant::now();
        if let Some(t) = held.as_ref()
            && t.renew_at.is_none_or(|at| now < at)
        {
            return Ok(t.access.clone());
        }
        let refresh = held.as_ref().and_then(|t| t.refresh.clone());
        let mut fresh = None;
        if let Some(refresh) = refresh {
            let form = refresh_form(auth, &refresh);
            // A refused refresh token is no failure yet: the credentials may still sign in.
            fresh = request(auth, client, &form).await.ok();
        }
        let token = match fresh {
            Some(t) => t,
            None => request(auth, client, &grant_form(auth)).await?,
        };
        let access = token.access.clone();
        *held = Some(token);
        Ok(access)
    }

    /// Forgets `stale` (the source refused it), so the next call signs in again.
    pub async fn invalidate(&self, auth: &AuthConfig, stale: &str) {
        let slot = self.slot(auth);
        let mut held = slot.lock().await;
        if held.as_ref().is_some_and(|t| t.access == stale) {
            // Keep the refresh token: renewing with it is cheaper than a new sign-in.
            if let Some(t) = held.as_mut() {
                t.renew_at = Some(Instant::now());
            }
        }
    }
}

fn grant_form(auth: &AuthConfig) -> Vec<(&'static str, String)> {
    let mut form = vec![("grant_type", auth.grant.name().to_string())];
    if let Grant::Password { username, password } = &auth.grant {
        form.push(("username", username.clone()));
        form.push(("password", password.clone()));
    }
    client_fields(auth, &mut form);
    if let Some(scope) = &auth.scope {
        form.push(("scope", scope.clone()));
    }
    form
}

fn refresh_form(auth: &AuthConfig, refresh: &str) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh.to_string()),
    ];
    client_fields(auth, &mut form);
    form
}

fn client_fields(auth: &AuthConfig, form: &mut Vec<(&'static str, String)>) {
    if let Some(id) = &auth.client_id {
        form.push(("client_id", id.clone()));
    }
    if let Some(secret) = &auth.client_secret {
        form.push(("client_secret", secret.clone()));
    }
}

/// Where the token endpoint is, for messages: its host only.
fn endpoint(auth: &AuthConfig) -> String {
    url::Url::parse(&auth.token_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "the token endpoint".into())
}

async fn request(
    auth: &AuthConfig,
    client: &reqwest::Client,
    form: &[(&'static str, String)],
) -> Result<Token, String> {
    let at = endpoint(auth);
    let started = Instant::now();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let mut resp = client
        .post(&auth.token_url)
        .header(reqwest::header::ACCEPT, "application/json")
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await
        .map_err(|e| format!("sign-in at {at} failed: {}", short_error(&e)))?;
    let status = resp.status();
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("sign-in at {at} failed: {}", short_error(&e)))?
    {
        if body.len() + chunk.len() > MAX_TOKEN_BODY {
            return Err(format!("sign-in at {at}: answer larger than 64 KiB"));
        }
        body.extend_from_slice(&chunk);
    }
    let parsed: Option<TokenResponse> = serde_json::from_slice(&body).ok();
    let reason = parsed
        .as_ref()
        .map(|r| {
            [r.error.as_deref(), r.error_description.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ")
        })
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    let reason = text::html_to_text(&reason, 160);
    if !status.is_success() {
        let code = status.as_u16();
        return Err(if reason.is_empty() {
            format!("sign-in at {at} refused: HTTP {code}")
        } else {
            format!("sign-in at {at} refused: HTTP {code}: {reason}")
        });
    }
    let Some(r) = parsed else {
        return Err(format!(
            "sign-in at {at}: the answer is not a JSON token response"
        ));
    };
    let Some(access) = r.access_token.filter(|t| !t.is_empty()) else {
        return Err(format!("sign-in at {at}: the answer has no access_token"));
    };
    let lifetime = r.expires_in.as_ref().and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let renew_at = lifetime.filter(|s| s.is_finite() && *s > 0.0).map(|s| {
        let life = Duration::from_secs_f64(s.min(1e9));
        let margin = (life / RENEW_FRACTION).max(RENEW_MARGIN).min(life);
        started + (life - margin)
    });
    Ok(Token {
        access,
        refresh: r.refresh_token.filter(|t| !t.is_empty()),
        renew_at,
    })
}

fn short_error(e: &reqwest::Error) -> String {
    let mut message = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    if let Some(s) = source.take() {
        message.push_str(&format!(" ({})", text::clean(&s.to_string(), 120)));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acled() -> AuthConfig {
        AuthConfig {
            token_url: "https://acleddata.com/oauth/token".into(),
            grant: Grant::Password {
                username: "desk@example.org".into(),
                password: "pw".into(),
            },
            client_id: Some("acled".into()),
            client_secret: None,
            scope: Some("authenticated".into()),
        }
    }

    #[test]
    fn forms_follow_the_grant() {
        let form = grant_form(&acled());
        let names: Vec<_> = form.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            ["grant_type", "username", "password", "client_id", "scope"]
        );
        assert_eq!(form[0].1, "password");
        let refresh = refresh_form(&acled(), "r1");
        assert_eq!(refresh[0].1, "refresh_token");
        assert_eq!(refresh[1].1, "r1");
        assert!(!refresh.iter().any(|(k, _)| *k == "password"));
    }

    #[test]
    fn debug_hides_credentials() {
        let shown = format!("{:?}", acled());
        assert!(!shown.contains("pw") && !shown.contains("desk@"), "{shown}");
    }
}
