//! Shared helpers for the integration tests: managers wired to a `codex-mock` issuer, and
//! codex-test-support's temporary folders and raw HTTP/1.1 client (the browser of a login).
// Each test binary uses a part of these helpers; a failed set-up is a failed test.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::OAuthConfig;
use codex_mock::MockServer;
pub use codex_test_support::TempDir;
pub use codex_test_support::http::RawResponse;
pub use codex_test_support::http::browser_callback;
pub use codex_test_support::http::free_port;
pub use codex_test_support::http::get;
pub use codex_test_support::http::query_param;
pub use codex_test_support::http::raw_request;

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

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}
