//! [`Client`] and the one request loop (credentials, 401 recovery, retries). Its builder is in
//! `builder.rs`, the request description ([`Prepared`]) in `prepared.rs`.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use codex_auth::Credentials;
use codex_auth::TokenProvider;
use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;
use http::Method;
use http::Request;
use http::Response;
use http::StatusCode;
use http::Uri;
use http::header;
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::time::Instant;
use tracing::Instrument;

use crate::abort::AbortHandle;
use crate::abort::Slot;
use crate::builder::ClientBuilder;
use crate::compression::RequestCompression;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::RequestOptions;
pub(crate) use crate::prepared::ConversationHeaders;
pub(crate) use crate::prepared::Endpoint;
pub(crate) use crate::prepared::Prepared;
pub(crate) use crate::prepared::Target;
use crate::retry::RetryPolicy;
use crate::routing;
use crate::routing::Routing;
use crate::status;
use crate::transport::Transport;
use crate::url::BaseUrl;

/// Default `originator` header value.
pub const DEFAULT_ORIGINATOR: &str = "codex_cli_rs";
/// Default CLI version sent as the `version` header and as `client_version` on `/models`:
/// the official CLI release this SDK's wire behaviour was checked against (protocol §14), so
/// the catalog does not hide new models (§7.2).
pub const DEFAULT_CLIENT_VERSION: &str = "0.171.0";
/// Default stream idle timeout (codex-rs `stream_idle_timeout_ms`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default connect timeout (the workspace's one, [`codex_auth::net::DEFAULT_CONNECT_TIMEOUT`]).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = codex_auth::net::DEFAULT_CONNECT_TIMEOUT;
/// Largest non-streaming response body read (the model catalog can be several MiB).
const MAX_UNARY_BODY: usize = 64 * 1024 * 1024;
/// Largest error body read (longer bodies are truncated, never discarded).
pub(crate) const MAX_ERROR_BODY_READ: usize = 1024 * 1024;
/// Longest time spent reading an error body (also bounded by the idle timeout): a server that
/// stalls mid-body cannot hold up a retry for a whole idle timeout.
pub(crate) const MAX_ERROR_BODY_WAIT: Duration = Duration::from_secs(10);

/// The transport: one pooled HTTP/1.1 + HTTP/2 client over rustls, shared by every endpoint.
/// Cheap to clone (an `Arc` inside); clones share the pool, the configuration and
/// [`Client::abort_all`].
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

#[derive(Debug)]
pub(crate) struct ClientInner {
    pub(crate) cfg: Config,
    pub(crate) transport: Transport,
    pub(crate) provider: Option<Arc<dyn TokenProvider>>,
    pub(crate) all: AbortHandle,
    pub(crate) cookies: Option<crate::cookies::Jar>,
    /// Idle WebSocket connections and the "no more upgrades" switch.
    pub(crate) ws: crate::ws::Pool,
    /// Set once a server refused a compressed body: every later body goes out plain.
    pub(crate) plain_bodies: AtomicBool,
    /// The `/models` catalog cache.
    pub(crate) models_cache: crate::models_cache::Cache,
}

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) base_url: BaseUrl,
    pub(crate) usage_url: BaseUrl,
    pub(crate) api_base_url: BaseUrl,
    pub(crate) headers: HeaderMap,
    pub(crate) client_version: String,
    pub(crate) installation_id: Option<String>,
    pub(crate) beta_features: Vec<String>,
    pub(crate) idle_timeout: Duration,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_event_size: usize,
    pub(crate) transport: crate::ws::Transport,
    pub(crate) connect_timeout: Duration,
    pub(crate) compression: RequestCompression,
    /// Where `wham/accounts/check` lives (`None`: no workspace routing).
    pub(crate) chatgpt_base: Option<BaseUrl>,
}

impl Client {
    /// A builder with the defaults (and environment overrides, see [`ClientBuilder::new`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client with the defaults and environment overrides, using `provider` for credentials.
    pub fn from_env(provider: Arc<dyn TokenProvider>) -> Result<Self> {
        Self::builder().token_provider(provider).build()
    }

    /// The backend base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.cfg.base_url.as_str()
    }

    /// The usage URL in use.
    pub fn usage_url(&self) -> &str {
        self.inner.cfg.usage_url.as_str()
    }

    /// The public API base URL in use (realtime calls).
    pub fn api_base_url(&self) -> &str {
        self.inner.cfg.api_base_url.as_str()
    }

    /// The retry policy of this client (request and whole-turn retries).
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.cfg.retry
    }

    /// Stops every request and stream currently running on this client (and its clones).
    /// Each ends with [`ErrorKind::Aborted`]; a no-op when none runs.
    pub fn abort_all(&self) {
        self.inner.all.abort();
    }

    /// The number of requests and streams currently running on this client.
    pub fn active_requests(&self) -> usize {
        self.inner.all.active()
    }
}

/// The state one request carries across attempts.
pub(crate) struct Attempts {
    pub(crate) creds: Option<Credentials>,
    pub(crate) refreshed: bool,
    /// Set once a refused compressed body was sent again plain.
    pub(crate) plain_retry: bool,
    pub(crate) retries: u32,
    pub(crate) deadline: Option<Instant>,
}

impl std::fmt::Debug for Attempts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempts")
            .field("has_credentials", &self.creds.is_some())
            .field("refreshed", &self.refreshed)
            .field("retries", &self.retries)
            .finish()
    }
}

fn auth_error(e: codex_auth::Error) -> Error {
    if e.is_login_required() {
        Error::new(
            ErrorKind::LoginRequired,
            "not logged in or the login expired; log in again",
        )
        .with_source(e)
    } else {
        let retryable = e.is_retryable();
        Error::new(ErrorKind::Auth, "could not obtain credentials")
            .with_source(e)
            .with(|d| d.retryable = retryable)
    }
}

pub(crate) fn timeout_error() -> Error {
    Error::new(ErrorKind::Timeout, "request deadline exceeded").with(|d| d.retryable = true)
}

pub(crate) fn aborted_error() -> Error {
    Error::new(ErrorKind::Aborted, "request aborted")
}

impl ClientInner {
    /// The head and (bounded) body of an error answer: at most [`MAX_ERROR_BODY_READ`]
    /// bytes, read for at most [`MAX_ERROR_BODY_WAIT`] (or the idle timeout when shorter).
    async fn read_error_answer(&self, resp: Response<Incoming>) -> (http::response::Parts, Bytes) {
        let (parts, body) = resp.into_parts();
        let bytes = crate::transport::read_error_body(
            body,
            MAX_ERROR_BODY_READ,
            self.cfg.idle_timeout.min(MAX_ERROR_BODY_WAIT),
        )
        .await;
        (parts, bytes)
    }

    pub(crate) fn new_attempts(&self, opts: &RequestOptions) -> Attempts {
        let timeout = opts.timeout.or(self.cfg.timeout);
        Attempts {
            creds: None,
            refreshed: false,
            plain_retry: false,
            retries: 0,
            // A timeout too long to represent is no deadline at all.
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
        }
    }

    /// Registers a request with the client-wide and the per-request abort handles.
    pub(crate) fn abort_slot(&self, opts: &RequestOptions) -> Arc<Slot> {
        Slot::new_registered(std::iter::once(&self.all).chain(opts.abort.as_ref()))
    }

    /// Sends `p` until a 2xx response head arrives, with 401 recovery and retries (the one
    /// retry layer). Stops early on abort or deadline.
    pub(crate) async fn execute(
        &self,
        p: &Prepared,
        state: &mut Attempts,
        slot: &Arc<Slot>,
    ) -> Result<Response<Incoming>> {
        let deadline = state.deadline;
        let work = self.execute_inner(p, state);
        let guarded = async {
            match deadline {
                Some(d) => tokio::time::timeout_at(d, work)
                    .await
                    .unwrap_or_else(|_| Err(timeout_error())),
                None => work.await,
            }
        };
        tokio::select! {
            biased;
            () = slot.aborted() => Err(aborted_error()),
            r = guarded => r,
        }
    }

    async fn execute_inner(
        &self,
        p: &Prepared,
        state: &mut Attempts,
    ) -> Result<Response<Incoming>> {
        let span = tracing::info_span!(
            "codex_request",
            method = %p.method,
            path = p.path,
        );
        async {
            loop {
                self.ensure_credentials(state).await?;
                let attempt = state.retries + 1;
                let span = tracing::info_span!(
                    "attempt",
                    attempt,
                    status = tracing::field::Empty,
                    request_id = tracing::field::Empty,
                );
                let compressed = self.compresses(p, state.creds.as_ref());
                let route = self.route_of(p, state.creds.as_ref()).await;
                let result = self
                    .send_once(p, state.creds.as_ref(), compressed, route.as_deref())
                    .instrument(span.clone())
                    .await;
                match &result {
                    Ok(resp) => {
                        span.record("status", resp.status().as_u16());
                        if let Some(id) = status::request_id(resp.headers()) {
                            span.record("request_id", id.as_str());
                        }
                        tracing::info!(parent: &span, status = resp.status().as_u16(), "response head");
                    }
                    Err(e) => {
                        tracing::info!(parent: &span, kind = e.kind().as_str(), "attempt failed");
                    }
                }
                let err = match result {
                    Ok(resp) if resp.status().is_success() => return Ok(resp),
                    // The answer to a conditional request (the models cache): not an error.
                    Ok(resp)
                        if resp.status() == StatusCode::NOT_MODIFIED
                            && p.headers.contains_key(header::IF_NONE_MATCH) =>
                    {
                        return Ok(resp);
                    }
                    Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED => {
                        let (parts, bytes) = self.read_error_answer(resp).await;
                        if self.refresh_after_401(state).await? {
                            continue;
                        }
                        return Err(status::http_error(parts.status, &parts.headers, &bytes));
                    }
                    Ok(resp) => {
                        let (parts, bytes) = self.read_error_answer(resp).await;
                        if compressed
                            && !state.plain_retry
                            && crate::compression::refuses_encoding(parts.status, &bytes)
                        {
                            // As the issue asks: this client sends plain bodies from now on,
                            // and the refused request once more (not counted as a retry).
                            tracing::warn!(
                                status = parts.status.as_u16(),
                                "the server refused a zstd request body; sending plain bodies from now on"
                            );
                            self.plain_bodies.store(true, Ordering::SeqCst);
                            state.plain_retry = true;
                            continue;
                        }
                        status::http_error(parts.status, &parts.headers, &bytes)
                    }
                    Err(e) => e,
                };
                let retry = state.retries + 1;
                match self.cfg.retry.delay_for(retry, &err) {
                    Some(delay) => {
                        tracing::info!(
                            kind = err.kind().as_str(),
                            status = err.status().map(|s| s.as_u16()),
                            retry,
                            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                            "retrying"
                        );
                        state.retries = retry;
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(err),
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Whether this attempt of `p` goes out zstd-compressed.
    fn compresses(&self, p: &Prepared, creds: Option<&Credentials>) -> bool {
        if !p.compressible || self.plain_bodies.load(Ordering::SeqCst) {
            return false;
        }
        match self.cfg.compression {
            RequestCompression::Disabled => false,
            RequestCompression::Zstd => true,
            RequestCompression::Auto => {
                self.cfg.base_url.is_chatgpt_backend()
                    && creds.is_some_and(|c| c.account_id.is_some())
            }
        }
    }

    /// The workspace routing of these credentials (discovered once per process, see
    /// [`crate::ClientBuilder::workspace_routing`]); `None` when it does not apply.
    async fn routing(&self, creds: Option<&Credentials>) -> Option<Arc<Routing>> {
        let base = self.cfg.chatgpt_base.as_ref()?;
        let creds = creds?;
        let account = creds.account_id.as_deref()?;
        if let Some(r) = routing::cached(base.as_str(), account) {
            return Some(r);
        }
        let found = match self.discover(base, creds).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(
                    kind = e.kind().as_str(),
                    status = e.status().map(|s| s.as_u16()),
                    "workspace routing discovery failed; using the configured base URL"
                );
                Routing::default()
            }
        };
        Some(routing::store(base.as_str(), account, found))
    }

    /// One `GET {chatgpt base}/wham/accounts/check` (one attempt, no retry).
    async fn discover(&self, base: &BaseUrl, creds: &Credentials) -> Result<Routing> {
        let p = Prepared {
            method: Method::GET,
            uri: base.join("wham/accounts/check")?,
            path: "/wham/accounts/check",
            headers: self.cfg.headers.clone(),
            body: Bytes::new(),
            compressible: false,
            routable: false,
            zstd_body: OnceLock::new(),
            head_wait_factor: 1,
        };
        let resp = self.send_once(&p, Some(creds), false, None).await?;
        let (parts, body) = resp.into_parts();
        let bytes =
            crate::transport::read_body(body, MAX_ERROR_BODY_READ, self.cfg.idle_timeout).await?;
        if !parts.status.is_success() {
            return Err(status::http_error(parts.status, &parts.headers, &bytes));
        }
        let account = creds.account_id.as_deref().unwrap_or_default();
        Ok(routing::parse(&bytes, account))
    }

    async fn send_once(
        &self,
        p: &Prepared,
        creds: Option<&Credentials>,
        compressed: bool,
        route: Option<&Routing>,
    ) -> Result<Response<Incoming>> {
        let body = if compressed {
            p.zstd_body()?
        } else {
            p.body.clone()
        };
        let (uri, headers) = self.routed_request(p, route, creds)?;
        let mut req = Request::builder()
            .method(p.method.clone())
            .uri(uri.clone())
            .body(Full::new(body))
            .map_err(|e| Error::config("invalid request").with_source(e))?;
        *req.headers_mut() = headers;
        if compressed {
            req.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("zstd"));
        }
        let head_wait = self.cfg.idle_timeout.saturating_mul(p.head_wait_factor);
        let resp = tokio::time::timeout(head_wait, self.transport.send(req))
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::IdleTimeout,
                    "idle timeout waiting for the response",
                )
                .with(|d| d.retryable = true)
            })??;
        if let Some(jar) = &self.cookies {
            jar.store(&uri, resp.headers());
        }
        Ok(resp)
    }

    /// The workspace routing that applies to `p` (`None`: not routable, or no routing).
    pub(crate) async fn route_of(
        &self,
        p: &Prepared,
        creds: Option<&Credentials>,
    ) -> Option<Arc<Routing>> {
        match p.routable {
            true => self.routing(creds).await,
            false => None,
        }
    }

    /// The URI and headers of one attempt of `p` under `route`: the workspace origin and the
    /// routing override applied, then [`request_headers`](Self::request_headers).
    pub(crate) fn routed_request(
        &self,
        p: &Prepared,
        route: Option<&Routing>,
        creds: Option<&Credentials>,
    ) -> Result<(Uri, HeaderMap)> {
        let uri = match route {
            Some(r) => r.apply(&p.uri),
            None => p.uri.clone(),
        };
        let mut headers = self.request_headers(p, &uri, creds)?;
        if let Some(v) = route.and_then(|r| r.routing_override.clone()) {
            headers.insert(HeaderName::from_static(routing::ROUTING_OVERRIDE_HEADER), v);
        }
        Ok((uri, headers))
    }

    /// Fetches credentials for the next attempt when the request has none yet.
    pub(crate) async fn ensure_credentials(&self, state: &mut Attempts) -> Result<()> {
        if state.creds.is_none()
            && let Some(provider) = &self.provider
        {
            state.creds = Some(provider.credentials().await.map_err(auth_error)?);
        }
        Ok(())
    }

    /// After a 401: refreshes the credentials once per request. `Ok(true)` means "send
    /// again with the fresh credentials"; `Ok(false)` means the 401 stands.
    pub(crate) async fn refresh_after_401(&self, state: &mut Attempts) -> Result<bool> {
        match (&self.provider, &state.creds, state.refreshed) {
            (Some(provider), Some(rejected), false) => {
                state.refreshed = true;
                tracing::info!("401: refreshing credentials once");
                let fresh = provider
                    .refresh_after_unauthorized(rejected)
                    .await
                    .map_err(auth_error)?;
                state.creds = Some(fresh);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The headers of one attempt to `uri`: the prepared ones, cookies for its host, and the
    /// credentials (`Authorization` marked sensitive, `ChatGPT-Account-ID`, FedRAMP).
    pub(crate) fn request_headers(
        &self,
        p: &Prepared,
        uri: &Uri,
        creds: Option<&Credentials>,
    ) -> Result<HeaderMap> {
        let mut headers = p.headers.clone();
        if let Some(jar) = &self.cookies
            && let Some(cookie) = jar.header_for(uri)
        {
            headers.insert(header::COOKIE, cookie);
        }
        if let Some(c) = creds {
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", c.access_token.expose()))
                .map_err(|_| {
                    Error::new(ErrorKind::Auth, "access token is not a valid header value")
                })?;
            auth.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, auth);
            if let Some(acct) = &c.account_id {
                let v = HeaderValue::from_str(acct).map_err(|_| {
                    Error::new(ErrorKind::Auth, "account id is not a valid header value")
                })?;
                headers.insert(HeaderName::from_static("chatgpt-account-id"), v);
            }
            if c.fedramp {
                headers.insert(
                    HeaderName::from_static("x-openai-fedramp"),
                    HeaderValue::from_static("true"),
                );
            }
        }
        Ok(headers)
    }

    /// A unary request: sends, reads the whole body.
    pub(crate) async fn unary(
        &self,
        p: Prepared,
        opts: &RequestOptions,
    ) -> Result<(http::response::Parts, Bytes)> {
        self.unary_with(p, opts, self.new_attempts(opts)).await
    }

    /// [`unary`](Self::unary) continuing `state` (e.g. credentials already fetched).
    pub(crate) async fn unary_with(
        &self,
        p: Prepared,
        opts: &RequestOptions,
        mut state: Attempts,
    ) -> Result<(http::response::Parts, Bytes)> {
        let slot = self.abort_slot(opts);
        let resp = self.execute(&p, &mut state, &slot).await?;
        let (parts, body) = resp.into_parts();
        let idle = self.cfg.idle_timeout;
        let read = crate::transport::read_body(body, MAX_UNARY_BODY, idle);
        let guarded = async {
            match state.deadline {
                Some(d) => tokio::time::timeout_at(d, read)
                    .await
                    .unwrap_or_else(|_| Err(timeout_error())),
                None => read.await,
            }
        };
        let bytes = tokio::select! {
            biased;
            () = slot.aborted() => Err(aborted_error()),
            r = guarded => r,
        }?;
        Ok((parts, bytes))
    }
}
