//! The facade's flat `Error` exposes the rate-limit snapshot the server sent with an error
//! (issue 15, review defect 7), over HTTP SSE and over WebSocket (wrapped error frame).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_backend::CallOptions;
use codex_backend::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;

async fn usage_limit_error_carries_the_rate_limit_snapshot(t: Transport) {
    let (mock, _home, client) = common::setup_with(|b| b.transport(t)).await;
    mock.push_response(
        Reply::usage_limit("pro", 1_767_225_600).header("x-codex-primary-window-minutes", "15"),
    );
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "usage_limit_reached");
    let snap = err
        .rate_limits()
        .expect("a rate-limit snapshot on the error");
    let primary = snap.primary.as_ref().unwrap();
    assert_eq!(
        (
            primary.used_percent,
            primary.window_minutes,
            primary.resets_at
        ),
        (100.0, Some(15), Some(1_767_225_600))
    );
    assert_eq!(
        Some(snap),
        err.client_error()
            .and_then(codex_backend::client::Error::rate_limits)
    );
}

both_transports!(usage_limit_error_carries_the_rate_limit_snapshot);
