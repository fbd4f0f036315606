//! The recorded cases: each one's request, and the base URLs recording accepts.

use serde_json::Value;
use serde_json::json;

use super::CLIENT_VERSION;

/// Every case, in recording order.
pub const CASES: &[&str] = &[
    "text",
    "tool_call",
    "reasoning_summary",
    "structured_output",
    "image",
    "compact",
    "models",
    "usage",
];
/// Fixed conversation id used for `prompt_cache_key` and the session headers.
pub(super) const THREAD_ID: &str = "00000000-0000-4000-8000-00000000f1c5";

pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) method: &'static str,
    pub(super) url: String,
    pub(super) body: Option<Value>,
    pub(super) sse: bool,
}

fn responses_body(input: Vec<Value>) -> Value {
    let mut b = codex_mock::request_body(input, Some("gpt-5.4"));
    b["prompt_cache_key"] = json!(THREAD_ID);
    b
}

fn usage_url(base: &str) -> String {
    let root = base.strip_suffix("/codex").unwrap_or(base);
    format!("{root}/wham/usage")
}

pub(super) fn case(name: &str, base: &str) -> Option<Case> {
    let user = codex_mock::user_text;
    let post = |body: Value| Case {
        name: CASES.iter().copied().find(|c| *c == name).unwrap_or("text"),
        method: "POST",
        url: format!("{base}/responses"),
        body: Some(body),
        sse: true,
    };
    Some(match name {
        "text" => post(responses_body(vec![user("Say hello in five words.")])),
        "tool_call" => {
            let mut b = responses_body(vec![user(
                "What is the weather in Paris? Use the get_weather tool.",
            )]);
            b["tools"] = json!([{"type": "function", "name": "get_weather", "description": "Current weather for a city",
                "strict": false, "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
            post(b)
        }
        "reasoning_summary" => {
            let mut b = responses_body(vec![user("Which is larger, 9.11 or 9.9? Think briefly.")]);
            b["reasoning"] = json!({"effort": "low", "summary": "auto"});
            b["include"] = json!(["reasoning.encrypted_content"]);
            post(b)
        }
        "structured_output" => {
            let mut b = responses_body(vec![user("Give the capital of France.")]);
            b["text"] = json!({"format": {"type": "json_schema", "strict": true, "name": "codex_output_schema",
                "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"], "additionalProperties": false}}});
            post(b)
        }
        "image" => post(responses_body(vec![
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "What color is this image? One word."},
                {"type": "input_image", "image_url": codex_mock::TINY_PNG_DATA_URL, "detail": "auto"},
            ]}),
        ])),
        "compact" => Case {
            name: "compact",
            method: "POST",
            url: format!("{base}/responses/compact"),
            body: Some(json!({
                "model": "gpt-5.4",
                "instructions": "You are a helpful assistant.",
                "input": [
                    user("Remember the number 7."),
                    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "I will remember 7."}]},
                ],
                "parallel_tool_calls": false,
                "prompt_cache_key": THREAD_ID,
            })),
            sse: false,
        },
        "models" => Case {
            name: "models",
            method: "GET",
            url: format!("{base}/models?client_version={CLIENT_VERSION}"),
            body: None,
            sse: false,
        },
        "usage" => Case {
            name: "usage",
            method: "GET",
            url: usage_url(base),
            body: None,
            sse: false,
        },
        _ => return None,
    })
}

pub(super) fn check_base_url(base: &str) -> Result<(), String> {
    if let Some(rest) = base.strip_prefix("http://") {
        let authority = rest.split('/').next().unwrap_or("");
        let host = if authority.starts_with('[') {
            authority
                .split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or("").to_owned()
        };
        if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(format!(
                "refusing plain http to {host}: http is only for loopback"
            ));
        }
        Ok(())
    } else if base.starts_with("https://") {
        Ok(())
    } else {
        Err(format!(
            "base URL must start with https:// (or http:// for loopback): {base}"
        ))
    }
}
