//! How `/responses` turns fail, over HTTP SSE and over WebSocket (`both_transports!`): terminal
//! events mapped to kinds, partial text kept, HTTP statuses (wrapped error frames over
//! WebSocket) mapped and retried or not, 401 recovery; and the HTTP-only answers (redirects, a
//! `200` that is not an event stream).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::Instant;
use std::time::UNIX_EPOCH;

use codex_client::ErrorKind;
use codex_client::Transport;
use codex_mock::RATE_LIMIT_MESSAGE;
use codex_mock::Reply;
use codex_mock::events::StreamBuilder;
use codex_mock::events::to_sse_bytes;
use codex_test_support::both_transports;
use codex_types::ResponseEvent;
use common::drain;
use common::env_over;
use common::request;
use futures_util::StreamExt;
use serde_json::json;

async fn failed_codes_map_to_kinds(t: Transport) {
    let cases = [
        ("context_length_exceeded", ErrorKind::ContextWindowExceeded),
        ("insufficient_quota", ErrorKind::QuotaExceeded),
        ("usage_not_included", ErrorKind::UsageNotIncluded),
        ("invalid_prompt", ErrorKind::InvalidRequest),
        ("cyber_policy", ErrorKind::CyberPolicy),
        ("server_is_overloaded", ErrorKind::ServerOverloaded),
        ("something_new", ErrorKind::ApiError),
    ];
    let env = env_over(t).await;
    for (code, kind) in cases {
        env.mock.push_response(Reply::failed(code, "nope"));
        let s = env.start(&request("q")).await;
        let (events, err) = drain(s).await;
        let err = err.unwrap_or_else(|| panic!("{code}: no error"));
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.code(), Some(code));
        assert!(matches!(events[0], ResponseEvent::Created(_)));
        assert!(err.request_id().is_some());
        // The terminal event's exact wire JSON stays with the error.
        let raw: serde_json::Value = serde_json::from_str(err.event_json().unwrap()).unwrap();
        assert_eq!(raw["type"], "response.failed", "{code}");
        assert_eq!(raw["response"]["error"]["code"], code);
    }
    // Not retried: one request per case.
    assert_eq!(env.turns().len(), cases.len());
}

both_transports!(failed_codes_map_to_kinds);

async fn rate_limit_failure_after_an_event_is_not_retried(t: Transport) {
    let env = env_over(t).await;
    env.mock
        .push_response(Reply::failed("rate_limit_exceeded", RATE_LIMIT_MESSAGE));
    let s = env.start(&request("q")).await;
    let (events, err) = drain(s).await;
    let err = err.unwrap();
    assert!(
        matches!(events[0], ResponseEvent::Created(_)),
        "response.created was yielded"
    );
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs_f64(11.054)));
    assert!(err.is_retryable());
    assert_eq!(env.turns().len(), 1);
}

both_transports!(rate_limit_failure_after_an_event_is_not_retried);

async fn rate_limit_failure_as_first_event_is_retried(t: Transport) {
    let env = env_over(t).await;
    let mut b = StreamBuilder::new("resp_rl", "gpt-5.4");
    b.failed(
        "rate_limit_exceeded",
        "Rate limit reached. Please try again in 20ms.",
    );
    env.mock
        .push_response(Reply::sse_bytes(to_sse_bytes(&b.finish())));
    env.mock.push_response(Reply::text("after retry"));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "after retry");
    let reqs = env.turns();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
}

both_transports!(rate_limit_failure_as_first_event_is_retried);

async fn incomplete_keeps_partial_text(t: Transport) {
    let env = env_over(t).await;
    env.mock
        .push_response(Reply::incomplete("max_output_tokens"));
    let s = env.start(&request("q")).await;
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Incomplete);
    assert_eq!(err.reason(), Some("max_output_tokens"));
    assert_eq!(err.partial_text(), Some("This answer was cut"));
    assert_eq!(err.kind().as_str(), "incomplete");
}

both_transports!(incomplete_keeps_partial_text);

async fn error_event_is_fatal(t: Transport) {
    let env = env_over(t).await;
    env.mock
        .push_response(Reply::error_event("server_error", "boom"));
    let s = env.start(&request("q")).await;
    let (_, err) = drain(s).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::ApiError);
    assert_eq!(err.code(), Some("server_error"));
    assert!(err.to_string().contains("boom"));
}

both_transports!(error_event_is_fatal);

async fn truncated_stream_is_an_error_with_partial_text(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::truncated());
    let mut s = env.start(&request("q")).await;
    let mut last = None;
    while let Some(item) = s.next().await {
        if let Err(e) = item {
            last = Some(e);
        }
    }
    let err = last.unwrap();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.partial_text(), Some("This stream ends early"));
    assert_eq!(s.received_text(), "This stream ends early");
    assert!(!s.completed());
}

both_transports!(truncated_stream_is_an_error_with_partial_text);

async fn dropped_connection_is_an_error_with_partial_text(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::drop_mid_event());
    let s = env.start(&request("q")).await;
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    let partial = err.partial_text().unwrap();
    assert!(codex_mock::DEFAULT_TEXT.starts_with(partial), "{partial:?}");
    assert!(!partial.is_empty());
}

both_transports!(dropped_connection_is_an_error_with_partial_text);

async fn unauthorized_refreshes_once_then_succeeds(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::text("welcome back"));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "welcome back");
    let reqs = env.turns();
    assert_eq!(reqs.len(), 2);
    assert_ne!(
        reqs[0].header("authorization"),
        reqs[1].header("authorization")
    );
    assert_eq!(env.mock.issuer().refresh_count(), 1);
    assert_eq!(reqs[0].body, reqs[1].body);
}

both_transports!(unauthorized_refreshes_once_then_succeeds);

async fn unauthorized_twice_is_login_required(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::text("never"));
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::LoginRequired);
    assert_eq!(err.kind().as_str(), "login_required");
    assert!(!err.to_string().contains(&env.tokens.access_token));
    assert_eq!(env.turns().len(), 2);
}

both_transports!(unauthorized_twice_is_login_required);

async fn server_errors_are_retried_then_succeed(t: Transport) {
    let env = env_over(t).await;
    env.mock
        .push_response(Reply::status(500, json!({"detail": "oops"})));
    env.mock
        .push_response(Reply::status(502, json!({"detail": "bad gateway"})));
    env.mock.push_response(Reply::text("finally"));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "finally");
    assert_eq!(env.turns().len(), 3);
}

both_transports!(server_errors_are_retried_then_succeed);

async fn server_errors_exhaust_retries(t: Transport) {
    let env = env_over(t).await;
    for _ in 0..4 {
        env.mock.push_response(Reply::status(
            503,
            json!({"error": {"code": "server_is_overloaded"}}),
        ));
    }
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::ServerOverloaded);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(err.request_id().is_some());
    assert_eq!(env.turns().len(), 4, "1 attempt + 3 retries");
}

both_transports!(server_errors_exhaust_retries);

async fn rate_limited_429_with_retry_after_is_retried(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(
        Reply::status(429, json!({"error": {"type": "rate_limit_exceeded"}}))
            .retry_after_ms(Duration::from_millis(250)),
    );
    env.mock.push_response(Reply::text("ok"));
    let started = Instant::now();
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the server's delay was honoured"
    );
    assert_eq!(env.turns().len(), 2);
}

both_transports!(rate_limited_429_with_retry_after_is_retried);

async fn rate_limited_429_without_delay_is_returned(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::status(
        429,
        json!({"error": {"type": "rate_limit_exceeded"}}),
    ));
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(env.turns().len(), 1);
}

both_transports!(rate_limited_429_without_delay_is_returned);

async fn usage_limit_is_never_retried(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(
        Reply::usage_limit("plus", 1_767_225_600).retry_after(Duration::from_secs(1)),
    );
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::UsageLimitReached);
    assert_eq!(err.plan_type(), Some("plus"));
    assert_eq!(
        err.resets_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert!(!err.is_retryable());
    assert_eq!(env.turns().len(), 1);
}

both_transports!(usage_limit_is_never_retried);

async fn bad_request_is_invalid_request_with_body(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::status(
        400,
        json!({"detail": "Unsupported parameter: temperature"}),
    ));
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.body().unwrap().contains("Unsupported parameter"));
    assert_eq!(env.turns().len(), 1);
}

both_transports!(bad_request_is_invalid_request_with_body);

/// SSE only: a redirect is an HTTP answer to the `POST`; a WebSocket turn's errors come as wrapped error frames on an open socket (websocket.rs `wrapped_errors_map_like_http_errors`).
#[tokio::test]
async fn redirects_are_not_followed() {
    let env = env_over(Transport::Sse).await;
    env.mock.push_response(
        Reply::status(302, json!({})).header("location", "https://evil.invalid/steal"),
    );
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::Http);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(env.turns().len(), 1);
}

/// SSE only: a `200` whose `Content-Type` is not `text/event-stream`; a WebSocket turn has no content type.
#[tokio::test]
async fn a_200_that_is_not_an_event_stream_keeps_its_body() {
    let env = env_over(Transport::Sse).await;
    env.mock.push_response(Reply::raw(
        200,
        "application/json",
        r#"{"detail":"something unexpected"}"#,
    ));
    let s = env.start(&request("q")).await;
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.body(), Some(r#"{"detail":"something unexpected"}"#));
}

async fn connection_refused_is_a_transport_error_after_retries(t: Transport) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = codex_client::Client::builder()
        .transport(t)
        .base_url(format!("http://127.0.0.1:{port}/backend-api/codex"))
        .proxy(None)
        .retry(
            codex_client::RetryPolicy::builder()
                .max_retries(2)
                .base_delay(Duration::from_millis(5))
                .build(),
        )
        .build()
        .unwrap();
    let err = common::refused(&client, &request("q")).await;
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
}

both_transports!(connection_refused_is_a_transport_error_after_retries);
