//! `replay FILE`: decodes a recorded stream offline (codex-sse + codex-types).

use bytes::Bytes;
use codex_backend::sse::Frame;
use codex_backend::sse::Parser;
use codex_backend::types::ApiErrorKind;
use codex_backend::types::Classification;
use codex_backend::types::DecodeError;
use codex_backend::types::ResponseEvent;
use codex_backend::types::ResponseItem;
use serde_json::Value;

use crate::error::CliError;
use crate::output::Out;

fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

fn item_summary(item: &ResponseItem) -> String {
    match item {
        ResponseItem::Message(m) => {
            let role = serde_json::to_value(&m.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("message {role} {}", clip(&m.text()))
        }
        ResponseItem::Reasoning(r) => format!("reasoning {}", clip(&r.summary_text())),
        ResponseItem::FunctionCall(c) => {
            format!(
                "function_call {}({}) call_id={}",
                c.name,
                clip(&c.arguments),
                c.call_id
            )
        }
        ResponseItem::CustomToolCall(c) => {
            format!(
                "custom_tool_call {} call_id={} input={}",
                c.name,
                c.call_id,
                clip(&c.input)
            )
        }
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "item".to_owned()),
    }
}

/// One human line for an event: its type and key fields.
pub fn describe(ev: &ResponseEvent) -> String {
    let kind = ev.kind().to_owned();
    let detail = match ev {
        ResponseEvent::Created(l) | ResponseEvent::InProgress(l) => l
            .response
            .as_ref()
            .and_then(|r| r.id.as_deref())
            .map(|id| format!("id={id}"))
            .unwrap_or_default(),
        ResponseEvent::OutputItemAdded(i) | ResponseEvent::OutputItemDone(i) => {
            item_summary(&i.item)
        }
        ResponseEvent::OutputTextDelta(d)
        | ResponseEvent::ReasoningSummaryTextDelta(d)
        | ResponseEvent::ReasoningTextDelta(d)
        | ResponseEvent::FunctionCallArgumentsDelta(d)
        | ResponseEvent::CustomToolCallInputDelta(d) => clip(&d.delta),
        ResponseEvent::OutputTextDone(d)
        | ResponseEvent::ReasoningSummaryTextDone(d)
        | ResponseEvent::ReasoningTextDone(d)
        | ResponseEvent::FunctionCallArgumentsDone(d)
        | ResponseEvent::CustomToolCallInputDone(d) => clip(&d.text),
        ResponseEvent::ReasoningSummaryPartAdded(p)
        | ResponseEvent::ReasoningSummaryPartDone(p) => p
            .summary_index
            .map(|i| format!("summary_index={i}"))
            .unwrap_or_default(),
        ResponseEvent::Completed(c) => {
            let mut s = format!("id={}", c.response_id());
            if let Some(u) = c.usage() {
                s.push_str(&format!(
                    " tokens: input={} output={} total={}",
                    u.input_tokens, u.output_tokens, u.total_tokens
                ));
            }
            s
        }
        ResponseEvent::Failed(f) => format!(
            "code={} {}",
            f.failure.raw_code.as_deref().unwrap_or("-"),
            clip(f.failure.display_message())
        ),
        ResponseEvent::Incomplete(i) => format!("reason={}", i.reason_or_unknown()),
        ResponseEvent::Error(e) => format!(
            "code={} {}",
            e.code.as_deref().unwrap_or("-"),
            clip(e.message.as_deref().unwrap_or_default())
        ),
        ResponseEvent::RateLimits(r) => r
            .snapshot
            .primary
            .as_ref()
            .map(|w| format!("primary={:.0}%", w.used_percent))
            .unwrap_or_default(),
        ResponseEvent::Metadata(m) => m
            .server_model()
            .map(|s| format!("model={s}"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    if detail.is_empty() {
        kind
    } else {
        format!("{kind} {detail}")
    }
}

/// The terminal error of a failure event, if `ev` is one: classified by the one classifier
/// ([`Classification`]) and named with the client's error kind, as a live turn would be.
pub fn terminal_error(ev: &ResponseEvent) -> Option<CliError> {
    let c = Classification::event(ev)?;
    let message = match c.kind {
        ApiErrorKind::Incomplete | ApiErrorKind::ContentFilter => format!(
            "Incomplete response returned, reason: {}",
            c.reason.as_deref().unwrap_or("unknown")
        ),
        _ => c.message.clone().unwrap_or_default(),
    };
    let kind = codex_backend::client::ErrorKind::from(c.kind);
    Some(CliError::new(kind.as_str(), message).with_status(c.status.map(|s| s.as_u16())))
}

/// The `--json` line for an event that failed to decode: the event's data exactly as the
/// server sent it (byte for byte: key order and number spelling kept) when it is a JSON
/// object, else a `codex_backend.decode_error` object holding the raw data as a string.
pub fn decode_error_line(
    event_type: Option<&str>,
    offset: Option<u64>,
    message: &str,
    raw: Option<&str>,
) -> String {
    if let Some(r) = raw
        && serde_json::from_str::<Value>(r).is_ok_and(|v| v.is_object())
    {
        return r.to_owned();
    }
    serde_json::json!({
        "type": "codex_backend.decode_error",
        "event_type": event_type,
        "byte_offset": offset,
        "message": message,
        "raw": raw,
    })
    .to_string()
}

enum Entry {
    Event(Box<ResponseEvent>),
    Bad {
        json: String,
        message: String,
        offset: Option<u64>,
    },
}

fn bad(e: &DecodeError, offset: Option<u64>) -> Entry {
    let raw = e.raw().to_string();
    Entry::Bad {
        json: decode_error_line(e.event_type(), offset, &e.to_string(), Some(&raw)),
        message: e.to_string(),
        offset,
    }
}

fn entry(r: Result<ResponseEvent, DecodeError>, offset: Option<u64>) -> Entry {
    match r {
        Ok(ev) => Entry::Event(Box::new(ev)),
        Err(e) => bad(&e, offset),
    }
}

/// Runs `replay`.
pub fn run(out: &Out, path: &std::path::Path) -> Result<(), CliError> {
    let data = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let mut entries = Vec::new();
    let mut truncated = false;
    let text_start = data
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&data)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if text_start == Some(&b'[') {
        // codex-rs fixture format: a JSON array of event objects.
        let list: Vec<Value> = serde_json::from_slice(&data).map_err(|e| {
            CliError::usage(format!(
                "{} is not a JSON array of events: {e}",
                path.display()
            ))
        })?;
        for v in list {
            let b = Bytes::from(v.to_string());
            entries.push(entry(ResponseEvent::decode(&b), None));
        }
    } else {
        let mut parser = Parser::new();
        parser.feed(Bytes::from(data));
        let drain = |parser: &mut Parser, entries: &mut Vec<Entry>| {
            while let Some(frame) = parser.next_frame() {
                match frame {
                    Ok(Frame::Event(ev)) => {
                        entries.push(entry(ResponseEvent::from_sse(&ev), Some(ev.offset())));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let message = e.to_string();
                        entries.push(Entry::Bad {
                            json: decode_error_line(None, None, &message, None),
                            message,
                            offset: None,
                        });
                    }
                }
            }
        };
        drain(&mut parser, &mut entries);
        truncated = parser.finish().is_truncated();
        drain(&mut parser, &mut entries);
    }

    let mut end: Option<Result<(), CliError>> = None;
    for e in &entries {
        match e {
            Entry::Event(ev) => {
                if out.json {
                    out.raw_json_line(ev.raw_json());
                } else {
                    out.line(&describe(ev));
                }
                if end.is_none() {
                    if matches!(&**ev, ResponseEvent::Completed(_)) {
                        end = Some(Ok(()));
                    } else if let Some(err) = terminal_error(ev) {
                        end = Some(Err(err));
                    }
                }
            }
            Entry::Bad {
                json,
                message,
                offset,
            } => {
                if out.json {
                    out.raw_json_line(json);
                } else {
                    out.line(&format!(
                        "decode error{}: {message}",
                        offset.map(|o| format!(" at byte {o}")).unwrap_or_default()
                    ));
                }
            }
        }
    }
    match end {
        Some(r) => r,
        None => Err(CliError::new(
            "stream_closed",
            if truncated {
                "stream closed before response.completed (the input ends in the middle of an event)"
            } else {
                "stream closed before response.completed"
            },
        )),
    }
}
