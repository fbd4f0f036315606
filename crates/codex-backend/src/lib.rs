//! Rust SDK for the ChatGPT Codex backend: stream responses, tools, images, reasoning,
//! structured output, compaction, models, usage and realtime calls with a ChatGPT login.
//!
//! TODO(docs): the full tour is being written.

mod codex;
mod conversation;
mod error;
mod options;

pub use codex_auth as auth;
pub use codex_client as client;
pub use codex_sse as sse;
pub use codex_types as types;

pub use crate::codex::AuthMethod;
pub use crate::codex::Authenticated;
pub use crate::codex::CodexClient;
pub use crate::codex::CodexClientBuilder;
pub use crate::codex::DEFAULT_MODEL;
pub use crate::conversation::Conversation;
pub use crate::conversation::DEFAULT_MAX_TOOL_ITERATIONS;
pub use crate::conversation::ToolError;
pub use crate::conversation::ToolFuture;
pub use crate::conversation::Turn;
pub use crate::error::Error;
pub use crate::error::ErrorKind;
pub use crate::error::Result;
pub use crate::options::CallOptions;
pub use crate::options::Input;
pub use crate::options::WebSearch;

pub use codex_auth::AccountInfo;
pub use codex_auth::AuthManager;
pub use codex_auth::AuthStatus;
pub use codex_auth::BrowserLoginOptions;
pub use codex_auth::Credentials;
pub use codex_auth::DeviceLoginOptions;
pub use codex_auth::Plan;
pub use codex_auth::SecretString;
pub use codex_auth::StaticTokenProvider;
pub use codex_auth::TokenProvider;
pub use codex_client::AbortHandle;
pub use codex_client::ResponseStream;
pub use codex_client::RetryPolicy;
pub use codex_client::TextResponse;
pub use codex_types::ContentPart;
pub use codex_types::CustomTool;
pub use codex_types::CustomToolCall;
pub use codex_types::FunctionCall;
pub use codex_types::FunctionTool;
pub use codex_types::ImageDetail;
pub use codex_types::JsonSchemaFormat;
pub use codex_types::Message;
pub use codex_types::ModelInfo;
pub use codex_types::RealtimeCall;
pub use codex_types::RealtimeSession;
pub use codex_types::ReasoningEffort;
pub use codex_types::ReasoningItem;
pub use codex_types::ReasoningSummary;
pub use codex_types::ResponseEvent;
pub use codex_types::ResponseItem;
pub use codex_types::Role;
pub use codex_types::ServiceTier;
pub use codex_types::Tool;
pub use codex_types::ToolChoice;
pub use codex_types::ToolOutput;
pub use codex_types::Usage;
pub use codex_types::UsagePayload;
pub use codex_types::Verbosity;
pub use codex_types::WebSearchTool;
