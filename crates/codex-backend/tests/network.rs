//! One HTTP stack for everything: a device login, a refresh and a turn through a loopback
//! CONNECT proxy to an HTTPS codex-mock whose test CA is trusted only through
//! `ca_certificate`; without it every TLS handshake fails with a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_backend::CodexClientBuilder;
use codex_backend::DeviceLoginOptions;
use codex_backend::ErrorKind;
use codex_mock::ConnectProxy;
use codex_mock::IntervalEncoding;
use codex_mock::MockServer;
use common::TempDir;
use common::builder;

/// An HTTPS mock, a proxy, a home with the mock's CA written to `ca.pem`.
async fn tls_setup() -> (MockServer, ConnectProxy, TempDir) {
    let mock = MockServer::start_tls().await.unwrap();
    mock.issuer()
        .set_device_interval(Duration::from_secs(1), IntervalEncoding::String);
    let proxy = ConnectProxy::start().await.unwrap();
    let home = TempDir::new();
    std::fs::write(home.path().join("ca.pem"), mock.ca_cert_pem().unwrap()).unwrap();
    (mock, proxy, home)
}

/// Points at the mock through the proxy, with no other trust than the default roots.
fn proxied(mock: &MockServer, proxy: &ConnectProxy, home: &TempDir) -> CodexClientBuilder {
    let url = proxy.url();
    builder(mock, home).with_client(move |b| b.proxy(Some(url)).no_proxy(""))
}

#[tokio::test]
async fn login_refresh_and_turn_through_a_proxy_trusting_the_extra_ca() {
    let (mock, proxy, home) = tls_setup().await;
    let client = proxied(&mock, &proxy, &home)
        .ca_certificate(home.path().join("ca.pem"))
        .build()
        .unwrap();
    let auth = client.auth_manager().unwrap().clone();
    let done = auth.login_device(DeviceLoginOptions::new()).await.unwrap();
    assert_eq!(done.account.email.as_deref(), Some("mock-user@example.com"));
    auth.refresh().await.unwrap();
    client.authenticate().await.unwrap();
    assert_eq!(
        client.respond_text("hi").await.unwrap(),
        codex_mock::DEFAULT_TEXT
    );
    // Realtime calls (the API base URL) use the same stack.
    let call = client
        .client()
        .unwrap()
        .realtime()
        .create_call("v=0\r\n", None)
        .await
        .unwrap();
    assert!(call.call_id.starts_with("rtc_"));

    assert_eq!(
        mock.requests_to("/api/accounts/deviceauth/usercode").len(),
        1
    );
    // The code exchange and the refresh.
    assert_eq!(mock.requests_to("/oauth/token").len(), 2);
    assert_eq!(mock.requests_to("/backend-api/codex/responses").len(), 1);
    assert_eq!(mock.requests_to("/v1/realtime/calls").len(), 1);
    // Every connection the mock accepted came through the proxy: one CONNECT per TLS
    // handshake, all to the mock.
    let authority = mock.url().trim_start_matches("https://").to_owned();
    let targets = proxy.targets();
    let handshakes = mock.tls_key_exchange_groups();
    assert!(!targets.is_empty());
    assert!(targets.iter().all(|t| *t == authority), "{targets:?}");
    assert_eq!(
        targets.len(),
        handshakes.len(),
        "{targets:?} {handshakes:?}"
    );
    // Post-quantum hybrid key exchange on every connection.
    assert!(
        handshakes.iter().all(|g| g == "X25519MLKEM768"),
        "{handshakes:?}"
    );
}

#[tokio::test]
async fn without_the_ca_login_and_turns_fail_with_a_tls_error() {
    let (mock, proxy, home) = tls_setup().await;
    let client = proxied(&mock, &proxy, &home).build().unwrap();
    let auth = client.auth_manager().unwrap().clone();
    let e = auth
        .login_device(DeviceLoginOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), codex_backend::auth::ErrorKind::Tls, "{e}");
    assert!(!e.is_retryable());
    assert_eq!(codex_backend::Error::from(e).kind(), ErrorKind::Tls);
    // A stored login: the turn's handshake with the backend fails the same way.
    mock.issuer()
        .issue_tokens()
        .write_auth_json(home.path())
        .unwrap();
    client.authenticate().await.unwrap();
    let e = client.respond_text("hi").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(mock.requests_to("/backend-api/codex/responses").is_empty());
    assert!(!proxy.targets().is_empty());
}

#[tokio::test]
async fn a_missing_or_malformed_ca_file_is_a_config_error() {
    let home = TempDir::new();
    let mock = MockServer::start().await.unwrap();
    let missing = builder(&mock, &home)
        .ca_certificate(home.path().join("nope.pem"))
        .build()
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Config);
    assert!(missing.to_string().contains("nope.pem"), "{missing}");
    let bad = home.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let e = builder(&mock, &home)
        .ca_certificate(&bad)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("bad.pem"), "{e}");
}
