//! [`AuthManager`]: a store plus issuer configuration; refreshes tokens and implements
//! [`TokenProvider`](crate::TokenProvider).
//!
//! This file holds the manager, its shared state, status, logout and saving a login. The
//! refresh itself (lock, issuer call, retries, save) is in `refresh.rs`; the
//! [`TokenProvider`](crate::TokenProvider) implementation (when to refresh, what a 401 means)
//! is in `provider.rs`. The sans-IO decisions both use (expiry, failure classification) are in
//! `crate::refresh`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use crate::AccountInfo;
use crate::AuthFile;
use crate::AuthMode;
use crate::AuthStore;
use crate::Error;
use crate::IdTokenClaims;
use crate::OAuthConfig;
use crate::SecretString;
use crate::TokenData;
use crate::error::Result;
use crate::http::IssuerClient;
use crate::jwt;
use crate::refresh::needs_refresh;

mod provider;
mod refresh;

use provider::credentials_of;
use provider::not_logged_in;
use provider::require_tokens;

/// How long to wait for another process's refresh to release the lock.
const LOCK_WAIT: Duration = Duration::from_secs(120);
/// The longest the issuer call made under the refresh lock may take, retries included. The
/// official CLI gives up waiting for `auth.json.lock` after about 5 s and then spends its own
/// (already rotated) refresh token, so the lock must be released well before that.
pub const REFRESH_BUDGET: Duration = Duration::from_secs(3);
/// Timeout of the best-effort revocation on logout.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Credentials store + issuer configuration. Refreshes tokens (one refresh at a time within
/// the process; across processes through an advisory lock next to `auth.json`, re-reading the
/// file first so a token another process already rotated is adopted without a network call),
/// runs the logins and logout, and implements [`TokenProvider`](crate::TokenProvider) for the
/// transport.
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
}
