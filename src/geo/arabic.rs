//! The forms an Arabic country name takes in a headline beyond its own: the adjective of
//! nationality (the nisba: السودان "Sudan" -> سوداني "Sudanese", سودانية, سودانيون, السودانيين …)
//! and the preposition li- fused with the article (السودان -> للسودان "for Sudan").
//!
//! Made by rule from the country names the gazetteer and CLDR give, so every country gets them.
//! A name that already ends in the nisba's ي (مالي "Mali", also "financial") gets no adjective:
//! its adjective would be an ordinary word ("المالية", the Ministry of Finance); nor does a
//! stem under three letters.

/// The article.
const ARTICLE: &str = "ال";

/// The nisba's endings: masculine, feminine, masculine plural (nominative, then the other
/// cases), feminine plural.
const ENDINGS: [&str; 5] = ["ي", "ية", "يون", "يين", "يات"];

/// Stems shorter than this (in letters) make no adjective: too many short words end in ي.
const MIN_STEM: usize = 3;

/// "-stan", the land of: the ending of a name made from a people's.
const STAN: &str = "ستان";

/// A people's name shorter than this (in letters) is not read off a name in -stan (باكستان is
/// not the land of a people "باك").
const MIN_PEOPLE: usize = 4;

/// Whether `name` is written in Arabic letters (and spaces) only.
fn is_arabic(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c == ' ' || ('\u{0621}'..='\u{064A}').contains(&c))
}

/// The other forms of an Arabic country name, without the name itself: its adjective of
/// nationality in every gender and number, with and without the article, when the name is one
/// word; and every form with the article also after li- (لل).
pub fn forms(name: &str) -> Vec<String> {
    if !is_arabic(name) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !name.contains(' ') {
        let bare = name.strip_prefix(ARTICLE).unwrap_or(name);
        // A final -iya gives way to the ending whole (سوريا -> سوري, not سوريي), a final alif,
        // alif maqsura or ta marbuta alone.
        let stem = bare
            .strip_suffix("يا")
            .or_else(|| bare.strip_suffix("ية"))
            .or_else(|| bare.strip_suffix(['ا', 'ى', 'ة']))
            .unwrap_or(bare);
        if !name.ends_with('ي') && stem.chars().count() >= MIN_STEM {
            for ending in ENDINGS {
                out.push(format!("{stem}{ending}"));
                out.push(format!("{ARTICLE}{stem}{ending}"));
            }
        }
        // A land of a people (-stan) takes its adjective from the people's name, which is a
        // plural noun too: أفغانستان -> أفغان "Afghans", أفغاني; كازاخستان -> كازاخي.
        if let Some(people) = bare.strip_suffix(STAN)
            && people.chars().count() >= MIN_PEOPLE
        {
            out.push(people.to_string());
            out.push(format!("{ARTICLE}{people}"));
            for ending in ENDINGS {
                out.push(format!("{people}{ending}"));
                out.push(format!("{ARTICLE}{people}{ending}"));
            }
        }
    }
    let with_article: Vec<String> = std::iter::once(name)
        .chain(out.iter().map(String::as_str))
        .filter_map(|f| f.strip_prefix(ARTICLE))
        .map(|rest| format!("لل{rest}"))
        .collect();
    out.extend(with_article);
    out
}

#[cfg(test)]
mod tests {
    use super::forms;

    #[test]
    fn adjectives_of_nationality_in_every_gender_and_number() {
        let sudan = forms("السودان");
        for f in [
            "سوداني",
            "السودانية",
            "سودانيون",
            "السودانيين",
            "للسودان",
            "للسودانيين",
        ] {
            assert!(sudan.iter().any(|s| s == f), "{f} not in {sudan:?}");
        }
        // A final alif gives way to the ending.
        assert!(forms("سوريا").iter().any(|s| s == "السوريون"));
        assert!(forms("تركيا").iter().any(|s| s == "تركية"));
    }

    #[test]
    fn a_land_in_stan_takes_its_peoples_name() {
        let afghanistan = forms("أفغانستان");
        for f in ["أفغان", "الأفغان", "أفغاني", "الأفغانية", "للأفغان"]
        {
            assert!(
                afghanistan.iter().any(|s| s == f),
                "{f} not in {afghanistan:?}"
            );
        }
        assert!(forms("كازاخستان").iter().any(|s| s == "كازاخي"));
        // Too short a people's name to read: Pakistan keeps only its regular adjective.
        assert!(!forms("باكستان").iter().any(|s| s == "باك" || s == "باكي"));
    }

    #[test]
    fn no_adjective_where_it_would_be_an_ordinary_word() {
        // Mali's name already ends as an adjective does ("financial").
        assert!(forms("مالي").is_empty());
        assert!(forms("فيجي").is_empty());
        // A stem too short to tell from other words (نيا -> ن).
        assert!(forms("نيا").is_empty());
        // Several words: only li- with the article.
        assert_eq!(forms("جنوب السودان"), Vec::<String>::new());
        assert_eq!(forms("الولايات المتحدة"), ["للولايات المتحدة"]);
        // Not Arabic.
        assert!(forms("Sudan").is_empty());
    }
}
