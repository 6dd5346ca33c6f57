//! Standard exports of alerts: OASIS Common Alerting Protocol 1.2 documents (one per alert,
//! and an Update for a later revision), and an Atom feed any reader can follow. Both are
//! written from stored alerts; feed text is escaped as XML, never trusted as markup.

pub mod atom;
pub mod cap;

pub use atom::{AtomFeed, atom_feed};
pub use cap::{CapContext, cap_documents};

/// Escapes text for an XML element or attribute.
pub(crate) fn xml(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Which alerts an export takes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// At least this severe.
    pub min_severity: Option<crate::config::Severity>,
    /// Only about these countries (empty: all).
    pub countries: Vec<crate::geo::CountryCode>,
    /// Only of these rules (empty: all).
    pub rules: Vec<String>,
}

impl Selection {
    /// Whether `a` is selected.
    pub fn takes(&self, a: &crate::event::Alert) -> bool {
        self.min_severity.is_none_or(|m| a.severity >= m)
            && (self.countries.is_empty() || a.country.is_some_and(|c| self.countries.contains(&c)))
            && (self.rules.is_empty() || self.rules.contains(&a.rule))
    }
}
