//! Responses over WebSocket against codex-mock's real WebSocket endpoint: incremental turns
//! (checked on the frames the mock recorded), recovery (`previous_response_not_found`,
//! connection limit, 401 on the upgrade, wrapped errors), fallback to SSE (426, 404), and
//! the failure modes of a socket (close mid-response, abort, idle timeout, pings).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::Instant;
use std::time::UNIX_EPOCH;

use codex_client::AbortHandle;
use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_mock::WebSocketMode;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use common::CONVERSATION;
use common::Env;
use common::conv;
use common::env_with;
use futures_util::StreamExt;
use serde_json::Value;

async fn ws_env() -> Env {
    env_with(false, |b| b.transport(Transport::WebSocket)).await
}

async fn ws_env_idle(idle: Duration) -> Env {
    env_with(false, |b| {
        b.transport(Transport::WebSocket).idle_timeout(idle)
    })
    .await
}

async fn auto_env() -> Env {
    env_with(false, |b| b.transport(Transport::Auto)).await
}

fn with_input(input: Vec<ResponseItem>) -> ResponsesRequest {
    ResponsesRequest::builder("gpt-5.4")
        .instructions("be brief")
        .input(input)
        .build()
        .unwrap()
}

/// The frames of this `type` the mock received, as JSON.
fn frames_of(env: &Env, kind: &str) -> Vec<Value> {
    env.mock
        .websocket_frames()
        .iter()
        .filter_map(|f| f.json())
        .filter(|v| v["type"] == kind)
        .collect()
}

/// The `response.create` frames the mock received.
fn creates(env: &Env) -> Vec<Value> {
    frames_of(env, "response.create")
}

/// Turn 1 ("first" answered "one"), and the history of turn 2 (answered "two"): turn 1's
/// input and output, then "second".
async fn first_turn_then_extend(env: &Env) -> Vec<ResponseItem> {
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let mut history = vec![ResponseItem::user_text("first")];
    let out = env.turn(&with_input(history.clone())).await;
    history.extend(out.items);
    history.push(ResponseItem::user_text("second"));
    history
}

fn processed(env: &Env) -> Vec<Value> {
    frames_of(env, "response.processed")
}

#[tokio::test]
async fn a_conversation_goes_incremental_on_one_connection() {
    let env = ws_env().await;
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    env.mock.push_response(Reply::text("three"));
    let mut history = vec![ResponseItem::user_text("first")];
    let mut ids = Vec::new();
    for (n, (question, answer)) in [("first", "one"), ("second", "two"), ("third", "three")]
        .into_iter()
        .enumerate()
    {
        if n > 0 {
            history.push(ResponseItem::user_text(question));
        }
        let s = env.start(&with_input(history.clone())).await;
        assert_eq!(s.transport(), Transport::WebSocket);
        assert_eq!(s.incremental(), n > 0, "turn {n}");
        let out = s.collect_text().await.unwrap();
        assert_eq!(out.text, answer);
        assert_eq!(out.transport, Transport::WebSocket);
        assert_eq!(out.incremental, n > 0);
        ids.push(out.response_id.clone().unwrap());
        history.extend(out.items);
    }
    // One upgrade, carrying the WebSocket beta header and the conversation headers.
    let upgrades = env.mock.websocket_upgrades();
    assert_eq!(upgrades.len(), 1);
    let up = &upgrades[0];
    assert_eq!(
        up.header("openai-beta"),
        Some("responses_websockets=2026-02-06")
    );
    assert_eq!(up.header("session-id"), Some(CONVERSATION));
    assert_eq!(up.header("thread-id"), Some(CONVERSATION));
    assert_eq!(up.header("x-client-request-id"), Some(CONVERSATION));
    assert!(up.header("authorization").unwrap().starts_with("Bearer "));
    assert!(up.header("chatgpt-account-id").is_some());
    assert!(up.header("originator").is_some());
    assert!(up.header("version").is_some());
    let frames = creates(&env);
    assert_eq!(frames.len(), 3);
    // Turn 1: the whole request.
    assert!(frames[0].get("previous_response_id").is_none());
    assert_eq!(frames[0]["input"].as_array().unwrap().len(), 1);
    assert_eq!(frames[0]["prompt_cache_key"], CONVERSATION);
    // Turns 2 and 3: only the new user message, after the previous response.
    for n in 1..3 {
        assert_eq!(frames[n]["previous_response_id"], ids[n - 1].as_str());
        let input = frames[n]["input"].as_array().unwrap();
        assert_eq!(input.len(), 1, "turn {n}: {input:?}");
        assert_eq!(input[0]["role"], "user");
        assert_eq!(frames[n]["instructions"], "be brief");
        assert_eq!(frames[n]["model"], "gpt-5.4");
    }
    // Every handled response was confirmed.
    let confirmed: Vec<_> = processed(&env)
        .iter()
        .map(|p| p["response_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(confirmed.len() >= 2, "{confirmed:?}");
    assert_eq!(confirmed[..2], ids[..2]);
}

#[tokio::test]
async fn a_tool_loop_uploads_only_the_tool_outputs() {
    let env = ws_env().await;
    env.mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
    ]));
    env.mock.push_response(Reply::text("sunny"));
    let mut history = vec![ResponseItem::user_text("weather?")];
    let out = env.turn(&with_input(history.clone())).await;
    let call = out
        .items
        .iter()
        .find_map(|i| match i {
            ResponseItem::FunctionCall(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    history.extend(out.items);
    history.push(call.output("18C, sunny"));
    let out = env.turn(&with_input(history)).await;
    assert_eq!(out.text, "sunny");
    assert!(out.incremental);
    let frames = creates(&env);
    let input = frames[1]["input"].as_array().unwrap();
    assert_eq!(input.len(), 1);
    assert_eq!(input[0]["type"], "function_call_output");
    assert_eq!(input[0]["call_id"], "call_1");
}

#[tokio::test]
async fn an_edited_history_or_changed_options_send_the_full_request() {
    let env = ws_env().await;
    for t in ["one", "two", "three"] {
        env.mock.push_response(Reply::text(t));
    }
    let first = with_input(vec![ResponseItem::user_text("first")]);
    let out = env.turn(&first).await;
    // Edited history: the first message changed.
    let mut edited = vec![ResponseItem::user_text("FIRST (edited)")];
    edited.extend(out.items.clone());
    edited.push(ResponseItem::user_text("second"));
    let s = env.start(&with_input(edited)).await;
    assert!(!s.incremental());
    let out2 = s.collect_text().await.unwrap();
    // Changed instructions with an extending history: full as well.
    let mut history = vec![ResponseItem::user_text("FIRST (edited)")];
    history.extend(out.items);
    history.push(ResponseItem::user_text("second"));
    history.extend(out2.items);
    history.push(ResponseItem::user_text("third"));
    let changed = ResponsesRequest::builder("gpt-5.4")
        .instructions("be verbose")
        .input(history)
        .build()
        .unwrap();
    let s = env.start(&changed).await;
    assert!(!s.incremental());
    s.collect_text().await.unwrap();
    let frames = creates(&env);
    assert_eq!(frames.len(), 3);
    for f in &frames {
        assert!(f.get("previous_response_id").is_none(), "{f}");
    }
    assert_eq!(frames[1]["input"].as_array().unwrap().len(), 3);
    assert_eq!(frames[2]["input"].as_array().unwrap().len(), 5);
    // Still one connection.
    assert_eq!(env.mock.websocket_upgrades().len(), 1);
}

#[tokio::test]
async fn previous_response_not_found_resends_the_full_request_once() {
    let env = ws_env().await;
    let history = first_turn_then_extend(&env).await;
    env.mock.forget_websocket_responses();
    let out = env.turn(&with_input(history)).await;
    assert_eq!(out.text, "two");
    assert!(!out.incremental);
    let frames = creates(&env);
    assert_eq!(frames.len(), 3);
    assert!(frames[1].get("previous_response_id").is_some());
    assert!(frames[2].get("previous_response_id").is_none());
    assert_eq!(frames[2]["input"].as_array().unwrap().len(), 3);
    assert_eq!(env.mock.websocket_upgrades().len(), 1);
}

#[tokio::test]
async fn the_connection_limit_opens_a_new_connection_with_the_full_request() {
    let env = ws_env().await;
    env.mock.set_websocket_connection_limit(Some(1));
    let history = first_turn_then_extend(&env).await;
    let out = env.turn(&with_input(history)).await;
    assert_eq!(out.text, "two");
    assert_eq!(out.transport, Transport::WebSocket);
    assert!(!out.incremental);
    assert_eq!(env.mock.websocket_upgrades().len(), 2);
    let frames = creates(&env);
    assert_eq!(frames.len(), 3);
    assert!(frames[2].get("previous_response_id").is_none());
}

#[tokio::test]
async fn upgrade_required_switches_the_client_to_sse_for_good() {
    let env = auto_env().await;
    env.mock.set_websocket(WebSocketMode::UpgradeRequired);
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    for want in ["one", "two"] {
        let s = env.start(&common::request("q")).await;
        assert_eq!(s.transport(), Transport::Sse);
        assert_eq!(s.collect_text().await.unwrap().text, want);
    }
    // Even once the server would accept again, this client stays on SSE.
    env.mock.set_websocket(WebSocketMode::Accept);
    env.mock.push_response(Reply::text("three"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.transport, Transport::Sse);
    assert_eq!(env.mock.websocket_upgrades().len(), 1);
    let posts = env
        .mock
        .requests_to("/backend-api/codex/responses")
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 3);
}

#[tokio::test]
async fn a_refused_upgrade_falls_back_for_that_turn_only() {
    falls_back_for_that_turn_only(WebSocketMode::Refuse).await;
}

#[tokio::test]
async fn a_503_upgrade_falls_back_for_that_turn_only() {
    falls_back_for_that_turn_only(WebSocketMode::Unavailable).await;
}

/// Under `Auto`, an upgrade answered as `mode` says (not a 426) gives SSE for that turn; the
/// next turn tries the upgrade again and rides it once it is accepted.
async fn falls_back_for_that_turn_only(mode: WebSocketMode) {
    let env = auto_env().await;
    env.mock.set_websocket(mode);
    env.mock.push_response(Reply::text("one"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.transport, Transport::Sse);
    assert_eq!(out.text, "one");
    env.mock.set_websocket(WebSocketMode::Accept);
    env.mock.push_response(Reply::text("two"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.transport, Transport::WebSocket);
    assert_eq!(out.text, "two");
    assert_eq!(env.mock.websocket_upgrades().len(), 2);
}

#[tokio::test]
async fn websocket_only_surfaces_a_refused_upgrade() {
    let env = ws_env().await;
    env.mock.set_websocket(WebSocketMode::Refuse);
    let err = env.refused(&common::request("q")).await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(env.mock.requests().iter().all(|r| r.method != "POST"));
}

#[tokio::test]
async fn a_401_on_the_upgrade_refreshes_once() {
    let env = ws_env().await;
    env.mock
        .issuer()
        .revoke_access_token(&env.tokens.access_token);
    env.mock.push_response(Reply::text("welcome back"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, "welcome back");
    assert_eq!(env.mock.issuer().refresh_count(), 1);
    let ups = env.mock.websocket_upgrades();
    assert_eq!(ups.len(), 2);
    assert_ne!(
        ups[0].header("authorization"),
        ups[1].header("authorization")
    );
}

#[tokio::test]
async fn wrapped_errors_map_like_http_errors() {
    let env = ws_env().await;
    env.mock.push_response(
        Reply::usage_limit("plus", 1_767_225_600).retry_after(Duration::from_secs(1)),
    );
    let err = env.refused(&common::request("q")).await;
    assert_eq!(err.kind(), ErrorKind::UsageLimitReached);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.plan_type(), Some("plus"));
    assert_eq!(
        err.resets_at(),
        Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    );
    assert!(!err.is_retryable());
    // A 5xx is retried by the one retry policy, on the same connection.
    env.mock
        .push_response(Reply::status(500, serde_json::json!({"detail": "oops"})));
    env.mock.push_response(Reply::text("recovered"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, "recovered");
    assert_eq!(creates(&env).len(), 3);
}

#[tokio::test]
async fn a_close_mid_response_keeps_the_partial_text() {
    let env = ws_env().await;
    env.mock.push_response(Reply::drop_mid_event());
    let s = env.start(&common::request("q")).await;
    let err = s.collect_text().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    let partial = err.partial_text().unwrap();
    assert!(!partial.is_empty());
    assert!(codex_mock::DEFAULT_TEXT.starts_with(partial), "{partial:?}");
    // The next turn works, on a new connection.
    env.mock.push_response(Reply::text("again"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, "again");
    assert_eq!(env.mock.websocket_upgrades().len(), 2);
}

#[tokio::test]
async fn abort_mid_response_then_the_next_turn_works() {
    let env = ws_env().await;
    env.mock
        .push_response(Reply::drip("slow answer here", Duration::from_millis(100)));
    let abort = AbortHandle::new();
    let opts = RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .abort_handle(abort.clone())
        .build();
    let mut s = env
        .client
        .responses()
        .stream(&common::request("q"), &opts)
        .await
        .unwrap();
    let first = s.next().await.unwrap();
    assert!(first.is_ok());
    abort.abort();
    let mut last = None;
    while let Some(item) = s.next().await {
        if let Err(e) = item {
            last = Some(e);
        }
    }
    assert_eq!(last.unwrap().kind(), ErrorKind::Aborted);
    drop(s);
    assert_eq!(env.client.active_requests(), 0);
    env.mock.push_response(Reply::text("next"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, "next");
    assert_eq!(out.transport, Transport::WebSocket);
}

/// The wait for the upgrade's answer is bounded by the connect timeout (protocol §6), not the
/// idle timeout (its SSE counterpart is `idle_timeout_bounds_the_wait_for_the_response_head`).
#[tokio::test]
async fn a_silent_upgrade_is_bounded_by_the_connect_timeout() {
    let (url, _server) = common::silent_server().await;
    let client = codex_client::Client::builder()
        .transport(Transport::WebSocket)
        .base_url(url)
        .proxy(None)
        .connect_timeout(Duration::from_millis(300))
        .idle_timeout(Duration::from_secs(30))
        .retry(codex_client::RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = common::refused(&client, &common::request("q")).await;
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn pings_reset_the_idle_timer() {
    // 8 pings 250 ms apart: 2 s without an event, twice the idle timeout.
    let env = ws_env_idle(Duration::from_secs(1)).await;
    env.mock
        .push_response(Reply::keep_alive(8, Duration::from_millis(250)));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
}

#[tokio::test]
async fn warm_up_sends_generate_false_and_the_turn_reuses_the_socket() {
    let env = ws_env().await;
    env.mock.push_response(Reply::text("hot"));
    let req = common::request("q");
    assert!(env.client.responses().warm_up(&req, &conv()).await.unwrap());
    let out = env.turn(&req).await;
    assert_eq!(out.text, "hot");
    let frames = creates(&env);
    assert_eq!(frames[0]["generate"], false);
    assert!(frames[1].get("generate").is_none());
    assert_eq!(env.mock.websocket_upgrades().len(), 1);
}

#[tokio::test]
async fn https_upgrade_with_the_test_ca() {
    let env = env_with(true, |b| b.transport(Transport::WebSocket)).await;
    env.mock.push_response(Reply::text("secure"));
    let out = env.turn(&common::request("q")).await;
    assert_eq!(out.text, "secure");
    assert_eq!(out.transport, Transport::WebSocket);
}
