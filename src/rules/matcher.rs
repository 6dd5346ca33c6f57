//! Every term of every rule in one automaton, and every gazetteer name in one hashed index
//! ([`NameIndex`]), so an item's text is scanned once for all terms and once for all names.
//!
//! Text and patterns are folded the same way ([`Folded`]: Unicode lowercase, typographic
//! apostrophes), so matching is case-insensitive and accent-exact ("tué" matches "TUÉ", not
//! "tue"). Hits count only on word boundaries; a term written with a trailing `*` is a prefix
//! (`kill*` matches "killed", "killings"). Name hits then resolve leftmost-longest.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::geo::context;
use crate::geo::index::{NameIndex, ends_word};
use crate::geo::tagger::{self, GeoHit};
use crate::geo::{CountryCode, GeoName, NameInfo, NameTable};
use crate::text::{Folded, is_ascii_word_byte, is_word_char};

/// Index of a term in a [`Matcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermId(u32);

impl TermId {
    /// The index as usize.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A keyword term as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The term without its `*`.
    pub text: String,
    /// Written with a trailing `*`: matches any word that starts with it.
    pub prefix: bool,
}

impl Term {
    /// Parses `kill*` or `mass killing`.
    pub fn parse(raw: &str) -> Self {
        let raw = raw.trim();
        match raw.strip_suffix('*') {
            Some(t) => Self {
                text: t.trim_end().to_string(),
                prefix: true,
            },
            None => Self {
                text: raw.to_string(),
                prefix: false,
            },
        }
    }

    /// The term as written in the config, with its `*`.
    pub fn display(&self) -> String {
        if self.prefix {
            format!("{}*", self.text)
        } else {
            self.text.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Term(TermId),
    /// A phrase after which country names are donors, not places (see
    /// [`crate::geo::context`]).
    DonorCue,
}

/// Collects terms, then builds a [`Matcher`] with the gazetteer.
#[derive(Debug, Default)]
pub struct MatcherBuilder {
    terms: Vec<Term>,
    index: HashMap<(String, bool), TermId>,
    extra_names: Vec<GeoName<'static>>,
}

impl MatcherBuilder {
    /// A builder with no terms.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a term (deduplicated) and returns its id. Empty terms get an id but never match.
    pub fn term(&mut self, raw: &str) -> TermId {
        let term = Term::parse(raw);
        let key = (Folded::new(&term.text).as_str().to_string(), term.prefix);
        if let Some(id) = self.index.get(&key) {
            return *id;
        }
        let id = TermId(u32::try_from(self.terms.len()).unwrap_or(u32::MAX));
        self.terms.push(term);
        self.index.insert(key, id);
        id
    }

    /// Adds a name for a country beyond the built-in gazetteer (a config alias).
    pub fn alias(&mut self, name: &str, code: CountryCode) {
        self.extra_names
            .push(GeoName::parse_owned(name, Some(code)));
    }

    /// Builds the automaton over the terms, with the built-in gazetteer and the aliases.
    pub fn build(self) -> Result<Matcher, aho_corasick::BuildError> {
        self.build_over(
            Cow::Borrowed(crate::geo::name_table()),
            Cow::Borrowed(crate::geo::name_index()),
        )
    }

    /// Builds with the given gazetteer names instead of the built-in one.
    pub fn build_with_names(
        self,
        names: &[GeoName<'_>],
    ) -> Result<Matcher, aho_corasick::BuildError> {
        self.build_over(
            Cow::Owned(NameTable::new(names)),
            Cow::Owned(NameIndex::new(names, 0)),
        )
    }

    fn build_over(
        self,
        builtin: Cow<'static, NameTable>,
        index: Cow<'static, NameIndex>,
    ) -> Result<Matcher, aho_corasick::BuildError> {
        let first_alias = u32::try_from(builtin.len()).unwrap_or(u32::MAX);
        let geo = Names {
            aliases: NameIndex::new(&self.extra_names, first_alias),
            builtin,
            index,
            extra: NameTable::new(&self.extra_names),
        };
        let mut patterns: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut by_text: HashMap<String, usize> = HashMap::new();
        let mut add = |text: &str, target: Target| {
            let folded = Folded::new(text).as_str().to_string();
            if folded.is_empty() {
                return;
            }
            let slot = *by_text.entry(folded.clone()).or_insert_with(|| {
                patterns.push(folded);
                targets.push(Vec::new());
                patterns.len() - 1
            });
            if !targets[slot].contains(&target) {
                targets[slot].push(target);
            }
        };
        for (i, term) in self.terms.iter().enumerate() {
            add(
                &term.text,
                Target::Term(TermId(u32::try_from(i).unwrap_or(u32::MAX))),
            );
        }
        for cue in context::DONOR_CUES {
            add(cue, Target::DonorCue);
        }
        drop(by_text);
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&patterns)?;
        drop(patterns);
        // One flat list and an end offset per pattern: no allocation per pattern.
        let mut ends = Vec::with_capacity(targets.len());
        let mut flat = Vec::with_capacity(targets.iter().map(Vec::len).sum());
        for t in targets {
            flat.extend(t);
            ends.push(u32::try_from(flat.len()).unwrap_or(u32::MAX));
        }
        Ok(Matcher {
            ac,
            targets: flat,
            ends,
            geo,
            terms: self.terms,
        })
    }
}

/// The gazetteer's names (shared, never copied) and a config's aliases, with their indexes.
#[derive(Debug)]
struct Names {
    /// The built-in names: shared when they are the gazetteer's.
    builtin: Cow<'static, NameTable>,
    /// The built-in names' index, shared with them.
    index: Cow<'static, NameIndex>,
    extra: NameTable,
    /// The aliases' index, numbered after the built-in names.
    aliases: NameIndex,
}

impl Names {
    /// Name `i` (built-in, then aliases), when the hit's text as written satisfies its case
    /// rule.
    fn accept(&self, i: usize, original: &str) -> Option<NameInfo> {
        match i.checked_sub(self.builtin.len()) {
            None => self.builtin.accept(i, original),
            Some(alias) => self.extra.accept(alias, original),
        }
    }

    /// Every name that starts at `start` of the folded text: (end, name number); `lower`
    /// when the text has the word there in lower case.
    fn find_at(&self, text: &str, start: usize, lower: bool, found: &mut impl FnMut(usize, u32)) {
        self.index.find_at_cased(text, start, lower, &mut *found);
        if !self.aliases.is_empty() {
            self.aliases.find_at_cased(text, start, lower, &mut *found);
        }
    }

    fn starts_oddly(&self, c: char) -> bool {
        self.index.starts_oddly(c) || self.aliases.starts_oddly(c)
    }
}

/// The compiled automaton and what each pattern stands for.
#[derive(Debug)]
pub struct Matcher {
    ac: AhoCorasick,
    /// What every pattern stands for, pattern after pattern.
    targets: Vec<Target>,
    /// Where each pattern's targets end in `targets`.
    ends: Vec<u32>,
    geo: Names,
    terms: Vec<Term>,
}

/// What one scan found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Hits {
    /// Countries named, in order of first appearance.
    pub countries: Vec<CountryCode>,
    /// The country the text is about (also first in `countries`), `None` when it is about
    /// no one country ("France and Germany back new defence fund") or names none.
    pub primary: Option<CountryCode>,
    /// Countries named only as who acts ("Russian drones", "俄罗斯导弹"), never as a place: a
    /// subset of `countries`.
    pub actors: Vec<CountryCode>,
    /// Terms found and how many times, in order of first appearance.
    pub terms: Vec<(TermId, u32)>,
    /// Terms found in the first part scanned (an item's title).
    pub first_part: Vec<TermId>,
}

impl Hits {
    /// Whether the term was found.
    pub fn has(&self, id: TermId) -> bool {
        self.terms.iter().any(|(t, _)| *t == id)
    }

    /// Whether the term was found in the first part scanned (an item's title).
    pub fn in_first_part(&self, id: TermId) -> bool {
        self.first_part.contains(&id)
    }

    fn clear(&mut self) {
        self.countries.clear();
        self.actors.clear();
        self.primary = None;
        self.terms.clear();
        self.first_part.clear();
    }
}

/// Reusable buffers for [`Matcher::scan_into`], so the hot path does not allocate.
#[derive(Debug, Default)]
pub struct Scratch {
    joined: String,
    folded: Folded,
    geo: Vec<GeoHit>,
    /// Where donor cues end in the folded text.
    cues: Vec<usize>,
    /// The name hits that name a country, in order.
    accepted: Vec<GeoHit>,
}

impl Matcher {
    /// The terms, indexed by [`TermId`].
    pub fn term(&self, id: TermId) -> &Term {
        &self.terms[id.index()]
    }

    /// Number of distinct patterns in the terms' automaton.
    pub fn pattern_count(&self) -> usize {
        self.ends.len()
    }

    /// The terms' automaton (for benchmarks that compare against a bare scan).
    pub fn automaton(&self) -> &AhoCorasick {
        &self.ac
    }

    /// Heap bytes of the terms' automaton and the names' indexes (the built-in one is shared
    /// by every matcher).
    pub fn memory_usage(&self) -> usize {
        self.ac.memory_usage()
            + self.geo.index.memory_usage()
            + self.geo.builtin.memory_usage()
            + self.geo.aliases.memory_usage()
            + self.geo.extra.memory_usage()
    }

    /// Scans the given parts of an item's text (title, summary …) as one text.
    pub fn scan(&self, parts: &[&str]) -> Hits {
        let mut hits = Hits::default();
        self.scan_into(parts, &mut Scratch::default(), &mut hits);
        hits
    }

    /// Scans into caller-owned buffers.
    pub fn scan_into(&self, parts: &[&str], scratch: &mut Scratch, hits: &mut Hits) {
        hits.clear();
        scratch.geo.clear();
        scratch.cues.clear();
        scratch.joined.clear();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                // A separator no pattern can span.
                scratch.joined.push('\n');
            }
            scratch.joined.push_str(p);
        }
        let first_end = parts.first().map_or(0, |p| p.len());
        scratch.folded.fold_into(&scratch.joined);
        let folded = scratch.folded.as_str();
        for m in self.ac.find_overlapping_iter(folded) {
            let (start, end) = (m.start(), m.end());
            let left_ok = left_boundary(folded, start);
            if !left_ok {
                continue;
            }
            let right_ok = ends_word(folded, end);
            let p = m.pattern().as_usize();
            let from = p.checked_sub(1).map_or(0, |q| self.ends[q] as usize);
            for target in &self.targets[from..self.ends[p] as usize] {
                match *target {
                    Target::Term(id) => {
                        if right_ok || self.terms[id.index()].prefix {
                            match hits.terms.iter_mut().find(|(t, _)| *t == id) {
                                Some((_, n)) => *n += 1,
                                None => hits.terms.push((id, 1)),
                            }
                            if scratch.folded.original_offset(start) < first_end
                                && !hits.first_part.contains(&id)
                            {
                                hits.first_part.push(id);
                            }
                        }
                    }
                    Target::DonorCue => {
                        if right_ok {
                            scratch.cues.push(end);
                        }
                    }
                }
            }
        }
        let joined = scratch.joined.as_str();
        let offsets = &scratch.folded;
        let geo = &mut scratch.geo;
        let mut found = |start: usize, end: usize, g: u32| {
            let original = joined
                .get(offsets.original_offset(start)..offsets.original_offset(end))
                .unwrap_or("");
            if let Some(name) = self.geo.accept(g as usize, original) {
                geo.push(GeoHit {
                    start,
                    end,
                    code: name.code,
                    kind: name.kind,
                });
            }
        };
        // The two characters before `start`, for `starts_word`.
        let (mut prev, mut prev2) = (None, None);
        let bytes = folded.as_bytes();
        let mut start = 0;
        while let Some(c) = folded.get(start..).and_then(|t| t.chars().next()) {
            if (is_word_char(c) || self.geo.starts_oddly(c)) && starts_word(prev2, prev, c) {
                // A word written in lower case begins no name that needs a capital.
                let lower = joined
                    .get(offsets.original_offset(start)..)
                    .and_then(|t| t.chars().next())
                    .is_some_and(char::is_lowercase);
                self.geo
                    .find_at(folded, start, lower, &mut |end, g| found(start, end, g));
            }
            (prev2, prev) = (prev, Some(c));
            start += c.len_utf8();
            if u8::try_from(c).is_ok_and(is_ascii_word_byte) {
                // No word starts inside a word of ASCII letters and digits: skip to its end.
                let run = bytes[start..]
                    .iter()
                    .take_while(|&&b| is_ascii_word_byte(b))
                    .count();
                if run > 0 {
                    start += run;
                    prev2 = Some(if run >= 2 {
                        char::from(bytes[start - 2])
                    } else {
                        c
                    });
                    prev = Some(char::from(bytes[start - 1]));
                }
            }
        }
        if scratch.geo.iter().any(|h| h.code.is_some()) {
            let cues = &scratch.cues;
            let joined = scratch.joined.as_str();
            for hit in scratch.geo.iter_mut().filter(|h| h.code.is_some()) {
                let before = joined
                    .get(..scratch.folded.original_offset(hit.start))
                    .unwrap_or("");
                let rest = joined
                    .get(scratch.folded.original_offset(hit.end)..)
                    .unwrap_or("");
                if context::not_a_place(folded, cues, hit, before, rest) {
                    // It still covers its words, but names no place.
                    hit.code = None;
                }
            }
        }
        tagger::resolve(&mut scratch.geo, &mut scratch.accepted);
        hits.primary = tagger::order(
            folded,
            &scratch.accepted,
            &mut hits.countries,
            &mut hits.actors,
        );
    }
}

/// A hit may start here: at the start, after a non-word character, or (for Arabic) after a
/// one-letter proclitic (و ب ل ف ك) that itself follows a non-word character.
fn left_boundary(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    let (prev, prev2) = (before.next(), before.next());
    text[start..]
        .chars()
        .next()
        .is_none_or(|first| starts_word(prev2, prev, first))
}

/// Whether a word may start at `first`, given the two characters before it.
fn starts_word(prev2: Option<char>, prev: Option<char>, first: char) -> bool {
    let Some(prev) = prev else {
        return true;
    };
    // Chinese and Japanese write no spaces between words: a name may start anywhere.
    if crate::text::is_unspaced(first) || !is_word_char(first) || !is_word_char(prev) {
        return true;
    }
    let arabic = ('\u{0600}'..='\u{06FF}').contains(&first);
    arabic && matches!(prev, 'و' | 'ب' | 'ل' | 'ف' | 'ك') && prev2.is_none_or(|c| !is_word_char(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(terms: &[&str]) -> (Matcher, Vec<TermId>) {
        let mut b = MatcherBuilder::new();
        let ids = terms.iter().map(|t| b.term(t)).collect();
        (b.build().expect("automaton builds"), ids)
    }

    fn found(m: &Matcher, text: &str) -> Vec<String> {
        m.scan(&[text])
            .terms
            .iter()
            .map(|(id, _)| m.term(*id).display())
            .collect()
    }

    fn tags(m: &Matcher, text: &str) -> Vec<String> {
        m.scan(&[text])
            .countries
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    #[test]
    fn terms_on_word_boundaries_and_prefixes() {
        let (m, _) = matcher(&["massacre", "kill*", "mass killing", "killing"]);
        assert_eq!(found(&m, "A MASSACRE in the village"), ["massacre"]);
        assert!(found(&m, "massacres").is_empty());
        assert_eq!(found(&m, "Gunmen killed 12"), ["kill*"]);
        assert!(found(&m, "skilled workers").is_empty());
        let mut both = found(&m, "reports of mass killing");
        both.sort();
        assert_eq!(both, ["kill*", "killing", "mass killing"]);
    }

    #[test]
    fn accents_and_case_are_unicode_aware() {
        let (m, _) = matcher(&["tués", "massacré*", "أعدم*"]);
        assert_eq!(found(&m, "Dix civils TUÉS à Ménaka"), ["tués"]);
        assert!(found(&m, "dix civils tues").is_empty());
        assert_eq!(found(&m, "Villageois MASSACRÉS"), ["massacré*"]);
        assert_eq!(found(&m, "أعدموا"), ["أعدم*"]);
    }

    #[test]
    fn counts_repeats() {
        let (m, ids) = matcher(&["attack"]);
        let hits = m.scan(&["attack after attack", "another attack"]);
        assert_eq!(hits.terms, vec![(ids[0], 3)]);
    }

    #[test]
    fn countries_leftmost_longest_and_case_rules() {
        let (m, _) = matcher(&[]);
        assert_eq!(tags(&m, "Fighting in South Sudan"), ["SS"]);
        assert_eq!(tags(&m, "Sudan and South Sudan talks"), ["SD", "SS"]);
        assert_eq!(tags(&m, "Oil spill in the Niger Delta"), ["NG"]);
        assert_eq!(tags(&m, "Troops leave Niger for Nigeria"), ["NE", "NG"]);
        assert_eq!(tags(&m, "Papua New Guinea landslide"), ["PG"]);
        assert_eq!(tags(&m, "Chad closes border"), ["TD"]);
        assert!(tags(&m, "a hanging chad").is_empty());
        assert_eq!(tags(&m, "DRC army retakes Goma"), ["CD"]);
        assert!(tags(&m, "the drc of it").is_empty());
        assert!(tags(&m, "Latin American leaders meet").is_empty());
        assert_eq!(tags(&m, "Clashes in Côte d’Ivoire"), ["CI"]);
        assert_eq!(tags(&m, "Sudan's army"), ["SD"]);
        assert_eq!(tags(&m, "قصف في السودان وسوريا"), ["SD", "SY"]);
    }

    #[test]
    fn separate_parts_do_not_join() {
        let (m, _) = matcher(&["mass killing"]);
        assert!(m.scan(&["mass", "killing"]).terms.is_empty());
    }
}
