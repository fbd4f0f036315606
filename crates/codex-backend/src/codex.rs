//! [`CodexClient`]: authentication and the one-shot endpoints (its builder is in
//! `builder.rs`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use codex_auth::AccountInfo;
use codex_auth::AuthManager;
use codex_auth::BrowserLoginOptions;
use codex_auth::TokenProvider;
use codex_client::RequestOptions;
use codex_client::ResponseStream;

use crate::events::EventStream;
use codex_client::TextResponse;
use codex_types::CompactRequest;
use codex_types::History;
use codex_types::INCLUDE_REASONING_ENCRYPTED_CONTENT;
use codex_types::ModelInfo;
use codex_types::RealtimeCall;
use codex_types::RealtimeSession;
use codex_types::Reasoning;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use codex_types::Tool;
use codex_types::UsagePayload;
use codex_types::WebSearchTool;
use serde::de::DeserializeOwned;

use crate::builder::CodexClientBuilder;
use crate::conversation::Conversation;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::CompactionMode;
use crate::options::Input;
use crate::options::WebSearch;
use crate::turn_retry::TurnRetries;

/// The default model.
pub const DEFAULT_MODEL: &str = "gpt-5.4";

/// How [`CodexClient::authenticate`] got its credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Fresh tokens were stored: used as they are, without any network call.
    Stored,
    /// The stored access token was stale and was refreshed.
    Refreshed,
    /// Nothing usable was stored: the interactive browser login ran.
    BrowserLogin,
    /// A caller-supplied [`TokenProvider`] returned credentials.
    TokenProvider,
}

impl AuthMethod {
    /// `stored`, `refreshed`, `browser_login` or `token_provider`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Refreshed => "refreshed",
            Self::BrowserLogin => "browser_login",
            Self::TokenProvider => "token_provider",
        }
    }
}

/// What [`CodexClient::authenticate`] found. Holds no token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authenticated {
    /// How the credentials were obtained.
    pub method: AuthMethod,
    /// Account facts from the id token (`None` with a custom [`TokenProvider`]).
    pub account: Option<AccountInfo>,
    /// The `auth.json` in use (file store only).
    pub auth_file: Option<PathBuf>,
}

pub(crate) enum AuthSource {
    Manager(AuthManager),
    Provider(Arc<dyn TokenProvider>),
}

impl std::fmt::Debug for AuthSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Manager(m) => f
                .debug_struct("AuthManager")
                .field("path", &m.store().path())
                .finish_non_exhaustive(),
            Self::Provider(_) => f.write_str("TokenProvider"),
        }
    }
}

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

    /// The auth manager (unless a custom [`TokenProvider`] is used): for `status`,
    /// `logout`, `login_device`, ….
    pub fn auth_manager(&self) -> Option<&AuthManager> {
        match &self.inner.auth {
            AuthSource::Manager(m) => Some(m),
            AuthSource::Provider(_) => None,
        }
    }

    /// Makes the client usable, with the Python SDK's semantics:
    ///
    /// - fresh stored tokens are used as they are (no network call);
    /// - stale ones are refreshed (one refresh, shared with other processes through the
    ///   `auth.json` lock);
    /// - with nothing stored (or a stored login that can no longer be refreshed), the
    ///   interactive browser login runs — it blocks until the user finished in the browser
    ///   — unless [`CodexClientBuilder::interactive_login`] is `false`, in which case this is
    ///   an [`ErrorKind::LoginRequired`] error.
    ///
    /// An unreadable or corrupt `auth.json` is an [`ErrorKind::Storage`] error (the file is
    /// not overwritten by a login). With a custom [`TokenProvider`] it only checks that the
    /// provider returns credentials.
    /// Calling it again when already authenticated checks the stored login again (without
    /// a network call when it is fresh). No other method ever starts a login.
    pub async fn authenticate(&self) -> Result<Authenticated> {
        let _guard = self.inner.auth_lock.lock().await;
        let result = match &self.inner.auth {
            AuthSource::Provider(p) => {
                p.credentials().await?;
                Authenticated {
                    method: AuthMethod::TokenProvider,
                    account: None,
                    auth_file: None,
                }
            }
            AuthSource::Manager(m) => self.authenticate_manager(m).await?,
        };
        self.inner.authenticated.store(true, Ordering::SeqCst);
        tracing::info!(method = result.method.as_str(), "authenticated");
        Ok(result)
    }

    async fn authenticate_manager(&self, m: &AuthManager) -> Result<Authenticated> {
        let path = m.store().path().map(PathBuf::from);
        let status = m.status().await?;
        if status.logged_in {
            let stale = status.needs_refresh;
            match m.credentials().await {
                Ok(_) => {
                    // Re-read: a refresh may have replaced the id token. A stale token that
                    // is still valid is used as is when the issuer is briefly unreachable
                    // (the refresh is retried on a later request): not "refreshed" then.
                    let after = m.status().await.ok();
                    let refreshed = stale && after.as_ref().is_some_and(|s| !s.needs_refresh);
                    let account = after.and_then(|s| s.account);
                    return Ok(Authenticated {
                        method: if refreshed {
                            AuthMethod::Refreshed
                        } else {
                            AuthMethod::Stored
                        },
                        account: account.or(status.account),
                        auth_file: path,
                    });
                }
                Err(e) if e.is_login_required() && self.inner.interactive_login => {
                    tracing::info!(error = %e, "stored login unusable; starting the browser login");
                }
                Err(e) => return Err(e.into()),
            }
        } else if !self.inner.interactive_login {
            return Err(Error::new(
                ErrorKind::LoginRequired,
                "not logged in and interactive login is off: run `codex-backend login` first",
            ));
        }
        let ok = m.login_browser(self.inner.login_options.clone()).await?;
        Ok(Authenticated {
            method: AuthMethod::BrowserLogin,
            account: Some(ok.account),
            auth_file: ok.path.or(path),
        })
    }

    /// True once [`authenticate`](Self::authenticate) has succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.inner.authenticated.load(Ordering::SeqCst)
    }

    pub(crate) fn ensure_authenticated(&self) -> Result<()> {
        if self.is_authenticated() {
            Ok(())
        } else {
            Err(Error::not_authenticated())
        }
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
        // Every request belongs to a thread, as in the official client: a call outside a
        // conversation is a thread of its own (a fresh UUIDv7).
        let thread = o
            .conversation_id
            .clone()
            .unwrap_or_else(codex_client::new_uuid_v7);
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

    /// The account's model catalog (`GET /models`, through the models cache: see
    /// [`CodexClientBuilder::models_cache`]).
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>> {
        self.ensure_authenticated()?;
        let catalog = self.inner.transport.models().list().await?;
        Ok(catalog.models.models)
    }

    /// One catalog entry; [`ErrorKind::ModelNotFound`] when the account has no such model.
    pub async fn get_model(&self, slug: &str) -> Result<ModelInfo> {
        self.list_models()
            .await?
            .into_iter()
            .find(|m| m.slug == slug)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ModelNotFound,
                    format!("model not found in this account's catalog: {slug}"),
                )
            })
    }

    /// The catalog entry of `slug`, from the models cache when it is fresh (see
    /// [`CodexClientBuilder::models_cache`]).
    pub(crate) async fn model_cached(&self, slug: &str) -> Result<ModelInfo> {
        self.get_model(slug).await
    }

    /// Compacts a history (compaction v2 by default, see [`compact_with`](Self::compact_with))
    /// with the session defaults; the
    /// result replaces it.
    pub async fn compact(&self, history: Vec<ResponseItem>) -> Result<Vec<ResponseItem>> {
        self.compact_with(history, None).await
    }

    /// [`compact`](Self::compact) with per-call options (model, instructions, tools,
    /// reasoning, conversation id, window number, [`CompactionMode`], …). The request says
    /// `request_kind: "compaction"` in its turn metadata; the caller that keeps the history
    /// counts the window up afterwards ([`crate::Conversation`] does).
    ///
    /// [`CompactionMode::V2`] (the default, as the official client 0.171): `POST /responses`
    /// with the history plus `{"type":"compaction_trigger"}` and `x-codex-beta-features:
    /// remote_compaction_v2`. The answer must hold exactly one `compaction` item, else
    /// [`ErrorKind::UnexpectedCompactionOutput`] naming what came back. The returned history
    /// is what codex-rs keeps: the latest user messages (up to 64,000 tokens, the oldest one
    /// cut to fit), then the compaction item. When the server refuses v2 as unsupported (a
    /// 400 naming `compaction_trigger` or `remote_compaction_v2`, or a 501), the history is
    /// compacted with [`CompactionMode::Legacy`] instead (`POST /responses/compact`, whose
    /// `output` is returned as it is).
    pub async fn compact_with(
        &self,
        history: Vec<ResponseItem>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<Vec<ResponseItem>> {
        self.ensure_authenticated()?;
        let mut opts = opts.into().unwrap_or_default();
        opts.request_kind = Some(codex_client::RequestKind::Compaction);
        let mode = opts
            .compaction_mode
            .or(self.inner.defaults.compaction_mode)
            .unwrap_or_default();
        if mode == CompactionMode::V2 {
            match self.compact_v2(&history, &opts).await {
                Err(e) if crate::compaction::refuses_v2(&e) => {
                    tracing::warn!(
                        status = e.status().map(|s| s.as_u16()),
                        "the server refused compaction v2; using POST /responses/compact"
                    );
                }
                r => return r,
            }
        }
        let (req, ro) = self.build_request(History::new(), history, &opts)?;
        let creq = CompactRequest::from_request(&req);
        let mut retries = TurnRetries::new(self, "compact");
        loop {
            match self.inner.transport.compact().run(&creq, &ro).await {
                Ok(r) => return Ok(r.output),
                Err(e) => retries.after(e.into()).await?,
            }
        }
    }

    /// One compaction v2 request and the replacement history.
    async fn compact_v2(
        &self,
        history: &[ResponseItem],
        opts: &CallOptions,
    ) -> Result<Vec<ResponseItem>> {
        let mut opts = opts.clone();
        opts.beta_features
            .push(crate::compaction::REMOTE_COMPACTION_V2.to_owned());
        let input = crate::compaction::request_input(history.to_vec());
        let (req, ro) = self.build_request(History::new(), input, &opts)?;
        let answer = self
            .inner
            .transport
            .responses()
            .stream(&req, &ro)
            .await?
            .collect_text()
            .await?;
        let item = crate::compaction::single_compaction(answer.items)?;
        Ok(crate::compaction::replacement_history(history, item))
    }

    /// The plan's rate-limit and credit status (`GET wham/usage`).
    pub async fn usage(&self) -> Result<UsagePayload> {
        self.ensure_authenticated()?;
        Ok(self.inner.transport.usage().get().await?)
    }

    /// Creates a WebRTC realtime call from an SDP offer. `None` sends the default session
    /// (`gpt-realtime-1.5`, voice `marin`), as the Python SDK does; use
    /// [`create_realtime_call_sdp_only`](Self::create_realtime_call_sdp_only) to send the
    /// offer alone.
    pub async fn create_realtime_call(
        &self,
        sdp: &str,
        session: Option<RealtimeSession>,
    ) -> Result<RealtimeCall> {
        self.ensure_authenticated()?;
        let session = session.unwrap_or_default();
        Ok(self
            .inner
            .transport
            .realtime()
            .create_call(sdp, Some(&session))
            .await?)
    }

    /// Creates a realtime call sending only the SDP offer (`Content-Type: application/sdp`).
    pub async fn create_realtime_call_sdp_only(&self, sdp: &str) -> Result<RealtimeCall> {
        self.ensure_authenticated()?;
        Ok(self
            .inner
            .transport
            .realtime()
            .create_call(sdp, None)
            .await?)
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
