//! Shared helpers: temporary CODEX_HOME folders, clients wired to a codex-mock server, and a
//! raw HTTP/1.1 GET that plays the browser during a login.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use codex_backend::CodexClient;
use codex_backend::CodexClientBuilder;
use codex_mock::MockServer;
use codex_mock::RecordedRequest;
pub use codex_test_support::TempDir;
use codex_test_support::http::get;

/// A builder pointed at `mock` over HTTP SSE with `home` as CODEX_HOME, interactive login off, workspace
/// routing discovery off (so each test sees only its own requests).
pub fn builder(mock: &MockServer, home: &TempDir) -> CodexClientBuilder {
    CodexClient::builder()
        .transport(codex_backend::Transport::Sse)
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
    let home = codex_test_support::mock::logged_in_home(&mock);
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

/// The JSON bodies of the `/responses` turns received so far (over either transport).
pub fn responses_bodies(mock: &MockServer) -> Vec<serde_json::Value> {
    codex_test_support::mock::turn_bodies(mock)
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

/// Plays the browser of a login: opens the authorize URL at the mock issuer (which
/// redirects to the local callback), follows the redirect, then loads the success page.
pub async fn play_browser(authorize_url: &str) {
    let cb = codex_test_support::http::browser_callback(authorize_url).await;
    assert_eq!(cb.status, 302, "callback answered {cb:?}");
    let success = cb.header("location").unwrap().to_owned();
    let page = get(&success).await;
    assert_eq!(page.status, 200);
}
