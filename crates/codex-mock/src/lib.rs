//! A real loopback HTTP(S) server that plays the ChatGPT Codex backend and the OAuth issuer,
//! for tests and offline demos.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use codex_mock::MockServer;
//! use codex_mock::Reply;
//!
//! let server = MockServer::start().await?;
//! let tokens = server.issuer().issue_tokens(); // a logged-in state the backend accepts
//! server.push_response(Reply::text("hi there"));
//! // point a client at server.backend_base_url() with `Authorization: Bearer <tokens.access_token>`
//! let log = server.requests(); // every request received, in order
//! # let _ = (tokens, log);
//! # Ok(()) }
//! ```
//!
//! The server binds `127.0.0.1:0` and serves until the [`MockServer`] is dropped.
//!
//! # Routes
//!
//! Backend (bearer token required unless [`Issuer::set_require_auth`] is `false`):
//! `POST /backend-api/codex/responses` (SSE), `POST /backend-api/codex/responses/compact`,
//! `GET /backend-api/codex/models?client_version=X.Y.Z`, `GET /backend-api/wham/usage`,
//! `POST /backend-api/codex/memories/trace_summarize`, `POST /v1/realtime/calls` (and
//! `POST /backend-api/codex/realtime/calls`); what the official client calls at start-up:
//! `GET /backend-api/wham/settings/user`, `GET /backend-api/ps/plugins/{installed,list,
//! suggested/codex}`, `GET /backend-api/plugins/featured`, `POST /backend-api/ps/mcp`
//! (JSON-RPC) and `POST /backend-api/codex/analytics-events/events` ([`chatgpt`]).
//!
//! Agent loops: [`Reply::shell`] asks for a shell command in the shape of the tool the request
//! offers, and the follow-up carrying its output is answered by quoting it;
//! [`MockServer::on_user_message`] picks replies by the last user message.
//!
//! Issuer: `GET /oauth/authorize`, `POST /oauth/token`, `POST /oauth/revoke`,
//! `POST /api/accounts/deviceauth/usercode`, `POST /api/accounts/deviceauth/token`.
//!
//! Each route has a FIFO queue of [`Reply`]s ([`MockServer::push`]); an empty queue means the
//! route's built-in behaviour. See `docs/mock.md` for the validation rules and every scenario.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use serde_json::Value;
use tokio::task::JoinHandle;

mod agent;
pub mod catalog;
pub mod chatgpt;
pub mod events;
mod issuer;
pub mod log;
mod proxy;
mod reply;
pub mod scrub;
mod server;
mod tls;
pub mod wire;
mod ws;

pub use agent::ShellTool;
pub use agent::last_user_message;
pub use agent::tool_output_answer;
pub use events::SseEvent;
pub use issuer::CLIENT_ID;
pub use issuer::Identity;
pub use issuer::IntervalEncoding;
pub use issuer::Issuer;
pub use issuer::RefreshFailure;
pub use issuer::TokenSet;
pub use issuer::decode_jwt_claims;
pub use issuer::mint_jwt;
pub use issuer::pkce_challenge;
pub use issuer::rfc3339;
pub use proxy::ConnectProxy;
pub use reply::DEFAULT_TEXT;
pub use reply::FunctionCallSpec;
pub use reply::RATE_LIMIT_MESSAGE;
pub use reply::Reply;
pub use reply::TINY_PNG_DATA_URL;
pub use reply::request_body;
pub use reply::synthetic_cases;
pub use reply::text_events;
pub use reply::user_text;
pub use ws::WS_FRAME_METHOD;
pub use ws::WebSocketMode;

use server::Shared;

/// A route of the mock, each with its own reply queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `POST /backend-api/codex/responses`.
    Responses,
    /// `POST /backend-api/codex/responses/compact`.
    Compact,
    /// `GET /backend-api/codex/models`.
    Models,
    /// `GET /backend-api/wham/usage`.
    Usage,
    /// `GET /backend-api/wham/accounts/check` (workspace routing discovery).
    AccountsCheck,
    /// `POST /v1/realtime/calls` (and the backend flavour).
    RealtimeCalls,
    /// `POST /backend-api/codex/memories/trace_summarize`.
    TraceSummarize,
    /// `POST /oauth/token`.
    Token,
    /// `POST /oauth/revoke`.
    Revoke,
    /// `GET /oauth/authorize`.
    Authorize,
    /// `POST /api/accounts/deviceauth/usercode`.
    DeviceUserCode,
    /// `POST /api/accounts/deviceauth/token`.
    DeviceToken,
    /// `GET /backend-api/wham/settings/user`.
    SettingsUser,
    /// `GET /backend-api/ps/plugins/installed`.
    PluginsInstalled,
    /// `GET /backend-api/ps/plugins/list`.
    PluginsList,
    /// `GET /backend-api/ps/plugins/suggested/codex`.
    PluginsSuggested,
    /// `GET /backend-api/plugins/featured`.
    PluginsFeatured,
    /// `POST /backend-api/ps/mcp` (JSON-RPC 2.0; other methods get 405).
    Mcp,
    /// `POST /backend-api/codex/analytics-events/events` (accepted and dropped: `{}`).
    AnalyticsEvents,
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Method, e.g. `POST`.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// All request headers.
    pub headers: http::HeaderMap,
    /// The body after transfer and content decoding: for a `Content-Encoding: zstd` or `gzip`
    /// request, the decompressed bytes (the JSON the client meant to send).
    pub body: Bytes,
    /// The body as it arrived (after transfer decoding only): the compressed bytes of a
    /// `Content-Encoding: zstd` or `gzip` request, else the same as [`body`](Self::body).
    pub raw_body: Bytes,
    /// HTTP version, e.g. `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
}

impl RecordedRequest {
    /// The body parsed as JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as `application/x-www-form-urlencoded` (empty if not UTF-8).
    pub fn form(&self) -> Vec<(String, String)> {
        std::str::from_utf8(&self.body)
            .map(wire::parse_urlencoded)
            .unwrap_or_default()
    }

    /// The decoded query parameters.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(wire::parse_urlencoded)
            .unwrap_or_default()
    }

    /// A header value as text (first value; `None` if absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The parts of a `multipart/form-data` body.
    pub fn multipart(&self) -> Option<Vec<wire::Part>> {
        let boundary = wire::multipart_boundary(self.header("content-type")?)?;
        wire::parse_multipart(&self.body, &boundary)
    }
}

/// A running mock server. Dropping it shuts the server down.
pub struct MockServer {
    shared: Arc<Shared>,
    url: String,
    ca_pem: Option<String>,
    ca_der: Option<Vec<u8>>,
    kx_log: tls::KxLog,
    task: JoinHandle<()>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("url", &self.url)
            .field("tls", &self.ca_pem.is_some())
            .finish()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Options for [`MockServer`]; start with [`MockServer::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MockServerBuilder {
    tls: bool,
    port: u16,
    require_auth: Option<bool>,
    request_log: Option<std::path::PathBuf>,
    auto_compact: Vec<(Option<String>, Option<u64>)>,
}

impl MockServerBuilder {
    /// Serve HTTPS with a fresh test CA (default `false`).
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Bind this port on 127.0.0.1 (default 0: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether backend routes require an issuer-minted token (default `true`).
    pub fn require_auth(mut self, require: bool) -> Self {
        self.require_auth = Some(require);
        self
    }

    /// Write every request to `path` as one JSON line (created or truncated at start; secrets
    /// redacted, see [`log::request_line`]).
    pub fn request_log(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.request_log = Some(path.into());
        self
    }

    /// Set `auto_compact_token_limit` of model `slug` in the `/models` catalog (`None`: null,
    /// so clients fall back to 90 % of the context window). A small limit makes a client's
    /// automatic compaction start after a turn or two.
    pub fn auto_compact_token_limit(mut self, slug: &str, limit: Option<u64>) -> Self {
        self.auto_compact.push((Some(slug.to_owned()), limit));
        self
    }

    /// [`auto_compact_token_limit`](Self::auto_compact_token_limit) for every model.
    pub fn auto_compact_token_limit_all(mut self, limit: Option<u64>) -> Self {
        self.auto_compact.push((None, limit));
        self
    }

    /// Bind and start serving.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let scheme = if self.tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{}", addr.port());
        let (acceptor, ca_pem, ca_der) = if self.tls {
            let (a, pem, der) = tls::acceptor()?;
            (Some(a), Some(pem), Some(der))
        } else {
            (None, None, None)
        };
        let shared = Arc::new(Shared {
            issuer: Issuer::new(url.clone()),
            queues: Mutex::new(HashMap::new()),
            defaults: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            agent: Default::default(),
            log: match &self.request_log {
                Some(path) => Some(log::RequestLog::create(path)?),
                None => None,
            },
            ws_mode: Mutex::new(WebSocketMode::default()),
            ws_connection_limit: AtomicU64::new(0),
            ws_generation: AtomicU64::new(0),
            ws_close_after: AtomicU64::new(u64::MAX),
            ws_binary_after: AtomicU64::new(u64::MAX),
            accept_zstd: std::sync::atomic::AtomicBool::new(true),
            compaction_v2: std::sync::atomic::AtomicBool::new(true),
            routing: Mutex::new((None, None)),
        });
        for (slug, limit) in &self.auto_compact {
            shared.agent.set_auto_compact(slug.as_deref(), *limit);
        }
        if let Some(r) = self.require_auth {
            shared.issuer.set_require_auth(r);
        }
        let kx_log = tls::KxLog::default();
        let task = tokio::spawn(tls::serve(
            listener,
            acceptor,
            shared.clone(),
            kx_log.clone(),
        ));
        Ok(MockServer {
            shared,
            url,
            ca_pem,
            ca_der,
            kx_log,
            task,
        })
    }
}

impl MockServer {
    /// Start plain HTTP on an ephemeral port of 127.0.0.1.
    pub async fn start() -> std::io::Result<MockServer> {
        MockServer::builder().start().await
    }

    /// Start HTTPS (HTTP/1.1 and h2 via ALPN) with a fresh test CA; the certificate is valid
    /// for `127.0.0.1` and `localhost`. Trust [`ca_cert_pem`](Self::ca_cert_pem).
    pub async fn start_tls() -> std::io::Result<MockServer> {
        MockServer::builder().tls(true).start().await
    }

    /// A builder for other options.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// How later WebSocket upgrades of `/responses` are answered (default
    /// [`WebSocketMode::Accept`]).
    pub fn set_websocket(&self, mode: WebSocketMode) {
        *self
            .shared
            .ws_mode
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = mode;
    }

    /// After `limit` responses on one WebSocket connection, further `response.create` frames
    /// on it get the `websocket_connection_limit_reached` error (`None`: no limit, the
    /// default).
    pub fn set_websocket_connection_limit(&self, limit: Option<u64>) {
        self.shared
            .ws_connection_limit
            .store(limit.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
    }

    /// Cuts every later WebSocket response with a real Close frame (code 1000, reason
    /// `mock closed the connection mid-response`) after `frames` of its text frames, then ends
    /// the connection (`None`: never, the default). Over HTTP nothing changes.
    pub fn set_websocket_close_after(&self, frames: Option<u64>) {
        self.shared.ws_close_after.store(
            frames.unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Sends a binary frame (the next event's bytes) in every later WebSocket response after
    /// `frames` of its text frames, then the rest of the response (`None`: never, the
    /// default). Over HTTP nothing changes.
    pub fn set_websocket_binary_after(&self, frames: Option<u64>) {
        self.shared.ws_binary_after.store(
            frames.unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Makes every open WebSocket connection forget the responses it served: a later
    /// `previous_response_id` naming one of them gets `previous_response_not_found`.
    pub fn forget_websocket_responses(&self) {
        self.shared
            .ws_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The frames clients sent over WebSocket, in order (each recorded with method
    /// [`WS_FRAME_METHOD`], the upgrade's headers and the frame text as body).
    pub fn websocket_frames(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == WS_FRAME_METHOD)
            .collect()
    }

    /// The WebSocket upgrade requests received on `/responses` (whatever the answer).
    pub fn websocket_upgrades(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.headers.contains_key(http::header::UPGRADE))
            .collect()
    }

    /// A server pre-seeded for offline demos: auth is not required and every route has a
    /// default answer. Returns the server and a token set the issuer accepts (write it with
    /// [`TokenSet::write_auth_json`]).
    pub async fn start_demo() -> std::io::Result<(MockServer, TokenSet)> {
        let server = MockServer::builder().require_auth(false).start().await?;
        let tokens = server.issuer().issue_tokens();
        Ok((server, tokens))
    }

    /// Base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash); also the issuer base.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `url() + "/backend-api/codex"`.
    pub fn backend_base_url(&self) -> String {
        format!("{}/backend-api/codex", self.url)
    }

    /// `url() + "/backend-api/wham/usage"`.
    pub fn usage_url(&self) -> String {
        format!("{}/backend-api/wham/usage", self.url)
    }

    /// `url() + "/v1"` (realtime calls).
    pub fn api_base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// The issuer base URL (same as [`url`](Self::url)).
    pub fn issuer_url(&self) -> String {
        self.url.clone()
    }

    /// The PEM of the test CA (TLS servers only).
    pub fn ca_cert_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// The DER of the test CA (TLS servers only).
    pub fn ca_cert_der(&self) -> Option<Vec<u8>> {
        self.ca_der.clone()
    }

    /// The key exchange group of every TLS handshake so far, in order, by its IANA name
    /// (e.g. `"X25519MLKEM768"`); empty for plain HTTP.
    pub fn tls_key_exchange_groups(&self) -> Vec<String> {
        self.kx_log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Queue a reply for `POST /responses` (FIFO; when empty: a text reply with
    /// [`DEFAULT_TEXT`]).
    pub fn push_response(&self, reply: Reply) {
        self.push(Route::Responses, reply);
    }

    /// Queue a reply for any route.
    pub fn push(&self, route: Route, reply: Reply) {
        self.shared
            .queues()
            .entry(route)
            .or_default()
            .push_back(reply);
    }

    /// Use `reply` (a fresh copy each time) whenever `route`'s queue is empty, instead of the
    /// built-in behaviour. Queued replies still come first.
    pub fn set_default(&self, route: Route, reply: Reply) {
        self.shared
            .defaults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(route, reply);
    }

    /// Number of replies still queued for `route`.
    pub fn pending(&self, route: Route) -> usize {
        self.shared.queues().get(&route).map_or(0, VecDeque::len)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests().clone()
    }

    /// Requests received on one path (e.g. `/backend-api/codex/responses`).
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.shared
            .requests()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Answer every `/responses` request whose last user message contains `contains` with
    /// `reply` (a fresh copy each time), before the queue; rules are checked in the order they
    /// were added. Not applied to requests that end with a tool output, so a rule whose reply
    /// is a [`Reply::shell`] call does not loop.
    pub fn on_user_message(&self, contains: &str, reply: Reply) {
        self.shared.agent.add_rule(contains, reply);
    }

    /// Change `auto_compact_token_limit` of model `slug` (`None` for every model) in the
    /// catalog served from now on; see [`MockServerBuilder::auto_compact_token_limit`].
    pub fn set_auto_compact_token_limit(&self, slug: Option<&str>, limit: Option<u64>) {
        self.shared.agent.set_auto_compact(slug, limit);
    }

    /// Whether `Content-Encoding: zstd` request bodies are accepted (default `true`, as the
    /// ChatGPT backend). With `false` such a request is answered 415
    /// `{"detail":"Unsupported content-encoding: zstd"}` (a server that does not take
    /// zstd). `Content-Encoding: gzip` bodies are decoded either way.
    pub fn set_accept_zstd(&self, accept: bool) {
        self.shared
            .accept_zstd
            .store(accept, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether compaction v2 is served (default `true`): a `POST /responses` whose input
    /// ends in `{"type":"compaction_trigger"}` is answered, when no reply is queued, with
    /// exactly one `compaction` output item ([`Reply::compaction`]). With `false` it is
    /// refused as a backend without v2 would: 400 `Invalid value: 'compaction_trigger'…`.
    pub fn set_compaction_v2(&self, supported: bool) {
        self.shared
            .compaction_v2
            .store(supported, std::sync::atomic::Ordering::SeqCst);
    }

    /// What `GET /backend-api/wham/accounts/check` answers for the issuer's account:
    /// `workspace_backend_origin` (`None`: `NO_CONSTRAINT`) and `account_routing_override`
    /// (`None`: `NO_CONSTRAINT`). Make discovery fail with [`MockServer::push`] on
    /// [`Route::AccountsCheck`] (e.g. a 500 or 404 reply).
    pub fn set_workspace_routing(&self, origin: Option<&str>, routing_override: Option<&str>) {
        *self
            .shared
            .routing
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = (
            origin.map(str::to_owned),
            routing_override.map(str::to_owned),
        );
    }

    /// The issuer's state and settings.
    pub fn issuer(&self) -> &Issuer {
        &self.shared.issuer
    }
}
