//! Request identity as the official client 0.171 sends it (issue 14, protocol §14.2), against
//! codex-mock over loopback: routing hint, window id, turn metadata (header and
//! `client_metadata`), installation id, UUIDv7 ids, turn state within a turn, and the
//! window number after compaction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Input;
use codex_backend::ReasoningEffort;
use codex_backend::ResponseItem;
use codex_backend::ServiceTier;
use codex_mock::FunctionCallSpec;
use codex_mock::MockServer;
use codex_mock::RecordedRequest;
use codex_mock::Reply;
use common::*;
use serde_json::Value;

fn is_uuid_v7(s: &str) -> bool {
    s.len() == 36 && &s[14..15] == "7" && matches!(&s[19..20], "8" | "9" | "a" | "b")
}

/// The turn metadata header, parsed; also checks that `client_metadata` carries the very
/// same string.
fn metadata(r: &RecordedRequest) -> Value {
    let raw = r
        .header("x-codex-turn-metadata")
        .expect("turn metadata header");
    if r.path.ends_with("/responses") {
        let body = r.json().unwrap();
        assert_eq!(body["client_metadata"]["x-codex-turn-metadata"], raw);
        assert_eq!(
            body["client_metadata"]["x-codex-window-id"],
            r.header("x-codex-window-id").unwrap()
        );
    }
    serde_json::from_str(raw).unwrap()
}

fn responses(mock: &MockServer) -> Vec<RecordedRequest> {
    mock.requests_to("/backend-api/codex/responses")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn a_plain_turn_carries_every_identity_field() {
    let (mock, home, client) = setup().await;
    let installation = std::fs::read_to_string(home.path().join("installation_id")).unwrap();
    assert!(
        installation.len() == 36,
        "created as codex-rs does: {installation:?}"
    );
    let mut conv = client.conversation().with_options(
        CallOptions::new()
            .reasoning_effort(ReasoningEffort::Ultra)
            .service_tier(ServiceTier::Priority),
    );
    assert!(is_uuid_v7(conv.id()), "{}", conv.id());
    let before = now_ms();
    mock.push_response(Reply::text("hi"));
    conv.respond("hello").await.unwrap();
    let r = &responses(&mock)[0];
    let id = conv.id().to_owned();
    assert_eq!(r.header("version"), Some("0.171.0"));
    assert_eq!(
        r.header("x-codex-routing-hint"),
        Some("model=gpt-5.4;tier=priority")
    );
    assert_eq!(
        r.header("x-codex-window-id"),
        Some(format!("{id}:0").as_str())
    );
    assert_eq!(r.header("session-id"), Some(id.as_str()));
    assert_eq!(r.header("thread-id"), Some(id.as_str()));
    assert_eq!(r.header("x-codex-turn-state"), None);
    let m = metadata(r);
    assert_eq!(m["installation_id"], installation.as_str());
    assert_eq!(m["session_id"], id.as_str());
    assert_eq!(m["thread_id"], id.as_str());
    assert!(is_uuid_v7(m["turn_id"].as_str().unwrap()));
    assert_eq!(Some(m["turn_id"].as_str().unwrap()), conv.turn_id());
    assert_eq!(m["window_id"], format!("{id}:0"));
    assert_eq!(m["window_number"], 0);
    assert_eq!(m["request_kind"], "turn");
    assert_eq!(m["model"], "gpt-5.4");
    // codex-rs never puts `ultra` on the wire: it sends `max`.
    assert_eq!(m["reasoning_effort"], "max");
    let started = m["turn_started_at_unix_ms"].as_u64().unwrap();
    assert!(started >= before && started <= now_ms(), "{started}");
    let body = r.json().unwrap();
    assert_eq!(body["reasoning"]["effort"], "max");
    assert_eq!(body["prompt_cache_key"], id.as_str());
    assert_eq!(
        body["client_metadata"]["x-codex-installation-id"],
        installation.as_str()
    );
}

#[tokio::test]
async fn the_installation_id_of_the_official_client_is_read_and_never_rewritten() {
    let (mock, home) = logged_in_home().await;
    let official = "0F7C2D3E-1111-4222-8333-444455556666";
    std::fs::write(home.path().join("installation_id"), official).unwrap();
    let client = builder(&mock, &home).build().unwrap();
    client.authenticate().await.unwrap();
    mock.push_response(Reply::text("hi"));
    client.respond_text("hello").await.unwrap();
    let r = &responses(&mock)[0];
    let m = metadata(r);
    assert_eq!(m["installation_id"], official.to_ascii_lowercase());
    assert_eq!(
        std::fs::read_to_string(home.path().join("installation_id")).unwrap(),
        official
    );
    // Calls outside a conversation form the client's own thread: a UUIDv7, also the prompt
    // cache key.
    let thread = r.header("thread-id").unwrap();
    assert!(is_uuid_v7(thread));
    assert_eq!(r.json().unwrap()["prompt_cache_key"], thread);
    assert_eq!(r.header("x-codex-routing-hint"), Some("model=gpt-5.4"));
    assert_eq!(m["reasoning_effort"], Value::Null);
}

async fn weather_conversation(client: &CodexClient) -> codex_backend::Conversation {
    let mut conv = client.conversation();
    conv.register_function(
        "get_weather",
        "Current weather for a city",
        serde_json::json!({"type":"object","properties":{"city":{"type":"string"}}}),
        |_args| async { Ok::<_, codex_backend::ToolError>("sunny") },
    );
    conv
}

#[tokio::test]
async fn run_keeps_the_turn_id_and_echoes_the_turn_state_and_a_new_turn_drops_them() {
    let (mock, _home, client) = setup().await;
    let mut conv = weather_conversation(&client).await;
    let call = || {
        Reply::tool_calls(vec![
            FunctionCallSpec::named("get_weather")
                .call_id("call_1")
                .arguments(r#"{"city":"Paris"}"#),
        ])
    };
    mock.push_response(call());
    mock.push_response(Reply::text("It is sunny"));
    mock.push_response(call());
    mock.push_response(Reply::text("Still sunny"));
    conv.run("Weather in Paris?").await.unwrap();
    conv.run("And now?").await.unwrap();
    let reqs = responses(&mock);
    assert_eq!(reqs.len(), 4);
    let m: Vec<Value> = reqs.iter().map(metadata).collect();
    // The follow-up belongs to the same turn and echoes the first response's turn state.
    assert_eq!(m[0]["turn_id"], m[1]["turn_id"]);
    assert_eq!(reqs[0].header("x-codex-turn-state"), None);
    let ts = reqs[1].header("x-codex-turn-state").unwrap();
    assert!(ts.starts_with("ts_mock_"), "{ts}");
    // A new user turn: a new turn id, no turn state until its first response.
    assert_ne!(m[2]["turn_id"], m[0]["turn_id"]);
    assert_eq!(reqs[2].header("x-codex-turn-state"), None);
    assert_eq!(m[2]["turn_id"], m[3]["turn_id"]);
    assert_ne!(reqs[3].header("x-codex-turn-state"), Some(ts));
    assert!(reqs[3].header("x-codex-turn-state").is_some());
    for r in &reqs {
        assert_eq!(r.header("x-codex-routing-hint"), Some("model=gpt-5.4"));
    }
}

#[tokio::test]
async fn send_follow_ups_echo_the_turn_state_too() {
    let (mock, _home, client) = setup().await;
    let mut conv = weather_conversation(&client).await;
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
    ]));
    mock.push_response(Reply::text("It is sunny"));
    mock.push_response(Reply::text("Bye"));
    conv.send("Weather in Paris?")
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    let pending = conv.pending_tool_calls();
    let outputs = conv.run_tools(&pending).await;
    // The tool outputs answer the pending calls: the same turn.
    conv.respond(Input::items(outputs)).await.unwrap();
    conv.respond("Thanks").await.unwrap();
    let reqs = responses(&mock);
    let m: Vec<Value> = reqs.iter().map(metadata).collect();
    assert_eq!(m[0]["turn_id"], m[1]["turn_id"]);
    assert!(
        reqs[1]
            .header("x-codex-turn-state")
            .is_some_and(|t| t.starts_with("ts_mock_"))
    );
    assert_ne!(m[2]["turn_id"], m[1]["turn_id"]);
    assert_eq!(reqs[2].header("x-codex-turn-state"), None);
}

#[tokio::test]
async fn one_shot_calls_can_carry_a_turn_by_hand() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("one"));
    mock.push_response(Reply::text("two"));
    let opts = CallOptions::new().conversation_id(codex_backend::client::new_uuid_v7());
    let first = client.respond("hi", opts.clone()).await.unwrap();
    let turn_state = first.turn_state.clone().unwrap();
    let turn = metadata(&responses(&mock)[0])["turn_id"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .respond(
            Input::items(vec![ResponseItem::user_text("more")]),
            opts.turn_id(&turn).turn_state(&turn_state),
        )
        .await
        .unwrap();
    let r = &responses(&mock)[1];
    assert_eq!(metadata(r)["turn_id"], turn.as_str());
    assert_eq!(r.header("x-codex-turn-state"), Some(turn_state.as_str()));
}

#[tokio::test]
async fn compaction_says_so_and_the_window_number_goes_up_after_it() {
    let (mock, home, client) = setup().await;
    let installation = std::fs::read_to_string(home.path().join("installation_id")).unwrap();
    let mut conv = client.conversation();
    mock.push_response(Reply::text("one"));
    mock.push_response(Reply::compaction("c"));
    mock.push_response(Reply::text("two"));
    conv.respond("first").await.unwrap();
    assert_eq!(conv.window_number(), 0);
    conv.compact().await.unwrap();
    assert_eq!(conv.window_number(), 1);
    conv.respond("second").await.unwrap();
    let id = conv.id().to_owned();
    let compact = &compactions(&mock)[0];
    assert_eq!(
        compact.header("x-codex-window-id"),
        Some(format!("{id}:0").as_str())
    );
    assert_eq!(
        compact.header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );
    let m = metadata(compact);
    assert_eq!(m["request_kind"], "compaction");
    assert_eq!(m["window_number"], 0);
    assert_eq!(m["installation_id"], installation.as_str());
    let after = responses(&mock)
        .into_iter()
        .rfind(|r| !is_compaction_v2(r))
        .unwrap();
    assert_eq!(
        after.header("x-codex-window-id"),
        Some(format!("{id}:1").as_str())
    );
    let m = metadata(&after);
    assert_eq!(m["request_kind"], "turn");
    assert_eq!(m["window_number"], 1);
    assert_eq!(m["window_id"], format!("{id}:1"));
    // Turns never carry the compaction beta feature.
    assert_eq!(after.header("x-codex-beta-features"), None);
}

#[tokio::test]
async fn legacy_compaction_carries_the_installation_id_header() {
    let (mock, home, client) = setup().await;
    let installation = std::fs::read_to_string(home.path().join("installation_id")).unwrap();
    let thread = codex_backend::client::new_uuid_v7();
    client
        .compact_with(
            vec![ResponseItem::user_text("hi")],
            CallOptions::new()
                .conversation_id(&thread)
                .window_number(3)
                .compaction_mode(codex_backend::CompactionMode::Legacy),
        )
        .await
        .unwrap();
    let r = &mock.requests_to("/backend-api/codex/responses/compact")[0];
    assert_eq!(
        r.header("x-codex-installation-id"),
        Some(installation.as_str())
    );
    assert_eq!(
        r.header("x-codex-window-id"),
        Some(format!("{thread}:3").as_str())
    );
    assert_eq!(metadata(r)["request_kind"], "compaction");
    assert_eq!(r.header("x-codex-routing-hint"), Some("model=gpt-5.4"));
}
