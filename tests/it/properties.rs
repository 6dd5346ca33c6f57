//! Properties over arbitrary input: the sanitiser, the matcher's word boundaries, and the feed
//! and config readers (arbitrary bytes never panic).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use watchfloor::config::{FeedConfig, load_str};
use watchfloor::feed::parse::parse;
use watchfloor::rules::matcher::MatcherBuilder;
use watchfloor::text::{clean, html_to_text, is_forbidden};

fn feed(extra: &str) -> FeedConfig {
    let text = format!("[[feeds]]\nid = \"p\"\nurl = \"https://p.test/\"\n{extra}");
    load_str(Path::new("p.toml"), &text, &|_| None)
        .unwrap()
        .feeds[0]
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sanitised_text_is_safe_bounded_and_stable(s in any::<String>(), cap in 1usize..600) {
        let out = clean(&s, cap);
        prop_assert!(!out.chars().any(|c| c.is_control() || is_forbidden(c)), "{out:?}");
        prop_assert!(out.chars().count() <= cap);
        prop_assert_eq!(out.trim(), out.as_str());
        prop_assert_eq!(clean(&out, cap), out.clone());
        let html = html_to_text(&s, cap);
        prop_assert!(!html.chars().any(|c| c.is_control() || is_forbidden(c)), "{html:?}");
        prop_assert!(html.chars().count() <= cap);
    }

    #[test]
    fn escape_sequences_never_survive(body in "[a-z ]{0,20}", params in "[0-9;]{0,8}", tail in "[a-zA-Z ]{0,20}") {
        for seq in [format!("\u{1b}[{params}m"), format!("\u{1b}]8;;{params}\u{7}"), format!("\u{1b}]52;c;{params}\u{1b}\\"), format!("\u{9b}{params}A")] {
            let out = html_to_text(&format!("{body}{seq}{tail}"), 500);
            prop_assert!(!out.contains('\u{1b}') && !out.contains('\u{9b}') && !out.contains('\u{7}'), "{out:?}");
        }
    }

    #[test]
    fn a_term_matches_itself_on_word_boundaries(
        term in "[a-zàâçéèêëîïôûùü]{3,10}",
        before in "[0-9 .,;:!?()-]{0,12}",
        after in "[0-9 .,;:!?()-]{0,12}",
        upper in any::<bool>(),
    ) {
        let mut b = MatcherBuilder::new();
        let id = b.term(&term);
        let m = b.build_with_names(&[]).unwrap();
        let word = if upper { term.to_uppercase() } else { term.clone() };
        let text = format!("{before} {word} {after}");
        prop_assert!(m.scan(&[&text]).has(id), "{term:?} not found in {text:?}");
    }

    #[test]
    fn a_term_never_matches_inside_a_longer_word(
        term in "[a-zàâçéèêëîïôûùü]{3,10}",
        left in "[a-zé]{1,4}",
        right in "[a-zé]{1,4}",
        which in 0u8..3,
    ) {
        let mut b = MatcherBuilder::new();
        let id = b.term(&term);
        let m = b.build_with_names(&[]).unwrap();
        let text = match which {
            0 => format!("{left}{term}"),
            1 => format!("{term}{right}"),
            _ => format!("{left}{term}{right}"),
        };
        prop_assert!(!m.scan(&[&text]).has(id), "{term:?} found inside {text:?}");
    }

    #[test]
    fn prefix_terms_match_longer_words_but_not_inside_them(stem in "[a-z]{3,8}", rest in "[a-z]{0,6}", left in "[a-z]{1,3}") {
        let mut b = MatcherBuilder::new();
        let id = b.term(&format!("{stem}*"));
        let m = b.build_with_names(&[]).unwrap();
        let word = format!("{stem}{rest}");
        let found = m.scan(&[&format!("x {word} y")]).has(id);
        prop_assert!(found);
        let inside = format!("{left}{word}");
        // "vxx" before "vxx": the longer word itself starts with the stem, a true match.
        prop_assume!(!inside.starts_with(&stem));
        prop_assert!(!m.scan(&[&inside]).has(id), "found inside {inside:?}");
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_feed_readers(bytes in proptest::collection::vec(any::<u8>(), 0..2000), shape in 0u8..4) {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        let body: Vec<u8> = match shape {
            0 => bytes.clone(),
            1 => [b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>".as_slice(), &bytes].concat(),
            2 => [b"{\"data\": [{\"title\": ".as_slice(), &bytes].concat(),
            _ => [b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>".as_slice(), &bytes].concat(),
        };
        let _ = parse(&body, &feed(""), 100, now);
        let json = feed("format = \"json\"\n[feeds.json]\nitems = \"/data\"\ntitle = \"/title\"\ncountry = \"/c\"\npublished = \"/d\"\n[feeds.values]\nn = \"/n\"\n");
        let _ = parse(&body, &json, 100, now);
        let xml = feed("[feeds.xml]\ncountry = [\"x:c\"]\n[feeds.values]\nn = { at = \"x:n\", attr = \"v\", map = { red = 3 } }\n");
        let _ = parse(&body, &xml, 100, now);
    }

    #[test]
    fn arbitrary_text_never_panics_the_config_loader(text in any::<String>(), prefix in 0u8..3) {
        let doc = match prefix {
            0 => text.clone(),
            1 => format!("[[feeds]]\nid = \"a\"\nurl = \"{}\"\n", text.replace(['"', '\\'], "")),
            _ => format!("[settings]\nwindow = {text}\n"),
        };
        let _ = load_str(Path::new("p.toml"), &doc, &|_| Some("v".into()));
    }

    #[test]
    fn any_headline_reads_and_compares_with_itself(
        s in "([a-zA-Zéà' ’]{0,6}|[州省邦尔里哈科夫伊图]{0,4}|[штатеБорно ]{0,6}|[0-9,.]{0,4}|[\\PC]{0,3}){0,8}"
    ) {
        use watchfloor::story::{Frequencies, Signature, same_story};
        let matcher = MatcherBuilder::new().build().unwrap();
        let hits = matcher.scan(&[&s]);
        prop_assert!(hits.actors.iter().all(|a| hits.countries.contains(a)));
        let sig = Signature::new(&s, &hits.countries).with_actors(&hits.actors);
        let f = &sig.features;
        prop_assert!(f.country_names.iter().all(|n| f.names.binary_search(n).is_ok()));
        let mut freq = Frequencies::default();
        freq.add(f);
        let _ = same_story(&sig, &sig.clone(), &freq);
    }
}
