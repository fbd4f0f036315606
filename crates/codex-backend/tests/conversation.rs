//! Conversation history, the tool loop and auto-compaction, against codex-mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codex_backend::CallOptions;
use codex_backend::ErrorKind;
use codex_backend::ResponseEvent;
use codex_backend::ResponseItem;
use codex_backend::ToolError;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use common::*;
use futures_util::StreamExt;
use serde_json::Value;
use serde_json::json;

fn types(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let t = i["type"].as_str().unwrap().to_owned();
            match i["role"].as_str() {
                Some(r) => format!("{t}:{r}"),
                None => t,
            }
        })
        .collect()
}

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
async fn tool_loop_runs_parallel_calls_and_sends_outputs_in_order() {
    let (mock, _home, client) = setup_with(|b| b.parallel_tool_calls(true)).await;
    let mut conv = client.conversation();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (r, p) = (running.clone(), peak.clone());
    conv.register_function(
        "add",
        "Adds two integers",
        json!({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}),
        move |args: Value| {
            let (r, p) = (r.clone(), p.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                let a = args["a"].as_i64().ok_or("a missing")?;
                let b = args["b"].as_i64().ok_or("b missing")?;
                Ok::<_, ToolError>((a + b).to_string())
            }
        },
    );
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("add")
            .call_id("call_1")
            .arguments(r#"{"a":1,"b":2}"#),
        FunctionCallSpec::named("add")
            .call_id("call_2")
            .arguments(r#"{"a":10,"b":20}"#),
        FunctionCallSpec::named("nope")
            .call_id("call_3")
            .arguments("{}"),
        FunctionCallSpec::named("add")
            .call_id("call_4")
            .arguments(r#"{"a":1}"#),
    ]));
    mock.push_response(Reply::text("The sums are 3 and 30"));
    let r = conv.run("Add 1+2 and 10+20").await.unwrap();
    assert_eq!(r.text, "The sums are 3 and 30");
    assert_eq!(peak.load(Ordering::SeqCst), 3, "the calls ran concurrently");
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["tools"][0]["name"], "add");
    assert_eq!(bodies[0]["parallel_tool_calls"], true);
    let input = &bodies[1]["input"];
    assert_eq!(
        types(input),
        [
            "message:user",
            "function_call",
            "function_call",
            "function_call",
            "function_call",
            "function_call_output",
            "function_call_output",
            "function_call_output",
            "function_call_output"
        ]
    );
    assert_eq!(
        input[5],
        json!({"type":"function_call_output","call_id":"call_1","output":"3"})
    );
    assert_eq!(input[6]["output"], "30");
    assert_eq!(input[7]["call_id"], "call_3");
    assert!(
        input[7]["output"]
            .as_str()
            .unwrap()
            .contains("unknown tool nope")
    );
    assert_eq!(input[8]["output"], "error: b missing");
    // The whole run is in the history, answer last.
    assert_eq!(conv.history().len(), 10);
    assert!(matches!(conv.history()[9], ResponseItem::Message(_)));
}

#[tokio::test]
async fn custom_tool_calls_get_custom_outputs() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.register_custom(
        "shout",
        "Upper-cases its input",
        |input: Value| async move {
            Ok::<_, ToolError>(input.as_str().unwrap_or_default().to_uppercase())
        },
    );
    mock.push_response(Reply::custom_tool_call("shout", "call_c1", "hello world"));
    mock.push_response(Reply::text("done"));
    conv.run("shout hello world").await.unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["tools"][0]["type"], "custom");
    let input = &bodies[1]["input"];
    assert_eq!(
        types(input),
        [
            "message:user",
            "custom_tool_call",
            "custom_tool_call_output"
        ]
    );
    assert_eq!(input[1]["input"], "hello world");
    assert_eq!(
        input[2],
        json!({"type":"custom_tool_call_output","call_id":"call_c1","output":"HELLO WORLD"})
    );
}

#[tokio::test]
async fn tool_loop_is_bounded_and_commits_nothing_on_failure() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation().max_tool_iterations(2);
    conv.register_function("again", "loops", json!({"type":"object"}), |_| async {
        Ok::<_, ToolError>("again")
    });
    for i in 0..3 {
        mock.push_response(Reply::tool_calls(vec![
            FunctionCallSpec::named("again")
                .call_id(format!("call_{i}"))
                .arguments("{}"),
        ]));
    }
    let err = conv.run("loop").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ToolLoopLimit);
    assert!(conv.history().is_empty());
    assert_eq!(responses_bodies(&mock).len(), 2);
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

#[tokio::test]
async fn aborted_run_commits_nothing() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    mock.push_response(Reply::drip(&"slow ".repeat(200), Duration::from_millis(20)));
    let c = client.clone();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.abort();
    });
    let err = conv.run("x").await.unwrap_err();
    stopper.await.unwrap();
    assert_eq!(err.kind_str(), "aborted");
    assert!(conv.history().is_empty());
}

#[tokio::test]
async fn auto_compaction_triggers_at_the_limit() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation().auto_compact_limit(40);
    conv.respond("first question").await.unwrap();
    // The mock reports total_tokens >= 42 for every text reply: over the limit.
    assert!(conv.estimated_tokens() >= 40);
    conv.respond("second question").await.unwrap();
    let kinds: Vec<(String, bool)> = backend_requests(&mock)
        .iter()
        .map(|r| (r.path.clone(), is_compaction_v2(r)))
        .collect();
    let turn = ("/backend-api/codex/responses".to_owned(), false);
    let v2 = ("/backend-api/codex/responses".to_owned(), true);
    assert_eq!(kinds, [turn.clone(), v2, turn]);
    let compact = compactions(&mock)[0].json().unwrap();
    assert_eq!(
        types(&compact["input"]),
        ["message:user", "message:assistant", "compaction_trigger"]
    );
    let second = &responses_bodies(&mock)[2];
    assert_eq!(
        types(&second["input"]),
        ["message:user", "compaction", "message:user"]
    );
    assert_eq!(conv.history().len(), 4);
}

#[tokio::test]
async fn auto_compaction_uses_the_model_limit_and_can_be_turned_off() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.respond("a").await.unwrap();
    conv.respond("b").await.unwrap();
    // Far below gpt-5.4's 244800-token limit: the catalog was read, nothing compacted.
    assert_eq!(mock.requests_to("/backend-api/codex/models").len(), 1);
    assert!(compactions(&mock).is_empty());

    let mut off = client
        .conversation()
        .auto_compact(false)
        .auto_compact_limit(1);
    off.respond("a").await.unwrap();
    off.respond("b").await.unwrap();
    assert!(compactions(&mock).is_empty());
    off.compact().await.unwrap();
    assert_eq!(compactions(&mock).len(), 1);
    assert!(matches!(
        off.history().last(),
        Some(ResponseItem::Compaction(_))
    ));
}

#[tokio::test]
async fn register_tool_rejects_tools_without_handlers() {
    let (_mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    let err = conv
        .register_tool(codex_backend::WebSearchTool::new(), |_| async {
            Ok::<_, ToolError>("x")
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tool);
    conv.register_tool(
        codex_backend::FunctionTool::new("f", "d", json!({"type":"object"})),
        |_| async { Ok::<_, ToolError>("x") },
    )
    .unwrap();
    assert_eq!(conv.tools().len(), 1);
    let _ = CallOptions::new();
}

#[tokio::test]
async fn context_window_exceeded_compacts_and_retries_once() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.respond("first").await.unwrap();
    mock.push_response(Reply::failed("context_length_exceeded", "too long"));
    // The compaction v2 request shares the /responses queue.
    mock.push_response(Reply::compaction("c1"));
    mock.push_response(Reply::text("fits now"));
    let r = conv.respond("second").await.unwrap();
    assert_eq!(r.text, "fits now");
    assert_eq!(compactions(&mock).len(), 1);
    let last = responses_bodies(&mock).pop().unwrap();
    assert_eq!(
        types(&last["input"]),
        ["message:user", "compaction", "message:user"]
    );
    // With run() too; and a second failure is returned, not retried again.
    mock.push_response(Reply::failed("context_length_exceeded", "too long"));
    mock.push_response(Reply::compaction("c2"));
    mock.push_response(Reply::failed("context_length_exceeded", "still too long"));
    let err = conv.run("third").await.unwrap_err();
    assert_eq!(err.kind_str(), "context_window_exceeded");
    assert_eq!(compactions(&mock).len(), 2);
    // Without auto-compaction the error is returned at once.
    let mut off = client.conversation().auto_compact(false);
    off.respond("x").await.unwrap();
    mock.push_response(Reply::failed("context_length_exceeded", "too long"));
    assert!(off.respond("y").await.is_err());
    assert_eq!(compactions(&mock).len(), 2);
}

#[tokio::test]
async fn run_with_events_streams_every_request_and_send_leaves_pending_calls() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.register_function("ping", "pong", json!({"type":"object"}), |_| async {
        Ok::<_, ToolError>("pong")
    });
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("ping")
            .call_id("p1")
            .arguments("{}"),
    ]));
    mock.push_response(Reply::text("got pong"));
    let mut kinds = Vec::new();
    let mut text = String::new();
    let r = conv
        .run_with_events("ping", |ev| {
            kinds.push(ev.kind().to_owned());
            if let ResponseEvent::OutputTextDelta(d) = ev {
                text.push_str(&d.delta);
            }
        })
        .await
        .unwrap();
    assert_eq!(r.text, "got pong");
    assert_eq!(text, "got pong");
    assert_eq!(
        kinds.iter().filter(|k| *k == "response.completed").count(),
        2
    );
    assert!(conv.pending_tool_calls().is_empty());

    // send() does not run tools: the call stays pending until answered.
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("ping")
            .call_id("p2")
            .arguments("{}"),
    ]));
    conv.respond("ping again").await.unwrap();
    let pending = conv.pending_tool_calls();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].call_id(), Some("p2"));
    let outputs = conv.run_tools(&pending).await;
    for o in outputs {
        conv.push(o);
    }
    assert!(conv.pending_tool_calls().is_empty());
    conv.respond("thanks").await.unwrap();
    let last = responses_bodies(&mock).pop().unwrap();
    let n = last["input"].as_array().unwrap().len();
    assert_eq!(last["input"][n - 2]["call_id"], "p2");
    assert_eq!(last["input"][n - 2]["output"], "pong");
}

#[tokio::test]
async fn tool_loop_echoes_the_turn_state_within_the_turn_only() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.register_function("ping", "pong", json!({"type":"object"}), |_| async {
        Ok::<_, ToolError>("pong")
    });
    mock.push_response(
        Reply::tool_calls(vec![
            FunctionCallSpec::named("ping")
                .call_id("p1")
                .arguments("{}"),
        ])
        .header("x-codex-turn-state", "ts-abc"),
    );
    mock.push_response(Reply::text("done"));
    conv.run("go").await.unwrap();
    conv.run("next turn").await.unwrap();
    let reqs = mock.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs[0].header("x-codex-turn-state"), None);
    assert_eq!(reqs[1].header("x-codex-turn-state"), Some("ts-abc"));
    assert_eq!(reqs[2].header("x-codex-turn-state"), None);
}

#[tokio::test]
async fn panicking_and_slow_tools_become_error_outputs() {
    let (mock, _home, client) = setup().await;
    let mut conv = client
        .conversation()
        .tool_timeout(Duration::from_millis(100));
    conv.register_function("boom", "panics", json!({"type":"object"}), |_| async {
        if true {
            panic!("tool bug");
        }
        Ok::<_, ToolError>("unreachable")
    });
    conv.register_function("slow", "sleeps", json!({"type":"object"}), |_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok::<_, ToolError>("late")
    });
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("boom")
            .call_id("b1")
            .arguments("{}"),
        FunctionCallSpec::named("slow")
            .call_id("s1")
            .arguments("{}"),
        FunctionCallSpec::named("boom")
            .call_id("b2")
            .arguments("not json"),
    ]));
    mock.push_response(Reply::text("recovered"));
    let r = tokio::time::timeout(Duration::from_secs(10), conv.run("go"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.text, "recovered");
    let input = responses_bodies(&mock)[1]["input"].clone();
    assert_eq!(input[4]["output"], "error: the tool failed unexpectedly");
    assert_eq!(input[5]["output"], "error: tool timed out");
    assert!(
        input[6]["output"]
            .as_str()
            .unwrap()
            .starts_with("error: the arguments are not valid JSON")
    );
}

#[tokio::test]
async fn unknown_model_does_not_refetch_the_catalog_every_turn() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.set_model("my-private-model");
    for q in ["a", "b", "c"] {
        conv.respond(q).await.unwrap();
    }
    assert_eq!(mock.requests_to("/backend-api/codex/models").len(), 1);
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

#[tokio::test]
async fn typed_tool_handlers_decode_their_arguments() {
    #[derive(serde::Deserialize)]
    struct Add {
        a: i64,
        b: i64,
    }
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.register_typed(
        "add",
        "adds",
        json!({"type":"object"}),
        |x: Add| async move { Ok::<_, ToolError>((x.a + x.b).to_string()) },
    );
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("add")
            .call_id("t1")
            .arguments(r#"{"a":2,"b":40}"#),
        FunctionCallSpec::named("add")
            .call_id("t2")
            .arguments(r#"{"a":"two"}"#),
    ]));
    mock.push_response(Reply::text("42"));
    conv.run("add").await.unwrap();
    let input = responses_bodies(&mock)[1]["input"].clone();
    assert_eq!(input[3]["output"], "42");
    assert!(
        input[4]["output"]
            .as_str()
            .unwrap()
            .starts_with("error: invalid arguments:")
    );
}

#[tokio::test]
async fn abort_stops_a_run_while_its_tools_run() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    conv.register_function("slow", "sleeps", json!({"type":"object"}), move |_| {
        let f = f.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            f.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ToolError>("late")
        }
    });
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("slow")
            .call_id("s1")
            .arguments("{}"),
    ]));
    let c = client.clone();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.abort();
    });
    let err = tokio::time::timeout(Duration::from_secs(3), conv.run("go"))
        .await
        .expect("abort did not stop the tool phase")
        .unwrap_err();
    stopper.await.unwrap();
    assert_eq!(err.kind_str(), "aborted");
    assert!(conv.history().is_empty());
    assert_eq!(
        responses_bodies(&mock).len(),
        1,
        "no further request after the abort"
    );
    // Well past the tool's 500 ms: it would have finished had it not been cancelled.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "the tool task was cancelled"
    );
    // An abort with nothing running does not affect the next run.
    client.abort();
    assert_eq!(
        conv.run("again").await.unwrap().text,
        codex_mock::DEFAULT_TEXT
    );
}

/// `reply` with every `encrypted_content` of reasoning items removed from its events.
fn without_encrypted_reasoning(reply: &Reply) -> Reply {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                if o.get("type").and_then(Value::as_str) == Some("reasoning") {
                    o.remove("encrypted_content");
                }
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let text = String::from_utf8(reply.sse_body_bytes().unwrap()).unwrap();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("data: ") {
            Some(d) => {
                let mut v: Value = serde_json::from_str(d.trim_end()).unwrap();
                strip(&mut v);
                out.push_str("data: ");
                out.push_str(&v.to_string());
                out.push('\n');
            }
            None => out.push_str(line),
        }
    }
    assert!(!out.contains("encrypted_content"));
    Reply::sse_bytes(out.into_bytes())
}

/// With `store: false` the backend cannot resolve a reasoning item without
/// `encrypted_content`: such an item is not committed to the history (protocol §11.9).
#[tokio::test]
async fn reasoning_items_without_encrypted_content_are_not_replayed() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    mock.push_response(without_encrypted_reasoning(&Reply::reasoning(
        "Think.", "42",
    )));
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
    mock.push_response(without_encrypted_reasoning(&Reply::reasoning("T.", "a")));
    conv.run("q").await.unwrap();
    assert_eq!(
        conv.history()
            .iter()
            .filter(|i| matches!(i, ResponseItem::Reasoning(_)))
            .count(),
        0
    );
}

/// Images count a fixed cost in the auto-compaction estimate, not their base64 bytes.
#[tokio::test]
async fn images_do_not_count_their_bytes_in_the_compaction_estimate() {
    use codex_backend::types::ContentPart;
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation().auto_compact_limit(5_000);
    let image = format!("data:image/png;base64,{}", "A".repeat(400_000));
    conv.push(ResponseItem::user_parts(vec![
        ContentPart::input_text("What is in this picture?"),
        ContentPart::image_url(image),
    ]));
    let est = conv.estimated_tokens();
    assert!((1_000..2_000).contains(&est), "{est}");
    conv.respond("Describe it.").await.unwrap();
    conv.respond("More detail.").await.unwrap();
    assert!(
        compactions(&mock).is_empty(),
        "an image alone must not trigger a compaction"
    );
    // Text still counts by size: a big text history does compact.
    let mut conv = client.conversation().auto_compact_limit(5_000);
    conv.push(ResponseItem::user_text("word ".repeat(8_000)));
    assert!(conv.estimated_tokens() >= 5_000);
    conv.respond("Summarize.").await.unwrap();
    assert_eq!(compactions(&mock).len(), 1);
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
