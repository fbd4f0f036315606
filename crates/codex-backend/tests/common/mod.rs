//! Shared helpers: temporary CODEX_HOME folders, clients wired to a codex-mock server, and a
//! raw HTTP/1.1 GET that plays the browser during a login.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codex_backend::CodexClient;
use codex_backend::CodexClientBuilder;
use codex_mock::MockServer;
use codex_mock::RecordedRequest;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

/// A folder removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "codex-backend-test-{}-{}-{nanos:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn auth_json(&self) -> PathBuf {
        self.0.join("auth.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The transport of the shared set-up: `CODEX_TEST_TRANSPORT` (`sse`, the default, or
/// `websocket` / `auto`); tests about one transport set it explicitly.
pub fn transport() -> codex_backend::Transport {
    match std::env::var("CODEX_TEST_TRANSPORT").as_deref() {
        Ok("websocket") => codex_backend::Transport::WebSocket,
        Ok("auto") => codex_backend::Transport::Auto,
        _ => codex_backend::Transport::Sse,
    }
}

/// A builder pointed at `mock` with `home` as CODEX_HOME, interactive login off, workspace
/// routing discovery off (so each test sees only its own requests).
pub fn builder(mock: &MockServer, home: &TempDir) -> CodexClientBuilder {
    CodexClient::builder()
        .transport(transport())
        .with_client(|t| t.workspace_routing(false))
        .base_url(mock.backend_base_url())
        .usage_url(mock.usage_url())
        .api_base_url(mock.api_base_url())
        .issuer(mock.issuer_url())
        .codex_home(home.path())
        .interactive_login(false)
        .idle_timeout(Duration::from_secs(10))
}

/// A mock, a CODEX_HOME with fresh tokens minted by the mock issuer, and an authenticated
/// client with the default session settings.
pub async fn setup() -> (MockServer, TempDir, CodexClient) {
    setup_with(|b| b).await
}

/// A mock and a CODEX_HOME holding fresh tokens minted by its issuer (no client yet).
pub async fn logged_in_home() -> (MockServer, TempDir) {
    let mock = MockServer::start().await.unwrap();
    let home = TempDir::new();
    mock.issuer()
        .issue_tokens()
        .write_auth_json(home.path())
        .unwrap();
    (mock, home)
}

/// Like [`setup`], with extra builder settings.
pub async fn setup_with(
    f: impl FnOnce(CodexClientBuilder) -> CodexClientBuilder,
) -> (MockServer, TempDir, CodexClient) {
    let (mock, home) = logged_in_home().await;
    let client = f(builder(&mock, &home)).build().unwrap();
    client.authenticate().await.unwrap();
    (mock, home, client)
}

/// The JSON bodies of the `/responses` requests received so far.
pub fn responses_bodies(mock: &MockServer) -> Vec<serde_json::Value> {
    mock.requests_to("/backend-api/codex/responses")
        .iter()
        .map(|r| r.json().unwrap())
        .collect()
}

/// True for a compaction v2 request: a `/responses` whose input ends in `compaction_trigger`.
pub fn is_compaction_v2(r: &RecordedRequest) -> bool {
    r.path == "/backend-api/codex/responses"
        && r.json()
            .and_then(|b| b["input"].as_array().and_then(|i| i.last().cloned()))
            .is_some_and(|last| last["type"] == "compaction_trigger")
}

/// The compaction v2 requests received so far.
pub fn compactions(mock: &MockServer) -> Vec<RecordedRequest> {
    mock.requests_to("/backend-api/codex/responses")
        .into_iter()
        .filter(is_compaction_v2)
        .collect()
}

/// Requests other than to the issuer.
pub fn backend_requests(mock: &MockServer) -> Vec<RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/oauth") && !r.path.starts_with("/api/accounts"))
        .collect()
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET` of an `http://host:port/path?query` URL on loopback, as a browser would.
pub async fn get(url: &str) -> RawResponse {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let port: u16 = authority.rsplit(':').next().unwrap().parse().unwrap();
    let path = if path.is_empty() { "/" } else { path };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Plays the browser of a login: opens the authorize URL at the mock issuer (which
/// redirects to the local callback), follows the redirect, then loads the success page.
pub async fn play_browser(authorize_url: &str) {
    let issuer = get(authorize_url).await;
    assert_eq!(issuer.status, 302, "authorize answered {issuer:?}");
    let callback = issuer.header("location").unwrap().to_owned();
    let cb = get(&callback).await;
    assert_eq!(cb.status, 302, "callback answered {cb:?}");
    let success = cb.header("location").unwrap().to_owned();
    let page = get(&success).await;
    assert_eq!(page.status, 200);
}
