//! Default JSON documents: model catalog (§7.2), usage (§7.4), compact (§7.1), memories (E6).

use serde_json::Value;
use serde_json::json;

/// The fields every catalog entry shares; [`models`] overrides them per model. Together they
/// cover every key the official client's `ModelInfo` requires (protocol §7.2, §14.4), so the
/// catalog decodes there without a warning.
fn base_model(slug: &str) -> Value {
    json!({
        "slug": slug,
        "display_name": slug,
        "description": null,
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": [
            {"effort": "low", "description": "Fast responses with lighter reasoning"},
            {"effort": "medium", "description": "Balances speed and reasoning depth"},
            {"effort": "high", "description": "Greater reasoning depth for complex problems"},
            {"effort": "xhigh", "description": "Extra high reasoning depth for complex problems"},
        ],
        "shell_type": "shell_command",
        "visibility": "list",
        "supported_in_api": true,
        "priority": 1,
        "additional_speed_tiers": [],
        "service_tiers": [],
        "availability_nux": null,
        "upgrade": null,
        "base_instructions": "You are Codex, a coding agent.",
        "supports_reasoning_summaries": true,
        "default_reasoning_summary": "auto",
        "support_verbosity": true,
        "default_verbosity": "low",
        "apply_patch_tool_type": "freeform",
        "web_search_tool_type": "text_and_image",
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "supports_parallel_tool_calls": true,
        "supports_image_detail_original": false,
        "context_window": 272000,
        "auto_compact_token_limit": null,
        "effective_context_window_percent": 95,
        "experimental_supported_tools": [],
        "input_modalities": ["text", "image"],
        "minimal_client_version": "0.98.0",
        "prefer_websockets": false,
    })
}

/// `base` with the keys of `overrides` replaced.
fn with(mut base: Value, overrides: Value) -> Value {
    if let (Value::Object(b), Value::Object(o)) = (&mut base, overrides) {
        b.extend(o);
    }
    base
}

/// The full mock model catalog: `gpt-5.4`, `gpt-5.4-mini`, `gpt-5.3-codex` (hidden, with an
/// upgrade), `gpt-6-preview` (`minimal_client_version` `99.0.0`, never enforced).
///
/// `service_tiers` entries carry `id`, `name` and `description`, and `apply_patch_tool_type`
/// is `freeform` or null: the official client refuses the whole catalog otherwise (§14.4).
pub fn models() -> Vec<Value> {
    vec![
        with(
            base_model("gpt-5.4"),
            json!({
                "description": "Latest frontier agentic coding model.",
                "auto_compact_token_limit": 244800,
                "service_tiers": [
                    {"id": "priority", "name": "Fast", "description": "Priority processing: faster answers, more usage."},
                    {"id": "flex", "name": "Flex", "description": "Flexible processing: slower answers, less usage."},
                ],
            }),
        ),
        with(
            base_model("gpt-5.4-mini"),
            json!({
                "description": "Smaller, faster model for simple tasks.",
                "supported_reasoning_levels": [
                    {"effort": "medium", "description": "Balances speed and reasoning depth"},
                    {"effort": "high", "description": "Greater reasoning depth for complex problems"},
                ],
                "priority": 2,
                "default_verbosity": "medium",
            }),
        ),
        with(
            base_model("gpt-5.3-codex"),
            json!({
                "description": "Previous generation coding model.",
                "visibility": "hide",
                "priority": 5,
                "upgrade": {"model": "gpt-5.4", "migration_markdown": "Use **gpt-5.4** instead."},
                "support_verbosity": false,
                "default_verbosity": null,
                "apply_patch_tool_type": null,
                "web_search_tool_type": "text",
                "truncation_policy": {"mode": "bytes", "limit": 10000},
                "supports_parallel_tool_calls": false,
                "context_window": 200000,
                "input_modalities": ["text"],
                "minimal_client_version": [0, 60, 0],
            }),
        ),
        with(
            base_model("gpt-6-preview"),
            json!({
                "description": "A preview model whose minimal_client_version (99.0.0) the mock lists but does not enforce.",
                "default_reasoning_level": "high",
                "shell_type": "unified_exec",
                "supported_in_api": false,
                "priority": 9,
                "context_window": 400000,
                "auto_compact_token_limit": 360000,
                "minimal_client_version": "99.0.0",
            }),
        ),
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

/// Models visible to a client of version `v`: all of them. The real backend is not known to
/// hide entries whose `minimal_client_version` is above `client_version` (protocol §7.2,
/// §14.4), and hiding them made the seed SDK's `client_version=0.1.0` see no model at all.
pub fn models_for(v: (u64, u64, u64)) -> Vec<Value> {
    let _ = v;
    models()
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

/// The §7.4 usage payload for `identity`, with the account keys the live payload also carries
/// (`user_id`, `account_id`, `email`, `promo`), which some third-party clients require.
pub fn usage_for(identity: &crate::Identity) -> Value {
    let mut v = usage(&identity.plan);
    if let Value::Object(m) = &mut v {
        m.insert("user_id".into(), json!(identity.user_id));
        m.insert("account_id".into(), json!(identity.account_id));
        m.insert("email".into(), json!(identity.email));
        m.insert("promo".into(), Value::Null);
    }
    v
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
