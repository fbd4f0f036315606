//! [`ClientBuilder`]: the settings of a [`Client`], validated once by
//! [`ClientBuilder::build`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use codex_auth::TokenProvider;
use codex_auth::net::Connector;
use codex_auth::net::ConnectorBuilder;
use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;
use http::header;

use crate::abort::AbortHandle;
use crate::client::Client;
use crate::client::ClientInner;
use crate::client::Config;
use crate::client::DEFAULT_CLIENT_VERSION;
use crate::client::DEFAULT_IDLE_TIMEOUT;
use crate::client::DEFAULT_ORIGINATOR;
use crate::compression::RequestCompression;
use crate::error::Error;
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::error::Result;
use crate::retry::RetryPolicy;
use crate::transport::Transport;
use crate::url::BaseUrl;
use crate::url::DEFAULT_API_BASE_URL;
use crate::url::DEFAULT_BASE_URL;

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

/// A network setting `codex-auth`'s connector rejected (CA file, proxy URL): a config error.
fn network_error(e: codex_auth::Error) -> Error {
    Error::config(e.to_string()).with_source(e)
}
