//! Typed stream events (protocol §5.3), decoded from SSE `data` payloads.
//!
//! Dispatch is on the JSON `"type"` field (never the SSE `event:` line). The type is peeked
//! without building a `serde_json::Value`; each event then deserializes into a borrowed
//! struct, and strings that needed no unescaping (text deltas above all) stay zero-copy
//! slices of the SSE data (`SharedStr`). Every event keeps the exact data text it was
//! decoded from ([`ResponseEvent::raw_json`]), so nothing the server sent is lost.

use crate::SharedStr;

mod decode;
mod error;
mod payloads;
#[cfg(test)]
mod tests;
mod wire;

pub use error::DecodeError;
pub use error::DecodeErrorKind;
pub use payloads::ContentPartEvent;
pub use payloads::MetadataEvent;
pub use payloads::OutputItemEvent;
pub use payloads::RateLimitsEvent;
pub use payloads::ResponseCompleted;
pub use payloads::ResponseFailed;
pub use payloads::ResponseIncomplete;
pub use payloads::ResponseLifecycle;
pub use payloads::ResponseObject;
pub use payloads::StreamError;
pub use payloads::SummaryPartEvent;
pub use payloads::TextDelta;
pub use payloads::TextDone;

/// One server event of a `/responses` stream.
///
/// ```
/// use codex_types::ResponseEvent;
/// let data = bytes::Bytes::from_static(
///     br#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel"}"#,
/// );
/// match ResponseEvent::decode(&data).unwrap() {
///     ResponseEvent::OutputTextDelta(d) => assert_eq!(&*d.delta, "Hel"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ResponseEvent {
    /// `response.created`.
    Created(Box<ResponseLifecycle>),
    /// `response.in_progress`.
    InProgress(Box<ResponseLifecycle>),
    /// `response.output_item.added` (the item may be partial).
    OutputItemAdded(Box<OutputItemEvent>),
    /// `response.output_item.done`: the authoritative complete item.
    OutputItemDone(Box<OutputItemEvent>),
    /// `response.content_part.added`.
    ContentPartAdded(Box<ContentPartEvent>),
    /// `response.content_part.done`.
    ContentPartDone(Box<ContentPartEvent>),
    /// `response.output_text.delta`.
    OutputTextDelta(TextDelta),
    /// `response.output_text.done` (`text`).
    OutputTextDone(Box<TextDone>),
    /// `response.reasoning_summary_part.added` (a new summary section; `summary_index`).
    ReasoningSummaryPartAdded(Box<SummaryPartEvent>),
    /// `response.reasoning_summary_part.done`.
    ReasoningSummaryPartDone(Box<SummaryPartEvent>),
    /// `response.reasoning_summary_text.delta` (`summary_index` always present).
    ReasoningSummaryTextDelta(TextDelta),
    /// `response.reasoning_summary_text.done` (`text`).
    ReasoningSummaryTextDone(Box<TextDone>),
    /// `response.reasoning_text.delta` (`content_index` always present).
    ReasoningTextDelta(TextDelta),
    /// `response.reasoning_text.done` (`text`).
    ReasoningTextDone(Box<TextDone>),
    /// `response.function_call_arguments.delta`.
    FunctionCallArgumentsDelta(TextDelta),
    /// `response.function_call_arguments.done` (`arguments` in [`TextDone::text`]).
    FunctionCallArgumentsDone(Box<TextDone>),
    /// `response.custom_tool_call_input.delta`.
    CustomToolCallInputDelta(TextDelta),
    /// `response.custom_tool_call_input.done` (`input` in [`TextDone::text`]).
    CustomToolCallInputDone(Box<TextDone>),
    /// `response.metadata`.
    Metadata(Box<MetadataEvent>),
    /// `codex.rate_limits`.
    RateLimits(Box<RateLimitsEvent>),
    /// `response.completed`: success.
    Completed(Box<ResponseCompleted>),
    /// `response.failed`.
    Failed(Box<ResponseFailed>),
    /// `response.incomplete`.
    Incomplete(Box<ResponseIncomplete>),
    /// `error`.
    Error(Box<StreamError>),
    /// An event type this version does not know (e.g. `response.web_search_call.*`).
    Unknown {
        /// The JSON `type`.
        kind: SharedStr,
        /// The exact data text.
        raw: SharedStr,
    },
}

impl ResponseEvent {
    /// The `safety_buffering` object this event carries, when it has one (data, never an
    /// error; see [`crate::SafetyBuffering`]).
    pub fn safety_buffering(&self) -> Option<crate::SafetyBuffering> {
        crate::SafetyBuffering::from_event_json(self.raw_json())
    }

    /// The exact data text this event was decoded from.
    pub fn raw_json(&self) -> &str {
        match self {
            ResponseEvent::Created(e) | ResponseEvent::InProgress(e) => &e.raw,
            ResponseEvent::OutputItemAdded(e) | ResponseEvent::OutputItemDone(e) => &e.raw,
            ResponseEvent::ContentPartAdded(e) | ResponseEvent::ContentPartDone(e) => &e.raw,
            ResponseEvent::OutputTextDelta(e)
            | ResponseEvent::ReasoningSummaryTextDelta(e)
            | ResponseEvent::ReasoningTextDelta(e)
            | ResponseEvent::FunctionCallArgumentsDelta(e)
            | ResponseEvent::CustomToolCallInputDelta(e) => &e.raw,
            ResponseEvent::OutputTextDone(e)
            | ResponseEvent::ReasoningSummaryTextDone(e)
            | ResponseEvent::ReasoningTextDone(e)
            | ResponseEvent::FunctionCallArgumentsDone(e)
            | ResponseEvent::CustomToolCallInputDone(e) => &e.raw,
            ResponseEvent::ReasoningSummaryPartAdded(e)
            | ResponseEvent::ReasoningSummaryPartDone(e) => &e.raw,
            ResponseEvent::Metadata(e) => &e.raw,
            ResponseEvent::RateLimits(e) => &e.raw,
            ResponseEvent::Completed(e) => &e.raw,
            ResponseEvent::Failed(e) => &e.raw,
            ResponseEvent::Incomplete(e) => &e.raw,
            ResponseEvent::Error(e) => &e.raw,
            ResponseEvent::Unknown { raw, .. } => raw,
        }
    }

    /// The wire `type` of this event.
    pub fn kind(&self) -> &str {
        match self {
            ResponseEvent::Created(_) => "response.created",
            ResponseEvent::InProgress(_) => "response.in_progress",
            ResponseEvent::OutputItemAdded(_) => "response.output_item.added",
            ResponseEvent::OutputItemDone(_) => "response.output_item.done",
            ResponseEvent::ContentPartAdded(_) => "response.content_part.added",
            ResponseEvent::ContentPartDone(_) => "response.content_part.done",
            ResponseEvent::OutputTextDelta(_) => "response.output_text.delta",
            ResponseEvent::OutputTextDone(_) => "response.output_text.done",
            ResponseEvent::ReasoningSummaryPartAdded(_) => "response.reasoning_summary_part.added",
            ResponseEvent::ReasoningSummaryPartDone(_) => "response.reasoning_summary_part.done",
            ResponseEvent::ReasoningSummaryTextDelta(_) => "response.reasoning_summary_text.delta",
            ResponseEvent::ReasoningSummaryTextDone(_) => "response.reasoning_summary_text.done",
            ResponseEvent::ReasoningTextDelta(_) => "response.reasoning_text.delta",
            ResponseEvent::ReasoningTextDone(_) => "response.reasoning_text.done",
            ResponseEvent::FunctionCallArgumentsDelta(_) => {
                "response.function_call_arguments.delta"
            }
            ResponseEvent::FunctionCallArgumentsDone(_) => "response.function_call_arguments.done",
            ResponseEvent::CustomToolCallInputDelta(_) => "response.custom_tool_call_input.delta",
            ResponseEvent::CustomToolCallInputDone(_) => "response.custom_tool_call_input.done",
            ResponseEvent::Metadata(_) => "response.metadata",
            ResponseEvent::RateLimits(_) => "codex.rate_limits",
            ResponseEvent::Completed(_) => "response.completed",
            ResponseEvent::Failed(_) => "response.failed",
            ResponseEvent::Incomplete(_) => "response.incomplete",
            ResponseEvent::Error(_) => "error",
            ResponseEvent::Unknown { kind, .. } => kind,
        }
    }

    /// The `sequence_number`, when the event carried one.
    pub fn sequence_number(&self) -> Option<u64> {
        match self {
            ResponseEvent::Created(e) | ResponseEvent::InProgress(e) => e.sequence_number,
            ResponseEvent::OutputItemAdded(e) | ResponseEvent::OutputItemDone(e) => {
                e.sequence_number
            }
            ResponseEvent::ContentPartAdded(e) | ResponseEvent::ContentPartDone(e) => {
                e.sequence_number
            }
            ResponseEvent::OutputTextDelta(e)
            | ResponseEvent::ReasoningSummaryTextDelta(e)
            | ResponseEvent::ReasoningTextDelta(e)
            | ResponseEvent::FunctionCallArgumentsDelta(e)
            | ResponseEvent::CustomToolCallInputDelta(e) => e.sequence_number,
            ResponseEvent::OutputTextDone(e)
            | ResponseEvent::ReasoningSummaryTextDone(e)
            | ResponseEvent::ReasoningTextDone(e)
            | ResponseEvent::FunctionCallArgumentsDone(e)
            | ResponseEvent::CustomToolCallInputDone(e) => e.sequence_number,
            ResponseEvent::ReasoningSummaryPartAdded(e)
            | ResponseEvent::ReasoningSummaryPartDone(e) => e.sequence_number,
            ResponseEvent::Metadata(e) => e.sequence_number,
            ResponseEvent::RateLimits(e) => e.sequence_number,
            ResponseEvent::Completed(e) => e.sequence_number,
            ResponseEvent::Failed(e) => e.sequence_number,
            ResponseEvent::Incomplete(e) => e.sequence_number,
            ResponseEvent::Error(e) => e.sequence_number,
            ResponseEvent::Unknown { .. } => None,
        }
    }

    /// True for the events that end a response (`completed`, `failed`, `incomplete`,
    /// `error`).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ResponseEvent::Completed(_)
                | ResponseEvent::Failed(_)
                | ResponseEvent::Incomplete(_)
                | ResponseEvent::Error(_)
        )
    }
}
