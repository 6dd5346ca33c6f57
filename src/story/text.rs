//! What grouping reads of a headline: its script, its word stems (character bigrams where
//! words are not separated), and its numbers, each folded so that spelling, case, accents and
//! digit shapes do not matter.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// The writing system a headline is mostly in. Headlines in one script are compared by their
/// words; across scripts only by what does not depend on the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Latin letters.
    Latin,
    /// Cyrillic letters.
    Cyrillic,
    /// Arabic letters.
    Arabic,
    /// Chinese, Japanese and Korean characters.
    Cjk,
    /// Anything else, or no letters at all.
    Other,
}

/// A headline's folded features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// Word stems and bigrams, hashed, sorted and without repeats.
    pub tokens: Vec<u32>,
    /// The tokens that are names: words written with a capital letter inside a sentence (in
    /// scripts that have capitals), hashed, sorted and without repeats.
    pub names: Vec<u32>,
    /// The names that name a country ("Nigeria's", "Guinée"): they weigh as names, but say
    /// less of which event it is, since a country has many a day. A subset of `names`.
    pub country_names: Vec<u32>,
    /// Numbers in a canonical form (separators and trailing zeros dropped, so "400,000",
    /// "400 000" and "40万" agree), hashed, sorted and without repeats.
    pub numbers: Vec<u32>,
    /// The numbers that can tell one event from another: 5 and up, years aside ("2 dead"
    /// and "in 2025" name many events a day). A subset of `numbers`.
    pub figures: Vec<u32>,
}

/// Letters a stem keeps in scripts that separate words.
const STEM: usize = 5;

const STOPWORDS: &[&str] = &[
    // English
    "the",
    "and",
    "for",
    "from",
    "with",
    "after",
    "says",
    "said",
    "least",
    "more",
    "than",
    "over",
    "into",
    "near",
    "amid",
    "its",
    "are",
    "was",
    "were",
    "has",
    "have",
    "who",
    "that",
    "this",
    "their",
    "they",
    "but",
    "not",
    "all",
    "out",
    "one",
    "two",
    // French, Spanish, Portuguese
    "les",
    "des",
    "une",
    "dans",
    "sur",
    "par",
    "pour",
    "selon",
    "apres",
    "avec",
    "qui",
    "que",
    "plus",
    "moins",
    "aux",
    "est",
    "sont",
    "del",
    "las",
    "los",
    "por",
    "para",
    "con",
    "segun",
    "tras",
    "mas",
    "uma",
    "dos",
    "das",
    "pelo",
    "pela",
    "com",
    "apos",
    // Russian (folded: no diacritics)
    "после",
    "менее",
    "более",
    "для",
    "что",
    "это",
    "при",
    "как",
    "его",
    "они",
    // Arabic (folded)
    "في",
    "من",
    "علي",
    "الي",
    "عن",
    "بعد",
    "مع",
    "قرب",
    "اكثر",
    "الاقل",
    "التي",
    "الذي",
    "بين",
    "خلال",
    "حيث",
];

/// Arabic words (folded) after which a place's name comes: "near", and "town", "city",
/// "state", "village", "camp", "region", "area", "river", "market" in the construct state
/// ("مدينة حلب", the city of Aleppo).
const ARABIC_LOCATIVES: &[&str] = &[
    "قرب",
    "بلده",
    "ببلده",
    "مدينه",
    "بمدينه",
    "ولايه",
    "بولايه",
    "قريه",
    "مخيم",
    "اقليم",
    "باقليم",
    "منطقه",
    "بمنطقه",
    "محافظه",
    "بمحافظه",
    "نهر",
    "سوق",
    "ضاحيه",
];

fn fold_char(c: char) -> Option<char> {
    Some(match c {
        // Arabic-Indic and Persian digits.
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        // Arabic letters that spelling varies on.
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ة' => 'ه',
        'ى' | 'ئ' => 'ي',
        'ؤ' => 'و',
        'ـ' => return None,
        'ё' => 'е',
        // Full-width digits and Latin.
        '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
        _ => c,
    })
}

/// Lowercase, without accents or Arabic vowel marks, with digit shapes and Arabic letter
/// variants folded.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        // Nothing to decompose or map: lower case is all there is to do.
        return s.to_ascii_lowercase();
    }
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter_map(fold_char)
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF
        | 0x20000..=0x2FFFF)
}

fn script_of(c: char) -> Script {
    match c as u32 {
        _ if is_cjk(c) => Script::Cjk,
        0x0400..=0x04FF => Script::Cyrillic,
        0x0600..=0x06FF | 0x0750..=0x077F => Script::Arabic,
        _ if c.is_alphabetic() && (c.is_ascii() || (0x00C0..=0x024F).contains(&(c as u32))) => {
            Script::Latin
        }
        _ => Script::Other,
    }
}

/// The script most of the letters are in.
pub fn script(s: &str) -> Script {
    let mut counts = [0usize; 4];
    for c in s.chars() {
        match script_of(c) {
            Script::Latin => counts[0] += 1,
            Script::Cyrillic => counts[1] += 1,
            Script::Arabic => counts[2] += 1,
            // A Han character carries about as much as a short word.
            Script::Cjk => counts[3] += 3,
            Script::Other => {}
        }
    }
    let best = (0..4).max_by_key(|i| counts[*i]).unwrap_or(0);
    if counts[best] == 0 {
        return Script::Other;
    }
    [Script::Latin, Script::Cyrillic, Script::Arabic, Script::Cjk][best]
}

/// Characters Chinese uses to write foreign names by sound. A bigram of two of them is most
/// likely part of a transliterated place or person: the names a headline turns on.
const TRANSLITERATION: &str = "阿埃艾安奥巴拜班邦贝本比宾波伯布查达戴丹德迪蒂丁杜多厄恩法菲芬弗福伽盖甘冈戈格贡古瓜哈海汉豪赫亨胡华霍基吉加贾杰金卡凯坎康考科克肯库夸奎拉莱兰朗劳勒雷利莉林隆卢鲁伦罗洛马迈曼毛梅门蒙米明莫姆穆纳南内尼努诺帕潘佩彭皮普齐奇恰乔切钦琼萨塞桑瑟森沙善舍什斯苏索塔泰坦汤特提廷通图托瓦万旺威韦维温沃乌西希锡夏辛休雅亚扬耶伊因尤于扎泽詹兹祖佐尔里夫茨顿博列捷费麦奈察喀黎墨圭代彼登伍朱蓬孟松";

/// Whether Chinese writes foreign names by sound with `c` ([`TRANSLITERATION`]).
fn is_transliteration(c: char) -> bool {
    static SORTED: LazyLock<Vec<char>> = LazyLock::new(|| {
        let mut v: Vec<char> = TRANSLITERATION.chars().collect();
        v.sort_unstable();
        v
    });
    SORTED.binary_search(&c).is_ok()
}

/// Words for a first-level region (folded), before its name ("штате Борно", "province of
/// Ituri", "l'État de Zamfara": the short words between are not read) or after it ("Borno
/// State"): a region, like a country, has many events a day, so sharing its name says little
/// of which event a headline reports.
const REGION_WORDS: &[&str] = &[
    "state",
    "province",
    "region",
    "governorate",
    "état",
    "région",
    "штат",
    "штате",
    "штата",
    "провинция",
    "провинции",
    "провинцию",
    "область",
    "области",
    "регион",
    "регионе",
    "региона",
];

/// Names of bodies present in many crises at once (folded): the UN and its agencies, the
/// Red Cross, the EU and NATO. Like a country's name, sharing one says little of which event
/// two headlines report.
const BROAD_BODIES: &[&str] = &[
    "onu",
    "оон",
    "unicef",
    "юнисеф",
    "unhcr",
    "hcr",
    "увкб",
    "ocha",
    "wfp",
    "pam",
    "впп",
    "oms",
    "воз",
    "icrc",
    "cicr",
    "мккк",
    "msf",
    "nato",
    "otan",
    "нато",
];

/// Characters that, after a transliterated name, make it a first-level region's: state,
/// province, and the states of Myanmar and Malaysia.
const REGION_AFTER: &str = "州省邦";

fn hash(s: &str) -> u32 {
    // FNV-1a: stable across runs and builds, which story ids rely on.
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// "400,000" -> "4", "6.3" -> "63", "0023" -> "23": digits only, without leading or trailing
/// zeros. Loose on purpose: it lets reports agree across the ways languages write a number.
fn canonical_number(w: &str) -> Option<String> {
    let digits: String = w.chars().filter(char::is_ascii_digit).collect();
    let d = digits.trim_start_matches('0').trim_end_matches('0');
    (!d.is_empty()).then(|| d.to_string())
}

/// Whether a number as written ("23", "1,000", "6.3") can tell events apart: its digits read
/// 5 or more, and it is not a year from 1900 to 2100 written without separators.
fn is_figure(w: &str) -> bool {
    let digits: String = w.chars().filter(char::is_ascii_digit).take(12).collect();
    let Ok(value) = digits.parse::<u64>() else {
        return false;
    };
    let year = digits.len() == w.len() && (1900..=2100).contains(&value);
    value >= 5 && !year
}

/// Adds a number spelled in words (always a figure: see [`super::numerals`]), hashed as the
/// same number in digits is.
fn spelled(value: u32, numbers: &mut Vec<u32>, figures: &mut Vec<u32>, tokens: &mut Vec<u32>) {
    if let Some(n) = canonical_number(&value.to_string()) {
        let h = hash(&format!("#{n}"));
        numbers.push(h);
        figures.push(h);
        tokens.push(h);
    }
}

fn arabic_stem(w: &str) -> &str {
    let mut w = w;
    for p in ["وال", "بال", "كال", "فال", "لل", "ال"] {
        if let Some(rest) = w.strip_prefix(p)
            && rest.chars().count() >= 3
        {
            w = rest;
            break;
        }
    }
    if w.chars().count() >= 5
        && let Some(rest) = w.strip_prefix(['و', 'ب', 'ل', 'ف'])
    {
        w = rest;
    }
    w
}

/// A Russian word without its last vowel, which is most often a case or number ending:
/// "Гоме", "Гому" and "Гома" (Goma) all read "гом", as longer words agree in their first
/// [`STEM`] letters already.
fn cyrillic_ending(w: &str) -> &str {
    match w.char_indices().next_back() {
        Some((i, 'а' | 'я' | 'о' | 'е' | 'у' | 'ю' | 'ы' | 'и' | 'й' | 'ь'))
            if w[..i].chars().count() >= 3 && w.starts_with(|c| ('а'..='я').contains(&c)) =>
        {
            &w[..i]
        }
        _ => w,
    }
}

fn stem(w: &str, keep: usize) -> &str {
    match w.char_indices().nth(keep) {
        Some((i, _)) => &w[..i],
        None => w,
    }
}

/// How many bytes from the start of `rest` (the text from a word on) a country's name or
/// code covers: "Nigeria's", "Guinée", "RDC", "ДР Конго", "Нигерии"; 0 when none starts
/// there. `word` is the word itself; `head` is scratch space, reused between calls.
fn country_name_len(rest: &str, word: &str, head: &mut String) -> usize {
    // The tagger's names: a country's name in any of its languages and cases, its demonyms
    // and adjectives. Folding is lowercasing, which keeps these scripts' byte lengths.
    let folded = if rest.starts_with(is_cjk) {
        // No case to fold: the index reads no further than its longest name.
        rest
    } else {
        head.clear();
        head.extend(rest.chars().take(64).flat_map(char::to_lowercase));
        head.as_str()
    };
    let mut len = 0;
    crate::geo::name_index().find_at(folded, 0, |end, n| {
        let country = usize::try_from(n)
            .ok()
            .and_then(|n| crate::geo::name_table().accept(n, rest.get(..end).unwrap_or(word)))
            .is_some_and(|info| info.code.is_some() && info.broad);
        if country {
            len = len.max(end);
        }
    });
    len
}

/// Elided French words that Unicode keeps joined to the next one ("l'Ituri", "d'El-Fasher",
/// "qu'elle"), folded.
const ELIDED: &[&str] = &[
    "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu",
];

/// A word without an elided article or pronoun before an apostrophe, and where it then starts:
/// "l'Ituri" is read as "Ituri".
fn without_elision(offset: usize, raw: &str) -> (usize, &str) {
    let Some((head, rest)) = raw.split_once(['\'', '’']) else {
        return (offset, raw);
    };
    let elided = ELIDED.iter().any(|e| head.eq_ignore_ascii_case(e));
    if !elided || !rest.starts_with(char::is_alphabetic) {
        return (offset, raw);
    }
    let skip = raw.len() - rest.len();
    (offset + skip, rest)
}

/// Reads a headline's features.
pub fn features(text: &str) -> Features {
    let mut tokens = Vec::new();
    let mut names = Vec::new();
    let mut country_names = Vec::new();
    let mut numbers = Vec::new();
    let mut figures = Vec::new();
    // A run of CJK characters, each with whether it is part of a country's (or, once the run
    // is read, a region's) name.
    let mut run: Vec<(char, bool)> = Vec::new();
    let flush = |run: &mut Vec<(char, bool)>,
                 tokens: &mut Vec<u32>,
                 names: &mut Vec<u32>,
                 country_names: &mut Vec<u32>| {
        match run.len() {
            0 => {}
            1 => tokens.push(hash(&run[0].0.to_string())),
            _ => {
                // A name before 州, 省 or 邦 is a region's ("博尔诺州", Borno State): like a
                // country, a region has many events a day.
                for i in 1..run.len() {
                    if REGION_AFTER.contains(run[i].0) {
                        for j in (0..i).rev() {
                            if !is_transliteration(run[j].0) {
                                break;
                            }
                            run[j].1 = true;
                        }
                    }
                }
                let mut pair = String::new();
                for w in run.windows(2) {
                    pair.clear();
                    pair.extend(w.iter().map(|(c, _)| c));
                    let h = hash(&pair);
                    tokens.push(h);
                    // A country's name ("尼日利亚", "苏丹") is a name that says little of which
                    // event it is, as in scripts with capitals.
                    if w.iter().all(|(_, country)| *country) {
                        names.push(h);
                        country_names.push(h);
                    } else if w.iter().all(|(c, _)| is_transliteration(*c)) {
                        names.push(h);
                    }
                }
            }
        }
        run.clear();
    };
    // A capital after the first word marks a name, unless the headline is in title case.
    let (mut words, mut capitals) = (0usize, 0usize);
    for (i, w) in text.unicode_words().enumerate() {
        if i > 0 && w.starts_with(char::is_alphabetic) {
            words += 1;
            capitals += usize::from(w.starts_with(char::is_uppercase));
        }
    }
    let title_case = capitals * 2 > words;
    let mut locative = false;
    // Whether a region's word came last (before its name), and the last name read.
    let (mut region_before, mut last_name) = (false, None);
    // Where the last country's name found ends: the words before it are part of it.
    let mut country_until = 0;
    let mut head = String::new();
    for (i, (offset, raw)) in text.unicode_word_indices().enumerate() {
        let (offset, raw) = without_elision(offset, raw);
        let capital = i > 0 && !title_case && raw.starts_with(char::is_uppercase);
        let folded = fold(raw);
        let w = folded.as_str();
        let placed = std::mem::replace(&mut locative, ARABIC_LOCATIVES.contains(&w));
        // Only words that may be names are looked up (before short words are dropped:
        // "ДР Конго" starts with one).
        let cjk = raw.chars().all(is_cjk);
        if (raw.starts_with(char::is_uppercase) || placed || cjk) && offset >= country_until {
            country_until = offset + country_name_len(&text[offset..], raw, &mut head);
        }
        let in_country = offset < country_until;
        if cjk {
            run.extend(w.chars().map(|c| (c, in_country)));
            continue;
        }
        flush(&mut run, &mut tokens, &mut names, &mut country_names);
        if w.starts_with(|c: char| c.is_ascii_digit()) {
            // "23", "1,000", "6.3", but also "m23": a name, kept as a word below.
            if w.chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
            {
                if let Some(n) = canonical_number(w) {
                    let h = hash(&format!("#{n}"));
                    numbers.push(h);
                    tokens.push(h);
                    if is_figure(w) {
                        figures.push(h);
                    }
                }
                continue;
            }
        }
        if let Some(v) = super::numerals::word_value(w) {
            spelled(v, &mut numbers, &mut figures, &mut tokens);
            continue;
        }
        if w.chars().count() < 3 || STOPWORDS.contains(&w) {
            continue;
        }
        if script(w) == Script::Arabic {
            // Arabic words change inside as well as at their ends: compare their letter
            // triples, which keep the root's letters together more often than a prefix does.
            // Arabic has no capitals: a word without the article right after "near", "town
            // of", "state of" is taken for a place's name, unless it names a country. ("In" is
            // followed by too much else: "في هجوم", in an attack.)
            let stem = arabic_stem(w);
            let name = placed
                && !ARABIC_LOCATIVES.contains(&w)
                && !["ال", "لل", "بال", "وال"].iter().any(|a| w.starts_with(a))
                && !in_country;
            let letters: Vec<char> = stem.chars().collect();
            let mut push = |t: &[char]| {
                let h = hash(&t.iter().collect::<String>());
                tokens.push(h);
                if name {
                    names.push(h);
                }
            };
            if letters.len() <= 3 {
                push(&letters);
            } else {
                letters.windows(3).for_each(&mut push);
            }
            continue;
        }
        let region = if REGION_WORDS.contains(&w) {
            // "Borno State": the name just read was a region's.
            if let Some(h) = last_name.take() {
                country_names.push(h);
            }
            region_before = true;
            false
        } else {
            std::mem::take(&mut region_before)
        };
        last_name = None;
        let s = stem(cyrillic_ending(w), STEM);
        if s.chars().count() >= 3 && !STOPWORDS.contains(&s) {
            let h = hash(s);
            tokens.push(h);
            if capital {
                names.push(h);
                if in_country || region || BROAD_BODIES.contains(&w) {
                    country_names.push(h);
                }
                last_name = Some(h);
            }
        }
    }
    flush(&mut run, &mut tokens, &mut names, &mut country_names);
    for v in super::numerals::chinese_counts(text) {
        spelled(v, &mut numbers, &mut figures, &mut tokens);
    }
    tokens.sort_unstable();
    tokens.dedup();
    numbers.sort_unstable();
    numbers.dedup();
    names.sort_unstable();
    names.dedup();
    country_names.sort_unstable();
    country_names.dedup();
    figures.sort_unstable();
    figures.dedup();
    Features {
        tokens,
        names,
        country_names,
        numbers,
        figures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_makes_spellings_agree() {
        assert_eq!(fold("Éthiopie ÉTHIOPIE"), "ethiopie ethiopie");
        assert_eq!(fold("أحمد إلى"), "احمد الي");
        assert_eq!(fold("٢٣ قتيلاً"), "23 قتيلا");
        assert_eq!(fold("Ёлка"), "елка");
    }

    #[test]
    fn scripts_are_told_apart() {
        assert_eq!(script("Gunmen kill 23 in Zamfara"), Script::Latin);
        assert_eq!(script("Боевики убили 23 жителей"), Script::Cyrillic);
        assert_eq!(script("مسلحون يقتلون 23 قرويا"), Script::Arabic);
        assert_eq!(script("武装分子袭击村庄 23名村民遇害"), Script::Cjk);
        assert_eq!(script("2025"), Script::Other);
    }

    #[test]
    fn numbers_agree_across_the_ways_they_are_written() {
        let n = |s: &str| features(s).numbers;
        assert_eq!(n("400,000 displaced"), n("400000 déplacés"));
        assert_eq!(n("400,000 displaced"), n("40万人"));
        assert_eq!(n("٢٣ قتيلا"), n("23 dead"));
        assert_eq!(n("magnitude 6.3"), n("magnitude 6,3"));
        assert!(n("M23 rebels").is_empty());
    }

    #[test]
    fn spelled_numbers_agree_with_digits() {
        let f = |s: &str| features(s).figures;
        assert_eq!(f("Seven dead in Kharkiv"), f("7 dead"));
        assert_eq!(f("Sept morts à Kharkiv"), f("7 dead"));
        assert_eq!(f("Украина: семь погибших"), f("7 dead"));
        assert_eq!(f("سبعة قتلى في خاركيف"), f("7 dead"));
        assert_eq!(f("乌克兰一居民楼被导弹击中 七人遇难"), f("7 dead"));
        assert!(f("Une école neuve, deux blessés").is_empty());
    }

    #[test]
    fn small_numbers_and_years_are_no_figures() {
        let f = |s: &str| features(s).figures;
        assert_eq!(f("23 dead"), features("23 dead").numbers);
        assert_eq!(f("1,000 flee"), features("1,000 flee").numbers);
        assert_eq!(f("magnitude 6.3"), features("magnitude 6.3").numbers);
        assert!(f("2 killed in 2025").is_empty());
        assert!(!features("2 killed in 2025").numbers.is_empty());
    }

    #[test]
    fn unseparated_text_is_read_in_bigrams() {
        let a = features("武装分子袭击村庄");
        let b = features("村庄遭武装分子袭击");
        let shared = a.tokens.iter().filter(|t| b.tokens.contains(t)).count();
        assert!(shared >= 5, "{shared}");
    }

    #[test]
    fn names_of_countries_are_told_from_other_names() {
        let f = features("Troops deployed as Chad's army and Niger border guards meet in Bol");
        let bol = features("Bol").tokens;
        assert!(f.names.contains(&bol[0]), "a town is a name");
        assert!(
            !f.country_names.contains(&bol[0]),
            "a town is not a country"
        );
        assert_eq!(f.country_names.len(), 2, "Chad's and Niger");
        let r = features("Армия Нигерии вошла в Кондугу");
        assert_eq!(r.country_names.len(), 1, "Нигерии, not Кондугу");
        // "near the town of Konduga": the town's name, not the word "town".
        let a = features("مقتل خمسة قرب بلدة كوندوغا في نيجيريا");
        assert_eq!(a.names, features("كوندوغا").tokens);
    }

    #[test]
    fn a_country_or_region_written_in_chinese_is_a_broad_name() {
        // "利亚" is written with characters for foreign names, but inside 尼日利亚 (Nigeria)
        // it names a country, which has many events a day.
        let f = features("尼日利亚扎姆法拉州土匪袭击村庄");
        let pair = features("利亚").tokens[0];
        assert!(f.names.contains(&pair));
        assert!(f.country_names.contains(&pair));
        let zamfara = features("扎姆").tokens[0];
        assert!(f.names.contains(&zamfara), "a state's name is a name");
        assert!(
            f.country_names.contains(&zamfara),
            "that says as little as a country's (州 follows it)"
        );
        // A district's name (地区) says which event it is.
        let f = features("伊图里省朱古地区营地遭袭");
        let djugu = features("朱古").tokens[0];
        assert!(f.names.contains(&djugu));
        assert!(!f.country_names.contains(&djugu), "not a region's");
        let ituri = features("伊图").tokens[0];
        assert!(f.country_names.contains(&ituri), "a province's (省)");
    }

    #[test]
    fn a_regions_name_and_a_broad_bodys_say_little() {
        // Before and after a region's word, in three languages.
        for (text, region) in [
            ("Смертники убили 12 человек в штате Борно", "Борно"),
            ("Twelve killed in market blast in Borno State", "Borno"),
            ("Attaque dans la province de l'Ituri", "Ituri"),
        ] {
            let f = features(text);
            let h = features(region).tokens[0];
            assert!(f.names.contains(&h), "{text}");
            assert!(
                f.country_names.contains(&h),
                "{text}: {region} is a region's"
            );
        }
        // The place table tells a first-level region (Moxico, an Angolan province) from a
        // town, also among the towns the gazetteer reads as its country's (Goma).
        let f = features("Clashes reported in Moxico and near Goma");
        let (moxico, goma) = (features("Moxico").tokens[0], features("Goma").tokens[0]);
        assert!(f.names.contains(&moxico) && f.country_names.contains(&moxico));
        assert!(f.names.contains(&goma) && !f.country_names.contains(&goma));
        // A town stays a town's name.
        let f = features("Смертники убили 12 человек на рынке в Кондуге");
        let konduga = features("Кондуге").tokens[0];
        assert!(f.names.contains(&konduga) && !f.country_names.contains(&konduga));
        let f = features("Генсек ООН осудил убийства");
        let un = features("ООН").tokens[0];
        assert!(
            f.country_names.contains(&un),
            "the UN is in many crises at once"
        );
    }

    #[test]
    fn russian_case_endings_share_a_stem() {
        assert_eq!(features("в Гоме").tokens, features("Гома").tokens);
        assert_eq!(features("Свате").tokens, features("Сват").tokens);
        assert_eq!(features("Харькове").tokens, features("Харьков").tokens);
    }

    #[test]
    fn inflections_share_a_stem() {
        let a = features("Militants attacked villagers");
        let b = features("militant attacks villager");
        assert_eq!(a.tokens, b.tokens);
    }
}
