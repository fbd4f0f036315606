//! The rate-limit snapshot on an error (issue 15, review defect 7): a 429 usage limit with
//! `x-codex-*` headers gives the same snapshot on `Error::rate_limits()` over HTTP SSE (the
//! answer's headers) and over WebSocket (the wrapped error frame's `headers`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_client::ErrorKind;
use codex_client::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;
use common::env_over;
use common::request;

async fn usage_limit_error_carries_the_rate_limit_snapshot(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(
        Reply::usage_limit("plus", 1_767_225_600)
            .header("x-codex-primary-window-minutes", "300")
            .header("x-codex-secondary-used-percent", "61.5")
            .header("x-codex-secondary-window-minutes", "10080"),
    );
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::UsageLimitReached);
    assert_eq!(err.plan_type(), Some("plus"));
    let snap = err
        .rate_limits()
        .expect("a rate-limit snapshot on the error");
    assert_eq!(snap.limit_id, "codex");
    let primary = snap.primary.as_ref().unwrap();
    assert_eq!(primary.used_percent, 100.0);
    assert_eq!(primary.window_minutes, Some(300));
    assert_eq!(primary.resets_at, Some(1_767_225_600));
    let secondary = snap.secondary.as_ref().unwrap();
    assert_eq!(
        (secondary.used_percent, secondary.window_minutes),
        (61.5, Some(10080))
    );
    // The mock's other `x-codex-*` headers are read too (credits).
    assert!(snap.credits.is_some(), "{snap:?}");
}

/// Any error answer carries the snapshot of its headers (the mock sends its default
/// `x-codex-*` headers, primary window at 42 %, with every backend answer).
async fn an_invalid_request_error_carries_the_default_snapshot(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::status(
        400,
        serde_json::json!({"detail": "Unsupported parameter: temperature"}),
    ));
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    let snap = err
        .rate_limits()
        .expect("a rate-limit snapshot on the error");
    assert_eq!(snap.primary.as_ref().unwrap().used_percent, 42.0);
    assert_eq!(snap.secondary.as_ref().unwrap().window_minutes, Some(10080));
}

both_transports!(
    usage_limit_error_carries_the_rate_limit_snapshot,
    an_invalid_request_error_carries_the_default_snapshot
);
