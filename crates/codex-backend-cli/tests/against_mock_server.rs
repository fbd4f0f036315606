//! The binary against a MockServer started by the test (`--base-url`, a fake `auth.json`):
//! exit codes 1/2/3, the exact request bodies, chat history handling, no token in output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::SystemTime;

use codex_mock::FunctionCallSpec;
use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::TokenSet;
use codex_test_support::both_transports;
use common::Run;
use common::TempDir;
use common::Transport;
use common::has_ansi;
use common::run_with;
use serde_json::Value;
use serde_json::json;

struct Env {
    server: MockServer,
    home: TempDir,
    tokens: Option<TokenSet>,
    /// The `--transport` of every run that does not name one.
    transport: Transport,
}

impl Env {
    async fn new(logged_in: bool) -> Self {
        Self::over(logged_in, Transport::Sse).await
    }

    async fn over(logged_in: bool, transport: Transport) -> Self {
        let server = MockServer::start().await.unwrap();
        let home = TempDir::new();
        let tokens = logged_in.then(|| {
            let t = server.issuer().issue_tokens();
            t.write_auth_json(home.path()).unwrap();
            t
        });
        Self {
            server,
            home,
            tokens,
            transport,
        }
    }

    /// Runs the CLI against this server (blocking call moved off the runtime).
    async fn run(&self, args: &[&str], stdin: &str) -> Run {
        let base = self.server.backend_base_url();
        let mut all: Vec<String> = vec![
            "--base-url".into(),
            base,
            "--api-base-url".into(),
            self.server.api_base_url(),
            "--codex-home".into(),
            self.home.str().into(),
        ];
        if !args.contains(&"--transport") {
            all.extend(["--transport".into(), self.transport.arg().into()]);
        }
        all.extend(args.iter().map(|s| s.to_string()));
        let issuer = self.server.issuer_url();
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            run_with(&refs, &[("CODEX_AUTH_ISSUER", &issuer)], &stdin)
        })
        .await
        .unwrap()
    }

    /// The binary against this server over this transport, then `args` (not started).
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut all = vec!["--transport", self.transport.arg()];
        all.extend_from_slice(args);
        common::command_against(&self.server, &self.home, &all)
    }

    /// The bodies of the turns sent, over either transport.
    fn response_bodies(&self) -> Vec<Value> {
        codex_test_support::mock::turn_bodies(&self.server)
    }
}

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
    // The same kind; the message names what closed (protocol §6 for the WebSocket wording).
    let closed = match t {
        Transport::Sse => "stream closed before response.completed",
        Transport::WebSocket => "websocket connection lost before response.completed",
    };
    assert!(r.stderr.contains(closed), "{r:?}");
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

async fn ask_sends_the_flags_exactly(t: Transport) {
    let env = Env::over(true, t).await;
    let dir = TempDir::new();
    let schema_v = json!({
        "title": "answer",
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": false
    });
    let schema = dir.write("schema.json", schema_v.to_string());
    let tool_v = json!([{
        "type": "function",
        "name": "lookup",
        "description": "Look a number up",
        "strict": false,
        "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    }]);
    let tool = dir.write("tools.json", tool_v.to_string());
    let hist_v = json!([
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "earlier"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "noted"}]}
    ]);
    let history = dir.write("history.json", hist_v.to_string());
    let png_bytes = [0x89u8, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let png = dir.write("pixel.png", png_bytes);

    let r = env
        .run(
            &[
                "--json",
                "ask",
                "What is 2+2?",
                "--model",
                "gpt-5.4-mini",
                "--instructions",
                "Be brief",
                "--reasoning",
                "high",
                "--reasoning-summary",
                "detailed",
                // Not with --verbosity: the two are exclusive (issue 17).
                "--schema",
                &schema,
                "--image",
                "https://example.com/cat.png",
                "--image",
                &png,
                "--web-search",
                "live",
                "--service-tier",
                "fast",
                "--prompt-cache-key",
                "cache-key-123",
                "--tool",
                &tool,
                "--tool-choice",
                "lookup",
                "--parallel-tool-calls",
                "--history",
                &history,
            ],
            "",
        )
        .await;
    r.expect_code(0);
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 1);
    let b = &bodies[0];
    assert_eq!(b["model"], "gpt-5.4-mini");
    assert_eq!(b["instructions"], "Be brief");
    assert_eq!(b["store"], false);
    assert_eq!(b["stream"], true);
    assert_eq!(
        b["reasoning"],
        json!({"effort": "high", "summary": "detailed"})
    );
    assert_eq!(b["include"], json!(["reasoning.encrypted_content"]));
    assert!(b["text"].get("verbosity").is_none());
    assert_eq!(
        b["text"]["format"],
        json!({"type": "json_schema", "name": "answer", "strict": true, "schema": schema_v})
    );
    let tools = b["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2, "{b}");
    assert_eq!(tools[0], tool_v[0]);
    assert_eq!(tools[1]["type"], "web_search");
    assert_eq!(tools[1]["external_web_access"], true);
    assert_eq!(
        b["tool_choice"],
        json!({"type": "function", "name": "lookup"})
    );
    assert_eq!(b["parallel_tool_calls"], true);
    assert_eq!(b["service_tier"], "priority");
    assert_eq!(b["prompt_cache_key"], "cache-key-123");
    let input = b["input"].as_array().unwrap();
    assert_eq!(input.len(), 3);
    assert_eq!(input[0], hist_v[0]);
    assert_eq!(input[1], hist_v[1]);
    assert_eq!(input[2]["role"], "user");
    let content = input[2]["content"].as_array().unwrap();
    assert_eq!(
        content[0],
        json!({"type": "input_text", "text": "What is 2+2?"})
    );
    assert_eq!(content[1]["type"], "input_image");
    assert_eq!(content[1]["image_url"], "https://example.com/cat.png");
    assert_eq!(content[2]["type"], "input_image");
    assert_eq!(
        content[2]["image_url"],
        "data:image/png;base64,iVBORw0KGgo="
    );
    let req = &codex_test_support::mock::turn_requests(&env.server)[0];
    assert_eq!(req.header("session-id"), Some("cache-key-123"));
}

both_transports!(ask_sends_the_flags_exactly);

async fn ask_defaults_and_include_reasoning(t: Transport) {
    let env = Env::over(true, t).await;
    env.run(&["ask", "plain"], "").await.expect_code(0);
    env.run(
        &[
            "ask",
            "inc",
            "--include-reasoning",
            "--web-search",
            "cached",
            "--service-tier",
            "default",
        ],
        "",
    )
    .await
    .expect_code(0);
    let bodies = env.response_bodies();
    let plain = &bodies[0];
    assert_eq!(plain["model"], "gpt-5.4");
    assert_eq!(plain["instructions"], "");
    assert!(plain.get("reasoning").is_none_or(Value::is_null), "{plain}");
    assert!(plain.get("service_tier").is_none_or(Value::is_null));
    assert!(plain.get("text").is_none_or(Value::is_null));
    assert_eq!(plain["tools"], json!([]));
    assert_eq!(
        plain["input"],
        json!([{"type":"message","role":"user","content":[{"type":"input_text","text":"plain"}]}])
    );
    // A fresh UUID is the prompt cache key and session id.
    let key = plain["prompt_cache_key"].as_str().unwrap();
    assert_eq!(key.len(), 36);
    let inc = &bodies[1];
    assert_eq!(inc["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(inc["tools"][0]["external_web_access"], false);
    assert!(inc.get("service_tier").is_none_or(Value::is_null), "{inc}");
    assert_ne!(inc["prompt_cache_key"], plain["prompt_cache_key"]);
}

both_transports!(ask_defaults_and_include_reasoning);

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

/// SSE only: it reads the whole history re-sent each turn; over WebSocket a chat sends only the new items (`chat_over_websocket_keeps_one_connection_and_sends_only_new_items`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_keeps_history_and_obeys_reset_and_model() {
    let env = Env::new(true).await;
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
    let mut child = env
        .command(&["chat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"first\nsecond\n")
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while env.response_bodies().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first turn never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("(answer interrupted)"), "{stderr}");
    assert!(stdout.contains("after the interrupt"), "{stdout}");
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 2);
    // The interrupted exchange is not in the history of the next turn.
    assert_eq!(bodies[1]["input"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
both_transports!(chat_ctrl_c_aborts_the_answer_not_the_program);

#[cfg(unix)]
async fn ask_ctrl_c_stops_the_answer_with_exit_1(t: Transport) {
    use std::process::Stdio;

    let env = Env::over(true, t).await;
    env.server
        .push_response(Reply::stall(Duration::from_secs(30)));
    let child = env
        .command(&["--json", "ask", "hi"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while env.response_bodies().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the request never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "aborted");
}

#[cfg(unix)]
both_transports!(ask_ctrl_c_stops_the_answer_with_exit_1);

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_variables_replace_the_options() {
    let env = Env::new(true).await;
    let dir = TempDir::new();
    let sdp = dir.write("offer.sdp", "v=0\r\n");
    let vars = [
        ("CODEX_BASE_URL", env.server.backend_base_url()),
        ("CODEX_TRANSPORT", "sse".to_owned()),
        ("CODEX_API_BASE_URL", env.server.api_base_url()),
        ("CODEX_HOME", env.home.str().to_owned()),
        ("CODEX_AUTH_ISSUER", env.server.issuer_url()),
    ];
    let run_env = |args: Vec<String>| {
        let vars = vars.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            run_with(&refs, &pairs, "")
        })
    };
    let r = run_env(vec!["--json".into(), "ask".into(), "hi".into()])
        .await
        .unwrap();
    r.expect_code(0);
    assert_eq!(env.response_bodies().len(), 1);
    let r = run_env(vec![
        "--json".into(),
        "realtime-call".into(),
        "--sdp".into(),
        sdp.clone(),
    ])
    .await
    .unwrap();
    r.expect_code(0);
    assert!(
        r.json_doc()["call_id"]
            .as_str()
            .unwrap()
            .starts_with("rtc_")
    );
    assert_eq!(env.server.requests_to("/v1/realtime/calls").len(), 1);
    let r = run_env(vec!["--json".into(), "usage".into()])
        .await
        .unwrap();
    r.expect_code(0);
    assert_eq!(env.server.requests_to("/backend-api/wham/usage").len(), 1);
}

/// SSE only: it reads the replayed history in the second request; over WebSocket that history rides `previous_response_id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_replays_reasoning_with_its_encrypted_content() {
    let env = Env::new(true).await;
    env.server
        .push_response(Reply::reasoning("Think first.", "42"));
    env.server.push_response(Reply::text("more"));
    let r = env.run(&["--json", "chat"], "why?\nand?\n").await;
    r.expect_code(0);
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 2);
    for b in &bodies {
        let inc = b["include"].as_array().unwrap();
        assert!(inc.contains(&json!("reasoning.encrypted_content")), "{b}");
    }
    let second = bodies[1]["input"].as_array().unwrap();
    let kinds: Vec<&str> = second.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
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

/// SSE only: as `chat_replays_reasoning_with_its_encrypted_content`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_does_not_replay_reasoning_without_encrypted_content() {
    let env = Env::new(true).await;
    env.server
        .push_response(Reply::reasoning("Think.", "42").without_encrypted_reasoning());
    env.server.push_response(Reply::text("more"));
    let r = env.run(&["--json", "chat"], "why?\nand?\n").await;
    r.expect_code(0);
    let bodies = env.response_bodies();
    assert_eq!(bodies.len(), 2);
    let second = bodies[1]["input"].as_array().unwrap();
    let kinds: Vec<&str> = second.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message", "message", "message"], "{second:?}");
    assert_eq!(second[1]["role"], "assistant");
}

/// SSE only: `Content-Encoding: zstd` is a property of an HTTP request body.
#[tokio::test]
async fn ask_compresses_bodies_unless_no_request_compression() {
    let env = Env::new(true).await;
    env.run(&["--json", "ask", "hi"], "").await.expect_code(0);
    env.run(&["--no-request-compression", "--json", "ask", "hi"], "")
        .await
        .expect_code(0);
    let reqs = env.server.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("content-encoding"), Some("zstd"));
    assert_eq!(reqs[1].header("content-encoding"), None);
    // Both carry the identity of the official client.
    for r in &reqs {
        assert_eq!(r.header("x-codex-routing-hint"), Some("model=gpt-5.4"));
        let thread = r.header("thread-id").unwrap();
        assert_eq!(&thread[14..15], "7", "a UUIDv7: {thread}");
        assert_eq!(
            r.header("x-codex-window-id"),
            Some(format!("{thread}:0").as_str())
        );
        assert!(r.json().unwrap()["client_metadata"]["x-codex-turn-metadata"].is_string());
    }
}

/// SSE only: it reads the compaction requests as `POST` bodies next to `/responses/compact` ones.
#[tokio::test]
async fn compact_uses_v2_by_default_and_legacy_on_request() {
    let env = Env::new(true).await;
    let dir = TempDir::new();
    let hist = json!([
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "earlier"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "noted"}]}
    ]);
    let file = dir.write("history.json", hist.to_string());
    let file = file.as_str();
    let v2 = env.run(&["--json", "compact", file], "").await;
    v2.expect_code(0);
    let out = v2.json_doc();
    assert_eq!(out[0]["content"][0]["text"], "earlier");
    assert_eq!(out[1]["type"], "compaction");
    assert_eq!(out.as_array().unwrap().len(), 2);
    let reqs = env.server.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );
    assert_eq!(
        reqs[0].json().unwrap()["input"][2],
        json!({"type": "compaction_trigger"})
    );
    assert!(
        env.server
            .requests_to("/backend-api/codex/responses/compact")
            .is_empty()
    );

    env.run(&["--json", "compact", "--legacy", file], "")
        .await
        .expect_code(0);
    assert_eq!(
        env.server
            .requests_to("/backend-api/codex/responses/compact")
            .len(),
        1
    );
    assert_eq!(
        env.server.requests_to("/backend-api/codex/responses").len(),
        1
    );
}
