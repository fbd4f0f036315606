//! Authentication of a [`CodexClient`]: how the credentials are found, refreshed or
//! obtained by the browser login, and what was found.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use codex_auth::AccountInfo;
use codex_auth::AuthManager;
use codex_auth::TokenProvider;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

use super::CodexClient;

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

impl CodexClient {
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
    ///   — unless [`CodexClientBuilder::interactive_login`](crate::CodexClientBuilder::interactive_login) is `false`, in which case this is
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
}
