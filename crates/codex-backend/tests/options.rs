//! Issue 17, the traps: per-call options that default when omitted, option combinations refused
//! before any request, and `include_encrypted_reasoning` (the old `include_reasoning`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_backend::CallOptions;
use codex_backend::ErrorKind;
use codex_backend::FunctionTool;
use codex_backend::ReasoningEffort;
use codex_backend::ToolChoice;
use codex_backend::Verbosity;
use codex_backend::WebSearch;
use codex_mock::Reply;
use common::*;
use futures_util::StreamExt;
use serde_json::json;

#[derive(Debug, serde::Deserialize, codex_backend::JsonSchema)]
struct Person {
    name: String,
    age: u32,
}

#[tokio::test]
async fn omitted_options_are_the_session_defaults() {
    let (mock, _home, client) =
        setup_with(|b| b.model("gpt-5.4-mini").instructions("Be terse.")).await;
    mock.push_response(Reply::text("one"));
    mock.push_response(Reply::text("two"));
    mock.push_response(Reply::text(r#"{"name":"Alice","age":30}"#));
    assert_eq!(client.respond("hi", None).await.unwrap().text, "one");
    let mut text = String::new();
    let mut stream = client.stream("hi", None).await.unwrap().text_stream();
    while let Some(t) = stream.next().await {
        text.push_str(&t.unwrap());
    }
    assert_eq!(text, "two");
    let p: Person = client.respond_typed("Alice is 30", None).await.unwrap();
    assert_eq!((p.name.as_str(), p.age), ("Alice", 30));
    for body in responses_bodies(&mock) {
        assert_eq!(body["model"], "gpt-5.4-mini");
        assert_eq!(body["instructions"], "Be terse.");
    }
    // Options given on a call still override the defaults, with or without `Some`.
    mock.push_response(Reply::text("three"));
    mock.push_response(Reply::text("four"));
    client
        .respond("hi", CallOptions::new().model("gpt-5.4"))
        .await
        .unwrap();
    client
        .respond("hi", Some(CallOptions::new().model("gpt-5.5")))
        .await
        .unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[3]["model"], "gpt-5.4");
    assert_eq!(bodies[4]["model"], "gpt-5.5");
}

#[tokio::test]
async fn verbosity_with_a_json_schema_is_refused_before_sending() {
    let (mock, _home, client) = setup().await;
    let schema = json!({"type":"object","properties":{},"additionalProperties":false});
    let both = CallOptions::new()
        .verbosity(Verbosity::Low)
        .json_schema("out", schema, true);
    let e = client.respond("x", both).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("verbosity"), "{e}");
    let e = client
        .respond_typed::<Person>("x", CallOptions::new().verbosity(Verbosity::High))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = client
        .stream(
            "x",
            CallOptions::new()
                .verbosity(Verbosity::High)
                .json_schema("out", json!({}), true),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(responses_bodies(&mock).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_call_schema_wins_over_the_session_verbosity() {
    let (mock, _home, client) = setup_with(|b| b.verbosity(Verbosity::Low)).await;
    mock.push_response(Reply::text(r#"{"name":"Bo","age":4}"#));
    mock.push_response(Reply::text("plain"));
    let p: Person = client.respond_typed("Bo is 4", None).await.unwrap();
    assert_eq!(p.age, 4);
    client.respond("plain", None).await.unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["text"]["format"]["name"], "Person");
    assert!(bodies[0]["text"].get("verbosity").is_none());
    assert_eq!(bodies[1]["text"]["verbosity"], "low");
}

#[tokio::test]
async fn tool_choice_and_web_search_combinations_are_refused_before_sending() {
    let (mock, _home, client) = setup().await;
    let e = client
        .respond("x", CallOptions::new().tool_choice(ToolChoice::Required))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let add = FunctionTool::new("add", "Adds", json!({"type":"object"}));
    let e = client
        .respond(
            "x",
            CallOptions::new()
                .tool(add.clone())
                .tool_choice(ToolChoice::Function("sub".into())),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("sub"), "{e}");
    let e = client
        .respond(
            "x",
            CallOptions::new()
                .web_search(WebSearch::Cached)
                .reasoning_effort(ReasoningEffort::Minimal),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(responses_bodies(&mock).is_empty(), "nothing was sent");
    // A named function that is among the tools is fine.
    mock.push_response(Reply::text("ok"));
    client
        .respond(
            "x",
            CallOptions::new()
                .tool(add)
                .tool_choice(ToolChoice::Function("add".into())),
        )
        .await
        .unwrap();
}

#[tokio::test]
#[allow(deprecated, reason = "the old name must keep working for one release")]
async fn include_encrypted_reasoning_and_its_old_name() {
    let (mock, _home, client) = setup().await;
    for _ in 0..3 {
        mock.push_response(Reply::text("ok"));
    }
    client.respond("a", None).await.unwrap();
    client
        .respond("b", CallOptions::new().include_encrypted_reasoning(false))
        .await
        .unwrap();
    client
        .respond("c", CallOptions::new().include_reasoning(false))
        .await
        .unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["include"], json!(["reasoning.encrypted_content"]));
    for b in &bodies[1..] {
        assert!(
            b.get("include")
                .is_none_or(|i| i.as_array().is_some_and(|a| a.is_empty())),
            "{b}"
        );
    }
}
