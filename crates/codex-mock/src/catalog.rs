//! Default JSON documents: model catalog (§7.2), usage (§7.4), compact (§7.1), memories (E6).

use serde_json::Value;
use serde_json::json;

/// The full mock model catalog (before `client_version` filtering).
pub fn models() -> Vec<Value> {
    let levels = json!([
        {"effort": "low", "description": "Fast responses with lighter reasoning"},
        {"effort": "medium", "description": "Balances speed and reasoning depth"},
        {"effort": "high", "description": "Greater reasoning depth for complex problems"},
        {"effort": "xhigh", "description": "Extra high reasoning depth for complex problems"},
    ]);
    vec![
        json!({
            "slug": "gpt-5.4",
            "display_name": "gpt-5.4",
            "description": "Latest frontier agentic coding model.",
            "default_reasoning_level": "medium",
            "supported_reasoning_levels": levels,
            "shell_type": "shell_command",
            "visibility": "list",
            "supported_in_api": true,
            "priority": 1,
            "upgrade": null,
            "base_instructions": "You are Codex, a coding agent.",
            "supports_reasoning_summaries": true,
            "default_reasoning_summary": "auto",
            "support_verbosity": true,
            "default_verbosity": "low",
            "apply_patch_tool_type": "freeform",
            "truncation_policy": {"mode": "tokens", "limit": 10000},
            "supports_parallel_tool_calls": true,
            "context_window": 272000,
            "auto_compact_token_limit": 244800,
            "effective_context_window_percent": 95,
            "experimental_supported_tools": [],
            "input_modalities": ["text", "image"],
            "minimal_client_version": "0.98.0",
            "prefer_websockets": false,
            "web_search_tool_type": "text_and_image",
            "service_tiers": [{"id": "priority"}, {"id": "flex"}],
        }),
        json!({
            "slug": "gpt-5.4-mini",
            "display_name": "gpt-5.4-mini",
            "description": "Smaller, faster model for simple tasks.",
            "default_reasoning_level": "medium",
            "supported_reasoning_levels": [
                {"effort": "medium", "description": "Balances speed and reasoning depth"},
                {"effort": "high", "description": "Greater reasoning depth for complex problems"},
            ],
            "shell_type": "shell_command",
            "visibility": "list",
            "supported_in_api": true,
            "priority": 2,
            "upgrade": null,
            "base_instructions": "You are Codex, a coding agent.",
            "supports_reasoning_summaries": true,
            "support_verbosity": true,
            "default_verbosity": "medium",
            "apply_patch_tool_type": "freeform",
            "truncation_policy": {"mode": "tokens", "limit": 10000},
            "supports_parallel_tool_calls": true,
            "context_window": 272000,
            "auto_compact_token_limit": null,
            "effective_context_window_percent": 95,
            "experimental_supported_tools": [],
            "input_modalities": ["text", "image"],
            "minimal_client_version": "0.98.0",
        }),
        json!({
            "slug": "gpt-5.3-codex",
            "display_name": "gpt-5.3-codex",
            "description": "Previous generation coding model.",
            "default_reasoning_level": "medium",
            "supported_reasoning_levels": levels,
            "shell_type": "shell_command",
            "visibility": "hide",
            "supported_in_api": true,
            "priority": 5,
            "upgrade": {"model": "gpt-5.4", "migration_markdown": "Use **gpt-5.4** instead."},
            "base_instructions": "You are Codex, a coding agent.",
            "supports_reasoning_summaries": true,
            "support_verbosity": false,
            "default_verbosity": null,
            "apply_patch_tool_type": "function",
            "truncation_policy": {"mode": "bytes", "limit": 10000},
            "supports_parallel_tool_calls": false,
            "context_window": 200000,
            "auto_compact_token_limit": null,
            "experimental_supported_tools": [],
            "input_modalities": ["text"],
            "minimal_client_version": [0, 60, 0],
        }),
        json!({
            "slug": "gpt-6-preview",
            "display_name": "gpt-6-preview",
            "description": "A model only clients from version 99 on can see (for client_version tests).",
            "default_reasoning_level": "high",
            "supported_reasoning_levels": levels,
            "shell_type": "unified_exec",
            "visibility": "list",
            "supported_in_api": false,
            "priority": 0,
            "upgrade": null,
            "base_instructions": "You are Codex, a coding agent.",
            "supports_reasoning_summaries": true,
            "support_verbosity": true,
            "default_verbosity": "low",
            "apply_patch_tool_type": "freeform",
            "truncation_policy": {"mode": "tokens", "limit": 10000},
            "supports_parallel_tool_calls": true,
            "context_window": 400000,
            "auto_compact_token_limit": 360000,
            "experimental_supported_tools": [],
            "input_modalities": ["text", "image"],
            "minimal_client_version": "99.0.0",
        }),
    ]
}

/// Parse `MAJOR.MINOR.PATCH` (pre-release/build suffixes ignored).
pub fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let core = s.split(['-', '+']).next()?;
    let mut it = core.split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next()?.parse().ok()?;
    let c = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

fn min_version(model: &Value) -> Option<(u64, u64, u64)> {
    match model.get("minimal_client_version")? {
        Value::String(s) => parse_version(s),
        Value::Array(a) => {
            let n = |i: usize| a.get(i).and_then(Value::as_u64).unwrap_or(0);
            Some((n(0), n(1), n(2)))
        }
        _ => None,
    }
}

/// Models visible to a client of version `v`.
pub fn models_for(v: (u64, u64, u64)) -> Vec<Value> {
    models()
        .into_iter()
        .filter(|m| min_version(m).is_none_or(|min| min <= v))
        .collect()
}

/// The §7.4 usage payload.
pub fn usage(plan: &str) -> Value {
    json!({
        "plan_type": plan,
        "rate_limit": {
            "allowed": true,
            "limit_reached": false,
            "primary_window": {"used_percent": 42, "limit_window_seconds": 18000, "reset_after_seconds": 3600, "reset_at": 1_767_229_200},
            "secondary_window": {"used_percent": 10, "limit_window_seconds": 604_800, "reset_after_seconds": 86400, "reset_at": 1_767_744_000},
        },
        "credits": {"has_credits": false, "unlimited": false, "balance": "0", "approx_local_messages": null, "approx_cloud_messages": null},
        "additional_rate_limits": [{
            "limit_name": "codex_other",
            "metered_feature": "codex_other",
            "rate_limit": {"allowed": true, "limit_reached": false, "primary_window": null, "secondary_window": null},
        }],
        "rate_limit_reached_type": null,
        "code_review_rate_limit": null,
        "rate_limit_reset_credits": {"available_count": 0},
    })
}

/// The compact answer: the user messages of `input`, then a `compaction` item.
pub fn compact(input: &[Value]) -> Value {
    let mut output: Vec<Value> = input
        .iter()
        .filter(|i| {
            i.get("type").and_then(Value::as_str) == Some("message")
                && i.get("role").and_then(Value::as_str) == Some("user")
        })
        .cloned()
        .collect();
    output.push(json!({
        "type": "compaction",
        "id": "cmp_mock_0",
        "encrypted_content": COMPACTION_CONTENT,
    }));
    json!({ "output": output })
}

/// The `wham/accounts/check` answer (protocol §14.1) for one account; `None` is
/// `NO_CONSTRAINT`.
pub fn accounts_check(
    account_id: &str,
    origin: Option<&str>,
    routing_override: Option<&str>,
) -> Value {
    json!({
        "accounts": [{
            "id": account_id,
            "workspace_backend_origin": origin.unwrap_or("NO_CONSTRAINT"),
            "account_routing_override": routing_override.unwrap_or("NO_CONSTRAINT"),
            "structure": "personal",
        }],
        "account_ordering": [account_id],
        "default_account_id": account_id,
    })
}

/// The opaque content of the mock's compaction items (v1 and v2).
pub const COMPACTION_CONTENT: &str = "gAAAAA-codex-mock-encrypted-compaction";

/// True when a `/responses` input ends in `{"type":"compaction_trigger"}` (compaction v2).
pub fn is_compaction_v2(input: &[Value]) -> bool {
    input
        .last()
        .and_then(|i| i.get("type"))
        .and_then(Value::as_str)
        == Some("compaction_trigger")
}

/// The trace_summarize answer: one summary per trace.
pub fn trace_summarize(traces: &[Value]) -> Value {
    let output: Vec<Value> = traces
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = t.get("id").and_then(Value::as_str).unwrap_or("trace");
            json!({
                "trace_summary": format!("Summary of trace {id} ({i})."),
                "memory_summary": format!("Memory from trace {id}."),
            })
        })
        .collect();
    json!({ "output": output })
}

/// The SDP answer body for realtime calls.
pub fn sdp_answer() -> String {
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=mid:0",
        "a=sendrecv",
        "a=rtpmap:111 opus/48000/2",
        "a=setup:passive",
        "",
    ]
    .join("\r\n")
}
