//! The list filter's language: `sev:crit cc:SD rule:violence feed:wire !ack`.
//!
//! Terms are separated by spaces and all must hold. `!` before a term negates it. A `field:value`
//! term matches when the row's field starts with the value (case-insensitive); a bare word
//! matches when any visible column contains it. Fields: `sev` (severity or status), `cc`
//! (country code), `country` (name), `rule`, `feed`, `is` (`ack`, `snoozed`, `noted`, `new`).

/// A field a term can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Severity of an alert, or status of a country or health of a feed.
    Sev,
    /// Country code.
    Cc,
    /// Country name.
    Country,
    /// Rule id.
    Rule,
    /// Feed id or name.
    Feed,
    /// Triage state: `ack`, `snoozed`, `noted`; and `new` for alerts this viewer has not seen.
    Is,
}

impl Field {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "sev" | "severity" | "status" | "health" => Self::Sev,
            "cc" | "code" => Self::Cc,
            "country" => Self::Country,
            "rule" => Self::Rule,
            "feed" => Self::Feed,
            "is" => Self::Is,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// Any visible column contains it.
    Word(String),
    /// The field starts with it.
    Field(Field, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    negated: bool,
    test: Test,
}

/// A parsed filter. The empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

/// What a row offers a filter: the text of its visible columns, and its fields.
#[derive(Debug, Default)]
pub struct RowText {
    /// Every visible column, joined.
    pub visible: String,
    /// Field values (several for one field are alternatives: "CRIT" and "critical").
    pub fields: Vec<(Field, String)>,
}

impl RowText {
    /// Adds a field value (and makes it visible text too).
    pub fn field(mut self, field: Field, value: impl Into<String>) -> Self {
        let value = value.into();
        self.visible.push(' ');
        self.visible.push_str(&value);
        self.fields.push((field, value));
        self
    }

    /// Adds visible text that no field names.
    pub fn text(mut self, value: &str) -> Self {
        self.visible.push(' ');
        self.visible.push_str(value);
        self
    }
}

impl Filter {
    /// Parses what was typed. Unknown `name:` prefixes are read as bare words, so a title with
    /// a colon in it can still be searched.
    pub fn parse(input: &str) -> Self {
        let terms = input
            .split_whitespace()
            .filter_map(|raw| {
                let (negated, body) = match raw.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, raw),
                };
                if body.is_empty() {
                    return None;
                }
                let test = match body.split_once(':') {
                    Some((name, value)) if !value.is_empty() => {
                        match Field::parse(&name.to_lowercase()) {
                            Some(field) => Test::Field(field, value.to_lowercase()),
                            None => Test::Word(body.to_lowercase()),
                        }
                    }
                    _ => Test::Word(body.to_lowercase()),
                };
                Some(Term { negated, test })
            })
            .collect();
        Self { terms }
    }

    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a row passes every term.
    pub fn matches(&self, row: &RowText) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        let visible = row.visible.to_lowercase();
        self.terms.iter().all(|t| {
            let hit = match &t.test {
                Test::Word(w) => visible.contains(w.as_str()),
                Test::Field(f, v) => row
                    .fields
                    .iter()
                    .any(|(g, value)| g == f && value.to_lowercase().starts_with(v.as_str())),
            };
            hit != t.negated
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(sev: &str, cc: &str, rule: &str, feed: &str, title: &str, acked: bool) -> RowText {
        let mut row = RowText::default()
            .field(Field::Sev, sev)
            .field(Field::Cc, cc)
            .field(Field::Rule, rule)
            .field(Field::Feed, feed)
            .text(title);
        if acked {
            row = row.field(Field::Is, "ack");
        }
        row
    }

    #[test]
    fn fields_words_negation_and_and() {
        let a = alert(
            "CRIT",
            "SD",
            "violence",
            "wire",
            "Shelling in El Fasher",
            false,
        );
        let b = alert(
            "HIGH",
            "ML",
            "violence",
            "reliefweb",
            "Convoy attacked near Gao",
            true,
        );
        let check = |f: &str| (Filter::parse(f).matches(&a), Filter::parse(f).matches(&b));
        assert_eq!(check(""), (true, true));
        assert_eq!(check("sev:crit"), (true, false));
        assert_eq!(check("SEV:Cr"), (true, false), "prefixes, any case");
        assert_eq!(check("cc:sd"), (true, false));
        assert_eq!(check("rule:viol feed:re"), (false, true), "terms are ANDed");
        assert_eq!(check("!is:ack"), (true, false));
        assert_eq!(
            check("!ack"),
            (true, false),
            "a bare word matches visible text"
        );
        assert_eq!(
            check("crit"),
            (true, false),
            "bare words match every column"
        );
        assert_eq!(check("fasher"), (true, false));
        assert_eq!(check("!sev:crit !cc:ml"), (false, false));
        assert_eq!(check("cc:s"), (true, false));
        assert_eq!(
            check("cc:"),
            (false, false),
            "an empty value is a word \"cc:\""
        );
        assert_eq!(check("title:x"), (false, false), "unknown fields are words");
        assert_eq!(check("!"), (true, true), "a lone ! is nothing");
    }
}
