//! Typed stream events (protocol §5.3), decoded from SSE `data` payloads.
//!
//! Dispatch is on the JSON `"type"` field (never the SSE `event:` line). The type is peeked
//! without building a `serde_json::Value`; each event then deserializes into a borrowed
//! struct, and strings that needed no unescaping (text deltas above all) stay zero-copy
//! slices of the SSE data (`SharedStr`). Every event keeps the exact data text it was
//! decoded from ([`ResponseEvent::raw_json`]), so nothing the server sent is lost.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Map;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::SharedStr;
use crate::api_error::ErrorObj;
use crate::failure::ResponseFailure;
use crate::items::ContentPart;
use crate::items::ResponseItem;
use crate::rate_limits::RateLimitSnapshot;
use crate::rate_limits::RateLimitsWire;
use crate::usage::PlanType;
use crate::usage::Usage;
use crate::usage::UsageMetadata;

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

/// What a failed decode was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The data is not valid UTF-8.
    InvalidUtf8,
    /// The data is not valid JSON.
    InvalidJson,
    /// The JSON has no string `type` (or is not an object).
    MissingType,
    /// A known event type whose payload does not have the expected shape.
    InvalidEvent,
}

/// An event payload that could not be decoded. The stream can go on.
#[derive(Clone, PartialEq)]
pub struct DecodeError(Box<DecodeErrorInner>);

#[derive(Clone, PartialEq)]
struct DecodeErrorInner {
    kind: DecodeErrorKind,
    event_type: Option<String>,
    raw: SharedStr,
    message: String,
}

impl DecodeError {
    fn new(
        kind: DecodeErrorKind,
        event_type: Option<&str>,
        raw: SharedStr,
        message: impl fmt::Display,
    ) -> Self {
        DecodeError(Box::new(DecodeErrorInner {
            kind,
            event_type: event_type.map(str::to_owned),
            raw,
            message: message.to_string(),
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> DecodeErrorKind {
        self.0.kind
    }

    /// The event `type`, when it could be read.
    pub fn event_type(&self) -> Option<&str> {
        self.0.event_type.as_deref()
    }

    /// The data text (lossily converted when it was not UTF-8).
    pub fn raw(&self) -> &SharedStr {
        &self.0.raw
    }

    /// The underlying parser message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("kind", &self.0.kind)
            .field("event_type", &self.0.event_type)
            .field("message", &self.0.message)
            .field("raw_len", &self.0.raw.len())
            .finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.0.kind, &self.0.event_type) {
            (DecodeErrorKind::InvalidEvent, Some(t)) => {
                write!(f, "cannot decode {t} event: {}", self.0.message)
            }
            (DecodeErrorKind::InvalidUtf8, _) => write!(f, "event data is not valid utf-8"),
            (DecodeErrorKind::MissingType, _) => write!(f, "event data has no string type field"),
            _ => write!(f, "event data is not valid json: {}", self.0.message),
        }
    }
}

impl std::error::Error for DecodeError {}

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
    item_id: IdText,
    /// Index of the item in the output.
    pub output_index: Option<u32>,
    /// Index of the content part.
    pub content_index: Option<u32>,
    /// Index of the reasoning summary section.
    pub summary_index: Option<u32>,
    call_id: IdText,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    raw: SharedStr,
}

/// An id string of a [`TextDelta`]: absent, a byte range of the raw JSON (it needed no
/// unescaping), or its own text (it did).
#[derive(Clone)]
enum IdText {
    None,
    Raw { start: u32, len: u32 },
    Owned(Box<str>),
}

impl IdText {
    /// `s` (borrowed from `text`, or owned after unescaping), as a range when it lies
    /// inside `text`.
    fn new(text: &str, s: Option<BStr<'_>>) -> IdText {
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
    raw: SharedStr,
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
    raw: SharedStr,
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
    raw: SharedStr,
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
    raw: SharedStr,
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
    output: Option<SharedStr>,
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
    raw: SharedStr,
}

/// `response.completed`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ResponseCompleted {
    /// The response (`id` is required).
    pub response: ResponseObject,
    /// Sequence number.
    pub sequence_number: Option<u64>,
    raw: SharedStr,
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
    raw: SharedStr,
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
    raw: SharedStr,
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
    raw: SharedStr,
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
    raw: SharedStr,
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
    raw: SharedStr,
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

// ---------------------------------------------------------------------------------------
// Wire structs (borrowed).

/// A string that borrows from the input when it had no escapes.
struct BStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(BStr)
    }
}

fn share(data: &Bytes, s: BStr<'_>) -> SharedStr {
    match s.0 {
        Cow::Borrowed(b) => SharedStr::slice_of(data, b),
        Cow::Owned(o) => SharedStr::from(o),
    }
}

fn share_opt(data: &Bytes, s: Option<BStr<'_>>) -> Option<SharedStr> {
    s.map(|s| share(data, s))
}

#[derive(Deserialize)]
struct DeltaWire<'a> {
    #[serde(borrow)]
    delta: BStr<'a>,
    #[serde(borrow, default)]
    item_id: Option<BStr<'a>>,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    content_index: Option<u32>,
    #[serde(default)]
    summary_index: Option<u32>,
    #[serde(borrow, default)]
    call_id: Option<BStr<'a>>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct DoneWire<'a> {
    #[serde(borrow, alias = "arguments", alias = "input")]
    text: BStr<'a>,
    #[serde(borrow, default)]
    item_id: Option<BStr<'a>>,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    content_index: Option<u32>,
    #[serde(default)]
    summary_index: Option<u32>,
    #[serde(borrow, default)]
    call_id: Option<BStr<'a>>,
    #[serde(borrow, default)]
    name: Option<BStr<'a>>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct ItemWire {
    item: ResponseItem,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct PartWire<'a> {
    part: ContentPart,
    #[serde(borrow, default)]
    item_id: Option<BStr<'a>>,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    content_index: Option<u32>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct SummaryPartWire<'a> {
    #[serde(default)]
    part: Option<ContentPart>,
    #[serde(default)]
    summary_index: Option<u32>,
    #[serde(borrow, default)]
    item_id: Option<BStr<'a>>,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct IncompleteDetailsWire<'a> {
    #[serde(borrow, default)]
    reason: Option<BStr<'a>>,
}

#[derive(Deserialize)]
struct ResponseObjWire<'a> {
    #[serde(borrow, default)]
    id: Option<BStr<'a>>,
    #[serde(borrow, default)]
    status: Option<BStr<'a>>,
    #[serde(borrow, default)]
    model: Option<BStr<'a>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    end_turn: Option<bool>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    usage_metadata: Option<UsageMetadata>,
    #[serde(borrow, default)]
    incomplete_details: Option<IncompleteDetailsWire<'a>>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    error: Option<ErrorObj>,
    #[serde(borrow, default)]
    output: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct LifecycleWire<'a> {
    #[serde(borrow, default)]
    response: Option<ResponseObjWire<'a>>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorEventWire {
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    error: Option<ErrorObj>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    code: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    message: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    param: Option<String>,
    #[serde(
        default,
        alias = "status_code",
        deserialize_with = "crate::lossless::lenient_status"
    )]
    status: Option<u16>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    headers: Option<Map<String, Value>>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct MetadataWire {
    #[serde(default)]
    response_id: Option<String>,
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
    #[serde(default)]
    sequence_number: Option<u64>,
}

#[derive(Deserialize)]
struct TypeProbe<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<BStr<'a>>,
}

/// Reads the `type` value when it is the first key and has no escapes (the common case);
/// also returns the offset just past its closing quote.
fn peek_type(s: &str) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    let ws = |b: &[u8], mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    i = ws(b, i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    if !b[i..].starts_with(b"\"type\"") {
        return None;
    }
    i = ws(b, i + 6);
    if b.get(i) != Some(&b':') {
        return None;
    }
    i = ws(b, i + 1);
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let end = start + crate::fast::special_offset(b.get(start..)?)?;
    if b[end] != b'"' {
        return None;
    }
    Some((s.get(start..end)?, end + 1))
}

fn convert_response(data: &Bytes, r: ResponseObjWire<'_>) -> (ResponseObject, Option<ErrorObj>) {
    let output = r.output.map(|raw| SharedStr::slice_of(data, raw.get()));
    (
        ResponseObject {
            id: share_opt(data, r.id),
            status: share_opt(data, r.status),
            model: share_opt(data, r.model),
            usage: r.usage,
            end_turn: r.end_turn,
            usage_metadata: r.usage_metadata,
            incomplete_reason: r.incomplete_details.and_then(|d| share_opt(data, d.reason)),
            output,
        },
        r.error,
    )
}

fn failure_from(err: Option<ErrorObj>, response_id: Option<&SharedStr>) -> ResponseFailure {
    let mut f = ResponseFailure::from_obj(err.unwrap_or_default());
    f.response_id = response_id.map(|s| s.to_string());
    f
}

impl ResponseEvent {
    /// The `safety_buffering` object this event carries, when it has one (data, never an
    /// error; see [`crate::SafetyBuffering`]).
    pub fn safety_buffering(&self) -> Option<crate::SafetyBuffering> {
        crate::SafetyBuffering::from_event_json(self.raw_json())
    }

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
        decode_text(data, text)
    }

    /// Decodes the data of a parsed SSE event (ignores its `event:` name). The SSE layer has
    /// already validated the data as UTF-8, so it is not validated again.
    pub fn from_sse(event: &codex_sse::Event) -> Result<ResponseEvent, DecodeError> {
        if event.is_utf8_lossy() {
            // Reports the invalid UTF-8 with a lossy copy of the data.
            ResponseEvent::decode(event.data_bytes())
        } else {
            decode_text(event.data_bytes(), event.data())
        }
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

/// Decodes `text`, the UTF-8 view of `data` (the same bytes; if it is not, text is copied
/// instead of shared, never misread).
fn decode_text(data: &Bytes, text: &str) -> Result<ResponseEvent, DecodeError> {
    // `text` is `data` itself: the slice shares the buffer, no copy and no re-validation.
    let raw = SharedStr::slice_of(data, text);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<ResponseEvent, DecodeError> {
        ResponseEvent::decode(&Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn delta_zero_copy_and_escaped() {
        let data = Bytes::from_static(br#"{"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"word ","logprobs":[],"obfuscation":"xyz"}"#);
        let ev = ResponseEvent::decode(&data).unwrap();
        let ResponseEvent::OutputTextDelta(d) = &ev else {
            panic!("{ev:?}")
        };
        assert_eq!(d.delta, "word ");
        let p = d.delta.as_bytes().as_ptr() as usize;
        assert!(p >= data.as_ptr() as usize && p < data.as_ptr() as usize + data.len());
        assert_eq!(ev.sequence_number(), Some(7));
        assert_eq!(ev.raw_json(), std::str::from_utf8(&data).unwrap());
        let ev = dec(r#"{ "delta":"a\nb\u00e9", "type":"response.output_text.delta"}"#).unwrap();
        let ResponseEvent::OutputTextDelta(d) = ev else {
            panic!()
        };
        assert_eq!(d.delta, "a\nbé");
    }

    #[test]
    fn errors_name_the_type() {
        let e = dec(r#"{"type":"response.output_text.delta","delta":5}"#).unwrap_err();
        assert_eq!(e.kind(), DecodeErrorKind::InvalidEvent);
        assert_eq!(e.event_type(), Some("response.output_text.delta"));
        assert!(e.raw().contains("delta"));
        let e = dec(r#"{"type":"response.output_text.delta","delta":"x"#).unwrap_err();
        assert_eq!(e.kind(), DecodeErrorKind::InvalidJson);
        assert_eq!(e.event_type(), None);
        assert_eq!(dec("[1]").unwrap_err().kind(), DecodeErrorKind::MissingType);
        assert_eq!(dec("{}").unwrap_err().kind(), DecodeErrorKind::MissingType);
        assert_eq!(
            dec("nope").unwrap_err().kind(),
            DecodeErrorKind::InvalidJson
        );
        assert_eq!(
            dec(r#"{"type":"x.y", bad"#).unwrap_err().kind(),
            DecodeErrorKind::InvalidJson
        );
        let e = dec(r#"{"type":"response.reasoning_summary_text.delta","delta":"x"}"#).unwrap_err();
        assert!(e.message().contains("summary_index"));
        let e = dec(r#"{"type":"response.output_item.done"}"#).unwrap_err();
        assert_eq!(e.event_type(), Some("response.output_item.done"));
        let e = ResponseEvent::decode(&Bytes::from_static(b"{\"type\":\"\xff\"}")).unwrap_err();
        assert_eq!(e.kind(), DecodeErrorKind::InvalidUtf8);
    }

    #[test]
    fn from_sse_matches_decode_and_ids_are_ranges_or_owned() {
        let data = Bytes::from_static(
            br#"{"type":"response.custom_tool_call_input.delta","item_id":"ct_1","call_id":"c\u00e9","delta":"x"}"#,
        );
        let ev = ResponseEvent::from_sse(&codex_sse::Event::new("", data.clone())).unwrap();
        assert_eq!(ev, ResponseEvent::decode(&data).unwrap());
        let ResponseEvent::CustomToolCallInputDelta(d) = &ev else {
            panic!("{ev:?}")
        };
        assert_eq!((d.item_id(), d.call_id()), (Some("ct_1"), Some("c\u{e9}")));
        assert!(matches!(d.item_id, IdText::Raw { .. }));
        assert!(matches!(d.call_id, IdText::Owned(_)));
        assert!(format!("{d:?}").contains("item_id: Some(\"ct_1\")"));
        let bad = codex_sse::Event::new("", Bytes::from_static(b"{\"type\":\"\xff\"}"));
        let e = ResponseEvent::from_sse(&bad).unwrap_err();
        assert_eq!(e.kind(), DecodeErrorKind::InvalidUtf8);
    }

    #[test]
    fn unknown_and_failed() {
        let ev = dec(r#"{"type":"response.web_search_call.searching","item_id":"ws_1"}"#).unwrap();
        assert!(
            matches!(&ev, ResponseEvent::Unknown { kind, .. } if kind == "response.web_search_call.searching")
        );
        let ev = dec(r#"{"type":"response.failed","sequence_number":3,"response":{"id":"r","error":{"code":"rate_limit_exceeded","message":"Please try again in 11.054s."}}}"#).unwrap();
        let ResponseEvent::Failed(f) = ev else {
            panic!()
        };
        assert_eq!(
            f.failure.retry_after,
            Some(std::time::Duration::from_secs_f64(11.054))
        );
        assert_eq!(f.failure.response_id.as_deref(), Some("r"));
        let ev = dec(r#"{"type":"response.failed"}"#).unwrap();
        let ResponseEvent::Failed(f) = ev else {
            panic!()
        };
        assert!(f.failure.is_retryable());
    }

    #[test]
    fn failure_payloads_with_wrongly_typed_optional_fields_still_decode() {
        let raw = r#"{"type":"response.failed","response":{"id":"r","error":{"code":"usage_limit_reached","message":"limit","param":5,"plan_type":7,"resets_at":1738888888.5}}}"#;
        let ResponseEvent::Failed(f) = dec(raw).unwrap() else {
            panic!()
        };
        assert_eq!(f.failure.raw_code.as_deref(), Some("usage_limit_reached"));
        assert_eq!(f.failure.message.as_deref(), Some("limit"));
        assert_eq!(f.failure.resets_at, Some(1_738_888_888));
        assert_eq!(f.raw_json(), raw);
        for resets in ["\"1738888888\"", "1e300", "-1e300", "\"soon\"", "{}", "[1]"] {
            let raw = format!(
                r#"{{"type":"response.failed","response":{{"error":{{"code":"context_length_exceeded","resets_at":{resets}}}}}}}"#
            );
            let ResponseEvent::Failed(f) = dec(&raw).unwrap() else {
                panic!("{raw}")
            };
            assert_eq!(
                f.failure.code,
                crate::FailureCode::ContextLengthExceeded,
                "{raw}"
            );
        }
        // The error object itself of the wrong type: the failure is kept (code missing).
        let ResponseEvent::Failed(f) =
            dec(r#"{"type":"response.failed","response":{"error":"boom"}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(f.failure.code, crate::FailureCode::Missing);
        let raw = r#"{"type":"error","code":"rate_limit_exceeded","message":"slow","param":{"a":1},"status":"abc","headers":[1],"error":{"type":"x","resets_at":"later"}}"#;
        let ResponseEvent::Error(e) = dec(raw).unwrap() else {
            panic!()
        };
        assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(e.message.as_deref(), Some("slow"));
        assert_eq!(
            (e.param.as_deref(), e.status, e.resets_at),
            (None, None, None)
        );
        assert_eq!(e.raw_json(), raw);
    }
}

#[cfg(test)]
mod size_guard {
    /// Events move through every stream consumer: rare, large payloads are boxed so the
    /// enum stays close to the size of a text delta.
    #[test]
    fn event_stays_small() {
        assert!(std::mem::size_of::<super::ResponseEvent>() <= 192);
    }
}
