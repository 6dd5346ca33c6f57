//! A JSON API's further pages: followed through `next` (a pointer to the next page's URL) or
//! `page_param`, up to `max_pages`; a page on another host is not followed (the feed's headers
//! may hold a token).

use serde_json::Value;

use crate::support;

fn page(ids: &[u32], next: Option<&str>) -> String {
    let data: Vec<Value> = ids
        .iter()
        .map(|i| serde_json::json!({"id": format!("r{i}"), "title": format!("Massacre report {i}"), "url": format!("https://reports.test/{i}")}))
        .collect();
    serde_json::json!({"data": data, "links": {"next": next.map(|n| serde_json::json!({"href": n}))}})
        .to_string()
}

fn alerts(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "alert")
        .map(|v| v["item"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn config(server: &support::TestServer, first: &str, paging: &str) -> String {
    format!(
        r#"[settings]
max_age = "3650d"

[[feeds]]
id = "api"
url = "{}"
format = "json"
[feeds.json]
items = "/data"
id = "/id"
title = "/title"
url = "/url"
{paging}

[[rules]]
id = "atrocity"
kind = "keywords"
any = ["massacre"]
severity = "high"
"#,
        server.url(first)
    )
}

#[test]
fn further_pages_are_read_up_to_the_limit_and_never_on_another_host() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start());
    server.set_fixture("p1.json", &page(&[1, 2], Some("/f/p2.json")));
    server.set_fixture("p2.json", &page(&[3, 4], Some("p3.json")));
    server.set_fixture("p3.json", &page(&[5], None));
    server.set_fixture(
        "away.json",
        &page(&[9], Some("http://127.0.0.2:9/f/p2.json")),
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &config(&server, "/f/p1.json", "next = \"/links/next/href\""),
    );
    let out = support::headless_once(&cfg, &dir.path().join("a"));
    let mut got = alerts(&out);
    got.sort();
    assert_eq!(
        got,
        ["id:r1", "id:r2", "id:r3", "id:r4", "id:r5"],
        "relative and absolute next links"
    );

    let cfg = support::write_config(
        dir.path(),
        &config(
            &server,
            "/f/p1.json",
            "next = \"/links/next/href\"\nmax_pages = 2",
        ),
    );
    let out = support::headless_once(&cfg, &dir.path().join("b"));
    assert_eq!(alerts(&out).len(), 4, "two pages at most");

    let cfg = support::write_config(
        dir.path(),
        &config(&server, "/f/away.json", "next = \"/links/next/href\""),
    );
    let out = support::headless_once(&cfg, &dir.path().join("c"));
    assert_eq!(alerts(&out), ["id:r9"], "another host's page is not read");
    assert_eq!(
        server.hits("/f/p2.json"),
        2,
        "only the two runs above read page 2"
    );
}
