//! `chat` against a MockServer started by the test: history, `/reset` and `/model`, failed and
//! interrupted turns, reasoning replay, one WebSocket connection for the session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_mock::Reply;
use codex_test_support::both_transports;
use common::Env;
use common::Run;
use common::Transport;
use serde_json::Value;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_over_websocket_keeps_one_connection_and_sends_only_new_items() {
    let env = Env::new(true).await;
    for t in ["one", "two", "three"] {
        env.server.push_response(Reply::text(t));
    }
    let r = env
        .run(
            &["--transport", "websocket", "chat"],
            "first\nsecond\nthird\n",
        )
        .await;
    r.expect_code(0);
    assert_eq!(env.server.websocket_upgrades().len(), 1);
    let creates: Vec<Value> = env
        .server
        .websocket_frames()
        .iter()
        .filter_map(|f| f.json())
        .filter(|v| v["type"] == "response.create")
        .collect();
    assert_eq!(creates.len(), 3);
    assert!(creates[0].get("previous_response_id").is_none());
    for (n, text) in [(1, "second"), (2, "third")] {
        let input = creates[n]["input"].as_array().unwrap();
        assert_eq!(input.len(), 1, "turn {n}: {input:?}");
        assert_eq!(input[0]["content"][0]["text"], text);
        assert!(creates[n]["previous_response_id"].is_string());
    }
}

/// Each turn changes the model or starts afresh, so a WebSocket chat sends the full request too.
async fn chat_keeps_history_and_obeys_reset_and_model(t: Transport) {
    let env = Env::over(true, t).await;
    env.server.push_response(Reply::text("one"));
    env.server.push_response(Reply::text("two"));
    env.server.push_response(Reply::text("three"));
    let r = env
        .run(
            &["--json", "chat", "--instructions", "Be nice"],
            "first\n/model gpt-5.4-mini\nsecond\n/reset\nthird\n",
        )
        .await;
    r.expect_code(0);
    let lines = r.json_lines();
    assert!(
        lines
            .iter()
            .any(|l| l == &json!({"type": "chat.model", "model": "gpt-5.4-mini"}))
    );
    assert!(lines.iter().any(|l| l == &json!({"type": "chat.reset"})));
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0]["model"], "gpt-5.4");
    assert_eq!(bodies[0]["input"].as_array().unwrap().len(), 1);
    assert_eq!(bodies[1]["model"], "gpt-5.4-mini");
    let second = bodies[1]["input"].as_array().unwrap();
    assert_eq!(second.len(), 3, "{second:?}");
    assert_eq!(second[0]["content"][0]["text"], "first");
    assert_eq!(second[1]["role"], "assistant");
    assert_eq!(second[1]["content"][0]["text"], "one");
    assert_eq!(second[2]["content"][0]["text"], "second");
    for b in &bodies {
        assert_eq!(b["instructions"], "Be nice");
    }
    // The same conversation id until /reset.
    assert_eq!(bodies[0]["prompt_cache_key"], bodies[1]["prompt_cache_key"]);
    assert_ne!(bodies[1]["prompt_cache_key"], bodies[2]["prompt_cache_key"]);
    let third = bodies[2]["input"].as_array().unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0]["content"][0]["text"], "third");
}

both_transports!(chat_keeps_history_and_obeys_reset_and_model);

async fn chat_human_reports_a_failed_turn_and_goes_on(t: Transport) {
    let env = Env::over(true, t).await;
    env.server
        .push_response(Reply::failed("server_is_overloaded", "Try later."));
    env.server.push_response(Reply::text("fine now"));
    let r = env.run(&["chat"], "first\nsecond\n").await;
    r.expect_code(0);
    assert!(r.stderr.contains("error: "), "{r:?}");
    assert!(r.stdout.contains("fine now"));
    let bodies = env.response_bodies();
    // The failed exchange is not kept in the history.
    assert_eq!(bodies[1]["input"].as_array().unwrap().len(), 1);

    env.server
        .push_response(Reply::failed("server_is_overloaded", "Try later."));
    let r = env.run(&["--json", "chat"], "first\nsecond\n").await;
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "server_overloaded");
}

both_transports!(chat_human_reports_a_failed_turn_and_goes_on);

#[cfg(unix)]
async fn chat_ctrl_c_aborts_the_answer_not_the_program(t: Transport) {
    use std::io::Write;
    use std::process::Stdio;

    let env = Env::over(true, t).await;
    env.server
        .push_response(Reply::stall(Duration::from_secs(30)));
    env.server.push_response(Reply::text("after the interrupt"));
    let mut child = common::spawn(env.command(&["chat"]), Stdio::piped());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"first\nsecond\n")
        .unwrap();
    let r = env.interrupt_once_a_turn_started(child).await;
    r.expect_code(0);
    assert!(r.stderr.contains("(answer interrupted)"), "{r:?}");
    assert!(r.stdout.contains("after the interrupt"), "{r:?}");
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 2);
    // The interrupted exchange is not in the history of the next turn.
    assert_eq!(bodies[1]["input"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
both_transports!(chat_ctrl_c_aborts_the_answer_not_the_program);

async fn chat_double_slash_sends_a_slash_message(t: Transport) {
    let env = Env::over(true, t).await;
    let r = env
        .run(&["chat"], "//etc/hosts: what is it?\n/nonsense\n")
        .await;
    r.expect_code(0);
    assert!(r.stderr.contains("unknown command /nonsense"), "{r:?}");
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["input"][0]["content"][0]["text"],
        "/etc/hosts: what is it?"
    );
}

both_transports!(chat_double_slash_sends_a_slash_message);

/// Pushes `first`, then a text reply, and runs `--json chat` with two lines: the run, every
/// request body, and the `input` of the second.
async fn two_turns(env: &Env, first: Reply) -> (Run, Vec<Value>, Vec<Value>) {
    env.server.push_response(first);
    env.server.push_response(Reply::text("more"));
    let r = env.run(&["--json", "chat"], "why?\nand?\n").await;
    r.expect_code(0);
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 2, "{r:?}");
    let second = bodies[1]["input"].as_array().unwrap().clone();
    (r, bodies, second)
}

/// The `type` of each item.
fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["type"].as_str().unwrap()).collect()
}

/// SSE only: it reads the replayed history in the second request; over WebSocket that history rides `previous_response_id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_replays_reasoning_with_its_encrypted_content() {
    let env = Env::new(true).await;
    let (r, bodies, second) = two_turns(&env, Reply::reasoning("Think first.", "42")).await;
    for b in &bodies {
        let inc = b["include"].as_array().unwrap();
        assert!(inc.contains(&json!("reasoning.encrypted_content")), "{b}");
    }
    assert_eq!(
        kinds(&second),
        ["message", "reasoning", "message", "message"],
        "{second:?}"
    );
    let sent = r
        .json_lines()
        .into_iter()
        .find(|l| l["type"] == "response.output_item.done" && l["item"]["type"] == "reasoning")
        .unwrap();
    let enc = sent["item"]["encrypted_content"].as_str().unwrap();
    assert!(!enc.is_empty());
    assert_eq!(second[1]["encrypted_content"], enc);
}

/// Dropping the reasoning item edits the history, so a WebSocket chat sends the full request too.
async fn chat_does_not_replay_reasoning_without_encrypted_content(t: Transport) {
    let env = Env::over(true, t).await;
    let reply = Reply::reasoning("Think.", "42").without_encrypted_reasoning();
    let (_, _, second) = two_turns(&env, reply).await;
    assert_eq!(
        kinds(&second),
        ["message", "message", "message"],
        "{second:?}"
    );
    assert_eq!(second[1]["role"], "assistant");
}

both_transports!(chat_does_not_replay_reasoning_without_encrypted_content);
