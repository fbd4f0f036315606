//! The synthetic fixture cases (`fixtures/*.synthetic.sse`): each stem, the reply that serves
//! it and the request that would produce it, plus the request-body helpers they use.

use std::time::Duration;

use serde_json::Value;
use serde_json::json;

use crate::events::DEFAULT_MODEL;

use super::DEFAULT_TEXT;
use super::FunctionCallSpec;
use super::RATE_LIMIT_MESSAGE;
use super::Reply;
use super::text_events;

/// The synthetic fixture cases: file stem (without `.synthetic.sse`), the reply that serves
/// it, and the request body that would produce it.
pub fn synthetic_cases() -> Vec<(String, Reply, Value)> {
    let text_req = |text: &str| request_body(vec![user_text(text)], None);
    let mut v: Vec<(String, Reply, Value)> = vec![
        (
            "text".into(),
            Reply::text(DEFAULT_TEXT),
            text_req("Say hello."),
        ),
        (
            "parallel_tool_calls".into(),
            Reply::tool_calls(vec![
                FunctionCallSpec::named("get_weather")
                    .call_id("call_mock_0")
                    .arguments(r#"{"city":"Paris"}"#),
                FunctionCallSpec::named("get_weather")
                    .call_id("call_mock_1")
                    .arguments(r#"{"city":"Tokyo"}"#),
            ]),
            {
                let mut r = text_req("What is the weather in Paris and Tokyo?");
                r["tools"] = json!([{"type": "function", "name": "get_weather", "description": "Current weather for a city", "strict": false,
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
                r["tool_choice"] = json!("auto");
                r["parallel_tool_calls"] = json!(true);
                r
            },
        ),
        (
            "custom_tool_call".into(),
            Reply::custom_tool_call(
                FunctionCallSpec::named("apply_patch")
                    .call_id("call_mock_0")
                    .arguments(
                        "*** Begin Patch\n*** Add File: hello.txt\n+Hello world\n*** End Patch",
                    ),
            ),
            {
                let mut r = text_req("Create hello.txt containing Hello world.");
                r["tools"] = json!([{"type": "custom", "name": "apply_patch", "description": "Apply a patch", "format": {"type": "text"}}]);
                r["tool_choice"] = json!("auto");
                r
            },
        ),
        (
            "reasoning_summary".into(),
            Reply::reasoning(
                "**Checking small primes**\n\nTwo, three and five are the first primes.",
                "2, 3 and 5.",
            ),
            {
                let mut r = text_req("List three primes.");
                r["reasoning"] = json!({"effort": "medium", "summary": "auto"});
                r["include"] = json!(["reasoning.encrypted_content"]);
                r
            },
        ),
        (
            "structured_output".into(),
            Reply::structured(json!({"answer": "42"})),
            {
                let mut r = text_req("Answer in JSON.");
                r["text"] = json!({"format": {"type": "json_schema", "strict": true, "name": "codex_output_schema",
                    "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"], "additionalProperties": false}}});
                r
            },
        ),
        (
            "image_input".into(),
            Reply::events(text_events(
                "resp_mock_image",
                "msg_mock_image_0",
                "The image shows a single red pixel.",
            )),
            request_body(
                vec![json!({"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "What is in this image?"},
                    {"type": "input_image", "image_url": TINY_PNG_DATA_URL, "detail": "auto"},
                ]})],
                None,
            ),
        ),
        (
            "web_search".into(),
            Reply::web_search(
                "rust sse parser",
                "Here is what I found about SSE parsers in Rust.",
            ),
            {
                let mut r = text_req("Search the web for a Rust SSE parser.");
                r["tools"] = json!([{"type": "web_search", "external_web_access": true}]);
                r
            },
        ),
    ];
    let failures: [(&str, &str); 14] = [
        (
            "context_length_exceeded",
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
        ),
        (
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        ),
        (
            "usage_not_included",
            "Codex is not included in your current plan.",
        ),
        (
            "cyber_policy",
            "This request has been flagged for possible cybersecurity risk.",
        ),
        (
            "invalid_prompt",
            "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
        ),
        (
            "server_is_overloaded",
            "Our servers are currently overloaded. Please try again later.",
        ),
        ("slow_down", "Please slow down and try again later."),
        ("flex_unavailable", "Flex capacity unavailable."),
        (
            "bio_policy",
            "This request has been flagged for possible biological risk.",
        ),
        (
            "credit_balance_exhausted",
            "Your credit balance is exhausted. Add credits to continue.",
        ),
        (
            "organization_spend_limit_exceeded",
            "Your organization has reached its spend limit.",
        ),
        (
            "project_spend_limit_exceeded",
            "This project has reached its spend limit.",
        ),
        ("rate_limit_exceeded", RATE_LIMIT_MESSAGE),
        (
            "mock_unknown_code",
            "An unexpected error occurred (code unknown to clients).",
        ),
    ];
    for (code, message) in failures {
        let stem = if code == "mock_unknown_code" {
            "failed_unknown_code".to_owned()
        } else {
            format!("failed_{code}")
        };
        v.push((stem, Reply::failed(code, message), text_req("Say hello.")));
    }
    v.push((
        "incomplete".into(),
        Reply::incomplete("max_output_tokens"),
        text_req("Write a long essay."),
    ));
    v.push((
        "incomplete_content_filter".into(),
        Reply::incomplete("content_filter"),
        text_req("Write a long essay."),
    ));
    v.push((
        "error_wrapped_usage_limit".into(),
        Reply::wrapped_error(
            429,
            json!({"type": "usage_limit_reached", "message": "You've hit your usage limit.",
                "plan_type": "pro", "resets_at": 1767229200, "limit_window_minutes": 300}),
            json!({"x-codex-primary-used-percent": "100.0", "x-codex-primary-window-minutes": 300}),
        ),
        text_req("Say hello."),
    ));
    v.push((
        "error_wrapped_rate_limit".into(),
        Reply::wrapped_error(
            429,
            json!({"type": "rate_limit_error", "code": "rate_limit_exceeded", "message": "Rate limit reached."}),
            json!({"retry-after-ms": "1500"}),
        ),
        text_req("Say hello."),
    ));
    v.push((
        "turn_metadata".into(),
        Reply::with_turn_metadata(DEFAULT_TEXT),
        text_req("Say hello."),
    ));
    v.push((
        "error_event".into(),
        Reply::error_event(
            "server_error",
            "The server had an error while processing your request.",
        ),
        text_req("Say hello."),
    ));
    v.push((
        "rate_limits".into(),
        Reply::rate_limits(),
        text_req("Say hello."),
    ));
    v.push((
        "keepalive".into(),
        Reply::keep_alive(3, Duration::ZERO),
        text_req("Say hello."),
    ));
    v.push((
        "truncated".into(),
        Reply::truncated(),
        text_req("Say hello."),
    ));
    v
}

/// A 1x1 red PNG as a data URL (used by the image fixtures and `xtask record`).
pub const TINY_PNG_DATA_URL: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// A user message item with one `input_text` part.
pub fn user_text(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

/// A minimal valid `/responses` request body (protocol §4.1) for `input`.
pub fn request_body(input: Vec<Value>, model: Option<&str>) -> Value {
    json!({
        "model": model.unwrap_or(DEFAULT_MODEL),
        "instructions": "You are a helpful assistant.",
        "input": input,
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "store": false,
        "stream": true,
        "prompt_cache_key": "00000000-0000-4000-8000-0000000c0de0",
    })
}
