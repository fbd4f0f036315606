//! `POST /responses` over loopback against codex-mock: the exact request sent, the events
//! received, every failure mode, retries, 401 recovery, timeouts, abort and TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::Instant;
use std::time::UNIX_EPOCH;

use codex_client::AbortHandle;
use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_client::ResponseStream;
use codex_mock::FunctionCallSpec;
use codex_mock::RATE_LIMIT_MESSAGE;
use codex_mock::Reply;
use codex_mock::events::StreamBuilder;
use codex_mock::events::to_sse_bytes;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use common::CONVERSATION;
use common::conv;
use common::env;
use common::env_with;
use common::request;
use futures_util::StreamExt;
use serde_json::json;

async fn drain(mut s: ResponseStream) -> (Vec<ResponseEvent>, Option<codex_client::Error>) {
    let mut events = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

#[tokio::test]
async fn text_reply_sends_exact_request_and_yields_events() {
    let env = env().await;
    env.mock.push_response(Reply::text("Hello there, world"));
    let stream = env
        .client
        .responses()
        .stream(&request("hi"), &conv())
        .await
        .unwrap();
    assert_eq!(
        stream.request_id(),
        Some("req_mock_00000001").or(stream.request_id())
    );
    assert!(stream.request_id().unwrap().starts_with("req_mock_"));
    assert_eq!(stream.served_model(), Some("gpt-5.4"));
    assert!(stream.turn_state().unwrap().starts_with("ts_mock_"));
    assert!(stream.models_etag().unwrap().starts_with("\"models-"));
    assert!(stream.reasoning_included());
    assert!(stream.all_rate_limits().get("codex").is_some());
    let rl = stream.rate_limits().expect("rate limits from headers");
    assert_eq!(rl.primary.as_ref().unwrap().used_percent, 42.0);
    let (events, err) = drain(stream).await;
    assert!(err.is_none(), "{err:?}");
    assert!(matches!(events.first(), Some(ResponseEvent::Created(_))));
    assert!(matches!(events.last(), Some(ResponseEvent::Completed(_))));
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ResponseEvent::OutputTextDelta(d) => Some(d.delta.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Hello there, world");

    let reqs = env.mock.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.version, "HTTP/1.1");
    assert_eq!(
        r.header("authorization").unwrap(),
        format!("Bearer {}", env.tokens.access_token)
    );
    assert_eq!(
        r.header("chatgpt-account-id"),
        Some(env.tokens.account_id.as_str())
    );
    assert_eq!(r.header("originator"), Some("codex_cli_rs"));
    assert!(
        r.header("user-agent")
            .unwrap()
            .starts_with("codex_cli_rs/0.171.0 (")
    );
    assert_eq!(r.header("version"), Some("0.171.0"));
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("session-id"), Some(CONVERSATION));
    assert_eq!(r.header("thread-id"), Some(CONVERSATION));
    assert_eq!(r.header("x-client-request-id"), Some(CONVERSATION));
    assert_eq!(r.header("x-codex-turn-state"), None);
    assert_eq!(r.header("openai-beta"), None);
    let body = r.json().unwrap();
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["instructions"], "be brief");
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
    assert_eq!(body["prompt_cache_key"], CONVERSATION);
    assert_eq!(body["input"][0]["role"], "user");
    assert_eq!(body["input"][0]["content"][0]["text"], "hi");
}

#[tokio::test]
async fn explicit_prompt_cache_key_wins_and_turn_state_is_echoed() {
    let env = env().await;
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let mut req = request("hi");
    req.set_prompt_cache_key("my-key");
    let s = env.client.responses().stream(&req, &conv()).await.unwrap();
    let turn_state = s.turn_state().unwrap().to_owned();
    let out = s.collect_text().await.unwrap();
    assert_eq!(out.text, "one");
    let opts = RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .turn_state(&turn_state)
        .build();
    let out = env
        .client
        .responses()
        .stream(&req, &opts)
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "two");
    let reqs = env.mock.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs[0].json().unwrap()["prompt_cache_key"], "my-key");
    assert_eq!(reqs[0].header("x-codex-turn-state"), None);
    assert_eq!(
        reqs[1].header("x-codex-turn-state"),
        Some(turn_state.as_str())
    );
}

#[tokio::test]
async fn collect_text_reports_usage_items_and_ids() {
    let env = env().await;
    env.mock.push_response(Reply::text("Hello from the mock"));
    let out = env
        .client
        .responses()
        .stream(&request("hi"), &RequestOptions::default())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "Hello from the mock");
    assert_eq!(out.response_id.as_deref(), Some("resp_mock_text"));
    let usage = out.usage.unwrap();
    assert_eq!(usage.input_tokens, 42);
    assert_eq!(out.items.len(), 1);
    assert!(matches!(&out.items[0], ResponseItem::Message(_)));
    assert!(out.request_id.is_some());
    assert!(out.decode_errors.is_empty());
    // Without a conversation id no conversation headers are sent.
    let r = &env.mock.requests()[0];
    assert_eq!(r.header("session-id"), None);
    assert!(r.json().unwrap().get("prompt_cache_key").is_none());
}

#[tokio::test]
async fn tool_calls_come_back_as_items() {
    let env = env().await;
    env.mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::new("get_weather", "call_1", r#"{"city":"Paris"}"#),
        FunctionCallSpec::new("get_time", "call_2", r#"{"tz":"CET"}"#),
    ]));
    let items = env
        .client
        .responses()
        .stream(&request("weather?"), &conv())
        .await
        .unwrap()
        .collect_items()
        .await
        .unwrap();
    let calls: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            ResponseItem::FunctionCall(c) => {
                Some((c.name.clone(), c.call_id.clone(), c.arguments.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (
                "get_weather".into(),
                "call_1".into(),
                r#"{"city":"Paris"}"#.into()
            ),
            ("get_time".into(), "call_2".into(), r#"{"tz":"CET"}"#.into()),
        ]
    );
}

#[tokio::test]
async fn reasoning_summary_deltas_are_events() {
    let env = env().await;
    env.mock
        .push_response(Reply::reasoning("Thinking hard", "The answer"));
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let (events, err) = drain(s).await;
    assert!(err.is_none());
    let summary: String = events
        .iter()
        .filter_map(|e| match e {
            ResponseEvent::ReasoningSummaryTextDelta(d) => Some(d.delta.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(summary, "Thinking hard");
    assert!(events.iter().any(|e| matches!(e, ResponseEvent::OutputItemDone(i) if matches!(i.item, ResponseItem::Reasoning(_)))));
}

#[tokio::test]
async fn metadata_event_updates_turn_state_and_model() {
    let env = env().await;
    env.mock.push_response(Reply::rate_limits());
    let mut s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    while let Some(e) = s.next().await {
        e.unwrap();
    }
    assert!(s.completed());
    assert_eq!(s.turn_state(), Some("ts_mock_synthetic"));
    assert_eq!(s.served_model(), Some("gpt-5.4"));
}

#[tokio::test]
async fn failed_codes_map_to_kinds() {
    let cases = [
        ("context_length_exceeded", ErrorKind::ContextWindowExceeded),
        ("insufficient_quota", ErrorKind::QuotaExceeded),
        ("usage_not_included", ErrorKind::UsageNotIncluded),
        ("invalid_prompt", ErrorKind::InvalidRequest),
        ("cyber_policy", ErrorKind::CyberPolicy),
        ("server_is_overloaded", ErrorKind::ServerOverloaded),
        ("something_new", ErrorKind::ApiError),
    ];
    let env = env().await;
    for (code, kind) in cases {
        env.mock.push_response(Reply::failed(code, "nope"));
        let s = env
            .client
            .responses()
            .stream(&request("q"), &conv())
            .await
            .unwrap();
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
    assert_eq!(env.mock.requests().len(), cases.len());
}

#[tokio::test]
async fn rate_limit_failure_after_an_event_is_not_retried() {
    let env = env().await;
    env.mock
        .push_response(Reply::failed("rate_limit_exceeded", RATE_LIMIT_MESSAGE));
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let (events, err) = drain(s).await;
    let err = err.unwrap();
    assert!(
        matches!(events[0], ResponseEvent::Created(_)),
        "response.created was yielded"
    );
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs_f64(11.054)));
    assert!(err.is_retryable());
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test]
async fn rate_limit_failure_as_first_event_is_retried() {
    let env = env().await;
    let mut b = StreamBuilder::new("resp_rl", "gpt-5.4");
    b.failed(
        "rate_limit_exceeded",
        "Rate limit reached. Please try again in 20ms.",
    );
    env.mock
        .push_response(Reply::sse_bytes(to_sse_bytes(&b.finish())));
    env.mock.push_response(Reply::text("after retry"));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "after retry");
    let reqs = env.mock.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn incomplete_keeps_partial_text() {
    let env = env().await;
    env.mock
        .push_response(Reply::incomplete("max_output_tokens"));
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Incomplete);
    assert_eq!(err.reason(), Some("max_output_tokens"));
    assert_eq!(err.partial_text(), Some("This answer was cut"));
    assert_eq!(err.kind().as_str(), "incomplete");
}

#[tokio::test]
async fn error_event_is_fatal() {
    let env = env().await;
    env.mock
        .push_response(Reply::error_event("server_error", "boom"));
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let (_, err) = drain(s).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::ApiError);
    assert_eq!(err.code(), Some("server_error"));
    assert!(err.to_string().contains("boom"));
}

#[tokio::test]
async fn truncated_stream_is_an_error_with_partial_text() {
    let env = env().await;
    env.mock.push_response(Reply::truncated());
    let mut s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
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

#[tokio::test]
async fn dropped_connection_is_an_error_with_partial_text() {
    let env = env().await;
    env.mock.push_response(Reply::drop_mid_event());
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    let partial = err.partial_text().unwrap();
    assert!(codex_mock::DEFAULT_TEXT.starts_with(partial), "{partial:?}");
    assert!(!partial.is_empty());
}

#[tokio::test]
async fn idle_timeout_fires_on_a_stall() {
    let env = env_with(false, |b| b.idle_timeout(Duration::from_millis(300))).await;
    env.mock.push_response(Reply::stall(Duration::from_secs(5)));
    let started = Instant::now();
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let (events, err) = drain(s).await;
    assert_eq!(events.len(), 1);
    assert_eq!(err.unwrap().kind(), ErrorKind::IdleTimeout);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn keep_alives_reset_the_idle_timer() {
    // 8 keep-alives 250 ms apart: 2 s of silence apart from comments, twice the idle timeout.
    let env = env_with(false, |b| b.idle_timeout(Duration::from_secs(1))).await;
    env.mock
        .push_response(Reply::keep_alive(8, Duration::from_millis(250)));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
}

#[tokio::test]
async fn total_deadline_stops_a_slow_stream() {
    let env = env().await;
    env.mock.push_response(Reply::stall(Duration::from_secs(5)));
    let opts = RequestOptions::builder()
        .timeout(Duration::from_millis(300))
        .build();
    let s = env
        .client
        .responses()
        .stream(&request("q"), &opts)
        .await
        .unwrap();
    let (_, err) = drain(s).await;
    assert_eq!(err.unwrap().kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_bad_event_is_an_item_and_the_stream_continues() {
    let env = env().await;
    let mut body = Vec::new();
    body.extend_from_slice(b"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n");
    let bad_offset = body.len() as u64;
    body.extend_from_slice(b"data: {\"type\":\"response.output_text.delta\",\"delta\":17}\n\n");
    body.extend_from_slice(b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\"}\n\n");
    body.extend_from_slice(
        b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n",
    );
    env.mock.push_response(Reply::sse_bytes(body));
    let mut s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(item) = s.next().await {
        seen.push(item);
    }
    assert_eq!(seen.len(), 4);
    let err = seen[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.event_type(), Some("response.output_text.delta"));
    assert_eq!(err.byte_offset(), Some(bad_offset));
    assert!(matches!(seen[3], Ok(ResponseEvent::Completed(_))));
    assert_eq!(s.received_text(), "ok");
}

#[tokio::test]
async fn huge_event_is_delivered() {
    let env = env().await;
    env.mock.push_response(Reply::huge_event(8 * 1024 * 1024));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text.len(), 8 * 1024 * 1024);
}

#[tokio::test]
async fn unauthorized_refreshes_once_then_succeeds() {
    let env = env().await;
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::text("welcome back"));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "welcome back");
    let reqs = env.mock.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), 2);
    assert_ne!(
        reqs[0].header("authorization"),
        reqs[1].header("authorization")
    );
    assert_eq!(env.mock.issuer().refresh_count(), 1);
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn unauthorized_twice_is_login_required() {
    let env = env().await;
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::text("never"));
    let err = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LoginRequired);
    assert_eq!(err.kind().as_str(), "login_required");
    assert!(!err.to_string().contains(&env.tokens.access_token));
    assert_eq!(
        env.mock.requests_to("/backend-api/codex/responses").len(),
        2
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let env = env().await;
    env.mock
        .push_response(Reply::status(500, json!({"detail": "oops"})));
    env.mock
        .push_response(Reply::status(502, json!({"detail": "bad gateway"})));
    env.mock.push_response(Reply::text("finally"));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "finally");
    assert_eq!(env.mock.requests().len(), 3);
}

#[tokio::test]
async fn server_errors_exhaust_retries() {
    let env = env().await;
    for _ in 0..4 {
        env.mock.push_response(Reply::status(
            503,
            json!({"error": {"code": "server_is_overloaded"}}),
        ));
    }
    let err = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerOverloaded);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(err.request_id().is_some());
    assert_eq!(env.mock.requests().len(), 4, "1 attempt + 3 retries");
}

#[tokio::test]
async fn rate_limited_429_with_retry_after_is_retried() {
    let env = env().await;
    env.mock.push_response(
        Reply::status(429, json!({"error": {"type": "rate_limit_exceeded"}}))
            .retry_after_ms(Duration::from_millis(250)),
    );
    env.mock.push_response(Reply::text("ok"));
    let started = Instant::now();
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the server's delay was honoured"
    );
    assert_eq!(env.mock.requests().len(), 2);
}

#[tokio::test]
async fn rate_limited_429_without_delay_is_returned() {
    let env = env().await;
    env.mock.push_response(Reply::status(
        429,
        json!({"error": {"type": "rate_limit_exceeded"}}),
    ));
    let err = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test]
async fn usage_limit_is_never_retried() {
    let env = env().await;
    env.mock.push_response(
        Reply::usage_limit("plus", 1_767_225_600).retry_after(Duration::from_secs(1)),
    );
    let err = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UsageLimitReached);
    assert_eq!(err.plan_type(), Some("plus"));
    assert_eq!(
        err.resets_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert!(!err.is_retryable());
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test]
async fn bad_request_is_invalid_request_with_body() {
    let env = env().await;
    env.mock.push_response(Reply::status(
        400,
        json!({"detail": "Unsupported parameter: temperature"}),
    ));
    let err = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.body().unwrap().contains("Unsupported parameter"));
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let env = env().await;
    env.mock.push_response(
        Reply::status(302, json!({})).header("location", "https://evil.invalid/steal"),
    );
    let err = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test]
async fn abort_handle_stops_a_running_stream() {
    let env = env().await;
    env.mock.push_response(Reply::drip(
        "abcdefghijklmnopqrstuvwxyz",
        Duration::from_millis(50),
    ));
    let handle = AbortHandle::new();
    handle.abort(); // nothing runs: a no-op
    let opts = RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .abort_handle(handle.clone())
        .build();
    let mut s = env
        .client
        .responses()
        .stream(&request("q"), &opts)
        .await
        .unwrap();
    assert_eq!(handle.active(), 1);
    let mut got_text = false;
    let mut aborted = None;
    while let Some(item) = s.next().await {
        match item {
            Ok(ResponseEvent::OutputTextDelta(_)) if !got_text => {
                got_text = true;
                let h = handle.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(120)).await;
                    h.abort();
                });
            }
            Ok(_) => {}
            Err(e) => aborted = Some(e),
        }
    }
    let err = aborted.unwrap();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    let partial = err.partial_text().unwrap();
    assert!(!partial.is_empty() && partial.len() < 26, "{partial:?}");
    assert_eq!(s.received_text(), partial);
    drop(s);
    assert_eq!(handle.active(), 0);
}

#[tokio::test]
async fn abort_all_stops_every_stream_of_the_client() {
    let env = env().await;
    for _ in 0..3 {
        env.mock.push_response(Reply::drip(
            "slow slow slow slow",
            Duration::from_millis(100),
        ));
    }
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(
            env.client
                .responses()
                .stream(&request("q"), &conv())
                .await
                .unwrap(),
        );
    }
    assert_eq!(env.client.active_requests(), 3);
    let c = env.client.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.abort_all();
    });
    for s in streams {
        let err = s.collect_text().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Aborted);
    }
    assert_eq!(env.client.active_requests(), 0);
}

#[tokio::test]
async fn tls_with_the_test_ca() {
    let env = env_with(true, |b| b).await;
    assert!(env.mock.url().starts_with("https://127.0.0.1"));
    env.mock.push_response(Reply::text("secure hello"));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "secure hello");
    let r = &env.mock.requests()[0];
    // ALPN picked HTTP/2 with the mock (which offers h2 and http/1.1).
    assert_eq!(r.version, "HTTP/2.0");
    assert_eq!(
        r.header("authorization").unwrap(),
        format!("Bearer {}", env.tokens.access_token)
    );
}

/// HTTP/2 refuses a connection that buffers too many small DATA frames (h2's guard against
/// framing floods, with a budget that grows with the connection window). A server sends one
/// frame per SSE event; a caller that reads a stream late must still get all of it, rather
/// than a GOAWAY (`too_many_data_frames`) that would end every stream on the connection.
#[tokio::test]
async fn h2_slow_reader_of_many_small_frames_keeps_its_connection() {
    let env = env_with(true, |b| b.idle_timeout(Duration::from_secs(30))).await;
    let text = "word ".repeat(3000);
    // About 600 KB of SSE in 100-byte writes, one DATA frame each.
    env.mock.push_response(Reply::text(&text).chunked(100));
    let stream = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    // Let the server's frames pile up unread.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = stream.collect_text().await.unwrap();
    assert_eq!(out.text, text);
    assert_eq!(env.mock.requests()[0].version, "HTTP/2.0");
}

#[tokio::test]
async fn tls_without_the_test_ca_fails_with_tls_error() {
    let mock = codex_mock::MockServer::start_tls().await.unwrap();
    let tokens = mock.issuer().issue_tokens();
    let auth = common::auth_for(&mock, &tokens);
    let client = codex_client::Client::builder()
        .transport(common::transport())
        .base_url(mock.backend_base_url())
        .proxy(None)
        .retry(codex_client::RetryPolicy::none())
        .token_provider(auth)
        .build()
        .unwrap();
    let err = client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = codex_client::Client::builder()
        .transport(common::transport())
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
    let err = client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn dropping_a_stream_releases_it() {
    let env = env().await;
    env.mock.push_response(Reply::drip(
        "a long dripping answer",
        Duration::from_millis(50),
    ));
    let mut s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let _ = s.next().await;
    assert_eq!(env.client.active_requests(), 1);
    drop(s);
    assert_eq!(env.client.active_requests(), 0);
}

#[tokio::test]
async fn sse_without_content_type_is_accepted() {
    let env = env().await;
    env.mock
        .push_response(Reply::text("no content type").without_content_type());
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "no content type");
}

#[tokio::test]
async fn chunked_one_byte_at_a_time_gives_the_same_events() {
    let env = env().await;
    env.mock
        .push_response(Reply::text("split into tiny pieces ✓ ünïcödé").chunked(1));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "split into tiny pieces ✓ ünïcödé");
}

/// A server that sends `response.completed` and then keeps the connection open (never ends
/// the body) must not make the caller wait.
#[tokio::test]
async fn completed_ends_the_stream_even_if_the_server_keeps_the_connection_open() {
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = Vec::new();
        // Read the request head and its content-length body.
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let events = to_sse_bytes(&codex_mock::text_events("r1", "m1", "done early"));
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(format!("{:x}\r\n", events.len()).as_bytes())
            .await
            .unwrap();
        sock.write_all(&events).await.unwrap();
        sock.write_all(b"\r\n").await.unwrap();
        // Keep the connection open without ending the body.
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let client = codex_client::Client::builder()
        .transport(common::transport())
        .base_url(format!("http://127.0.0.1:{port}/backend-api/codex"))
        .proxy(None)
        .idle_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        client
            .responses()
            .stream(&request("q"), &conv())
            .await
            .unwrap()
            .collect_text(),
    )
    .await
    .expect("the stream ended right after response.completed")
    .unwrap();
    assert_eq!(out.text, "done early");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A server that accepts connections and never answers.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/backend-api/codex",
        listener.local_addr().unwrap()
    );
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    (url, task)
}

#[tokio::test]
async fn abort_while_waiting_for_the_response_head() {
    let (url, _server) = silent_server().await;
    let client = codex_client::Client::builder()
        .transport(common::transport())
        .base_url(url)
        .proxy(None)
        .build()
        .unwrap();
    let handle = AbortHandle::new();
    let opts = RequestOptions::builder()
        .abort_handle(handle.clone())
        .build();
    let h = handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        h.abort();
    });
    let started = Instant::now();
    let err = client
        .responses()
        .stream(&request("q"), &opts)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(client.active_requests(), 0);
}

#[tokio::test]
async fn idle_timeout_bounds_the_wait_for_the_response_head() {
    let (url, _server) = silent_server().await;
    let client = codex_client::Client::builder()
        .transport(common::transport())
        .base_url(url)
        .proxy(None)
        .idle_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IdleTimeout);
}

#[tokio::test]
async fn a_200_that_is_not_an_event_stream_keeps_its_body() {
    let env = env().await;
    env.mock.push_response(Reply::raw(
        200,
        "application/json",
        r#"{"detail":"something unexpected"}"#,
    ));
    let s = env
        .client
        .responses()
        .stream(&request("q"), &conv())
        .await
        .unwrap();
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.body(), Some(r#"{"detail":"something unexpected"}"#));
}
