//! The binary against a MockServer started by the test: the exact request bodies and headers
//! each flag and variable produces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_test_support::both_transports;
use common::Env;
use common::TempDir;
use common::Transport;
use common::run_with;
use serde_json::Value;
use serde_json::json;

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
    let png = dir.write("pixel.png", common::PNG_SIGNATURE);

    let mut args = vec!["--json", "ask", "What is 2+2?"];
    args.extend(common::MODEL_FLAGS);
    args.extend([
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
    ]);
    let r = env.run(&args, "").await;
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

async fn environment_variables_replace_the_options(t: Transport) {
    let env = Env::over(true, t).await;
    let dir = TempDir::new();
    let sdp = dir.write("offer.sdp", "v=0\r\n");
    let vars = [
        ("CODEX_BASE_URL", env.server.backend_base_url()),
        ("CODEX_TRANSPORT", t.arg().to_owned()),
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
    // `CODEX_TRANSPORT` chose the transport.
    assert_eq!(
        env.server.websocket_upgrades().is_empty(),
        t == Transport::Sse
    );
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

both_transports!(environment_variables_replace_the_options);

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
}

async fn every_turn_carries_the_identity_of_the_official_client(t: Transport) {
    let env = Env::over(true, t).await;
    for _ in 0..2 {
        env.run(&["--json", "ask", "hi"], "").await.expect_code(0);
    }
    let reqs = codex_test_support::mock::turn_requests(&env.server);
    assert_eq!(reqs.len(), 2);
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

both_transports!(every_turn_carries_the_identity_of_the_official_client);

async fn compact_uses_v2_by_default_and_legacy_on_request(t: Transport) {
    let env = Env::over(true, t).await;
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
    let reqs = codex_test_support::mock::turn_requests(&env.server);
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
    assert_eq!(env.response_bodies().len(), 1);
}

both_transports!(compact_uses_v2_by_default_and_legacy_on_request);
