//! Names of people, products, clubs and works that start with a place's name ("Israel
//! Adesanya", "India Pale Ale", "Saudi Aramco", "Paris Saint-Germain"), from DBpedia's titles
//! (`entities.txt`, built by `scripts/entity-names.py`). A place's name that starts one, written
//! as a name (each word with a capital, in a line not in title case), is not a place.

use std::hash::Hasher;

use super::tagger::GeoHit;

// `static HASHES: [u64; N]`: the names' 64-bit FNV-1a hashes, sorted, as `build.rs` writes
// them from the table; 8 bytes a name, read in place from the binary.
include!(concat!(env!("OUT_DIR"), "/entities.rs"));

/// The most words a name has after its place's name.
const MOST_WORDS: usize = 3;

/// Longer than any word, in bytes, of a name in the table (29 letters): a longer one ends the
/// search.
const LONGEST_WORD: usize = 64;

/// Whether the table holds `phrase` (folded, without accents, words between single spaces).
fn contains(phrase: &str) -> bool {
    let mut h = fnv::FnvHasher::default();
    h.write(phrase.as_bytes());
    HASHES.binary_search(&h.finish()).is_ok()
}

/// A word without the punctuation after it ("Knight," -> "Knight").
fn bare(word: &str) -> &str {
    word.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '\''))
}

/// Whether the hit in folded `text` starts a name in the table, written as a name: the words
/// after it (`original_rest`, as written) each with a capital, in a line (with
/// `original_before`) that is not in title case.
pub fn starts_name(text: &str, hit: &GeoHit, original_before: &str, original_rest: &str) -> bool {
    let (Some(rest), Some(folded_rest)) = (
        original_rest.strip_prefix(' '),
        text[hit.end..].strip_prefix(' '),
    ) else {
        return false;
    };
    if !rest.starts_with(char::is_uppercase) {
        return false;
    }
    let line = rest.split('\n').next().unwrap_or("");
    let folded_line = folded_rest.split('\n').next().unwrap_or("");
    // Where each candidate name ends in `text`: the folded text is the phrase to look up, and
    // folding keeps the spaces where they were.
    let mut ends = [0; MOST_WORDS];
    let mut count = 0;
    let mut at = hit.end + 1;
    for (word, folded) in line.split(' ').zip(folded_line.split(' ')).take(MOST_WORDS) {
        let name = bare(word);
        if !name.starts_with(char::is_uppercase) || name.len() > LONGEST_WORD {
            break;
        }
        ends[count] = at + bare(folded).len();
        count += 1;
        if name.len() < word.len() {
            // Punctuation ends the name: "India Knight, columnist".
            break;
        }
        at += folded.len() + 1;
    }
    let found = ends[..count]
        .iter()
        .rev()
        .any(|&end| contains(&crate::text::without_latin_accents(&text[hit.start..end])));
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
        assert!(HASHES.len() > 50_000, "{} names", HASHES.len());
        assert!(HASHES.windows(2).all(|w| w[0] < w[1]));
        assert!(contains("venezuelan beaver cheese"));
        assert!(contains("israel adesanya"));
        assert!(!contains("israel"));
        assert!(!contains("israel adesanya "));
    }
}
