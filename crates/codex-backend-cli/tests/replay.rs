//! `replay` of every fixture in `crates/codex-mock/fixtures/` (offline, no login).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TempDir;
use common::fixtures;
use common::has_ansi;
use common::run;
use common::run_with;
use common::sse_data_lines;

/// Fixtures whose stream ends in success.
const OK: [&str; 10] = [
    "text",
    "turn_metadata",
    "custom_tool_call",
    "image_input",
    "keepalive",
    "parallel_tool_calls",
    "rate_limits",
    "reasoning_summary",
    "structured_output",
    "web_search",
];

/// Failure fixtures and the error kind each must report.
const FAIL: [(&str, &str); 20] = [
    ("error_event", "api_error"),
    ("error_wrapped_rate_limit", "rate_limited"),
    ("error_wrapped_usage_limit", "usage_limit_reached"),
    ("failed_bio_policy", "bio_policy"),
    ("failed_credit_balance_exhausted", "quota_exceeded"),
    ("failed_flex_unavailable", "flex_unavailable"),
    ("failed_organization_spend_limit_exceeded", "quota_exceeded"),
    ("failed_project_spend_limit_exceeded", "quota_exceeded"),
    ("incomplete_content_filter", "content_filter"),
    ("failed_context_length_exceeded", "context_window_exceeded"),
    ("failed_cyber_policy", "cyber_policy"),
    ("failed_insufficient_quota", "quota_exceeded"),
    ("failed_invalid_prompt", "invalid_request"),
    ("failed_rate_limit_exceeded", "rate_limited"),
    ("failed_server_is_overloaded", "server_overloaded"),
    ("failed_slow_down", "rate_limited"),
    ("failed_unknown_code", "api_error"),
    ("failed_usage_not_included", "usage_not_included"),
    ("incomplete", "incomplete"),
    ("truncated", "stream_closed"),
];

fn synthetic(name: &str) -> String {
    fixtures()
        .join(format!("synthetic/{name}.synthetic.sse"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_synthetic_fixture_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("synthetic"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".synthetic.sse").map(str::to_owned))
        .collect();
    names.sort();
    let mut known: Vec<String> = OK
        .iter()
        .map(|s| s.to_string())
        .chain(FAIL.iter().map(|(s, _)| s.to_string()))
        .collect();
    known.sort();
    assert_eq!(names, known);
}

#[test]
fn json_replay_prints_exactly_the_wire_events() {
    for name in OK {
        let path = synthetic(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let r = run(&["--json", "replay", &path]);
        r.expect_code(0);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines, sse_data_lines(&text), "{name}");
        // Each line is one JSON event object.
        for l in r.json_lines() {
            assert!(l["type"].is_string(), "{name}: {l}");
        }
    }
}

#[test]
fn failures_end_with_the_error_object_and_exit_1() {
    for (name, kind) in FAIL {
        let path = synthetic(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let r = run(&["--json", "replay", &path]);
        r.expect_code(1);
        assert_eq!(r.json_error()["kind"], kind, "{name}");
        let lines: Vec<&str> = r.stdout.lines().collect();
        let events = &lines[..lines.len() - 1];
        let data = sse_data_lines(&text);
        if name == "truncated" {
            // A cut event is never dispatched; everything before it is printed.
            assert!(data.len() >= events.len());
            assert_eq!(events, &data[..events.len()]);
        } else {
            assert_eq!(events, data.as_slice(), "{name}");
        }
        let r = run(&["replay", &path]);
        r.expect_code(1);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {r:?}");
        assert!(r.stderr.starts_with("error: "));
    }
}

#[test]
fn human_replay_names_each_event() {
    let r = run(&["replay", &synthetic("text")]);
    r.expect_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("response.created id="), "{r:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("response.output_text.delta \""))
    );
    assert!(lines.last().unwrap().starts_with("response.completed id="));
    assert!(!has_ansi(&r.stdout));

    let r = run(&["replay", &synthetic("custom_tool_call")]);
    r.expect_code(0);
    assert!(r.stdout.contains("custom_tool_call apply_patch"), "{r:?}");
}

#[test]
fn upstream_fixtures() {
    let up = fixtures().join("upstream");
    let p = |n: &str| up.join(n).to_str().unwrap().to_owned();
    // JSON arrays of events (codex-rs fixture format).
    for ok in [
        "exec-tests-fixtures-sse_apply_patch_add.json",
        "exec-tests-fixtures-sse_apply_patch_freeform_add.json",
        "exec-tests-fixtures-sse_apply_patch_update.json",
        "exec-tests-fixtures-sse_apply_patch_freeform_update.json",
        "exec-tests-fixtures-sse_response_completed.json",
        "core-tests-fixtures-completed_template.json",
    ] {
        run(&["replay", &p(ok)]).expect_code(0);
        let r = run(&["--json", "replay", &p(ok)]);
        r.expect_code(0);
        assert_eq!(r.json_lines().last().unwrap()["type"], "response.completed");
    }
    // An event without `item` does not decode; it is still printed, then no completion.
    let r = run(&[
        "--json",
        "replay",
        &p("core-tests-fixtures-incomplete_sse.json"),
    ]);
    r.expect_code(1);
    let lines = r.json_lines();
    assert_eq!(
        lines[0],
        serde_json::json!({"type": "response.output_item.done"})
    );
    assert_eq!(r.json_error()["kind"], "stream_closed");
    // SSE with a final blank line.
    run(&[
        "replay",
        &p("exec-tests-fixtures-cli_responses_fixture.sse"),
    ])
    .expect_code(0);
    // The core copy has no blank line after the last event: by the SSE rules that event is
    // never dispatched, so the stream is truncated.
    let r = run(&["replay", &p("core-tests-cli_responses_fixture.sse")]);
    r.expect_code(1);
    assert!(r.stderr.contains("middle of an event"), "{r:?}");
}

#[test]
fn replay_keeps_undecodable_events() {
    let dir = TempDir::new();
    let f = dir.write(
        "bad.sse",
        "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n\
         data: not json at all\n\n\
         data: {\"type\":\"response.output_text.delta\"}\n\n\
         data: {\"type\":\"response.future_event\",\"x\":1}\n\n\
         data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n",
    );
    let r = run(&["--json", "replay", &f]);
    r.expect_code(0);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 5, "{r:?}");
    assert_eq!(lines[1]["type"], "codex_backend.decode_error");
    assert_eq!(lines[1]["raw"], "not json at all");
    assert_eq!(
        lines[2],
        serde_json::json!({"type": "response.output_text.delta"})
    );
    assert_eq!(lines[3]["type"], "response.future_event");
    let r = run(&["replay", &f]);
    r.expect_code(0);
    assert_eq!(r.stdout.matches("decode error").count(), 2, "{r:?}");
}

#[test]
fn replay_needs_no_login_and_no_network() {
    let r = run_with(
        &["replay", &synthetic("text")],
        &[
            ("CODEX_HOME", "/definitely/missing/home"),
            ("CODEX_BASE_URL", "http://127.0.0.1:9/backend-api/codex"),
        ],
        "",
    );
    r.expect_code(0);
    let r = run(&["replay", "/definitely/missing.sse"]);
    r.expect_code(2);
}

#[test]
fn replay_prints_undecodable_objects_byte_for_byte() {
    let dir = TempDir::new();
    let bad = r#"{"zeta":1e300,"type":"response.output_text.delta","delta":17,"alpha":0.10}"#;
    let f = dir.write(
        "bad.sse",
        format!(
            "data: {{\"type\":\"response.created\",\"response\":{{\"id\":\"r1\"}}}}\n\n\
             data: {bad}\n\n\
             data: {{\"type\":\"response.completed\",\"response\":{{\"id\":\"r1\"}}}}\n\n"
        ),
    );
    let r = run(&["--json", "replay", &f]);
    r.expect_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert_eq!(lines[1], bad);
}
