//! Russian adjectives of nationality, made by rule from a country's Russian name in every case,
//! gender and number: Судан -> суданский, суданская, суданских …; Россия -> российский;
//! Израиль -> израильский.
//!
//! Russian forms most of these adjectives one of a few regular ways, and the rule tries each
//! that fits the name's ending. A wrong guess is a word nobody writes (Турция -> "турцийский";
//! the adjective is турецкий), so it costs nothing but a name that never matches; the irregular
//! adjectives are simply not read. Stems under four letters make none: too many short words
//! would start the same way.

/// Endings of an adjective in -ский in every case, gender and number.
const ENDINGS: [&str; 12] = [
    "ий", "ая", "ое", "ие", "ого", "ой", "ому", "ую", "им", "ими", "их", "ом",
];

/// Letters a stem keeps at least, before "ск".
const MIN_STEM: usize = 4;

/// Whether `name` is one word of Cyrillic letters.
fn is_russian_word(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| ('а'..='я').contains(&c) || c == 'ё')
}

/// The adjective stems ending in "ск" that a name may take.
fn stems(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(base) = name.strip_suffix('я') {
        // Россия -> российск-, Гвинея -> гвинейск-; Япония -> японск-.
        out.push(format!("{base}йск"));
        if let Some(short) = base.strip_suffix('и') {
            out.push(format!("{short}ск"));
        }
    } else if let Some(base) = name.strip_suffix('а') {
        // Украина -> украинск-.
        out.push(format!("{base}ск"));
    } else if name.ends_with('и') {
        // Мали -> малийск-.
        out.push(format!("{name}йск"));
    } else if name.ends_with(['ь', 'й']) || !name.ends_with(['е', 'о', 'у', 'ю', 'ы', 'э'])
    {
        // Израиль -> израильск-, Китай -> китайск-, Судан -> суданск-.
        out.push(format!("{name}ск"));
        // A land of a people (-stan) takes the people's adjective: Афганистан -> афганск-,
        // Казахстан -> казахск-.
        if let Some(people) = name
            .strip_suffix("истан")
            .or_else(|| name.strip_suffix("стан"))
        {
            out.push(format!("{people}ск"));
        }
    }
    out.retain(|s| s.chars().count() >= MIN_STEM + 2);
    out
}

/// The adjective forms of a Russian country name (any case of it), lower case; none for a name
/// of several words or in another script.
pub fn forms(name: &str) -> Vec<String> {
    let name = name.to_lowercase();
    // The instrumental (Суданом, Россией) ends no country's nominative, and its stems are
    // words nobody writes: not worth a name each.
    if !is_russian_word(&name) || ["ом", "ем", "ой", "ей"].iter().any(|e| name.ends_with(e))
    {
        return Vec::new();
    }
    stems(&name)
        .iter()
        .flat_map(|stem| ENDINGS.iter().map(move |e| format!("{stem}{e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::forms;

    fn has(name: &str, form: &str) -> bool {
        forms(name).iter().any(|f| f == form)
    }

    #[test]
    fn regular_adjectives_in_every_case() {
        assert!(has("Россия", "российских"));
        assert!(has("Украина", "украинские"));
        assert!(has("Судан", "суданская"));
        assert!(has("Израиль", "израильском"));
        assert!(has("Китай", "китайский"));
        assert!(has("Япония", "японское"));
        assert!(has("Мали", "малийская"));
        assert!(has("Гвинея", "гвинейской"));
        // Lands of a people take the people's adjective; Пакистан's stem is too short.
        assert!(has("Афганистан", "афганских"));
        assert!(has("Казахстан", "казахская"));
        assert!(!has("Пакистан", "пакские"));
    }

    #[test]
    fn none_for_short_stems_phrases_or_other_scripts() {
        assert!(forms("Чад").is_empty());
        assert!(forms("Южный Судан").is_empty());
        assert!(forms("Sudan").is_empty());
        // Indeclinable names in -о or -у take no regular adjective.
        assert!(forms("Того").is_empty());
        // The instrumental case adds nothing the nominative has not.
        assert!(forms("Суданом").is_empty());
    }
}
