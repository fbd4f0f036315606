//! [`CodexClientBuilder`]: the session defaults, endpoints, login and transport settings of a
//! [`CodexClient`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::BrowserLoginOptions;
use codex_auth::OAuthConfig;
use codex_auth::TokenProvider;
use codex_client::RetryPolicy;
use codex_types::ReasoningEffort;
use codex_types::ReasoningSummary;
use codex_types::ServiceTier;
use codex_types::Tool;
use codex_types::Verbosity;

use crate::codex::AuthSource;
use crate::codex::CodexClient;
use crate::codex::DEFAULT_MODEL;
use crate::codex::Inner;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::CompactionMode;
use crate::options::WebSearch;

/// Builder of a [`CodexClient`]; see [`CodexClient::builder`]. Setters never fail;
/// [`build`](CodexClientBuilder::build) reports problems as [`ErrorKind::Config`].
#[must_use]
pub struct CodexClientBuilder {
    defaults: CallOptions,
    transport: codex_client::ClientBuilder,
    codex_home: Option<PathBuf>,
    issuer: Option<String>,
    interactive_login: bool,
    login_options: BrowserLoginOptions,
    provider: Option<Arc<dyn TokenProvider>>,
    auth_manager: Option<AuthManager>,
    installation_id: Option<String>,
    models_cache: Option<crate::ModelsCache>,
    /// Values the client keeps until its last clone drops (the mock's throwaway home).
    keep_alive: Vec<Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for CodexClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodexClientBuilder")
            .field("defaults", &self.defaults)
            .field("transport", &self.transport)
            .field("codex_home", &self.codex_home)
            .field("issuer", &self.issuer)
            .field("interactive_login", &self.interactive_login)
            .field("login_options", &self.login_options)
            .field("has_token_provider", &self.provider.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for CodexClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CodexClientBuilder {
    /// The defaults: model `gpt-5.4`, empty instructions, no reasoning settings (the
    /// model's defaults), no web search, default service tier, no parallel tool calls, no
    /// tools, encrypted reasoning included; URLs from `CODEX_BASE_URL` /
    /// `CODEX_API_BASE_URL` or the protocol defaults; credentials from
    /// `$CODEX_HOME/auth.json` (else `~/.codex/auth.json`); issuer from `CODEX_AUTH_ISSUER`
    /// or `https://auth.openai.com`; interactive login on.
    pub fn new() -> Self {
        Self {
            defaults: CallOptions::new()
                .model(DEFAULT_MODEL)
                .instructions("")
                .web_search(WebSearch::Disabled)
                .parallel_tool_calls(false)
                .tools(Vec::new())
                .include_encrypted_reasoning(true),
            transport: codex_client::Client::builder(),
            codex_home: None,
            issuer: None,
            interactive_login: true,
            login_options: BrowserLoginOptions::new(),
            provider: None,
            auth_manager: None,
            installation_id: None,
            models_cache: None,
            keep_alive: Vec::new(),
        }
    }

    /// The default model (default `gpt-5.4`).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.defaults = self.defaults.model(model);
        self
    }

    /// The default instructions (system prompt; default `""`).
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.defaults = self.defaults.instructions(instructions);
        self
    }

    /// The default reasoning effort (default: none sent, the model decides).
    pub fn reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.defaults = self.defaults.reasoning_effort(effort);
        self
    }

    /// The default reasoning summary mode (default: none).
    pub fn reasoning_summary(mut self, summary: ReasoningSummary) -> Self {
        self.defaults = self.defaults.reasoning_summary(summary);
        self
    }

    /// The default verbosity (default: none sent).
    pub fn verbosity(mut self, verbosity: Verbosity) -> Self {
        self.defaults = self.defaults.verbosity(verbosity);
        self
    }

    /// The default web search mode (default [`WebSearch::Disabled`]).
    pub fn web_search(mut self, mode: WebSearch) -> Self {
        self.defaults = self.defaults.web_search(mode);
        self
    }

    /// The default service tier (default: none sent; [`ServiceTier::Priority`] is "fast").
    pub fn service_tier(mut self, tier: ServiceTier) -> Self {
        self.defaults = self.defaults.service_tier(tier);
        self
    }

    /// Whether the model may call several tools at once (default `false`).
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.defaults = self.defaults.parallel_tool_calls(parallel);
        self
    }

    /// The default tools (replaces any set before).
    pub fn tools(mut self, tools: Vec<Tool>) -> Self {
        self.defaults = self.defaults.tools(tools);
        self
    }

    /// Adds one default tool.
    pub fn tool(mut self, tool: impl Into<Tool>) -> Self {
        let mut tools = self.defaults.tools.take().unwrap_or_default();
        tools.push(tool.into());
        self.defaults = self.defaults.tools(tools);
        self
    }

    /// Whether to request `include: ["reasoning.encrypted_content"]` (default `true`):
    /// with `store: false` reasoning items can only be replayed in later turns with it. Not
    /// the Python SDK's `include_reasoning` (reasoning deltas are always streamed).
    pub fn include_encrypted_reasoning(mut self, include: bool) -> Self {
        self.defaults = self.defaults.include_encrypted_reasoning(include);
        self
    }

    /// The old name of [`include_encrypted_reasoning`](Self::include_encrypted_reasoning).
    #[deprecated(
        since = "0.1.1",
        note = "renamed include_encrypted_reasoning: it asks for reasoning.encrypted_content, not for reasoning events as the Python SDK's include_reasoning"
    )]
    pub fn include_reasoning(self, include: bool) -> Self {
        self.include_encrypted_reasoning(include)
    }

    /// The Codex backend base URL (default `CODEX_BASE_URL`, else
    /// `https://chatgpt.com/backend-api/codex`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.transport = self.transport.base_url(url);
        self
    }

    /// The usage URL (default derived from the base URL: `…/backend-api/wham/usage`).
    pub fn usage_url(mut self, url: impl Into<String>) -> Self {
        self.transport = self.transport.usage_url(url);
        self
    }

    /// The public API base URL used for realtime calls (default `CODEX_API_BASE_URL`, else
    /// `https://api.openai.com/v1`).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.transport = self.transport.api_base_url(url);
        self
    }

    /// The folder holding `auth.json` (default `CODEX_HOME`, else `~/.codex`).
    ///
    /// Like `CODEX_HOME` (protocol §10), a folder given here must already exist and be a
    /// directory; [`build`](Self::build) checks this and canonicalizes the path, so a typo
    /// is an [`ErrorKind::Config`] error naming the path rather than "not logged in" (and a
    /// login never creates a mistyped folder). An empty path means "not set". Only the
    /// default `~/.codex` may be created, by a login.
    pub fn codex_home(mut self, path: impl Into<PathBuf>) -> Self {
        self.codex_home = Some(path.into());
        self
    }

    /// The OAuth issuer (default `CODEX_AUTH_ISSUER`, else `https://auth.openai.com`).
    pub fn issuer(mut self, url: impl Into<String>) -> Self {
        self.issuer = Some(url.into());
        self
    }

    /// Whether [`CodexClient::authenticate`] may run the interactive browser login when
    /// nothing usable is stored (default `true`). With `false` it fails with
    /// [`ErrorKind::LoginRequired`] instead.
    pub fn interactive_login(mut self, yes: bool) -> Self {
        self.interactive_login = yes;
        self
    }

    /// Options of the interactive browser login (callback port, open the browser or only
    /// print the URL, timeout).
    pub fn login_options(mut self, options: BrowserLoginOptions) -> Self {
        self.login_options = options;
        self
    }

    /// Longest silence on a response before it fails (default 300 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.idle_timeout(timeout);
        self
    }

    /// Largest SSE event a stream accepts (default 64 MiB); a bigger one is skipped and
    /// reported as one decode error, and the stream goes on. Memory: a stream holds at most
    /// about this many bytes for the event being read; the done events of an answer repeat
    /// its whole text, so lower it (and turn off [`CallOptions::track_text`]) to keep memory
    /// flat on very long answers, as the CLI does.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.transport = self.transport.max_event_size(bytes);
        self
    }

    /// TCP connect timeout (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.connect_timeout(timeout);
        self
    }

    /// Whether `/responses` and compaction bodies are zstd-compressed (default
    /// [`RequestCompression::Auto`](codex_client::RequestCompression::Auto): to a base URL
    /// whose path ends in `/backend-api/codex` with a ChatGPT login, as the official client).
    /// A server that refuses the encoding (415, or a 400 naming it) gets plain bodies from
    /// then on, and the refused request once more.
    pub fn request_compression(mut self, compression: codex_client::RequestCompression) -> Self {
        self.transport = self.transport.request_compression(compression);
        self
    }

    /// How histories are compacted by default (default [`CompactionMode::V2`]; per call:
    /// [`CallOptions::compaction_mode`]).
    pub fn compaction_mode(mut self, mode: CompactionMode) -> Self {
        self.defaults = self.defaults.compaction_mode(mode);
        self
    }

    /// Total deadline of every request (default none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.timeout(timeout);
        self
    }

    /// Which transport carries the turns (default [`Transport::Auto`]: WebSocket first, with
    /// HTTP SSE as the fallback; [`Transport::Sse`] or [`Transport::WebSocket`] force one).
    /// Over WebSocket, a [`crate::Conversation`] and repeated `stream`/`respond` calls with
    /// the same conversation id reuse one connection and send only the new items whenever
    /// the request extends the previous one (docs/client.md).
    ///
    /// [`Transport::Auto`]: crate::Transport::Auto
    /// [`Transport::Sse`]: crate::Transport::Sse
    /// [`Transport::WebSocket`]: crate::Transport::WebSocket
    pub fn transport(mut self, transport: crate::Transport) -> Self {
        self.transport = self.transport.transport(transport);
        self
    }

    /// Keeps `value` alive as long as the built client (and its clones).
    #[cfg_attr(not(feature = "mock"), allow(dead_code))]
    pub(crate) fn keep_alive(mut self, value: Arc<dyn std::any::Any + Send + Sync>) -> Self {
        self.keep_alive.push(value);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]): request retries and the
    /// whole-turn retries of the one-shot calls
    /// ([`RetryPolicyBuilder::stream_max_retries`](codex_client::RetryPolicyBuilder::stream_max_retries),
    /// default 5, 0 disables them).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.transport = self.transport.retry(policy);
        self
    }

    /// Trusts the CA certificates in this PEM, for the backend, the issuer and realtime
    /// calls (tests with a local TLS server).
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.transport = self.transport.add_root_certificate_pem(pem.as_ref());
        self
    }

    /// Trusts the CA certificates of this PEM bundle file (read by [`build`](Self::build)) in
    /// addition to the default roots, for everything: the backend, the issuer (login and
    /// refresh) and realtime calls. Replaces the file named by `CODEX_CA_CERTIFICATE` (or, when
    /// that is unset or empty, `SSL_CERT_FILE`), which is used otherwise. A missing or
    /// malformed file fails `build` with [`ErrorKind::Config`].
    pub fn ca_certificate(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.transport = self.transport.ca_certificate(path);
        self
    }

    /// Bring your own credentials: `auth.json` is then not used, and
    /// [`CodexClient::authenticate`] only checks that the provider returns credentials.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Use this auth manager (any store, any issuer configuration) instead of the
    /// `auth.json` file store built from [`codex_home`](Self::codex_home) and
    /// [`issuer`](Self::issuer).
    pub fn auth_manager(mut self, manager: AuthManager) -> Self {
        self.auth_manager = Some(manager);
        self
    }

    /// Changes the codex-client settings not covered above (originator, user agent, proxy,
    /// extra headers, …). (Named `transport` before the WebSocket transport took that name
    /// for [`transport`](Self::transport).)
    pub fn with_client(
        mut self,
        f: impl FnOnce(codex_client::ClientBuilder) -> codex_client::ClientBuilder,
    ) -> Self {
        self.transport = f(self.transport);
        self
    }

    /// The installation id (default: the official client's `$CODEX_HOME/installation_id`,
    /// see [`build`](Self::build)). Sent in the turn metadata and `client_metadata` of
    /// every turn and as `x-codex-installation-id` on compaction.
    pub fn installation_id(mut self, id: impl Into<String>) -> Self {
        self.installation_id = Some(id.into());
        self
    }

    /// Where the model catalog is cached (see [`ModelsCache`](crate::ModelsCache)). Default: in
    /// memory and in `<codex home>/`[`codex_client::MODELS_CACHE_FILE_NAME`] (this SDK's own
    /// file, never the official client's `models_cache.json`) when there is a codex home,
    /// else in memory only. [`ModelsCache::Disabled`](crate::ModelsCache::Disabled)
    /// sends `GET /models` on every [`CodexClient::list_models`] (and on every auto-compaction
    /// check that needs the model's limit).
    pub fn models_cache(mut self, cache: crate::ModelsCache) -> Self {
        self.models_cache = Some(cache);
        self
    }

    /// Validates the configuration and builds the client. Makes no network call. On disk
    /// it only checks that an explicitly given [`codex_home`](Self::codex_home) (or
    /// `CODEX_HOME`) is an existing directory, and reads the installation id the official
    /// client keeps in `<codex home>/installation_id` (creating that file, as the official
    /// client does, when the codex home exists and the file does not; a file that holds no
    /// UUID is never rewritten). Without a codex home (a custom [`TokenProvider`] or
    /// [`AuthManager`] and no [`codex_home`](Self::codex_home)) no installation id is sent
    /// unless [`installation_id`](Self::installation_id) sets one.
    pub fn build(self) -> Result<CodexClient> {
        let explicit_home = match self.codex_home.filter(|h| !h.as_os_str().is_empty()) {
            Some(h) => Some(validate_codex_home(&h)?),
            None => None,
        };
        let mut installation_home = explicit_home.clone();
        // One connector (one pool, one set of proxy and trust settings) for the backend and
        // the issuer.
        let connector = self.transport.network_settings().build()?;
        let (auth, provider): (AuthSource, Arc<dyn TokenProvider>) =
            match (self.provider, self.auth_manager) {
                (Some(p), _) => (AuthSource::Provider(p.clone()), p),
                (None, Some(m)) => (AuthSource::Manager(m.clone()), Arc::new(m)),
                (None, None) => {
                    let home = match explicit_home {
                        Some(h) => h,
                        None => codex_auth::codex_home().map_err(|e| {
                            Error::new(ErrorKind::Config, e.to_string()).with_source(e)
                        })?,
                    };
                    installation_home = Some(home.clone());
                    let store = AuthStore::file(home.join(codex_auth::AUTH_FILE_NAME));
                    let mut cfg = OAuthConfig::builder();
                    if let Some(i) = self.issuer {
                        cfg = cfg.issuer(i);
                    }
                    cfg = cfg.connector(connector.clone());
                    let m = AuthManager::new(store, cfg.build()?)?;
                    (AuthSource::Manager(m.clone()), Arc::new(m))
                }
            };
        let installation_id = self.installation_id.or_else(|| {
            installation_home
                .as_deref()
                .and_then(crate::installation::installation_id)
        });
        let models_cache = self
            .models_cache
            .unwrap_or_else(|| match &installation_home {
                Some(home) => {
                    crate::ModelsCache::File(home.join(codex_client::MODELS_CACHE_FILE_NAME))
                }
                None => crate::ModelsCache::InMemory,
            });
        let mut transport = self
            .transport
            .connector(connector)
            .token_provider(provider)
            .models_cache(models_cache);
        if let Some(id) = installation_id {
            transport = transport.installation_id(id);
        }
        let transport = transport.build()?;
        Ok(CodexClient {
            inner: Arc::new(Inner {
                defaults: self.defaults,
                auth,
                transport,
                authenticated: AtomicBool::new(false),
                auth_lock: tokio::sync::Mutex::new(()),
                interactive_login: self.interactive_login,
                login_options: self.login_options,
                aborts: tokio::sync::watch::Sender::new(0),
                thread_id: codex_client::new_uuid_v7(),
                _keep_alive: self.keep_alive,
            }),
        })
    }
}

/// An explicitly given codex home must exist and be a directory (protocol §10); returns
/// the canonical path.
fn validate_codex_home(path: &std::path::Path) -> Result<PathBuf> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::NotFound {
            "does not exist"
        } else {
            "cannot be read"
        };
        Error::new(ErrorKind::Config, format!("the codex home {shown} {what}")).with_source(e)
    })?;
    if !meta.is_dir() {
        return Err(Error::new(
            ErrorKind::Config,
            format!("the codex home {shown} is not a directory"),
        ));
    }
    std::fs::canonicalize(path).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("cannot resolve the codex home {shown}"),
        )
        .with_source(e)
    })
}
