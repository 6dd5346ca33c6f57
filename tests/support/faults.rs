//! The fault server: a loopback HTTP server whose paths each misbehave in one way, for tests
//! and for `cargo run --example faults`. Every path is listed in [`FAULTS`] with what a
//! monitor should report for it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::stream;

/// A fault: its path and what it does.
pub struct Fault {
    pub path: &'static str,
    pub what: &'static str,
}

/// Every fault the server serves.
pub const FAULTS: &[Fault] = &[
    Fault {
        path: "/slow-headers",
        what: "sends headers after 40 s",
    },
    Fault {
        path: "/trickle",
        what: "sends a body at one byte per second",
    },
    Fault {
        path: "/hang",
        what: "accepts the request and never answers",
    },
    Fault {
        path: "/close-mid-body",
        what: "closes the connection half way through the body",
    },
    Fault {
        path: "/status-500",
        what: "500 Internal Server Error",
    },
    Fault {
        path: "/status-503",
        what: "503 with Retry-After in seconds",
    },
    Fault {
        path: "/status-429",
        what: "429 with Retry-After as an HTTP date",
    },
    Fault {
        path: "/redirect-loop",
        what: "redirects to itself",
    },
    Fault {
        path: "/redirect-ftp",
        what: "redirects to an ftp:// URL",
    },
    Fault {
        path: "/redirect-file",
        what: "redirects to file:///etc/passwd",
    },
    Fault {
        path: "/wrong-type",
        what: "valid RSS served as image/png",
    },
    Fault {
        path: "/no-type",
        what: "valid RSS with no Content-Type",
    },
    Fault {
        path: "/truncated-gzip",
        what: "gzip body cut in half",
    },
    Fault {
        path: "/gzip-bomb",
        what: "gzip that inflates to 4 GiB of zeros",
    },
    Fault {
        path: "/huge-length",
        what: "50 MiB body with Content-Length",
    },
    Fault {
        path: "/huge-chunked",
        what: "50 MiB body without Content-Length",
    },
    Fault {
        path: "/xml-bomb",
        what: "billion-laughs entity expansion",
    },
    Fault {
        path: "/xxe",
        what: "external entity naming /etc/passwd",
    },
    Fault {
        path: "/malformed-xml",
        what: "mismatched tags on line 3",
    },
    Fault {
        path: "/invalid-utf8",
        what: "bytes that are not UTF-8 in a UTF-8 feed",
    },
    Fault {
        path: "/latin1",
        what: "ISO-8859-1 declared in the XML prolog",
    },
    Fault {
        path: "/json-wrong-types",
        what: "JSON with wrong types and missing fields",
    },
    Fault {
        path: "/dates",
        what: "a dozen real-world date formats, and none",
    },
    Fault {
        path: "/no-ids",
        what: "items without guid or link",
    },
    Fault {
        path: "/many-items",
        what: "100,000 items in one feed",
    },
    Fault {
        path: "/escapes",
        what: "titles with CSI, OSC 8, OSC 52 and cursor movement",
    },
    Fault {
        path: "/bidi",
        what: "bidi overrides and zero-width characters in titles",
    },
    Fault {
        path: "/huge-title",
        what: "a title 1 MB long",
    },
];

/// A running fault server.
pub struct FaultServer {
    pub addr: SocketAddr,
    handle: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Fault</title><link>https://fault.test/</link><description>d</description>\n{items}</channel></rss>\n"
    )
}

fn item(tag: &str, i: usize, title: &str) -> String {
    format!(
        "<item><title>{title}</title><link>https://fault.test/{tag}/{i}</link><guid>{tag}-{i}</guid></item>\n"
    )
}

fn typed(body: impl Into<Body>, ctype: &'static str) -> Response {
    let mut r = Response::new(body.into());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zeros_stream(total_mib: usize, compress: bool) -> Body {
    let chunk = vec![0u8; 1024 * 1024];
    let s = stream::unfold(
        (
            0usize,
            Some(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
        ),
        move |(n, enc)| {
            let chunk = chunk.clone();
            async move {
                let mut enc = enc?;
                if n >= total_mib {
                    if !compress {
                        return None;
                    }
                    let tail = enc.finish().ok()?;
                    return Some((Ok::<_, Infallible>(Bytes::from(tail)), (n + 1, None)));
                }
                if !compress {
                    return Some((Ok(Bytes::from(chunk)), (n + 1, Some(enc))));
                }
                enc.write_all(&chunk).ok()?;
                enc.flush().ok()?;
                let out = std::mem::take(enc.get_mut());
                Some((Ok(Bytes::from(out)), (n + 1, Some(enc))))
            }
        },
    );
    Body::from_stream(s)
}

const ESCAPES: &[&str] = &[
    "Massacre\u{1b}[2J\u{1b}[H reported",
    "Click \u{1b}]8;;https://evil.test/\u{7}here\u{1b}]8;;\u{7} for massacre details",
    "Clipboard \u{1b}]52;c;cm0gLXJmIH4=\u{7} massacre",
    "Cursor \u{1b}[10A\u{1b}[2K\u{1b}[31m massacre \u{9b}31m done",
    "Bell \u{7}\u{7} and backspace \u{8}\u{8} massacre",
];

async fn serve(path: &str) -> Response {
    match path {
        "/slow-headers" => {
            tokio::time::sleep(Duration::from_secs(40)).await;
            typed(rss(&item("slow-headers", 1, "late")), "application/rss+xml")
        }
        "/trickle" => {
            let body = rss(&item("trickle", 1, "slow"));
            let s = stream::unfold(body.into_bytes().into_iter(), |mut it| async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                it.next()
                    .map(|b| (Ok::<_, Infallible>(Bytes::from(vec![b])), it))
            });
            typed(Body::from_stream(s), "application/rss+xml")
        }
        "/hang" => std::future::pending().await,
        "/close-mid-body" => {
            let s = stream::iter(vec![
                Ok(Bytes::from(rss(&item("close", 1, "cut"))[..60].to_string())),
                Err(std::io::Error::other(
                    "connection reset by the fault server",
                )),
            ]);
            typed(Body::from_stream(s), "application/rss+xml")
        }
        "/status-500" => (StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>").into_response(),
        "/status-503" => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "300")],
            "busy",
        )
            .into_response(),
        "/status-429" => {
            let when = (chrono::Utc::now() + chrono::Duration::seconds(600))
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string();
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, when)],
                "slow down",
            )
                .into_response()
        }
        "/redirect-loop" => {
            (StatusCode::FOUND, [(header::LOCATION, "/redirect-loop")]).into_response()
        }
        "/redirect-ftp" => (
            StatusCode::FOUND,
            [(header::LOCATION, "ftp://127.0.0.1/feed.xml")],
        )
            .into_response(),
        "/redirect-file" => (
            StatusCode::FOUND,
            [(header::LOCATION, "file:///etc/passwd")],
        )
            .into_response(),
        "/wrong-type" => typed(
            rss(&item("wrong-type", 1, "Served as an image")),
            "image/png",
        ),
        "/no-type" => {
            let mut r = Response::new(Body::from(rss(&item("no-type", 1, "No content type"))));
            r.headers_mut().remove(header::CONTENT_TYPE);
            r
        }
        "/truncated-gzip" => {
            let z = gzip(
                rss(&(0..200)
                    .map(|i| item("gzip", i, "compressed"))
                    .collect::<String>())
                .as_bytes(),
            );
            let half = z[..z.len() / 2].to_vec();
            (
                [
                    (header::CONTENT_ENCODING, "gzip"),
                    (header::CONTENT_TYPE, "application/rss+xml"),
                ],
                half,
            )
                .into_response()
        }
        "/gzip-bomb" => {
            let mut r = Response::new(zeros_stream(4096, true));
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/rss+xml"),
            );
            r
        }
        "/huge-length" => {
            let mut r = Response::new(zeros_stream(50, false));
            r.headers_mut().insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(50u64 * 1024 * 1024),
            );
            r
        }
        "/huge-chunked" => Response::new(zeros_stream(50, false)),
        "/xml-bomb" => {
            let mut dtd = String::from("<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
            let mut prev = "lol".to_string();
            for i in 1..=9 {
                let name = format!("lol{i}");
                dtd.push_str(&format!(
                    "<!ENTITY {name} \"{}\">\n",
                    format!("&{prev};").repeat(10)
                ));
                prev = name;
            }
            dtd.push_str("]>\n");
            let body = format!(
                "<?xml version=\"1.0\"?>\n{dtd}<rss version=\"2.0\"><channel><title>t</title><item><title>bomb &{prev};</title><guid>b1</guid></item></channel></rss>"
            );
            typed(body, "application/rss+xml")
        }
        "/xxe" => typed(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<rss version=\"2.0\"><channel><title>t</title><item><title>secret: &xxe;</title><guid>x1</guid></item></channel></rss>",
            "application/rss+xml",
        ),
        "/malformed-xml" => typed(
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>t</title>\n<item><title>broken</guid></item>\n</channel></rss>",
            "application/rss+xml",
        ),
        "/invalid-utf8" => {
            let mut b = rss(&item("utf8", 1, "Bad bytes: XX")).into_bytes();
            if let Some(i) = b.windows(2).position(|w| w == b"XX") {
                b[i] = 0xFF;
                b[i + 1] = 0xFE;
            }
            typed(b, "application/rss+xml")
        }
        "/latin1" => {
            let mut b = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>t</title><item><title>Massacre \xE0 Bamako, d\xE9plac\xE9s</title><guid>l1</guid></item></channel></rss>".to_vec();
            b.push(b'\n');
            typed(b, "application/rss+xml")
        }
        "/json-wrong-types" => typed(
            r#"{"data":[{"id":7,"title":["not","a","string"],"fatalities":{"n":3},"date":true},{"title":null},{"id":"ok-1","title":"Massacre in Mali","date":"2025-05-05"},"just a string",42,null]}"#,
            "application/json",
        ),
        "/dates" => {
            let dates = [
                "Tue, 21 Jun 2022 01:46:00 GMT",
                "Tue, 21 Jun 2022 03:46:00 +0200",
                "21 Jun 2022 01:46:00 UTC",
                "2022-06-21T01:46+0200",
                "2022-06-21T01:46:30+02:00",
                "2022-09-21T00:00:00",
                "2022-09-21 13:05:00",
                "20250510T120000Z",
                "1746878400",
                "1746878400000",
                "2025-05-10",
                "next Tuesday",
                "",
            ];
            let items: String = dates
                .iter()
                .enumerate()
                .map(|(i, d)| format!("<item><title>date {i}</title><guid>d{i}</guid><pubDate>{d}</pubDate></item>\n"))
                .collect();
            typed(rss(&items), "application/rss+xml")
        }
        "/no-ids" => typed(
            rss(
                "<item><title>No id one</title><description>first</description></item><item><title>No id two</title></item><item><description>only a description</description></item>",
            ),
            "application/rss+xml",
        ),
        "/many-items" => typed(
            rss(&(0..100_000)
                .map(|i| item("many", i, "x"))
                .collect::<String>()),
            "application/rss+xml",
        ),
        "/escapes" => {
            // The same sequences in titles and in summaries.
            let items: String = ESCAPES
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let t = html_escape::encode_text(t);
                    format!("<item><title>{t}</title><description>Summary: {t}</description><link>https://fault.test/escapes/{i}</link><guid>escapes-{i}</guid></item>\n")
                })
                .collect();
            typed(rss(&items), "application/rss+xml")
        }
        "/bidi" => typed(
            rss(&[
                item("bidi", 1, "Mass\u{200B}acre in Dar\u{200D}fur"),
                item("bidi", 2, "\u{202E}erbmun eht si siht\u{202C} massacre"),
                item(
                    "bidi",
                    3,
                    "Invisible \u{2066}isolate\u{2069} and \u{FEFF}BOM massacre",
                ),
            ]
            .concat()),
            "application/rss+xml",
        ),
        "/huge-title" => typed(
            rss(&item(
                "huge",
                1,
                &format!("massacre {}", "A".repeat(1_000_000)),
            )),
            "application/rss+xml",
        ),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the fault server on `ip` (an ephemeral port).
pub async fn start_on(ip: &str) -> FaultServer {
    let mut app = Router::new();
    for f in FAULTS {
        let path = f.path;
        app = app.route(path, get(move || serve(path)));
    }
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    FaultServer { addr, handle }
}

/// Starts the fault server on 127.0.0.1.
pub async fn start() -> FaultServer {
    start_on("127.0.0.1").await
}

/// One `[[feeds]]` entry per fault, pointed at `server`.
pub fn feeds_toml(server: &FaultServer) -> String {
    let mut s = String::new();
    for f in FAULTS {
        let id = format!("fault{}", f.path.replace('/', "-"));
        let json = if f.path.starts_with("/json") {
            "format = \"json\"\n[feeds.json]\nitems = \"/data\"\nid = \"/id\"\ntitle = \"/title\"\npublished = \"/date\"\n[feeds.values]\nfatalities = \"/fatalities\"\n"
        } else {
            ""
        };
        s.push_str(&format!(
            "[[feeds]]\nid = \"{id}\"\nname = \"Fault: {}\"\nurl = \"{}\"\n{json}\n",
            f.what,
            server.url(f.path)
        ));
    }
    s
}

/// A config with one feed per fault (and `extra` appended), for tests.
pub fn config_text(server: &FaultServer, timeout: &str, extra: &str) -> String {
    format!(
        "[settings]\ntimeout = \"{timeout}\"\nconnect_timeout = \"2s\"\nmax_body = \"10MiB\"\nmax_items = 1000\n\n[[rules]]\nid = \"atrocity\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"high\"\n\n{}{extra}",
        feeds_toml(server)
    )
}
