//! HTTP: one shared reqwest client (rustls, gzip/brotli/deflate, redirect limit, timeouts),
//! conditional GET, a body cap counted on decoded bytes while streaming, Retry-After and
//! Cache-Control, and global and per-host concurrency limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;

use crate::config::units::{fmt_duration, fmt_size};
use crate::config::{FeedConfig, Settings};
use crate::text;

/// Validators from a previous response, for conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
}

/// A successful fetch.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// `None` on 304 Not Modified.
    pub body: Option<bytes::Bytes>,
    /// Validators to send next time.
    pub validators: Validators,
    /// Cache-Control max-age, if the server set one.
    pub max_age: Option<Duration>,
    /// Time taken.
    pub elapsed: Duration,
    /// The poll's place in the queue to the store, taken before the fetch and held until the
    /// poll is stored (dropped with it): it bounds how many parsed polls wait in memory.
    /// `None` for further pages, which ride on their first page's place.
    pub place: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A failed fetch: what went wrong in words, and what the server asked of us.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// One line, safe to show (no URL, no secrets).
    pub message: String,
    /// HTTP status, if a response came.
    pub status: Option<u16>,
    /// Retry-After, on 429 and 503.
    pub retry_after: Option<Duration>,
    /// Time taken.
    pub elapsed: Duration,
}

/// Most redirects followed.
pub const MAX_REDIRECTS: usize = 5;

/// The shared HTTP clients with their limits: one for feeds the operator configured on
/// internal addresses, one that never leaves public addresses (see [`super::guard`]).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    guarded: reqwest::Client,
    scope: super::guard::Scope,
    max_body: u64,
    timeout: Duration,
    global: Arc<Semaphore>,
    /// Places in the queue of fetched polls waiting for the store (see [`Fetched::place`]).
    queue: Arc<Semaphore>,
    /// Told when a fetch takes the queue's last place, so the store stops waiting to batch.
    filled: Arc<tokio::sync::Notify>,
    per_host_limit: usize,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    tokens: Arc<super::auth::Tokens>,
}

impl Fetcher {
    /// Builds the clients from the settings.
    pub fn new(settings: &Settings) -> Result<Self, reqwest::Error> {
        Self::with_classifier(settings, super::guard::default_classifier())
    }

    /// Builds the clients, judging which addresses are public with `classify` (tests set one
    /// that calls a loopback address public).
    pub fn with_classifier(
        settings: &Settings,
        classify: super::guard::Classifier,
    ) -> Result<Self, reqwest::Error> {
        let builder = |guard: Option<super::guard::Classifier>| {
            let mut b = reqwest::Client::builder()
                .user_agent(settings.user_agent.clone())
                .timeout(settings.timeout)
                .connect_timeout(settings.connect_timeout);
            let literal_guard = guard.clone();
            b = b.redirect(reqwest::redirect::Policy::custom(move |attempt| {
                let internal = match (&literal_guard, attempt.url().host()) {
                    (Some(public), Some(url::Host::Ipv4(a))) => !public(std::net::IpAddr::V4(a)),
                    (Some(public), Some(url::Host::Ipv6(a))) => !public(std::net::IpAddr::V6(a)),
                    _ => false,
                };
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                } else if !matches!(attempt.url().scheme(), "http" | "https") {
                    let scheme = attempt.url().scheme().to_string();
                    attempt.error(format!("redirect to unsupported scheme {scheme:?}"))
                } else if internal {
                    let host = attempt.url().host_str().unwrap_or_default().to_string();
                    attempt.error(format!(
                        "redirect to the internal address {host} refused (a public feed may not be taken there)"
                    ))
                } else {
                    attempt.follow()
                }
            }));
            if let Some(classify) = guard {
                b = b.dns_resolver(Arc::new(super::guard::PublicOnly { classify }));
            }
            if let Some(pem) = &settings.ca_pem {
                b = b.tls_certs_merge(reqwest::Certificate::from_pem_bundle(pem)?);
            }
            b.build()
        };
        Ok(Self {
            client: builder(None)?,
            guarded: builder(Some(classify.clone()))?,
            scope: super::guard::Scope::new(classify),
            max_body: settings.max_body,
            timeout: settings.timeout,
            global: Arc::new(Semaphore::new(settings.concurrency)),
            queue: Arc::new(Semaphore::new(Self::queue_len(settings))),
            filled: Arc::default(),
            per_host_limit: settings.per_host,
            hosts: Arc::new(Mutex::new(HashMap::new())),
            tokens: Arc::default(),
        })
    }

    fn host_semaphore(&self, url: &str) -> Arc<Semaphore> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
            })
            .unwrap_or_default();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit)))
            .clone()
    }

    /// How many polls may be between their fetch and the store at once: as many as fetch at
    /// once (so fetches go on while the store commits), within 8 to 128. Twice as many held
    /// a megabyte more on 200 feeds and fetched no faster.
    pub fn queue_len(settings: &crate::config::Settings) -> usize {
        settings.concurrency.clamp(8, 128)
    }

    /// Whether every place in the queue to the store is taken: fetches wait on the store.
    pub fn queue_full(&self) -> bool {
        self.queue.available_permits() == 0
    }

    /// Resolves once a fetch has taken the queue's last place since the last call (at once
    /// when one did before it was called): the store's cue to stop waiting and commit.
    pub async fn queue_filled(&self) {
        self.filled.notified().await;
    }

    /// Fetches a feed, waiting for a per-host slot, then a global one, then a place in the
    /// queue to the store. The host slot comes first: a task queued behind a busy host must
    /// not sit on a global slot that fetches to other hosts could use. The place comes last,
    /// so fetches in progress (at most the global slots) never hold more than half the places.
    pub async fn fetch(
        &self,
        feed: &FeedConfig,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        self.fetch_limited(feed, &feed.url, validators, true).await
    }

    /// Fetches a further page of a feed at `url` (same host as the feed: its headers may hold
    /// a token), unconditionally, within the same limits but on the first page's place.
    pub async fn fetch_page(&self, feed: &FeedConfig, url: &str) -> Result<Fetched, FetchError> {
        self.fetch_limited(feed, url, &Validators::default(), false)
            .await
    }

    async fn fetch_limited(
        &self,
        feed: &FeedConfig,
        url: &str,
        validators: &Validators,
        first_page: bool,
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        // The sign-in happens outside the feed host's slots: the token endpoint is often
        // another host, and feeds sharing credentials wait for one sign-in.
        let mut bearer = match &feed.auth {
            Some(auth) => match self.bearer(auth).await {
                Ok(token) => Some(token),
                Err(message) => {
                    return Err(FetchError {
                        message: redact(&message, &feed.secrets),
                        status: None,
                        retry_after: None,
                        elapsed: started.elapsed(),
                    });
                }
            },
            None => None,
        };
        let host = self.host_semaphore(&feed.url);
        let mut place = None;
        let mut result = {
            let _host = host.acquire().await;
            let _global = self.global.acquire().await;
            if first_page {
                place = self.queue.clone().acquire_owned().await.ok();
                if self.queue_full() {
                    self.filled.notify_one();
                }
            }
            self.fetch_inner(feed, url, validators, bearer.as_deref(), started)
                .await
        };
        // A token the source no longer takes (revoked, expired early): sign in again once.
        if let (
            Some(auth),
            Some(stale),
            Err(FetchError {
                status: Some(401), ..
            }),
        ) = (&feed.auth, &bearer, &result)
        {
            self.tokens.invalidate(auth, stale).await;
            bearer = self.bearer(auth).await.ok();
            if bearer.is_some() {
                let _host = host.acquire().await;
                let _global = self.global.acquire().await;
                result = self
                    .fetch_inner(feed, url, validators, bearer.as_deref(), started)
                    .await;
            }
        }
        result
            .map(|fetched| Fetched { place, ..fetched })
            .map_err(|mut e| {
                e.elapsed = started.elapsed();
                e.message = redact(&e.message, &feed.secrets);
                if let Some(token) = &bearer {
                    e.message = redact(&e.message, std::slice::from_ref(token));
                }
                e
            })
    }

    /// A bearer token for `auth`, through the client its token endpoint calls for.
    async fn bearer(&self, auth: &crate::config::AuthConfig) -> Result<String, String> {
        let client = if self.scope.is_internal(&auth.token_url).await {
            &self.client
        } else {
            &self.guarded
        };
        self.tokens.bearer(auth, client).await
    }

    async fn fetch_inner(
        &self,
        feed: &FeedConfig,
        url: &str,
        validators: &Validators,
        bearer: Option<&str>,
        started: Instant,
    ) -> Result<Fetched, FetchError> {
        let fail = |message: String, status: Option<u16>| FetchError {
            message,
            status,
            retry_after: None,
            elapsed: Duration::ZERO,
        };
        let mut headers = HeaderMap::new();
        for (k, v) in &feed.headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.insert(name, value);
            }
        }
        if let Some(value) = bearer.and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
        {
            let mut value = value;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        if let Some(etag) = validators
            .etag
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = validators
            .last_modified
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_MODIFIED_SINCE, lm);
        }
        // A feed configured on an internal address is fetched as written; any other may never
        // be taken to one.
        let client = if self.scope.is_internal(&feed.url).await {
            &self.client
        } else {
            &self.guarded
        };
        let mut resp = client
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| fail(self.describe(&e, url), None))?;
        let status = resp.status();
        let code = status.as_u16();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched {
                status: code,
                body: None,
                validators: validators.clone(),
                max_age: max_age(resp.headers()),
                elapsed: started.elapsed(),
                place: None,
            });
        }
        if status.is_redirection() {
            // Redirects the policy would not follow (to another scheme) arrive here.
            let to = header_text(resp.headers(), header::LOCATION).unwrap_or_default();
            return Err(fail(
                format!(
                    "HTTP {code}: redirect to {:?} not followed (http and https only)",
                    text::clean(&to, 100)
                ),
                Some(code),
            ));
        }
        if !status.is_success() {
            let retry_after = if matches!(code, 429 | 503) {
                retry_after(resp.headers())
            } else {
                None
            };
            let mut message = format!("HTTP {code} {}", status.canonical_reason().unwrap_or(""));
            if let Some(r) = retry_after {
                message.push_str(&format!(" (retry after {})", fmt_duration(r)));
            }
            return Err(FetchError {
                message: message.trim().to_string(),
                status: Some(code),
                retry_after,
                elapsed: Duration::ZERO,
            });
        }
        if let Some(len) = resp.content_length()
            && len > self.max_body
            && resp.headers().get(header::CONTENT_ENCODING).is_none()
        {
            return Err(fail(
                format!(
                    "body exceeds {} cap (Content-Length {})",
                    fmt_size(self.max_body),
                    fmt_size(len)
                ),
                Some(code),
            ));
        }
        let new_validators = Validators {
            etag: header_text(resp.headers(), header::ETAG),
            last_modified: header_text(resp.headers(), header::LAST_MODIFIED),
        };
        let age = max_age(resp.headers());
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > self.max_body {
                        return Err(fail(
                            format!("body exceeds {} cap", fmt_size(self.max_body)),
                            Some(code),
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(fail(self.describe(&e, &feed.url), Some(code))),
            }
        }
        Ok(Fetched {
            status: code,
            body: Some(body.into()),
            validators: new_validators,
            max_age: age,
            elapsed: started.elapsed(),
            place: None,
        })
    }

    fn describe(&self, e: &reqwest::Error, url: &str) -> String {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(|h| text::clean(h, 200)))
            .unwrap_or_else(|| "the server".into());
        let causes = causes(e);
        let innermost = causes
            .last()
            .cloned()
            .unwrap_or_else(|| "unknown error".into());
        if e.is_timeout() {
            return format!("timed out after {}", fmt_duration(self.timeout));
        }
        if e.is_redirect() {
            return format!("redirect failed: {innermost}");
        }
        if causes
            .iter()
            .any(|c| c.contains("connection closed before message completed"))
        {
            return format!("connection to {host} closed before the response was complete");
        }
        if e.is_connect() {
            if causes.iter().any(|c| c.contains("dns error")) {
                return format!("DNS lookup for {host} failed: {innermost}");
            }
            return format!("connection to {host} failed: {innermost}");
        }
        if e.is_decode() || e.is_body() {
            return format!("response body could not be read: {}", causes.join(": "));
        }
        format!("request failed: {}", causes.join(": "))
    }
}

/// The error's causes, outermost first, each sanitised, without reqwest's own message (which
/// names the URL, and a URL may hold a secret).
fn causes(e: &reqwest::Error) -> Vec<String> {
    use std::error::Error;
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn Error> = e.source();
    while let Some(s) = cur {
        let t = text::clean(&s.to_string(), 200);
        if !t.is_empty() && !parts.contains(&t) {
            parts.push(t);
        }
        cur = s.source();
    }
    if parts.is_empty() {
        parts.push(if e.is_builder() {
            "invalid request".into()
        } else {
            "unknown error".into()
        });
    }
    parts
}

/// Replaces every secret in a message with `***`.
pub fn redact(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s.as_str(), "***");
    }
    out
}

fn header_text(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| text::clean(s, 300))
        .filter(|s| !s.is_empty())
}

/// Longest wait we accept from a server.
const MAX_SERVER_DELAY: Duration = Duration::from_secs(24 * 3600);

fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = h
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .to_string();
    let d = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let when = chrono::DateTime::parse_from_rfc2822(&v).ok()?;
            (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(d.min(MAX_SERVER_DELAY))
}

fn max_age(h: &HeaderMap) -> Option<Duration> {
    let cc = h.get(header::CACHE_CONTROL)?.to_str().ok()?;
    cc.split(',').find_map(|d| {
        let secs: u64 = d
            .trim()
            .strip_prefix("max-age=")?
            .trim_matches('"')
            .parse()
            .ok()?;
        Some(Duration::from_secs(secs).min(MAX_SERVER_DELAY))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_both_forms() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        let future = (chrono::Utc::now() + chrono::Duration::seconds(300)).to_rfc2822();
        h.insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&future).expect("valid header"),
        );
        let d = retry_after(&h).expect("date form parses");
        assert!(
            d > Duration::from_secs(290) && d <= Duration::from_secs(300),
            "{d:?}"
        );
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact("bad key abc123 here", &["abc123".into()]),
            "bad key *** here"
        );
    }
}
