//! [`AuthManager`]: a store plus issuer configuration; refreshes tokens and implements
//! [`TokenProvider`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use serde::Deserialize;

use crate::AccountInfo;
use crate::AuthFile;
use crate::AuthMode;
use crate::AuthStore;
use crate::BoxFuture;
use crate::Credentials;
use crate::Error;
use crate::IdTokenClaims;
use crate::OAuthConfig;
use crate::SecretString;
use crate::TokenData;
use crate::TokenProvider;
use crate::error::Result;
use crate::http::IssuerClient;
use crate::jwt;
use crate::refresh::RefreshOutcome;
use crate::refresh::classify_refresh_failure;
use crate::refresh::error_description;
use crate::refresh::failure_message;
use crate::refresh::needs_refresh;

/// How long to wait for another process's refresh to release the lock.
const LOCK_WAIT: Duration = Duration::from_secs(120);
/// The longest the issuer call made under the refresh lock may take, retries included. The
/// official CLI gives up waiting for `auth.json.lock` after about 5 s and then spends its own
/// (already rotated) refresh token, so the lock must be released well before that.
pub const REFRESH_BUDGET: Duration = Duration::from_secs(3);
/// Network attempts for one refresh (transient failures only).
const REFRESH_ATTEMPTS: u32 = 3;
/// Timeout of the best-effort revocation on logout.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Credentials store + issuer configuration. Refreshes tokens (one refresh at a time within
/// the process; across processes through an advisory lock next to `auth.json`, re-reading the
/// file first so a token another process already rotated is adopted without a network call),
/// runs the logins and logout, and implements [`TokenProvider`] for the transport.
///
/// Cheap to clone; clones share state, so one refresh serves them all.
#[derive(Clone, Debug)]
pub struct AuthManager {
    pub(crate) inner: Arc<ManagerInner>,
}

/// The `auth.json` file store's token provider: an [`AuthManager`] over [`AuthStore::file`].
/// The same type serves the in-memory store.
pub type FileTokenProvider = AuthManager;

#[derive(Debug)]
pub(crate) struct ManagerInner {
    pub(crate) store: AuthStore,
    pub(crate) config: OAuthConfig,
    pub(crate) http: IssuerClient,
    state: tokio::sync::Mutex<State>,
    /// Held (shared) by every refresh from the moment its request may be sent until its
    /// result is saved; [`AuthManager::shutdown`] takes it exclusively to wait for them.
    in_flight: tokio::sync::RwLock<()>,
    /// Set by [`AuthManager::shutdown`]: no new refresh request is sent.
    closed: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct State {
    /// The last credentials read or written.
    cached: Option<AuthFile>,
    /// A permanent refresh failure, for the refresh token it happened with.
    permanent: Option<(SecretString, Error)>,
    /// The refresh token spent by a refresh whose result could not be saved: the store
    /// still holds it, `cached` holds its successor.
    unsaved: Option<SecretString>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("cached", &self.cached.is_some())
            .field("permanent_failure", &self.permanent.as_ref().map(|p| &p.1))
            .field("unsaved", &self.unsaved.is_some())
            .finish()
    }
}

/// What [`AuthManager::status`] reports. Holds no token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthStatus {
    /// Where the credentials live (file store only).
    pub path: Option<PathBuf>,
    /// True when ChatGPT tokens are stored.
    pub logged_in: bool,
    /// The effective `auth_mode`, when anything is stored.
    pub mode: Option<AuthMode>,
    /// True when an `OPENAI_API_KEY` is stored.
    pub has_api_key: bool,
    /// Account facts from the id token.
    pub account: Option<AccountInfo>,
    /// The access token's `exp`, when readable.
    pub access_token_expires_at: Option<SystemTime>,
    /// `last_refresh`.
    pub last_refresh: Option<SystemTime>,
    /// True when the next use will refresh first.
    pub needs_refresh: bool,
}

/// What [`AuthManager::logout`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutOutcome {
    /// Stored credentials were removed.
    pub removed: bool,
    /// The issuer confirmed the revocation.
    pub revoked: bool,
}

/// The result of a successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginSuccess {
    /// Account facts from the new id token.
    pub account: AccountInfo,
    /// True when an API key was obtained by token exchange and stored.
    pub api_key_stored: bool,
    /// Where the credentials were saved (file store only).
    pub path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct RefreshResponse {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl AuthManager {
    /// A manager over `store` talking to the issuer of `config`.
    pub fn new(store: AuthStore, config: OAuthConfig) -> Result<Self> {
        let http = IssuerClient::new(&config)?;
        Ok(Self {
            inner: Arc::new(ManagerInner {
                store,
                config,
                http,
                state: tokio::sync::Mutex::new(State::default()),
                in_flight: tokio::sync::RwLock::new(()),
                closed: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// `$CODEX_HOME/auth.json` (else `~/.codex/auth.json`) with [`OAuthConfig::builder`]'s
    /// defaults and environment overrides.
    pub fn from_env() -> Result<Self> {
        Self::new(AuthStore::from_env()?, OAuthConfig::builder().build()?)
    }

    /// The store.
    pub fn store(&self) -> &AuthStore {
        &self.inner.store
    }

    /// The issuer configuration.
    pub fn config(&self) -> &OAuthConfig {
        &self.inner.config
    }

    /// Login state, account facts and token freshness, read from the store now. Holds no
    /// token. A malformed id token is an error.
    pub async fn status(&self) -> Result<AuthStatus> {
        let auth = self.inner.store.load().await?;
        let path = self.inner.store.path().map(PathBuf::from);
        let Some(auth) = auth else {
            return Ok(AuthStatus {
                path,
                logged_in: false,
                mode: None,
                has_api_key: false,
                account: None,
                access_token_expires_at: None,
                last_refresh: None,
                needs_refresh: false,
            });
        };
        let (account, exp, needs) = match &auth.tokens {
            Some(t) => {
                let claims = IdTokenClaims::decode(t.id_token.expose()).map_err(|e| {
                    Error::new(
                        crate::ErrorKind::Storage,
                        "the stored id_token is malformed",
                    )
                    .with_source(e)
                })?;
                let mut account = claims.account;
                if let Some(id) = &t.account_id {
                    account.account_id = Some(id.clone());
                }
                let exp = jwt::expires_at(t.access_token.expose()).ok().flatten();
                (
                    Some(account),
                    exp,
                    needs_refresh(SystemTime::now(), exp, auth.last_refresh),
                )
            }
            None => (None, None, false),
        };
        Ok(AuthStatus {
            path,
            logged_in: auth.tokens.is_some(),
            mode: Some(auth.effective_mode()),
            has_api_key: auth.openai_api_key.is_some(),
            account,
            access_token_expires_at: exp,
            last_refresh: auth.last_refresh,
            needs_refresh: needs,
        })
    }

    /// Refreshes now, whatever the expiry (still one refresh at a time, adopting a token
    /// another process rotated).
    ///
    /// Cancel safety: the refresh runs on its own task. Dropping this future (a timeout, a
    /// `select!`, Ctrl-C) does not stop a refresh whose request may have been sent: it still
    /// completes and its result is saved. Call [`AuthManager::shutdown`] before the process
    /// exits to wait for it.
    pub async fn refresh(&self) -> Result<Credentials> {
        self.detached(|m| async move {
            let mut st = m.inner.state.lock().await;
            let current = m.load_cached(&mut st).await?;
            let tokens = require_tokens(&current)?;
            let auth = m.refresh_locked(&mut st, &tokens.refresh_token).await?;
            credentials_of(&auth)
        })
        .await
    }

    /// Prepares for the end of the process (Ctrl-C, SIGTERM, the end of `main`): from now on
    /// no refresh request is sent (a refresh that would need one fails), and a refresh whose
    /// request was already sent is waited for, up to `wait`, until its rotated tokens are saved
    /// (or its failure is recorded). Returns `true` when nothing is left in flight, `false`
    /// when `wait` ran out first.
    ///
    /// A refresh holds the issuer call to [`REFRESH_BUDGET`], so a `wait` a little longer than
    /// that (the CLI uses 5 s) covers it. Affects every clone of this manager.
    pub async fn shutdown(&self, wait: Duration) -> bool {
        self.inner
            .closed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        tokio::time::timeout(wait, self.inner.in_flight.write())
            .await
            .is_ok()
    }

    /// Runs `op` on its own task, so that dropping the caller's future never cancels a
    /// refresh half way (after the issuer rotated the token, before it was saved).
    async fn detached<T, F>(&self, op: impl FnOnce(AuthManager) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        tokio::spawn(op(self.clone())).await.map_err(|e| {
            Error::new(crate::ErrorKind::Other, "the token refresh task failed").with_source(e)
        })?
    }

    /// Revokes the stored token (best effort, 10 s timeout), then removes the stored
    /// credentials. A corrupt file is removed without revocation.
    pub async fn logout(&self) -> Result<LogoutOutcome> {
        let mut st = self.inner.state.lock().await;
        let _lock = self.inner.store.lock(LOCK_WAIT).await?;
        let stored = match self.inner.store.load().await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "credentials unreadable; removing without revocation");
                None
            }
        };
        let mut revoked = false;
        if let Some(t) = stored.as_ref().and_then(|a| a.tokens.as_ref()) {
            revoked = self.revoke(t).await;
        }
        let removed = self.inner.store.delete().await?;
        st.cached = None;
        st.permanent = None;
        Ok(LogoutOutcome { removed, revoked })
    }

    async fn revoke(&self, t: &TokenData) -> bool {
        let body = if t.refresh_token.is_empty() {
            serde_json::json!({
                "token": t.access_token.expose(),
                "token_type_hint": "access_token",
            })
        } else {
            serde_json::json!({
                "token": t.refresh_token.expose(),
                "token_type_hint": "refresh_token",
                "client_id": self.inner.config.client_id(),
            })
        };
        let url = self.inner.config.revoke_endpoint();
        match self
            .inner
            .http
            .post_json(&url, &body, Some(REVOKE_TIMEOUT))
            .await
        {
            Ok(r) if r.status.is_success() => true,
            Ok(r) => {
                tracing::warn!(status = r.status.as_u16(), "token revocation refused");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "token revocation failed");
                false
            }
        }
    }

    /// Saves a fresh login (under the refresh lock), keeping unknown keys and an existing
    /// `OPENAI_API_KEY` of the file. A corrupt or unreadable file is an error and is not
    /// overwritten.
    pub(crate) async fn persist_login(
        &self,
        tokens: TokenData,
        api_key: Option<SecretString>,
    ) -> Result<()> {
        let mut st = self.inner.state.lock().await;
        let _lock = self.inner.store.lock(LOCK_WAIT).await?;
        let now = SystemTime::now();
        // A missing file starts fresh; a corrupt or unreadable one is an error (naming the
        // path) and is left untouched.
        let mut auth = self.inner.store.load().await?.unwrap_or_default();
        auth.auth_mode = Some(AuthMode::ChatGpt);
        // Never drop an `OPENAI_API_KEY` already in the file: only a newly obtained key
        // replaces it.
        if let Some(key) = api_key {
            auth.openai_api_key = Some(key);
        }
        auth.tokens = Some(match auth.tokens.take() {
            Some(mut old) => {
                old.id_token = tokens.id_token;
                old.access_token = tokens.access_token;
                old.refresh_token = tokens.refresh_token;
                old.account_id = tokens.account_id;
                old
            }
            None => tokens,
        });
        auth.last_refresh = Some(now);
        self.inner.store.save(&auth).await?;
        st.cached = Some(auth);
        st.permanent = None;
        Ok(())
    }

    async fn load_cached(&self, st: &mut State) -> Result<AuthFile> {
        if let Some(a) = &st.cached {
            return Ok(a.clone());
        }
        match self.inner.store.load().await? {
            Some(a) => {
                st.cached = Some(a.clone());
                Ok(a)
            }
            None => Err(not_logged_in()),
        }
    }

    async fn credentials_inner(&self) -> Result<Credentials> {
        {
            let mut st = self.inner.state.lock().await;
            let auth = self.load_cached(&mut st).await?;
            let tokens = require_tokens(&auth)?;
            let exp = jwt::expires_at(tokens.access_token.expose()).ok().flatten();
            if !needs_refresh(SystemTime::now(), exp, auth.last_refresh) {
                return credentials_of(&auth);
            }
        }
        self.detached(|m| async move { m.credentials_refreshing().await })
            .await
    }

    /// [`Self::credentials_inner`] when a refresh looked needed (checked again under the
    /// state lock: another task may have refreshed meanwhile).
    async fn credentials_refreshing(&self) -> Result<Credentials> {
        let mut st = self.inner.state.lock().await;
        let auth = self.load_cached(&mut st).await?;
        let tokens = require_tokens(&auth)?;
        let exp = jwt::expires_at(tokens.access_token.expose()).ok().flatten();
        let now = SystemTime::now();
        if !needs_refresh(now, exp, auth.last_refresh) {
            return credentials_of(&auth);
        }
        tracing::debug!("access token is stale; refreshing");
        match self.refresh_locked(&mut st, &tokens.refresh_token).await {
            Ok(fresh) => credentials_of(&fresh),
            // Still valid for a few minutes: use it and try again on the next call.
            Err(e) if e.is_retryable() && exp.is_some_and(|x| x > now) => {
                tracing::warn!(error = %e, "proactive refresh failed; using the current token");
                credentials_of(&auth)
            }
            Err(e) => Err(e),
        }
    }

    async fn after_unauthorized(&self, rejected: &Credentials) -> Result<Credentials> {
        let rejected = rejected.clone();
        self.detached(|m| async move { m.after_unauthorized_inner(&rejected).await })
            .await
    }

    async fn after_unauthorized_inner(&self, rejected: &Credentials) -> Result<Credentials> {
        let mut st = self.inner.state.lock().await;
        let disk = match self.inner.store.load().await? {
            Some(a) => unsaved_or(&st, a),
            None => {
                st.cached = None;
                return Err(not_logged_in());
            }
        };
        let tokens = require_tokens(&disk)?;
        let disk_creds = credentials_of(&disk)?;
        if disk_creds.access_token != rejected.access_token {
            if let (Some(a), Some(b)) = (&disk_creds.account_id, &rejected.account_id)
                && a != b
            {
                st.cached = Some(disk);
                return Err(Error::login_required(
                    "the stored credentials now belong to another account; start a new session",
                ));
            }
            tracing::debug!("adopting credentials already refreshed elsewhere");
            st.cached = Some(disk);
            return Ok(disk_creds);
        }
        let fresh = self.refresh_locked(&mut st, &tokens.refresh_token).await?;
        credentials_of(&fresh)
    }

    /// Refreshes under the cross-process lock. `expected_rt` is the refresh token the caller
    /// believes current; if the file holds another one (rotated elsewhere), that one is
    /// adopted without a network call unless it is itself stale.
    ///
    /// The lock is held only across re-read, save check, issuer call (at most
    /// [`REFRESH_BUDGET`]) and write.
    async fn refresh_locked(&self, st: &mut State, expected_rt: &SecretString) -> Result<AuthFile> {
        let _lock = self.inner.store.lock(LOCK_WAIT).await?;
        let Some(disk) = self.inner.store.load().await? else {
            st.cached = None;
            return Err(not_logged_in());
        };
        let disk = unsaved_or(st, disk);
        let tokens = require_tokens(&disk)?.clone();
        if &tokens.refresh_token != expected_rt {
            let exp = jwt::expires_at(tokens.access_token.expose()).ok().flatten();
            if !needs_refresh(SystemTime::now(), exp, disk.last_refresh) {
                tracing::debug!("refresh token rotated by another process; adopting it");
                st.cached = Some(disk.clone());
                return Ok(disk);
            }
        }
        if let Some((rt, err)) = &st.permanent
            && rt == &tokens.refresh_token
        {
            return Err(err.clone_shallow());
        }
        // Before the token is spent: the result must be savable (folder writable, space
        // reserved, the way to replace the file known).
        let pending = self.inner.store.prepare_save().await?;
        let _in_flight = self.inner.in_flight.read().await;
        if self.inner.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::new(
                crate::ErrorKind::Other,
                "token refresh not started: the program is shutting down",
            ));
        }
        let resp = match self.refresh_network(&tokens.refresh_token).await {
            Ok(r) => r,
            Err(e) => {
                if e.is_login_required() {
                    st.permanent = Some((tokens.refresh_token.clone(), e.clone_shallow()));
                }
                return Err(e);
            }
        };
        let fresh = apply_refresh(disk, resp)?;
        // The old refresh token is spent: store the new one immediately.
        if let Err(e) = self.inner.store.commit(pending, &fresh).await {
            // Never discard the new tokens: this process keeps using them, and a copy goes
            // where it can.
            st.cached = Some(fresh.clone());
            st.unsaved = Some(tokens.refresh_token.clone());
            st.permanent = None;
            let copy = self.inner.store.rescue(&fresh).await;
            tracing::error!(
                rescued = copy.is_some(),
                "the refreshed login could not be saved"
            );
            return Err(unsaved_error(self.inner.store.path(), copy.as_deref(), e));
        }
        st.cached = Some(fresh.clone());
        st.permanent = None;
        st.unsaved = None;
        tracing::info!("access token refreshed");
        Ok(fresh)
    }

    /// The issuer call, retried on transient failures, all within [`REFRESH_BUDGET`].
    async fn refresh_network(&self, refresh_token: &SecretString) -> Result<RefreshResponse> {
        let deadline = tokio::time::Instant::now() + REFRESH_BUDGET;
        let mut attempt = 0;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let timeout = left.min(self.inner.config.request_timeout());
            match self.refresh_once(refresh_token, timeout).await {
                Ok(r) => return Ok(r),
                Err(e)
                    if e.is_retryable()
                        && attempt + 1 < REFRESH_ATTEMPTS
                        && tokio::time::Instant::now() + backoff_max(attempt) < deadline =>
                {
                    let delay = backoff(attempt);
                    tracing::warn!(error = %e, attempt, delay_ms = delay.as_millis() as u64, "token refresh failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn refresh_once(
        &self,
        refresh_token: &SecretString,
        timeout: Duration,
    ) -> Result<RefreshResponse> {
        let body = serde_json::json!({
            "client_id": self.inner.config.client_id(),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose(),
        });
        let url = self.inner.config.refresh_endpoint();
        let resp = self
            .inner
            .http
            .post_json(&url, &body, Some(timeout))
            .await?;
        if resp.status.is_success() {
            return serde_json::from_slice::<RefreshResponse>(&resp.body).map_err(|_| {
                Error::new(
                    crate::ErrorKind::Other,
                    "the token refresh response is not the expected JSON",
                )
                .with_status(resp.status)
            });
        }
        match classify_refresh_failure(resp.status.as_u16(), &resp.body) {
            RefreshOutcome::Permanent(reason) => {
                Err(Error::login_required(failure_message(reason))
                    .with_refresh_failure(reason)
                    .with_status(resp.status))
            }
            RefreshOutcome::Transient => {
                let detail = error_description(&resp.body)
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                Err(Error::transient(format!(
                    "token refresh failed with HTTP {}{detail}",
                    resp.status.as_u16()
                ))
                .with_status(resp.status))
            }
        }
    }
}

/// `200 ms * 2^attempt`, +-10 % jitter.
fn backoff(attempt: u32) -> Duration {
    let jitter: f64 = rand::random_range(0.9..1.1);
    backoff_base(attempt).mul_f64(jitter)
}

/// The longest [`backoff`] can be.
fn backoff_max(attempt: u32) -> Duration {
    backoff_base(attempt).mul_f64(1.1)
}

fn backoff_base(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1u64 << attempt.min(10)))
}

/// The file's credentials, or this process's newer ones when the file still holds the
/// refresh token a refresh spent but could not save over.
fn unsaved_or(st: &State, disk: AuthFile) -> AuthFile {
    match (&st.unsaved, &st.cached, &disk.tokens) {
        (Some(spent), Some(cached), Some(t)) if &t.refresh_token == spent => cached.clone(),
        _ => disk,
    }
}

/// `disk` updated with the fields present in an issuer refresh answer. Tokens that must be
/// JWTs are checked first: a malformed answer is an error and nothing is changed.
fn apply_refresh(mut disk: AuthFile, resp: RefreshResponse) -> Result<AuthFile> {
    let malformed = |what: &str, e: crate::JwtError| {
        Error::new(
            crate::ErrorKind::Other,
            format!(
                "the issuer's token refresh answer is malformed ({what} is not a JWT); the stored login was left unchanged"
            ),
        )
        .with_source(e)
    };
    let claims = match resp.id_token.as_deref() {
        Some(id) => Some(IdTokenClaims::decode(id).map_err(|e| malformed("id_token", e))?),
        None => None,
    };
    if let Some(at) = resp.access_token.as_deref() {
        jwt::decode_payload(at).map_err(|e| malformed("access_token", e))?;
    }
    if let Some(t) = disk.tokens.as_mut() {
        if let Some(id) = resp.id_token {
            if let Some(account_id) = claims.and_then(|c| c.account.account_id) {
                t.account_id = Some(account_id);
            }
            t.id_token = SecretString::new(id);
        }
        if let Some(at) = resp.access_token {
            t.access_token = SecretString::new(at);
        }
        if let Some(rt) = resp.refresh_token {
            t.refresh_token = SecretString::new(rt);
        }
    }
    disk.last_refresh = Some(SystemTime::now());
    Ok(disk)
}

/// The error of a refresh that succeeded at the issuer but could not be saved.
fn unsaved_error(
    path: Option<&std::path::Path>,
    copy: Option<&std::path::Path>,
    cause: Error,
) -> Error {
    let path = path.map_or_else(|| "the store".to_owned(), |p| p.display().to_string());
    let message = match copy {
        Some(c) => format!(
            "the token was refreshed but could not be saved to {path}; the new login was written to {} (move it over {path} to keep it) and this process keeps using it",
            c.display()
        ),
        None => format!(
            "the token was refreshed but could not be saved to {path}, nor anywhere else; this process keeps using the new login, other programs must log in again"
        ),
    };
    Error::new(crate::ErrorKind::Storage, message).with_source(cause)
}

fn not_logged_in() -> Error {
    Error::login_required("not logged in; run the login first")
}

fn require_tokens(auth: &AuthFile) -> Result<&TokenData> {
    auth.tokens
        .as_ref()
        .ok_or_else(|| match auth.effective_mode() {
            AuthMode::ApiKey => Error::login_required(
                "the stored credentials are an API key, not a ChatGPT login; log in with ChatGPT",
            ),
            _ => not_logged_in(),
        })
}

/// The transport credentials of a stored login.
fn credentials_of(auth: &AuthFile) -> Result<Credentials> {
    let t = require_tokens(auth)?;
    let claims = IdTokenClaims::decode(t.id_token.expose());
    let account_id = match (&t.account_id, &claims) {
        (Some(id), _) => Some(id.clone()),
        (None, Ok(c)) => c.account.account_id.clone(),
        (None, Err(e)) => {
            return Err(Error::new(
                crate::ErrorKind::Storage,
                "the stored id_token is malformed and no account_id is stored",
            )
            .with_source(*e));
        }
    };
    let fedramp = claims.map(|c| c.account.fedramp).unwrap_or(false);
    Ok(Credentials::new(t.access_token.clone(), account_id).with_fedramp(fedramp))
}

impl TokenProvider for AuthManager {
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.credentials_inner())
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        rejected: &'a Credentials,
    ) -> BoxFuture<'a, Result<Credentials, Error>> {
        Box::pin(self.after_unauthorized(rejected))
    }
}
