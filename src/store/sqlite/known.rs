//! What a store that no other process opens has written of its items, held in memory, so that
//! checking a new item needs no query.
//!
//! Both sets answer "surely not stored" exactly: a key's hit may be a collision of digests, and
//! either may be a row deleted since, so the caller asks the database then. Every lookup that
//! would answer "not stored" skips the query; on a replay that is nearly every item. Until a
//! row is deleted, the identities answer "stored" exactly too (the database keeps the same
//! digest), so an item another feed carries needs no query either.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

/// The (feed, key) pairs and the identity digests of the items written through this store.
#[derive(Debug, Default)]
pub struct Known {
    keys: HashSet<u64, Fixed>,
    idents: HashSet<i64, Fixed>,
    /// No row has been deleted since the sets were filled from every row: an identity held is
    /// then surely stored.
    whole: bool,
}

impl Known {
    /// Whether an item under `feed` and `key` may be stored: `false` is certain.
    pub fn may_hold_key(&self, feed: &str, key: &str) -> bool {
        self.keys.contains(&key_digest(feed, key))
    }

    /// Whether an item of identity digest `ident` is stored, when that is certain: always for
    /// "no", and for "yes" until a row is deleted ([`Known::rows_deleted`]).
    pub fn holds_ident(&self, ident: i64) -> Option<bool> {
        match (self.idents.contains(&ident), self.whole) {
            (false, _) => Some(false),
            (true, true) => Some(true),
            (true, false) => None,
        }
    }

    /// Says that the sets hold every row the store has (they were just filled from it).
    pub fn mark_whole(&mut self) {
        self.whole = true;
    }

    /// Says that rows were deleted: a held identity may be gone.
    pub fn rows_deleted(&mut self) {
        self.whole = false;
    }

    /// Records an item written under `feed` and `key` with identity digest `ident` (none on a
    /// row no lookup by identity finds).
    pub fn insert(&mut self, feed: &str, key: &str, ident: Option<i64>) {
        self.keys.insert(key_digest(feed, key));
        if let Some(i) = ident {
            self.idents.insert(i);
        }
    }
}

/// A digest of the pair (64-bit FNV-1a, mixed at the end), unambiguous however the two strings
/// split: a byte no text holds stands between them.
fn key_digest(feed: &str, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in feed.as_bytes().iter().chain(&[0xff]).chain(key.as_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    // MurmurHash3's finaliser, so the low bits a set uses spread.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The values are digests already: the set's hasher passes them through.
#[derive(Debug, Default, Clone, Copy)]
struct Fixed;

impl BuildHasher for Fixed {
    type Hasher = PassThrough;

    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

#[derive(Debug)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = n.cast_unsigned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_written_may_be_held() {
        let mut k = Known::default();
        assert!(!k.may_hold_key("wire", "id:1"));
        k.insert("wire", "id:1", Some(42));
        assert!(k.may_hold_key("wire", "id:1"));
        assert_eq!(k.holds_ident(42), None, "not known to be every row");
        assert_eq!(k.holds_ident(43), Some(false));
        k.mark_whole();
        assert_eq!(k.holds_ident(42), Some(true));
        k.rows_deleted();
        assert_eq!(k.holds_ident(42), None, "it may have been deleted");
        // The same key in another feed, and a split that reads the same joined.
        assert!(!k.may_hold_key("other", "id:1"));
        assert!(!k.may_hold_key("wir", "eid:1"));
    }
}
