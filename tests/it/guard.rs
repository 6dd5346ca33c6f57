//! A public feed is never taken to an internal address: not by a redirect to an address, nor by
//! a redirect to a name that resolves to one (checked at connect time). A feed the operator
//! configured on an internal address is fetched as written. The test's classifier calls
//! 127.0.0.2 public, so a loopback server can stand for the internet.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use watchfloor::feed::fetch::{Fetcher, Validators};
use watchfloor::feed::guard::{Classifier, is_public};

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title><guid>1</guid></item></channel></rss>"#;

async fn serve(ip: &str, app: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn feed(url: &str) -> (watchfloor::config::Config, usize) {
    let text = format!("[[feeds]]\nid = \"f\"\nurl = \"{url}\"\nformat = \"rss\"\n");
    let config = watchfloor::config::load_str(Path::new("guard.toml"), &text, &|_| None).unwrap();
    (config, 0)
}

#[test]
fn public_feeds_never_reach_internal_addresses() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // The internal service: it must never answer a public feed.
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let internal = serve(
            "127.0.0.1",
            Router::new().route(
                "/secret",
                get(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async { ([(header::CONTENT_TYPE, "application/rss+xml")], RSS) }
                }),
            ),
        )
        .await;
        let redirect = |to: String| {
            move || {
                let to = to.clone();
                async move { (StatusCode::FOUND, [(header::LOCATION, to)]).into_response() }
            }
        };
        let public = serve(
            "127.0.0.2",
            Router::new()
                .route(
                    "/to-address",
                    get(redirect(format!("http://127.0.0.1:{internal}/secret"))),
                )
                .route(
                    "/to-name",
                    get(redirect(format!("http://localhost:{internal}/secret"))),
                )
                .route("/to-public", get(redirect("/feed".to_string())))
                .route(
                    "/feed",
                    get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], RSS) }),
                ),
        )
        .await;
        let classify: Classifier =
            Arc::new(|ip: IpAddr| ip == IpAddr::from([127, 0, 0, 2]) || is_public(ip));

        let fetch = |url: String| {
            let classify = classify.clone();
            async move {
                let (config, i) = feed(&url);
                let fetcher = Fetcher::with_classifier(&config.settings, classify).unwrap();
                fetcher
                    .fetch(&config.feeds[i], &Validators::default())
                    .await
            }
        };

        let e = fetch(format!("http://127.0.0.2:{public}/to-address"))
            .await
            .unwrap_err();
        assert!(
            e.message.contains("internal address 127.0.0.1 refused"),
            "{}",
            e.message
        );
        let e = fetch(format!("http://127.0.0.2:{public}/to-name"))
            .await
            .unwrap_err();
        assert!(
            e.message.contains("resolves only to internal addresses"),
            "{}",
            e.message
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "the internal service was reached"
        );

        // Redirects between public addresses are followed.
        let ok = fetch(format!("http://127.0.0.2:{public}/to-public"))
            .await
            .unwrap();
        assert_eq!(ok.status, 200);

        // The operator's own internal feed, by address or by name, is fetched as written.
        fetch(format!("http://127.0.0.1:{internal}/secret"))
            .await
            .unwrap();
        fetch(format!("http://localhost:{internal}/secret"))
            .await
            .unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    });
}
