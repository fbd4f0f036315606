//! `POST /responses` against codex-mock: the exact request sent and the events received, over
//! HTTP SSE and over WebSocket (`both_transports!`), plus the SSE framing and TLS details that
//! only HTTP has. Failures and retries: `responses_errors.rs`; timeouts, abort and connection
//! ends: `responses_lifecycle.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_test_support::both_transports;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use common::CONVERSATION;
use common::conv;
use common::drain;
use common::env_over;
use common::env_with;
use common::request;
use futures_util::StreamExt;

async fn text_reply_sends_exact_request_and_yields_events(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::text("Hello there, world"));
    let stream = env.start(&request("hi")).await;
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

    let reqs = env.turns();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    env.assert_identity(r);
    assert!(
        r.header("user-agent")
            .unwrap()
            .starts_with("codex_cli_rs/0.171.0 (")
    );
    assert_eq!(r.header("session-id"), Some(CONVERSATION));
    assert_eq!(r.header("thread-id"), Some(CONVERSATION));
    assert_eq!(r.header("x-client-request-id"), Some(CONVERSATION));
    assert_eq!(r.header("x-codex-turn-state"), None);
    // What only an HTTP request has; over WebSocket these headers are the upgrade's.
    if t == Transport::Sse {
        assert_eq!(r.method, "POST");
        assert_eq!(r.version, "HTTP/1.1");
        assert_eq!(r.header("accept"), Some("text/event-stream"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("openai-beta"), None);
    } else {
        assert_eq!(
            r.header("openai-beta"),
            Some("responses_websockets=2026-02-06")
        );
    }
    let body = r.json().unwrap();
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["instructions"], "be brief");
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
    assert_eq!(body["prompt_cache_key"], CONVERSATION);
    assert_eq!(body["input"][0]["role"], "user");
    assert_eq!(body["input"][0]["content"][0]["text"], "hi");
}

both_transports!(text_reply_sends_exact_request_and_yields_events);

async fn explicit_prompt_cache_key_wins_and_turn_state_is_echoed(t: Transport) {
    let env = env_over(t).await;
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
    let out = env.turn_with(&req, &opts).await;
    assert_eq!(out.text, "two");
    let reqs = env.turns();
    assert_eq!(reqs[0].json().unwrap()["prompt_cache_key"], "my-key");
    assert_eq!(reqs[0].header("x-codex-turn-state"), None);
    if t == Transport::Sse {
        assert_eq!(
            reqs[1].header("x-codex-turn-state"),
            Some(turn_state.as_str())
        );
    } else {
        // The turn state is a header of the upgrade: the second turn rode the connection
        // whose upgrade answer gave that state, so there was nothing to echo.
        assert_eq!(env.mock.websocket_upgrades().len(), 1);
    }
}

both_transports!(explicit_prompt_cache_key_wins_and_turn_state_is_echoed);

async fn collect_text_reports_usage_items_and_ids(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::text("Hello from the mock"));
    let out = env
        .turn_with(&request("hi"), &RequestOptions::default())
        .await;
    assert_eq!(out.text, "Hello from the mock");
    assert_eq!(out.response_id.as_deref(), Some("resp_mock_text"));
    let usage = out.usage.unwrap();
    assert_eq!(usage.input_tokens, 42);
    assert_eq!(out.items.len(), 1);
    assert!(matches!(&out.items[0], ResponseItem::Message(_)));
    assert!(out.request_id.is_some());
    assert!(out.decode_errors.is_empty());
    // Without a conversation id no conversation headers are sent.
    let r = &env.turns()[0];
    assert_eq!(r.header("session-id"), None);
    assert!(r.json().unwrap().get("prompt_cache_key").is_none());
}

both_transports!(collect_text_reports_usage_items_and_ids);

async fn tool_calls_come_back_as_items(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
        FunctionCallSpec::named("get_time")
            .call_id("call_2")
            .arguments(r#"{"tz":"CET"}"#),
    ]));
    let items = env
        .start(&request("weather?"))
        .await
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

both_transports!(tool_calls_come_back_as_items);

async fn reasoning_summary_deltas_are_events(t: Transport) {
    let env = env_over(t).await;
    env.mock
        .push_response(Reply::reasoning("Thinking hard", "The answer"));
    let s = env.start(&request("q")).await;
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

both_transports!(reasoning_summary_deltas_are_events);

async fn metadata_event_updates_turn_state_and_model(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::rate_limits());
    let mut s = env.start(&request("q")).await;
    while let Some(e) = s.next().await {
        e.unwrap();
    }
    assert!(s.completed());
    assert_eq!(s.turn_state(), Some("ts_mock_synthetic"));
    assert_eq!(s.served_model(), Some("gpt-5.4"));
}

both_transports!(metadata_event_updates_turn_state_and_model);

async fn a_bad_event_is_an_item_and_the_stream_continues(t: Transport) {
    let env = env_over(t).await;
    let mut body = Vec::new();
    let created = r#"{"type":"response.created","response":{"id":"r1"}}"#;
    body.extend_from_slice(format!("event: response.created\ndata: {created}\n\n").as_bytes());
    // The offset counts the SSE body's bytes, or over WebSocket the text frames' bytes
    // (docs/client.md).
    let bad_offset = match t {
        Transport::WebSocket => created.len(),
        _ => body.len(),
    } as u64;
    body.extend_from_slice(b"data: {\"type\":\"response.output_text.delta\",\"delta\":17}\n\n");
    body.extend_from_slice(b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\"}\n\n");
    body.extend_from_slice(
        b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n",
    );
    env.mock.push_response(Reply::sse_bytes(body));
    let mut s = env.start(&request("q")).await;
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

both_transports!(a_bad_event_is_an_item_and_the_stream_continues);

async fn huge_event_is_delivered(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::huge_event(8 * 1024 * 1024));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text.len(), 8 * 1024 * 1024);
}

both_transports!(huge_event_is_delivered);

/// SSE only: the `Content-Type` of an SSE answer; a WebSocket has none.
#[tokio::test]
async fn sse_without_content_type_is_accepted() {
    let env = env_over(Transport::Sse).await;
    env.mock
        .push_response(Reply::text("no content type").without_content_type());
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "no content type");
}

/// SSE only: how SSE bytes are cut into chunks; the mock sends one WebSocket message per event.
#[tokio::test]
async fn chunked_one_byte_at_a_time_gives_the_same_events() {
    let env = env_over(Transport::Sse).await;
    env.mock
        .push_response(Reply::text("split into tiny pieces ✓ ünïcödé").chunked(1));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "split into tiny pieces ✓ ünïcödé");
}

/// SSE only: checks ALPN picking HTTP/2 for the `POST`; the WebSocket upgrade is HTTP/1.1 by nature (websocket.rs `https_upgrade_with_the_test_ca`).
#[tokio::test]
async fn tls_with_the_test_ca() {
    let env = env_with(true, |b| b.transport(Transport::Sse)).await;
    assert!(env.mock.url().starts_with("https://127.0.0.1"));
    env.mock.push_response(Reply::text("secure hello"));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, "secure hello");
    let r = &env.turns()[0];
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
/// SSE only: HTTP/2 DATA frames; WebSocket runs over HTTP/1.1.
#[tokio::test]
async fn h2_slow_reader_of_many_small_frames_keeps_its_connection() {
    let env = env_with(true, |b| {
        b.transport(Transport::Sse)
            .idle_timeout(Duration::from_secs(30))
    })
    .await;
    let text = "word ".repeat(3000);
    // About 600 KB of SSE in 100-byte writes, one DATA frame each.
    env.mock.push_response(Reply::text(&text).chunked(100));
    let stream = env.start(&request("q")).await;
    // Let the server's frames pile up unread.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = stream.collect_text().await.unwrap();
    assert_eq!(out.text, text);
    assert_eq!(env.turns()[0].version, "HTTP/2.0");
}

async fn tls_without_the_test_ca_fails_with_tls_error(t: Transport) {
    let mock = codex_mock::MockServer::start_tls().await.unwrap();
    let tokens = mock.issuer().issue_tokens();
    let auth = common::auth_for(&mock, &tokens);
    let client = codex_client::Client::builder()
        .transport(t)
        .base_url(mock.backend_base_url())
        .proxy(None)
        .retry(codex_client::RetryPolicy::none())
        .token_provider(auth)
        .build()
        .unwrap();
    let err = common::refused(&client, &request("q")).await;
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(mock.requests().is_empty());
}

both_transports!(tls_without_the_test_ca_fails_with_tls_error);
