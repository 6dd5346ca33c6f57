//! The gazetteer's names, found by hashing: every name (and every prefix of a name that ends on
//! a word boundary) is kept as a 64-bit hash of its folded text, and a scan hashes the folded
//! item text from each word start, one boundary at a time, until no name continues.
//!
//! An automaton over the 110,000 names would do the same in one pass, but building it takes
//! about 60 MB for a moment at start-up and 9 MB after; this index takes 6 MB, is built in
//! about 40 ms, and a word that starts no name costs one lookup.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::GeoName;
use crate::text::{Folded, is_unspaced, is_word_char, without_latin_accents};

/// Marks a hash that only begins names.
const PREFIX: u32 = u32::MAX;

/// Names and name prefixes by the hash of their folded text.
#[derive(Debug, Default, Clone)]
pub struct NameIndex {
    /// A hash to the first of its names in `names`, or [`PREFIX`].
    keys: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    /// (hash, name number), sorted by hash: the names of one hash sit together.
    names: Vec<(u64, u32)>,
    /// The longest name's folded length in bytes.
    longest: usize,
    /// Some name starts with a character that is not part of a word.
    odd_starts: bool,
}

impl NameIndex {
    /// Indexes names, numbering them from `first` in the order given. Each name is found as
    /// written and, when it has accented Latin letters, without them.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a GeoName>, first: u32) -> Self {
        let mut index = Self::default();
        let mut prefixes = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let number = first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            let plain = without_latin_accents(&name.text);
            let other = (plain != name.text).then_some(plain.as_ref());
            for form in std::iter::once(name.text.as_ref()).chain(other) {
                let folded = Folded::new(form);
                let text = folded.as_str();
                if text.is_empty() {
                    continue;
                }
                index.longest = index.longest.max(text.len());
                index.odd_starts |= !text.starts_with(is_word_char);
                let mut hasher = NameHasher::default();
                let mut from = 0;
                for end in boundaries(text) {
                    text[from..end].chars().for_each(|c| hasher.write(c));
                    from = end;
                    if end < text.len() {
                        prefixes.push(hasher.finish());
                    }
                }
                index.names.push((hasher.finish(), number));
            }
        }
        index.names.sort_unstable();
        index.names.dedup();
        // Many names share a prefix ("North …"): reserving for the distinct ones only keeps the
        // table from growing to twice its size and shrinking back.
        prefixes.sort_unstable();
        prefixes.dedup();
        index.keys.reserve(index.names.len() + prefixes.len());
        for (at, &(hash, _)) in index.names.iter().enumerate().rev() {
            index.keys.insert(hash, u32::try_from(at).unwrap_or(PREFIX));
        }
        for hash in prefixes {
            index.keys.entry(hash).or_insert(PREFIX);
        }
        index.keys.shrink_to_fit();
        index.names.shrink_to_fit();
        index
    }

    /// Whether the index holds no name.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether some name starts with a character that is not part of a word, so a scan must
    /// try starts there too.
    pub fn has_odd_starts(&self) -> bool {
        self.odd_starts
    }

    /// Bytes held on the heap (approximate).
    pub fn memory_usage(&self) -> usize {
        self.keys.capacity() * (size_of::<(u64, u32)>() + 1)
            + self.names.capacity() * size_of::<(u64, u32)>()
    }

    /// Calls `found(end, name)` for every name that starts at byte `start` of the folded
    /// `text` and ends on a word boundary.
    pub fn find_at(&self, text: &str, start: usize, mut found: impl FnMut(usize, u32)) {
        let mut hasher = NameHasher::default();
        let mut chars = text[start..].char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            if offset >= self.longest {
                // No name is this long: a long word is not walked to its end.
                return;
            }
            hasher.write(c);
            let next = chars.peek().map(|&(_, n)| n);
            if !word_ends_between(c, next) {
                continue;
            }
            let end = start + offset + c.len_utf8();
            let hash = hasher.finish();
            let Some(&at) = self.keys.get(&hash) else {
                return;
            };
            if at != PREFIX {
                let hash = self.names[at as usize].0;
                for &(_, name) in self.names[at as usize..]
                    .iter()
                    .take_while(|(h, _)| *h == hash)
                {
                    found(end, name);
                }
            }
        }
    }
}

/// Where words may end in `text`: the byte offsets at which a name could stop, in order.
fn boundaries(text: &str) -> impl Iterator<Item = usize> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (i, c) = chars.next()?;
            if word_ends_between(c, chars.peek().map(|&(_, n)| n)) {
                return Some(i + c.len_utf8());
            }
        }
    })
}

/// Whether a word may end after `last`, before `next` (`None` at the end of the text).
fn word_ends_between(last: char, next: Option<char>) -> bool {
    is_unspaced(last) || next.is_none_or(|n| !is_word_char(last) || !is_word_char(n))
}

/// A name may end here: at the end, before or after a character that is not part of a word,
/// or anywhere in a script written without spaces.
pub fn ends_word(text: &str, end: usize) -> bool {
    match text[..end].chars().next_back() {
        Some(last) => word_ends_between(last, text[end..].chars().next()),
        None => true,
    }
}

/// A streaming hash of a name's folded characters: 64-bit FNV-1a over their bytes, mixed at
/// the end (so the hash map's buckets spread), the same however the text is cut into pieces.
#[derive(Debug, Clone, Copy)]
struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl NameHasher {
    fn write(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(self) -> u64 {
        // MurmurHash3's finaliser.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Passes a key that is already a hash through unchanged.
#[derive(Debug, Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::lookup;

    fn names(list: &[&'static str]) -> Vec<GeoName> {
        list.iter()
            .map(|n| GeoName::parse(n, lookup("SD")))
            .collect()
    }

    fn found(index: &NameIndex, text: &str, start: usize) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        index.find_at(text, start, |end, name| out.push((end, name)));
        out
    }

    #[test]
    fn finds_every_name_that_starts_here_and_ends_on_a_boundary() {
        let list = names(&["Nyala", "Nyala Town", "Côte d'Ivoire", "达尔富尔", "Nyala"]);
        let index = NameIndex::new(&list, 10);
        let text = "nyala town, côte d'ivoire";
        // Both "Nyala" entries, then the longer name; numbered from 10.
        assert_eq!(found(&index, text, 0), [(5, 10), (5, 14), (10, 11)]);
        assert_eq!(found(&index, text, 12), [(text.len(), 12)]);
        // Inside a word is no end: "nyalas" is not "nyala".
        assert!(found(&index, "nyalas", 0).is_empty());
        // Unspaced scripts end anywhere.
        assert_eq!(
            found(&index, "在达尔富尔发生", "在".len()),
            [("在达尔富尔".len(), 13)]
        );
        // A prefix alone names nothing.
        assert!(found(&index, "côte d'azur", 0).is_empty());
    }

    #[test]
    fn accented_names_are_found_without_their_accents() {
        let index = NameIndex::new(&names(&["Tillabéri"]), 0);
        assert_eq!(found(&index, "tillaberi", 0), [(9, 0)]);
        assert_eq!(found(&index, "tillabéri", 0), [("tillabéri".len(), 0)]);
    }
}
