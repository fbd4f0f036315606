//! WebSocket turns at the edges of the transport choice: through an HTTP CONNECT proxy (TLS
//! with the test CA), a passing server failure of the upgrade under `Transport::WebSocket`
//! (the error surfaces, no fallback; the `Auto` fallback for a 503 is in websocket.rs next to
//! the 404 one), and an upgrade never answered (the connect timeout ends the wait, then SSE
//! for that turn).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::Instant;

use codex_client::Transport;
use codex_mock::ConnectProxy;
use codex_mock::Reply;
use codex_mock::WebSocketMode;
use common::env_with;

#[tokio::test]
async fn a_websocket_turn_goes_through_the_connect_proxy() {
    let proxy = ConnectProxy::start().await.unwrap();
    let env = env_with(true, |b| {
        b.transport(Transport::WebSocket)
            .proxy(Some(proxy.url()))
            .no_proxy("")
    })
    .await;
    env.mock.push_response(Reply::text("via proxy"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, "via proxy");
    assert_eq!(out.transport, Transport::WebSocket);
    let authority = env.mock.url().trim_start_matches("https://").to_owned();
    assert_eq!(proxy.targets(), [authority]);
    assert_eq!(env.mock.websocket_upgrades().len(), 1);
    assert!(env.mock.requests().iter().all(|r| r.method != "POST"));
}

#[tokio::test]
async fn websocket_only_surfaces_a_503_upgrade() {
    let env = env_with(false, |b| b.transport(Transport::WebSocket)).await;
    env.mock.set_websocket(WebSocketMode::Unavailable);
    let err = env.refused(&common::request("q")).await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
    assert!(err.is_retryable());
    assert!(env.mock.requests().iter().all(|r| r.method != "POST"));
}

#[tokio::test]
async fn a_swallowed_upgrade_falls_back_to_sse_after_the_connect_timeout() {
    let env = env_with(false, |b| {
        b.transport(Transport::Auto)
            .connect_timeout(Duration::from_millis(300))
    })
    .await;
    env.mock.set_websocket(WebSocketMode::Stall);
    env.mock.push_response(Reply::text("one"));
    let started = Instant::now();
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.transport, Transport::Sse);
    assert_eq!(out.text, "one");
    assert!(started.elapsed() < Duration::from_secs(5));
    env.mock.set_websocket(WebSocketMode::Accept);
    env.mock.push_response(Reply::text("two"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.transport, Transport::WebSocket);
    assert_eq!(out.text, "two");
}
