//! Rust SDK for the ChatGPT Codex backend (`https://chatgpt.com/backend-api/codex`) with a
//! ChatGPT login: stream responses, multi-turn conversations, tools, images, reasoning,
//! structured output, compaction, models, usage and realtime calls.
//!
//! # Quick start
//!
//! ```no_run
//! use codex_backend::CodexClient;
//!
//! # async fn demo() -> Result<(), codex_backend::Error> {
//! let client = CodexClient::builder().build()?;
//! // Uses ~/.codex/auth.json (shared with the Codex CLI); refreshes stale tokens; opens the
//! // browser login the first time.
//! client.authenticate().await?;
//! let answer = client.respond_text("Say hello in one sentence.").await?;
//! println!("{answer}");
//! # Ok(()) }
//! ```
//!
//! Every example below and every program in `examples/` needs the network and a ChatGPT
//! login (`codex-backend login`, or `authenticate()` with interactive login on).
//!
//! # Authentication
//!
//! [`CodexClient::authenticate`] has the Python SDK's semantics: fresh tokens stored in
//! `$CODEX_HOME/auth.json` (default `~/.codex`) are used without any network call; stale ones
//! are refreshed; with none, the interactive browser login runs (blocking, first run only) —
//! unless [`CodexClientBuilder::interactive_login`] is `false`, in which case it fails with
//! [`ErrorKind::LoginRequired`]. Until it has succeeded every other method fails with
//! [`ErrorKind::NotAuthenticated`]; no other method ever starts a login. Afterwards the
//! transport refreshes tokens by itself (and once after a 401); a login that can no longer
//! be refreshed surfaces as [`ErrorKind::LoginRequired`]. Bring your own credentials with
//! [`CodexClientBuilder::token_provider`].
//!
//! # Session defaults and per-call options
//!
//! The builder sets the session defaults; [`CallOptions`] overrides any of them for one call.
//!
//! ```no_run
//! use codex_backend::{CallOptions, CodexClient, ReasoningEffort, ServiceTier, Verbosity, WebSearch};
//!
//! # async fn demo() -> Result<(), codex_backend::Error> {
//! let client = CodexClient::builder()
//!     .model("gpt-5.4")                      // the default
//!     .instructions("You are terse.")
//!     .reasoning_effort(ReasoningEffort::Medium)
//!     .verbosity(Verbosity::Low)
//!     .web_search(WebSearch::Cached)         // web_search tool, external_web_access: false
//!     .service_tier(ServiceTier::Priority)   // "fast"
//!     .build()?;
//! client.authenticate().await?;
//! let reply = client
//!     .respond("Explain lifetimes.", CallOptions::new().verbosity(Verbosity::High))
//!     .await?;
//! println!("{} ({:?})", reply.text, reply.usage);
//! # Ok(()) }
//! ```
//!
//! # Cargo.toml
//!
//! ```toml
//! [dependencies]
//! codex-backend = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! futures-util = "0.3"   # StreamExt, to read streams with `.next().await`
//! ```
//!
//! # Try it offline
//!
//! With the `mock` feature, `CodexClient::mock_builder(&server)` gives a builder pointed at
//! every endpoint of a running `codex_mock::MockServer` (backend, usage, public API, issuer)
//! with a throwaway home holding a fake login and interactive login off:
//!
//! ```ignore
//! let server = codex_mock::MockServer::start().await?;
//! let client = codex_backend::CodexClient::mock_builder(&server)?.build()?;
//! client.authenticate().await?;
//! println!("{}", client.respond_text("Say hi").await?);
//! ```
//!
//! # Example: streaming
//!
//! ```no_run
//! use codex_backend::{CallOptions, CodexClient, Event};
//! use futures_util::StreamExt;
//!
//! # async fn demo(client: CodexClient) -> Result<(), codex_backend::Error> {
//! let mut stream = client.stream("Write a haiku.", CallOptions::new()).await?;
//! while let Some(event) = stream.next().await {
//!     // Failures (rate limits, aborts, a closed stream) are `Err(codex_backend::Error)`.
//!     match event? {
//!         Event::TextDelta(text) => print!("{text}"),
//!         Event::ToolCall(call) => println!("\n{} wants {}", call.name(), call.arguments()),
//!         Event::Completed(done) => println!("\n[{:?}]", done.usage),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Example: a conversation with tools
//!
//! ```no_run
//! use codex_backend::{CodexClient, ToolError};
//! use serde_json::{json, Value};
//!
//! # async fn demo(client: CodexClient) -> Result<(), codex_backend::Error> {
//! let mut chat = client.conversation();
//! chat.register_function(
//!     "add",
//!     "Adds two integers",
//!     json!({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}),
//!     |args: Value| async move {
//!         let a = args["a"].as_i64().ok_or("a must be an integer")?;
//!         let b = args["b"].as_i64().ok_or("b must be an integer")?;
//!         Ok::<_, ToolError>((a + b).to_string())
//!     },
//! );
//! // Runs the tool whenever the model calls it, until the model answers.
//! let reply = chat.run("What is 2 + 40?").await?;
//! println!("{}", reply.text);
//! // The history keeps user messages, assistant messages, reasoning (with encrypted
//! // content), calls and their outputs; the next turn replays it.
//! let reply = chat.respond("And doubled?").await?;
//! # let _ = reply;
//! # Ok(()) }
//! ```
//!
//! # Example: images, structured output, reasoning
//!
//! ```no_run
//! use codex_backend::{CallOptions, CodexClient, ContentPart, ReasoningEffort, ReasoningSummary};
//! use serde_json::json;
//!
//! # async fn demo(client: CodexClient) -> Result<(), Box<dyn std::error::Error>> {
//! let photo = ContentPart::image_file("photo.jpg", None)?;
//! let reply = client
//!     .respond(vec![ContentPart::input_text("What is this?"), photo], CallOptions::new())
//!     .await?;
//!
//! #[derive(serde::Deserialize)]
//! struct City { name: String, population: u64 }
//! let schema = json!({"type":"object","properties":{"name":{"type":"string"},"population":{"type":"integer"}},"required":["name","population"],"additionalProperties":false});
//! let city: City = client.respond_json("Largest city of Japan?", "city", schema, CallOptions::new()).await?;
//!
//! let opts = CallOptions::new()
//!     .reasoning_effort(ReasoningEffort::High)
//!     .reasoning_summary(ReasoningSummary::Auto);
//! let reasoned = client.respond("Is 1001 prime?", opts).await?;
//! # let _ = (reply, city.name, city.population, reasoned);
//! # Ok(()) }
//! ```
//!
//! # Example: models, usage, compaction, realtime calls, abort
//!
//! ```no_run
//! # async fn demo(client: codex_backend::CodexClient, history: Vec<codex_backend::ResponseItem>, offer: String) -> Result<(), codex_backend::Error> {
//! let models = client.list_models().await?;
//! let gpt = client.get_model("gpt-5.4").await?;          // ErrorKind::ModelNotFound if absent
//! let usage = client.usage().await?;                     // plan, rate-limit windows, credits
//! let compacted = client.compact(history).await?;        // replaces the history
//! let call = client.create_realtime_call(&offer, None).await?; // SDP answer + rtc_ call id
//! client.abort();                                        // stops this client's active streams
//! # let _ = (models, gpt, usage, compacted, call);
//! # Ok(()) }
//! ```
//!
//! # Examples
//!
//! `examples/`: `quickstart`, `streaming`, `abort`, `models`, `multi_turn`, `tools`,
//! `images`, `reasoning`, `structured_output`, `compaction`, `usage`, `realtime_call` and
//! `agent` (a tool loop with a clock, a calculator and a sandboxed read-only directory
//! listing). Run one with `cargo run -p codex-backend --example quickstart`. They read
//! `CODEX_HOME`, `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER` like the CLI,
//! so they can be pointed at a local mock server; the crate's tests run each one against
//! `codex-mock`.
//!
//! # Request identity
//!
//! Requests carry what the official client 0.171 sends (protocol §14.2; details in
//! `docs/client.md`): a UUIDv7 conversation id ([`Conversation::id`]; a one-shot call is a
//! thread of its own) as `session-id`, `thread-id` and `prompt_cache_key`;
//! `x-codex-routing-hint`; `x-codex-window-id` (`<id>:<n>`, `n` one more after each
//! compaction, [`Conversation::window_number`]); `x-codex-turn-metadata` (also in the body's
//! `client_metadata`) with the installation id read from the official client's
//! `$CODEX_HOME/installation_id`, one turn id per user turn, and `request_kind` `turn` or
//! `compaction`. Within a turn of a [`Conversation`] (its tool follow-ups, through
//! [`Conversation::run`], [`Conversation::send`] or [`Conversation::respond`]) the
//! `x-codex-turn-state` of the turn's first response is echoed; a new user turn drops it.
//! One-shot calls can do the same by hand with [`CallOptions::turn_id`] and
//! [`CallOptions::turn_state`].
//!
//! # Errors
//!
//! One opaque [`Error`] with a [`kind`](Error::kind) to branch on and a stable
//! [`kind_str`](Error::kind_str) (`not_authenticated`, `login_required`, `rate_limited`,
//! `usage_limit_reached`, `context_window_exceeded`, `aborted`, …). Transport details stay
//! reachable: [`Error::status`], [`Error::request_id`], [`Error::retry_after`],
//! [`Error::partial_text`] (the text received before a stream failed), [`Error::plan_type`],
//! [`Error::resets_at`], [`Error::limit_window`].
//!
//! One-shot calls (`respond`, `respond_text`, `respond_json`, compaction,
//! `Conversation::respond` and `run`) resend a turn whose stream failed before any output
//! reached the caller (closed early, idle timeout, retryable failure), up to
//! [`RetryPolicy::stream_max_retries`] times; [`TextResponse::retries`] lists them.
//! [`CodexClient::stream`] never resends.
//!
//! # Cancel safety
//!
//! Nothing runs in the background, with one exception: a token refresh, once started, runs on
//! its own task until the rotated tokens are saved, even when the call that needed it is
//! dropped (the refresh token is single-use; see [`AuthManager::shutdown`] for the end of a
//! process). Dropping a [`ResponseStream`] (or a [`Turn`]) closes the
//! connection; `StreamExt::next` on them is cancel-safe. [`CodexClient::abort`] (or a per-call
//! [`AbortHandle`]) stops streams from another task: each ends with an `aborted` error that
//! carries the partial text. A [`Conversation`] commits a turn to its history only when it
//! completed, so a failed, aborted or dropped turn (including a dropped
//! [`Conversation::run`], whose running tool tasks are then cancelled) leaves the history
//! unchanged.
//!
//! # Layers
//!
//! The facade re-exports its layers, so an application can depend on it alone:
//! [`auth`] (`codex-auth`: login, token store, refresh), [`client`] (`codex-client`:
//! transport, retries, endpoints), [`types`] (`codex-types`: requests, items, events) and
//! [`sse`] (`codex-sse`: the SSE parser). Each layer can also be used on its own.
//!
//! # Features
//!
//! This crate has no optional features.

mod codex;
mod compaction;
mod conversation;
mod error;
mod events;
mod installation;
#[cfg(feature = "mock")]
pub mod mock;
mod options;
mod schema;
mod turn_retry;

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
pub use crate::error::UnexpectedCompactionOutput;
pub use crate::events::Completed;
pub use crate::events::Event;
pub use crate::events::EventStream;
pub use crate::events::ReasoningKind;
pub use crate::events::TextStream;
pub use crate::events::ToolCall;
pub use crate::events::WireStream;
pub use crate::options::CallOptions;
pub use crate::options::CompactionMode;
pub use crate::options::Input;
pub use crate::options::WebSearch;
pub use crate::schema::function_tool;
pub use crate::schema::strict_schema;
/// `schemars`, for `#[derive(JsonSchema)]` on tool arguments and structured output types
/// (add `#[schemars(crate = "codex_backend::schemars")]` when `schemars` is not a direct
/// dependency).
pub use schemars;
pub use schemars::JsonSchema;

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
pub use codex_client::ModelsCache;
pub use codex_client::RequestCompression;
pub use codex_client::ResponseStream;
pub use codex_client::RetryPolicy;
pub use codex_client::TextResponse;
pub use codex_client::Transport;
pub use codex_client::TurnRetry;
pub use codex_types::CallId;
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

// The README's Rust sample is compiled as a doctest, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme_doctest {}
