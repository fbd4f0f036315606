//! The browser (PKCE) and device-code logins (sections 9.3, 9.4 and 9.6).

use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use http::Method;
use http::Response;
use http::StatusCode;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::rt::TokioTimer;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::AuthManager;
use crate::Error;
use crate::IdTokenClaims;
use crate::LoginSuccess;
use crate::PkceCodes;
use crate::SecretString;
use crate::TokenData;
use crate::encoding::form_encode;
use crate::encoding::parse_query;
use crate::encoding::percent_encode;
use crate::error::Result;
use crate::pkce::constant_time_eq;
use crate::pkce::generate_state;
use crate::refresh::error_code;
use crate::refresh::error_description;

/// The registered callback port.
pub const DEFAULT_CALLBACK_PORT: u16 = 1455;
/// The registered fallback callback port.
pub const FALLBACK_CALLBACK_PORT: u16 = 1457;
/// How long a device code stays valid.
pub const DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Bind attempts per port, and the pause between them.
const BIND_ATTEMPTS: u32 = 10;
const BIND_RETRY: Duration = Duration::from_millis(200);
/// Timeout of the `/cancel` request sent to a stale login server.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(2);
/// After a successful exchange, how long to wait for the browser to load `/success`.
const SUCCESS_GRACE: Duration = Duration::from_secs(3);
/// The default floor of the device-code poll interval.
const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Per-connection limits of the callback server.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_REQUEST_HEAD: usize = 16 * 1024;

type UrlCallback = Arc<dyn Fn(&str) + Send + Sync>;
type CodeCallback = Arc<dyn Fn(&DeviceCode) + Send + Sync>;

/// Options of [`AuthManager::login_browser`].
#[derive(Clone)]
#[must_use]
pub struct BrowserLoginOptions {
    port: u16,
    fallback_port: Option<u16>,
    open_browser: bool,
    timeout: Duration,
    api_key_exchange: bool,
    on_url: Option<UrlCallback>,
}

impl std::fmt::Debug for BrowserLoginOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserLoginOptions")
            .field("port", &self.port)
            .field("fallback_port", &self.fallback_port)
            .field("open_browser", &self.open_browser)
            .field("timeout", &self.timeout)
            .field("api_key_exchange", &self.api_key_exchange)
            .field("on_url", &self.on_url.is_some())
            .finish()
    }
}

impl Default for BrowserLoginOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl BrowserLoginOptions {
    /// Port 1455 with fallback 1457, open the browser, 10-minute timeout, no API-key exchange,
    /// the URL printed to standard error.
    pub fn new() -> Self {
        Self {
            port: DEFAULT_CALLBACK_PORT,
            fallback_port: Some(FALLBACK_CALLBACK_PORT),
            open_browser: true,
            timeout: Duration::from_secs(10 * 60),
            api_key_exchange: false,
            on_url: None,
        }
    }

    /// The callback port (default 1455; 0 picks a free port, for tests). The issuer only
    /// accepts registered redirect URIs, so keep the default against the real issuer.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The port tried when `port` stays busy (default 1457; `None` for no fallback).
    pub fn fallback_port(mut self, port: Option<u16>) -> Self {
        self.fallback_port = port;
        self
    }

    /// Try to open the system browser (default `true`). With `false` the URL is only printed
    /// (or handed to [`Self::on_url`]).
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// Give up when the login has not completed within this time (default 10 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also exchange the id token for an API key and store it as `OPENAI_API_KEY` (best
    /// effort; default `false`).
    pub fn api_key_exchange(mut self, exchange: bool) -> Self {
        self.api_key_exchange = exchange;
        self
    }

    /// Called once with the authorize URL instead of printing it to standard error.
    pub fn on_url(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_url = Some(Arc::new(f));
        self
    }
}

/// What the user must do to finish a device-code login.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCode {
    /// The page where the user enters the code (`{issuer}/codex/device`).
    pub verification_url: String,
    /// The code to enter. Short-lived and useless without the user's own sign-in.
    pub user_code: String,
    /// How often the issuer is polled.
    pub interval: Duration,
}

/// Options of [`AuthManager::login_device`].
#[derive(Clone)]
#[must_use]
pub struct DeviceLoginOptions {
    timeout: Duration,
    api_key_exchange: bool,
    min_poll_interval: Duration,
    on_code: Option<CodeCallback>,
}

impl std::fmt::Debug for DeviceLoginOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceLoginOptions")
            .field("timeout", &self.timeout)
            .field("api_key_exchange", &self.api_key_exchange)
            .field("min_poll_interval", &self.min_poll_interval)
            .field("on_code", &self.on_code.is_some())
            .finish()
    }
}

impl Default for DeviceLoginOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceLoginOptions {
    /// 15-minute limit, no API-key exchange, instructions printed to standard error.
    pub fn new() -> Self {
        Self {
            timeout: DEVICE_CODE_LIFETIME,
            api_key_exchange: false,
            min_poll_interval: MIN_POLL_INTERVAL,
            on_code: None,
        }
    }

    /// Give up after this time (default and maximum useful value: 15 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also exchange the id token for an API key (best effort; default `false`, like the
    /// official CLI's device flow).
    pub fn api_key_exchange(mut self, exchange: bool) -> Self {
        self.api_key_exchange = exchange;
        self
    }

    /// The shortest wait between two polls of the issuer (default 1 s). An issuer
    /// `interval` below it (for example `0`) is raised to it, so a misconfigured issuer is
    /// not polled hundreds of times a minute. Lowering it is meant for tests against a
    /// local mock issuer; real programs should keep the default.
    pub fn min_poll_interval(mut self, min: Duration) -> Self {
        self.min_poll_interval = min;
        self
    }

    /// Called once with the verification URL and user code instead of printing them.
    pub fn on_code(mut self, f: impl Fn(&DeviceCode) + Send + Sync + 'static) -> Self {
        self.on_code = Some(Arc::new(f));
        self
    }
}

#[derive(Deserialize)]
struct CodeExchangeResponse {
    id_token: String,
    access_token: String,
    refresh_token: String,
}

impl AuthManager {
    /// Browser login: binds the callback server on 127.0.0.1 (1455, else 1457 after asking a
    /// stale login server there to `/cancel`), prints the authorize URL and tries to open the
    /// browser, then waits for the redirect. The state is checked first, the code exchanged
    /// and the tokens saved before the browser sees the success page.
    pub async fn login_browser(&self, options: BrowserLoginOptions) -> Result<LoginSuccess> {
        let listener = bind_callback(options.port, options.fallback_port).await?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::login("cannot read the callback server address").with_source(e))?
            .port();
        let redirect_uri = format!("http://localhost:{port}/auth/callback");
        let pkce = PkceCodes::generate();
        let state = generate_state();
        let url = self
            .config()
            .authorize_url(&redirect_uri, &pkce.code_challenge, &state);
        match &options.on_url {
            Some(f) => f(&url),
            None => eprintln!(
                "Open this URL in your browser to sign in to ChatGPT (listening on port {port}):\n\n{url}\n"
            ),
        }
        if options.open_browser {
            open_browser(&url);
        }
        let (tx, rx) = mpsc::channel(16);
        let flow = Arc::new(Flow {
            manager: self.clone(),
            state,
            pkce,
            redirect_uri,
            port,
            api_key_exchange: options.api_key_exchange,
            claimed: AtomicBool::new(false),
            events: tx,
        });
        tracing::info!(port, "login callback server listening");
        run_server(listener, flow, rx, options.timeout).await
    }

    /// Device-code login for machines without a browser: shows a code to enter at
    /// `{issuer}/codex/device`, polls until the user confirms (pending while the issuer answers
    /// 403 or 404, for at most 15 minutes), then exchanges the code and saves the tokens.
    pub async fn login_device(&self, options: DeviceLoginOptions) -> Result<LoginSuccess> {
        let cfg = self.config().clone();
        let http = &self.inner.http;
        let resp = http
            .post_json(
                &cfg.device_usercode_endpoint(),
                &serde_json::json!({ "client_id": cfg.client_id() }),
                None,
            )
            .await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Err(Error::login(
                "device code login is not enabled for this issuer; use the browser login",
            )
            .with_status(resp.status));
        }
        if !resp.status.is_success() {
            return Err(issuer_error(
                "requesting a device code",
                resp.status,
                &resp.body,
            ));
        }
        let v: Value = serde_json::from_slice(&resp.body)
            .map_err(|_| Error::login("the device code response is not JSON"))?;
        let device_auth_id = v
            .get("device_auth_id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::login("the device code response has no device_auth_id"))?
            .to_owned();
        let user_code = v
            .get("user_code")
            .or_else(|| v.get("usercode"))
            .and_then(Value::as_str)
            .ok_or_else(|| Error::login("the device code response has no user_code"))?
            .to_owned();
        let interval = parse_interval(v.get("interval")).max(options.min_poll_interval);
        let code = DeviceCode {
            verification_url: cfg.device_verification_url(),
            user_code: user_code.clone(),
            interval,
        };
        match &options.on_code {
            Some(f) => f(&code),
            None => eprintln!(
                "To sign in, open {} in a browser and enter this one-time code (expires in 15 minutes):\n\n    {}\n",
                code.verification_url, code.user_code
            ),
        }
        let deadline = Instant::now() + options.timeout.min(DEVICE_CODE_LIFETIME);
        let body = serde_json::json!({ "device_auth_id": device_auth_id, "user_code": user_code });
        let grant = loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::login(
                    "the device code expired before the login was confirmed; start again",
                ));
            }
            let left = deadline - now;
            match http
                .post_json(&cfg.device_token_endpoint(), &body, None)
                .await
            {
                Ok(r) if r.status.is_success() => break r.body,
                Ok(r) if r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND => {
                    tracing::debug!("device login pending");
                }
                Ok(r) => {
                    return Err(issuer_error("polling the device code", r.status, &r.body));
                }
                Err(e) if e.is_retryable() => {
                    tracing::warn!(error = %e, "device login poll failed; retrying");
                }
                Err(e) => return Err(e),
            }
            tokio::time::sleep(interval.min(left)).await;
        };
        let g: Value = serde_json::from_slice(&grant)
            .map_err(|_| Error::login("the device token response is not JSON"))?;
        let field = |k: &str| {
            g.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| Error::login(format!("the device token response has no {k}")))
        };
        let code = SecretString::new(field("authorization_code")?);
        let verifier = SecretString::new(field("code_verifier")?);
        let tokens = self
            .exchange_code(&code, &cfg.device_redirect_uri(), &verifier)
            .await?;
        self.finish_login(tokens, options.api_key_exchange).await
    }

    /// `POST /oauth/token` with `grant_type=authorization_code`; enforces the workspace
    /// restriction.
    async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: &str,
        verifier: &SecretString,
    ) -> Result<TokenData> {
        let cfg = self.config();
        let body = form_encode(&[
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", redirect_uri),
            ("client_id", cfg.client_id()),
            ("code_verifier", verifier.expose()),
        ]);
        let resp = self
            .inner
            .http
            .post_form(&cfg.token_endpoint(), body)
            .await?;
        if !resp.status.is_success() {
            return Err(issuer_error(
                "exchanging the authorization code",
                resp.status,
                &resp.body,
            ));
        }
        let t: CodeExchangeResponse = serde_json::from_slice(&resp.body).map_err(|_| {
            Error::login("the token response lacks id_token, access_token or refresh_token")
        })?;
        let claims = IdTokenClaims::decode(&t.id_token)
            .map_err(|e| Error::login("the issuer returned a malformed id token").with_source(e))?;
        let account_id = claims.account.account_id.clone();
        let allowed = cfg.allowed_workspace_ids();
        if !allowed.is_empty() && !account_id.as_ref().is_some_and(|a| allowed.contains(a)) {
            return Err(Error::login(format!(
                "login is restricted to workspace {}; the account you signed in with is {}",
                allowed.join(", "),
                account_id.as_deref().unwrap_or("not a workspace account")
            )));
        }
        Ok(TokenData::new(
            t.id_token.into(),
            t.access_token.into(),
            t.refresh_token.into(),
            account_id,
        ))
    }

    /// The optional API-key exchange (best effort), then persistence.
    async fn finish_login(
        &self,
        tokens: TokenData,
        api_key_exchange: bool,
    ) -> Result<LoginSuccess> {
        let api_key = if api_key_exchange {
            self.obtain_api_key(&tokens.id_token).await
        } else {
            None
        };
        let api_key_stored = api_key.is_some();
        let mut account = IdTokenClaims::decode(tokens.id_token.expose())
            .map(|c| c.account)
            .unwrap_or_default();
        account.account_id.clone_from(&tokens.account_id);
        self.persist_login(tokens, api_key).await?;
        tracing::info!(api_key_stored, "login complete");
        Ok(LoginSuccess {
            account,
            api_key_stored,
            path: self.store().path().map(std::path::PathBuf::from),
        })
    }

    async fn obtain_api_key(&self, id_token: &SecretString) -> Option<SecretString> {
        let cfg = self.config();
        let body = form_encode(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", cfg.client_id()),
            ("requested_token", "openai-api-key"),
            ("subject_token", id_token.expose()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
        ]);
        match self.inner.http.post_form(&cfg.token_endpoint(), body).await {
            Ok(r) if r.status.is_success() => {
                let v: Value = serde_json::from_slice(&r.body).ok()?;
                let key = v.get("access_token")?.as_str()?;
                (!key.is_empty()).then(|| SecretString::new(key))
            }
            Ok(r) => {
                tracing::warn!(status = r.status.as_u16(), "API key exchange refused");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "API key exchange failed");
                None
            }
        }
    }
}

/// `interval` as a string or a number of seconds; default 5. The caller applies the floor
/// ([`DeviceLoginOptions::min_poll_interval`], 1 s by default).
fn parse_interval(v: Option<&Value>) -> Duration {
    let secs = match v {
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
    .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

/// A login error from an issuer error response (issuer descriptions carry no tokens).
fn issuer_error(doing: &str, status: StatusCode, body: &[u8]) -> Error {
    let code = error_code(body);
    let desc = error_description(body);
    let detail = match (code, desc) {
        (Some(c), Some(d)) => format!(": {c}: {d}"),
        (Some(c), None) => format!(": {c}"),
        (None, Some(d)) => format!(": {d}"),
        (None, None) => String::new(),
    };
    let e = Error::login(format!(
        "{doing} failed with HTTP {}{detail}",
        status.as_u16()
    ))
    .with_status(status);
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        Error::transient(e.to_string()).with_status(status)
    } else {
        e
    }
}

/// Best-effort: asks the system to open `url`; never fails the flow.
fn open_browser(url: &str) {
    use std::process::Command;
    use std::process::Stdio;
    let mut cmd = if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler").arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match cmd.spawn() {
        Ok(mut child) => {
            // Reap the child without blocking the flow.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(e) => tracing::debug!(error = %e, "could not open a browser"),
    }
}

/// Binds 127.0.0.1:`port`; while busy, asks the stale server there to `/cancel` (once) and
/// retries every 200 ms, 10 times; then the same on `fallback`.
async fn bind_callback(port: u16, fallback: Option<u16>) -> Result<TcpListener> {
    let mut last = None;
    for p in std::iter::once(port).chain(fallback) {
        let mut cancelled = false;
        for _ in 0..BIND_ATTEMPTS {
            match TcpListener::bind((Ipv4Addr::LOCALHOST, p)).await {
                Ok(l) => return Ok(l),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    if !cancelled {
                        cancelled = true;
                        send_cancel(p).await;
                    }
                    last = Some(e);
                    tokio::time::sleep(BIND_RETRY).await;
                }
                Err(e) => {
                    return Err(Error::login(format!(
                        "cannot start the login callback server on 127.0.0.1:{p}"
                    ))
                    .with_source(e));
                }
            }
        }
        tracing::warn!(port = p, "callback port busy");
    }
    let mut e = Error::login(format!(
        "the login callback port {port}{} is in use by another program",
        fallback.map(|f| format!(" (and {f})")).unwrap_or_default()
    ));
    if let Some(src) = last {
        e = e.with_source(src);
    }
    Err(e)
}

/// `GET /cancel` to a stale login server on `port` (2 s timeouts, errors ignored).
async fn send_cancel(port: u16) {
    let fut = async {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
        let req =
            format!("GET /cancel HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await?;
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf).await?;
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(CANCEL_TIMEOUT, fut).await {
        Ok(Ok(())) => tracing::info!(port, "asked a stale login server to cancel"),
        Ok(Err(e)) => tracing::debug!(port, error = %e, "cancel request failed"),
        Err(_) => tracing::debug!(port, "cancel request timed out"),
    }
}

enum FlowEvent {
    Finished(Result<LoginSuccess>),
    SuccessServed,
}

struct Flow {
    manager: AuthManager,
    state: String,
    pkce: PkceCodes,
    redirect_uri: String,
    port: u16,
    api_key_exchange: bool,
    /// A callback with the right state and a code is being handled.
    claimed: AtomicBool,
    events: mpsc::Sender<FlowEvent>,
}

async fn run_server(
    listener: TcpListener,
    flow: Arc<Flow>,
    mut rx: mpsc::Receiver<FlowEvent>,
    timeout: Duration,
) -> Result<LoginSuccess> {
    let mut conns = tokio::task::JoinSet::new();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut done: Option<LoginSuccess> = None;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, _)) => {
                        let flow = Arc::clone(&flow);
                        conns.spawn(serve_connection(stream, flow));
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            Some(ev) = rx.recv() => match ev {
                FlowEvent::Finished(Ok(s)) => {
                    done = Some(s);
                    deadline.as_mut().reset(tokio::time::Instant::now() + SUCCESS_GRACE);
                }
                FlowEvent::Finished(Err(e)) => {
                    // Let the error page reach the browser before the server goes away.
                    drain(&mut conns).await;
                    // The tokens are already saved: a `/cancel` or a stray callback during
                    // the grace period does not turn a finished login into a failure.
                    if let Some(s) = done.take() {
                        tracing::debug!(error = %e, "ignoring a late error after a finished login");
                        return Ok(s);
                    }
                    return Err(e);
                }
                FlowEvent::SuccessServed => {
                    if let Some(s) = done.take() {
                        drain(&mut conns).await;
                        return Ok(s);
                    }
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = &mut deadline => {
                return match done.take() {
                    Some(s) => Ok(s),
                    None => Err(Error::login(format!(
                        "the login did not complete within {} s",
                        timeout.as_secs()
                    ))),
                };
            }
        }
    }
}

/// Gives in-flight responses a moment to be written, then aborts the rest.
async fn drain(conns: &mut tokio::task::JoinSet<()>) {
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

async fn serve_connection(stream: TcpStream, flow: Arc<Flow>) {
    let io = TokioIo::new(stream);
    let svc = hyper::service::service_fn(move |req| {
        let flow = Arc::clone(&flow);
        async move { Ok::<_, Infallible>(handle(req, &flow).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD)
        .keep_alive(false)
        .serve_connection(io, svc);
    match tokio::time::timeout(CONNECTION_TIMEOUT, conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "callback connection error"),
        Err(_) => tracing::debug!("callback connection timed out"),
    }
}

/// Whether a `Host` header names this server: `localhost:{port}` or `127.0.0.1:{port}`. Any
/// other name (a DNS-rebinding page whose domain now resolves to 127.0.0.1), a missing port or
/// a missing header is refused.
fn is_own_host(host: Option<&http::HeaderValue>, port: u16) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    p.parse::<u16>().ok() == Some(port)
        && !p.starts_with('+')
        && (name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1")
}

async fn handle(req: http::Request<Incoming>, flow: &Flow) -> Response<Full<Bytes>> {
    if !is_own_host(req.headers().get(http::header::HOST), flow.port) {
        tracing::debug!("callback request with a foreign Host header refused");
        return page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong host",
            "This server only answers requests for localhost.",
        );
    }
    if req.method() != Method::GET {
        return page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "Only GET is supported.",
        );
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    match req.uri().path() {
        "/auth/callback" => callback(&query, flow).await,
        "/success" => {
            let _ = flow.events.send(FlowEvent::SuccessServed).await;
            let mut r = page(
                StatusCode::OK,
                "Signed in to Codex",
                "You are signed in. You may close this window and return to your terminal.",
            );
            r.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            r
        }
        "/cancel" => {
            let _ = flow
                .events
                .send(FlowEvent::Finished(Err(Error::login(
                    "login cancelled (another login started on this port)",
                ))))
                .await;
            page(StatusCode::OK, "Login cancelled", "Login cancelled.")
        }
        _ => page(StatusCode::NOT_FOUND, "Not found", "Not found."),
    }
}

/// The one value of `key`, `None` when absent; `Err` when repeated.
fn single<'a>(
    params: &'a [(String, String)],
    key: &str,
) -> std::result::Result<Option<&'a str>, ()> {
    let mut it = params.iter().filter(|(k, _)| k == key);
    let first = it.next().map(|(_, v)| v.as_str());
    if it.next().is_some() {
        return Err(());
    }
    Ok(first)
}

async fn fail(flow: &Flow, status: StatusCode, title: &str, err: Error) -> Response<Full<Bytes>> {
    let body = err.to_string();
    let _ = flow.events.send(FlowEvent::Finished(Err(err))).await;
    page(status, title, &body)
}

async fn callback(query: &str, flow: &Flow) -> Response<Full<Bytes>> {
    let params = parse_query(query).unwrap_or_default();
    // 1. The state, before anything else.
    let state_ok =
        matches!(single(&params, "state"), Ok(Some(s)) if constant_time_eq(s, &flow.state));
    if !state_ok {
        tracing::warn!("login callback with a wrong or missing state");
        return fail(
            flow,
            StatusCode::BAD_REQUEST,
            "State mismatch",
            Error::login(
                "state mismatch: the login callback did not come from this login attempt (possible CSRF); start the login again",
            ),
        )
        .await;
    }
    // 2. An error from the issuer.
    let error = match single(&params, "error") {
        Ok(Some(e)) => Some(e.to_owned()),
        Ok(None) => None,
        Err(()) => Some("invalid_request (repeated error parameter)".to_owned()),
    };
    if let Some(error) = error {
        let desc = single(&params, "error_description")
            .ok()
            .flatten()
            .unwrap_or("");
        let msg = if error.contains("missing_codex_entitlement")
            || desc.contains("missing_codex_entitlement")
        {
            "Codex is not enabled for this ChatGPT workspace (missing_codex_entitlement); ask your workspace admin to enable Codex, or sign in with another account".to_owned()
        } else if desc.is_empty() {
            format!("the sign-in was refused: {}", truncate(&error, 200))
        } else {
            format!(
                "the sign-in was refused: {}: {}",
                truncate(&error, 200),
                truncate(desc, 300)
            )
        };
        return fail(
            flow,
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            Error::login(msg),
        )
        .await;
    }
    // 3. The code.
    let code = match single(&params, "code") {
        Ok(Some(c)) if !c.is_empty() => SecretString::new(c),
        _ => {
            return fail(
                flow,
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                Error::login(
                    "missing_authorization_code: the login callback has no authorization code",
                ),
            )
            .await;
        }
    };
    if flow.claimed.swap(true, Ordering::SeqCst) {
        return page(
            StatusCode::CONFLICT,
            "Already handled",
            "This login is already being completed.",
        );
    }
    // 4. Exchange, restrict, optional API key, persist; only then the success redirect.
    let tokens = match flow
        .manager
        .exchange_code(&code, &flow.redirect_uri, &flow.pkce.code_verifier)
        .await
    {
        Ok(t) => t,
        Err(e) => return fail(flow, StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", e).await,
    };
    let claims = IdTokenClaims::decode(tokens.id_token.expose()).unwrap_or_default();
    let access_plan = crate::jwt::access_token_plan(tokens.access_token.expose());
    let success = match flow
        .manager
        .finish_login(tokens, flow.api_key_exchange)
        .await
    {
        Ok(s) => s,
        Err(e) => return fail(flow, StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", e).await,
    };
    let _ = flow.events.send(FlowEvent::Finished(Ok(success))).await;
    let needs_setup = !claims.completed_platform_onboarding && claims.is_org_owner;
    let platform_url = if flow.manager.config().issuer() == crate::DEFAULT_ISSUER {
        "https://platform.openai.com"
    } else {
        flow.manager.config().issuer()
    };
    // The id token itself is deliberately not put in the URL (see docs/security.md).
    let location = format!(
        "http://localhost:{}/success?needs_setup={}&org_id={}&project_id={}&plan_type={}&platform_url={}",
        flow.port,
        needs_setup,
        percent_encode(claims.organization_id.as_deref().unwrap_or("")),
        percent_encode(claims.project_id.as_deref().unwrap_or("")),
        percent_encode(access_plan.or(claims.raw_plan).as_deref().unwrap_or("")),
        percent_encode(platform_url),
    );
    let mut r = page(StatusCode::FOUND, "Signed in", "Signed in; redirecting.");
    if let Ok(v) = http::HeaderValue::from_str(&location) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    r
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{b}</p></body></html>",
        t = html_escape(title),
        b = html_escape(body)
    );
    let mut r = Response::new(Full::new(Bytes::from(html)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("no-referrer"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_string_or_number() {
        assert_eq!(
            parse_interval(Some(&Value::from("5"))),
            Duration::from_secs(5)
        );
        assert_eq!(
            parse_interval(Some(&Value::from(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            parse_interval(Some(&Value::from("x"))),
            Duration::from_secs(5)
        );
        assert_eq!(parse_interval(None), Duration::from_secs(5));
        assert_eq!(parse_interval(Some(&Value::from(0))), Duration::ZERO);
        assert_eq!(
            parse_interval(Some(&Value::from(-1))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn single_param() {
        let p = vec![
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
        ];
        assert!(single(&p, "a").is_err());
        assert_eq!(single(&p, "b"), Ok(None));
        assert_eq!(
            html_escape("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
