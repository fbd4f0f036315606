//! Issue 17: one error type for every facade API (streams included, flat kinds, predicates,
//! usage-limit message) and the seed-level events of `CodexClient::stream`, against
//! codex-mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_backend::CallOptions;
use codex_backend::ErrorKind;
use codex_backend::Event;
use codex_backend::ReasoningKind;
use codex_backend::ResponseEvent;
use codex_backend::ResponseItem;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_mock::Route;
use common::*;
use futures_util::StreamExt;
use serde::Deserialize;

async fn events(client: &codex_backend::CodexClient) -> Vec<Result<Event, codex_backend::Error>> {
    client
        .stream("x", CallOptions::new())
        .await
        .unwrap()
        .collect()
        .await
}

/// The one tool call of a turn.
async fn tool_call(client: &codex_backend::CodexClient) -> codex_backend::ToolCall {
    events(client)
        .await
        .into_iter()
        .find_map(|e| match e.unwrap() {
            Event::ToolCall(c) => Some(c),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn stream_errors_are_the_facade_error_with_predicates() {
    let (mock, _home, client) = setup().await;
    // A stream that closes early: the `Err` is `codex_backend::Error`, kind flat.
    mock.push(Route::Responses, Reply::truncated());
    let last = events(&client).await.pop().unwrap();
    let err: codex_backend::Error = last.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.partial_text(), Some("This stream ends early"));
    assert!(!err.is_aborted() && !err.is_rate_limited() && !err.is_usage_limit());

    // Aborted, through the same type.
    mock.push_response(Reply::drip(&"slow ".repeat(200), Duration::from_millis(20)));
    let mut s = client.stream("x", CallOptions::new()).await.unwrap();
    let _ = s.next().await;
    client.abort();
    let mut last = None;
    while let Some(ev) = s.next().await {
        last = Some(ev);
    }
    let err = last.unwrap().unwrap_err();
    assert!(err.is_aborted(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Aborted);

    // Rate limited, with the server's wait.
    mock.push(
        Route::Responses,
        Reply::status(
            429,
            serde_json::json!({"error": {"type": "rate_limit_exceeded"}}),
        )
        .retry_after(Duration::from_secs(7)),
    );
    let c2 = builder(&mock, &_home)
        .retry(codex_backend::RetryPolicy::none())
        .build()
        .unwrap();
    c2.authenticate().await.unwrap();
    let err = c2.stream("x", CallOptions::new()).await.unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
}

#[tokio::test]
async fn usage_limit_message_names_plan_and_reset_time() {
    let (mock, _home, client) = setup().await;
    mock.push(Route::Responses, Reply::usage_limit("plus", 1_900_000_000));
    let err = client.stream("x", CallOptions::new()).await.unwrap_err();
    assert!(err.is_usage_limit());
    assert!(!err.is_retryable());
    assert_eq!(err.plan_type(), Some("plus"));
    assert!(err.resets_at().is_some());
    let msg = err.to_string();
    assert!(msg.contains("plan plus"), "{msg}");
    assert!(msg.contains("resets at 2030-03-17T17:46:40Z"), "{msg}");
}

#[tokio::test]
async fn login_required_is_one_predicate() {
    let mock = codex_mock::MockServer::start().await.unwrap();
    let home = TempDir::new();
    let client = builder(&mock, &home).build().unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert!(err.is_login_required(), "{err:?}");
    let err = client.stream("x", CallOptions::new()).await.unwrap_err();
    assert!(err.is_login_required(), "{err:?}");
}

#[derive(Deserialize, codex_backend::JsonSchema, Debug, PartialEq)]
#[schemars(crate = "codex_backend::schemars")]
struct Weather {
    city: String,
}

#[tokio::test]
async fn seed_events_text_reasoning_tool_call_item_completed() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::reasoning("thinking hard", "the answer"));
    let evs: Vec<Event> = events(&client)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let text: String = evs
        .iter()
        .filter_map(|e| match e {
            Event::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "the answer");
    let summary: String = evs
        .iter()
        .filter_map(|e| match e {
            Event::ReasoningDelta {
                text,
                kind: ReasoningKind::Summary,
            } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(summary, "thinking hard");
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::OutputItem(ResponseItem::Reasoning(_))))
    );
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::OutputItem(ResponseItem::Message(_))))
    );
    // Nothing is lost: the other wire events come through as themselves.
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::Other(ResponseEvent::Created(_))))
    );
    let Some(Event::Completed(done)) = evs.last() else {
        panic!("last event is not Completed: {:?}", evs.last());
    };
    assert!(!done.response_id.is_empty());
    assert!(done.usage.is_some());

    // A function call is one ToolCall event with typed arguments.
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
    ]));
    let call = tool_call(&client).await;
    assert_eq!(call.name(), "get_weather");
    assert_eq!(call.call_id(), "call_1");
    let w: Weather = call.parsed_arguments().unwrap();
    assert_eq!(w.city, "Paris");
    assert!(matches!(
        call.as_history_item(),
        ResponseItem::FunctionCall(_)
    ));
    let out = call.to_tool_result("sunny");
    let ResponseItem::FunctionCallOutput(o) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(o.call_id, "call_1");
    let bad = call.parsed_arguments::<Vec<u8>>().unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidOutput);

    // A custom tool call answers with a custom tool output.
    mock.push_response(Reply::custom_tool_call(
        FunctionCallSpec::named("apply_patch")
            .call_id("call_2")
            .arguments("*** patch"),
    ));
    let call = tool_call(&client).await;
    assert_eq!(call.arguments(), "*** patch");
    assert!(matches!(
        call.to_tool_result("done"),
        ResponseItem::CustomToolCallOutput(_)
    ));

    // A local shell call too.
    mock.push_response(Reply::shell("ls"));
    let call = tool_call(&client).await;
    assert!(!call.call_id().is_empty());
    assert!(matches!(
        call.to_tool_result("file"),
        ResponseItem::FunctionCallOutput(_)
    ));
}

#[tokio::test]
async fn text_stream_and_wire_stream() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::reasoning("hmm", "just text"));
    let parts: Vec<String> = client
        .stream("x", CallOptions::new())
        .await
        .unwrap()
        .text_stream()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(parts.concat(), "just text");

    // The wire-level stream is one call away, with the same error type.
    mock.push(Route::Responses, Reply::truncated());
    let wire: Vec<Result<ResponseEvent, codex_backend::Error>> = client
        .stream("x", CallOptions::new())
        .await
        .unwrap()
        .into_wire()
        .collect()
        .await;
    assert!(
        wire.iter()
            .any(|e| matches!(e, Ok(ResponseEvent::OutputTextDelta(_))))
    );
    assert_eq!(
        wire.last().unwrap().as_ref().unwrap_err().kind(),
        ErrorKind::StreamClosed
    );
}

#[tokio::test]
async fn history_by_reference_and_no_new_input_after_tool_results() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
    ]));
    mock.push_response(Reply::text("It is sunny"));
    let mut history = vec![ResponseItem::user_text("weather in Paris?")];
    let call = tool_call_after(&client, &history).await;
    history.push(call.as_history_item().clone());
    history.push(call.to_tool_result("sunny"));
    // Borrowed history, no new user message (Python: `None`).
    let r = client
        .respond_after(&history, None, CallOptions::new())
        .await
        .unwrap();
    assert_eq!(r.text, "It is sunny");
    let bodies = responses_bodies(&mock);
    let input = bodies[1]["input"].as_array().unwrap();
    assert_eq!(input.len(), 3, "{input:?}");
    assert_eq!(input[1]["type"], "function_call");
    assert_eq!(input[2]["type"], "function_call_output");
    assert_eq!(input[2]["call_id"], "call_1");
    // The caller still owns its history.
    assert_eq!(history.len(), 3);
}

/// The one tool call of a turn sent after `history` with no new input.
async fn tool_call_after(
    client: &codex_backend::CodexClient,
    history: &[ResponseItem],
) -> codex_backend::ToolCall {
    let s = client
        .stream_after(history, codex_backend::Input::none(), CallOptions::new())
        .await
        .unwrap();
    let evs: Vec<_> = s.collect().await;
    evs.into_iter()
        .find_map(|e| match e.unwrap() {
            Event::ToolCall(c) => Some(c),
            _ => None,
        })
        .unwrap()
}

#[derive(Deserialize, codex_backend::JsonSchema, Debug, PartialEq)]
#[schemars(crate = "codex_backend::schemars")]
struct Forecast {
    city: String,
    high_c: i32,
    note: Option<String>,
}

#[tokio::test]
async fn typed_structured_output_and_typed_function_tool() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::structured(
        serde_json::json!({"city": "Paris", "high_c": 21, "note": null}),
    ));
    let f: Forecast = client
        .respond_typed("forecast?", CallOptions::new())
        .await
        .unwrap();
    assert_eq!(
        f,
        Forecast {
            city: "Paris".into(),
            high_c: 21,
            note: None
        }
    );
    let body = &responses_bodies(&mock)[0];
    let format = &body["text"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["name"], "Forecast");
    assert_eq!(format["strict"], true);
    assert_eq!(format["schema"]["additionalProperties"], false);
    assert_eq!(
        format["schema"]["required"],
        serde_json::json!(["city", "high_c", "note"])
    );

    // A function tool from the argument type.
    let tool = codex_backend::function_tool::<Weather>("get_weather", "Weather of a city");
    mock.push_response(Reply::text("ok"));
    client
        .respond("x", CallOptions::new().tools(vec![tool.into()]))
        .await
        .unwrap();
    let body = &responses_bodies(&mock)[1];
    let t = &body["tools"][0];
    assert_eq!(t["name"], "get_weather");
    assert_eq!(t["strict"], true);
    assert_eq!(t["parameters"]["additionalProperties"], false);
    assert_eq!(t["parameters"]["required"], serde_json::json!(["city"]));
}

/// A shared history goes into the request without a copy of its items, a retry-free
/// call releases it again, and a conversation extends its history in place.
#[tokio::test]
async fn shared_history_is_not_copied_per_call() {
    let (mock, _home, client) = setup().await;
    let history = codex_backend::History::from(vec![
        ResponseItem::user_text("first"),
        ResponseItem::user_text("second"),
    ]);
    let (req, _) = client
        .build_request(
            history.clone(),
            vec![ResponseItem::user_text("third")],
            &CallOptions::new(),
        )
        .unwrap();
    assert!(
        req.history().ptr_eq(&history),
        "the request shares the history"
    );
    assert_eq!(std::sync::Arc::strong_count(history.as_arc()), 2);
    drop(req);
    mock.push_response(Reply::text("ok"));
    let r = client
        .respond_after(history.clone(), "third", CallOptions::new())
        .await
        .unwrap();
    assert_eq!(r.text, "ok");
    // Nothing kept a clone after the call, and the wire body is the flat list.
    assert_eq!(std::sync::Arc::strong_count(history.as_arc()), 1);
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["input"].as_array().unwrap().len(), 3);
    // A conversation's turn shares its history and commits in place (same allocation).
    mock.push_response(Reply::text("one"));
    let mut conv = client.conversation();
    conv.set_history(history);
    let before = std::sync::Arc::as_ptr(conv.shared_history().as_arc());
    conv.respond("again").await.unwrap();
    let after = conv.shared_history();
    assert_eq!(std::sync::Arc::as_ptr(after.as_arc()), before);
    assert_eq!(after.len(), 4);
}
