//! `[feeds.auth]` end to end against a loopback OAuth server in ACLED's shape: one sign-in
//! shared by the feeds that use the same account, the token sent as a bearer token, renewed
//! with the refresh token before it expires, a revoked token replaced within the same poll, and
//! a refused sign-in reported with the endpoint's reason and without the password.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use watchfloor::feed::fetch::{Fetcher, Validators};

const EVENTS: &str = r#"{"status":200,"success":true,"count":1,"data":[{"event_id_cnty":"SDN1","event_date":"2025-05-03","sub_event_type":"Attack","location":"El Fasher","admin1":"North Darfur","country":"Sudan","iso":"729","actor1":"A militia","fatalities":"4"}]}"#;

#[derive(Default)]
struct Oauth {
    /// Grants seen, in order ("password", "refresh_token").
    grants: Mutex<Vec<String>>,
    /// The token the API accepts now.
    valid: Mutex<Option<String>>,
    /// Lifetime given to new tokens, in seconds.
    expires_in: Mutex<u64>,
    issued: Mutex<u32>,
}

async fn token(State(s): State<Arc<Oauth>>, body: String) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let grant = field("grant_type");
    s.grants.lock().unwrap().push(grant.clone());
    let ok = match grant.as_str() {
        "password" => {
            field("username") == "desk@example.org"
                && field("password") == "s3cret-pw"
                && field("client_id") == "acled"
                && field("scope") == "authenticated"
        }
        "refresh_token" => field("refresh_token").starts_with("refresh-"),
        _ => false,
    };
    if !ok {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"invalid_grant","error_description":"The user credentials were incorrect."}"#,
        )
            .into_response();
    }
    let n = {
        let mut issued = s.issued.lock().unwrap();
        *issued += 1;
        *issued
    };
    let access = format!("access-{n}");
    *s.valid.lock().unwrap() = Some(access.clone());
    let body = format!(
        r#"{{"token_type":"Bearer","expires_in":{},"access_token":"{access}","refresh_token":"refresh-{n}"}}"#,
        *s.expires_in.lock().unwrap()
    );
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn events(State(s): State<Arc<Oauth>>, headers: HeaderMap) -> Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let valid = s.valid.lock().unwrap().clone();
    if valid.is_none_or(|t| sent != format!("Bearer {t}")) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    ([(header::CONTENT_TYPE, "application/json")], EVENTS).into_response()
}

async fn server(expires_in: u64) -> (String, Arc<Oauth>) {
    let state = Arc::new(Oauth::default());
    *state.expires_in.lock().unwrap() = expires_in;
    let app = Router::new()
        .route("/oauth/token", post(token))
        .route("/api/acled/read", get(events))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), state)
}

fn config(base: &str, password: &str) -> watchfloor::config::Config {
    let text = format!(
        r#"
[[feeds]]
id = "acled-sd"
url = "{base}/api/acled/read?country=Sudan"
format = "json"
[feeds.auth]
token_url = "{base}/oauth/token"
grant = "password"
client_id = "acled"
username = "${{ACLED_EMAIL}}"
password = "${{ACLED_PASSWORD}}"
scope = "authenticated"
[feeds.json]
items = "/data"
id = "/event_id_cnty"
title = "{{/sub_event_type}} in {{/location}}"

[[feeds]]
id = "acled-ml"
url = "{base}/api/acled/read?country=Mali"
format = "json"
[feeds.auth]
token_url = "{base}/oauth/token"
grant = "password"
client_id = "acled"
username = "${{ACLED_EMAIL}}"
password = "${{ACLED_PASSWORD}}"
scope = "authenticated"
[feeds.json]
items = "/data"
"#
    );
    let password = password.to_string();
    watchfloor::config::load_str(
        std::path::Path::new("auth.toml"),
        &text,
        &move |name| match name {
            "ACLED_EMAIL" => Some("desk@example.org".into()),
            "ACLED_PASSWORD" => Some(password.clone()),
            _ => None,
        },
    )
    .unwrap()
}

#[tokio::test]
async fn feeds_sharing_an_account_sign_in_once_and_send_the_token() {
    let (base, oauth) = server(86_400).await;
    let config = config(&base, "s3cret-pw");
    let fetcher = Fetcher::new(&config.settings).unwrap();
    let none = Validators::default();
    let (a, b) = tokio::join!(
        fetcher.fetch(&config.feeds[0], &none),
        fetcher.fetch(&config.feeds[1], &none),
    );
    assert_eq!(a.unwrap().status, 200);
    assert_eq!(b.unwrap().status, 200);
    let again = fetcher
        .fetch(&config.feeds[0], &Validators::default())
        .await;
    assert_eq!(again.unwrap().status, 200);
    assert_eq!(*oauth.grants.lock().unwrap(), ["password"]);
}

#[tokio::test]
async fn a_token_is_renewed_with_its_refresh_token_before_it_expires() {
    // A lifetime shorter than the renewal margin: every poll finds the token due.
    let (base, oauth) = server(30).await;
    let config = config(&base, "s3cret-pw");
    let fetcher = Fetcher::new(&config.settings).unwrap();
    for _ in 0..3 {
        let got = fetcher
            .fetch(&config.feeds[0], &Validators::default())
            .await;
        assert_eq!(got.unwrap().status, 200);
    }
    assert_eq!(
        *oauth.grants.lock().unwrap(),
        ["password", "refresh_token", "refresh_token"]
    );
}

#[tokio::test]
async fn a_revoked_token_is_replaced_within_the_poll() {
    let (base, oauth) = server(86_400).await;
    let config = config(&base, "s3cret-pw");
    let fetcher = Fetcher::new(&config.settings).unwrap();
    assert!(
        fetcher
            .fetch(&config.feeds[0], &Validators::default())
            .await
            .is_ok()
    );
    *oauth.valid.lock().unwrap() = Some("revoked-by-the-server".into());
    let got = fetcher
        .fetch(&config.feeds[0], &Validators::default())
        .await;
    assert_eq!(got.unwrap().status, 200);
    assert_eq!(*oauth.grants.lock().unwrap(), ["password", "refresh_token"]);
}

#[tokio::test]
async fn a_refused_sign_in_names_the_reason_and_never_the_password() {
    let (base, oauth) = server(86_400).await;
    let config = config(&base, "wrong-pw-123");
    let fetcher = Fetcher::new(&config.settings).unwrap();
    let err = fetcher
        .fetch(&config.feeds[0], &Validators::default())
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("sign-in at 127.0.0.1 refused: HTTP 400: invalid_grant: The user credentials were incorrect."),
        "{}",
        err.message
    );
    assert!(!err.message.contains("wrong-pw-123"));
    assert_eq!(oauth.grants.lock().unwrap().len(), 1);
}

#[test]
fn check_names_what_an_auth_block_lacks() {
    let text = r#"
[[feeds]]
id = "acled"
url = "https://acleddata.com/api/acled/read"
headers = { Authorization = "Bearer x" }
[feeds.auth]
token_url = "ftp://acleddata.com/oauth/token"
username = "desk@example.org"
"#;
    let err = watchfloor::config::load_str(std::path::Path::new("w.toml"), text, &|_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("feeds[0].auth.token_url"), "{err}");
    assert!(err.contains("password is missing"), "{err}");
    assert!(err.contains("remove headers.Authorization"), "{err}");
}
