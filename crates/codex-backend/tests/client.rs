//! Streaming, one-shot answers, request bodies (defaults and per-call overrides), abort,
//! models, usage, compaction and realtime calls, against codex-mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_backend::CallOptions;
use codex_backend::ContentPart;
use codex_backend::ErrorKind;
use codex_backend::FunctionTool;
use codex_backend::RealtimeSession;
use codex_backend::ReasoningEffort;
use codex_backend::ReasoningSummary;
use codex_backend::ResponseItem;
use codex_backend::ServiceTier;
use codex_backend::ToolChoice;
use codex_backend::Verbosity;
use codex_backend::WebSearch;
use codex_mock::Reply;
use codex_mock::Route;
use common::*;
use futures_util::StreamExt;
use serde_json::json;

#[tokio::test]
async fn respond_with_session_defaults_sends_the_expected_body() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("Hello there friend"));
    let r = client.respond("Say hi", CallOptions::new()).await.unwrap();
    assert_eq!(r.text, "Hello there friend");
    let usage = r.usage.unwrap();
    assert!(usage.total_tokens > 0);
    assert_eq!(r.items.len(), 1);
    assert!(r.request_id.is_some());
    let body = &responses_bodies(&mock)[0];
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["instructions"], "");
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["tools"], json!([]));
    assert_eq!(body["tool_choice"], "none");
    assert_eq!(body["parallel_tool_calls"], false);
    assert!(body.get("reasoning").is_none());
    assert!(body.get("text").is_none());
    assert!(body.get("service_tier").is_none());
    assert_eq!(
        body["input"],
        json!([{"type":"message","role":"user","content":[{"type":"input_text","text":"Say hi"}]}])
    );
}

fn session_builder(b: codex_backend::CodexClientBuilder) -> codex_backend::CodexClientBuilder {
    b.model("gpt-5.4-mini")
        .instructions("Be terse.")
        .reasoning_effort(ReasoningEffort::High)
        .reasoning_summary(ReasoningSummary::Auto)
        .verbosity(Verbosity::Low)
        .web_search(WebSearch::Cached)
        .service_tier(ServiceTier::parse("fast"))
        .parallel_tool_calls(true)
        .tool(FunctionTool::new(
            "lookup",
            "look a number up",
            json!({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}),
        ))
}

#[tokio::test]
async fn session_defaults_go_on_the_wire() {
    let (mock, _home, client) = setup_with(session_builder).await;
    client.respond("go", CallOptions::new()).await.unwrap();
    let body = &responses_bodies(&mock)[0];
    assert_eq!(body["model"], "gpt-5.4-mini");
    assert_eq!(body["instructions"], "Be terse.");
    assert_eq!(body["reasoning"], json!({"effort":"high","summary":"auto"}));
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["text"], json!({"verbosity":"low"}));
    assert_eq!(body["service_tier"], "priority");
    assert_eq!(body["parallel_tool_calls"], true);
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(body["tools"][0]["name"], "lookup");
    assert_eq!(
        body["tools"][1],
        json!({"type":"web_search","external_web_access":false})
    );
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
}

#[tokio::test]
async fn per_call_options_override_the_session() {
    let (mock, _home, client) = setup_with(session_builder).await;
    let opts = CallOptions::new()
        .model("gpt-5.4")
        .instructions("Be verbose.")
        .reasoning_effort(ReasoningEffort::Low)
        .reasoning_summary(ReasoningSummary::Detailed)
        .web_search(WebSearch::Live)
        .service_tier(ServiceTier::Flex)
        .parallel_tool_calls(false)
        .tools(vec![])
        .tool(FunctionTool::new("other", "x", json!({"type":"object"})))
        .tool_choice(ToolChoice::Required)
        .json_schema(
            "answer",
            json!({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}),
            true,
        )
        .prompt_cache_key("cache-1")
        .conversation_id("0f0f0f0f-0000-4000-8000-000000000001");
    client.respond("go", opts).await.unwrap();
    let req = &mock.requests_to("/backend-api/codex/responses")[0];
    let body = req.json().unwrap();
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["instructions"], "Be verbose.");
    assert_eq!(
        body["reasoning"],
        json!({"effort":"low","summary":"detailed"})
    );
    // A call's JSON schema wins over the session's verbosity (both on one call is refused).
    assert!(body["text"].get("verbosity").is_none());
    assert_eq!(body["text"]["format"]["type"], "json_schema");
    assert_eq!(body["text"]["format"]["name"], "answer");
    assert_eq!(body["text"]["format"]["strict"], true);
    assert_eq!(body["service_tier"], "flex");
    assert_eq!(body["parallel_tool_calls"], false);
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["tools"].as_array().unwrap().len(), 2);
    assert_eq!(body["tools"][0]["name"], "other");
    assert_eq!(
        body["tools"][1],
        json!({"type":"web_search","external_web_access":true})
    );
    assert_eq!(body["prompt_cache_key"], "cache-1");
    assert_eq!(
        req.header("session-id"),
        Some("0f0f0f0f-0000-4000-8000-000000000001")
    );

    // Turning things off per call.
    client
        .respond(
            "again",
            CallOptions::new()
                .web_search(WebSearch::Disabled)
                .include_encrypted_reasoning(false)
                .service_tier(ServiceTier::Default)
                .verbosity(Verbosity::High),
        )
        .await
        .unwrap();
    let body = &responses_bodies(&mock)[1];
    assert_eq!(body["text"]["verbosity"], "high");
    assert_eq!(body["tools"].as_array().unwrap().len(), 1);
    assert_eq!(body["include"], json!([]));
    assert!(body.get("service_tier").is_none());
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let (mock, _home, client) = setup().await;
    let err = client
        .respond(
            "x",
            CallOptions::new()
                .web_search(WebSearch::Live)
                .reasoning_effort(ReasoningEffort::Minimal),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let orphan =
        codex_backend::types::FunctionCall::new(codex_backend::types::CallId::new("c1"), "f", "{}")
            .output("x");
    let err = client
        .respond(orphan, CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(backend_requests(&mock).is_empty());
}

#[tokio::test]
async fn stream_yields_typed_events_and_images_are_sent() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("A red square"));
    let input = vec![
        ContentPart::input_text("What is this?"),
        ContentPart::image_url(codex_mock::TINY_PNG_DATA_URL),
    ];
    let mut s = client.stream(input, CallOptions::new()).await.unwrap();
    let mut deltas = String::new();
    let mut completed = false;
    while let Some(ev) = s.next().await {
        match ev.unwrap() {
            codex_backend::Event::TextDelta(d) => deltas.push_str(&d),
            codex_backend::Event::Completed(_) => completed = true,
            _ => {}
        }
    }
    assert!(completed);
    assert_eq!(deltas, "A red square");
    let body = &responses_bodies(&mock)[0];
    assert_eq!(body["input"][0]["content"][1]["type"], "input_image");
    assert_eq!(
        body["input"][0]["content"][1]["image_url"],
        codex_mock::TINY_PNG_DATA_URL
    );
}

#[tokio::test]
async fn server_failures_are_typed_with_partial_text() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::incomplete("max_output_tokens"));
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Incomplete);
    assert_eq!(err.kind_str(), "incomplete");
    assert_eq!(err.partial_text(), Some("This answer was cut"));
    mock.push(Route::Responses, Reply::usage_limit("plus", 1_900_000_000));
    let err = client.respond("x", CallOptions::new()).await.unwrap_err();
    assert_eq!(err.kind_str(), "usage_limit_reached");
    assert_eq!(err.plan_type(), Some("plus"));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
}

#[tokio::test]
async fn abort_stops_active_streams_and_is_a_noop_otherwise() {
    let (mock, _home, client) = setup().await;
    client.abort(); // nothing running: no effect on later calls
    assert_eq!(client.active_requests(), 0);
    mock.push_response(Reply::drip(&"slow ".repeat(200), Duration::from_millis(20)));
    mock.push_response(Reply::drip(&"slow ".repeat(200), Duration::from_millis(20)));
    let s1 = client.stream("one", CallOptions::new()).await.unwrap();
    let s2 = client.stream("two", CallOptions::new()).await.unwrap();
    let consume = |mut s: codex_backend::EventStream| {
        tokio::spawn(async move {
            let mut seen = 0;
            while let Some(ev) = s.next().await {
                match ev {
                    Ok(_) => seen += 1,
                    Err(e) => return (seen, Some(e)),
                }
            }
            (seen, None)
        })
    };
    let (t1, t2) = (consume(s1), consume(s2));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(client.active_requests(), 2);
    client.abort();
    for t in [t1, t2] {
        let (seen, err) = tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .expect("abort did not stop the stream")
            .unwrap();
        let _ = seen;
        let err = err.expect("an aborted error");
        assert_eq!(err.kind_str(), "aborted");
    }
    // The client still works afterwards.
    assert_eq!(
        client.respond_text("hi").await.unwrap(),
        codex_mock::DEFAULT_TEXT
    );
}

#[tokio::test]
async fn per_call_abort_handle_stops_only_that_call() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::drip(&"slow ".repeat(200), Duration::from_millis(20)));
    let handle = codex_backend::AbortHandle::new();
    let c = client.clone();
    let h = handle.clone();
    let task =
        tokio::spawn(async move { c.respond("x", CallOptions::new().abort_handle(h)).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    handle.abort();
    let err = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind_str(), "aborted");
    // The text received before the abort (possibly empty on a loaded machine).
    let partial = err.partial_text().unwrap();
    assert!("slow ".repeat(200).starts_with(partial));
}

#[tokio::test]
async fn models_and_get_model() {
    let (mock, _home, client) = setup().await;
    let models = client.list_models().await.unwrap();
    assert!(models.iter().any(|m| m.slug == "gpt-5.4"));
    let m = client.get_model("gpt-5.4").await.unwrap();
    assert_eq!(m.context_window, Some(272000));
    assert_eq!(m.auto_compact_token_limit(), Some(244800));
    let err = client.get_model("no-such-model").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ModelNotFound);
    assert_eq!(err.kind_str(), "model_not_found");
    let q = mock.requests_to("/backend-api/codex/models");
    assert!(
        q[0].query
            .as_deref()
            .unwrap()
            .starts_with("client_version=")
    );
}

#[tokio::test]
async fn usage_payload() {
    let (_mock, _home, client) = setup().await;
    let u = client.usage().await.unwrap();
    let v = serde_json::to_value(&u).unwrap();
    assert_eq!(v["plan_type"], "plus");
    assert_eq!(
        v["rate_limit"]["primary_window"]["used_percent"].as_f64(),
        Some(42.0)
    );
}

#[tokio::test]
async fn legacy_compact_returns_the_replacement_history() {
    let (mock, _home, client) = setup_with(|b| b.instructions("sys")).await;
    let history = vec![
        ResponseItem::user_text("first"),
        ResponseItem::text_message(codex_backend::Role::Assistant, "answer"),
    ];
    let out = client
        .compact_with(
            history,
            codex_backend::CallOptions::new()
                .compaction_mode(codex_backend::CompactionMode::Legacy),
        )
        .await
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(matches!(out[0], ResponseItem::Message(_)));
    assert!(matches!(out[1], ResponseItem::Compaction(_)));
    let req = &mock.requests_to("/backend-api/codex/responses/compact")[0];
    let body = req.json().unwrap();
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["instructions"], "sys");
    assert_eq!(body["input"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn realtime_call_sends_sdp_and_default_session() {
    let (mock, _home, client) = setup().await;
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n";
    let call = client.create_realtime_call(offer, None).await.unwrap();
    assert!(call.call_id.starts_with("rtc_"));
    assert!(call.sdp_answer.starts_with("v=0"));
    let req = &mock.requests_to("/v1/realtime/calls")[0];
    let parts = req.multipart().unwrap();
    let sdp = parts.iter().find(|p| p.name == "sdp").unwrap();
    assert_eq!(sdp.data, offer.as_bytes());
    let session = parts.iter().find(|p| p.name == "session").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&session.data).unwrap();
    assert_eq!(v["model"], "gpt-realtime-1.5");
    let call = client
        .create_realtime_call(
            offer,
            Some(RealtimeSession::new("gpt-realtime").voice("cedar")),
        )
        .await
        .unwrap();
    assert!(call.call_id.starts_with("rtc_"));
    let only = client.create_realtime_call_sdp_only(offer).await.unwrap();
    assert!(only.call_id.starts_with("rtc_"));
    let reqs = mock.requests_to("/v1/realtime/calls");
    assert_eq!(reqs[2].header("content-type"), Some("application/sdp"));
}

#[tokio::test]
async fn structured_output_is_decoded() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Answer {
        city: String,
        population: u64,
    }
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::structured(
        json!({"city":"Paris","population":2100000}),
    ));
    let schema = json!({"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"}},"required":["city","population"],"additionalProperties":false});
    let a: Answer = client
        .respond_json(
            "Largest city of France?",
            "city_answer",
            schema.clone(),
            CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        a,
        Answer {
            city: "Paris".into(),
            population: 2_100_000
        }
    );
    assert_eq!(
        responses_bodies(&mock)[0]["text"]["format"]["schema"],
        schema
    );
    mock.push_response(Reply::text("not json"));
    let err = client
        .respond_json::<Answer>("x", "city_answer", schema, CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidOutput);
}

#[tokio::test]
async fn debug_output_has_no_secrets() {
    let (_mock, home, client) = setup().await;
    let saved = home.read_auth_json();
    let dbg = format!("{client:?} {:?}", client.conversation());
    for k in ["access_token", "refresh_token", "id_token"] {
        assert!(
            !dbg.contains(saved["tokens"][k].as_str().unwrap()),
            "{k} leaked"
        );
    }
}
