//! The tagger's names and rules. Names are matched in the same automaton as every rule's terms
//! (see [`crate::rules::matcher`]); this module says what a name is and how overlapping name
//! hits resolve: leftmost-longest, so "South Sudan" wins over the "Sudan" inside it.

use super::CountryCode;

/// How the case of the text must look for a name to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRule {
    /// Any case ("sudan", "SUDAN").
    Any,
    /// First letter a capital ("Chad", not "chad"): the name is also a common word.
    Capitalised,
    /// Exactly as written ("DRC", "US"): short codes and acronyms.
    Exact,
}

/// A name in the gazetteer.
#[derive(Debug, Clone)]
pub struct GeoName {
    /// The name as written, without its marker.
    pub text: String,
    /// The country it names; `None` for a phrase that blocks the names inside it
    /// ("Latin America" holds "America" but names no country).
    pub code: Option<CountryCode>,
    /// Case rule.
    pub case: CaseRule,
}

impl GeoName {
    /// Parses a gazetteer entry with its optional marker (`^` capitalised, `=` exact).
    pub fn parse(raw: &str, code: Option<CountryCode>) -> Self {
        let (case, text) = if let Some(t) = raw.strip_prefix('^') {
            (CaseRule::Capitalised, t)
        } else if let Some(t) = raw.strip_prefix('=') {
            (CaseRule::Exact, t)
        } else {
            (CaseRule::Any, raw)
        };
        Self {
            text: text.to_string(),
            code,
            case,
        }
    }

    /// Whether the original text of a hit satisfies this name's case rule.
    pub fn case_ok(&self, original: &str) -> bool {
        match self.case {
            CaseRule::Any => true,
            CaseRule::Capitalised => original.chars().next().is_some_and(char::is_uppercase),
            CaseRule::Exact => original == self.text,
        }
    }
}

/// A name hit in an item's text: byte span in the folded text and what it names.
#[derive(Debug, Clone, Copy)]
pub struct GeoHit {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// The country, or `None` for a blocking phrase.
    pub code: Option<CountryCode>,
}

/// Resolves overlapping hits leftmost-longest and appends the countries named, in order of
/// first appearance and without repeats, to `out`.
pub fn resolve(hits: &mut [GeoHit], out: &mut Vec<CountryCode>) {
    hits.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut covered_to = 0usize;
    for h in hits.iter() {
        if h.start < covered_to {
            continue;
        }
        covered_to = h.end;
        if let Some(code) = h.code
            && !out.contains(&code)
        {
            out.push(code);
        }
    }
}
