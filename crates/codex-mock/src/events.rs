//! Builders for the SSE event sequences the backend sends (protocol §5.3).
//!
//! Every scripted [`Reply`](crate::Reply) that streams events is built from these functions, and
//! the synthetic fixtures in `fixtures/synthetic/` are generated from them too, so the files and
//! the server always agree byte for byte (a test checks this).

use serde_json::Map;
use serde_json::Value;
use serde_json::json;

/// The model name the mock reports unless a request names another.
pub const DEFAULT_MODEL: &str = "gpt-5.4";

/// Fixed `created_at` used by generated responses (2026-01-01T00:00:00Z), so output is stable.
pub const CREATED_AT: i64 = 1_767_225_600;

/// One server-sent event: its `type` and its JSON payload (which also holds `type`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SseEvent {
    /// The `event:` name, equal to the payload's `type`.
    pub kind: String,
    /// The `data:` payload.
    pub data: Value,
}

impl SseEvent {
    /// An event of type `kind` with the `data` payload (which should also hold `type`).
    pub fn new(kind: impl Into<String>, data: Value) -> SseEvent {
        SseEvent {
            kind: kind.into(),
            data,
        }
    }

    /// Serialize as `event: <type>\ndata: <json>\n\n` with a stable key order (`type` first,
    /// then keys sorted), independent of serde_json's `preserve_order` feature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.kind.as_bytes());
        out.extend_from_slice(b"\ndata: ");
        write_json(&mut out, &self.data);
        out.extend_from_slice(b"\n\n");
        out
    }
}

/// Encode `value` as compact JSON with a stable key order (`type` first, then sorted keys).
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_json(&mut out, value);
    String::from_utf8_lossy(&out).into_owned()
}

fn write_json(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Object(map) => {
            out.push(b'{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| {
                let at = a.as_str() == "type";
                let bt = b.as_str() == "type";
                bt.cmp(&at).then_with(|| a.cmp(b))
            });
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(out, &Value::String((*key).clone()));
                out.push(b':');
                if let Some(v) = map.get(*key) {
                    write_json(out, v);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        other => write_scalar(out, other),
    }
}

fn write_scalar(out: &mut Vec<u8>, value: &Value) {
    // Serializing a scalar JSON value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Concatenate events into one SSE byte stream.
pub fn to_sse_bytes(events: &[SseEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    for ev in events {
        out.extend_from_slice(&ev.to_bytes());
    }
    out
}

/// Token counts reported in `response.completed` / `response.incomplete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// `input_tokens`.
    pub input_tokens: u64,
    /// `input_tokens_details.cached_tokens`.
    pub cached_tokens: u64,
    /// `output_tokens`.
    pub output_tokens: u64,
    /// `output_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Token counts: input (of which `cached_tokens` were cached) and output (of which
    /// `reasoning_tokens` were reasoning).
    pub fn new(
        input_tokens: u64,
        cached_tokens: u64,
        output_tokens: u64,
        reasoning_tokens: u64,
    ) -> Usage {
        Usage {
            input_tokens,
            cached_tokens,
            output_tokens,
            reasoning_tokens,
        }
    }

    /// The usage object as sent on the wire.
    pub fn to_json(&self) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + self.output_tokens,
        })
    }
}

/// Incrementally builds one response's event sequence with correct `sequence_number`s.
#[derive(Debug, Clone)]
pub struct StreamBuilder {
    response_id: String,
    model: String,
    seq: u64,
    events: Vec<SseEvent>,
    output: Vec<Value>,
}

impl StreamBuilder {
    /// Start a stream for response `response_id` served by `model`.
    pub fn new(response_id: &str, model: &str) -> StreamBuilder {
        StreamBuilder {
            response_id: response_id.to_owned(),
            model: model.to_owned(),
            seq: 0,
            events: Vec::new(),
            output: Vec::new(),
        }
    }

    /// The response id.
    pub fn response_id(&self) -> &str {
        &self.response_id
    }

    /// Index the next output item will get.
    pub fn next_output_index(&self) -> usize {
        self.output.len()
    }

    /// Push an event of `kind` whose payload fields are `fields` (`type` and
    /// `sequence_number` are added).
    pub fn push(&mut self, kind: &str, fields: Value) -> &mut Self {
        let mut map = match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        map.insert("type".into(), Value::String(kind.to_owned()));
        map.insert("sequence_number".into(), json!(self.seq));
        self.seq += 1;
        self.events.push(SseEvent {
            kind: kind.to_owned(),
            data: Value::Object(map),
        });
        self
    }

    /// Push an event without a `sequence_number` (used for `codex.*` and metadata events).
    pub fn push_raw(&mut self, kind: &str, fields: Value) -> &mut Self {
        let mut map = match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        map.insert("type".into(), Value::String(kind.to_owned()));
        self.events.push(SseEvent {
            kind: kind.to_owned(),
            data: Value::Object(map),
        });
        self
    }

    /// The `response` object in a given status.
    pub fn response_object(&self, status: &str, usage: Option<Usage>, output: bool) -> Value {
        json!({
            "id": self.response_id,
            "object": "response",
            "created_at": CREATED_AT,
            "status": status,
            "background": false,
            "error": null,
            "incomplete_details": null,
            "instructions": null,
            "model": self.model,
            "output": if output { Value::Array(self.output.clone()) } else { json!([]) },
            "parallel_tool_calls": false,
            "reasoning": null,
            "store": false,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage.map(|u| u.to_json()).unwrap_or(Value::Null),
            "metadata": {},
        })
    }

    /// `response.created` then `response.in_progress`.
    pub fn created(&mut self) -> &mut Self {
        let resp = self.response_object("in_progress", None, false);
        self.push("response.created", json!({ "response": resp }));
        let resp = self.response_object("in_progress", None, false);
        self.push("response.in_progress", json!({ "response": resp }))
    }

    /// A complete assistant message whose text arrives as the given deltas.
    pub fn message(&mut self, item_id: &str, deltas: &[&str]) -> &mut Self {
        self.message_opts(item_id, deltas, true)
    }

    /// Like [`message`](Self::message), stopping after the deltas when `finish` is false.
    pub fn message_opts(&mut self, item_id: &str, deltas: &[&str], finish: bool) -> &mut Self {
        let idx = self.item_added(
            json!({"id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}),
        );
        self.push(
            "response.content_part.added",
            json!({
                "item_id": item_id, "output_index": idx, "content_index": 0,
                "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
            }),
        );
        let ids =
            json!({"item_id": item_id, "output_index": idx, "content_index": 0, "logprobs": []});
        self.deltas(&ids, "response.output_text.delta", deltas.iter().copied());
        if !finish {
            return self;
        }
        let text: String = deltas.concat();
        let part = json!({"type": "output_text", "annotations": [], "logprobs": [], "text": text});
        self.push("response.output_text.done", with_field(&ids, "text", &text));
        self.push(
            "response.content_part.done",
            json!({"item_id": item_id, "output_index": idx, "content_index": 0, "part": part}),
        );
        let item = json!({
            "id": item_id, "type": "message", "status": "completed", "role": "assistant",
            "content": [part],
        });
        self.item_done(idx, item)
    }

    /// `response.output_item.added` for the next output item; returns its `output_index`.
    fn item_added(&mut self, item: Value) -> usize {
        let idx = self.next_output_index();
        self.push(
            "response.output_item.added",
            json!({"output_index": idx, "item": item}),
        );
        idx
    }

    /// One `kind` event per piece, each with the fields of `ids` (`item_id`, `output_index`,
    /// …) and the piece under `delta`.
    fn deltas<'a>(
        &mut self,
        ids: &Value,
        kind: &str,
        pieces: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        for piece in pieces {
            self.push(kind, with_field(ids, "delta", piece));
        }
        self
    }

    fn item_done(&mut self, idx: usize, item: Value) -> &mut Self {
        self.push(
            "response.output_item.done",
            json!({"output_index": idx, "item": item.clone()}),
        );
        self.output.push(item);
        self
    }

    /// A `compaction` output item (compaction v2): added, then done, with opaque content.
    pub fn compaction(&mut self, item_id: &str, encrypted_content: &str) -> &mut Self {
        let item =
            json!({"id": item_id, "type": "compaction", "encrypted_content": encrypted_content});
        let idx = self.item_added(item.clone());
        self.item_done(idx, item)
    }

    /// A function call item with its argument deltas.
    pub fn function_call(
        &mut self,
        item_id: &str,
        name: &str,
        call_id: &str,
        arguments: &str,
    ) -> &mut Self {
        self.streamed_call(
            json!({"id": item_id, "type": "function_call", "call_id": call_id, "name": name}),
            json!({"item_id": item_id}),
            "response.function_call_arguments",
            ("arguments", arguments),
        )
    }

    /// A custom (freeform) tool call item with its input deltas.
    pub fn custom_tool_call(
        &mut self,
        item_id: &str,
        name: &str,
        call_id: &str,
        input: &str,
    ) -> &mut Self {
        self.streamed_call(
            json!({"id": item_id, "type": "custom_tool_call", "call_id": call_id, "name": name}),
            json!({"item_id": item_id, "call_id": call_id}),
            "response.custom_tool_call_input",
            ("input", input),
        )
    }

    /// A tool call `item` whose `field` streams: `output_item.added` (in progress, `field`
    /// empty), two `<events>.delta` and one `<events>.done` (each with `ids` and the output
    /// index), then `output_item.done` (completed, the whole `field`).
    fn streamed_call(
        &mut self,
        item: Value,
        ids: Value,
        events: &str,
        (field, value): (&str, &str),
    ) -> &mut Self {
        let with_status =
            |status: &str, v: &str| with_field(&with_field(&item, "status", status), field, v);
        let idx = self.item_added(with_status("in_progress", ""));
        let mut ids = ids;
        if let Value::Object(m) = &mut ids {
            m.insert("output_index".to_owned(), json!(idx));
        }
        self.deltas(&ids, &format!("{events}.delta"), split_half(value));
        self.push(&format!("{events}.done"), with_field(&ids, field, value));
        self.item_done(idx, with_status("completed", value))
    }

    /// A reasoning item: one summary part per entry of `summary_parts` (each streamed as
    /// word deltas), then the item with `encrypted_content`.
    pub fn reasoning(&mut self, item_id: &str, summary_parts: &[&str]) -> &mut Self {
        self.reasoning_with_content(item_id, summary_parts, &fake_encrypted(item_id))
    }

    /// [`reasoning`](Self::reasoning) whose item carries `encrypted_content` as given (for
    /// example several KB of opaque base64, as the backend returns it when the request asks
    /// for `include: ["reasoning.encrypted_content"]`) instead of the short fake blob.
    pub fn reasoning_with_content(
        &mut self,
        item_id: &str,
        summary_parts: &[&str],
        encrypted_content: &str,
    ) -> &mut Self {
        let idx = self.item_added(
            json!({"id": item_id, "type": "reasoning", "summary": [], "encrypted_content": null}),
        );
        let mut summary = Vec::new();
        for (si, text) in summary_parts.iter().enumerate() {
            self.push(
                "response.reasoning_summary_part.added",
                json!({"item_id": item_id, "output_index": idx, "summary_index": si, "part": {"type": "summary_text", "text": ""}}),
            );
            let ids = json!({"item_id": item_id, "output_index": idx, "summary_index": si});
            self.deltas(
                &ids,
                "response.reasoning_summary_text.delta",
                split_words(text),
            );
            self.push(
                "response.reasoning_summary_text.done",
                with_field(&ids, "text", text),
            );
            let part = json!({"type": "summary_text", "text": text});
            self.push(
                "response.reasoning_summary_part.done",
                json!({"item_id": item_id, "output_index": idx, "summary_index": si, "part": part.clone()}),
            );
            summary.push(part);
        }
        let item = json!({
            "id": item_id, "type": "reasoning", "summary": summary,
            "encrypted_content": encrypted_content,
        });
        self.item_done(idx, item)
    }

    /// A server-side web search: `web_search_call` item plus its progress events.
    pub fn web_search(&mut self, item_id: &str, query: &str) -> &mut Self {
        let idx = self
            .item_added(json!({"id": item_id, "type": "web_search_call", "status": "in_progress"}));
        for phase in ["in_progress", "searching", "completed"] {
            self.push(
                &format!("response.web_search_call.{phase}"),
                json!({"item_id": item_id, "output_index": idx}),
            );
        }
        let item = json!({
            "id": item_id, "type": "web_search_call", "status": "completed",
            "action": {"type": "search", "query": query},
        });
        self.item_done(idx, item)
    }

    /// `response.completed` with usage and the accumulated output.
    pub fn completed(&mut self, usage: Usage) -> &mut Self {
        let resp = self.response_object("completed", Some(usage), true);
        self.push("response.completed", json!({ "response": resp }))
    }

    /// `response.failed` carrying `error {code, message}`.
    pub fn failed(&mut self, code: &str, message: &str) -> &mut Self {
        let mut resp = self.response_object("failed", None, true);
        if let Value::Object(m) = &mut resp {
            m.insert("error".into(), json!({"code": code, "message": message}));
        }
        self.push("response.failed", json!({ "response": resp }))
    }

    /// `response.incomplete` with `incomplete_details.reason`.
    pub fn incomplete(&mut self, reason: &str, usage: Usage) -> &mut Self {
        let mut resp = self.response_object("incomplete", Some(usage), true);
        if let Value::Object(m) = &mut resp {
            m.insert("incomplete_details".into(), json!({ "reason": reason }));
        }
        self.push("response.incomplete", json!({ "response": resp }))
    }

    /// A top-level `error` event: `{"type":"error","error":{type,code,message}}`.
    pub fn error_event(&mut self, code: &str, message: &str) -> &mut Self {
        self.push(
            "error",
            json!({"error": {"type": "server_error", "code": code, "message": message}}),
        )
    }

    /// A wrapped error frame, as the WebSocket transport sends an HTTP error:
    /// `{"type":"error","status":…,"error":{…},"headers":{…}}` (protocol §6).
    pub fn wrapped_error(&mut self, status: u16, error: Value, headers: Value) -> &mut Self {
        self.push(
            "error",
            json!({"status": status, "error": error, "headers": headers}),
        )
    }

    /// A `response.in_progress` event carrying a `safety_buffering` object (protocol §14.5).
    pub fn safety_buffering(&mut self, buffering: Value) -> &mut Self {
        let resp = self.response_object("in_progress", None, false);
        self.push(
            "response.in_progress",
            json!({"response": resp, "safety_buffering": buffering}),
        )
    }

    /// `response.completed` with usage, the accumulated output and `extra` fields added to
    /// its `response` object (e.g. `usage_metadata`, `end_turn`).
    pub fn completed_with(&mut self, usage: Usage, extra: Value) -> &mut Self {
        let mut resp = self.response_object("completed", Some(usage), true);
        if let (Value::Object(m), Value::Object(extra)) = (&mut resp, extra) {
            m.extend(extra);
        }
        self.push("response.completed", json!({ "response": resp }))
    }

    /// The events built so far.
    pub fn events(&self) -> &[SseEvent] {
        &self.events
    }

    /// Finish and return the events.
    pub fn finish(self) -> Vec<SseEvent> {
        self.events
    }
}

/// Opaque, clearly fake `encrypted_content` blob for an item.
pub fn fake_encrypted(item_id: &str) -> String {
    format!("gAAAAA-codex-mock-encrypted-{item_id}")
}

/// `ids` (a JSON object) with `key` set to the string `value`.
fn with_field(ids: &Value, key: &str, value: &str) -> Value {
    let mut fields = ids.clone();
    if let Value::Object(m) = &mut fields {
        m.insert(key.to_owned(), json!(value));
    }
    fields
}

/// Split text into word-sized deltas (each word keeps its leading space); never splits a char.
pub fn split_words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut seen_non_space = false;
    for (i, ch) in text.char_indices() {
        if ch == ' ' && seen_non_space && i > start {
            out.push(&text[start..i]);
            start = i;
            seen_non_space = false;
        } else if ch != ' ' {
            seen_non_space = true;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn split_half(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut mid = s.len() / 2;
    while mid > 0 && !s.is_char_boundary(mid) {
        mid -= 1;
    }
    if mid == 0 {
        return vec![s];
    }
    vec![&s[..mid], &s[mid..]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_keeps_everything() {
        for s in [
            "",
            "a",
            "Hello from codex-mock.",
            " lead",
            "multi  space",
            "é ü ✓",
        ] {
            assert_eq!(split_words(s).concat(), s);
        }
        assert_eq!(split_words("a b c"), vec!["a", " b", " c"]);
    }

    #[test]
    fn canonical_json_puts_type_first() {
        let v = json!({"b": 1, "type": "x", "a": {"z": 1, "type": "y"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"type":"x","a":{"type":"y","z":1},"b":1}"#
        );
    }
}
