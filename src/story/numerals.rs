//! Numbers written as words ("seven dead", "sept morts", "семь погибших", "سبعة قتلى",
//! "七人遇难"), read as the figures they are, so a report that spells its toll agrees with one
//! that writes it in digits.
//!
//! Only 5 and up: smaller numbers tell events apart too rarely to be worth the words they
//! share with ordinary language ("one", "dos" is also Portuguese for "of the"). Words that are
//! also common in another sense ("neuf" is French for "new", "семью" is "family") are left out.

use std::sync::LazyLock;

use foldhash::HashMap;

/// Folded number words (see [`super::text::fold`]) and their values.
const WORDS: &[(&str, u32)] = &[
    ("cinco", 5),
    ("cinq", 5),
    ("cinquante", 50),
    ("cinquenta", 50),
    ("cincuenta", 50),
    ("catorce", 14),
    ("catorze", 14),
    ("cuarenta", 40),
    ("dez", 10),
    ("diez", 10),
    ("dix", 10),
    ("douze", 12),
    ("doce", 12),
    ("doze", 12),
    ("eight", 8),
    ("eighteen", 18),
    ("eighty", 80),
    ("eleven", 11),
    ("fifteen", 15),
    ("fifty", 50),
    ("five", 5),
    ("forty", 40),
    ("fourteen", 14),
    ("huit", 8),
    ("nine", 9),
    ("nineteen", 19),
    ("ninety", 90),
    ("nove", 9),
    ("noventa", 90),
    ("nueve", 9),
    ("ochenta", 80),
    ("ocho", 8),
    ("oitenta", 80),
    ("oito", 8),
    ("onze", 11),
    ("quarante", 40),
    ("quarenta", 40),
    ("quatorze", 14),
    ("quince", 15),
    ("quinze", 15),
    ("seis", 6),
    ("seize", 16),
    ("sept", 7),
    ("sesenta", 60),
    ("sessenta", 60),
    ("sete", 7),
    ("setenta", 70),
    ("seven", 7),
    ("seventeen", 17),
    ("seventy", 70),
    ("siete", 7),
    ("six", 6),
    ("sixteen", 16),
    ("sixty", 60),
    ("soixante", 60),
    ("ten", 10),
    ("thirteen", 13),
    ("thirty", 30),
    ("trece", 13),
    ("treinta", 30),
    ("treize", 13),
    ("trente", 30),
    ("treze", 13),
    ("trinta", 30),
    ("twelve", 12),
    ("twenty", 20),
    ("veinte", 20),
    ("vingt", 20),
    ("vinte", 20),
    // Russian, in the nominative and the oblique case most headlines use, and the
    // collective numerals ("семеро погибших").
    ("восемнадцати", 18),
    ("восемнадцать", 18),
    ("восемь", 8),
    ("восемьдесят", 80),
    ("восьмерых", 8),
    ("восьмеро", 8),
    ("восьми", 8),
    ("восьмидесяти", 80),
    ("двадцати", 20),
    ("двадцать", 20),
    ("двенадцати", 12),
    ("двенадцать", 12),
    ("девяносто", 90),
    ("девятерых", 9),
    ("девятеро", 9),
    ("девяти", 9),
    ("девятнадцати", 19),
    ("девятнадцать", 19),
    ("девять", 9),
    ("десятерых", 10),
    ("десятеро", 10),
    ("десяти", 10),
    ("десять", 10),
    ("одиннадцати", 11),
    ("одиннадцать", 11),
    ("пятерых", 5),
    ("пятеро", 5),
    ("пяти", 5),
    ("пятидесяти", 50),
    ("пятнадцати", 15),
    ("пятнадцать", 15),
    ("пять", 5),
    ("пятьдесят", 50),
    ("семерых", 7),
    ("семеро", 7),
    ("семи", 7),
    ("семидесяти", 70),
    ("семнадцати", 17),
    ("семнадцать", 17),
    ("семь", 7),
    ("семьдесят", 70),
    ("сорок", 40),
    ("сорока", 40),
    ("тридцати", 30),
    ("тридцать", 30),
    ("тринадцати", 13),
    ("тринадцать", 13),
    ("четырнадцати", 14),
    ("четырнадцать", 14),
    ("шестерых", 6),
    ("шестеро", 6),
    ("шести", 6),
    ("шестидесяти", 60),
    ("шестнадцати", 16),
    ("шестнадцать", 16),
    ("шесть", 6),
    ("шестьдесят", 60),
    // Arabic, folded (ة as ه, hamzas on alif dropped); the feminine-marked units only, as
    // the bare forms are also words ("ست" is "lady", "سبع" is "lion").
    ("اربعون", 40),
    ("اربعين", 40),
    ("تسعه", 9),
    ("تسعون", 90),
    ("تسعين", 90),
    ("ثلاثون", 30),
    ("ثلاثين", 30),
    ("ثمانون", 80),
    ("ثمانيه", 8),
    ("ثمانين", 80),
    ("خمسه", 5),
    ("خمسون", 50),
    ("خمسين", 50),
    ("سبعه", 7),
    ("سبعون", 70),
    ("سبعين", 70),
    ("سته", 6),
    ("ستون", 60),
    ("ستين", 60),
    ("عشرون", 20),
    ("عشرين", 20),
];

fn lookup(w: &str) -> Option<u32> {
    static TABLE: LazyLock<HashMap<&'static str, u32>> =
        LazyLock::new(|| WORDS.iter().copied().collect());
    TABLE.get(w).copied()
}

/// The value of a folded word that spells a number of 5 or more, in English, French, Spanish,
/// Portuguese, Russian or Arabic (with the Arabic article or a one-letter prefix: "والسبعين").
pub fn word_value(w: &str) -> Option<u32> {
    if let Some(v) = lookup(w) {
        return Some(v);
    }
    let rest = w.strip_prefix(['و', 'ب', 'ل', 'ف']).unwrap_or(w);
    let rest = rest.strip_prefix("ال").unwrap_or(rest);
    (rest.len() < w.len()).then(|| lookup(rest)).flatten()
}

fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// The value of Chinese numerals up to 99 ("七", "十二", "二十三").
fn chinese_value(s: &[char]) -> Option<u32> {
    match s {
        ['十'] => Some(10),
        [d] => chinese_digit(*d),
        ['十', d] => Some(10 + chinese_digit(*d)?),
        [t, '十'] => Some(chinese_digit(*t)? * 10),
        [t, '十', d] => Some(chinese_digit(*t)? * 10 + chinese_digit(*d)?),
        _ => None,
    }
}

/// Counts of people written in Chinese numerals ("七人遇难", "二十三名村民"): numerals right
/// before 人 or 名, and only those, since the same characters run through ordinary words
/// ("一些", "三角洲"). Values of 5 and up, as for [`word_value`].
pub fn chinese_counts(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    if !text.contains(['人', '名']) {
        return out;
    }
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if !matches!(c, '人' | '名') {
            continue;
        }
        let start = chars[..i]
            .iter()
            .rposition(|c| chinese_digit(*c).is_none() && *c != '十')
            .map_or(0, |p| p + 1);
        // "数十名" is "dozens", "几十人" "some tens": no count.
        let vague = start > 0 && matches!(chars[start - 1], '数' | '几' | '近' | '上');
        if !vague
            && let Some(v) = chinese_value(&chars[start..i])
            && v >= 5
        {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_no_small_numbers_and_no_word_twice() {
        assert!(WORDS.iter().all(|(_, v)| *v >= 5));
        let mut words: Vec<&str> = WORDS.iter().map(|(w, _)| *w).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), WORDS.len(), "a word is listed twice");
    }

    #[test]
    fn spelled_numbers_are_read() {
        assert_eq!(word_value("seven"), Some(7));
        assert_eq!(word_value("sept"), Some(7));
        assert_eq!(word_value("семеро"), Some(7));
        assert_eq!(word_value("سبعه"), Some(7));
        assert_eq!(word_value("والسبعين"), Some(70));
        assert_eq!(word_value("two"), None);
        assert_eq!(word_value("neuf"), None);
        assert_eq!(word_value("وزير"), None);
    }

    #[test]
    fn chinese_counts_of_people_are_read_and_other_numerals_are_not() {
        assert_eq!(chinese_counts("乌克兰一居民楼被导弹击中 七人遇难"), vec![7]);
        assert_eq!(chinese_counts("二十三名村民遇害"), vec![23]);
        assert_eq!(chinese_counts("十二人死亡"), vec![12]);
        assert!(chinese_counts("一人受伤 三角洲").is_empty());
        assert!(chinese_counts("数十名罗兴亚人").is_empty());
    }
}
