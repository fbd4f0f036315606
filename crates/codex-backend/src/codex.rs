//! [`CodexClient`]: the client, its requests and streams (its builder is in `builder.rs`,
//! authentication in `auth.rs`, the models, compaction, usage and realtime endpoints in
//! `endpoints.rs`).

mod auth;
mod endpoints;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use codex_auth::BrowserLoginOptions;
use codex_client::RequestOptions;
use codex_client::ResponseStream;

use crate::events::EventStream;
use codex_client::TextResponse;
use codex_types::History;
use codex_types::INCLUDE_REASONING_ENCRYPTED_CONTENT;
use codex_types::Reasoning;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use codex_types::Tool;
use codex_types::WebSearchTool;
use serde::de::DeserializeOwned;

use crate::builder::CodexClientBuilder;
use crate::conversation::Conversation;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::Input;
use crate::options::WebSearch;
use crate::turn_retry::TurnRetries;

pub use auth::AuthMethod;
pub(crate) use auth::AuthSource;
pub use auth::Authenticated;

/// The default model.
pub const DEFAULT_MODEL: &str = "gpt-5.4";

pub(crate) struct Inner {
    pub(crate) defaults: CallOptions,
    pub(crate) auth: AuthSource,
    pub(crate) transport: codex_client::Client,
    pub(crate) authenticated: AtomicBool,
    pub(crate) auth_lock: tokio::sync::Mutex<()>,
    pub(crate) interactive_login: bool,
    pub(crate) login_options: BrowserLoginOptions,
    /// Bumped by every `abort()`, so tool loops between requests notice it.
    pub(crate) aborts: tokio::sync::watch::Sender<u64>,
    /// The thread of the calls made outside a conversation (a UUIDv7 made once per client):
    /// they form the client's own thread, so they share its WebSocket connection.
    pub(crate) thread_id: String,
    /// Dropped with the last clone (see [`CodexClientBuilder`]'s `keep_alive`).
    pub(crate) _keep_alive: Vec<Arc<dyn std::any::Any + Send + Sync>>,
}

/// The Codex backend client: session defaults, authentication and every capability
/// (streaming, one-shot answers, models, compaction, usage, realtime calls, abort).
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool, the login state and
/// [`abort`](CodexClient::abort). Debug output never contains a token.
#[derive(Clone)]
pub struct CodexClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for CodexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodexClient")
            .field("model", &self.default_model())
            .field("base_url", &self.inner.transport.base_url())
            .field("auth", &self.inner.auth)
            .field("authenticated", &self.is_authenticated())
            .field("interactive_login", &self.inner.interactive_login)
            .finish_non_exhaustive()
    }
}

impl CodexClient {
    /// A builder with the defaults (see [`CodexClientBuilder::new`]).
    pub fn builder() -> CodexClientBuilder {
        CodexClientBuilder::new()
    }

    /// The Codex backend base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.transport.base_url()
    }

    /// The session's default model.
    pub fn default_model(&self) -> &str {
        self.inner
            .defaults
            .model
            .as_deref()
            .unwrap_or(DEFAULT_MODEL)
    }

    /// The session defaults, as call options.
    pub fn defaults(&self) -> &CallOptions {
        &self.inner.defaults
    }

    /// The transport, once authenticated (escape hatch for endpoints and options the
    /// facade does not wrap).
    pub fn client(&self) -> Result<&codex_client::Client> {
        self.ensure_authenticated()?;
        Ok(&self.inner.transport)
    }

    /// The request body and transport options of a call with `input` after `history`. The
    /// request shares `history` ([`ResponsesRequest::history`]): no copy of its items when
    /// it is a [`History`] or a `Vec` (a slice is copied once).
    pub fn build_request(
        &self,
        history: impl Into<History>,
        input: Vec<ResponseItem>,
        opts: &CallOptions,
    ) -> Result<(ResponsesRequest, RequestOptions)> {
        let mut o = opts.clone().or(&self.inner.defaults);
        // A JSON schema of this call wins over the session's default verbosity, as in the
        // Python SDK (both set on the call is refused below).
        if opts.json_schema.is_some() && opts.verbosity.is_none() {
            o.verbosity = None;
        }
        let model = o.model.clone().unwrap_or_else(|| DEFAULT_MODEL.to_owned());
        let mut tools = o.tools.clone().unwrap_or_default();
        tools.extend(o.extra_tools.iter().cloned());
        let web = match o.web_search.unwrap_or_default() {
            WebSearch::Disabled => None,
            WebSearch::Cached => Some(false),
            WebSearch::Live => Some(true),
        };
        if let Some(live) = web
            && !tools.iter().any(Tool::is_web_search)
        {
            tools.push(WebSearchTool::new().live(live).into());
        }
        crate::options::check_combinations(opts, &o, &tools)?;
        let mut b = ResponsesRequest::builder(model)
            .instructions(o.instructions.clone().unwrap_or_default())
            .input(input)
            .history(history)
            .tools(tools)
            .parallel_tool_calls(o.parallel_tool_calls.unwrap_or(false));
        if o.reasoning_effort.is_some() || o.reasoning_summary.is_some() {
            let mut r = Reasoning::default();
            r.effort = o.reasoning_effort.clone();
            r.summary = o.reasoning_summary.clone();
            b = b.reasoning(r);
        }
        let include = o.include_encrypted_reasoning.unwrap_or(true);
        b = b.include_encrypted_reasoning(include);
        if include {
            b = b.include(vec![INCLUDE_REASONING_ENCRYPTED_CONTENT.to_owned()]);
        }
        if let Some(v) = o.verbosity.clone() {
            b = b.verbosity(v);
        }
        if let Some(f) = o.json_schema.clone() {
            b = b.json_schema(f);
        }
        if let Some(t) = o.service_tier.clone() {
            b = b.service_tier(t);
        }
        if let Some(c) = o.tool_choice.clone() {
            b = b.tool_choice(c);
        }
        if let Some(k) = o.prompt_cache_key.clone() {
            b = b.prompt_cache_key(k);
        }
        let req = b.build()?;
        let mut ro = RequestOptions::builder();
        // Every request belongs to a thread, as in the official client: calls outside a
        // conversation form the client's own thread (one UUIDv7 per client), so repeated
        // one-shot calls reuse one WebSocket connection and go incremental when they can.
        let thread = o
            .conversation_id
            .clone()
            .unwrap_or_else(|| self.inner.thread_id.clone());
        ro = ro
            .conversation_id(thread)
            .window_number(o.window_number.unwrap_or(0));
        if let Some(id) = &o.turn_id {
            ro = ro.turn_id(id);
        }
        if let Some(at) = o.turn_started_at {
            ro = ro.turn_started_at(at);
        }
        if let Some(kind) = o.request_kind {
            ro = ro.request_kind(kind);
        }
        for f in &o.beta_features {
            ro = ro.beta_feature(f);
        }
        if let Some(h) = &o.abort {
            ro = ro.abort_handle(h.clone());
        }
        if let Some(t) = o.timeout {
            ro = ro.timeout(t);
        }
        if let Some(t) = o.track_text {
            ro = ro.track_text(t);
        }
        if let Some(t) = &o.turn_state {
            ro = ro.turn_state(t);
        }
        Ok((req, ro.build()))
    }

    pub(crate) async fn wire_after(
        &self,
        history: History,
        input: Vec<ResponseItem>,
        opts: &CallOptions,
    ) -> Result<ResponseStream> {
        self.ensure_authenticated()?;
        let (req, ro) = self.build_request(history, input, opts)?;
        Ok(self.inner.transport.responses().stream(&req, &ro).await?)
    }

    /// Starts a model turn and returns its event stream once the response head arrived.
    /// The stream yields seed-level [`crate::Event`]s (text, reasoning, tool calls, finished
    /// items, completion; every other wire event as itself) and ends after
    /// [`crate::Event::Completed`]; failures are `Err` of the one [`Error`] type. Dropping
    /// it closes the connection. [`EventStream::into_wire`](crate::EventStream::into_wire)
    /// gives the wire-level events, [`EventStream::text_stream`](crate::EventStream::text_stream)
    /// the text only.
    pub async fn stream(
        &self,
        input: impl Into<Input>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<EventStream> {
        self.stream_after(History::new(), input, opts).await
    }

    /// [`stream`](Self::stream) with `history` sent before `input`, borrowed (the caller
    /// keeps it and does not clone it). After tool results, pass them in `history` and
    /// [`Input::none`] to let the model continue without a new user message.
    pub async fn stream_after(
        &self,
        history: impl Into<History>,
        input: impl Into<Input>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<EventStream> {
        let opts = opts.into().unwrap_or_default();
        let stream = self
            .wire_after(history.into(), input.into().into_items(), &opts)
            .await?;
        Ok(EventStream::new(stream))
    }

    /// One turn, read to the end: the text, usage, output items and ids. An error carries
    /// the partial text ([`Error::partial_text`]).
    ///
    /// The caller sees nothing before the end, so a turn whose stream closes early, idles
    /// out or fails with a retryable code is sent again, up to
    /// [`RetryPolicy::stream_max_retries`](crate::RetryPolicy::stream_max_retries) times (default 5, 0 disables) with the client's
    /// backoff; each retry is logged and listed in [`TextResponse::retries`].
    pub async fn respond(
        &self,
        input: impl Into<Input>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<TextResponse> {
        self.respond_after(History::new(), input, opts).await
    }

    /// [`respond`](Self::respond) with `history` sent before `input`, borrowed (the caller
    /// keeps it and does not clone it). After tool results, pass them in `history` and
    /// [`Input::none`] to let the model continue without a new user message.
    pub async fn respond_after(
        &self,
        history: impl Into<History>,
        input: impl Into<Input>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<TextResponse> {
        let opts = opts.into().unwrap_or_default();
        let input = input.into().into_items();
        let history = history.into();
        let mut retries = TurnRetries::new(self, "respond");
        loop {
            let attempt = async {
                // A retry shares the history again (a reference count, no copy).
                let stream = self
                    .wire_after(history.clone(), input.clone(), &opts)
                    .await?;
                Ok(stream.collect_text().await?)
            };
            match attempt.await {
                Ok(r) => return Ok(retries.report(r)),
                Err(e) => retries.after(e).await?,
            }
        }
    }

    /// [`respond`](Self::respond) with the session defaults, returning only the text.
    pub async fn respond_text(&self, input: impl Into<Input>) -> Result<String> {
        Ok(self.respond(input, None).await?.text)
    }

    /// Structured output: one turn with `text.format` set to `schema` (strict, named
    /// `name`), with the answer decoded as `T`. A non-JSON answer is
    /// [`ErrorKind::InvalidOutput`].
    pub async fn respond_json<T: DeserializeOwned>(
        &self,
        input: impl Into<Input>,
        name: &str,
        schema: serde_json::Value,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<T> {
        let opts = opts.into().unwrap_or_default();
        let r = self
            .respond(input, opts.json_schema(name, schema, true))
            .await?;
        serde_json::from_str(&r.text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidOutput,
                "the structured output does not match the requested type",
            )
            .with_source(e)
        })
    }

    /// Structured output straight into a type: one turn whose `text.format` is the strict
    /// schema of `T` ([`crate::strict_schema`], named after the type), the answer decoded
    /// as `T`. An answer that does not decode is [`ErrorKind::InvalidOutput`].
    pub async fn respond_typed<T: DeserializeOwned + schemars::JsonSchema>(
        &self,
        input: impl Into<Input>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<T> {
        let name = crate::schema::schema_name::<T>();
        self.respond_json(input, &name, crate::schema::strict_schema::<T>(), opts)
            .await
    }

    /// Stops every request and stream currently running on this client (and its clones
    /// and conversations): each ends with an `aborted` error. A [`Conversation::run`] in
    /// progress stops too, also while its tools run (their tasks are cancelled). A no-op
    /// when nothing runs: later calls are not affected.
    pub fn abort(&self) {
        self.inner.transport.abort_all();
        self.inner.aborts.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The number of requests and streams currently running on this client.
    pub fn active_requests(&self) -> usize {
        self.inner.transport.active_requests()
    }

    /// A new conversation that keeps its history (see [`Conversation`]).
    pub fn conversation(&self) -> Conversation {
        Conversation::new(self.clone())
    }
}
