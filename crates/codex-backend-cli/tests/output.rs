//! What the binary prints against a MockServer started by the test: `--json` wire events
//! byte for byte, tool calls, reasoning summaries, and never a token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_test_support::both_transports;
use common::Env;
use common::Transport;
use common::has_ansi;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_never_prints_a_token() {
    let env = Env::new(true).await;
    let t = env.tokens.clone().unwrap();
    for args in [&["status"][..], &["--json", "status"][..]] {
        let r = env.run(args, "").await;
        r.expect_code(0);
        for secret in [&t.access_token, &t.refresh_token, &t.id_token] {
            assert!(!r.stdout.contains(secret.as_str()), "{r:?}");
            assert!(!r.stderr.contains(secret.as_str()), "{r:?}");
        }
        // Not even a fragment of a JWT.
        assert!(!r.stdout.contains("eyJ"), "{r:?}");
    }
    let v = env.run(&["--json", "status"], "").await.json_doc();
    assert_eq!(v["logged_in"], true);
    assert_eq!(v["account_id"], t.account_id.as_str());
}

async fn ask_prints_tool_calls_without_running_them(t: Transport) {
    let env = Env::over(true, t).await;
    env.server.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("lookup")
            .call_id("call_7")
            .arguments(r#"{"n":3}"#),
    ]));
    let r = env.run(&["ask", "use the tool"], "").await;
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("tool call: lookup({\"n\":3}) [call_id call_7]"),
        "{r:?}"
    );
    assert!(!has_ansi(&r.stdout));
    assert_eq!(
        env.response_bodies().len(),
        1,
        "ask never sends tool outputs"
    );
}

both_transports!(ask_prints_tool_calls_without_running_them);

async fn ask_shows_reasoning_summary_on_stderr(t: Transport) {
    let env = Env::over(true, t).await;
    env.server
        .push_response(Reply::reasoning("Thinking about primes", "2, 3, 5"));
    let r = env
        .run(&["ask", "primes", "--reasoning-summary", "auto"], "")
        .await;
    r.expect_code(0);
    assert!(r.stdout.contains("2, 3, 5"), "{r:?}");
    assert!(!r.stdout.contains("Thinking about primes"));
    assert!(r.stderr.contains("[reasoning] "), "{r:?}");
    assert!(r.stderr.contains("Thinking about primes"));
}

both_transports!(ask_shows_reasoning_summary_on_stderr);

async fn json_ask_prints_the_exact_wire_events(t: Transport) {
    let env = Env::over(true, t).await;
    for name in [
        "reasoning_summary",
        "parallel_tool_calls",
        "web_search",
        "rate_limits",
    ] {
        let path = common::fixtures().join(format!("synthetic/{name}.synthetic.sse"));
        let text = std::fs::read_to_string(&path).unwrap();
        env.server.push_response(Reply::sse_file(path));
        let r = env.run(&["--json", "ask", "hi"], "").await;
        r.expect_code(0);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines, common::sse_data_lines(&text), "{name}");
    }
}

both_transports!(json_ask_prints_the_exact_wire_events);

async fn undecodable_live_events_are_printed_not_dropped(t: Transport) {
    let env = Env::over(true, t).await;
    env.server.push_response(Reply::sse_bytes(
        "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n\
         data: {oops\n\n\
         data: {\"type\":\"response.output_item.done\"}\n\n\
         data: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0}\n\n\
         data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n",
    ));
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(0);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 5, "{r:?}");
    assert_eq!(lines[1]["type"], "codex_backend.decode_error");
    assert_eq!(lines[1]["raw"], "{oops");
    assert!(lines[1]["byte_offset"].is_u64());
    assert_eq!(lines[2], json!({"type": "response.output_item.done"}));

    env.server.push_response(Reply::sse_bytes(
        "data: {oops\n\n\
         data: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0}\n\n\
         data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n",
    ));
    let r = env.run(&["ask", "hi"], "").await;
    r.expect_code(0);
    assert_eq!(r.stdout, "ok\n");
    assert!(r.stderr.contains("warning: "), "{r:?}");
}

both_transports!(undecodable_live_events_are_printed_not_dropped);
