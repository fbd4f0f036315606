//! The mock over real loopback HTTP: each scenario sends what it claims (status, headers,
//! body bytes, pacing). Routing, validation and the non-streaming routes are in `routes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_mock::Route;
use common::post_responses;
use common::send;
use common::server;
use serde_json::json;
#[tokio::test]
async fn default_text_reply_and_headers() {
    let (s, t) = server().await;
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 200);
    assert!(r.complete);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    for h in [
        "x-request-id",
        "openai-model",
        "x-codex-turn-state",
        "x-codex-primary-used-percent",
        "x-codex-primary-window-minutes",
        "x-codex-primary-reset-at",
        "x-codex-secondary-used-percent",
        "x-codex-credits-has-credits",
    ] {
        assert!(r.header(h).is_some(), "missing {h}");
    }
    assert_eq!(r.header("openai-model"), Some("gpt-5.4"));
    assert_eq!(
        r.body,
        Reply::text(codex_mock::DEFAULT_TEXT)
            .sse_body_bytes()
            .unwrap()
    );
    let types = r.event_types();
    assert_eq!(types.first().unwrap(), "response.created");
    assert_eq!(types.last().unwrap(), "response.completed");
    let text: String = r
        .events()
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, codex_mock::DEFAULT_TEXT);
    assert!(
        r.events().last().unwrap()["response"]["usage"]["total_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn every_sse_constructor_is_served_byte_exact() {
    let (s, t) = server().await;
    let replies = vec![
        Reply::text("one two three"),
        Reply::tool_calls(vec![
            FunctionCallSpec::named("a")
                .call_id("call_1")
                .arguments("{}"),
            FunctionCallSpec::named("b")
                .call_id("call_2")
                .arguments(r#"{"x":1}"#),
        ]),
        Reply::custom_tool_call(
            FunctionCallSpec::named("apply_patch")
                .call_id("call_3")
                .arguments("*** Begin Patch\n*** End Patch"),
        ),
        Reply::reasoning("first\n\nsecond", "answer"),
        Reply::structured(json!({"answer": "42"})),
        Reply::failed("context_length_exceeded", "too long"),
        Reply::incomplete("max_output_tokens"),
        Reply::error_event("server_error", "boom"),
        Reply::truncated(),
        Reply::keep_alive(2, Duration::from_millis(5)),
        Reply::drip("abc", Duration::from_millis(1)),
        Reply::huge_event(3 * 1024 * 1024),
        Reply::rate_limits(),
        Reply::web_search("q", "a"),
    ];
    for reply in replies {
        let expected = reply.sse_body_bytes().unwrap();
        s.push_response(reply);
        let r = post_responses(&s.url(), &t).await;
        assert_eq!(r.status, 200);
        assert!(r.complete);
        assert_eq!(r.body, expected);
    }
}

#[tokio::test]
async fn scenario_shapes() {
    let (s, t) = server().await;
    s.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
        FunctionCallSpec::named("get_weather")
            .call_id("call_2")
            .arguments(r#"{"city":"Oslo"}"#),
    ]));
    let ev = post_responses(&s.url(), &t).await.events();
    let calls: Vec<_> = ev
        .iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .map(|e| e["item"].clone())
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["call_id"], "call_2");
    assert_eq!(calls[1]["arguments"], r#"{"city":"Oslo"}"#);
    assert_eq!(calls[1]["type"], "function_call");

    s.push_response(Reply::reasoning("part one\n\npart two", "done"));
    let ev = post_responses(&s.url(), &t).await.events();
    let deltas: Vec<_> = ev
        .iter()
        .filter(|e| e["type"] == "response.reasoning_summary_text.delta")
        .collect();
    assert!(deltas.iter().any(|e| e["summary_index"] == 1));
    let item = ev
        .iter()
        .find(|e| e["type"] == "response.output_item.done" && e["item"]["type"] == "reasoning")
        .unwrap();
    assert!(item["item"]["encrypted_content"].is_string());
    assert_eq!(item["item"]["summary"][1]["text"], "part two");

    s.push_response(Reply::failed(
        "rate_limit_exceeded",
        codex_mock::RATE_LIMIT_MESSAGE,
    ));
    let ev = post_responses(&s.url(), &t).await.events();
    let last = ev.last().unwrap();
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["error"]["code"], "rate_limit_exceeded");

    s.push_response(Reply::incomplete("content_filter"));
    let ev = post_responses(&s.url(), &t).await.events();
    assert_eq!(
        ev.last().unwrap()["response"]["incomplete_details"]["reason"],
        "content_filter"
    );

    s.push_response(Reply::truncated());
    let r = post_responses(&s.url(), &t).await;
    assert!(r.complete, "truncated ends the HTTP body cleanly");
    assert!(!r.event_types().iter().any(|t| t == "response.completed"));

    s.push_response(Reply::error_event("server_error", "boom"));
    let ev = post_responses(&s.url(), &t).await.events();
    assert_eq!(ev.last().unwrap()["type"], "error");
    assert_eq!(ev.last().unwrap()["error"]["code"], "server_error");
}

#[tokio::test]
async fn drop_mid_event_cuts_the_connection() {
    let (s, t) = server().await;
    s.push_response(Reply::drop_mid_event());
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 200);
    assert!(!r.complete, "no terminating chunk");
    let text = String::from_utf8_lossy(&r.body);
    assert!(!text.ends_with("\n\n"), "ends inside an event");
    assert!(text.contains("response.output_text.delta"));
    // The connection is still usable by the next request (server keeps serving).
    let r = post_responses(&s.url(), &t).await;
    assert!(r.complete);
}

#[tokio::test]
async fn stall_really_stalls_then_finishes() {
    let (s, t) = server().await;
    s.push_response(Reply::stall(Duration::from_millis(600)));
    let r = post_responses(&s.url(), &t).await;
    assert!(r.complete);
    let first = r.reads.first().unwrap().0;
    let last = r.reads.last().unwrap().0;
    assert!(last - first >= Duration::from_millis(500), "{:?}", r.reads);
    assert_eq!(r.event_types().last().unwrap(), "response.completed");
}

#[tokio::test]
async fn chunked_and_delayed_delivery() {
    let (s, t) = server().await;
    let bytes = Reply::text("a b").sse_body_bytes().unwrap();
    s.push_response(
        Reply::sse_bytes(bytes.clone())
            .chunked(7)
            .delay(Duration::from_millis(2)),
    );
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.body, bytes);
    // With a delay between 7-byte pieces the client sees many separate reads.
    assert!(r.reads.len() > 10, "{}", r.reads.len());
}

#[tokio::test]
async fn many_deltas_streams_lazily_and_completes() {
    let (s, t) = server().await;
    s.push_response(Reply::many_deltas(20_000));
    let r = post_responses(&s.url(), &t).await;
    assert!(r.complete);
    let ev = r.events();
    let n = ev
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .count();
    assert_eq!(n, 20_000);
    let done = ev
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap();
    assert_eq!(done["text"].as_str().unwrap().len(), 6 * 20_000);
    let seqs: Vec<u64> = ev
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    assert_eq!(ev.last().unwrap()["type"], "response.completed");
}

#[tokio::test]
async fn statuses_headers_and_missing_content_type() {
    let (s, t) = server().await;
    s.push_response(
        Reply::status(429, json!({"error": {"type": "rate_limit"}}))
            .retry_after(Duration::from_millis(1500)),
    );
    s.push_response(
        Reply::status(503, json!({"error": {"code": "server_is_overloaded"}}))
            .retry_after_ms(Duration::from_millis(250)),
    );
    s.push_response(Reply::usage_limit("pro", 1_767_229_200));
    s.push_response(Reply::text("x").without_content_type());
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after-ms"), Some("250"));
    assert_eq!(r.json()["error"]["code"], "server_is_overloaded");
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"]["type"], "usage_limit_reached");
    assert_eq!(r.json()["error"]["plan_type"], "pro");
    assert_eq!(r.json()["error"]["resets_at"], 1_767_229_200);
    assert_eq!(r.header("x-codex-primary-used-percent"), Some("100.0"));
    assert_eq!(r.header("x-codex-active-limit"), Some("codex"));
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").is_none());
}

#[tokio::test]
async fn unauthorized_once_then_ok() {
    let (s, t) = server().await;
    s.push_response(Reply::unauthorized_once());
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"detail": "Unauthorized"}));
    assert_eq!(post_responses(&s.url(), &t).await.status, 200);
}

#[tokio::test]
async fn replay_file_exactly() {
    let (s, t) = server().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/upstream/core-tests-cli_responses_fixture.sse");
    s.push_response(Reply::sse_file(&path).chunked(5));
    let r = post_responses(&s.url(), &t).await;
    assert_eq!(r.body, std::fs::read(&path).unwrap());
    s.push_response(Reply::sse_file("/nonexistent/codex-mock.sse"));
    assert_eq!(post_responses(&s.url(), &t).await.status, 500);
}

#[tokio::test]
async fn synthetic_sidecar_requests_are_valid_and_replay_their_fixture() {
    let (s, t) = server().await;
    let auth = format!("Bearer {t}");
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/synthetic");
    for (stem, _reply, _request) in codex_mock::synthetic_cases() {
        let sse = dir.join(format!("{stem}.synthetic.sse"));
        let req = std::fs::read(dir.join(format!("{stem}.synthetic.request.json"))).unwrap();
        s.push_response(Reply::sse_file(&sse));
        let r = send(&s.url(), "POST", "/backend-api/codex/responses", &h, &req).await;
        assert_eq!(r.status, 200, "{stem}: {}", r.text());
        assert_eq!(r.body, std::fs::read(&sse).unwrap(), "{stem}");
    }
}

#[tokio::test]
async fn respond_after_delays_the_headers_on_any_route() {
    let (s, t) = server().await;
    let auth = format!("Bearer {t}");
    let d = Duration::from_millis(300);
    s.push(Route::Usage, Reply::route_default().respond_after(d));
    s.push(Route::Token, Reply::json(json!({"x": 1})).respond_after(d));
    s.push_response(Reply::text("late").respond_after(d));
    let started = std::time::Instant::now();
    let r = send(
        &s.url(),
        "GET",
        "/backend-api/wham/usage",
        &[("Authorization", auth.as_str())],
        b"",
    )
    .await;
    assert!(r.reads[0].0 >= d && started.elapsed() >= d);
    assert_eq!(r.json()["plan_type"], "plus");
    let r = send(&s.url(), "POST", "/oauth/token", &[], b"").await;
    assert!(r.reads[0].0 >= d);
    assert_eq!(r.json()["x"], 1);
    let r = post_responses(&s.url(), &t).await;
    assert!(r.reads[0].0 >= d);
    assert!(r.text().contains("late"));
}

#[tokio::test]
async fn without_encrypted_reasoning_strips_only_that_field() {
    let full = Reply::reasoning("Think.", "42");
    let stripped = full.clone().without_encrypted_reasoning();
    let before = String::from_utf8(full.sse_body_bytes().unwrap()).unwrap();
    let after = String::from_utf8(stripped.sse_body_bytes().unwrap()).unwrap();
    assert!(before.contains("encrypted_content"));
    assert!(!after.contains("encrypted_content"));
    assert_eq!(before.lines().count(), after.lines().count());
    let (s, t) = server().await;
    s.push_response(stripped);
    let ev = post_responses(&s.url(), &t).await.events();
    let done = ev
        .iter()
        .find(|e| e["type"] == "response.output_item.done" && e["item"]["type"] == "reasoning")
        .unwrap();
    assert_eq!(done["item"]["summary"][0]["text"], "Think.");
    assert_eq!(ev.last().unwrap()["type"], "response.completed");
}
