//! Every command with `--mock`, as a new user would run it: human and `--json` output. The
//! commands that run a turn (`ask`, `chat`, `compact`) run over each `--transport`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_test_support::both_transports;
use common::TempDir;
use common::Transport;
use common::has_ansi;
use common::run;
use common::run_mock;
use common::run_with;
use serde_json::Value;

const STATUS_KEYS: [&str; 7] = [
    "access_token_expires_at",
    "account_id",
    "email",
    "last_refresh",
    "logged_in",
    "needs_refresh",
    "plan",
];

fn assert_status_doc(v: &Value, logged_in: bool) {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, STATUS_KEYS, "{v}");
    assert_eq!(v["logged_in"], logged_in);
    if logged_in {
        assert_eq!(v["email"], "mock-user@example.com");
        assert_eq!(v["plan"], "plus");
        assert_eq!(v["account_id"], "00000000-0000-4000-8000-00000000a001");
        for k in ["access_token_expires_at", "last_refresh"] {
            let t = v[k].as_str().unwrap();
            assert!(
                t.len() == 20 && t.ends_with('Z') && &t[10..11] == "T",
                "not RFC 3339: {t}"
            );
        }
    }
}

#[test]
fn status_human_and_json() {
    let r = run(&["--mock", "status"]);
    r.expect_code(0);
    assert!(r.stdout.contains("mock-user@example.com"), "{r:?}");
    assert!(r.stdout.contains("plus"));
    assert!(!has_ansi(&r.stdout));
    let r = run(&["--mock", "--json", "status"]);
    r.expect_code(0);
    assert_status_doc(&r.json_doc(), true);
    // Global options also work after the command.
    let r = run(&["status", "--mock", "--json"]);
    r.expect_code(0);
    assert_status_doc(&r.json_doc(), true);
}

#[test]
fn models_human_and_json() {
    let r = run(&["--mock", "models"]);
    r.expect_code(0);
    assert!(r.stdout.lines().any(|l| l.starts_with("gpt-5.4 ")), "{r:?}");
    let r = run(&["--mock", "--json", "models"]);
    r.expect_code(0);
    let v = r.json_doc();
    let models = v["models"].as_array().unwrap();
    assert!(models.iter().any(|m| m["slug"] == "gpt-5.4"));
    assert!(models.iter().all(|m| m["slug"].is_string()));
}

#[test]
fn usage_human_and_json() {
    let r = run(&["--mock", "usage"]);
    r.expect_code(0);
    assert!(r.stdout.contains("plan: plus"), "{r:?}");
    assert!(r.stdout.contains("42% used"));
    let r = run(&["--mock", "--json", "usage"]);
    r.expect_code(0);
    let v = r.json_doc();
    assert_eq!(v["plan_type"], "plus");
    assert_eq!(v["rate_limit"]["primary_window"]["used_percent"], 42.0);
}

async fn ask_human_and_json(t: Transport) {
    let r = run_mock(t, &["ask", "Say hi", "--show-usage"], "");
    r.expect_code(0);
    assert_eq!(r.stdout, "Hello from codex-mock.\n");
    assert!(r.stderr.contains("tokens: 42 input"), "{r:?}");
    assert!(r.stderr.contains("rate limit primary: 42% used"), "{r:?}");
    let r = run_mock(t, &["--json", "ask", "Say hi"], "");
    r.expect_code(0);
    let lines = r.json_lines();
    assert!(lines.len() >= 3);
    assert!(lines.iter().all(|l| l["type"].is_string()));
    assert_eq!(lines.first().unwrap()["type"], "response.created");
    assert_eq!(lines.last().unwrap()["type"], "response.completed");
    let text: String = lines
        .iter()
        .filter(|l| l["type"] == "response.output_text.delta")
        .map(|l| l["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello from codex-mock.");
}

both_transports!(ask_human_and_json);

async fn ask_with_every_flag_under_mock(t: Transport) {
    let dir = TempDir::new();
    let tool = dir.write(
        "tool.json",
        r#"{"type":"function","name":"lookup","description":"demo","strict":false,"parameters":{"type":"object","properties":{}}}"#,
    );
    let history = dir.write(
        "history.json",
        r#"[{"type":"message","role":"user","content":[{"type":"input_text","text":"earlier"}]}]"#,
    );
    let png = dir.write("pixel.png", common::PNG_SIGNATURE);
    let mut args = vec!["ask", "hello"];
    args.extend(common::MODEL_FLAGS);
    args.extend([
        "--reasoning-summary",
        "concise",
        // Not with --schema: the two are exclusive (issue 17), see mock_answers_show_each_feature.
        "--verbosity",
        "low",
        "--image",
        &png,
        "--image",
        "https://example.com/cat.png",
        "--web-search",
        "cached",
        "--service-tier",
        "flex",
        "--prompt-cache-key",
        "k-1",
        "--tool",
        &tool,
        "--tool-choice",
        "auto",
        "--parallel-tool-calls",
        "--history",
        &history,
        "--include-reasoning",
    ]);
    let r = run_mock(t, &args, "");
    r.expect_code(0);
    // The mock answers in the shape the flags ask for: here, a call of the tool.
    assert_eq!(
        r.stdout, "tool call: lookup({}) [call_id call_mock_1]\n",
        "{r:?}"
    );
}

both_transports!(ask_with_every_flag_under_mock);

async fn mock_answers_show_each_feature(t: Transport) {
    let dir = TempDir::new();
    let schema = dir.write(
        "schema.json",
        r#"{"type":"object","properties":{"city":{"type":"string"},"n":{"type":"integer"},"ok":{"type":"boolean"}}}"#,
    );
    let r = run_mock(t, &["ask", "hi", "--schema", &schema], "");
    r.expect_code(0);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"city": "example", "n": 0, "ok": false})
    );

    let r = run_mock(t, &["ask", "rust news", "--web-search", "live"], "");
    r.expect_code(0);
    assert!(
        r.stdout.contains("[web search: search \"rust news\"]"),
        "{r:?}"
    );

    let r = run_mock(t, &["ask", "hi", "--reasoning-summary", "auto"], "");
    r.expect_code(0);
    assert!(r.stderr.starts_with("[reasoning] "), "{r:?}");
    assert_eq!(r.stdout, "Hello from codex-mock.\n");

    let r = run_mock(
        t,
        &["--json", "ask", "hi", "--reasoning-summary", "auto"],
        "",
    );
    r.expect_code(0);
    assert!(
        r.json_lines()
            .iter()
            .any(|l| l["type"] == "response.reasoning_summary_text.delta")
    );
}

both_transports!(mock_answers_show_each_feature);

async fn chat_piped_human_and_json(t: Transport) {
    let input = "first\n/model gpt-5.4-mini\nsecond\n/compact\n/reset\nthird\n/exit\nnot sent\n";
    let r = run_mock(t, &["chat"], input);
    r.expect_code(0);
    assert_eq!(
        r.stdout.matches("Hello from codex-mock.").count(),
        3,
        "{r:?}"
    );
    assert!(r.stderr.contains("(model: gpt-5.4-mini)"));
    assert!(r.stderr.contains("(conversation cleared)"));
    assert!(r.stderr.contains("compacted"));
    assert!(!has_ansi(&r.stdout));

    let r = run_mock(t, &["--json", "chat"], input);
    r.expect_code(0);
    let lines = r.json_lines();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "response.completed").count(),
        3
    );
    let model = lines.iter().find(|l| l["type"] == "chat.model").unwrap();
    assert_eq!(model["model"], "gpt-5.4-mini");
    assert!(types.contains(&"chat.reset"));
    let compacted = lines
        .iter()
        .find(|l| l["type"] == "chat.compacted")
        .unwrap();
    assert_eq!(compacted["items_before"], 4);
}

both_transports!(chat_piped_human_and_json);

#[test]
fn chat_json_is_the_same_over_every_transport() {
    let input = "first\nsecond\nthird\n/exit\n";
    let sse = run_with(
        &["--mock", "--json", "--transport", "sse", "chat"],
        &[],
        input,
    );
    sse.expect_code(0);
    for t in ["websocket", "auto"] {
        let r = run_with(&["--mock", "--json", "--transport", t, "chat"], &[], input);
        r.expect_code(0);
        assert_eq!(r.stdout, sse.stdout, "{t}");
    }
    // The environment variable chooses too; a bad value is a usage error.
    let r = run_with(
        &["--mock", "--json", "chat"],
        &[("CODEX_TRANSPORT", "websocket")],
        input,
    );
    r.expect_code(0);
    assert_eq!(r.stdout, sse.stdout);
    run_with(
        &["--mock", "--transport", "carrier-pigeon", "status"],
        &[],
        "",
    )
    .expect_code(2);
}

async fn compact_human_and_json(t: Transport) {
    let dir = TempDir::new();
    let h = dir.write(
        "h.json",
        r#"[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]}]"#,
    );
    let r = run_mock(t, &["--json", "compact", &h], "");
    r.expect_code(0);
    let v = r.json_doc();
    let items = v.as_array().unwrap();
    assert!(items.iter().any(|i| i["type"] == "compaction"), "{v}");
    let r = run_mock(t, &["compact", &h], "");
    r.expect_code(0);
    let pretty: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(pretty.is_array());
}

both_transports!(compact_human_and_json);

#[test]
fn realtime_call_human_and_json() {
    let dir = TempDir::new();
    let sdp = dir.write("offer.sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n");
    let r = run(&["--mock", "--json", "realtime-call", "--sdp", &sdp]);
    r.expect_code(0);
    let v = r.json_doc();
    assert_eq!(v.as_object().unwrap().len(), 2);
    assert!(v["call_id"].as_str().unwrap().starts_with("rtc_"));
    assert!(v["sdp"].as_str().unwrap().starts_with("v=0"));
    let r = run(&["--mock", "realtime-call", "--sdp", &sdp]);
    r.expect_code(0);
    assert!(r.stdout.starts_with("call_id: rtc_"), "{r:?}");
    assert!(r.stdout.contains("\nv=0"));
}

/// `--mock --json login FLOW`: checks the second line is the logged-in status and returns
/// the first (what the user is asked to do).
fn json_login(flow: &str) -> Value {
    let r = run(&["--mock", "--json", "login", flow]);
    r.expect_code(0);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 2, "{r:?}");
    assert_status_doc(&lines[1], true);
    lines[0].clone()
}

#[test]
fn login_browser_flow_is_driven_against_the_mock() {
    let r = run(&["--mock", "login", "--no-browser"]);
    r.expect_code(0);
    let url_line = r.stdout.lines().next().unwrap();
    assert!(url_line.starts_with("http://127.0.0.1:"), "{r:?}");
    assert!(url_line.contains("/oauth/authorize?response_type=code"));
    assert!(url_line.contains("code_challenge_method=S256"));
    assert!(r.stdout.contains("Logged in as mock-user@example.com"));

    let prompt = json_login("--no-browser");
    let url = prompt["authorize_url"].as_str().unwrap();
    assert!(url.contains("/oauth/authorize?"), "{prompt}");
}

#[test]
fn login_device_flow_against_the_mock() {
    let r = run(&["--mock", "login", "--device"]);
    r.expect_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].ends_with("/codex/device"), "{r:?}");
    assert!(!lines[1].is_empty() && !lines[1].contains(' '));
    let prompt = json_login("--device");
    let url = prompt["verification_url"].as_str().unwrap();
    assert!(url.ends_with("/codex/device"), "{prompt}");
    assert!(prompt["user_code"].is_string());
}

#[test]
fn logout_human_and_json() {
    let r = run(&["--mock", "logout"]);
    r.expect_code(0);
    assert!(r.stdout.contains("Logged out"), "{r:?}");
    let r = run(&["--mock", "--json", "logout"]);
    r.expect_code(0);
    let v = r.json_doc();
    assert_eq!(v["logged_in"], false);
    assert_eq!(v["removed"], true);
    assert_eq!(v["revoked"], true);
}

async fn no_ansi_when_not_a_terminal_or_no_color(t: Transport) {
    for env in [&[][..], &[("NO_COLOR", "1")][..]] {
        for args in [
            &["ask", "hi", "--show-usage"][..],
            &["status"][..],
            &["models"][..],
            &["ask", "--bogus"][..],
        ] {
            let mut all = vec!["--mock", "--transport", t.arg()];
            all.extend_from_slice(args);
            let r = run_with(&all, env, "");
            assert!(!has_ansi(&r.stdout), "{r:?}");
            assert!(!has_ansi(&r.stderr), "{r:?}");
        }
    }
}

both_transports!(no_ansi_when_not_a_terminal_or_no_color);
