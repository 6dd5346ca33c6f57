//! The tagger's names and rules. Names are matched in the same automaton as every rule's terms
//! (see [`crate::rules::matcher`]); this module says what a name is and how overlapping name
//! hits resolve: leftmost-longest, so "South Sudan" wins over the "Sudan" inside it.

use std::borrow::Cow;

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

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A country's own name ("Georgia", "Géorgie").
    Country,
    /// Another name the gazetteer gives a country: a demonym, an older name, a city it lists.
    Gazetteer,
    /// An adjective of nationality made by rule (Arabic: سوداني "Sudanese", see
    /// [`super::arabic`]): it names its country, but more often as who acts or where something
    /// comes from than as where it happens.
    Demonym,
    /// A city or region from the place table.
    Place,
    /// A place whose name another country's place (or a country) shares: it names its country
    /// only when the item names that country too, by another name or place.
    SharedPlace,
}

/// A name in the gazetteer.
#[derive(Debug, Clone)]
pub struct GeoName<'a> {
    /// The name as written, without its marker: borrowed from the tables compiled in, owned
    /// for a config's aliases and forms made from a table's names.
    pub text: Cow<'a, str>,
    /// The country it names; `None` for a phrase that blocks the names inside it
    /// ("Latin America" holds "America" but names no country).
    pub code: Option<CountryCode>,
    /// Case rule.
    pub case: CaseRule,
    /// Country name or place.
    pub kind: NameKind,
    /// Whether it names an area with many events a day (a country, a first-level region)
    /// rather than a town: stories do not take a shared broad name for a sign of one event.
    pub broad: bool,
}

impl<'a> GeoName<'a> {
    /// Parses a gazetteer entry with its optional marker (`^` capitalised, `=` exact).
    pub fn parse(raw: &'a str, code: Option<CountryCode>) -> Self {
        let (case, text) = split_marker(raw);
        Self {
            text: Cow::Borrowed(text),
            code,
            case,
            kind: NameKind::Gazetteer,
            broad: true,
        }
    }

    /// Parses an entry that is not compiled in (a config's alias), as [`GeoName::parse`].
    pub fn parse_owned(raw: &str, code: Option<CountryCode>) -> GeoName<'static> {
        let (case, text) = split_marker(raw);
        GeoName {
            text: Cow::Owned(text.to_string()),
            code,
            case,
            kind: NameKind::Gazetteer,
            broad: true,
        }
    }

    /// This name as a country's own name.
    pub fn own_name(self) -> Self {
        Self {
            kind: NameKind::Country,
            ..self
        }
    }

    /// Parses an entry of the place table: the gazetteer's markers after an optional `~`
    /// (a name other places share) and an optional `*` (a first-level region's name).
    pub fn parse_place(raw: &'a str, code: CountryCode) -> Self {
        let (kind, rest) = match raw.strip_prefix('~') {
            Some(rest) => (NameKind::SharedPlace, rest),
            None => (NameKind::Place, raw),
        };
        let (broad, rest) = match rest.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        Self {
            kind,
            broad,
            ..Self::parse(rest, Some(code))
        }
    }
}

/// What a name names, without its text: what the tagger keeps of each name once the names'
/// index is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameInfo {
    /// The country, or `None` for a blocking phrase.
    pub code: Option<CountryCode>,
    /// Country name or place.
    pub kind: NameKind,
    /// Whether it names a country or a first-level region rather than a town
    /// ([`GeoName::broad`]).
    pub broad: bool,
    case: CaseRule,
}

/// Indexed names as the tagger reads them: six bytes a name, plus the text of the few that
/// match only as written. The text of the rest lives on in the index's hashes.
#[derive(Debug, Clone, Default)]
pub struct NameTable {
    infos: Vec<NameInfo>,
    /// The names matched only as written ([`CaseRule::Exact`]), by number, sorted.
    exact: Vec<(u32, Box<str>)>,
}

impl NameTable {
    /// Keeps what the tagger needs of `names`, numbered from 0 in the order given.
    pub fn new(names: &[GeoName<'_>]) -> Self {
        let infos = names
            .iter()
            .map(|n| NameInfo {
                code: n.code,
                kind: n.kind,
                broad: n.broad,
                case: n.case,
            })
            .collect();
        let exact = (0u32..)
            .zip(names)
            .filter(|(_, n)| n.case == CaseRule::Exact)
            .map(|(i, n)| (i, Box::from(n.text.as_ref())))
            .collect();
        Self { infos, exact }
    }

    /// How many names the table holds.
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    /// Whether the table holds no name.
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Name `i`, when `original` (the hit's text as written) satisfies its case rule.
    pub fn accept(&self, i: usize, original: &str) -> Option<NameInfo> {
        let info = *self.infos.get(i)?;
        let ok = match info.case {
            CaseRule::Any => true,
            CaseRule::Capitalised => original.chars().next().is_some_and(char::is_uppercase),
            CaseRule::Exact => u32::try_from(i).ok().is_some_and(|i| {
                self.exact
                    .binary_search_by_key(&i, |(n, _)| *n)
                    .is_ok_and(|at| *self.exact[at].1 == *original)
            }),
        };
        ok.then_some(info)
    }

    /// Bytes held on the heap.
    pub fn memory_usage(&self) -> usize {
        self.infos.capacity() * size_of::<NameInfo>()
            + self.exact.capacity() * size_of::<(u32, Box<str>)>()
            + self.exact.iter().map(|(_, t)| t.len()).sum::<usize>()
    }
}

/// A name's case rule from its marker, and the name without it.
fn split_marker(raw: &str) -> (CaseRule, &str) {
    if let Some(t) = raw.strip_prefix('^') {
        (CaseRule::Capitalised, t)
    } else if let Some(t) = raw.strip_prefix('=') {
        (CaseRule::Exact, t)
    } else {
        (CaseRule::Any, raw)
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
    /// Country name or place.
    pub kind: NameKind,
}

/// Resolves hits into the countries named, appended to `out` in order of first appearance and
/// without repeats.
///
/// Overlapping hits resolve leftmost-longest. Hits on the same span are one name's readings:
/// a span with one reading names it; a name several places share names the countries among
/// its readings that the rest of the item names (by a country name or an unshared place), else
/// the one reading that is not shared (a city that dwarfs its namesakes: Tripoli is Libya's
/// unless Lebanon is named), else nothing. A country's name that is also a place elsewhere
/// ("Georgia") stays the country unless the item names a place in that other country and
/// nothing of the first ("Georgia officials certify results in Atlanta").
pub fn resolve(hits: &mut [GeoHit], out: &mut Vec<GeoHit>) {
    out.clear();
    hits.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    // Keep the spans leftmost-longest; every hit on a kept span stays.
    let mut kept = 0usize;
    let mut covered_to = 0usize;
    let mut span = (usize::MAX, usize::MAX);
    for i in 0..hits.len() {
        let h = hits[i];
        if (h.start, h.end) != span {
            if h.start < covered_to {
                continue;
            }
            span = (h.start, h.end);
            covered_to = h.end;
        }
        hits[kept] = h;
        kept += 1;
    }
    let hits = &hits[..kept];
    let spans = || hits.chunk_by(|a, b| (a.start, a.end) == (b.start, b.end));

    let simple = spans().all(|s| s.len() == 1 && s[0].kind != NameKind::SharedPlace);
    if simple {
        for h in hits {
            push(out, h);
        }
        return;
    }

    // What the item names for sure: spans with one reading that is not shared.
    let sure = |s: &[GeoHit]| -> Option<(CountryCode, NameKind)> {
        match s {
            [h] if h.kind != NameKind::SharedPlace => h.code.map(|c| (c, h.kind)),
            _ => None,
        }
    };
    // Whether another span names `code`; `by_place` asks for anything but the country's own name.
    let named_elsewhere = |here: usize, code: CountryCode, by_place: bool| {
        spans().any(|s| {
            s[0].start != here
                && sure(s)
                    .is_some_and(|(c, kind)| c == code && (!by_place || kind != NameKind::Country))
        })
    };
    for s in spans() {
        if sure(s).is_some() {
            push(out, &s[0]);
            continue;
        }
        let here = s[0].start;
        let confirmed = |h: &&GeoHit, by_place: bool| {
            h.code.is_some_and(|c| named_elsewhere(here, c, by_place))
        };
        let gazetteer = s.iter().filter(|h| {
            matches!(
                h.kind,
                NameKind::Country | NameKind::Gazetteer | NameKind::Demonym
            )
        });
        let shared = s.iter().filter(|h| h.kind == NameKind::SharedPlace);
        if gazetteer.clone().next().is_some() {
            // A country's own name gives way only to a place in the other country; another
            // gazetteer name (a city it lists) to the other country's name too.
            let own_name = gazetteer.clone().any(|h| h.kind == NameKind::Country);
            let kept = gazetteer.clone().any(|h| confirmed(&h, false));
            let other: Vec<&GeoHit> = shared.filter(|h| confirmed(h, own_name)).collect();
            if kept || other.is_empty() {
                gazetteer.for_each(|h| push(out, h));
            } else {
                other.iter().for_each(|h| push(out, h));
            }
            continue;
        }
        let mut agreed = s.iter().filter(|h| confirmed(h, false)).peekable();
        if agreed.peek().is_some() {
            agreed.for_each(|h| push(out, h));
        } else if let Some(h) = s.iter().find(|h| h.kind == NameKind::Place) {
            push(out, h);
        }
    }
}

fn push(out: &mut Vec<GeoHit>, hit: &GeoHit) {
    if hit.code.is_some() {
        out.push(*hit);
    }
}

/// Words right before a name that say the item happens there.
const LOCATIVE_BEFORE: &[&str] = &[
    "in", "inside", "near", "at", "into", "across", "to", "of", "en", "dans", "au", "aux", "à",
    "em", "no", "na", "nos", "nas", "в", "во", "في",
];

/// Word endings after a name that make it the actor's origin, not the place ("UAE-backed").
const ORIGIN_AFTER: &[&str] = &[
    "-backed",
    "-led",
    "-based",
    "-born",
    "-funded",
    "-allied",
    "-sponsored",
    "-made",
];

/// Nouns that make a Chinese country name right before them the actor, as an adjective of
/// nationality does in other languages: 俄罗斯无人机 "Russian drones", 卢旺达部队 "Rwandan
/// troops", 土耳其支持的 "Turkish-backed". Chinese writes the country's own name there, with
/// no demonym to tell the two apart. (Not 军 alone: 缅甸军政府 is Myanmar's junta, which acts
/// at home.)
const ACTOR_AFTER_ZH: &[&str] = &[
    "无人机",
    "导弹",
    "战机",
    "战斗机",
    "空袭",
    "炮击",
    "军队",
    "部队",
    "士兵",
    "雇佣兵",
    "海警",
    "军舰",
    "支持的",
    "主导的",
    "领导的",
    "资助的",
    "籍",
];

/// People whose place of residence a locative after them gives, rather than where the item
/// happens: "Nicaragua strips exiles in Costa Rica of citizenship" is about Nicaragua.
const PEOPLE_ABROAD: &[&str] = &[
    "exiles",
    "dissidents",
    "diaspora",
    "nationals",
    "citizens",
    "critics",
    "opponents",
    "émigrés",
    "expatriates",
    "expats",
    "exilés",
    "opposants",
    "ressortissants",
    "exiliados",
    "exilados",
    "opositores",
];

/// Whether the locative `previous` (the last word of `before`) says where something other
/// than the item's event is: where people abroad live ("exiles in Costa Rica"), or where the
/// cause in a passive's "by" phrase lies ("exports halted by fighting in Sudan").
fn locative_of_something_else(before: &str, previous: &str) -> bool {
    let head = before[..before.len() - previous.len()].trim_end();
    if PEOPLE_ABROAD.contains(&last_word(head)) {
        return true;
    }
    let clause = head.rsplit([',', ';', ':', '\n']).next().unwrap_or(head);
    clause.split(' ').skip(1).any(|w| w == "by" || w == "par")
}

/// Words for people driven out, before "from": the place they left is where the crisis is
/// ("refugees from Darfur cross into Chad").
const DISPLACED_FROM: &[&str] = &[
    "refugees",
    "refugee",
    "displaced",
    "fleeing",
    "fled",
    "flee",
    "flees",
    "escaping",
    "escaped",
    "evacuated",
    "evacuees",
    "exodus",
    "expelled",
    "deported",
];

/// Whether the mention follows "from" after a word for people driven out.
fn driven_from(text: &str, hit: &GeoHit) -> bool {
    let Some(head) = text[..hit.start].trim_end_matches(' ').strip_suffix("from") else {
        return false;
    };
    DISPLACED_FROM.contains(&last_word(head))
}

/// The last word of `text`, spaces after it ignored.
fn last_word(text: &str) -> &str {
    text.trim_end().rsplit([' ', '\n']).next().unwrap_or("")
}

/// How strongly one mention says "this is where the item happens"; `actor` is whether it
/// names who acts ([`is_actor`]).
fn place_score(text: &str, hit: &GeoHit, actor: bool) -> i32 {
    if hit.code.is_none() {
        return i32::MIN;
    }
    let before = text[..hit.start].trim_end_matches(' ');
    let previous = before.rsplit([' ', '\n', '(', ',']).next().unwrap_or("");
    let rest = &text[hit.end..];
    let mut score = 0;
    if (LOCATIVE_BEFORE.contains(&previous) && !locative_of_something_else(before, previous))
        || before.ends_with('在')
    {
        score += 2;
    }
    if rest.starts_with("'s ") || rest.starts_with("’s ") {
        score += 2;
    }
    if matches!(hit.kind, NameKind::Place | NameKind::SharedPlace) {
        score += 1;
    }
    if [" border", "-border", "边境", "边界", "邊境"]
        .iter()
        .any(|w| rest.starts_with(w))
    {
        // "near Bangladesh border", "在泰国边境": the edge of the country, seen from the other
        // side.
        score -= 2;
    }
    if actor {
        score -= 3;
    }
    if text[..hit.start].contains('\n') {
        // Past the title.
        score -= 1;
    }
    score
}

/// Whether a mention names who acts, not where: an adjective of nationality ("Russian
/// drones"), an origin ("UAE-backed"), a Chinese country name before a weapon or force
/// ("俄罗斯导弹").
fn is_actor(text: &str, hit: &GeoHit, code: CountryCode) -> bool {
    let name = &text[hit.start..hit.end];
    let rest = &text[hit.end..];
    let actor_zh = name.chars().all(crate::text::is_unspaced)
        && ACTOR_AFTER_ZH.iter().any(|w| rest.starts_with(w));
    ORIGIN_AFTER.iter().any(|w| rest.starts_with(w)) || is_demonym(name, code, hit.kind) || actor_zh
}

/// An adjective of nationality, or a gazetteer name that starts like its country's name without
/// being it: a demonym ("Russian", "Israeli", "Chinese").
fn is_demonym(name: &str, code: CountryCode, kind: NameKind) -> bool {
    if kind == NameKind::Demonym {
        return true;
    }
    if kind != NameKind::Gazetteer {
        return false;
    }
    let country = code.name().to_lowercase();
    let stem: String = country.chars().take(4).collect();
    stem.chars().count() == 4 && name.starts_with(&stem) && name != country
}

/// Words that join two countries as equals ("France and Germany", "美国和中国").
const CONJUNCTIONS: &[&str] = &["and", "&", "et", "y", "e", "и", "و", "和", "与", "及", "同"];

/// Orders the countries of the accepted mentions: the one the item is most about first (the
/// best-placed mention by [`place_score`], earlier winning ties), then the rest in order of
/// first appearance. Returns that primary country, or `None` when the item is about no one
/// country: when none is named, or when the best-placed mention is one of two countries joined
/// as equals ("US and China agree to resume talks"), placed alike, with nothing placed better.
///
/// `actors` gets the countries every mention of which names who acts ([`is_actor`]), never a
/// place.
pub fn order(
    text: &str,
    accepted: &[GeoHit],
    out: &mut Vec<CountryCode>,
    actors: &mut Vec<CountryCode>,
) -> Option<CountryCode> {
    out.clear();
    actors.clear();
    let mut best: Option<(i32, usize)> = None;
    let mut first = true;
    for (i, hit) in accepted.iter().enumerate() {
        let Some(code) = hit.code else { continue };
        let actor = is_actor(text, hit, code);
        if !out.contains(&code) {
            out.push(code);
            if actor {
                actors.push(code);
            }
        } else if !actor {
            // Named as a place after all.
            actors.retain(|c| *c != code);
        }
        let mut score = place_score(text, hit, actor);
        // People driven out of the first place the text names: that place is where the crisis
        // is, as a locative would say. Named after the country that takes them in ("Chad
        // receives refugees from Sudan"), it is not: the item is the host's.
        if std::mem::take(&mut first) && driven_from(text, hit) {
            score += 2;
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, i));
        }
    }
    let (score, at) = best?;
    let primary = accepted[at].code?;
    if let Some(i) = out.iter().position(|c| *c == primary) {
        out[..=i].rotate_right(1);
    }
    let equal = accepted[at + 1..]
        .iter()
        .find(|h| h.code.is_some_and(|c| c != primary))
        .is_some_and(|next| {
            let between = text.get(accepted[at].end..next.start).unwrap_or("").trim();
            // "et l'Algérie": an article elided onto the second name.
            let between = between.strip_suffix("l'").map_or(between, str::trim_end);
            CONJUNCTIONS.contains(&between)
                && next
                    .code
                    .is_some_and(|c| place_score(text, next, is_actor(text, next, c)) == score)
                && [&accepted[at], next]
                    .iter()
                    .all(|h| matches!(h.kind, NameKind::Country | NameKind::Gazetteer))
        });
    (!equal).then_some(primary)
}
