//! The binary against a MockServer started by the test: exit codes 1 (API, stream, abort),
//! 2 (usage) and 3 (login required), over both transports where a turn runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::SystemTime;

use codex_mock::Reply;
use codex_test_support::both_transports;
use common::Env;
use common::TempDir;
use common::Transport;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_without_auth_json() {
    let env = Env::new(false).await;
    let r = env.run(&["ask", "hi"], "").await;
    r.expect_code(3);
    assert!(r.stdout.is_empty());
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{r:?}");
    assert!(lines[0].starts_with("error: "));
    assert!(lines[0].contains("codex-backend login"), "{r:?}");

    let r = env.run(&["--json", "models"], "").await;
    r.expect_code(3);
    let err = r.json_error();
    assert_eq!(err["kind"], "login_required");
    assert!(
        env.server
            .requests_to("/backend-api/codex/models")
            .is_empty()
    );

    // `status` reports the state instead of failing.
    let r = env.run(&["--json", "status"], "").await;
    r.expect_code(0);
    assert_eq!(r.json_doc()["logged_in"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_the_refresh_token_was_revoked() {
    let env = Env::new(false).await;
    let past = SystemTime::now() - Duration::from_secs(3600);
    let t = env.server.issuer().issue_tokens_expiring(past);
    t.write_auth_json(env.home.path()).unwrap();
    env.server
        .issuer()
        .invalidate_refresh_token(&t.refresh_token);
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(3);
    assert_eq!(r.json_error()["kind"], "login_required");
    let r = env.run(&["ask", "hi"], "").await;
    r.expect_code(3);
    assert!(r.stderr.contains("codex-backend login"), "{r:?}");
}

async fn exit_1_on_api_and_stream_errors(t: Transport) {
    let env = Env::over(true, t).await;

    env.server.push_response(Reply::failed(
        "context_length_exceeded",
        "Your input exceeds the context window.",
    ));
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(1);
    let err = r.json_error();
    assert_eq!(err["kind"], "context_window_exceeded");
    assert!(err["message"].as_str().unwrap().contains("context window"));
    // Events before the failure were printed as they arrived.
    assert_eq!(r.json_lines()[0]["type"], "response.created");

    env.server.push_response(Reply::status(
        400,
        json!({"detail": "Unsupported parameter: temperature"}),
    ));
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(1);
    let err = r.json_error();
    assert_eq!(err["status"], 400);

    env.server.push_response(Reply::truncated());
    let r = env.run(&["ask", "hi"], "").await;
    r.expect_code(1);
    // The same line over every transport (the transport's detail stays in the SDK error's
    // source chain).
    let line = r.stderr.trim_end();
    assert_eq!(
        line.split(" (request id ").next(),
        Some("error: stream closed before response.completed"),
        "{r:?}"
    );
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");

    env.server
        .push_response(Reply::incomplete("max_output_tokens"));
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "incomplete");

    env.server
        .push_response(Reply::usage_limit("plus", 1_767_225_600));
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(1);
    let err = r.json_error();
    assert_eq!(err["kind"], "usage_limit_reached");
    assert_eq!(err["status"], 429);
}

both_transports!(exit_1_on_api_and_stream_errors);

async fn exit_1_on_idle_timeout(t: Transport) {
    let env = Env::over(true, t).await;
    env.server
        .push_response(Reply::stall(Duration::from_secs(10)));
    let r = env
        .run(&["--json", "--idle-timeout", "0.5", "ask", "hi"], "")
        .await;
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "idle_timeout");
}

both_transports!(exit_1_on_idle_timeout);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_2_on_usage_errors() {
    let env = Env::new(true).await;
    let dir = TempDir::new();
    let bad = dir.write("bad.json", "{not json");
    let obj = dir.write("obj.json", r#"{"type":"message"}"#);
    let cases: Vec<Vec<&str>> = vec![
        vec!["ask", "hi", "--bogus"],
        vec!["ask"],
        vec!["ask", "hi", "--reasoning", "huge"],
        vec!["ask", "hi", "--web-search", "sometimes"],
        vec!["ask", "hi", "--service-tier", "gold"],
        vec!["ask", "hi", "--schema", "/definitely/missing.json"],
        vec!["ask", "hi", "--schema", &bad],
        vec!["ask", "hi", "--tool", &bad],
        vec!["ask", "hi", "--history", &bad],
        vec!["ask", "hi", "--history", &obj],
        vec!["ask", "hi", "--image", "/definitely/missing.png"],
        vec!["compact", "/definitely/missing.json"],
        vec!["realtime-call"],
        vec!["realtime-call", "--sdp", "/definitely/missing.sdp"],
        vec!["--idle-timeout", "zero", "status"],
        vec!["frobnicate"],
    ];
    for args in cases {
        let r = env.run(&args, "").await;
        r.expect_code(2);
        assert!(r.stdout.is_empty(), "{args:?}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with("error: "), "{args:?}: {r:?}");
        let mut json_args = vec!["--json"];
        json_args.extend(args.iter().copied());
        let r = env.run(&json_args, "").await;
        r.expect_code(2);
        assert_eq!(r.json_error()["kind"], "usage", "{args:?}");
    }
    assert!(env.response_bodies().is_empty(), "nothing may be sent");
    let r = env.run(&["--help"], "").await;
    r.expect_code(0);
    assert!(r.stdout.contains("realtime-call"));
    let r = env.run(&["--version"], "").await;
    r.expect_code(0);
}

#[cfg(unix)]
async fn ask_ctrl_c_stops_the_answer_with_exit_1(t: Transport) {
    use std::process::Stdio;

    let env = Env::over(true, t).await;
    env.server
        .push_response(Reply::stall(Duration::from_secs(30)));
    let child = common::spawn(env.command(&["--json", "ask", "hi"]), Stdio::null());
    let r = env.interrupt_once_a_turn_started(child).await;
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "aborted");
}

#[cfg(unix)]
both_transports!(ask_ctrl_c_stops_the_answer_with_exit_1);

async fn exit_3_on_401_after_refresh(t: Transport) {
    let env = Env::over(true, t).await;
    for _ in 0..2 {
        env.server
            .push_response(Reply::status(401, json!({"detail": "Unauthorized"})));
    }
    let r = env.run(&["--json", "ask", "hi"], "").await;
    r.expect_code(3);
    assert_eq!(r.json_error()["kind"], "login_required");
    assert!(
        env.server.issuer().refresh_count() >= 1,
        "a refresh was tried first"
    );
}

both_transports!(exit_3_on_401_after_refresh);
