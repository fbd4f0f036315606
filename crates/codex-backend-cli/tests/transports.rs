//! The `--json` output of a turn is the same over `--transport sse` and
//! `--transport websocket` (issue 15): the same scenario, played by a fresh mock for each
//! transport, prints the same lines and exits with the same code; so does every SSE stream in
//! codex-mock's fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use common::Transport;

/// `--json ask hi` over `t` against a fresh mock that answers `reply`: exit code and stdout.
async fn json_ask(reply: Reply, t: Transport) -> (i32, String) {
    let (server, home) = common::logged_in_mock().await;
    server.push_response(reply);
    let cmd = common::command_against(
        &server,
        &home,
        &["--transport", t.arg(), "--json", "ask", "hi"],
    );
    let run = common::run_blocking(cmd).await;
    // Over WebSocket the turn really went over a WebSocket.
    assert_eq!(
        server.websocket_upgrades().is_empty(),
        t == Transport::Sse,
        "{run:?}"
    );
    (run.code, run.stdout)
}

/// A scenario's name and its reply (built afresh for each transport).
type Scenario = (&'static str, fn() -> Reply);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_is_identical_over_both_transports() {
    let scenarios: [Scenario; 10] = [
        ("text", || Reply::text("Hello over both")),
        ("tool calls", || {
            Reply::tool_calls(vec![
                FunctionCallSpec::named("lookup")
                    .call_id("call_1")
                    .arguments(r#"{"n":1}"#),
                FunctionCallSpec::named("lookup")
                    .call_id("call_2")
                    .arguments(r#"{"n":2}"#),
            ])
        }),
        ("reasoning", || Reply::reasoning("Thinking", "The answer")),
        ("rate limits", Reply::rate_limits),
        ("web search", || {
            Reply::sse_file(common::fixtures().join("synthetic/web_search.synthetic.sse"))
        }),
        ("failed", || {
            Reply::failed("context_length_exceeded", "Too long.")
        }),
        ("incomplete", || Reply::incomplete("max_output_tokens")),
        ("error event", || Reply::error_event("server_error", "boom")),
        ("usage limit", || Reply::usage_limit("plus", 1_767_225_600)),
        ("truncated", Reply::truncated),
    ];
    for (name, reply) in scenarios {
        let (sse_code, sse) = json_ask(reply(), Transport::Sse).await;
        let (ws_code, ws) = json_ask(reply(), Transport::WebSocket).await;
        assert!(!sse.is_empty(), "{name}: no output");
        assert_eq!(sse_code, ws_code, "{name}: exit code");
        assert_eq!(sse, ws, "{name}: --json lines differ");
    }
}

/// Every SSE stream in codex-mock's fixtures (synthetic and recorded), served as the answer to
/// `--json ask hi`: the same exit code and the same lines over both transports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_prints_the_same_json_over_both_transports() {
    let mut files: Vec<std::path::PathBuf> = ["synthetic", "upstream"]
        .iter()
        .flat_map(|d| std::fs::read_dir(common::fixtures().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sse"))
        .collect();
    files.sort();
    assert!(files.len() >= 32, "{files:?}");
    for f in files {
        let (sse_code, sse) = json_ask(Reply::sse_file(&f), Transport::Sse).await;
        let (ws_code, ws) = json_ask(Reply::sse_file(&f), Transport::WebSocket).await;
        assert!(!sse.is_empty(), "{f:?}: no output");
        assert_eq!(sse_code, ws_code, "{f:?}: exit code\n{sse}\n{ws}");
        assert_eq!(sse, ws, "{f:?}: --json lines differ");
    }
}
