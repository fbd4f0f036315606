//! The event sequences of the canned replies (text, reasoning, a truncated stream, rate
//! limits), and the reasoning strip of
//! [`Reply::without_encrypted_reasoning`](super::Reply::without_encrypted_reasoning).

use bytes::Bytes;
use serde_json::Value;
use serde_json::json;

use crate::events::DEFAULT_MODEL;
use crate::events::SseEvent;
use crate::events::StreamBuilder;
use crate::events::Usage;
use crate::events::canonical_json;
use crate::events::split_words;

use super::DEFAULT_TEXT;
use super::text_usage;

/// `data:` lines of `bytes` re-encoded without the `encrypted_content` of reasoning items;
/// every other line (and a `data:` line that is not whole JSON) is kept as it is.
pub(super) fn strip_encrypted_reasoning(bytes: &Bytes) -> Bytes {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                if o.get("type").and_then(Value::as_str) == Some("reasoning") {
                    o.remove("encrypted_content");
                }
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let data = line.strip_prefix("data: ").map(str::trim_end);
        match data.and_then(|d| serde_json::from_str::<Value>(d).ok()) {
            Some(mut v) => {
                strip(&mut v);
                out.push_str("data: ");
                out.push_str(&canonical_json(&v));
                out.push('\n');
            }
            None => out.push_str(line),
        }
    }
    Bytes::from(out)
}

/// Events of a plain text answer.
pub fn text_events(response_id: &str, item_id: &str, text: &str) -> Vec<SseEvent> {
    let mut b = StreamBuilder::new(response_id, DEFAULT_MODEL);
    b.created();
    b.message(item_id, &split_words(text));
    b.completed(text_usage(text));
    b.finish()
}

pub(super) fn reasoning_events(summary: &str, answer: &str) -> Vec<SseEvent> {
    let mut b = StreamBuilder::new("resp_mock_reasoning", DEFAULT_MODEL);
    b.created();
    let parts: Vec<&str> = summary.split("\n\n").filter(|p| !p.is_empty()).collect();
    b.reasoning("rs_mock_0", &parts);
    b.message("msg_mock_reasoning_1", &split_words(answer));
    b.completed(Usage::new(
        64,
        0,
        split_words(answer).len() as u64 + 128,
        128,
    ));
    b.finish()
}

pub(super) fn truncated_events() -> Vec<SseEvent> {
    let mut b = StreamBuilder::new("resp_mock_truncated", DEFAULT_MODEL);
    b.created();
    b.message_opts(
        "msg_mock_truncated_0",
        &["This stream", " ends", " early"],
        false,
    );
    b.finish()
}

pub(super) fn rate_limit_events() -> Vec<SseEvent> {
    let mut b = StreamBuilder::new("resp_mock_text", DEFAULT_MODEL);
    b.push_raw(
        "codex.rate_limits",
        json!({
            "plan_type": "plus",
            "rate_limits": {
                "primary": {"used_percent": 42.0, "window_minutes": 300, "reset_at": 1_767_236_400},
                "secondary": {"used_percent": 10.0, "window_minutes": 10080, "reset_at": 1_767_744_000},
            },
            "credits": {"has_credits": false, "unlimited": false, "balance": "0"},
            "metered_limit_name": "codex",
            "limit_name": "codex",
        }),
    );
    b.push_raw(
        "response.metadata",
        json!({
            "response_id": "resp_mock_text",
            "headers": {"openai-model": DEFAULT_MODEL, "x-codex-turn-state": "ts_mock_synthetic"},
            "metadata": {},
        }),
    );
    let mut events = b.finish();
    events.extend(text_events(
        "resp_mock_text",
        "msg_mock_text_0",
        DEFAULT_TEXT,
    ));
    events
}
