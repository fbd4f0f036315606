//! Shared helpers for the integration tests: temporary folders, a raw HTTP/1.1 client that
//! plays the browser, and managers wired to a `codex-mock` issuer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::OAuthConfig;
use codex_mock::MockServer;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A folder removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "codex-auth-test-{}-{}-{:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            rand_u32()
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

fn rand_u32() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    t.subsec_nanos() ^ (t.as_secs() as u32).rotate_left(13)
}

pub fn config(mock: &MockServer) -> OAuthConfig {
    OAuthConfig::builder()
        .issuer(mock.issuer_url())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn file_manager(mock: &MockServer, dir: &TempDir) -> AuthManager {
    AuthManager::new(AuthStore::file(dir.auth_json()), config(mock)).unwrap()
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

/// Sends raw bytes to 127.0.0.1:port and reads the whole answer (connection closed by the
/// server, or 5 s).
pub async fn raw_request(port: u16, bytes: &[u8]) -> Option<RawResponse> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    s.write_all(bytes).await.ok()?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> Option<RawResponse> {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(RawResponse {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// `GET` of a full `http://host:port/path?query` URL on loopback (`localhost` is dialled as
/// 127.0.0.1, where the callback server listens).
pub async fn get(url: &str) -> RawResponse {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let port: u16 = authority.rsplit(':').next().unwrap().parse().unwrap();
    let path = if path.is_empty() { "/" } else { path };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    raw_request(port, req.as_bytes())
        .await
        .unwrap_or_else(|| panic!("no HTTP answer from {authority}"))
}

/// The port in a `http://localhost:PORT/...` redirect URI inside an authorize URL.
pub fn callback_port(authorize_url: &str) -> u16 {
    let enc = "redirect_uri=http%3A%2F%2Flocalhost%3A";
    let i = authorize_url.find(enc).unwrap() + enc.len();
    let digits: String = authorize_url[i..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// Plays the browser: opens the authorize URL at the mock issuer (which redirects to the
/// callback), follows that redirect, and returns the callback's response.
pub async fn browser_callback(authorize_url: &str) -> RawResponse {
    let issuer = get(authorize_url).await;
    assert_eq!(issuer.status, 302, "authorize answered {issuer:?}");
    let location = issuer.header("location").unwrap().to_owned();
    get(&location).await
}

pub fn query_param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}
