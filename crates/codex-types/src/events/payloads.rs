//! The payload structs that the [`ResponseEvent`] variants carry.

use std::borrow::Cow;
use std::fmt;

use serde_json::Map;
use serde_json::Value;

use crate::SharedStr;
use crate::api_error::ErrorObj;
use crate::failure::ResponseFailure;
use crate::items::ContentPart;
use crate::items::ResponseItem;
use crate::rate_limits::RateLimitSnapshot;
use crate::usage::PlanType;
use crate::usage::Usage;
use crate::usage::UsageMetadata;

use super::wire::BStr;

/// A text delta (`output_text`, reasoning summary/text, function arguments, custom tool
/// input). Fields that the event type does not carry are `None`.
///
/// The ids ([`TextDelta::item_id`], [`TextDelta::call_id`]) are read through accessors: they
/// are kept as ranges of the event's raw JSON rather than as separate shared strings, so a
/// delta holds two buffer references (its text and the raw JSON), not four.
#[derive(Clone)]
#[non_exhaustive]
pub struct TextDelta {
    /// The text fragment (a zero-copy slice of the data when it had no escapes).
    pub delta: SharedStr,
    pub(super) item_id: IdText,
    /// Index of the item in the output.
    pub output_index: Option<u32>,
    /// Index of the content part.
    pub content_index: Option<u32>,
    /// Index of the reasoning summary section.
    pub summary_index: Option<u32>,
    pub(super) call_id: IdText,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// An id string of a [`TextDelta`]: absent, a byte range of the raw JSON (it needed no
/// unescaping), or its own text (it did).
#[derive(Clone)]
pub(super) enum IdText {
    None,
    Raw { start: u32, len: u32 },
    Owned(Box<str>),
}

impl IdText {
    /// `s` (borrowed from `text`, or owned after unescaping), as a range when it lies
    /// inside `text`.
    pub(super) fn new(text: &str, s: Option<BStr<'_>>) -> IdText {
        let Some(BStr(s)) = s else {
            return IdText::None;
        };
        if let Cow::Borrowed(b) = &s {
            let offset = (b.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
            if offset <= text.len()
                && b.len() <= text.len() - offset
                && let (Ok(start), Ok(len)) = (u32::try_from(offset), u32::try_from(b.len()))
            {
                return IdText::Raw { start, len };
            }
        }
        IdText::Owned(s.into_owned().into_boxed_str())
    }

    fn get<'a>(&'a self, raw: &'a str) -> Option<&'a str> {
        match self {
            IdText::None => None,
            IdText::Raw { start, len } => {
                let start = *start as usize;
                // Always in range and on character boundaries (a range of `raw` itself).
                raw.get(start..start + *len as usize)
            }
            IdText::Owned(s) => Some(s),
        }
    }
}

impl TextDelta {
    /// Item id.
    pub fn item_id(&self) -> Option<&str> {
        self.item_id.get(&self.raw)
    }

    /// Call id (custom tool input deltas).
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.get(&self.raw)
    }
}

impl PartialEq for TextDelta {
    fn eq(&self, other: &Self) -> bool {
        self.delta == other.delta
            && self.item_id() == other.item_id()
            && self.output_index == other.output_index
            && self.content_index == other.content_index
            && self.summary_index == other.summary_index
            && self.call_id() == other.call_id()
            && self.sequence_number == other.sequence_number
            && self.raw == other.raw
    }
}

impl fmt::Debug for TextDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextDelta")
            .field("delta", &self.delta)
            .field("item_id", &self.item_id())
            .field("output_index", &self.output_index)
            .field("content_index", &self.content_index)
            .field("summary_index", &self.summary_index)
            .field("call_id", &self.call_id())
            .field("sequence_number", &self.sequence_number)
            .field("raw", &self.raw)
            .finish()
    }
}

/// The final text of a streamed part (`text`, `arguments` or `input` on the wire).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TextDone {
    /// The full text.
    pub text: SharedStr,
    /// Item id.
    pub item_id: Option<SharedStr>,
    /// Index of the item in the output.
    pub output_index: Option<u32>,
    /// Index of the content part.
    pub content_index: Option<u32>,
    /// Index of the reasoning summary section.
    pub summary_index: Option<u32>,
    /// Call id, when sent.
    pub call_id: Option<SharedStr>,
    /// Tool name, when sent.
    pub name: Option<SharedStr>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// `response.output_item.added` / `.done`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OutputItemEvent {
    /// The item.
    pub item: ResponseItem,
    /// Index of the item in the output.
    pub output_index: Option<u32>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// `response.content_part.added` / `.done`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ContentPartEvent {
    /// The part.
    pub part: ContentPart,
    /// Item id.
    pub item_id: Option<SharedStr>,
    /// Index of the item in the output.
    pub output_index: Option<u32>,
    /// Index of the content part.
    pub content_index: Option<u32>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// `response.reasoning_summary_part.added` / `.done`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SummaryPartEvent {
    /// Summary section index.
    pub summary_index: Option<u32>,
    /// The part, when sent.
    pub part: Option<ContentPart>,
    /// Item id.
    pub item_id: Option<SharedStr>,
    /// Index of the item in the output.
    pub output_index: Option<u32>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// The `response` object carried by lifecycle events. Only the fields clients act on are
/// typed; the rest stays in the event's raw JSON.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ResponseObject {
    /// Response id.
    pub id: Option<SharedStr>,
    /// `status`.
    pub status: Option<SharedStr>,
    /// `model`.
    pub model: Option<SharedStr>,
    /// Token usage.
    pub usage: Option<Usage>,
    /// `end_turn`: whether the model considers its turn over.
    pub end_turn: Option<bool>,
    /// `usage_metadata` (billing and prompt-cache details).
    pub usage_metadata: Option<UsageMetadata>,
    /// `incomplete_details.reason`.
    pub incomplete_reason: Option<SharedStr>,
    pub(super) output: Option<SharedStr>,
}

impl ResponseObject {
    /// The embedded `output` array, decoded on demand (`None` when absent). Items are
    /// authoritative from `response.output_item.done`; this is for callers that want the
    /// server's summary list.
    pub fn output(&self) -> Option<Result<Vec<ResponseItem>, serde_json::Error>> {
        self.output.as_ref().map(|raw| serde_json::from_str(raw))
    }

    /// The raw JSON text of the `output` array.
    pub fn output_json(&self) -> Option<&str> {
        self.output.as_deref()
    }
}

/// `response.created` / `response.in_progress`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ResponseLifecycle {
    /// The response, when sent.
    pub response: Option<ResponseObject>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// `response.completed`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ResponseCompleted {
    /// The response (`id` is required).
    pub response: ResponseObject,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

impl ResponseCompleted {
    /// The response id.
    pub fn response_id(&self) -> &str {
        self.response.id.as_deref().unwrap_or_default()
    }

    /// Usage, when sent.
    pub fn usage(&self) -> Option<&Usage> {
        self.response.usage.as_ref()
    }

    /// `usage_metadata`, when sent.
    pub fn usage_metadata(&self) -> Option<&UsageMetadata> {
        self.response.usage_metadata.as_ref()
    }

    /// `end_turn`, when sent.
    pub fn end_turn(&self) -> Option<bool> {
        self.response.end_turn
    }
}

/// `response.failed`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ResponseFailed {
    /// The typed failure (code [`FailureCode::Missing`](crate::FailureCode::Missing) when
    /// the event had no `response` or no `error`).
    pub failure: ResponseFailure,
    /// The response, when sent.
    pub response: Option<ResponseObject>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

/// `response.incomplete`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ResponseIncomplete {
    /// `incomplete_details.reason` (e.g. `max_output_tokens`, `content_filter`).
    pub reason: Option<SharedStr>,
    /// The response, when sent.
    pub response: Option<ResponseObject>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

impl ResponseIncomplete {
    /// The reason, or `unknown` (as codex-rs reports it).
    pub fn reason_or_unknown(&self) -> &str {
        self.reason.as_deref().unwrap_or("unknown")
    }
}

/// A top-level `error` event. Fields come from the nested `error` object when present,
/// else from the top level.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StreamError {
    /// `code`.
    pub code: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `type` of the nested error object.
    pub error_type: Option<String>,
    /// `param`.
    pub param: Option<String>,
    /// `status` / `status_code` (WebSocket-wrapped HTTP errors).
    pub status: Option<u16>,
    /// `plan_type` (usage limit errors).
    pub plan_type: Option<PlanType>,
    /// `resets_at`, epoch seconds.
    pub resets_at: Option<i64>,
    /// `limit_window_minutes` (usage limit errors).
    pub limit_window_minutes: Option<u64>,
    /// Wrapped `headers`, when present.
    pub headers: Option<Map<String, Value>>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

impl StreamError {
    /// The failure classification of this error's code (same table as `response.failed`).
    pub fn failure(&self) -> ResponseFailure {
        ResponseFailure::from_obj(ErrorObj {
            message: self.message.clone(),
            error_type: self.error_type.clone(),
            code: self.code.clone(),
            param: self.param.clone(),
            plan_type: self.plan_type.clone(),
            resets_at: self.resets_at,
            resets_in_seconds: None,
            limit_window_minutes: self.limit_window_minutes,
        })
    }
}

/// `response.metadata`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MetadataEvent {
    /// `response_id`.
    pub response_id: Option<String>,
    /// `headers`.
    pub headers: Map<String, Value>,
    /// `metadata`.
    pub metadata: Map<String, Value>,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

impl MetadataEvent {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    }

    /// The model actually serving the request (`openai-model` / `x-openai-model`).
    pub fn server_model(&self) -> Option<&str> {
        self.header("openai-model")
            .or_else(|| self.header("x-openai-model"))
    }

    /// The sticky-routing token (`x-codex-turn-state`).
    pub fn turn_state(&self) -> Option<&str> {
        self.header("x-codex-turn-state")
    }
}

/// `codex.rate_limits`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RateLimitsEvent {
    /// The snapshot (`limit_id` from `metered_limit_name`, else `limit_name`, else `codex`).
    pub snapshot: RateLimitSnapshot,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    pub(super) raw: SharedStr,
}

macro_rules! raw_accessor {
    ($($t:ty),*) => {$(
        impl $t {
            /// The exact data text this event was decoded from.
            pub fn raw_json(&self) -> &SharedStr {
                &self.raw
            }
        }
    )*};
}
raw_accessor!(
    TextDelta,
    TextDone,
    OutputItemEvent,
    ContentPartEvent,
    SummaryPartEvent,
    ResponseLifecycle,
    ResponseCompleted,
    ResponseFailed,
    ResponseIncomplete,
    StreamError,
    MetadataEvent,
    RateLimitsEvent
);
