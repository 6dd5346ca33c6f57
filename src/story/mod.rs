//! Stories: items from different feeds about the same event, grouped so that a rule alerts
//! once per story and counts the outlets that carry it.
//!
//! Within one script two headlines are the same story when their words, weighted by how rare
//! each is in recent news and with names (capitalised words; transliterated names in Chinese;
//! in Arabic, a word after "near", "town of", "state of") weighing more, overlap enough
//! ([`similarity`], [`SAME_TEXT`]); less is enough when a name they share is not a country's
//! ([`SAME_NAME`]). Numbers spelled in words count as numbers ("seven", "семеро", "七人"). Across scripts
//! words cannot be compared, so two headlines are the same story only when they name the same
//! country and share a figure (a toll, a magnitude: a number of 5 or more, not a year); that
//! evidence, with one word in common, joins headlines in one script too, however differently
//! they are worded. Headlines about countries that do not overlap are never the same story,
//! unless one names its countries only as who acts ("Russian missile hits a block of flats")
//! and the other names where. An item never joins a story its own feed already carries:
//! a feed's templated items ("M 4.6 - 35 km SSW of Tobelo") are separate events.

mod numerals;
pub mod publisher;
pub mod text;

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;

use crate::geo::CountryCode;
pub use publisher::Publisher;
pub use text::{Features, Script};

/// The [`similarity`] from which two headlines in one script are the same story. Set for
/// precision: a wrong join would hide one event behind another's alert, a missed join only
/// repeats an alert.
pub const SAME_TEXT: f64 = 0.35;
/// The [`similarity`] from which two headlines that share a name (a place, a person, an
/// armed group: not a country, which has many events a day) are the same story, in scripts
/// that mark names (capitals; the characters Chinese writes foreign names with).
pub const SAME_NAME: f64 = 0.2;
/// Items remembered for grouping, newest first out of the way last.
const REMEMBERED: usize = 20_000;
/// Distinct words whose frequency is tracked; past this the counts are halved.
const VOCABULARY: usize = 200_000;

/// What grouping knows of one headline.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The script most of it is in.
    pub script: Script,
    /// Its folded words and numbers.
    pub features: Features,
    /// The countries it is about (sorted).
    pub countries: Vec<CountryCode>,
    /// The same, as [`CountryCode::number`].
    numbers: Vec<u32>,
    /// Whether one of them is named as a place, not only as who acts ("Russian drones").
    says_where: bool,
}

impl Signature {
    fn headline<'a>(&'a self, weighed: &'a Weighed) -> Headline<'a> {
        Headline::new(
            self.script,
            &self.features,
            &self.numbers,
            self.says_where,
            weighed,
        )
    }

    /// Reads a headline about `countries`.
    pub fn new(title: &str, countries: &[CountryCode]) -> Self {
        let mut countries = countries.to_vec();
        countries.sort_unstable();
        countries.dedup();
        Self {
            script: text::script(title),
            features: text::features(title),
            numbers: countries.iter().map(|c| u32::from(c.number())).collect(),
            says_where: !countries.is_empty(),
            countries,
        }
    }

    /// The same, where `actors` are named only as who acts ("Russian drones hit Kharkiv"
    /// names Russia, but the strike is in Ukraine): such a country alone does not keep the
    /// headline from one that names where.
    #[must_use]
    pub fn with_actors(mut self, actors: &[CountryCode]) -> Self {
        self.says_where = self.countries.iter().any(|c| !actors.contains(c));
        self
    }
}

/// How often each word appears in recent headlines, for weighting rare words above common
/// ones. Bounded: past [`VOCABULARY`] words every count is halved and the rarest forgotten.
#[derive(Debug, Default, Clone)]
pub struct Frequencies {
    docs: f64,
    counts: HashMap<u32, f64>,
}

impl Frequencies {
    /// Counts one headline's words.
    pub fn add(&mut self, f: &Features) {
        self.docs += 1.0;
        for t in &f.tokens {
            *self.counts.entry(*t).or_default() += 1.0;
        }
        if self.counts.len() > VOCABULARY {
            self.docs /= 2.0;
            self.counts.retain(|_, n| {
                *n /= 2.0;
                *n >= 1.0
            });
        }
    }

    /// A word's weight: rarer words weigh more.
    pub fn weight(&self, token: u32) -> f64 {
        let n = self.counts.get(&token).copied().unwrap_or(0.0);
        (1.0 + (self.docs + 1.0) / (n + 1.0)).ln()
    }
}

fn disjoint<T: Ord>(a: &[T], b: &[T]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

/// How much more a shared name weighs than a shared word.
const NAME_WEIGHT: f64 = 3.0;
/// How much a shared number (a toll, a magnitude) raises the score.
const NUMBER_BONUS: f64 = 1.5;

/// A headline's words with their weights (names weighing more), and the weights' sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighed {
    /// One weight per token, as `f32` bits (so a remembered headline keeps them in the same
    /// allocation as its words).
    weights: Vec<u32>,
    total: f32,
}

impl Weighed {
    /// Weighs `f`'s words by how rare they are in `freq`.
    pub fn new(f: &Features, freq: &Frequencies) -> Self {
        let mut total = 0.0f32;
        let weights: Vec<u32> = f
            .tokens
            .iter()
            .map(|t| {
                let w = freq.weight(*t);
                let w = (if f.names.binary_search(t).is_ok() {
                    w * NAME_WEIGHT
                } else {
                    w
                }) as f32;
                total += w;
                w.to_bits()
            })
            .collect();
        Self { weights, total }
    }
}

/// What grouping compares of a headline, borrowed from a new [`Signature`] or a remembered
/// [`Entry`].
#[derive(Debug, Clone, Copy)]
struct Headline<'a> {
    script: Script,
    tokens: &'a [u32],
    names: &'a [u32],
    country_names: &'a [u32],
    numbers: &'a [u32],
    figures: &'a [u32],
    /// The countries, as [`CountryCode::number`], sorted.
    countries: &'a [u32],
    /// Whether one of them is named as a place, not only as who acts.
    says_where: bool,
    /// One weight per token, as `f32` bits.
    weights: &'a [u32],
    total: f32,
}

impl<'a> Headline<'a> {
    fn new(
        script: Script,
        f: &'a Features,
        countries: &'a [u32],
        says_where: bool,
        weighed: &'a Weighed,
    ) -> Self {
        Self {
            script,
            tokens: &f.tokens,
            names: &f.names,
            country_names: &f.country_names,
            numbers: &f.numbers,
            figures: &f.figures,
            countries,
            says_where,
            weights: &weighed.weights,
            total: weighed.total,
        }
    }

    fn weight(&self, i: usize) -> f32 {
        f32::from_bits(self.weights[i])
    }
}

/// How much two headlines' words overlap, from 0 (nothing) up: the weight of the words they
/// share over the weight of the shorter headline's words, where rare words weigh more, names
/// three times more, and a shared number raises the whole by half. A shared number alone
/// counts for nothing.
pub fn similarity(a: &Features, b: &Features, freq: &Frequencies) -> f64 {
    let (wa, wb) = (Weighed::new(a, freq), Weighed::new(b, freq));
    overlap(
        Headline::new(Script::Other, a, &[], false, &wa),
        Headline::new(Script::Other, b, &[], false, &wb),
    )
    .score
}

/// What two headlines' words share.
struct Overlap {
    /// The [`similarity`].
    score: f64,
    /// How many words (not numbers) they share.
    words: u32,
    /// Whether a word they share is a name other than a country's.
    named: bool,
}

fn overlap(a: Headline<'_>, b: Headline<'_>) -> Overlap {
    let shorter = a.total.min(b.total);
    if shorter <= 0.0 {
        return Overlap {
            score: 0.0,
            words: 0,
            named: false,
        };
    }
    let (mut i, mut j, mut shared, mut words) = (0, 0, 0.0f32, 0u32);
    let (mut named, mut specific) = (false, false);
    while i < a.tokens.len() && j < b.tokens.len() {
        match a.tokens[i].cmp(&b.tokens[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += a.weight(i).max(b.weight(j));
                words += u32::from(a.numbers.binary_search(&a.tokens[i]).is_err());
                let t = &a.tokens[i];
                if a.names.binary_search(t).is_ok() || b.names.binary_search(t).is_ok() {
                    named = true;
                    specific |= a.country_names.binary_search(t).is_err()
                        && b.country_names.binary_search(t).is_err();
                }
                i += 1;
                j += 1;
            }
        }
    }
    // One shared word is chance ("Massacre in Darfur", "Massacre at the border"), unless it
    // is a name.
    if words == 0 || (words == 1 && !named) {
        return Overlap {
            score: 0.0,
            words,
            named: false,
        };
    }
    let mut score = f64::from(shared / shorter);
    if !disjoint(a.numbers, b.numbers) {
        score *= NUMBER_BONUS;
    }
    Overlap {
        score,
        words,
        named: specific,
    }
}

/// Whether two headlines report the same story.
pub fn same_story(a: &Signature, b: &Signature, freq: &Frequencies) -> bool {
    let (wa, wb) = (
        Weighed::new(&a.features, freq),
        Weighed::new(&b.features, freq),
    );
    judge(a.headline(&wa), b.headline(&wb)).is_some()
}

/// `Some(score)` when two headlines report the same story: their words overlap enough within
/// a script; or they name the same country and share a figure that tells events apart (a
/// toll, a magnitude) and, within a script, a word too. That evidence scores 0, so any overlap
/// of words ranks above it.
fn judge(a: Headline<'_>, b: Headline<'_>) -> Option<f64> {
    let (ca, cb) = (a.countries, b.countries);
    // A headline that names its countries only as who acts ("Russian missile hits a block of
    // flats") does not say where; one that names where may still be its story.
    let one_only_acts = a.says_where != b.says_where;
    if !ca.is_empty() && !cb.is_empty() && disjoint(ca, cb) && !one_only_acts {
        return None;
    }
    let mut words = true;
    if a.script == b.script && a.script != Script::Other {
        let o = overlap(a, b);
        // Arabic names are a guess (no capitals): they weigh more, but do not lower the bar.
        let named = o.named && a.script != Script::Arabic;
        if o.score >= SAME_TEXT || (named && o.score >= SAME_NAME) {
            return Some(o.score);
        }
        words = o.words > 0;
    }
    let figure = !disjoint(a.figures, b.figures);
    (words && figure && !disjoint(ca, cb)).then_some(0.0)
}

/// A remembered headline, packed: its words, numbers, countries and weights in one
/// allocation, so ten thousand remembered items cost about a megabyte and a half.
#[derive(Debug)]
struct Entry {
    /// When it happened, in milliseconds since the epoch.
    at: i64,
    /// The item's own story id, which also names the item.
    own: i64,
    story: i64,
    /// Tokens, names, country names, numbers, figures, countries, then one weight per token
    /// (as `f32` bits): the weights when it arrived (close enough later on, and far cheaper).
    packed: Box<[u32]>,
    /// The feed, numbered by [`Stories::feed_number`].
    feed: u32,
    /// The sum of the words' weights when it arrived.
    total: f32,
    /// How many tokens, names, country names, numbers, figures and countries `packed` holds,
    /// in that order.
    lens: [u16; 6],
    script: Script,
    /// [`Signature::says_where`].
    says_where: bool,
}

impl Entry {
    fn new(
        signature: Signature,
        weighed: Weighed,
        feed: u32,
        at: i64,
        own: i64,
        story: i64,
    ) -> Self {
        let f = &signature.features;
        // A headline has a few dozen words; the cap only keeps the lengths honest.
        let cap = |v: &[u32]| v.len().min(usize::from(u16::MAX));
        let parts: [&[u32]; 6] = [
            &f.tokens,
            &f.names,
            &f.country_names,
            &f.numbers,
            &f.figures,
            &signature.numbers,
        ];
        let lens = parts.map(|p| u16::try_from(cap(p)).unwrap_or(u16::MAX));
        let mut packed =
            Vec::with_capacity(parts.iter().map(|p| cap(p)).sum::<usize>() + cap(&f.tokens));
        for p in parts {
            packed.extend_from_slice(&p[..cap(p)]);
        }
        packed.extend_from_slice(&weighed.weights[..cap(&weighed.weights)]);
        Self {
            at,
            own,
            story,
            packed: packed.into_boxed_slice(),
            feed,
            total: weighed.total,
            lens,
            script: signature.script,
            says_where: signature.says_where,
        }
    }

    fn headline(&self) -> Headline<'_> {
        let [t, n, cn, num, fig, c] = self.lens.map(usize::from);
        let (tokens, rest) = self.packed.split_at(t);
        let (names, rest) = rest.split_at(n);
        let (country_names, rest) = rest.split_at(cn);
        let (numbers, rest) = rest.split_at(num);
        let (figures, rest) = rest.split_at(fig);
        let (countries, weights) = rest.split_at(c);
        Headline {
            script: self.script,
            tokens,
            names,
            country_names,
            numbers,
            figures,
            countries,
            says_where: self.says_where,
            weights,
            total: self.total,
        }
    }

    fn tokens(&self) -> &[u32] {
        &self.packed[..usize::from(self.lens[0])]
    }
}

/// Words shared by more remembered headlines than this say too little to look them up by.
const COMMON: usize = 1_000;
/// The newest headlines looked up by one word.
const PER_TOKEN: usize = 48;
/// Headlines compared with a new one at most.
const CANDIDATES: usize = 300;
/// Headlines of one story in one script compared with a new one at most.
const PER_STORY: u8 = 3;

/// Recent headlines and the stories they belong to, with an index from each word to the
/// headlines that have it, so a new headline is compared only with those sharing a word.
#[derive(Debug, Default)]
pub struct Stories {
    entries: VecDeque<Entry>,
    /// The number of the oldest remembered entry (entries are numbered from 0 as they come).
    first: u64,
    postings: HashMap<u32, VecDeque<u64>>,
    /// Each remembered item's entry, by its own story id.
    by_item: HashMap<i64, u64>,
    freq: Frequencies,
    /// The feeds seen, by name: an entry keeps its feed's number.
    feeds: HashMap<String, u32>,
}

impl Stories {
    /// Assigns a story to an item from `feed` at `at`: the story of the most similar recent
    /// headline within `within` from another feed, else a new story with the id `own`.
    pub fn assign(
        &mut self,
        signature: Signature,
        feed: &str,
        at: DateTime<Utc>,
        within: TimeDelta,
        own: i64,
    ) -> i64 {
        self.freq.add(&signature.features);
        let feed = self.feed_number(feed);
        let now = at.timestamp_millis();
        let within_ms = u64::try_from(within.num_milliseconds()).unwrap_or(0);
        let mut candidates: Vec<u64> = Vec::new();
        for t in &signature.features.tokens {
            if let Some(p) = self.postings.get(t)
                && p.len() <= COMMON
            {
                candidates.extend(p.iter().rev().take(PER_TOKEN).copied());
            }
        }
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        candidates.truncate(CANDIDATES);
        let entries: Vec<&Entry> = candidates
            .iter()
            .filter_map(|n| {
                n.checked_sub(self.first)
                    .and_then(|i| self.entries.get(i as usize))
            })
            .filter(|e| e.at.abs_diff(now) <= within_ms)
            .collect();
        // Stories this feed already carries are closed to it.
        let carried: Vec<i64> = entries
            .iter()
            .filter(|e| e.feed == feed)
            .map(|e| e.story)
            .collect();
        let weighed = Weighed::new(&signature.features, &self.freq);
        let new = signature.headline(&weighed);
        let mut best: Option<(f64, i64)> = None;
        // A story is judged by its newest few headlines in each script, not all of them: a
        // story told in five languages still offers the new headline its own script's words.
        let mut judged: Vec<(i64, Script, u8)> = Vec::new();
        for e in entries {
            if e.feed == feed || carried.contains(&e.story) {
                continue;
            }
            match judged
                .iter_mut()
                .find(|(s, script, _)| *s == e.story && *script == e.script)
            {
                Some((_, _, n)) if *n >= PER_STORY => continue,
                Some((_, _, n)) => *n += 1,
                None => judged.push((e.story, e.script, 1)),
            }
            let Some(score) = judge(new, e.headline()) else {
                continue;
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, e.story));
            }
        }
        let story = best.map_or(own, |(_, s)| s);
        self.keep(signature, weighed, feed, at, own, story);
        story
    }

    /// The story a remembered item (named by its own story id) was assigned to.
    pub fn story_of(&self, own: i64) -> Option<i64> {
        let n = self.by_item.get(&own)?;
        let e = self.entries.get(n.checked_sub(self.first)? as usize)?;
        Some(e.story)
    }

    /// Remembers a headline already assigned to a story (on restart, from the store), and
    /// counts its words.
    pub fn remember(
        &mut self,
        signature: Signature,
        feed: &str,
        at: DateTime<Utc>,
        own: i64,
        story: i64,
    ) {
        self.freq.add(&signature.features);
        let weighed = Weighed::new(&signature.features, &self.freq);
        let feed = self.feed_number(feed);
        self.keep(signature, weighed, feed, at, own, story);
    }

    fn feed_number(&mut self, feed: &str) -> u32 {
        if let Some(&n) = self.feeds.get(feed) {
            return n;
        }
        let n = u32::try_from(self.feeds.len()).unwrap_or(u32::MAX);
        self.feeds.insert(feed.to_string(), n);
        n
    }

    fn keep(
        &mut self,
        signature: Signature,
        weighed: Weighed,
        feed: u32,
        at: DateTime<Utc>,
        own: i64,
        story: i64,
    ) {
        if self.entries.len() >= REMEMBERED
            && let Some(old) = self.entries.pop_front()
        {
            if self.by_item.get(&old.own) == Some(&self.first) {
                self.by_item.remove(&old.own);
            }
            for t in old.tokens() {
                if let Some(p) = self.postings.get_mut(t) {
                    while p.front().is_some_and(|n| *n <= self.first) {
                        p.pop_front();
                    }
                    if p.is_empty() {
                        self.postings.remove(t);
                    }
                }
            }
            self.first += 1;
        }
        let n = self.first + self.entries.len() as u64;
        for t in &signature.features.tokens {
            self.postings.entry(*t).or_default().push_back(n);
        }
        self.by_item.insert(own, n);
        self.entries.push_back(Entry::new(
            signature,
            weighed,
            feed,
            at.timestamp_millis(),
            own,
            story,
        ));
    }

    /// Counts a headline's words without remembering it (to warm the weights on restart).
    pub fn learn(&mut self, f: &Features) {
        self.freq.add(f);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000, 0).unwrap() + TimeDelta::hours(h)
    }

    fn assign(s: &mut Stories, title: &str, feed: &str, h: i64, own: i64) -> i64 {
        let ng = crate::geo::lookup("NG").unwrap();
        s.assign(
            Signature::new(title, &[ng]),
            feed,
            at(h),
            TimeDelta::hours(24),
            own,
        )
    }

    /// Stories that have seen some unrelated news, so rare words weigh more than common ones.
    fn with_background_news() -> Stories {
        let mut s = Stories::default();
        for i in 0..50 {
            assign(
                &mut s,
                &format!("Officials say talks continue in the capital {i}"),
                "x",
                0,
                1000 + i,
            );
        }
        s
    }

    #[test]
    fn a_country_named_only_as_who_acts_does_not_keep_a_story_apart() {
        let code = |c: &str| crate::geo::lookup(c).unwrap();
        let (ru, ua, sd) = (code("RU"), code("UA"), code("SD"));
        let mut freq = Frequencies::default();
        let background = "Officials say talks continue in the capital";
        for _ in 0..50 {
            freq.add(&text::features(background));
        }
        // "Russian" is who acts; the town is not in the place table, so nothing says where.
        let russian = "Russian missile strike on apartment block in Zolochiv kills 7";
        let ukraine = "Ukraine: missile strike on apartment block in Zolochiv kills 7";
        let acts = Signature::new(russian, &[ru]).with_actors(&[ru]);
        let placed = Signature::new(ukraine, &[ua]);
        assert!(same_story(&acts, &placed, &freq));
        // Named as a place, Russia keeps them apart, as before.
        assert!(!same_story(&Signature::new(russian, &[ru]), &placed, &freq));
        // Two headlines that both name only who acts say nothing of where: still apart.
        let sudanese = "Sudanese missile strike on apartment block in Zolochiv kills 7";
        let other = Signature::new(sudanese, &[sd]).with_actors(&[sd]);
        assert!(!same_story(&acts, &other, &freq));
        // A figure joins scripts only through a country both name.
        let zh = Signature::new("乌克兰一居民楼遭导弹袭击 7人死亡", &[ua]);
        assert!(!same_story(&acts, &zh, &freq));
    }

    #[test]
    fn outlets_join_a_story_and_a_feed_never_joins_its_own() {
        let mut s = with_background_news();
        let first = assign(
            &mut s,
            "Gunmen kill 23 villagers in Nigeria's Zamfara state",
            "a",
            1,
            1,
        );
        assert_eq!(first, 1);
        assert_eq!(
            assign(&mut s, "Bandits raid Zamfara village, 23 dead", "b", 2, 2),
            1
        );
        // The same feed's next item is its own story, however alike.
        assert_eq!(
            assign(
                &mut s,
                "Gunmen kill 23 villagers in Nigeria's Zamfara state",
                "a",
                3,
                3
            ),
            3
        );
        // Outside the window it is a new story.
        assert_eq!(
            assign(&mut s, "Bandits raid Zamfara village, 23 dead", "c", 40, 4),
            4
        );
        // Another event is another story.
        assert_eq!(
            assign(
                &mut s,
                "Floods submerge Maiduguri after dam collapse",
                "b",
                3,
                5
            ),
            5
        );
    }

    #[test]
    fn a_story_told_in_other_scripts_still_offers_its_own_scripts_words() {
        let mut s = with_background_news();
        let story = assign(
            &mut s,
            "Facebook and WhatsApp cut ahead of march, 10 arrested",
            "a",
            1,
            1,
        );
        // Four outlets in other scripts join it by country and figure, and are its newest.
        for (i, t) in [
            "Власти отключили WhatsApp перед маршем, задержаны 10 человек",
            "游行前WhatsApp遭切断 10人被捕",
            "قطع واتساب قبل المسيرة واعتقال 10 أشخاص",
            "Отключение WhatsApp: 10 задержанных",
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(assign(&mut s, t, &format!("o{i}"), 2, 10 + i as i64), story);
        }
        // A later English report shares no figure: only its words can join it, and they are
        // compared with the English headline, however many others came since.
        assert_eq!(
            assign(
                &mut s,
                "Press groups condemn the WhatsApp and Facebook shutdown",
                "b",
                3,
                20
            ),
            story
        );
    }

    #[test]
    fn memory_is_bounded() {
        let mut s = Stories::default();
        for i in 0..(REMEMBERED as i64 + 500) {
            assign(
                &mut s,
                &format!("Report {i} from Kano"),
                &format!("f{}", i % 7),
                0,
                i,
            );
        }
        assert_eq!(s.entries.len(), REMEMBERED);
        let indexed: usize = s.postings.values().map(VecDeque::len).sum();
        let tokens: usize = s.entries.iter().map(|e| e.tokens().len()).sum();
        assert_eq!(indexed, tokens);
    }
}
