//! Hostile feeds: every fault of the fault server ends in a feed event that names the problem
//! in words (or, where a lenient reading is right, in clean items), nothing panics or hangs,
//! memory stays bounded, and no terminal control byte survives into an alert.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use support::faults;
use watchfloor::event::{Alert, Event, FeedReport};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_reported_in_words_and_nothing_escapes() {
    let server = faults::start().await;
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let events = support::run_once(
        &faults::config_text(&server, "2s", ""),
        &data.path().join("data"),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(20),
        "the run took {elapsed:?}"
    );

    let report = |path: &str| -> FeedReport {
        let id = format!("fault{}", path.replace('/', "-"));
        events
            .iter()
            .find_map(|e| match e {
                Event::Feed(f) if f.feed == id => Some(f.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no feed event for {path}"))
    };
    let alerts: Vec<&Alert> = support::alerts(&events);
    let mut table = Vec::new();
    for f in faults::FAULTS {
        let r = report(f.path);
        table.push(format!(
            "{:<20} {:<5} {}",
            f.path,
            if r.ok { "ok" } else { "FAIL" },
            r.error
                .clone()
                .unwrap_or_else(|| format!("{} items", r.items))
        ));
    }
    println!("{}", table.join("\n"));

    let err = |path: &str| report(path).error.unwrap_or_default();
    assert_eq!(err("/slow-headers"), "timed out after 2s");
    assert_eq!(err("/trickle"), "timed out after 2s");
    assert_eq!(err("/hang"), "timed out after 2s");
    assert_eq!(
        err("/close-mid-body"),
        "connection to 127.0.0.1 closed before the response was complete"
    );
    assert_eq!(err("/status-500"), "HTTP 500 Internal Server Error");
    assert_eq!(
        err("/status-503"),
        "HTTP 503 Service Unavailable (retry after 5m)"
    );
    assert!(
        err("/status-429").starts_with("HTTP 429 Too Many Requests (retry after 9m")
            || err("/status-429").starts_with("HTTP 429 Too Many Requests (retry after 10m"),
        "{}",
        err("/status-429")
    );
    assert_eq!(
        err("/redirect-loop"),
        "redirect failed: more than 5 redirects"
    );
    assert_eq!(
        err("/redirect-ftp"),
        "redirect failed: redirect to unsupported scheme \"ftp\""
    );
    assert_eq!(
        err("/redirect-file"),
        "HTTP 302: redirect to \"file:///etc/passwd\" not followed (http and https only)"
    );
    assert!(
        report("/wrong-type").ok && report("/no-type").ok,
        "content types are hints; the body decides"
    );
    assert!(
        err("/truncated-gzip").starts_with("response body could not be read"),
        "{}",
        err("/truncated-gzip")
    );
    assert_eq!(err("/gzip-bomb"), "body exceeds 10 MiB cap");
    assert_eq!(
        err("/huge-length"),
        "body exceeds 10 MiB cap (Content-Length 50 MiB)"
    );
    assert_eq!(err("/huge-chunked"), "body exceeds 10 MiB cap");
    assert!(
        err("/malformed-xml").starts_with("invalid feed: invalid XML at line 3"),
        "{}",
        err("/malformed-xml")
    );
    for path in [
        "/invalid-utf8",
        "/xml-bomb",
        "/xxe",
        "/latin1",
        "/json-wrong-types",
        "/dates",
        "/no-ids",
        "/many-items",
        "/escapes",
        "/bidi",
        "/huge-title",
    ] {
        assert!(report(path).ok, "{path}: {:?}", report(path).error);
    }
    assert_eq!(
        report("/many-items").items,
        1000,
        "items per feed are capped"
    );
    assert_eq!(report("/dates").items, 13);
    assert_eq!(report("/no-ids").items, 3);

    // Retried with backoff: a failing feed's next poll is pushed out (at least 24 s for the
    // first failure of a feed with a 10-minute interval), and Retry-After is honoured.
    for f in faults::FAULTS {
        let r = report(f.path);
        if !r.ok {
            let wait = r.next_poll.unwrap() - r.at;
            assert!(
                wait >= chrono::Duration::seconds(24),
                "{}: next poll in {wait}",
                f.path
            );
            assert_eq!(r.failures, 1);
        }
    }
    let r503 = report("/status-503");
    assert!(r503.next_poll.unwrap() - r503.at >= chrono::Duration::seconds(299));

    // No entity is ever expanded: no laughs, no file contents.
    for a in &alerts {
        assert!(
            !a.title.contains("lollol") && !a.title.contains("root:"),
            "{a:?}"
        );
    }
    // Legacy encodings are decoded; the alert reads right.
    assert!(
        alerts
            .iter()
            .any(|a| a.title == "Massacre à Bamako, déplacés"),
        "latin1 title not decoded"
    );
    // Control characters never survive; zero-width characters do not hide a term.
    for a in alerts
        .iter()
        .filter(|a| a.feed.contains("escapes") || a.feed.contains("bidi"))
    {
        for text in [&a.title, &a.summary] {
            let bad = text
                .chars()
                .any(|c| c.is_control() || watchfloor::text::is_forbidden(c));
            assert!(!bad, "{text:?}");
        }
    }
    for a in alerts.iter().filter(|a| a.feed == "fault-escapes") {
        println!("escaped: {:?} / {:?}", a.title, a.summary);
    }
    assert_eq!(
        alerts.iter().filter(|a| a.feed == "fault-escapes").count(),
        5,
        "every escaped title still alerts"
    );
    assert!(alerts.iter().any(|a| a.title == "Massacre in Darfur"
        && a.country.map(|c| c.to_string()).as_deref() == Some("SD")));
    let huge = alerts
        .iter()
        .find(|a| a.feed == "fault-huge-title")
        .unwrap();
    assert!(huge.title.chars().count() <= watchfloor::text::TITLE_MAX_CHARS);

    let peak = support::peak_rss_kib();
    println!("peak RSS of the test process: {} MiB", peak / 1024);
    assert!(peak < 150 * 1024, "peak RSS {peak} KiB");
}
