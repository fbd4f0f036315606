//! `--json ask` over `--transport websocket` when the server breaks the response (issue 15,
//! review defect 8): a binary frame ends the turn with a `decode` error object (not a generic
//! `stream_closed`), a real Close frame with `stream_closed` and the SSE text; the events
//! before it are printed as they arrived.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::Reply;

const ANSWER: &str = "one two three four five six seven eight nine ten";

/// `--transport websocket --json ask hi` against a mock set up by `setup`: it exits 1 and
/// prints the six events sent before the cut, then the error object, which is returned.
async fn json_ask_error(setup: impl FnOnce(&codex_mock::MockServer)) -> serde_json::Value {
    let (server, home) = common::logged_in_mock().await;
    setup(&server);
    server.push_response(Reply::text(ANSWER));
    let cmd = common::command_against(
        &server,
        &home,
        &["--transport", "websocket", "--json", "ask", "hi"],
    );
    let run = common::run_blocking(cmd).await;
    assert!(run.stderr.is_empty(), "{run:?}");
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    // The six events, then the error object (no `codex_backend.decode_error` line for a
    // binary frame: there was no event to mirror).
    assert_eq!(lines.len(), 7, "{lines:?}");
    assert!(
        lines[..6].iter().all(|l| !l.contains("decode_error")),
        "{lines:?}"
    );
    let v: serde_json::Value = serde_json::from_str(lines[6]).unwrap();
    v["error"].clone()
}

/// The error object of [`json_ask_error`] has `kind` and a message starting with `message`.
fn assert_error(err: &serde_json::Value, kind: &str, message: &str) {
    assert_eq!(err["kind"], kind, "{err}");
    assert!(
        err["message"].as_str().unwrap().starts_with(message),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_frame_ends_the_turn_with_a_decode_error() {
    let err = json_ask_error(|s| s.set_websocket_binary_after(Some(6))).await;
    assert_error(
        &err,
        "decode",
        "unexpected binary websocket frame before response.completed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_frame_ends_the_turn_with_stream_closed() {
    let err = json_ask_error(|s| s.set_websocket_close_after(Some(6))).await;
    assert_error(
        &err,
        "stream_closed",
        "stream closed before response.completed (",
    );
}
