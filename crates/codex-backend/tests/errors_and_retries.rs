//! What the server means (new failure codes through SSE, wrapped error frames and HTTP error
//! bodies), turn data that is never an error (usage metadata, end_turn, safety buffering),
//! and whole-turn retries (and their absence once output reached the caller), against
//! codex-mock over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_backend::CallOptions;
use codex_backend::CodexClientBuilder;
use codex_backend::ErrorKind as K;
use codex_backend::ResponseEvent;
use codex_backend::RetryPolicy;
use codex_mock::DEFAULT_TEXT;
use codex_mock::Reply;
use codex_mock::Route;
use common::*;
use futures_util::StreamExt;
use serde_json::json;

/// Fast backoff so retries do not slow the tests down.
fn fast(b: CodexClientBuilder) -> CodexClientBuilder {
    b.retry(
        RetryPolicy::builder()
            .base_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(5))
            .build(),
    )
}

fn turns(mock: &codex_mock::MockServer) -> usize {
    mock.requests_to("/backend-api/codex/responses").len()
}

#[tokio::test]
async fn new_failure_codes_through_sse_are_typed_and_terminal() {
    let (mock, _home, client) = setup_with(fast).await;
    let cases = [
        ("flex_unavailable", K::FlexUnavailable, "flex_unavailable"),
        ("bio_policy", K::BioPolicy, "bio_policy"),
        ("invalid_prompt", K::InvalidRequest, "invalid_request"),
        (
            "credit_balance_exhausted",
            K::QuotaExceeded,
            "quota_exceeded",
        ),
        (
            "organization_spend_limit_exceeded",
            K::QuotaExceeded,
            "quota_exceeded",
        ),
        (
            "project_spend_limit_exceeded",
            K::QuotaExceeded,
            "quota_exceeded",
        ),
        (
            "server_is_overloaded",
            K::ServerOverloaded,
            "server_overloaded",
        ),
    ];
    for (code, kind, name) in cases {
        let before = turns(&mock);
        mock.push(Route::Responses, Reply::failed(code, "m"));
        let err = client.respond("x", CallOptions::new()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.kind_str(), name, "{code}");
        assert_eq!(err.code(), Some(code));
        assert!(!err.is_retryable(), "{code}");
        assert_eq!(turns(&mock) - before, 1, "{code}: terminal, sent once");
    }
    let err = client.respond("x", CallOptions::new()).await;
    assert_eq!(err.unwrap().text, DEFAULT_TEXT);

    // An incomplete response stopped by the content filter is its own kind.
    mock.push(Route::Responses, Reply::incomplete("content_filter"));
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "content_filter");
    assert_eq!(err.partial_text(), Some("This answer was cut"));
}

#[tokio::test]
async fn wrapped_error_frames_map_like_http_answers() {
    let (mock, _home, client) = setup_with(fast).await;
    mock.push(
        Route::Responses,
        Reply::wrapped_error(
            429,
            json!({"type": "usage_limit_reached", "message": "limit", "plan_type": "pro",
                "resets_at": 1_900_000_000, "limit_window_minutes": 300}),
            json!({"retry-after": "1"}),
        ),
    );
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "usage_limit_reached");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.plan_type(), Some("pro"));
    assert_eq!(err.limit_window(), Some(Duration::from_secs(300 * 60)));
    assert!(!err.is_retryable());
    assert_eq!(turns(&mock), 1, "a usage limit is never retried");

    mock.push(
        Route::Responses,
        Reply::wrapped_error(429, json!({"code": "flex_unavailable"}), json!({})),
    );
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "flex_unavailable");
    assert_eq!(
        err.to_string(),
        "flex capacity unavailable: Flex capacity unavailable."
    );
    assert_eq!(turns(&mock), 2);
}

#[tokio::test]
async fn new_codes_in_http_error_bodies() {
    let (mock, _home, client) = setup_with(fast).await;
    let cases = [
        (
            429,
            json!({"error": {"code": "flex_unavailable"}}),
            "flex_unavailable",
            1,
        ),
        (
            429,
            json!({"error": {"code": "credit_balance_exhausted"}}),
            "quota_exceeded",
            1,
        ),
        (
            400,
            json!({"error": {"code": "bio_policy"}}),
            "bio_policy",
            1,
        ),
        (403, json!({"error": {"code": "cyber_policy"}}), "http", 1),
        // A plain 429 is terminal (codex-rs) ...
        (
            429,
            json!({"error": {"code": "rate_limit_exceeded"}}),
            "rate_limited",
            1,
        ),
    ];
    for (status, body, kind, sent) in cases {
        let before = turns(&mock);
        mock.push(Route::Responses, Reply::status(status, body.clone()));
        let err = client.respond("x", CallOptions::new()).await.unwrap_err();
        assert_eq!(err.kind_str(), kind, "{status} {body}");
        assert_eq!(turns(&mock) - before, sent, "{status} {body}");
    }
    // ... unless the server names a delay; a 503 slow_down is a rate limit, retried as a 5xx.
    mock.push(
        Route::Responses,
        Reply::status(429, json!({"error": {"code": "rate_limit_exceeded"}}))
            .retry_after_ms(Duration::from_millis(20)),
    );
    mock.push(
        Route::Responses,
        Reply::status(503, json!({"error": {"code": "slow_down"}})),
    );
    let before = turns(&mock);
    let r = client.respond("x", CallOptions::new()).await.unwrap();
    assert_eq!(r.text, DEFAULT_TEXT);
    assert_eq!(turns(&mock) - before, 3);
    assert!(r.retries.is_empty(), "request retries are not turn retries");
}

#[tokio::test]
async fn usage_metadata_end_turn_and_safety_buffering_are_data() {
    let (mock, _home, client) = setup().await;
    mock.push(
        Route::Responses,
        Reply::with_turn_metadata("Checked and safe.")
            .header("x-codex-safety-buffering-enabled", "true")
            .header("x-codex-safety-buffering-faster-model", "gpt-5.4-mini")
            .header(
                "x-codex-safety-buffering-learn-more-link",
                "https://example.com/s",
            ),
    );
    let r = client.respond("x", CallOptions::new()).await.unwrap();
    assert_eq!(r.text, "Checked and safe.");
    assert_eq!(r.end_turn, Some(true));
    let meta = r.usage_metadata.as_ref().unwrap();
    assert_eq!(meta.amount, Some(json!(12)));
    assert_eq!(
        meta.prompt_cache_diagnostics,
        Some(json!({"cached": false}))
    );
    assert_eq!(r.safety_buffering.len(), 1);
    assert_eq!(
        r.safety_buffering[0].retry_model.as_deref(),
        Some("gpt-5.4-mini")
    );
    let h = r.safety_buffering_headers.as_ref().unwrap();
    assert!(h.enabled);
    assert_eq!(h.faster_model.as_deref(), Some("gpt-5.4-mini"));
    assert_eq!(h.learn_more_link.as_deref(), Some("https://example.com/s"));

    // The same data through a conversation turn.
    mock.push(Route::Responses, Reply::with_turn_metadata("Again."));
    let mut chat = client.conversation();
    let r = chat.respond("x").await.unwrap();
    assert_eq!(r.end_turn, Some(true));
    assert_eq!(r.safety_buffering.len(), 1);
}

#[tokio::test]
async fn respond_resends_a_turn_that_failed_before_output_reached_the_caller() {
    let (mock, _home, client) = setup_with(fast).await;
    mock.push(Route::Responses, Reply::truncated());
    mock.push(
        Route::Responses,
        Reply::failed("mock_unknown_code", "try later"),
    );
    // A Retry-After inside a streamed (wrapped) error is honoured.
    mock.push(
        Route::Responses,
        Reply::wrapped_error(
            429,
            json!({"code": "rate_limit_exceeded", "message": "slow"}),
            json!({"retry-after-ms": "150"}),
        ),
    );
    let r = client.respond("x", CallOptions::new()).await.unwrap();
    assert_eq!(r.text, DEFAULT_TEXT);
    assert_eq!(turns(&mock), 4);
    let kinds: Vec<_> = r.retries.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["stream_closed", "api_error", "rate_limited"]);
    assert_eq!(
        r.retries.iter().map(|t| t.retry).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(r.retries[1].code.as_deref(), Some("mock_unknown_code"));
    assert_eq!(r.retries[2].delay, Duration::from_millis(150));

    // respond_text and respond_json go through the same path.
    mock.push(Route::Responses, Reply::drop_mid_event());
    assert_eq!(client.respond_text("x").await.unwrap(), DEFAULT_TEXT);
    mock.push(Route::Responses, Reply::truncated());
    mock.push(Route::Responses, Reply::structured(json!({"answer": "42"})));
    let v: serde_json::Value = client
        .respond_json("x", "answer", json!({"type": "object"}), CallOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!({"answer": "42"}));
}

#[tokio::test]
async fn turn_retries_stop_at_stream_max_retries_and_zero_disables_them() {
    let (mock, _home, client) = setup_with(fast).await;
    for _ in 0..6 {
        mock.push(Route::Responses, Reply::truncated());
    }
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "stream_closed");
    assert_eq!(turns(&mock), 6, "1 attempt + 5 retries (codex-rs default)");

    let (mock, _home, client) = setup_with(|b| {
        b.retry(
            RetryPolicy::builder()
                .base_delay(Duration::from_millis(1))
                .stream_max_retries(0)
                .build(),
        )
    })
    .await;
    mock.push(Route::Responses, Reply::truncated());
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "stream_closed");
    assert_eq!(err.partial_text(), Some("This stream ends early"));
    assert_eq!(turns(&mock), 1);
}

#[tokio::test]
async fn stream_never_resends_after_output_was_handed_over() {
    let (mock, _home, client) = setup_with(fast).await;
    mock.push(Route::Responses, Reply::truncated());
    let mut s = client.stream("x", CallOptions::new()).await.unwrap();
    let mut last = None;
    while let Some(item) = s.next().await {
        last = Some(item);
    }
    let err = last.unwrap().unwrap_err();
    assert_eq!(err.kind(), K::StreamClosed);
    assert_eq!(err.partial_text(), Some("This stream ends early"));
    assert_eq!(s.received_text(), "This stream ends early");
    assert_eq!(turns(&mock), 1);

    // collect_text on a stream the caller holds does not resend either.
    mock.push(Route::Responses, Reply::failed("mock_unknown_code", "m"));
    let s = client.stream("x", CallOptions::new()).await.unwrap();
    assert_eq!(s.collect_text().await.unwrap_err().kind(), K::ApiError);
    assert_eq!(turns(&mock), 2);
}

#[tokio::test]
async fn conversation_run_resends_but_not_after_events_reached_the_caller() {
    let (mock, _home, client) = setup_with(fast).await;
    let mut chat = client.conversation();
    mock.push(Route::Responses, Reply::truncated());
    let r = chat.run("x").await.unwrap();
    assert_eq!(r.text, DEFAULT_TEXT);
    assert_eq!(r.retries.len(), 1);
    assert_eq!(turns(&mock), 2);
    // Only the successful attempt is in the history: the user turn once, one answer.
    assert_eq!(chat.history().len(), 2);

    mock.push(Route::Responses, Reply::truncated());
    let mut seen = 0;
    let err = chat
        .run_with_events("y", |_: &ResponseEvent| seen += 1)
        .await
        .unwrap_err();
    assert!(seen > 0);
    assert_eq!(err.kind_str(), "stream_closed");
    assert_eq!(turns(&mock), 3, "events reached the caller: not resent");
    assert_eq!(chat.history().len(), 2);

    // Conversation::respond resends like CodexClient::respond.
    mock.push(Route::Responses, Reply::truncated());
    let r = chat.respond("z").await.unwrap();
    assert_eq!(r.retries.len(), 1);
    assert_eq!(chat.history().len(), 4);
}

#[tokio::test]
async fn a_tool_run_reports_the_retries_of_every_request() {
    let (mock, _home, client) = setup_with(fast).await;
    let mut chat = client.conversation();
    chat.register_function(
        "ping",
        "answers pong",
        json!({"type": "object"}),
        |_| async { Ok::<_, String>("pong") },
    );
    mock.push(Route::Responses, Reply::truncated());
    mock.push(
        Route::Responses,
        Reply::tool_calls(vec![
            codex_mock::FunctionCallSpec::named("ping")
                .call_id("call_1")
                .arguments("{}"),
        ]),
    );
    mock.push(Route::Responses, Reply::failed("mock_unknown_code", "m"));
    let r = chat.run("x").await.unwrap();
    assert_eq!(r.text, DEFAULT_TEXT);
    assert_eq!(turns(&mock), 4);
    let kinds: Vec<_> = r.retries.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["stream_closed", "api_error"]);
}

#[tokio::test]
async fn compaction_resends_after_a_connection_lost_mid_answer() {
    // The legacy endpoint (compaction v2, the default since the `proto` merge, goes through
    // `/responses` and its stream retries).
    let (mock, _home, client) =
        setup_with(|b| fast(b).compaction_mode(codex_backend::CompactionMode::Legacy)).await;
    mock.push(Route::Compact, Reply::drop_mid_event());
    let history = vec![codex_backend::ResponseItem::user_text("hello")];
    let out = client.compact(history).await.unwrap();
    assert!(!out.is_empty());
    assert_eq!(
        mock.requests_to("/backend-api/codex/responses/compact")
            .len(),
        2
    );
}
