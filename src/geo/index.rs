//! The gazetteer's names, found by hashing: every name (and every prefix of a name that ends on
//! a word boundary) is kept as a 64-bit hash of its folded text, and a scan hashes the folded
//! item text from each word start, one boundary at a time, until no name continues.
//!
//! An automaton over the 125,000 names would do the same in one pass, but building it takes
//! about 60 MB for a moment at start-up and 9 MB after. The hashes sit in one sorted array
//! with a directory by their top bits (about 3 MB for the gazetteer, no hash table's empty
//! slots), built in about 40 ms; a word that starts no name costs one probe of a few keys.

use super::GeoName;
use super::tagger::CaseRule;
use crate::text::{Folded, is_ascii_word_byte, is_unspaced, is_word_char, without_latin_accents};

/// Keys per directory bucket, on average: a probe reads about this many neighbouring keys.
const PER_BUCKET: usize = 2;

/// Names and name prefixes by the hash of their folded text.
#[derive(Debug, Default, Clone)]
pub struct NameIndex {
    /// Every distinct hash of a name or a name prefix, sorted.
    keys: Vec<u64>,
    /// For each key, how many names the keys up to and including it hold: key `i`'s names
    /// are `numbers[ends[i - 1]..ends[i]]` (none for a key that only begins names).
    ends: Vec<u32>,
    /// Name numbers, grouped by key in key order.
    numbers: Vec<u32>,
    /// The first key whose top `bits` bits are `b` is `keys[directory[b]]`; one more entry
    /// than buckets, so bucket `b` ends where `b + 1` starts.
    directory: Vec<u32>,
    /// How many top bits of a hash choose its bucket.
    bits: u32,
    /// The longest name's folded length in bytes.
    longest: usize,
    /// The characters that are not part of a word and yet start some name (the ‘ of
    /// "‘Amrān"), sorted: a scan tries starts at these too.
    odd_starts: Vec<char>,
    /// Every name's first word: most words of a text begin no name, and this small set (a
    /// few hundred KB, in cache) turns them away before a probe of the large key array,
    /// which would miss the cache.
    first_words: FirstWords,
    /// The first words of the names a word written in lower case may begin (those matched
    /// in any case: countries, demonyms, names in scripts without case). A few KB: most
    /// words of a text are lower case, and nearly all places need a capital.
    lower_first_words: FirstWords,
}

/// A set of word hashes as a bit set, by their low bits (which the directory, chosen by the
/// top bits, does not use): about eight bits per word, so one other word in eight passes by
/// chance.
#[derive(Debug, Default, Clone)]
struct FirstWords(Vec<u64>);

impl FirstWords {
    fn new(hashes: &[u64]) -> Self {
        let words = (hashes.len() * 8).next_power_of_two().max(64) / 64;
        let mut set = Self(vec![0; words]);
        for &hash in hashes {
            let (word, mask) = set.bit(hash);
            set.0[word] |= mask;
        }
        set
    }

    fn bit(&self, hash: u64) -> (usize, u64) {
        let bit = hash as usize & (self.0.len() * 64).wrapping_sub(1);
        (bit / 64, 1 << (bit % 64))
    }

    fn may_hold(&self, hash: u64) -> bool {
        let (word, mask) = self.bit(hash);
        self.0.get(word).is_some_and(|w| w & mask != 0)
    }
}

impl NameIndex {
    /// Indexes names, numbering them from `first` in the order given. Each name is found as
    /// written and, when it has accented Latin letters, without them.
    pub fn new<'a, 'b: 'a>(names: impl IntoIterator<Item = &'a GeoName<'b>>, first: u32) -> Self {
        let mut index = Self::default();
        let mut named: Vec<(u64, u32)> = Vec::new();
        let mut prefixes: Vec<u64> = Vec::new();
        let mut firsts: Vec<u64> = Vec::new();
        let mut lower_firsts: Vec<u64> = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let number = first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            let lower_ok = match name.case {
                CaseRule::Any => true,
                CaseRule::Capitalised => false,
                CaseRule::Exact => !name.text.starts_with(char::is_uppercase),
            };
            let plain = without_latin_accents(&name.text);
            let other = (plain != name.text).then_some(plain.as_ref());
            for form in std::iter::once(name.text.as_ref()).chain(other) {
                let folded = Folded::new(form);
                let text = folded.as_str();
                if text.is_empty() {
                    continue;
                }
                index.longest = index.longest.max(text.len());
                if let Some(c) = text.chars().next().filter(|&c| !is_word_char(c)) {
                    index.odd_starts.push(c);
                }
                let mut hasher = NameHasher::default();
                let mut from = 0;
                for end in boundaries(text) {
                    text[from..end].chars().for_each(|c| hasher.write(c));
                    if from == 0 {
                        firsts.push(hasher.finish());
                        if lower_ok {
                            lower_firsts.push(hasher.finish());
                        }
                    }
                    from = end;
                    if end < text.len() {
                        prefixes.push(hasher.finish());
                    }
                }
                named.push((hasher.finish(), number));
            }
        }
        index.odd_starts.sort_unstable();
        index.odd_starts.dedup();
        named.sort_unstable();
        named.dedup();
        for set in [&mut firsts, &mut lower_firsts] {
            set.sort_unstable();
            set.dedup();
        }
        index.first_words = FirstWords::new(&firsts);
        index.lower_first_words = FirstWords::new(&lower_firsts);
        // Every hash once, prefixes and names alike; a key's names are those up to its hash.
        // Many names share a prefix ("North …"): the repeats go before the names join them.
        prefixes.sort_unstable();
        prefixes.dedup();
        prefixes.reserve_exact(named.len());
        let mut keys = prefixes;
        keys.extend(named.iter().map(|&(hash, _)| hash));
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        let mut n = 0;
        let ends: Vec<u32> = keys
            .iter()
            .map(|&key| {
                while named.get(n).is_some_and(|&(hash, _)| hash <= key) {
                    n += 1;
                }
                u32::try_from(n).unwrap_or(u32::MAX)
            })
            .collect();
        let numbers: Vec<u32> = named.into_iter().map(|(_, number)| number).collect();
        index.bits = (keys.len() / PER_BUCKET).max(1).ilog2().min(32);
        let buckets = 1usize << index.bits;
        let mut directory = Vec::with_capacity(buckets + 1);
        let mut at = 0;
        for b in 0..buckets {
            while at < keys.len() && index.bucket(keys[at]) < b {
                at += 1;
            }
            directory.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        directory.push(u32::try_from(keys.len()).unwrap_or(u32::MAX));
        index.keys = keys;
        index.ends = ends;
        index.numbers = numbers;
        index.directory = directory;
        index
    }

    fn bucket(&self, hash: u64) -> usize {
        // `bits` is at most 32, so the shift leaves a value that fits.
        hash.checked_shr(64 - self.bits).unwrap_or(0) as usize
    }

    /// The position of `hash` in `keys`.
    fn position(&self, hash: u64) -> Option<usize> {
        let b = self.bucket(hash);
        let (from, to) = (*self.directory.get(b)?, *self.directory.get(b + 1)?);
        let range = from as usize..to as usize;
        let found = self
            .keys
            .get(range.clone())?
            .iter()
            .position(|&k| k == hash)?;
        Some(range.start + found)
    }

    /// Whether the index holds no name.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// Whether some name starts with `c`, a character that is not part of a word, so a scan
    /// must try a start there too.
    pub fn starts_oddly(&self, c: char) -> bool {
        !self.odd_starts.is_empty() && self.odd_starts.binary_search(&c).is_ok()
    }

    /// Bytes held on the heap.
    pub fn memory_usage(&self) -> usize {
        (self.keys.capacity() + self.first_words.0.capacity() + self.lower_first_words.0.capacity())
            * size_of::<u64>()
            + (self.ends.capacity() + self.numbers.capacity() + self.directory.capacity())
                * size_of::<u32>()
    }

    /// Calls `found(end, name)` for every name that starts at byte `start` of the folded
    /// `text` and ends on a word boundary.
    pub fn find_at(&self, text: &str, start: usize, found: impl FnMut(usize, u32)) {
        self.find_at_cased(text, start, false, found);
    }

    /// [`NameIndex::find_at`], told whether the word at `start` is written in lower case as
    /// the text has it (before folding): then only names matched in any case are looked for.
    pub fn find_at_cased(
        &self,
        text: &str,
        start: usize,
        lower: bool,
        mut found: impl FnMut(usize, u32),
    ) {
        let firsts = if lower {
            &self.lower_first_words
        } else {
            &self.first_words
        };
        let mut hasher = NameHasher::default();
        let rest = &text[start..];
        let bytes = rest.as_bytes();
        let mut first = true;
        let mut next = char_at(rest, 0);
        let mut offset = 0;
        while let Some(c) = next {
            if offset >= self.longest {
                // No name is this long: a long word is not walked to its end.
                return;
            }
            // Most text is ASCII: a run of ASCII letters and digits has no word end inside it,
            // so it is hashed whole and only its end is checked.
            let len = match bytes.get(offset..) {
                Some([b, more @ ..]) if is_ascii_word_byte(*b) => {
                    1 + more.iter().take_while(|&&b| is_ascii_word_byte(b)).count()
                }
                _ => c.len_utf8(),
            };
            if offset + len > self.longest {
                return;
            }
            hasher.write_bytes(&bytes[offset..offset + len]);
            offset += len;
            let last = if len == c.len_utf8() {
                c
            } else {
                char::from(bytes[offset - 1])
            };
            next = char_at(rest, offset);
            if !word_ends_between(last, next) {
                continue;
            }
            let end = start + offset;
            let hash = hasher.finish();
            if std::mem::take(&mut first) && !firsts.may_hold(hash) {
                return;
            }
            let Some(at) = self.position(hash) else {
                return;
            };
            let from = at.checked_sub(1).map_or(0, |i| self.ends[i] as usize);
            for &name in &self.numbers[from..self.ends[at] as usize] {
                found(end, name);
            }
        }
    }
}

/// The character at byte `at` of `text` (a character boundary), read without decoding when
/// it is ASCII, as most text a scan walks is.
fn char_at(text: &str, at: usize) -> Option<char> {
    match text.as_bytes().get(at) {
        Some(&b) if b.is_ascii() => Some(char::from(b)),
        Some(_) => text.get(at..).and_then(|t| t.chars().next()),
        None => None,
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
/// the end (so the top bits, which choose a bucket, spread), the same however the text is cut
/// into pieces.
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
        self.write_bytes(c.encode_utf8(&mut buf).as_bytes());
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::lookup;

    fn names(list: &[&'static str]) -> Vec<GeoName<'static>> {
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
    fn a_word_in_lower_case_finds_only_names_matched_in_any_case() {
        let index = NameIndex::new(&names(&["^Nyala", "Sudan", "=de", "=DRC"]), 0);
        let cased = |text: &str, lower: bool| {
            let mut out = Vec::new();
            index.find_at_cased(text, 0, lower, |end, name| out.push((end, name)));
            out
        };
        // "Nyala" needs a capital: written "nyala", it is not looked up at all.
        assert_eq!(cased("nyala", false), [(5, 0)]);
        assert!(cased("nyala", true).is_empty());
        // A name in any case, and an exact one written in lower case, are.
        assert_eq!(cased("sudan", true), [(5, 1)]);
        assert_eq!(cased("de", true), [(2, 2)]);
        assert!(cased("drc", true).is_empty());
        assert_eq!(cased("drc", false), [(3, 3)]);
    }

    #[test]
    fn accented_names_are_found_without_their_accents() {
        let index = NameIndex::new(&names(&["Tillabéri"]), 0);
        assert_eq!(found(&index, "tillaberi", 0), [(9, 0)]);
        assert_eq!(found(&index, "tillabéri", 0), [("tillabéri".len(), 0)]);
    }
}
