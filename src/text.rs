//! Untrusted text from feeds: turn HTML into plain text and strip everything that could control
//! a terminal or mislead a reader, once, at ingest.
//!
//! After [`clean`], a string holds no C0/C1 control characters (so no escape sequences: the ESC
//! that starts CSI, OSC 8 links and OSC 52 clipboard writes is gone, and what follows it is inert
//! text), no bidirectional overrides or isolates, no zero-width characters, and fits a length cap.

/// Default cap for titles, in characters.
pub const TITLE_MAX_CHARS: usize = 500;
/// Default cap for summaries, in characters.
pub const SUMMARY_MAX_CHARS: usize = 4_000;
/// Default cap for short fields (ids, links, names), in characters.
pub const SHORT_MAX_CHARS: usize = 2_000;

/// True for characters that must never reach a terminal, a log or a store.
///
/// Control characters (C0, DEL, C1) carry escape sequences. Bidi embeddings, overrides and
/// isolates can make a title read differently from what it says. Zero-width characters and the
/// byte-order mark can hide text inside words and defeat keyword matching.
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{001F}' | '\u{007F}'..='\u{009F}'
        | '\u{200B}'..='\u{200F}'      // zero-width space/non-joiner/joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'      // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'      // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'      // bidi isolates
        | '\u{FEFF}'                   // BOM / zero-width no-break space
        | '\u{FFF9}'..='\u{FFFB}'      // interlinear annotation controls
        | '\u{E0000}'..='\u{E007F}'    // tag characters
    )
}

/// Sanitises untrusted text: removes forbidden characters, turns every run of whitespace
/// (including tabs and newlines, which are control characters) into one space, trims, and caps
/// the result at `max_chars` characters, ending it with `…` when cut.
pub fn clean(input: &str, max_chars: usize) -> String {
    if is_clean_ascii(input, max_chars) {
        return input.to_owned();
    }
    clean_chars(input, max_chars)
}

/// [`clean`], character by character.
fn clean_chars(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars * 4));
    let mut chars = 0usize;
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_forbidden(c) {
            continue;
        }
        if pending_space {
            if chars + 1 >= max_chars {
                break;
            }
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        if chars >= max_chars {
            out.pop();
            out.push('…');
            return out;
        }
        out.push(c);
        chars += 1;
    }
    if chars >= max_chars && input.chars().count() > max_chars {
        out.pop();
        out.push('…');
    }
    out
}

/// Whether `input` is already what [`clean`] would make of it, checked on its bytes: printable
/// ASCII within the cap, without a space at either end or two in a row. Most feed text is.
fn is_clean_ascii(input: &str, max_chars: usize) -> bool {
    let bytes = input.as_bytes();
    bytes.len() <= max_chars
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && bytes.iter().all(|b| (0x20..0x7f).contains(b))
        && !bytes.windows(2).any(|w| w == b"  ")
}

/// Turns a fragment of HTML (or plain text with entities) into plain text, then [`clean`]s it.
///
/// Tags are dropped, block-level tags and `<br>` become spaces, the contents of `<script>` and
/// `<style>` are dropped whole, and entities are decoded exactly once (after tags are gone, so an
/// encoded `&lt;b&gt;` stays visible text rather than becoming markup).
pub fn html_to_text(input: &str, max_chars: usize) -> String {
    // Fast path: no markup and no entities.
    if !input.contains(['<', '&']) {
        return clean(input, max_chars);
    }
    let stripped = strip_tags(input);
    let decoded = html_escape::decode_html_entities(&stripped);
    clean(&decoded, max_chars)
}

fn strip_tags(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        // A '<' that does not start a tag (e.g. "a < b") is text.
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !starts_tag {
            out.push('<');
            rest = after;
            continue;
        }
        if let Some(body) = after.strip_prefix("!--") {
            rest = match body.find("-->") {
                Some(end) => &body[end + 3..],
                None => "",
            };
            continue;
        }
        let Some(gt) = after.find('>') else {
            // An unterminated tag: drop the rest rather than show half a tag.
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if (name == "script" || name == "style") && !tag.starts_with('/') {
            let close = format!("</{name}");
            rest = match find_ascii_ci(rest, &close) {
                Some(end) => match rest[end..].find('>') {
                    Some(gt) => &rest[end + gt + 1..],
                    None => "",
                },
                None => "",
            };
            continue;
        }
        if is_block(&name) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    out
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    haystack
        .as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "section"
            | "article"
            | "hr"
            | "dd"
            | "dt"
            | "pre"
    )
}

/// `s` without the accents of its Latin letters ("Tillabéri" -> "Tillaberi"); other scripts
/// are left as they are.
pub fn without_latin_accents(s: &str) -> std::borrow::Cow<'_, str> {
    let accented = |c: char| matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}');
    if !s.chars().any(accented) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if accented(c) {
            unicode_normalization::char::decompose_canonical(c, |d| {
                if !unicode_normalization::char::is_combining_mark(d) {
                    out.push(d);
                }
            });
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text prepared for matching: lowercased (Unicode-aware) with typographic apostrophes folded to
/// `'`, plus a map back to byte offsets in the original text when the two differ in length.
#[derive(Debug, Default)]
pub struct Folded {
    text: String,
    /// For each byte of `text`, its byte offset in the original; empty when the original was
    /// ASCII (the offsets are then identical).
    map: Vec<u32>,
}

impl Folded {
    /// Folds `original` into this buffer, reusing its allocations.
    pub fn fold_into(&mut self, original: &str) {
        self.text.clear();
        self.map.clear();
        if original.is_ascii() {
            self.text.push_str(original);
            self.text.make_ascii_lowercase();
            return;
        }
        for (offset, c) in original.char_indices() {
            let before = self.text.len();
            match c {
                '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{00B4}' => self.text.push('\''),
                c if c.is_ascii() => self.text.push(c.to_ascii_lowercase()),
                c => self.text.extend(c.to_lowercase()),
            }
            let offset = u32::try_from(offset).unwrap_or(u32::MAX);
            self.map
                .extend(std::iter::repeat_n(offset, self.text.len() - before));
        }
        self.map
            .push(u32::try_from(original.len()).unwrap_or(u32::MAX));
    }

    /// Folds a string into a new buffer.
    pub fn new(original: &str) -> Self {
        let mut f = Self::default();
        f.fold_into(original);
        f
    }

    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The byte offset in the original text of byte `i` of the folded text.
    pub fn original_offset(&self, i: usize) -> usize {
        if self.map.is_empty() {
            i
        } else {
            self.map.get(i).map_or(i, |&o| o as usize)
        }
    }
}

/// Whether `c` belongs to a script written without spaces between words (Chinese, Japanese
/// kana), where words have no boundaries to find.
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// True for characters that are part of a word when matching on word boundaries.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// [`is_word_char`] for one byte of UTF-8 text: an ASCII letter, digit or underscore. A run
/// of them holds no word boundary, so a scan may take it whole.
pub fn is_ascii_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_ascii_is_kept_as_the_slow_path_would_keep_it() {
        let inputs = [
            "",
            "Clashes in Kidal",
            " Clashes",
            "Clashes ",
            "Clashes  in Kidal",
            "tab\there",
            "exactly ten",
            "eleven char",
            "a~b{c}|d",
            "\x7f",
        ];
        for input in inputs {
            for cap in [5, 10, 11, 500] {
                assert_eq!(
                    clean(input, cap),
                    clean_chars(input, cap),
                    "{input:?} at {cap}"
                );
            }
        }
        assert!(is_clean_ascii("Clashes in Kidal", 500));
        assert!(!is_clean_ascii("Clashes  in Kidal", 500));
        assert!(!is_clean_ascii("Clashes in Kidal", 10));
    }

    #[test]
    fn strips_escape_sequences_and_controls() {
        let evil =
            "Alert\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07\x1b]52;c;ZXZpbA==\x07 done";
        let out = clean(evil, 100);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
        assert!(out.starts_with("Alert"));
    }

    #[test]
    fn removes_bidi_and_zero_width() {
        let out = clean("mas\u{200B}sacre \u{202E}txet\u{202C} ok\u{FEFF}", 100);
        assert_eq!(out, "massacre txet ok");
    }

    #[test]
    fn collapses_whitespace_and_caps_length() {
        assert_eq!(clean("  a \n\t b  ", 100), "a b");
        assert_eq!(clean("abcdefghij", 5), "abcd…");
        assert_eq!(clean("abcde", 5), "abcde");
        assert_eq!(clean("", 5), "");
    }

    #[test]
    fn html_becomes_text_with_entities_decoded_once() {
        let html = "<p>Clashes in <b>Al&nbsp;Fashir</b> &amp; Kutum</p><script>alert(1)</script>\
                    <p>&lt;b&gt;not a tag&lt;/b&gt; 3 &lt; 4</p>";
        assert_eq!(
            html_to_text(html, 500),
            "Clashes in Al Fashir & Kutum <b>not a tag</b> 3 < 4"
        );
        assert_eq!(html_to_text("a < b and c > d", 100), "a < b and c > d");
        assert_eq!(html_to_text("x<!-- hidden -->y", 100), "xy");
        assert_eq!(html_to_text("cut <a href=", 100), "cut");
    }

    #[test]
    fn folding_lowercases_and_maps_offsets() {
        let f = Folded::new("Côte d’Ivoire ÉTAT");
        assert_eq!(f.as_str(), "côte d'ivoire état");
        let at = f.as_str().find("état").unwrap_or(0);
        assert_eq!(&"Côte d’Ivoire ÉTAT"[f.original_offset(at)..], "ÉTAT");
        let ascii = Folded::new("Sudan NEWS");
        assert_eq!(ascii.as_str(), "sudan news");
        assert_eq!(ascii.original_offset(6), 6);
    }

    #[test]
    fn entity_encoded_escape_is_removed() {
        let out = html_to_text("a&#27;[31mb&#x9b;c&#x1b;]52;c;x&#7;", 100);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
    }
}
