//! `--json` streams print every event the server sent, including the terminal
//! `response.failed` / `response.incomplete` / `error` event, before the final error object.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::MockServer;
use codex_mock::Reply;
use codex_test_support::both_transports;
use common::TempDir;
use common::Transport;

/// `--json ask hi` over `t`.
async fn ask_json(server: &MockServer, home: &TempDir, t: Transport) -> common::Run {
    let args = ["--transport", t.arg(), "--json", "ask", "hi"];
    common::run_blocking(common::command_against(server, home, &args)).await
}

async fn terminal_events_are_printed_before_the_error_object(t: Transport) {
    let (server, home) = common::logged_in_mock().await;
    let cases = [
        (
            Reply::failed("context_length_exceeded", "too long"),
            "response.failed",
            "context_window_exceeded",
        ),
        (
            Reply::incomplete("max_output_tokens"),
            "response.incomplete",
            "incomplete",
        ),
        (
            Reply::error_event("server_error", "boom"),
            "error",
            "api_error",
        ),
    ];
    for (reply, event_type, kind) in cases {
        server.push_response(reply);
        let r = ask_json(&server, &home, t).await;
        r.expect_code(1);
        let lines = r.json_lines();
        assert!(lines.len() >= 2, "{r:?}");
        let terminal = &lines[lines.len() - 2];
        assert_eq!(terminal["type"], event_type, "{r:?}");
        let last = &lines[lines.len() - 1];
        assert_eq!(last["error"]["kind"], kind, "{r:?}");
        assert_eq!(r.json_error()["kind"], kind);
    }
}

both_transports!(terminal_events_are_printed_before_the_error_object);

/// An event that fails to decode but is a JSON object is printed exactly as sent (key order
/// and number spelling kept), also when it is the terminal `response.completed`.
async fn undecodable_events_are_printed_byte_for_byte(t: Transport) {
    let (server, home) = common::logged_in_mock().await;
    let created = r#"{"type":"response.created","response":{"id":"r1"}}"#;
    let bad_delta =
        r#"{"zeta":1e300,"type":"response.output_text.delta","delta":17,"alpha":[1.50,2E3]}"#;
    let bad_completed = r#"{"z":1e300,"type":"response.completed","response":{"id":5},"a":0.10}"#;
    let body = format!("data: {created}\n\ndata: {bad_delta}\n\ndata: {bad_completed}\n\n");
    server.push_response(Reply::sse_bytes(body.into_bytes()));
    let r = ask_json(&server, &home, t).await;
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{r:?}");
    assert_eq!(lines[1], bad_delta, "{r:?}");
    assert_eq!(lines[2], bad_completed, "{r:?}");
    // The undecodable terminal event ends the turn with a decode error.
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "decode", "{r:?}");
}

both_transports!(undecodable_events_are_printed_byte_for_byte);
