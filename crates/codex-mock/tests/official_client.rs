//! What the official client needs from the mock (issue 16): its start-up routes, a catalog it
//! decodes, shell tool calls answered with their output, scripted turns, a request log file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::Route;
use codex_mock::ShellTool;
use common::RawResponse;
use common::post_json;
use common::send;
use serde_json::Value;
use serde_json::json;

/// A started mock and the `Authorization` value of a token it accepts.
async fn server() -> (MockServer, String) {
    let (s, t) = common::server().await;
    (s, format!("Bearer {t}"))
}

async fn get(s: &MockServer, auth: &str, path: &str) -> RawResponse {
    send(&s.url(), "GET", path, &[("Authorization", auth)], b"").await
}

/// A `/responses` body as the official client sends it: no `instructions`, a developer
/// message first, the tools it offers, then `extra` input items.
fn turn(tools: &[&str], extra: Vec<Value>) -> Value {
    let mut input = vec![
        json!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]}),
    ];
    input.extend(extra);
    json!({
        "model": "gpt-5.4",
        "input": input,
        "tools": tools.iter().map(|n| json!({"type": "function", "name": n, "strict": false, "parameters": {"type": "object"}})).collect::<Vec<_>>(),
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "store": false,
        "stream": true,
        "client_metadata": {"x-codex-installation-id": "0f7c0000-0000-4000-8000-000000000001"},
    })
}

fn user(text: &str) -> Value {
    codex_mock::user_text(text)
}

fn output_text(r: &RawResponse) -> String {
    r.events()
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap().to_owned())
        .collect()
}

fn function_call(r: &RawResponse) -> Value {
    r.events()
        .into_iter()
        .find(|e| e["type"] == "response.output_item.done" && e["item"]["type"] == "function_call")
        .map(|e| e["item"].clone())
        .expect("a function_call item")
}

#[tokio::test]
async fn start_up_routes_answer_empty_but_valid() {
    let (s, auth) = server().await;
    let r = get(&s, &auth, "/backend-api/wham/settings/user").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["commit_attribution_enabled"], false);
    for path in [
        "/backend-api/ps/plugins/installed?limit=200",
        "/backend-api/ps/plugins/list?scope=GLOBAL&limit=200",
    ] {
        let r = get(&s, &auth, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.json()["plugins"], json!([]));
        assert!(r.json()["pagination"]["next_page_token"].is_null());
    }
    let r = get(
        &s,
        &auth,
        "/backend-api/ps/plugins/suggested/codex?scope=GLOBAL",
    )
    .await;
    assert_eq!(r.json(), json!({"enabled": false, "plugins": []}));
    let r = get(&s, &auth, "/backend-api/plugins/featured?platform=codex").await;
    assert_eq!(r.json(), json!([]));
    let r = post_json(
        &s,
        Some(&auth),
        "/backend-api/codex/analytics-events/events",
        &json!({"events": [{"event_type": "codex_turn"}]}),
    )
    .await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    // Backend routes: a bearer the issuer minted is required, and scripted replies work.
    let r = get(&s, "Bearer nope", "/backend-api/wham/settings/user").await;
    assert_eq!(r.status, 401);
    s.push(
        Route::SettingsUser,
        Reply::status(503, json!({"detail": "down"})),
    );
    assert_eq!(
        get(&s, &auth, "/backend-api/wham/settings/user")
            .await
            .status,
        503
    );
    let r = get(&s, &auth, "/backend-api/wham/usage").await;
    let usage = r.json();
    assert_eq!(usage["rate_limit"]["primary_window"]["used_percent"], 42);
    let id = s.issuer().identity();
    assert_eq!(usage["user_id"], id.user_id);
    assert_eq!(usage["account_id"], id.account_id);
    assert_eq!(usage["email"], id.email);
    assert_eq!(usage["plan_type"], id.plan);
}

#[tokio::test]
async fn mcp_endpoint_speaks_json_rpc() {
    let (s, auth) = server().await;
    let mcp = "/backend-api/ps/mcp";
    let r = post_json(&s, Some(&auth),
        mcp,
        &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "codex-mcp-client", "version": "0.171.0"}}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["id"], 0);
    assert_eq!(v["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(v["result"]["capabilities"], json!({}));
    assert_eq!(v["result"]["serverInfo"]["name"], "codex-mock");
    let r = post_json(
        &s,
        Some(&auth),
        mcp,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(r.body.is_empty());
    let r = post_json(
        &s,
        Some(&auth),
        mcp,
        &json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                {"jsonrpc": "2.0", "id": 2, "method": "resources/templates/list"},
                {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "x"}}]),
    )
    .await;
    let v = r.json();
    assert_eq!(v[0]["result"]["tools"], json!([]));
    assert_eq!(v[1]["result"]["resourceTemplates"], json!([]));
    assert_eq!(v[2]["error"]["code"], -32601);
    let r = send(
        &s.url(),
        "POST",
        mcp,
        &[("Authorization", auth.as_str())],
        b"{",
    )
    .await;
    assert_eq!(r.json()["error"]["code"], -32700);
    let r = get(&s, &auth, mcp).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
}

/// The keys codex-rs's `ModelInfo` requires (no serde default), and the other keys protocol
/// §7.2 lists.
const REQUIRED: &[&str] = &[
    "slug",
    "display_name",
    "description",
    "supported_reasoning_levels",
    "shell_type",
    "visibility",
    "supported_in_api",
    "priority",
    "upgrade",
    "base_instructions",
    "supports_reasoning_summaries",
    "support_verbosity",
    "default_verbosity",
    "apply_patch_tool_type",
    "truncation_policy",
    "supports_parallel_tool_calls",
    "experimental_supported_tools",
    "availability_nux",
    "default_reasoning_level",
    "context_window",
    "auto_compact_token_limit",
    "effective_context_window_percent",
    "input_modalities",
    "default_reasoning_summary",
    "web_search_tool_type",
    "service_tiers",
    "minimal_client_version",
];

#[tokio::test]
async fn catalog_decodes_in_the_official_client_for_any_client_version() {
    let (s, auth) = server().await;
    let r = get(&s, &auth, "/backend-api/codex/models?client_version=0.1.0").await;
    let models = r.json()["models"].as_array().unwrap().clone();
    let slugs: Vec<&str> = models.iter().map(|m| m["slug"].as_str().unwrap()).collect();
    assert_eq!(
        slugs,
        ["gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex", "gpt-6-preview"]
    );
    for m in &models {
        for key in REQUIRED {
            assert!(m.get(*key).is_some(), "{} lacks {key}", m["slug"]);
        }
        assert!(
            matches!(m["apply_patch_tool_type"].as_str(), None | Some("freeform")),
            "{}",
            m["slug"]
        );
        for tier in m["service_tiers"].as_array().unwrap() {
            for key in ["id", "name", "description"] {
                assert!(tier[key].is_string(), "{} tier lacks {key}", m["slug"]);
            }
        }
        for level in m["supported_reasoning_levels"].as_array().unwrap() {
            assert!(level["effort"].is_string() && level["description"].is_string());
        }
        assert!(
            [
                "default",
                "local",
                "unified_exec",
                "disabled",
                "shell_command"
            ]
            .contains(&m["shell_type"].as_str().unwrap())
        );
        assert!(["list", "hide", "none"].contains(&m["visibility"].as_str().unwrap()));
        assert!(m["priority"].is_i64() && m["truncation_policy"]["limit"].is_i64());
    }
    assert_eq!(models[0]["service_tiers"][0]["id"], "priority");
}

#[tokio::test]
async fn auto_compact_limit_is_settable_per_model() {
    let s = MockServer::builder()
        .auto_compact_token_limit("gpt-5.4-mini", Some(2000))
        .start()
        .await
        .unwrap();
    let auth = format!("Bearer {}", s.issuer().issue_tokens().access_token);
    let path = "/backend-api/codex/models?client_version=0.171.0";
    let r = get(&s, &auth, path).await;
    let etag = r.header("etag").unwrap().to_owned();
    assert_eq!(r.json()["models"][0]["auto_compact_token_limit"], 244800);
    assert_eq!(r.json()["models"][1]["auto_compact_token_limit"], 2000);
    s.set_auto_compact_token_limit(Some("gpt-5.4"), Some(500));
    let r = get(&s, &auth, path).await;
    assert_eq!(r.json()["models"][0]["auto_compact_token_limit"], 500);
    assert_ne!(r.header("etag").unwrap(), etag, "the catalog changed");
    s.set_auto_compact_token_limit(None, None);
    let r = get(&s, &auth, path).await;
    for m in r.json()["models"].as_array().unwrap() {
        assert!(m["auto_compact_token_limit"].is_null());
    }
}

#[tokio::test]
async fn shell_call_then_an_answer_that_uses_its_output() {
    let (s, auth) = server().await;
    let path = "/backend-api/codex/responses";
    let cases: [(&[&str], &str, Value); 4] = [
        (
            &["shell_command", "exec_command", "apply_patch"],
            "exec_command",
            json!({"cmd": "echo hi"}),
        ),
        (
            &["shell_command", "apply_patch"],
            "shell_command",
            json!({"command": "echo hi"}),
        ),
        (
            &["shell"],
            "shell",
            json!({"command": ["bash", "-lc", "echo hi"]}),
        ),
        (&[], "exec_command", json!({"cmd": "echo hi"})),
    ];
    for (tools, name, args) in cases {
        s.push_response(Reply::shell("echo hi"));
        let r = post_json(&s, Some(&auth), path, &turn(tools, vec![user("say hi")])).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.event_types().last().unwrap(), "response.completed");
        let call = function_call(&r);
        assert_eq!(call["name"], name);
        let got: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(got, args);
        let call_id = call["call_id"].as_str().unwrap().to_owned();
        assert!(call_id.starts_with("call_mock_shell_"));
        // The follow-up carries the output: the answer quotes it, and the loop is done.
        let follow = turn(
            tools,
            vec![
                user("say hi"),
                call.clone(),
                json!({"type": "function_call_output", "call_id": call_id, "output": "Process exited with code 0\nOutput:\nhi\n"}),
            ],
        );
        let r = post_json(&s, Some(&auth), path, &follow).await;
        assert_eq!(
            output_text(&r),
            "The command ran. Its output was:\nProcess exited with code 0\nOutput:\nhi"
        );
        // The same output again is no longer a mock-issued call: the plain default.
        let r = post_json(&s, Some(&auth), path, &follow).await;
        assert_eq!(output_text(&r), codex_mock::DEFAULT_TEXT);
    }
    // A fixed tool, and a queued reply wins over the quoting answer.
    s.push_response(Reply::shell_with(ShellTool::Shell, "ls"));
    s.push_response(Reply::text("queued"));
    let r = post_json(
        &s,
        Some(&auth),
        path,
        &turn(&["exec_command"], vec![user("x")]),
    )
    .await;
    let call = function_call(&r);
    assert_eq!(call["name"], "shell");
    let follow = turn(
        &["exec_command"],
        vec![
            user("x"),
            call.clone(),
            json!({"type": "function_call_output", "call_id": call["call_id"], "output": "a"}),
        ],
    );
    assert_eq!(
        output_text(&post_json(&s, Some(&auth), path, &follow).await),
        "queued"
    );
}

#[tokio::test]
async fn scripted_turns_by_last_user_message_then_queue() {
    let (s, auth) = server().await;
    let path = "/backend-api/codex/responses";
    s.on_user_message("list files", Reply::shell("ls"));
    s.on_user_message("weather", Reply::text("Sunny."));
    s.push_response(Reply::text("from the queue"));
    let r = post_json(
        &s,
        Some(&auth),
        path,
        &turn(&[], vec![user("the weather?")]),
    )
    .await;
    assert_eq!(output_text(&r), "Sunny.");
    // Rules are reused; the last user message counts, not an earlier one.
    let r = post_json(
        &s,
        Some(&auth),
        path,
        &turn(&[], vec![user("list files"), user("the weather again")]),
    )
    .await;
    assert_eq!(output_text(&r), "Sunny.");
    let r = post_json(&s, Some(&auth), path, &turn(&[], vec![user("hello")])).await;
    assert_eq!(output_text(&r), "from the queue");
    let r = post_json(&s, Some(&auth), path, &turn(&[], vec![user("hello")])).await;
    assert_eq!(output_text(&r), codex_mock::DEFAULT_TEXT);
    // A rule answering with a shell call does not loop: the follow-up gets the quoting answer.
    let r = post_json(
        &s,
        Some(&auth),
        path,
        &turn(&["exec_command"], vec![user("please list files")]),
    )
    .await;
    let call = function_call(&r);
    let follow = turn(
        &["exec_command"],
        vec![
            user("please list files"),
            call.clone(),
            json!({"type": "function_call_output", "call_id": call["call_id"], "output": [{"type": "input_text", "text": "Cargo.toml"}]}),
        ],
    );
    assert_eq!(
        output_text(&post_json(&s, Some(&auth), path, &follow).await),
        "The command ran. Its output was:\nCargo.toml"
    );
}

#[tokio::test]
async fn request_log_file_has_one_redacted_json_line_per_request() {
    let dir = std::env::temp_dir().join(format!("codex-mock-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("requests.jsonl");
    let s = MockServer::builder()
        .request_log(&file)
        .start()
        .await
        .unwrap();
    let tokens = s.issuer().issue_tokens();
    let auth = format!("Bearer {}", tokens.access_token);
    let _ = post_json(
        &s,
        Some(&auth),
        "/backend-api/codex/responses",
        &turn(&[], vec![user("logged")]),
    )
    .await;
    let form = format!(
        "grant_type=refresh_token&client_id=app_x&refresh_token={}",
        tokens.refresh_token
    );
    let _ = send(
        &s.url(),
        "POST",
        "/oauth/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await;
    let _ = send(&s.url(), "PUT", "/nowhere", &[], &[0xff, 0xfe]).await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&tokens.access_token));
    assert!(!text.contains(&tokens.refresh_token));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["path"], "/backend-api/codex/responses");
    assert_eq!(
        lines[0]["headers"]["authorization"],
        codex_mock::log::REDACTED
    );
    assert_eq!(lines[0]["headers"]["content-type"], "application/json");
    assert_eq!(lines[0]["body"]["input"][1]["content"][0]["text"], "logged");
    assert_eq!(lines[1]["body"]["refresh_token"], codex_mock::log::REDACTED);
    assert_eq!(lines[1]["body"]["grant_type"], "refresh_token");
    assert_eq!(lines[2]["body_base64"], "//4=");
    assert_eq!(lines[2]["body_bytes"], 2);
    let _ = std::fs::remove_dir_all(&dir);
}
