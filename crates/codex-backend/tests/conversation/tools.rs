//! The tool loop: running, bounding, aborting and streaming tool calls.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::common::*;
use codex_backend::CallOptions;
use codex_backend::ErrorKind;
use codex_backend::ResponseEvent;
use codex_backend::ResponseItem;
use codex_backend::ToolError;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use serde_json::Value;
use serde_json::json;

use crate::types;

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
    mock.push_response(Reply::custom_tool_call(
        FunctionCallSpec::named("shout")
            .call_id("call_c1")
            .arguments("hello world"),
    ));
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
