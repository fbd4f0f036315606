//! The `sse_dump` JSON line format, shared by `examples/sse_dump.rs` and `tests/fixtures.rs`.
#![allow(dead_code)]

use codex_sse::{EndOfStream, Event};

fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_str)
}

/// `{"event": <type>, "data": <string>, "id": <last event id or null>, "retry": <ms or null>}`
pub fn event_line(e: &Event) -> String {
    format!(
        "{{\"event\": {}, \"data\": {}, \"id\": {}, \"retry\": {}}}",
        json_str(e.event_type()),
        json_str(e.data()),
        json_opt(e.id()),
        e.retry()
            .map_or_else(|| "null".to_owned(), |d| d.as_millis().to_string()),
    )
}

/// `{"eof": true, "truncated": <bool>, "last_event_id": <string or null>}`
pub fn eof_line(end: &EndOfStream) -> String {
    format!(
        "{{\"eof\": true, \"truncated\": {}, \"last_event_id\": {}}}",
        end.truncated,
        json_opt(end.last_event_id.as_deref()),
    )
}
