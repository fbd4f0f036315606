//! A raw HTTP/1.1 client over a TcpStream: byte-level view of what the mock sends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;
use std::time::Instant;

use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// De-chunked body bytes received.
    pub body: Vec<u8>,
    /// The terminating zero-size chunk (or full content-length) arrived.
    pub complete: bool,
    /// The read ended with an error (e.g. connection reset) rather than EOF.
    pub read_error: bool,
    /// Time from sending the request to each received socket read (ms) with its length.
    pub reads: Vec<(Duration, usize)>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// The JSON `data:` payloads of the SSE body.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.text()
            .split("\n\n")
            .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    pub fn event_types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub fn port(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// Send one request with `Connection: close` and read until EOF (10 s limit).
pub async fn send(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut s = TcpStream::connect(("127.0.0.1", port(url))).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut reads = Vec::new();
    let mut read_error = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
            Err(_) => panic!("read timed out"),
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                reads.push((start.elapsed(), n));
                raw.extend_from_slice(&buf[..n]);
            }
            Ok(Err(_)) => {
                read_error = true;
                break;
            }
        }
    }
    parse(&raw, reads, read_error)
}

fn parse(raw: &[u8], reads: Vec<(Duration, usize)>, read_error: bool) -> RawResponse {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = std::str::from_utf8(&raw[..head_end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let rest = &raw[head_end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let (body, complete) = if chunked {
        dechunk(rest)
    } else {
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| v.parse::<usize>().unwrap());
        match len {
            Some(n) => (rest[..n.min(rest.len())].to_vec(), rest.len() >= n),
            None => (rest.to_vec(), true),
        }
    };
    RawResponse {
        status,
        headers,
        body,
        complete,
        read_error,
        reads,
    }
}

fn dechunk(mut b: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(le) = b.windows(2).position(|w| w == b"\r\n") else {
            return (out, false);
        };
        let size_txt = std::str::from_utf8(&b[..le]).unwrap();
        let size = usize::from_str_radix(size_txt.split(';').next().unwrap().trim(), 16).unwrap();
        b = &b[le + 2..];
        if size == 0 {
            return (out, true);
        }
        if b.len() < size {
            out.extend_from_slice(b);
            return (out, false);
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size..];
        if b.len() < 2 {
            return (out, false);
        }
        b = &b[2..];
    }
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
