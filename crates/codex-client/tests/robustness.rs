//! Regression tests for server input that used to panic, hang, lose a failure or be retried
//! unsafely, over loopback against codex-mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use codex_client::ErrorKind;
use codex_client::ResponseStream;
use codex_client::RetryPolicy;
use codex_client::Transport;
use codex_mock::Reply;
use codex_mock::Route;
use codex_test_support::both_transports;
use codex_types::ResponseEvent;
use common::conv;
use common::env;
use common::env_over;
use common::env_with;
use common::request;
use futures_util::StreamExt;
use serde_json::json;

/// [`common::drain`], and the error ends the stream.
async fn drain(mut s: ResponseStream) -> (Vec<ResponseEvent>, Option<codex_client::Error>) {
    let (events, err) = common::drain_mut(&mut s).await;
    if let Some(e) = &err {
        assert!(s.next().await.is_none(), "the stream ends after {e:?}");
    }
    (events, err)
}

const CREATED: &[u8] = b"data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n";

#[tokio::test]
async fn absurd_retry_after_on_models_is_an_error_not_a_panic() {
    let env = env().await;
    for v in ["1e20", "-1", "NaN", "inf", "100000000000000000000000000"] {
        env.mock.push(
            Route::Models,
            Reply::status(429, json!({"error": {"type": "rate_limit_exceeded"}}))
                .header("retry-after", v),
        );
        let err = env.client.models().list().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{v}");
    }
    env.mock.push(
        Route::Models,
        Reply::status(429, json!({"error": {"type": "rate_limit_exceeded"}}))
            .header("retry-after-ms", "1e300"),
    );
    let err = env.client.models().list().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::MAX));
    // Not one of those was waited for or retried.
    assert_eq!(env.mock.requests_to("/backend-api/codex/models").len(), 6);
    for v in [json!(1e300), json!(-5), json!("soon"), json!(1.8e19)] {
        env.mock.push(
            Route::Models,
            Reply::status(
                429,
                json!({"error": {"type": "usage_limit_reached", "resets_at": v}}),
            ),
        );
        let err = env.client.models().list().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UsageLimitReached);
        assert_eq!(err.resets_at(), None, "{v}");
    }
}

async fn usage_limit_in_the_code_field_is_never_retried(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(
        Reply::status(
            429,
            json!({"error": {"type": "invalid_request_error", "code": "usage_limit_reached"}}),
        )
        .retry_after(Duration::from_secs(1)),
    );
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::UsageLimitReached);
    assert!(!err.is_retryable());
    assert_eq!(env.turns().len(), 1);
}

both_transports!(usage_limit_in_the_code_field_is_never_retried);

async fn retry_after_as_an_http_date_is_honoured(t: Transport) {
    let env = env_over(t).await;
    // A date in the past: retry now.
    env.mock.push_response(
        Reply::status(429, json!({"error": {"type": "rate_limit_exceeded"}}))
            .header("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"),
    );
    env.mock.push_response(Reply::text("ok"));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "ok");
    assert_eq!(env.turns().len(), 2);
    // A date far ahead: longer than the policy waits, so reported with its delay.
    env.mock.push_response(
        Reply::status(429, json!({"error": {"type": "rate_limit_exceeded"}}))
            .header("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    );
    let err = env.refused(&request("q")).await;
    assert!(err.retry_after().unwrap() > Duration::from_secs(86_400 * 365));
    assert_eq!(env.turns().len(), 3);
}

both_transports!(retry_after_as_an_http_date_is_honoured);

async fn failed_event_with_a_wrongly_typed_field_keeps_its_failure(t: Transport) {
    let env = env_over(t).await;
    let failed = r#"{"type":"response.failed","response":{"id":"r1","error":{"code":"context_length_exceeded","message":"too long","param":5,"resets_at":1.5e9}}}"#;
    let mut body = CREATED.to_vec();
    body.extend_from_slice(format!("data: {failed}\n\n").as_bytes());
    env.mock.push_response(Reply::sse_bytes(body));
    let s = env.start(&request("q")).await;
    let (events, err) = drain(s).await;
    assert_eq!(events.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::ContextWindowExceeded, "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(err.event_json(), Some(failed));
}

both_transports!(failed_event_with_a_wrongly_typed_field_keeps_its_failure);

async fn terminal_events_that_fail_to_decode_end_the_stream_with_their_failure(t: Transport) {
    let env = env_over(t).await;
    // Each of these has a field of a type the typed decode rejects.
    let cases = [
        (
            r#"{"type":"response.failed","sequence_number":"7","response":{"id":"r1","error":{"code":"usage_limit_reached","message":"limit","resets_at":"1738888888"}}}"#,
            ErrorKind::UsageLimitReached,
        ),
        (
            r#"{"type":"error","sequence_number":{},"code":"insufficient_quota","message":"pay"}"#,
            ErrorKind::QuotaExceeded,
        ),
        (
            r#"{"type":"response.incomplete","sequence_number":[],"response":{"incomplete_details":{"reason":"max_output_tokens"}}}"#,
            ErrorKind::Incomplete,
        ),
        (
            r#"{"type":"response.completed","response":{"id":5}}"#,
            ErrorKind::Decode,
        ),
    ];
    for (raw, kind) in cases {
        let mut body = CREATED.to_vec();
        body.extend_from_slice(format!("data: {raw}\n\n").as_bytes());
        // The server keeps the connection open after the terminal event: the client must not
        // wait for it (the idle timeout is 10 s here).
        let first = body.len();
        body.extend_from_slice(b": keep-alive\n\n");
        env.mock.push_response(
            Reply::sse_bytes(body)
                .chunked(first)
                .delay(Duration::from_secs(30)),
        );
        let started = Instant::now();
        let s = env.start(&request("q")).await;
        let (events, err) = drain(s).await;
        assert!(started.elapsed() < Duration::from_secs(5), "{raw}");
        assert_eq!(events.len(), 1, "{raw}");
        let err = err.unwrap();
        assert_eq!(err.kind(), kind, "{raw}: {err:?}");
        assert_eq!(err.event_json(), Some(raw));
    }
    // The failure's details are read from the raw JSON.
    let raw = cases[0].0;
    let mut body = CREATED.to_vec();
    body.extend_from_slice(format!("data: {raw}\n\n").as_bytes());
    env.mock.push_response(Reply::sse_bytes(body));
    let s = env.start(&request("q")).await;
    let err = drain(s).await.1.unwrap();
    assert_eq!(err.code(), Some("usage_limit_reached"));
    assert_eq!(
        err.resets_at(),
        Some(std::time::UNIX_EPOCH + Duration::from_secs(1_738_888_888))
    );
}

both_transports!(terminal_events_that_fail_to_decode_end_the_stream_with_their_failure);

#[tokio::test]
async fn a_stalled_error_body_is_classified_within_the_cap() {
    let env = env_with(false, |b| {
        b.idle_timeout(Duration::from_millis(500))
            .retry(RetryPolicy::none())
    })
    .await;
    let body = r#"{"error":{"code":"server_is_overloaded","message":"busy"}}"#;
    // The first 20 bytes arrive, the rest only after a minute.
    env.mock.push_response(
        Reply::raw(503, "application/json", body)
            .chunked(20)
            .delay(Duration::from_secs(60)),
    );
    let started = Instant::now();
    let err = env.refused(&request("q")).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.kind(), ErrorKind::Http);
    assert!(err.is_retryable());
    assert_eq!(err.body(), Some(&body[..20]), "what arrived is kept");
}

#[tokio::test]
async fn an_error_body_over_the_read_cap_is_truncated_not_discarded() {
    let env = env_with(false, |b| b.retry(RetryPolicy::none())).await;
    let mut body = String::from(r#"{"detail":""#);
    body.push_str(&"x".repeat(2 << 20));
    body.push_str(r#""}"#);
    env.mock
        .push_response(Reply::raw(500, "application/json", body.clone()));
    let err = env.refused(&request("q")).await;
    assert_eq!(err.kind(), ErrorKind::Http);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    let kept = err.body().unwrap();
    assert_eq!(kept.len(), 64 * 1024);
    assert!(body.starts_with(kept));
}

#[tokio::test]
async fn client_version_is_percent_encoded_in_the_models_query() {
    let env = env_with(false, |b| b.client_version("0.1.0+build")).await;
    env.client.models().list().await.unwrap();
    let r = &env.mock.requests()[0];
    assert_eq!(r.query.as_deref(), Some("client_version=0.1.0%2Bbuild"));
    assert_eq!(
        r.query_pairs(),
        vec![("client_version".to_owned(), "0.1.0+build".to_owned())]
    );
}

/// A TCP relay in front of `target` that counts the connections it accepts.
async fn counting_relay(target: std::net::SocketAddr) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (addr, count)
}

#[tokio::test]
async fn tls_certificate_failures_are_not_retried() {
    let mock = codex_mock::MockServer::start_tls().await.unwrap();
    let tokens = mock.issuer().issue_tokens();
    let auth = common::auth_for(&mock, &tokens);
    let port: u16 = mock
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (relay, count) = counting_relay(([127, 0, 0, 1], port).into()).await;
    let client = codex_client::Client::builder()
        .workspace_routing(false)
        .base_url(format!(
            "https://127.0.0.1:{}/backend-api/codex",
            relay.port()
        ))
        .proxy(None)
        .retry(
            RetryPolicy::builder()
                .max_retries(3)
                .base_delay(Duration::from_millis(5))
                .build(),
        )
        .token_provider(auth)
        .build()
        .unwrap();
    let err = common::refused(&client, &request("q")).await;
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "exactly one connection attempt"
    );
    assert!(mock.requests().is_empty());
}

async fn invalid_requests_are_refused_before_any_network(t: Transport) {
    let env = env_over(t).await;
    // A deserialized request skips the builder: a call without its output.
    let req: codex_types::ResponsesRequest = serde_json::from_value(json!({
        "model": "gpt-5.4",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
        ]
    }))
    .unwrap();
    let err = env
        .client
        .responses()
        .stream(&req, &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("c1"), "{err}");
    let empty: codex_types::ResponsesRequest =
        serde_json::from_value(json!({"model": " "})).unwrap();
    let err = env
        .client
        .responses()
        .stream(&empty, &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    let orphan = codex_types::CompactRequest::new(
        "gpt-5.4",
        vec![codex_types::FunctionCall::new(codex_types::CallId::new("c9"), "f", "{}").output("x")],
    );
    let err = env
        .client
        .compact()
        .run(&orphan, &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(env.mock.requests().is_empty(), "nothing was sent");
}

both_transports!(invalid_requests_are_refused_before_any_network);
