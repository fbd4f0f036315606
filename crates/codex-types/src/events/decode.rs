//! Decoding an SSE `data` payload into a [`ResponseEvent`]: dispatch on the peeked `type`.

use std::borrow::Cow;

use bytes::Bytes;
use serde::de::IgnoredAny;

use crate::SharedStr;
use crate::api_error::ErrorObj;
use crate::rate_limits::RateLimitsWire;

use super::ResponseEvent;
use super::error::DecodeError;
use super::error::DecodeErrorKind;
use super::payloads::ContentPartEvent;
use super::payloads::IdText;
use super::payloads::MetadataEvent;
use super::payloads::OutputItemEvent;
use super::payloads::RateLimitsEvent;
use super::payloads::ResponseCompleted;
use super::payloads::ResponseFailed;
use super::payloads::ResponseIncomplete;
use super::payloads::ResponseLifecycle;
use super::payloads::ResponseObject;
use super::payloads::StreamError;
use super::payloads::SummaryPartEvent;
use super::payloads::TextDelta;
use super::payloads::TextDone;
use super::wire::BStr;
use super::wire::DeltaWire;
use super::wire::DoneWire;
use super::wire::ErrorEventWire;
use super::wire::ItemWire;
use super::wire::LifecycleWire;
use super::wire::MetadataWire;
use super::wire::PartWire;
use super::wire::SummaryPartWire;
use super::wire::TypeProbe;
use super::wire::convert_response;
use super::wire::failure_from;
use super::wire::peek_type;
use super::wire::share;
use super::wire::share_opt;

impl ResponseEvent {
    /// Decodes one SSE `data` payload. Text is kept as zero-copy slices of `data`.
    pub fn decode(data: &Bytes) -> Result<ResponseEvent, DecodeError> {
        let Ok(text) = std::str::from_utf8(data) else {
            let lossy = SharedStr::from(String::from_utf8_lossy(data).into_owned());
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidUtf8,
                None,
                lossy,
                "invalid utf-8",
            ));
        };
        decode_text(SharedStr::slice_of(data, text))
    }

    /// Decodes one event's JSON that is already known to be UTF-8 (a WebSocket text frame,
    /// validated by the WebSocket layer): [`ResponseEvent::decode`] without validating again.
    /// Text is kept as zero-copy slices of `text`.
    pub fn decode_str(text: &SharedStr) -> Result<ResponseEvent, DecodeError> {
        decode_text(text.clone())
    }

    /// Decodes the data of a parsed SSE event (ignores its `event:` name). The SSE layer has
    /// already validated the data as UTF-8, so it is not validated again.
    pub fn from_sse(event: &codex_sse::Event) -> Result<ResponseEvent, DecodeError> {
        if event.is_utf8_lossy() {
            // Reports the invalid UTF-8 with a lossy copy of the data.
            ResponseEvent::decode(event.data_bytes())
        } else {
            decode_text(SharedStr::slice_of(event.data_bytes(), event.data()))
        }
    }
}

/// Decodes the event text `raw`; the decoded strings share its buffer (no copy and no
/// re-validation).
fn decode_text(raw: SharedStr) -> Result<ResponseEvent, DecodeError> {
    let (data, text) = (raw.as_bytes(), raw.as_str());
    let mut type_end = None;
    let kind: Cow<'_, str> = match peek_type(text) {
        Some((k, end)) => {
            type_end = Some(end);
            Cow::Borrowed(k)
        }
        None => match serde_json::from_str::<TypeProbe<'_>>(text) {
            Ok(TypeProbe { kind: Some(k) }) => k.0,
            Ok(TypeProbe { kind: None }) => {
                return Err(DecodeError::new(
                    DecodeErrorKind::MissingType,
                    None,
                    raw.clone(),
                    "missing type",
                ));
            }
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                return Err(DecodeError::new(
                    DecodeErrorKind::MissingType,
                    None,
                    raw.clone(),
                    e,
                ));
            }
            Err(e) => {
                return Err(DecodeError::new(
                    DecodeErrorKind::InvalidJson,
                    None,
                    raw.clone(),
                    e,
                ));
            }
        },
    };
    decode_kind(data, text, &raw, &kind, type_end)
}

type Lifecycle = (Option<ResponseObject>, Option<ErrorObj>, Option<u64>);

fn decode_kind(
    data: &Bytes,
    text: &str,
    raw: &SharedStr,
    kind: &str,
    type_end: Option<usize>,
) -> Result<ResponseEvent, DecodeError> {
    // The `raw` text and `data` are the same bytes; borrowed strings are sliced from `data`.
    let err = |e: serde_json::Error| {
        if matches!(e.classify(), serde_json::error::Category::Data) {
            DecodeError::new(DecodeErrorKind::InvalidEvent, Some(kind), raw.clone(), e)
        } else {
            DecodeError::new(DecodeErrorKind::InvalidJson, None, raw.clone(), e)
        }
    };
    let delta = |require: Option<&str>| -> Result<TextDelta, DecodeError> {
        let fast = match type_end {
            Some(at) => crate::fast::delta_after_type(text, at),
            None => crate::fast::delta(text),
        };
        let w: DeltaWire<'_> = match fast {
            Some(f) => DeltaWire {
                delta: BStr(f.delta),
                item_id: f.item_id.map(BStr),
                output_index: f.output_index,
                content_index: f.content_index,
                summary_index: f.summary_index,
                call_id: f.call_id.map(BStr),
                sequence_number: f.sequence_number,
            },
            None => serde_json::from_str(text).map_err(err)?,
        };
        let missing = match require {
            Some("summary_index") => w.summary_index.is_none(),
            Some("content_index") => w.content_index.is_none(),
            _ => false,
        };
        if missing {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidEvent,
                Some(kind),
                raw.clone(),
                format!("missing field `{}`", require.unwrap_or_default()),
            ));
        }
        Ok(TextDelta {
            delta: share(data, w.delta),
            item_id: IdText::new(text, w.item_id),
            output_index: w.output_index,
            content_index: w.content_index,
            summary_index: w.summary_index,
            call_id: IdText::new(text, w.call_id),
            sequence_number: w.sequence_number,
            raw: raw.clone(),
        })
    };
    let done = || -> Result<Box<TextDone>, DecodeError> {
        let w: DoneWire<'_> = serde_json::from_str(text).map_err(err)?;
        Ok(Box::new(TextDone {
            text: share(data, w.text),
            item_id: share_opt(data, w.item_id),
            output_index: w.output_index,
            content_index: w.content_index,
            summary_index: w.summary_index,
            call_id: share_opt(data, w.call_id),
            name: share_opt(data, w.name),
            sequence_number: w.sequence_number,
            raw: raw.clone(),
        }))
    };
    let item = || -> Result<Box<OutputItemEvent>, DecodeError> {
        let w: ItemWire = serde_json::from_str(text).map_err(err)?;
        Ok(Box::new(OutputItemEvent {
            item: w.item,
            output_index: w.output_index,
            sequence_number: w.sequence_number,
            raw: raw.clone(),
        }))
    };
    let part = || -> Result<Box<ContentPartEvent>, DecodeError> {
        let w: PartWire<'_> = serde_json::from_str(text).map_err(err)?;
        Ok(Box::new(ContentPartEvent {
            part: w.part,
            item_id: share_opt(data, w.item_id),
            output_index: w.output_index,
            content_index: w.content_index,
            sequence_number: w.sequence_number,
            raw: raw.clone(),
        }))
    };
    let summary_part = || -> Result<Box<SummaryPartEvent>, DecodeError> {
        let w: SummaryPartWire<'_> = serde_json::from_str(text).map_err(err)?;
        Ok(Box::new(SummaryPartEvent {
            summary_index: w.summary_index,
            part: w.part,
            item_id: share_opt(data, w.item_id),
            output_index: w.output_index,
            sequence_number: w.sequence_number,
            raw: raw.clone(),
        }))
    };
    let lifecycle = || -> Result<Lifecycle, DecodeError> {
        let w: LifecycleWire<'_> = serde_json::from_str(text).map_err(err)?;
        Ok(match w.response {
            Some(r) => {
                let (obj, e) = convert_response(data, r);
                (Some(obj), e, w.sequence_number)
            }
            None => (None, None, w.sequence_number),
        })
    };
    Ok(match kind {
        "response.output_text.delta" => ResponseEvent::OutputTextDelta(delta(None)?),
        "response.reasoning_summary_text.delta" => {
            ResponseEvent::ReasoningSummaryTextDelta(delta(Some("summary_index"))?)
        }
        "response.reasoning_text.delta" => {
            ResponseEvent::ReasoningTextDelta(delta(Some("content_index"))?)
        }
        "response.function_call_arguments.delta" => {
            ResponseEvent::FunctionCallArgumentsDelta(delta(None)?)
        }
        "response.custom_tool_call_input.delta" => {
            ResponseEvent::CustomToolCallInputDelta(delta(None)?)
        }
        "response.output_text.done" => ResponseEvent::OutputTextDone(done()?),
        "response.reasoning_summary_text.done" => ResponseEvent::ReasoningSummaryTextDone(done()?),
        "response.reasoning_text.done" => ResponseEvent::ReasoningTextDone(done()?),
        "response.function_call_arguments.done" => {
            ResponseEvent::FunctionCallArgumentsDone(done()?)
        }
        "response.custom_tool_call_input.done" => ResponseEvent::CustomToolCallInputDone(done()?),
        "response.output_item.added" => ResponseEvent::OutputItemAdded(item()?),
        "response.output_item.done" => ResponseEvent::OutputItemDone(item()?),
        "response.content_part.added" => ResponseEvent::ContentPartAdded(part()?),
        "response.content_part.done" => ResponseEvent::ContentPartDone(part()?),
        "response.reasoning_summary_part.added" => {
            ResponseEvent::ReasoningSummaryPartAdded(summary_part()?)
        }
        "response.reasoning_summary_part.done" => {
            ResponseEvent::ReasoningSummaryPartDone(summary_part()?)
        }
        "response.created" | "response.in_progress" => {
            let (response, _, sequence_number) = lifecycle()?;
            let ev = Box::new(ResponseLifecycle {
                response,
                sequence_number,
                raw: raw.clone(),
            });
            if kind == "response.created" {
                ResponseEvent::Created(ev)
            } else {
                ResponseEvent::InProgress(ev)
            }
        }
        "response.completed" => {
            let (response, _, sequence_number) = lifecycle()?;
            match response {
                Some(r) if r.id.is_some() => {
                    ResponseEvent::Completed(Box::new(ResponseCompleted {
                        response: r,
                        sequence_number,
                        raw: raw.clone(),
                    }))
                }
                _ => {
                    return Err(DecodeError::new(
                        DecodeErrorKind::InvalidEvent,
                        Some(kind),
                        raw.clone(),
                        "missing field `response.id`",
                    ));
                }
            }
        }
        "response.failed" => {
            let (response, error, sequence_number) = lifecycle()?;
            let failure = failure_from(error, response.as_ref().and_then(|r| r.id.as_ref()));
            ResponseEvent::Failed(Box::new(ResponseFailed {
                failure,
                response,
                sequence_number,
                raw: raw.clone(),
            }))
        }
        "response.incomplete" => {
            let (response, _, sequence_number) = lifecycle()?;
            ResponseEvent::Incomplete(Box::new(ResponseIncomplete {
                reason: response.as_ref().and_then(|r| r.incomplete_reason.clone()),
                response,
                sequence_number,
                raw: raw.clone(),
            }))
        }
        "error" => {
            let w: ErrorEventWire = serde_json::from_str(text).map_err(err)?;
            let e = w.error.unwrap_or_default();
            ResponseEvent::Error(Box::new(StreamError {
                code: e.code.or(w.code),
                message: e.message.or(w.message),
                error_type: e.error_type,
                param: e.param.or(w.param),
                status: w.status,
                plan_type: e.plan_type,
                resets_at: e.resets_at,
                limit_window_minutes: e.limit_window_minutes,
                headers: w.headers,
                sequence_number: w.sequence_number,
                raw: raw.clone(),
            }))
        }
        "response.metadata" => {
            let w: MetadataWire = serde_json::from_str(text).map_err(err)?;
            ResponseEvent::Metadata(Box::new(MetadataEvent {
                response_id: w.response_id,
                headers: w.headers.unwrap_or_default(),
                metadata: w.metadata.unwrap_or_default(),
                sequence_number: w.sequence_number,
                raw: raw.clone(),
            }))
        }
        "codex.rate_limits" => {
            let w: RateLimitsWire = serde_json::from_str(text).map_err(err)?;
            ResponseEvent::RateLimits(Box::new(RateLimitsEvent {
                snapshot: w.snapshot(),
                sequence_number: w.sequence_number,
                raw: raw.clone(),
            }))
        }
        _ => {
            // Validate the JSON so that garbage is never reported as an unknown event.
            serde_json::from_str::<IgnoredAny>(text).map_err(|e| {
                DecodeError::new(DecodeErrorKind::InvalidJson, None, raw.clone(), e)
            })?;
            ResponseEvent::Unknown {
                kind: SharedStr::from(kind),
                raw: raw.clone(),
            }
        }
    })
}
