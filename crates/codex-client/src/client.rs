//! [`Client`], its builder, and the one request loop (credentials, 401 recovery, retries).

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use codex_auth::Credentials;
use codex_auth::TokenProvider;
use codex_auth::net::Connector;
use codex_auth::net::ConnectorBuilder;
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
use crate::compression::RequestCompression;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::RequestOptions;
use crate::retry::RetryPolicy;
use crate::routing;
use crate::routing::Routing;
use crate::status;
use crate::transport::Transport;
use crate::url::BaseUrl;
use crate::url::DEFAULT_API_BASE_URL;
use crate::url::DEFAULT_BASE_URL;

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

/// Builder of a [`Client`]. Setters never fail; problems are reported by
/// [`build`](ClientBuilder::build) as [`ErrorKind::Config`].
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    usage_url: Option<String>,
    api_base_url: Option<String>,
    originator: String,
    user_agent: Option<String>,
    version: String,
    client_version: String,
    installation_id: Option<String>,
    beta_features: Vec<String>,
    headers: HeaderMap,
    idle_timeout: Duration,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    max_event_size: usize,
    /// Also bounds a WebSocket upgrade (TLS and HTTP handshake); kept equal to `net`'s.
    connect_timeout: Duration,
    net: ConnectorBuilder,
    connector: Option<Connector>,
    provider: Option<Arc<dyn TokenProvider>>,
    invalid: Option<String>,
    cookie_store: bool,
    transport: crate::ws::Transport,
    compression: RequestCompression,
    chatgpt_base_url: Option<String>,
    workspace_routing: bool,
    models_cache: crate::ModelsCache,
    models_cache_ttl: Duration,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("usage_url", &self.usage_url)
            .field("api_base_url", &self.api_base_url)
            .field("originator", &self.originator)
            .field("network", &self.net)
            .field("connector", &self.connector)
            .field("idle_timeout", &self.idle_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("transport", &self.transport)
            .field("models_cache", &self.models_cache)
            .field("has_token_provider", &self.provider.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// Defaults, with `CODEX_BASE_URL`, `CODEX_API_BASE_URL`, `HTTPS_PROXY`/`ALL_PROXY`,
    /// `NO_PROXY`, `CODEX_CA_CERTIFICATE` and `SSL_CERT_FILE` read from the environment
    /// (explicit setters win; see [`ConnectorBuilder::new`]).
    pub fn new() -> Self {
        let env = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        Self {
            base_url: env("CODEX_BASE_URL"),
            usage_url: None,
            api_base_url: env("CODEX_API_BASE_URL"),
            originator: DEFAULT_ORIGINATOR.to_owned(),
            user_agent: None,
            version: DEFAULT_CLIENT_VERSION.to_owned(),
            client_version: DEFAULT_CLIENT_VERSION.to_owned(),
            installation_id: None,
            beta_features: Vec::new(),
            headers: HeaderMap::new(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            timeout: None,
            retry: RetryPolicy::default(),
            max_event_size: codex_sse::DEFAULT_MAX_EVENT_SIZE,
            connect_timeout: codex_auth::net::DEFAULT_CONNECT_TIMEOUT,
            net: ConnectorBuilder::new(),
            connector: None,
            provider: None,
            invalid: None,
            cookie_store: true,
            transport: crate::ws::Transport::Auto,
            compression: RequestCompression::Auto,
            chatgpt_base_url: None,
            workspace_routing: true,
            models_cache: crate::ModelsCache::InMemory,
            models_cache_ttl: crate::DEFAULT_MODELS_CACHE_TTL,
        }
    }

    /// The Codex backend base URL (default `https://chatgpt.com/backend-api/codex`, or
    /// `CODEX_BASE_URL`). `https` only, except `http` to loopback hosts.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The usage URL (default derived from the base URL: `…/backend-api/wham/usage`).
    pub fn usage_url(mut self, url: impl Into<String>) -> Self {
        self.usage_url = Some(url.into());
        self
    }

    /// The public API base URL used for realtime calls (default `https://api.openai.com/v1`,
    /// or `CODEX_API_BASE_URL`).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = Some(url.into());
        self
    }

    /// The `originator` header (default `codex_cli_rs`).
    pub fn originator(mut self, originator: impl Into<String>) -> Self {
        self.originator = originator.into();
        self
    }

    /// The `User-Agent` header (default
    /// `{originator}/{version} ({os}; {arch}) codex-backend/{crate version}`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// The `version` header (default [`DEFAULT_CLIENT_VERSION`]).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// The `client_version` query of `GET /models` (default [`DEFAULT_CLIENT_VERSION`]).
    pub fn client_version(mut self, version: impl Into<String>) -> Self {
        self.client_version = version.into();
        self
    }

    /// The installation id (a UUID kept across runs; the facade reads the official client's
    /// `$CODEX_HOME/installation_id`). Sent in `client_metadata` and the turn metadata of
    /// `/responses`, and as `x-codex-installation-id` on compaction. Default: none.
    pub fn installation_id(mut self, id: impl Into<String>) -> Self {
        self.installation_id = Some(id.into());
        self
    }

    /// Adds a key to `x-codex-beta-features` on every `/responses` and compaction request
    /// (default: none; compaction v2 adds `remote_compaction_v2` to its own requests).
    pub fn beta_feature(mut self, feature: impl Into<String>) -> Self {
        self.beta_features.push(feature.into());
        self
    }

    /// An extra header sent with every request (per-request headers override it).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// TCP connect timeout (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self.net = self.net.connect_timeout(timeout);
        self
    }

    /// Longest silence on a response (waiting for its head or for body bytes; SSE keep-alive
    /// comments count as activity) before the request fails with
    /// [`ErrorKind::IdleTimeout`] (default 300 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Largest SSE event a stream accepts (default 64 MiB,
    /// [`codex_sse::DEFAULT_MAX_EVENT_SIZE`]). A bigger event is skipped without being held
    /// and reported as one [`ErrorKind::Decode`] item; the stream goes on.
    ///
    /// Memory: a stream holds at most about this many bytes for the event being read. The
    /// done events of an answer (`response.output_text.done`, `response.output_item.done`)
    /// repeat its whole text, so they are the largest: lower this to bound memory on very
    /// long answers whose text you take from the deltas (those done events are then skipped).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// Optional total deadline of each request, from the call until its stream ends
    /// ([`ErrorKind::Timeout`]). Default: none (streams are bounded by the idle timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]; [`RetryPolicy::none`] disables).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Trusts the CA certificates in this PEM (in addition to the default roots).
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.net = self.net.add_root_certificate_pem(pem);
        self
    }

    /// Trusts the CA certificates of this PEM bundle file (read by [`build`](Self::build)) in
    /// addition to the other roots, for every request of the client; replaces the file named
    /// by `CODEX_CA_CERTIFICATE` or `SSL_CERT_FILE`. A missing or malformed file fails
    /// `build` with [`ErrorKind::Config`].
    pub fn ca_certificate(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.net = self.net.ca_certificate(path);
        self
    }

    /// Also trusts the platform's root certificates (default off).
    pub fn platform_roots(mut self, yes: bool) -> Self {
        self.net = self.net.platform_roots(yes);
        self
    }

    /// Trusts the bundled Mozilla (webpki) roots (default on).
    pub fn webpki_roots(mut self, yes: bool) -> Self {
        self.net = self.net.webpki_roots(yes);
        self
    }

    /// The HTTPS proxy (an `http://` URL, reached with a CONNECT tunnel), overriding
    /// `HTTPS_PROXY`; `None` disables the proxy.
    pub fn proxy(mut self, url: Option<String>) -> Self {
        self.net = self.net.proxy(url);
        self
    }

    /// Hosts that bypass the proxy (the `NO_PROXY` syntax), overriding `NO_PROXY`.
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.net = self.net.no_proxy(list);
        self
    }

    /// Replaces every network setting (connect timeout, roots, extra CA, proxy) at once.
    pub fn network(mut self, settings: ConnectorBuilder) -> Self {
        self.net = settings;
        self
    }

    /// The network settings the setters above have built so far; build a [`Connector`] from
    /// them to share one pool with the OAuth issuer (as the `codex-backend` facade does).
    pub fn network_settings(&self) -> &ConnectorBuilder {
        &self.net
    }

    /// Sends every request through this connector (sharing its pool) instead of building one
    /// from the network settings, which are then ignored.
    pub fn connector(mut self, connector: Connector) -> Self {
        self.connector = Some(connector);
        self
    }

    /// Keep cookies the servers set (per exact host, in memory) and send them back, as codex-rs
    /// does for the ChatGPT hosts (default on).
    pub fn cookie_store(mut self, yes: bool) -> Self {
        self.cookie_store = yes;
        self
    }

    /// Which transport carries `POST /responses` turns (default [`Transport::Auto`]:
    /// WebSocket first, HTTP SSE as the fallback; see docs/client.md).
    ///
    /// [`Transport::Auto`]: crate::Transport::Auto
    pub fn transport(mut self, transport: crate::Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Whether `/responses` and compaction bodies are zstd-compressed (default
    /// [`RequestCompression::Auto`]: to the ChatGPT backend with a ChatGPT login, as the
    /// official client). A 415, or a 400 naming the encoding, switches the client to plain
    /// bodies and sends the refused request once more.
    pub fn request_compression(mut self, compression: RequestCompression) -> Self {
        self.compression = compression;
        self
    }

    /// The ChatGPT backend root used for workspace routing discovery (default derived from
    /// the base URL: the part up to and including `/backend-api`, as the usage URL).
    pub fn chatgpt_base_url(mut self, url: impl Into<String>) -> Self {
        self.chatgpt_base_url = Some(url.into());
        self
    }

    /// Workspace routing (default on): before the first backend request of the process for
    /// a ChatGPT login (credentials with an account id), `GET {chatgpt base}/wham/accounts/check`;
    /// an https `workspace_backend_origin` replaces the base URL's origin, an
    /// `account_routing_override` is sent as `x-openai-account-routing-override`. Cached per
    /// ChatGPT base and account for the process; a failed discovery logs a warning and keeps
    /// the configured base URL.
    pub fn workspace_routing(mut self, yes: bool) -> Self {
        self.workspace_routing = yes;
        self
    }

    /// Where [`Models::list`](crate::Models::list) keeps the catalog (default
    /// [`ModelsCache::InMemory`](crate::ModelsCache::InMemory)): per ChatGPT account, base URL
    /// and client version, used without a request for [`models_cache_ttl`](Self::models_cache_ttl),
    /// then revalidated with `If-None-Match` (a `304` keeps it), and refetched once a
    /// `/responses` answer names another `x-models-etag`. See docs/client.md.
    pub fn models_cache(mut self, cache: crate::ModelsCache) -> Self {
        self.models_cache = cache;
        self
    }

    /// How long a cached catalog is used without asking the server (default
    /// [`DEFAULT_MODELS_CACHE_TTL`](crate::DEFAULT_MODELS_CACHE_TTL), 5 minutes; zero: every
    /// `list` revalidates).
    pub fn models_cache_ttl(mut self, ttl: Duration) -> Self {
        self.models_cache_ttl = ttl;
        self
    }

    /// Where credentials come from. Without a provider, requests carry no `Authorization`.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    fn header_value(&mut self, what: &str, v: &str) -> HeaderValue {
        match HeaderValue::from_str(v) {
            Ok(v) => v,
            Err(_) => {
                self.invalid = Some(format!("{what} is not a valid header value"));
                HeaderValue::from_static("")
            }
        }
    }

    /// Validates the configuration and builds the client (with its connection pool).
    pub fn build(mut self) -> Result<Client> {
        let base_url =
            BaseUrl::parse("base", self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let usage_url = match &self.usage_url {
            Some(u) => BaseUrl::parse("usage", u)?,
            None => base_url.derive_usage()?,
        };
        let chatgpt_base = match (&self.chatgpt_base_url, self.workspace_routing) {
            (_, false) => None,
            (Some(u), true) => Some(BaseUrl::parse("chatgpt base", u)?),
            (None, true) => base_url.derive_chatgpt_base(),
        };
        let api_base_url = BaseUrl::parse(
            "api base",
            self.api_base_url.as_deref().unwrap_or(DEFAULT_API_BASE_URL),
        )?;
        let ua = match self.user_agent.clone() {
            Some(ua) => ua,
            None => default_user_agent(&self.originator, &self.version),
        };
        let mut headers = HeaderMap::new();
        let originator = self.originator.clone();
        let version = self.version.clone();
        headers.insert(
            HeaderName::from_static("originator"),
            self.header_value("originator", &originator),
        );
        headers.insert(header::USER_AGENT, self.header_value("user agent", &ua));
        headers.insert(
            HeaderName::from_static("version"),
            self.header_value("version", &version),
        );
        for (k, v) in &self.headers {
            headers.insert(k.clone(), v.clone());
        }
        if let Some(id) = self.installation_id.clone() {
            self.header_value("installation id", &id);
        }
        for f in self.beta_features.clone() {
            self.header_value("beta feature", &f);
        }
        if let Some(msg) = self.invalid.take() {
            return Err(Error::config(msg));
        }
        if self.client_version.is_empty()
            || !self
                .client_version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        {
            return Err(Error::config("client version must look like 1.2.3"));
        }
        let connector = match self.connector.take() {
            Some(c) => c,
            None => self.net.build().map_err(network_error)?,
        };
        let transport = Transport::new(connector);
        let models_cache = crate::models_cache::Cache::new(
            self.models_cache,
            self.models_cache_ttl,
            base_url.as_str(),
            &self.client_version,
        );
        Ok(Client {
            inner: Arc::new(ClientInner {
                cfg: Config {
                    base_url,
                    usage_url,
                    api_base_url,
                    headers,
                    client_version: self.client_version,
                    installation_id: self.installation_id,
                    beta_features: self.beta_features,
                    idle_timeout: self.idle_timeout,
                    timeout: self.timeout,
                    retry: self.retry,
                    max_event_size: self.max_event_size,
                    transport: self.transport,
                    connect_timeout: self.connect_timeout,
                    compression: self.compression,
                    chatgpt_base,
                },
                transport,
                provider: self.provider,
                all: AbortHandle::new(),
                cookies: self.cookie_store.then(crate::cookies::Jar::default),
                ws: crate::ws::Pool::default(),
                plain_bodies: AtomicBool::new(false),
                models_cache,
            }),
        })
    }
}

fn default_user_agent(originator: &str, version: &str) -> String {
    let ua = format!(
        "{originator}/{version} ({os}; {arch}) codex-backend/{crate_version}",
        os = std::env::consts::OS,
        arch = std::env::consts::ARCH,
        crate_version = env!("CARGO_PKG_VERSION"),
    );
    // Non-printable characters are replaced, as codex-rs does.
    ua.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '_' })
        .collect()
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

/// Which host family a request goes to (decides the header set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The Codex backend (and `wham`).
    Backend,
    /// The public API (realtime calls): no conversation headers.
    PublicApi,
}

/// A request ready to be sent (possibly several times).
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) path: &'static str,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Whether the body may be zstd-compressed (`/responses` and compaction JSON bodies).
    pub(crate) compressible: bool,
    /// Whether workspace routing applies (a request under the backend base URL).
    pub(crate) routable: bool,
    /// The compressed body, made once on first use and reused by retries.
    pub(crate) zstd_body: OnceLock<Bytes>,
    /// How many idle timeouts to wait for the response head: 1, or 4 for endpoints that
    /// answer only once the server-side work is done (compaction, memories; codex-rs gives
    /// compaction 4 × the stream idle timeout).
    pub(crate) head_wait_factor: u32,
}

impl Prepared {
    /// Waits up to `factor` idle timeouts for the response head.
    pub(crate) fn with_head_wait_factor(mut self, factor: u32) -> Self {
        self.head_wait_factor = factor.max(1);
        self
    }

    /// Lets the body go out zstd-compressed (see [`RequestCompression`]).
    pub(crate) fn compressible(mut self) -> Self {
        self.compressible = true;
        self
    }

    /// The compressed body (compressed on first call).
    fn zstd_body(&self) -> Result<Bytes> {
        if let Some(b) = self.zstd_body.get() {
            return Ok(b.clone());
        }
        let b = crate::compression::compress_body(&self.body)?;
        Ok(self.zstd_body.get_or_init(|| b).clone())
    }
}

impl Prepared {
    /// Builds a request: client headers, then options headers, then `extra` (content type,
    /// accept).
    pub(crate) fn new(
        client: &ClientInner,
        endpoint: Endpoint,
        opts: &RequestOptions,
        body: Bytes,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<Self> {
        let Endpoint {
            method,
            uri,
            path,
            target,
            conversation: conversation_headers,
        } = endpoint;
        if let Some(msg) = opts.invalid {
            return Err(Error::config(msg));
        }
        let mut headers = client.cfg.headers.clone();
        if target == Target::Backend {
            if let Some(id) = &opts.conversation_id {
                match conversation_headers {
                    ConversationHeaders::All => {
                        headers.insert(HeaderName::from_static("session-id"), id.clone());
                        headers.insert(HeaderName::from_static("thread-id"), id.clone());
                        headers.insert(HeaderName::from_static("x-client-request-id"), id.clone());
                    }
                    ConversationHeaders::Session => {
                        headers.insert(HeaderName::from_static("session-id"), id.clone());
                        headers.insert(HeaderName::from_static("thread-id"), id.clone());
                    }
                    ConversationHeaders::None => {}
                }
            }
            if let Some(ts) = &opts.turn_state {
                headers.insert(HeaderName::from_static("x-codex-turn-state"), ts.clone());
            }
        }
        for (k, v) in &opts.headers {
            headers.insert(k.clone(), v.clone());
        }
        for (k, v) in extra {
            headers.insert(k.clone(), v.clone());
        }
        let routable =
            target == Target::Backend && uri.to_string().starts_with(client.cfg.base_url.as_str());
        Ok(Self {
            method,
            uri,
            path,
            headers,
            body,
            compressible: false,
            routable,
            zstd_body: OnceLock::new(),
            head_wait_factor: 1,
        })
    }
}

/// Where a request goes and which identity headers it carries.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    /// The path recorded in spans (no query, no host).
    pub(crate) path: &'static str,
    pub(crate) target: Target,
    pub(crate) conversation: ConversationHeaders,
}

/// Which conversation headers an endpoint sends (protocol §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConversationHeaders {
    /// `session-id`, `thread-id`, `x-client-request-id` (`/responses`).
    All,
    /// `session-id`, `thread-id` (`/responses/compact`).
    Session,
    /// None.
    None,
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

/// A network setting `codex-auth`'s connector rejected (CA file, proxy URL): a config error.
fn network_error(e: codex_auth::Error) -> Error {
    Error::config(e.to_string()).with_source(e)
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
                        let (parts, body) = resp.into_parts();
                        let bytes = crate::transport::read_error_body(
                            body,
                            MAX_ERROR_BODY_READ,
                            self.cfg.idle_timeout.min(MAX_ERROR_BODY_WAIT),
                        )
                        .await;
                        if self.refresh_after_401(state).await? {
                            continue;
                        }
                        return Err(status::http_error(parts.status, &parts.headers, &bytes));
                    }
                    Ok(resp) => {
                        let (parts, body) = resp.into_parts();
                        let bytes = crate::transport::read_error_body(
                            body,
                            MAX_ERROR_BODY_READ,
                            self.cfg.idle_timeout.min(MAX_ERROR_BODY_WAIT),
                        )
                        .await;
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
