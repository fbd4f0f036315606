//! Snapshot tests: every upstream fixture and every synthetic stream in
//! `crates/codex-mock/fixtures/` decoded into typed events (codex-sse + codex-types), with a
//! readable, normalised summary per event. Also: chunking never changes the result, and
//! every synthetic `*.request.json` decodes as a `ResponsesRequest` whose input round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::path::PathBuf;

use bytes::Bytes;
use codex_sse::Frame;
use codex_sse::Parser;
use codex_types::ResponseEvent;
use codex_types::ResponsesRequest;
use serde_json::Value;
use serde_json::json;

fn fixtures_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codex-mock/fixtures")
        .join(kind)
}

fn files(kind: &str, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures_dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| pred(p.file_name().unwrap().to_str().unwrap()))
        .collect();
    v.sort();
    v
}

/// Turns an upstream `.json` fixture into SSE text as codex-rs does (INDEX.md): an array of
/// payloads becomes one event each (`event: <type>`, plus a data line unless the payload has
/// only a `type` key); a single payload is the exact data of one `response.failed` event.
fn json_fixture_to_sse(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap();
    match v {
        Value::Array(events) => {
            let mut out = String::new();
            for e in events {
                let kind = e["type"].as_str().unwrap_or_default().to_owned();
                out.push_str(&format!("event: {kind}\n"));
                if e.as_object().is_some_and(|o| o.len() > 1) {
                    out.push_str(&format!("data: {}\n", serde_json::to_string(&e).unwrap()));
                }
                out.push('\n');
            }
            out
        }
        _ => {
            let mut out = String::from("event: response.failed\n");
            for line in text.trim_end().lines() {
                out.push_str(&format!("data: {line}\n"));
            }
            out.push('\n');
            out
        }
    }
}

fn opt<T: serde::Serialize>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |x| serde_json::to_value(x).unwrap())
}

fn summarize(ev: &Result<ResponseEvent, codex_types::DecodeError>) -> Value {
    let ev = match ev {
        Ok(ev) => ev,
        Err(e) => {
            return json!({"decode_error": {
                "kind": format!("{:?}", e.kind()),
                "event_type": e.event_type(),
                "message": e.message(),
            }});
        }
    };
    let mut v = json!({"kind": ev.kind(), "seq": ev.sequence_number()});
    let fields = match ev {
        ResponseEvent::Created(e) | ResponseEvent::InProgress(e) => json!({
            "response_id": opt(e.response.as_ref().and_then(|r| r.id.as_deref())),
            "status": opt(e.response.as_ref().and_then(|r| r.status.as_deref())),
        }),
        ResponseEvent::OutputItemAdded(e) | ResponseEvent::OutputItemDone(e) => json!({
            "output_index": e.output_index,
            "item_kind": e.item.kind(),
            "item_variant": format!("{:?}", e.item).split('(').next().unwrap().to_owned(),
            "item": serde_json::to_value(&e.item).unwrap(),
        }),
        ResponseEvent::ContentPartAdded(e) | ResponseEvent::ContentPartDone(e) => json!({
            "item_id": opt(e.item_id.as_deref()),
            "output_index": e.output_index,
            "content_index": e.content_index,
            "part": serde_json::to_value(&e.part).unwrap(),
        }),
        ResponseEvent::OutputTextDelta(d)
        | ResponseEvent::ReasoningSummaryTextDelta(d)
        | ResponseEvent::ReasoningTextDelta(d)
        | ResponseEvent::FunctionCallArgumentsDelta(d)
        | ResponseEvent::CustomToolCallInputDelta(d) => json!({
            "delta": d.delta.as_str(),
            "item_id": opt(d.item_id()),
            "output_index": d.output_index,
            "content_index": d.content_index,
            "summary_index": d.summary_index,
            "call_id": opt(d.call_id()),
        }),
        ResponseEvent::OutputTextDone(d)
        | ResponseEvent::ReasoningSummaryTextDone(d)
        | ResponseEvent::ReasoningTextDone(d)
        | ResponseEvent::FunctionCallArgumentsDone(d)
        | ResponseEvent::CustomToolCallInputDone(d) => json!({
            "text": d.text.as_str(),
            "item_id": opt(d.item_id.as_deref()),
            "summary_index": d.summary_index,
            "call_id": opt(d.call_id.as_deref()),
            "name": opt(d.name.as_deref()),
        }),
        ResponseEvent::ReasoningSummaryPartAdded(e)
        | ResponseEvent::ReasoningSummaryPartDone(e) => {
            json!({
                "summary_index": e.summary_index,
                "item_id": opt(e.item_id.as_deref()),
                "part": opt(e.part.as_ref()),
            })
        }
        ResponseEvent::Metadata(m) => json!({
            "response_id": m.response_id,
            "server_model": m.server_model(),
            "turn_state": m.turn_state(),
        }),
        ResponseEvent::RateLimits(r) => {
            json!({"snapshot": serde_json::to_value(&r.snapshot).unwrap()})
        }
        ResponseEvent::Completed(c) => json!({
            "response_id": c.response_id(),
            "usage": opt(c.usage()),
            "output_items": c.response.output().map(|o| o.unwrap().len()),
        }),
        ResponseEvent::Failed(f) => json!({
            "code": format!("{:?}", f.failure.code),
            "raw_code": f.failure.raw_code,
            "message": f.failure.display_message(),
            "retryable": f.failure.is_retryable(),
            "retry_after_ms": f.failure.retry_after.map(|d| d.as_millis() as u64),
            "response_id": f.failure.response_id,
        }),
        ResponseEvent::Incomplete(i) => json!({"reason": i.reason_or_unknown()}),
        ResponseEvent::Error(e) => json!({
            "code": e.code,
            "message": e.message,
            "error_type": e.error_type,
            "status": e.status,
            "failure_code": format!("{:?}", e.failure().code),
        }),
        ResponseEvent::Unknown { kind, .. } => json!({"unknown_kind": kind.as_str()}),
        other => json!({"unhandled": other.kind()}),
    };
    if let (Some(o), Value::Object(f)) = (v.as_object_mut(), fields) {
        o.extend(f);
    }
    v
}

/// Parses `sse` in `chunk`-byte chunks and decodes every event.
fn decode_stream(sse: &[u8], chunk: usize) -> Value {
    let buf = Bytes::copy_from_slice(sse);
    let mut parser = Parser::new();
    let mut events = Vec::new();
    let mut start = 0;
    let push = |parser: &mut Parser, events: &mut Vec<Value>| {
        while let Some(frame) = parser.next_frame() {
            match frame {
                Ok(Frame::Event(e)) => {
                    let ev = ResponseEvent::from_sse(&e);
                    if let Ok(ok) = &ev {
                        assert_eq!(ok.raw_json(), e.data(), "raw_json must be the exact data");
                    }
                    events.push(summarize(&ev));
                }
                Ok(_) => {}
                Err(e) => events.push(json!({"sse_error": e.to_string()})),
            }
        }
    };
    while start < buf.len() {
        let end = (start + chunk).min(buf.len());
        parser.feed(buf.slice(start..end));
        start = end;
        push(&mut parser, &mut events);
    }
    let end = parser.finish();
    push(&mut parser, &mut events);
    json!({"events": events, "truncated": end.truncated})
}

fn snapshot_name(kind: &str, path: &Path) -> String {
    format!(
        "{kind}__{}",
        path.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .replace('.', "_")
    )
}

fn check(kind: &str, path: &Path, sse: &[u8], payloads: Option<Value>) {
    let mut whole = decode_stream(sse, usize::MAX);
    for chunk in [1, 7, 64] {
        assert_eq!(decode_stream(sse, chunk), whole, "{path:?} chunk {chunk}");
    }
    if let Some(p) = payloads {
        whole["payloads_decoded_directly"] = p;
    }
    insta::assert_json_snapshot!(snapshot_name(kind, path), whole);
}

/// For `.json` event lists: every payload decoded on its own (including payloads that
/// codex-rs would send without a data line), to show the typed error for bad ones.
fn direct_payloads(text: &str) -> Option<Value> {
    let Value::Array(events) = serde_json::from_str::<Value>(text).unwrap() else {
        return None;
    };
    Some(Value::Array(
        events
            .iter()
            .map(|e| {
                let data = Bytes::from(serde_json::to_string(e).unwrap());
                summarize(&ResponseEvent::decode(&data))
            })
            .collect(),
    ))
}

#[test]
fn upstream_fixtures() {
    let paths = files("upstream", |n| n.ends_with(".json") || n.ends_with(".sse"));
    assert!(paths.len() >= 13, "expected the vendored upstream fixtures");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let is_json = path.extension().unwrap() == "json";
        let payloads = if is_json {
            direct_payloads(&text)
        } else {
            None
        };
        let sse = if is_json {
            json_fixture_to_sse(&text)
        } else {
            text
        };
        check("upstream", &path, sse.as_bytes(), payloads);
    }
}

#[test]
fn synthetic_streams() {
    let paths = files("synthetic", |n| n.ends_with(".sse"));
    for want in [
        "text",
        "parallel_tool_calls",
        "custom_tool_call",
        "reasoning_summary",
        "structured_output",
        "image_input",
        "web_search",
        "incomplete",
        "error_event",
        "rate_limits",
        "failed_context_length_exceeded",
        "failed_insufficient_quota",
        "failed_usage_not_included",
        "failed_cyber_policy",
        "failed_invalid_prompt",
        "failed_server_is_overloaded",
        "failed_slow_down",
        "failed_rate_limit_exceeded",
    ] {
        let name = format!("{want}.synthetic.sse");
        assert!(
            paths.iter().any(|p| p.ends_with(&name)),
            "missing synthetic fixture {name}"
        );
    }
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        check("synthetic", &path, &bytes, None);
    }
}

#[test]
fn synthetic_requests_decode_and_roundtrip_input() {
    for path in files("synthetic", |n| n.ends_with(".request.json")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let raw: Value = serde_json::from_str(&text).unwrap();
        let req: ResponsesRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(req.model(), raw["model"].as_str().unwrap(), "{path:?}");
        let wire = serde_json::to_value(&req).unwrap();
        assert_eq!(
            wire["input"], raw["input"],
            "{path:?}: input must round-trip"
        );
        assert_eq!(wire["store"], false);
        assert_eq!(wire["stream"], true);
        for key in [
            "instructions",
            "tools",
            "reasoning",
            "text",
            "include",
            "prompt_cache_key",
        ] {
            if let Some(v) = raw.get(key) {
                assert_eq!(&wire[key], v, "{path:?}: {key}");
            }
        }
    }
}
