//! Where a fetch may go. A feed the operator configured on a loopback, private or link-local
//! address (or a name that resolves only to such addresses) is the operator's choice and is
//! fetched as written. Every other feed is public, and neither a redirect nor a DNS answer
//! may take its fetch to a non-public address: a hostile feed must not make the collector
//! reach internal services. The check happens when the connection is made, on the address
//! connected to, so a name that resolves to a public address when looked at and to an
//! internal one a moment later (DNS rebinding) is caught too.
//!
//! Through a proxy (`HTTPS_PROXY`), the proxy resolves and connects: guarding is then its job.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Says whether an address is public (reachable on the internet, not internal).
pub type Classifier = Arc<dyn Fn(IpAddr) -> bool + Send + Sync>;

/// The default [`Classifier`]: not loopback, private, link-local, shared (carrier-grade NAT),
/// unique-local, unspecified, multicast or broadcast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [b0, b1, ..] = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || b0 == 0
                || (b0 == 100 && (64..128).contains(&b1)))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = a.segments()[0];
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The default classifier as a [`Classifier`].
pub fn default_classifier() -> Classifier {
    Arc::new(is_public)
}

/// A resolver that keeps only public addresses, and fails (naming the name) when none is left.
pub struct PublicOnly {
    /// What counts as public.
    pub classify: Classifier,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let classify = self.classify.clone();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                all.iter().copied().filter(|a| classify(a.ip())).collect();
            if public.is_empty() {
                let shown: Vec<String> = all.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{} resolves only to internal addresses ({}); a public feed may not be taken there",
                    crate::text::clean(&host, 100),
                    shown.join(", ")
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Which configured hosts are internal (the operator's choice), remembered per host.
#[derive(Clone)]
pub struct Scope {
    classify: Classifier,
    known: Arc<Mutex<HashMap<String, bool>>>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

impl Scope {
    /// A scope judging addresses with `classify`.
    pub fn new(classify: Classifier) -> Self {
        Self {
            classify,
            known: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The classifier.
    pub fn classifier(&self) -> Classifier {
        self.classify.clone()
    }

    /// Whether a feed configured with `url` is internal: its host is a non-public address,
    /// `localhost`, or a name that resolves only to non-public addresses. A name that does not
    /// resolve counts as public (the guarded fetch then fails with the DNS error).
    pub async fn is_internal(&self, url: &str) -> bool {
        let Ok(u) = url::Url::parse(url) else {
            return false;
        };
        match u.host() {
            Some(url::Host::Ipv4(a)) => !(self.classify)(IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => !(self.classify)(IpAddr::V6(a)),
            Some(url::Host::Domain(d)) => {
                let d = d.to_ascii_lowercase();
                if d == "localhost" || d.ends_with(".localhost") {
                    return true;
                }
                if let Some(known) = self.known.lock().ok().and_then(|k| k.get(&d).copied()) {
                    return known;
                }
                let port = u.port_or_known_default().unwrap_or(443);
                let internal = match tokio::net::lookup_host((d.as_str(), port)).await {
                    Ok(addrs) => {
                        let addrs: Vec<SocketAddr> = addrs.collect();
                        !addrs.is_empty() && addrs.iter().all(|a| !(self.classify)(a.ip()))
                    }
                    Err(_) => return false,
                };
                if let Ok(mut k) = self.known.lock() {
                    k.insert(d, internal);
                }
                internal
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_told_apart() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "8.8.8.8",
            "151.101.1.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
