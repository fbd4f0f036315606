//! Rust SDK for the ChatGPT Codex backend (`https://chatgpt.com/backend-api/codex`) with a
//! ChatGPT login: stream responses, multi-turn conversations, tools, images, reasoning,
//! structured output, compaction, models, usage and realtime calls.
//!
//! # Quick start
//!
//! ```
//! use codex_backend::CodexClient;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = codex_mock::MockServer::start().await?;
//! let client = CodexClient::builder()
//! # ; drop(client); let client = CodexClient::mock_builder(&server)?
//!     .build()?;
//! // Uses ~/.codex/auth.json (shared with the Codex CLI); refreshes stale tokens; opens the
//! // browser login the first time.
//! client.authenticate().await?;
//! let answer = client.respond_text("Say hello in one sentence.").await?;
//! println!("{answer}");
//! # Ok(()) }
//! ```
//!
//! Every example below and every program in `examples/` needs the network and a ChatGPT
//! login (`codex-backend login`, or `authenticate()` with interactive login on). The doc
//! examples run as tests against `codex-mock` (see "Try it offline"), through hidden lines.
//!
//! # Cargo.toml
//!
//! ```toml
//! [dependencies]
//! codex-backend = "0.1"
//! # The runtime: `#[tokio::main]` needs `macros` and `rt-multi-thread` (or `rt` with
//! # `#[tokio::main(flavor = "current_thread")]`).
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! futures-util = "0.3"   # StreamExt, to read streams with `.next().await`
//! serde = { version = "1", features = ["derive"] }   # typed tools and structured output
//!
//! [dev-dependencies]
//! # Offline tests against a local mock of the backend (`CodexClient::mock_builder`).
//! codex-backend = { version = "0.1", features = ["mock"] }
//! codex-mock = "0.1"
//! ```
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
//! Every call that takes options takes `impl Into<Option<CallOptions>>`: `None` uses the
//! session defaults. Combinations the backend refuses (a verbosity with a JSON schema on one
//! call, `tool_choice` naming a missing tool, web search with minimal effort) fail with
//! [`ErrorKind::InvalidInput`] before any request.
//!
//! ```
//! use codex_backend::{CallOptions, CodexClient, ReasoningEffort, ServiceTier, Verbosity, WebSearch};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = codex_mock::MockServer::start().await?;
//! let client = CodexClient::builder()
//! # ; drop(client); let client = CodexClient::mock_builder(&server)?
//!     .model("gpt-5.4")                      // the default
//!     .instructions("You are terse.")
//!     .reasoning_effort(ReasoningEffort::Medium)
//!     .verbosity(Verbosity::Low)
//!     .web_search(WebSearch::Cached)         // web_search tool, external_web_access: false
//!     .service_tier(ServiceTier::Priority)   // "fast"
//!     .build()?;
//! client.authenticate().await?;
//! let reply = client.respond("Explain lifetimes.", None).await?;   // the session defaults
//! let reply = client
//!     .respond("Explain lifetimes.", CallOptions::new().verbosity(Verbosity::High))
//!     .await?;
//! println!("{} ({:?})", reply.text, reply.usage);
//! # Ok(()) }
//! ```
//!
//! # Try it offline
//!
//! With the `mock` feature, `CodexClient::mock_builder` gives a builder pointed at every
//! endpoint of a running `codex_mock::MockServer` (backend, usage, public API, issuer) with a
//! throwaway home holding a fake login and interactive login off:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = codex_mock::MockServer::start().await?;
//! let client = codex_backend::CodexClient::mock_builder(&server)?.build()?;
//! client.authenticate().await?;
//! println!("{}", client.respond_text("Say hi").await?);
//! # Ok(()) }
//! ```
//!
//! # Example: streaming
//!
//! ```
//! use codex_backend::{CodexClient, Event};
//! use futures_util::StreamExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = codex_mock::MockServer::start().await?;
//! # let client = CodexClient::mock_builder(&server)?.build()?;
//! # client.authenticate().await?;
//! let mut stream = client.stream("Write a haiku.", None).await?;
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
//! # Example: a conversation with typed tools
//!
//! ```
//! use codex_backend::{JsonSchema, ToolError};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Add { a: i64, b: i64 }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = codex_mock::MockServer::start().await?;
//! # server.push_response(codex_mock::Reply::tool_calls(vec![codex_mock::FunctionCallSpec::named("add").call_id("call_1").arguments(r#"{"a":2,"b":40}"#)]));
//! # server.push_response(codex_mock::Reply::text("42"));
//! # let client = codex_backend::CodexClient::mock_builder(&server)?.build()?;
//! # client.authenticate().await?;
//! let mut chat = client.conversation();
//! // The schema comes from `Add`; the model's arguments are decoded into it.
//! chat.register("add", "Adds two integers", |args: Add| async move {
//!     Ok::<_, ToolError>(args.a + args.b)
//! });
//! // Runs the tool whenever the model calls it, until the model answers.
//! let reply = chat.run("What is 2 + 40?").await?;
//! println!("{}", reply.text);
//! // The history keeps user messages, assistant messages, reasoning (with encrypted
//! // content), calls and their outputs; the next turn replays it.
//! let reply = chat.respond("And doubled?").await?;
//! # assert_eq!(chat.history().len(), 6);
//! # let _ = reply;
//! # Ok(()) }
//! ```
//!
//! A loop written by hand uses a [`ToolRegistry`] the same way: `registry.dispatch(&call)`
//! runs the handler of an [`Event::ToolCall`] and gives the call and its output to append to
//! the history, then [`CodexClient::stream_after`]`(&history, None, opts)` continues.
//!
//! # Example: images, structured output, reasoning
//!
//! ```
//! use codex_backend::{CallOptions, ContentPart, JsonSchema, ReasoningEffort, ReasoningSummary};
//!
//! #[derive(serde::Deserialize, JsonSchema)]
//! struct City { name: String, population: u64 }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = codex_mock::MockServer::start().await?;
//! # let client = codex_backend::CodexClient::mock_builder(&server)?.build()?;
//! # client.authenticate().await?;
//! # server.push_response(codex_mock::Reply::text("A photo."));
//! # server.push_response(codex_mock::Reply::structured(serde_json::json!({"name":"Tokyo","population":14000000})));
//! // `ContentPart::image_file(path, None)?` reads and inlines a local file.
//! let photo = ContentPart::image_url("https://example.com/photo.jpg");
//! let reply = client
//!     .respond(vec![ContentPart::input_text("What is this?"), photo], None)
//!     .await?;
//!
//! // The strict JSON Schema of `City` is sent as `text.format`; the answer decodes into it.
//! let city: City = client.respond_typed("Largest city of Japan?", None).await?;
//!
//! let opts = CallOptions::new()
//!     .reasoning_effort(ReasoningEffort::High)
//!     .reasoning_summary(ReasoningSummary::Auto);
//! let reasoned = client.respond("Is 1001 prime?", opts).await?;
//! # assert_eq!(city.name, "Tokyo");
//! # let _ = (reply, city.name, city.population, reasoned);
//! # Ok(()) }
//! ```
//!
//! # Example: models, usage, compaction, realtime calls, abort
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = codex_mock::MockServer::start().await?;
//! # let client = codex_backend::CodexClient::mock_builder(&server)?.build()?;
//! # client.authenticate().await?;
//! # let history = vec![codex_backend::ResponseItem::user_text("Hi")];
//! # let offer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
//! let models = client.list_models().await?;
//! let gpt = client.get_model("gpt-5.4").await?;          // ErrorKind::ModelNotFound if absent
//! let usage = client.usage().await?;                     // plan, rate-limit windows, credits
//! let compacted = client.compact(history).await?;        // replaces the history
//! let call = client.create_realtime_call(offer, None).await?; // SDP answer + rtc_ call id
//! client.abort();                                        // stops this client's active streams
//! # let _ = (models, gpt, usage, compacted, call);
//! # Ok(()) }
//! ```
//!
//! # Examples
//!
//! `examples/`: `quickstart`, `streaming`, `abort`, `models`, `multi_turn`, `tools`,
//! `images`, `reasoning`, `structured_output`, `compaction`, `usage`, `realtime_call`,
//! `agent` (a tool loop with a clock, a calculator and a sandboxed read-only directory
//! listing), `two_tools_agent` (two typed tools through a [`ToolRegistry`]) and
//! `seed_readme` (every example of the Python SDK's README, in order;
//! `docs/migrating-from-python.md` maps each Python call to its Rust equivalent). Run one with `cargo run -p codex-backend --example quickstart`. They read
//! `CODEX_HOME`, `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER` like the CLI,
//! so they can be pointed at a local mock server; the crate's tests run each one against
//! `codex-mock`.
//!
//! # Request identity
//!
//! Requests carry what the official client 0.171 sends (protocol §14.2; details in
//! `docs/client.md`): a UUIDv7 conversation id ([`Conversation::id`]; calls outside a
//! conversation form the client's own thread, one UUIDv7 per client shared by its clones,
//! unless [`CallOptions::conversation_id`] is set) as `session-id`, `thread-id` and
//! `prompt_cache_key`;
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
//! - `mock`: `CodexClient::mock_builder` and the `mock` module, the one-call offline
//!   setup against a running `codex_mock::MockServer` (adds the `codex-mock` dependency).

mod builder;
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
mod tools;
mod turn_retry;

pub use codex_auth as auth;
pub use codex_client as client;
pub use codex_sse as sse;
pub use codex_types as types;

pub use crate::builder::CodexClientBuilder;
pub use crate::codex::AuthMethod;
pub use crate::codex::Authenticated;
pub use crate::codex::CodexClient;
pub use crate::codex::DEFAULT_MODEL;
pub use crate::conversation::Conversation;
pub use crate::conversation::DEFAULT_MAX_TOOL_ITERATIONS;
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
pub use crate::tools::ToolError;
pub use crate::tools::ToolFuture;
pub use crate::tools::ToolHandler;
pub use crate::tools::ToolRegistry;
/// `schemars`, for `#[derive(JsonSchema)]` on tool arguments and structured output types
/// (add `#[schemars(crate = "codex_backend::schemars")]` when `schemars` is not a direct
/// dependency).
pub use schemars;
// Not inlined: schemars' own docs link to items this crate does not document.
#[doc(no_inline)]
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
pub use codex_types::History;
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

// The READMEs' Rust samples run as doctests (against codex-mock), so they cannot drift from
// the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme_doctest {}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod crate_readme_doctest {}
