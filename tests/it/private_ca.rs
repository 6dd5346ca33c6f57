//! `settings.ca_file`: a feed served over HTTPS with a certificate from a private certificate
//! authority (as government networks run) is fetched once the CA is trusted, and refused, with
//! the reason, without it.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use watchfloor::feed::fetch::{Fetcher, Validators};

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Private network item</title><guid>p1</guid></item></channel></rss>"#;

/// A CA, and a certificate for localhost it signed: (CA PEM, server cert DER, server key DER).
pub(crate) fn private_ca() -> (String, Vec<u8>, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca_cert.pem(), cert.der().to_vec(), key.serialize_der())
}

async fn https_server(cert: Vec<u8>, key: Vec<u8>) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{RSS}",
                    RSS.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[test]
fn a_private_ca_is_trusted_only_when_configured() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (ca_pem, cert, key) = private_ca();
    let port = rt.block_on(https_server(cert, key));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("private-ca.pem"), ca_pem).unwrap();
    let feed = format!(
        "\n[[feeds]]\nid = \"private\"\nurl = \"https://localhost:{port}/feed\"\nformat = \"rss\"\n"
    );
    let load = |settings: &str| {
        let path = dir.path().join("w.toml");
        std::fs::write(&path, format!("{settings}{feed}")).unwrap();
        watchfloor::config::load(&path).unwrap()
    };
    rt.block_on(async {
        let trusted = load("[settings]\nca_file = \"private-ca.pem\"\n");
        let fetcher = Fetcher::new(&trusted.settings).unwrap();
        let got = fetcher
            .fetch(&trusted.feeds[0], &Validators::default())
            .await
            .unwrap();
        assert_eq!(got.status, 200);
        assert!(got.body.is_some_and(|b| b.starts_with(b"<?xml")));

        let untrusted = load("");
        let fetcher = Fetcher::new(&untrusted.settings).unwrap();
        let e = fetcher
            .fetch(&untrusted.feeds[0], &Validators::default())
            .await
            .unwrap_err();
        assert!(
            e.message.to_lowercase().contains("certificate"),
            "{}",
            e.message
        );
    });
}
