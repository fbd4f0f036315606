//! Typed Responses API requests, items, tools, stream events and errors for the ChatGPT
//! Codex backend (`https://chatgpt.com/backend-api/codex`). No IO (apart from the explicit
//! [`ContentPart::image_file`] helper and the bounded [`read_regular_file`] it uses).
//!
//! # Quick start
//!
//! ```
//! use codex_types::{ResponseEvent, ResponseItem, ResponsesRequest};
//!
//! // A request body: store:false, stream:true and instructions are always on the wire.
//! let req = ResponsesRequest::new("gpt-5.4", vec![ResponseItem::user_text("Say hi")]).unwrap();
//! let body = serde_json::to_vec(&req).unwrap();
//! # assert!(!body.is_empty());
//!
//! // Decoding one SSE `data` payload (dispatch is on the JSON `type`).
//! let data = bytes::Bytes::from_static(
//!     br#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}"#,
//! );
//! let event = ResponseEvent::decode(&data).unwrap();
//! assert_eq!(event.kind(), "response.output_text.delta");
//! assert_eq!(event.raw_json(), std::str::from_utf8(&data).unwrap());
//! ```
//!
//! # Example: a tool call round trip
//!
//! ```
//! use codex_types::{CallId, FunctionCall, ResponseItem, ResponsesRequest};
//! #[derive(serde::Deserialize)]
//! struct Args { n: u32 }
//! let call = FunctionCall::new(CallId::new("call_7"), "lookup", r#"{"n":3}"#);
//! let args: Args = call.arguments_as().unwrap();
//! let output = call.output(format!("{}", args.n * 2));
//! let history = vec![ResponseItem::user_text("go"), call.into(), output];
//! let req = ResponsesRequest::new("gpt-5.4", history).unwrap();
//! assert_eq!(req.input().len(), 3);
//! ```
//!
//! # Losslessness
//!
//! Items, content parts and tools keep keys this version does not know (`extra`), explicit
//! `null`s, and whole values of unknown types (`Unknown(serde_json::Value)`): decoding and
//! re-encoding gives the same JSON value. Stream events keep the exact data text
//! ([`ResponseEvent::raw_json`]); unknown event types decode to [`ResponseEvent::Unknown`].
//!
//! # Features
//!
//! None. Stability: everything public is `#[non_exhaustive]`; build values with the
//! constructors.

mod api_error;
mod classify;
mod events;
mod failure;
mod fast;
mod file;
mod items;
mod lossless;
mod memories;
mod models;
mod rate_limits;
mod realtime;
mod request;
mod safety;
mod shared_str;
mod tools;
pub mod turn;
mod usage;

pub use api_error::ApiErrorBody;
pub use api_error::ApiErrorKind;
pub use classify::Classification;
pub use classify::DelaySource;
pub use classify::headers_from_json;
pub use classify::retry_after;
pub use events::ContentPartEvent;
pub use events::DecodeError;
pub use events::DecodeErrorKind;
pub use events::MetadataEvent;
pub use events::OutputItemEvent;
pub use events::RateLimitsEvent;
pub use events::ResponseCompleted;
pub use events::ResponseEvent;
pub use events::ResponseFailed;
pub use events::ResponseIncomplete;
pub use events::ResponseLifecycle;
pub use events::ResponseObject;
pub use events::StreamError;
pub use events::SummaryPartEvent;
pub use events::TextDelta;
pub use events::TextDone;
pub use failure::FailureCode;
pub use failure::ResponseFailure;
pub use failure::parse_retry_after;
pub use file::FileReadError;
pub use file::IMAGE_FILE_MAX_BYTES;
pub use file::human_size;
pub use file::read_regular_file;
pub use items::CallId;
pub use items::Compaction;
pub use items::CompactionTrigger;
pub use items::ContentPart;
pub use items::ContextCompaction;
pub use items::CustomToolCall;
pub use items::CustomToolCallOutput;
pub use items::ExecAction;
pub use items::FindInPageAction;
pub use items::FunctionCall;
pub use items::FunctionCallOutput;
pub use items::ImageDetail;
pub use items::ImageFileError;
pub use items::ImageGenerationCall;
pub use items::InputImage;
pub use items::LocalShellAction;
pub use items::LocalShellCall;
pub use items::Message;
pub use items::OpenPageAction;
pub use items::ReasoningItem;
pub use items::Refusal;
pub use items::ResponseItem;
pub use items::Role;
pub use items::SearchAction;
pub use items::TextPart;
pub use items::ToolOutput;
pub use items::ToolSearchCall;
pub use items::ToolSearchOutput;
pub use items::WebSearchAction;
pub use items::WebSearchCall;
pub use memories::Trace;
pub use memories::TraceMetadata;
pub use memories::TraceSummarizeRequest;
pub use memories::TraceSummarizeResponse;
pub use memories::TraceSummary;
pub use models::ModelInfo;
pub use models::ModelsResponse;
pub use models::ReasoningLevel;
pub use models::TruncationPolicy;
pub use rate_limits::CreditsSnapshot;
pub use rate_limits::DEFAULT_LIMIT_ID;
pub use rate_limits::RateLimitSnapshot;
pub use rate_limits::RateLimitWindow;
pub use rate_limits::RateLimits;
pub use realtime::RealtimeCall;
pub use realtime::RealtimeSession;
pub use realtime::call_id_from_location;
pub use request::CompactRequest;
pub use request::CompactResponse;
pub use request::History;
pub use request::INCLUDE_REASONING_ENCRYPTED_CONTENT;
pub use request::JsonSchemaFormat;
pub use request::Reasoning;
pub use request::ReasoningEffort;
pub use request::ReasoningSummary;
pub use request::RequestError;
pub use request::ResponsesRequest;
pub use request::ResponsesRequestBuilder;
pub use request::ServiceTier;
pub use request::TextControls;
pub use request::TextFormat;
pub use request::ToolChoice;
pub use request::Verbosity;
pub use safety::SafetyBuffering;
pub use safety::SafetyBufferingHeaders;
pub use shared_str::SharedStr;
pub use tools::CustomTool;
pub use tools::FunctionTool;
pub use tools::LocalShellTool;
pub use tools::Tool;
pub use tools::UserLocation;
pub use tools::WebSearchFilters;
pub use tools::WebSearchTool;
pub use usage::AdditionalRateLimit;
pub use usage::InputTokensDetails;
pub use usage::OutputTokensDetails;
pub use usage::PlanType;
pub use usage::RateLimitReachedType;
pub use usage::Usage;
pub use usage::UsageCredits;
pub use usage::UsageMetadata;
pub use usage::UsagePayload;
pub use usage::UsageRateLimit;
pub use usage::UsageWindow;
