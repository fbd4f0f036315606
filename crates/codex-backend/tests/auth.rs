//! `authenticate()` semantics and the not-authenticated guard, against codex-mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use codex_backend::AuthMethod;
use codex_backend::BrowserLoginOptions;
use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Credentials;
use codex_backend::ErrorKind;
use codex_backend::SecretString;
use codex_backend::StaticTokenProvider;
use codex_mock::MockServer;
use codex_mock::TokenSet;
use common::*;

/// A mock and an empty CODEX_HOME.
async fn empty_home() -> (MockServer, TempDir) {
    (MockServer::start().await.unwrap(), TempDir::new())
}

/// A mock and a CODEX_HOME holding tokens minted by its issuer (see [`store_tokens`]).
async fn stored_home(expires: Option<SystemTime>) -> (MockServer, TempDir, TokenSet) {
    let (mock, home) = empty_home().await;
    let t = store_tokens(&mock, &home, expires);
    (mock, home, t)
}

/// Writes tokens minted by `mock`'s issuer into `home` and returns them: fresh ones, or ones
/// whose access token expires at `expires`.
fn store_tokens(mock: &MockServer, home: &TempDir, expires: Option<SystemTime>) -> TokenSet {
    let t = match expires {
        None => mock.issuer().issue_tokens(),
        Some(at) => mock.issuer().issue_tokens_expiring(at),
    };
    t.write_auth_json(home.path()).unwrap();
    t
}

#[tokio::test]
async fn fresh_stored_tokens_are_used_without_network() {
    let (mock, home, _) = stored_home(None).await;
    let client = builder(&mock, &home).build().unwrap();
    assert!(!client.is_authenticated());
    let auth = client.authenticate().await.unwrap();
    assert_eq!(auth.method, AuthMethod::Stored);
    assert_eq!(
        auth.account.as_ref().and_then(|a| a.email.as_deref()),
        Some("mock-user@example.com")
    );
    assert_eq!(auth.auth_file.as_deref(), Some(home.auth_json().as_path()));
    assert!(client.is_authenticated());
    assert!(
        mock.requests().is_empty(),
        "no network call: {:?}",
        mock.requests()
    );
    assert_eq!(mock.issuer().token_requests(), 0);
    // And the client works.
    assert_eq!(
        client.respond_text("hi").await.unwrap(),
        codex_mock::DEFAULT_TEXT
    );
}

#[tokio::test]
async fn stale_tokens_are_refreshed_and_saved() {
    let (mock, home, old) = stored_home(Some(SystemTime::now() - Duration::from_secs(3600))).await;
    let client = builder(&mock, &home).build().unwrap();
    let auth = client.authenticate().await.unwrap();
    assert_eq!(auth.method, AuthMethod::Refreshed);
    assert_eq!(mock.issuer().refresh_count(), 1);
    let saved = home.read_auth_json();
    assert_ne!(saved["tokens"]["access_token"], old.access_token.as_str());
    assert_ne!(saved["tokens"]["refresh_token"], old.refresh_token.as_str());
    // The refreshed token is accepted by the backend.
    client.respond_text("hi").await.unwrap();
    let r = &mock.requests_to("/backend-api/codex/responses")[0];
    assert_eq!(
        r.header("authorization").unwrap(),
        format!(
            "Bearer {}",
            saved["tokens"]["access_token"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn nothing_stored_without_interactive_login_is_login_required() {
    let (mock, home) = empty_home().await;
    let client = builder(&mock, &home)
        .interactive_login(false)
        .build()
        .unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LoginRequired);
    assert_eq!(err.kind_str(), "login_required");
    assert!(!client.is_authenticated());
    assert!(mock.requests().is_empty());
    assert!(!home.auth_json().exists());
}

#[tokio::test]
async fn dead_refresh_token_without_interactive_login_is_login_required() {
    let (mock, home, t) = stored_home(Some(SystemTime::now() - Duration::from_secs(60))).await;
    mock.issuer().expire_refresh_token(&t.refresh_token);
    let client = builder(&mock, &home).build().unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LoginRequired, "{err:?}");
    assert!(!client.is_authenticated());
}

async fn browser_login(home: &TempDir, mock: &MockServer) -> codex_backend::Authenticated {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = BrowserLoginOptions::new()
        .port(0)
        .fallback_port(None)
        .open_browser(false)
        .timeout(Duration::from_secs(20))
        .on_url(move |u| {
            let _ = tx.send(u.to_owned());
        });
    let client = builder(mock, home)
        .interactive_login(true)
        .login_options(opts)
        .build()
        .unwrap();
    let c = client.clone();
    let task = tokio::spawn(async move { c.authenticate().await });
    let url = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the login printed no URL")
        .unwrap();
    assert!(url.starts_with(&format!("{}/oauth/authorize?", mock.issuer_url())));
    play_browser(&url).await;
    let auth = tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(client.is_authenticated());
    client.respond_text("hi").await.unwrap();
    auth
}

#[tokio::test]
async fn nothing_stored_runs_the_browser_login() {
    let (mock, home) = empty_home().await;
    let auth = browser_login(&home, &mock).await;
    assert_eq!(auth.method, AuthMethod::BrowserLogin);
    assert_eq!(
        auth.account.unwrap().email.as_deref(),
        Some("mock-user@example.com")
    );
    assert!(home.auth_json().exists());
    // The next client finds the stored login: no login, no network. (HTTP requests only: the
    // first client's `response.processed` frame may reach the mock's log a moment later.)
    let http = |m: &MockServer| {
        m.requests()
            .iter()
            .filter(|r| r.method != codex_mock::WS_FRAME_METHOD)
            .count()
    };
    let before = http(&mock);
    let again = builder(&mock, &home).build().unwrap();
    assert_eq!(
        again.authenticate().await.unwrap().method,
        AuthMethod::Stored
    );
    assert_eq!(http(&mock), before);
}

#[tokio::test]
async fn unusable_stored_login_falls_back_to_the_browser_login() {
    let (mock, home, t) = stored_home(Some(SystemTime::now() - Duration::from_secs(60))).await;
    mock.issuer().invalidate_refresh_token(&t.refresh_token);
    let auth = browser_login(&home, &mock).await;
    assert_eq!(auth.method, AuthMethod::BrowserLogin);
}

#[tokio::test]
async fn every_method_fails_before_authenticate_and_starts_no_login() {
    // Tokens are stored, but authenticate() was not called.
    let (mock, home, _) = stored_home(None).await;
    let client = builder(&mock, &home)
        .interactive_login(true)
        .build()
        .unwrap();
    let check = |r: Result<(), codex_backend::Error>| {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotAuthenticated);
        assert_eq!(e.kind_str(), "not_authenticated");
        assert_eq!(
            e.to_string(),
            "not authenticated: call authenticate() first"
        );
    };
    check(client.stream("hi", CallOptions::new()).await.map(|_| ()));
    check(client.respond("hi", CallOptions::new()).await.map(|_| ()));
    check(client.respond_text("hi").await.map(|_| ()));
    check(client.list_models().await.map(|_| ()));
    check(client.get_model("gpt-5.4").await.map(|_| ()));
    check(client.compact(vec![]).await.map(|_| ()));
    check(client.usage().await.map(|_| ()));
    check(
        client
            .create_realtime_call("v=0\r\n", None)
            .await
            .map(|_| ()),
    );
    check(client.client().map(|_| ()));
    let mut conv = client.conversation();
    check(conv.respond("hi").await.map(|_| ()));
    check(conv.run("hi").await.map(|_| ()));
    check(conv.send("hi").await.map(|_| ()));
    assert!(conv.history().is_empty());
    client.abort(); // no-op
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[tokio::test]
async fn custom_token_provider_is_checked_by_authenticate() {
    let mock = MockServer::start().await.unwrap();
    let t = mock.issuer().issue_tokens();
    let provider = StaticTokenProvider::new(Credentials::new(
        SecretString::new(t.access_token.clone()),
        Some(t.account_id.clone()),
    ));
    let client = CodexClient::builder()
        .base_url(mock.backend_base_url())
        .token_provider(Arc::new(provider))
        .build()
        .unwrap();
    assert!(client.auth_manager().is_none());
    let auth = client.authenticate().await.unwrap();
    assert_eq!(auth.method, AuthMethod::TokenProvider);
    client.respond_text("hi").await.unwrap();
    let r = &mock.requests_to("/backend-api/codex/responses")[0];
    assert_eq!(r.header("chatgpt-account-id"), Some(t.account_id.as_str()));
    assert!(!format!("{client:?}").contains(&t.access_token));
}

#[tokio::test]
async fn revoked_login_after_authenticate_is_login_required_without_login() {
    let (mock, home, client) = setup().await;
    // The backend stops accepting the token and the refresh token is dead.
    let saved = home.read_auth_json();
    mock.issuer()
        .invalidate_refresh_token(saved["tokens"]["refresh_token"].as_str().unwrap());
    mock.push_response(codex_mock::Reply::unauthorized_once());
    let err = client.respond_text("hi").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LoginRequired, "{err:?}");
    assert!(mock.requests_to("/oauth/authorize").is_empty());
}

#[tokio::test]
async fn tls_backend_and_issuer_with_the_test_ca() {
    let mock = MockServer::start_tls().await.unwrap();
    let home = TempDir::new();
    store_tokens(
        &mock,
        &home,
        Some(SystemTime::now() - Duration::from_secs(10)),
    );
    let client = builder(&mock, &home)
        .add_root_certificate_pem(mock.ca_cert_pem().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        client.authenticate().await.unwrap().method,
        AuthMethod::Refreshed
    );
    assert_eq!(
        client.respond_text("hi").await.unwrap(),
        codex_mock::DEFAULT_TEXT
    );
}

#[tokio::test]
async fn corrupt_auth_json_is_a_storage_error() {
    let (mock, home) = empty_home().await;
    std::fs::write(home.auth_json(), b"{not json").unwrap();
    let client = builder(&mock, &home)
        .interactive_login(true)
        .build()
        .unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err:?}");
    assert_eq!(err.kind_str(), "storage");
    assert!(mock.requests().is_empty(), "no login started");
}

#[tokio::test]
async fn an_explicit_codex_home_must_be_an_existing_folder() {
    let (mock, home) = empty_home().await;
    // Protocol §10: a given CODEX_HOME must exist (a typo is not "not logged in").
    let missing = home.path().join("does-not-exist-yet");
    let err = builder(&mock, &home)
        .codex_home(&missing)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    assert!(!missing.exists(), "nothing was created");
    // ... and be a directory.
    let file = home.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = builder(&mock, &home).codex_home(&file).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(err.to_string().contains("not a directory"), "{err}");
    // An existing folder (here through a `..` detour) is accepted.
    let detour = home
        .path()
        .join("..")
        .join(home.path().file_name().unwrap());
    let client = builder(&mock, &home).codex_home(&detour).build().unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LoginRequired);
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn nearly_expired_token_is_used_when_the_issuer_is_briefly_down() {
    let (mock, home, _) = stored_home(Some(SystemTime::now() + Duration::from_secs(120))).await;
    for _ in 0..3 {
        mock.issuer()
            .fail_next_refresh(codex_mock::RefreshFailure::Status(503));
    }
    let client = builder(&mock, &home).build().unwrap();
    let auth = client.authenticate().await.unwrap();
    assert_eq!(auth.method, AuthMethod::Stored);
    assert_eq!(mock.issuer().refresh_count(), 0);
    // Still usable; the next request refreshes once the issuer is back.
    client.respond_text("hi").await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);
}
