//! Who published an item: the registrable domain of its link (`www.reuters.com` and
//! `uk.reuters.com` are both `reuters.com`), else its feed. An outlet's mirrors under other
//! public suffixes (`bbc.co.uk`, `bbc.com`) are one family and count once.

/// A publisher, as corroboration counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// What two publishers must differ in to count twice: the registrable domain without its
    /// public suffix (`bbc`), or `feed:ID` for an item without a usable link.
    pub family: String,
    /// How it is shown: the registrable domain (`bbc.co.uk`), or the feed id.
    pub name: String,
}

impl Publisher {
    /// The publisher of an item from `feed` linking to `url`.
    pub fn of(url: Option<&str>, feed: &str) -> Self {
        url.and_then(from_link).unwrap_or_else(|| Self {
            family: format!("feed:{feed}"),
            name: feed.to_string(),
        })
    }
}

impl Publisher {
    /// Reads back a publisher from its [`Publisher::name`] (as alerts keep it): a name with a
    /// dot is a domain, anything else a feed id (ids have no dots).
    pub fn from_name(name: &str) -> Self {
        if name.contains('.')
            && let Some(p) = from_link(&format!("https://{name}/"))
        {
            return p;
        }
        Self::of(None, name)
    }
}

fn from_link(url: &str) -> Option<Publisher> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Some(Publisher {
            family: host.clone(),
            name: host,
        });
    }
    let domain = psl::domain_str(&host)?;
    let suffix = psl::suffix_str(domain)?;
    let family = domain
        .strip_suffix(suffix)
        .map(|d| d.trim_end_matches('.'))
        .filter(|d| !d.is_empty())
        .unwrap_or(domain);
    Some(Publisher {
        family: family.to_string(),
        name: domain.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(url: &str) -> String {
        Publisher::of(Some(url), "f").name
    }

    #[test]
    fn subdomains_are_their_registrable_domain() {
        assert_eq!(name("https://www.reuters.com/world/x"), "reuters.com");
        assert_eq!(name("https://uk.reuters.com/x"), "reuters.com");
        assert_eq!(name("https://news.bbc.co.uk/2/hi"), "bbc.co.uk");
        assert_eq!(name("http://WWW.Aljazeera.NET./news"), "aljazeera.net");
    }

    #[test]
    fn mirrors_under_other_suffixes_are_one_family() {
        let a = Publisher::of(Some("https://www.bbc.co.uk/news/1"), "a");
        let b = Publisher::of(Some("https://www.bbc.com/news/2"), "b");
        assert_eq!(a.family, b.family);
        assert_ne!(a.name, b.name);
        let c = Publisher::of(Some("https://www.reuters.com/1"), "c");
        assert_ne!(a.family, c.family);
    }

    #[test]
    fn without_a_usable_link_the_feed_is_the_publisher() {
        for url in [
            None,
            Some("not a url"),
            Some("file:///tmp/x"),
            Some("https://com/"),
        ] {
            let p = Publisher::of(url, "wire");
            assert_eq!((p.family.as_str(), p.name.as_str()), ("feed:wire", "wire"));
        }
        assert_eq!(name("http://127.0.0.1:8080/x"), "127.0.0.1");
    }

    #[test]
    fn a_name_reads_back_as_the_same_publisher() {
        for p in [
            Publisher::of(Some("https://news.bbc.co.uk/1"), "a"),
            Publisher::of(None, "wire"),
            Publisher::of(Some("http://127.0.0.1:8080/x"), "b"),
        ] {
            assert_eq!(Publisher::from_name(&p.name), p);
        }
    }
}
