//! History: what a conversation keeps, replays and leaves alone on failure.

use crate::common::*;
use codex_backend::CallOptions;
use codex_backend::ResponseEvent;
use codex_backend::ResponseItem;
use codex_backend::ToolError;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use futures_util::StreamExt;
use serde_json::Value;
use serde_json::json;

use crate::types;

#[tokio::test]
async fn text_turns_accumulate_history_and_replay_it() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    mock.push_response(Reply::text("Hi Ada"));
    mock.push_response(Reply::text("Your name is Ada"));
    let r1 = conv.respond("My name is Ada").await.unwrap();
    assert_eq!(r1.text, "Hi Ada");
    assert_eq!(conv.history().len(), 2);
    let r2 = conv.respond("What is my name?").await.unwrap();
    assert_eq!(r2.text, "Your name is Ada");
    assert_eq!(conv.history().len(), 4);
    assert!(conv.last_usage().is_some());
    let bodies = responses_bodies(&mock);
    assert_eq!(
        types(&bodies[1]["input"]),
        ["message:user", "message:assistant", "message:user"]
    );
    // The assistant message is replayed exactly as the server sent it.
    assert_eq!(bodies[1]["input"][1]["id"], "msg_mock_text_0");
    assert_eq!(bodies[1]["input"][1]["content"][0]["type"], "output_text");
    assert_eq!(bodies[1]["input"][1]["content"][0]["text"], "Hi Ada");
    // One conversation id on every request and as the prompt cache key.
    let reqs = mock.requests_to("/backend-api/codex/responses");
    let id = conv.id().to_owned();
    assert_eq!(id.len(), 36);
    for r in &reqs {
        assert_eq!(r.header("session-id"), Some(id.as_str()));
        assert_eq!(r.json().unwrap()["prompt_cache_key"], id.as_str());
    }
    conv.reset();
    assert!(conv.history().is_empty());
}

#[tokio::test]
async fn reasoning_items_are_kept_verbatim_with_encrypted_content() {
    let (mock, _home, client) = setup_with(|b| {
        b.reasoning_effort(codex_backend::ReasoningEffort::Medium)
            .reasoning_summary(codex_backend::ReasoningSummary::Auto)
    })
    .await;
    let mut conv = client.conversation();
    mock.push_response(Reply::reasoning("Think first.\n\nThen answer.", "42"));
    let r = conv.respond("Meaning of life?").await.unwrap();
    assert_eq!(r.text, "42");
    let reasoning = r
        .items
        .iter()
        .find_map(|i| match i {
            ResponseItem::Reasoning(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reasoning.encrypted_content.is_some());
    assert!(!reasoning.summary_text().is_empty());
    conv.respond("And?").await.unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(
        types(&bodies[1]["input"]),
        [
            "message:user",
            "reasoning",
            "message:assistant",
            "message:user"
        ]
    );
    let sent = &bodies[1]["input"][1];
    assert_eq!(
        sent["encrypted_content"],
        reasoning.encrypted_content.unwrap().as_str()
    );
    assert_eq!(sent["id"], reasoning.id.unwrap().as_str());
}

#[tokio::test]
async fn failed_or_dropped_turns_leave_the_history_unchanged() {
    // Whole-turn retries off: each failure below ends the call (errors_and_retries.rs covers
    // the retries themselves).
    let (mock, _home, client) = setup_with(|b| {
        b.retry(
            codex_backend::RetryPolicy::builder()
                .stream_max_retries(0)
                .build(),
        )
    })
    .await;
    let mut conv = client.conversation();
    conv.respond("first").await.unwrap();
    assert_eq!(conv.history().len(), 2);
    mock.push_response(Reply::failed("server_error", "boom"));
    assert!(conv.respond("second").await.is_err());
    mock.push_response(Reply::truncated());
    let err = conv.respond("second").await.unwrap_err();
    assert_eq!(err.kind_str(), "stream_closed");
    assert_eq!(conv.history().len(), 2);
    // A stream dropped before completion commits nothing.
    {
        let mut turn = conv.send("second").await.unwrap();
        let _ = turn.next().await;
    }
    assert_eq!(conv.history().len(), 2);
    // A turn streamed to completion is committed as the completed event passes.
    mock.push_response(Reply::text("ok then"));
    let mut turn = conv.send("second").await.unwrap();
    let mut text = String::new();
    while let Some(ev) = turn.next().await {
        if let ResponseEvent::OutputTextDelta(d) = ev.unwrap() {
            text.push_str(&d.delta);
        }
    }
    assert!(turn.committed());
    drop(turn);
    assert_eq!(text, "ok then");
    assert_eq!(conv.history().len(), 4);
}

#[test]
fn clients_conversations_and_their_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<codex_backend::CodexClient>();
    send_sync::<codex_backend::Conversation>();
    send_sync::<codex_backend::Error>();
    send_sync::<codex_backend::CallOptions>();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let client = codex_backend::CodexClient::builder()
        .codex_home(std::env::temp_dir())
        .build()
        .unwrap();
    let mut conv = client.conversation();
    send(&client.respond("x", CallOptions::new()));
    send(&client.stream("x", CallOptions::new()));
    send(&conv.run("x"));
    send(&conv.run_with_events("x", |_| {}));
    send(&conv.respond("x"));
    send(&conv.send("x"));
    send(&conv.compact());
    send(&client.authenticate());
}

/// With `store: false` the backend cannot resolve a reasoning item without
/// `encrypted_content`: such an item is not committed to the history (protocol §11.9).
#[tokio::test]
async fn reasoning_items_without_encrypted_content_are_not_replayed() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    mock.push_response(Reply::reasoning("Think.", "42").without_encrypted_reasoning());
    let r = conv.respond("Meaning of life?").await.unwrap();
    // The caller still sees every item the server sent.
    assert!(
        r.items
            .iter()
            .any(|i| matches!(i, ResponseItem::Reasoning(_)))
    );
    assert!(
        !conv
            .history()
            .iter()
            .any(|i| matches!(i, ResponseItem::Reasoning(_)))
    );
    conv.respond("And?").await.unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(
        types(&bodies[1]["input"]),
        ["message:user", "message:assistant", "message:user"]
    );
    // The same through the tool loop of `run`.
    let mut conv = client.conversation();
    mock.push_response(Reply::reasoning("T.", "a").without_encrypted_reasoning());
    conv.run("q").await.unwrap();
    assert_eq!(
        conv.history()
            .iter()
            .filter(|i| matches!(i, ResponseItem::Reasoning(_)))
            .count(),
        0
    );
}

/// The `response.create` frames the mock received over WebSocket.
fn ws_creates(mock: &codex_mock::MockServer) -> Vec<Value> {
    mock.websocket_frames()
        .iter()
        .filter_map(|f| f.json())
        .filter(|v| v["type"] == "response.create")
        .collect()
}

#[tokio::test]
async fn over_websocket_a_conversation_and_its_tool_loop_send_only_new_items() {
    let (mock, _home, client) =
        setup_with(|b| b.transport(codex_backend::Transport::WebSocket)).await;
    let mut conv = client.conversation();
    conv.register_function(
        "lookup",
        "Looks a name up",
        json!({"type":"object","properties":{"q":{"type":"string"}}}),
        |_args: Value| async { Ok::<_, ToolError>("a mathematician".to_owned()) },
    );
    mock.push_response(Reply::text("Hi Ada"));
    let r1 = conv.respond("My name is Ada").await.unwrap();
    assert_eq!(r1.transport, codex_backend::Transport::WebSocket);
    assert!(!r1.incremental);
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("lookup")
            .call_id("call_1")
            .arguments(r#"{"q":"Ada"}"#),
    ]));
    mock.push_response(Reply::text("Ada Lovelace"));
    let r2 = conv.run("Who is Ada?").await.unwrap();
    assert_eq!(r2.text, "Ada Lovelace");
    assert!(r2.incremental);
    let frames = ws_creates(&mock);
    assert_eq!(frames.len(), 3);
    assert!(frames[0].get("previous_response_id").is_none());
    // Turn 2: the new user message only; turn 3 (the tool loop): the tool output only.
    assert_eq!(types(&frames[1]["input"]), ["message:user"]);
    assert!(frames[1]["previous_response_id"].is_string());
    assert_eq!(types(&frames[2]["input"]), ["function_call_output"]);
    assert!(frames[2]["previous_response_id"].is_string());
    assert_eq!(mock.websocket_upgrades().len(), 1);
}
