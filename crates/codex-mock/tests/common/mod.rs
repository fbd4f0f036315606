//! Helpers of the mock's tests: requests the mock must accept, a TLS client, and the raw
//! HTTP/1.1 client of codex-test-support (a byte-level view of what the mock sends).
// Each test binary uses a part of these helpers; a failed set-up is a failed test.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::time::Duration;

use tokio::net::TcpStream;

pub use codex_test_support::http::RawResponse;
pub use codex_test_support::http::port;
pub use codex_test_support::http::send;

/// A started mock and an access token its issuer accepts.
pub async fn server() -> (codex_mock::MockServer, String) {
    let s = codex_mock::MockServer::start().await.unwrap();
    let t = s.issuer().issue_tokens().access_token;
    (s, t)
}

/// POST `body` as JSON to `path` of the mock, with `Authorization: <auth>` when given.
pub async fn post_json(
    s: &codex_mock::MockServer,
    auth: Option<&str>,
    path: &str,
    body: &serde_json::Value,
) -> RawResponse {
    let json = ("Content-Type", "application/json");
    let headers = match auth {
        Some(auth) => vec![("Authorization", auth), json],
        None => vec![json],
    };
    send(
        &s.url(),
        "POST",
        path,
        &headers,
        &serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// A valid `/responses` request body.
pub fn responses_body() -> Vec<u8> {
    serde_json::to_vec(&codex_mock::request_body(
        vec![codex_mock::user_text("hi")],
        None,
    ))
    .unwrap()
}

/// POST /responses with a valid body and the given bearer token.
pub async fn post_responses(url: &str, token: &str) -> RawResponse {
    let auth = format!("Bearer {token}");
    send(
        url,
        "POST",
        "/backend-api/codex/responses",
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
        ],
        &responses_body(),
    )
    .await
}

/// One request over HTTPS to 127.0.0.1:`port`, trusting only `ca_der`, offering ALPN `alpn`
/// (`h2` or `http/1.1`): status, HTTP version and the whole body.
pub async fn tls_request<B>(
    port: u16,
    ca_der: Vec<u8>,
    server_name: &str,
    alpn: &[u8],
    req: http::Request<B>,
) -> (http::StatusCode, http::Version, bytes::Bytes)
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync,
{
    use http_body_util::BodyExt;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca_der))
        .unwrap();
    let mut cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned()).unwrap();
    let io = hyper_util::rt::TokioIo::new(connector.connect(name, tcp).await.unwrap());
    let resp = if alpn == b"h2" {
        let (mut send, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .unwrap();
        tokio::spawn(conn);
        send.send_request(req).await.unwrap()
    } else {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        send.send_request(req).await.unwrap()
    };
    let (status, version) = (resp.status(), resp.version());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, version, body)
}

/// Wait (up to 2 s) for `home/auth.json` written by `codex-mock --codex-home` and return its
/// access token.
pub async fn wait_for_access_token(home: &std::path::Path) -> String {
    let auth = home.join("auth.json");
    for _ in 0..100 {
        if std::fs::metadata(&auth).is_ok_and(|m| m.len() > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&auth).unwrap()).unwrap();
    v["tokens"]["access_token"].as_str().unwrap().to_owned()
}

/// A mock writing its request log file into a fresh temporary folder named after `tag`, a
/// valid access token for it, and the log file's path (remove its folder when done).
pub async fn server_with_log_file(
    tag: &str,
) -> (codex_mock::MockServer, String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("codex-mock-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("requests.jsonl");
    let s = codex_mock::MockServer::builder()
        .request_log(&log)
        .start()
        .await
        .unwrap();
    let token = s.issuer().issue_tokens().access_token;
    (s, token, log)
}

/// The request log file's lines, parsed.
pub fn log_lines(log: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
