//! [`Item`]: one entry of a feed, sanitised, with watchfloor's own stable key.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::geo::CountryCode;

/// One feed entry, as the engine sees it. Every string is sanitised plain text.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// The feed it came from.
    pub feed: String,
    /// Stable key within the feed: `id:<guid>`, else `link:<canonical link>`, else
    /// `hash:<digest of title and text>`.
    pub key: String,
    /// Title.
    pub title: String,
    /// Link (http/https only).
    pub url: Option<String>,
    /// Summary or body, plain text.
    pub summary: String,
    /// Publication time, clamped to at most a small skew into the future.
    pub published: Option<DateTime<Utc>>,
    /// Countries the source itself states (feed-level country, JSON pointer, XML element).
    pub countries: Vec<CountryCode>,
    /// Named numbers for threshold rules.
    pub values: Vec<(String, f64)>,
}

/// How far in the future a date may be before it is clamped to now.
pub const FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(10);

impl Item {
    /// Identity across feeds: the canonical link, else the guid, else the content digest.
    pub fn identity(&self) -> String {
        match &self.url {
            Some(u) => format!("link:{}", canonical_link(u)),
            None => self.key.clone(),
        }
    }

    /// [`Item::identity`] as a 64-bit digest, the form the store indexes.
    pub fn identity_digest(&self) -> i64 {
        digest64(self.identity().as_bytes())
    }

    /// A digest of everything a rule can see, to tell a revision from a repeat: the store
    /// keeps its first 8 bytes as a blob (schema 4 on) or its first 16 as hex (before).
    pub fn content_digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.title.as_bytes());
        h.update([0]);
        h.update(self.summary.as_bytes());
        h.update([0]);
        for c in &self.countries {
            h.update(c.as_str().as_bytes());
        }
        for (k, v) in &self.values {
            h.update(k.as_bytes());
            h.update(v.to_le_bytes());
        }
        h.finalize().into()
    }

    /// When the item happened as far as windows are concerned: published, else first seen.
    pub fn event_time(&self, seen: DateTime<Utc>) -> DateTime<Utc> {
        self.published.map_or(seen, |p| p.min(seen))
    }
}

/// Builds an item key from what the source gave.
pub fn item_key(guid: Option<&str>, link: Option<&str>, title: &str, summary: &str) -> String {
    if let Some(g) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("id:{g}");
    }
    if let Some(l) = link.map(str::trim).filter(|l| !l.is_empty()) {
        return format!("link:{}", canonical_link(l));
    }
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update([0]);
    h.update(summary.as_bytes());
    format!("hash:{}", hex16(&h.finalize()))
}

/// Clamps a date that lies in the future beyond [`FUTURE_SKEW`] to `now`.
pub fn clamp_date(d: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    d.map(|d| if d > now + FUTURE_SKEW { now } else { d })
}

/// The first 8 bytes of the SHA-256 of `bytes`, as a signed integer (SQLite's integer type).
pub fn digest64(bytes: &[u8]) -> i64 {
    first8(&Sha256::digest(bytes))
}

/// The first 8 bytes of a digest as a signed integer.
fn first8(digest: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(b)
}

/// The first 16 bytes of a digest as hex.
pub fn hex16(bytes: &[u8]) -> String {
    hex::encode(&bytes[..bytes.len().min(16)])
}

const TRACKING: &[&str] = &[
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc",
    "_hsmi", "ref", "ref_src", "cmpid", "ocid", "smid", "sr_share",
];

/// A link with tracking parameters and fragments removed, scheme and host normalised, so the
/// same story reached through different campaign links compares equal.
pub fn canonical_link(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw.trim()) else {
        return raw.trim().to_string();
    };
    // Each setter writes the URL out again: most links need none of them.
    if u.fragment().is_some() {
        u.set_fragment(None);
    }
    if u.scheme() == "http" {
        let _ = u.set_scheme("https");
    }
    if let Some(host) = u
        .host_str()
        .filter(|h| h.starts_with("www."))
        .map(|h| h.trim_start_matches("www.").to_string())
    {
        let _ = u.set_host(Some(&host));
    }
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !(k.starts_with("utm_") || TRACKING.contains(&k.as_str()))
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    if u.path().len() > 1 && u.path().ends_with('/') {
        let trimmed = u.path().trim_end_matches('/').to_string();
        u.set_path(&trimmed);
    }
    u.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex16_writes_the_first_sixteen_bytes_in_lower_case() {
        assert_eq!(hex16(&[0x00, 0xab, 0x0f, 0xf0]), "00ab0ff0");
        assert_eq!(hex16(&[0x11; 20]), "11".repeat(16));
    }

    #[test]
    fn canonical_links_drop_tracking() {
        assert_eq!(
            canonical_link("http://www.example.org/a/b/?utm_source=x&id=3&fbclid=y#top"),
            "https://example.org/a/b?id=3"
        );
        assert_eq!(
            canonical_link("https://example.org/"),
            "https://example.org/"
        );
        assert_eq!(canonical_link("not a url"), "not a url");
        // An empty query or fragment goes; a kept query is written out in one encoding.
        assert_eq!(
            canonical_link("https://example.org/a?#"),
            "https://example.org/a"
        );
        assert_eq!(
            canonical_link("https://example.org/a?q=a%20b&utm_medium=m"),
            "https://example.org/a?q=a+b"
        );
        assert_eq!(
            canonical_link("https://example.org/a?q=a%20b"),
            "https://example.org/a?q=a+b"
        );
        assert_eq!(
            canonical_link("https://www.www.example.org/a"),
            "https://example.org/a"
        );
        assert_eq!(
            canonical_link("https://example.org/a/b"),
            "https://example.org/a/b"
        );
    }

    #[test]
    fn keys_fall_back_in_order() {
        assert_eq!(
            item_key(Some(" EQ1 "), Some("https://x.org"), "t", "s"),
            "id:EQ1"
        );
        assert_eq!(
            item_key(None, Some("https://x.org/a?utm_medium=m"), "t", "s"),
            "link:https://x.org/a"
        );
        let h = item_key(Some(""), None, "t", "s");
        assert!(h.starts_with("hash:") && h.len() == 37, "{h}");
        assert_eq!(h, item_key(None, Some(" "), "t", "s"));
    }
}
