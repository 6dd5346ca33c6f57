//! Names of people, products, clubs and works that start with a place's name ("Israel
//! Adesanya", "India Pale Ale", "Saudi Aramco", "Paris Saint-Germain"), from DBpedia's titles
//! (`entities.txt`, built by `scripts/entity-names.py`). A place's name that starts one, written
//! as a name (each word with a capital, in a line not in title case), is not a place.

use std::hash::Hasher;

use super::tagger::GeoHit;

/// The names' 64-bit FNV-1a hashes, sorted, little-endian, as `build.rs` writes them: 8 bytes a
/// name, read in place from the binary.
const HASHES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/entities.bin"));

/// The most words a name has after its place's name.
const MOST_WORDS: usize = 3;

/// Longer than any word, in bytes, of a name in the table (29 letters): a longer one ends the
/// search.
const LONGEST_WORD: usize = 64;

/// How many names the table holds.
fn len() -> usize {
    HASHES.len() / 8
}

/// The `i`th hash of the table.
fn hash_at(i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&HASHES[i * 8..i * 8 + 8]);
    u64::from_le_bytes(b)
}

/// Whether the table holds `phrase` (lower case, words between single spaces).
fn contains(phrase: &str) -> bool {
    let mut h = fnv::FnvHasher::default();
    h.write(phrase.as_bytes());
    let wanted = h.finish();
    let (mut lo, mut hi) = (0, len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match hash_at(mid).cmp(&wanted) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Whether the hit in folded `text` starts a name in the table, written as a name: the words
/// after it (`original_rest`, as written) each with a capital, in a line (with
/// `original_before`) that is not in title case.
pub fn starts_name(text: &str, hit: &GeoHit, original_before: &str, original_rest: &str) -> bool {
    let Some(rest) = original_rest.strip_prefix(' ') else {
        return false;
    };
    if !rest.starts_with(char::is_uppercase) {
        return false;
    }
    let line = rest.split('\n').next().unwrap_or("");
    let mut words = [""; MOST_WORDS];
    let mut count = 0;
    for word in line.split(' ').take(MOST_WORDS) {
        let bare = word.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '\''));
        if !bare.starts_with(char::is_uppercase) || bare.len() > LONGEST_WORD {
            break;
        }
        words[count] = bare;
        count += 1;
        if bare.len() < word.len() {
            // Punctuation ends the name: "India Knight, columnist".
            break;
        }
    }
    let head = crate::text::without_latin_accents(&text[hit.start..hit.end]);
    let mut phrase = String::with_capacity(64);
    let found = (1..=count).rev().any(|n| {
        phrase.clear();
        phrase.push_str(&head);
        for w in &words[..n] {
            phrase.push(' ');
            for c in crate::text::without_latin_accents(w).chars() {
                match c {
                    '\u{2019}' | '\u{2018}' | '\u{02BC}' => phrase.push('\''),
                    c => phrase.extend(c.to_lowercase()),
                }
            }
        }
        contains(&phrase)
    });
    found && {
        let before = original_before.rsplit('\n').next().unwrap_or("");
        !super::context::in_title_case(before, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_compiled_in_is_whole_and_sorted() {
        assert!(len() > 50_000, "{} names", len());
        assert!((1..len()).all(|i| hash_at(i - 1) < hash_at(i)));
        assert!(contains("venezuelan beaver cheese"));
        assert!(contains("israel adesanya"));
        assert!(!contains("israel"));
        assert!(!contains("israel adesanya "));
    }
}
