//! [`TokenProvider`] for [`AuthManager`]: fresh credentials (refreshed first when stale) and
//! the answer to a 401 (adopt a login rotated elsewhere, else refresh).

use std::time::SystemTime;

use super::AuthManager;
use super::refresh::unsaved_or;
use crate::AuthFile;
use crate::AuthMode;
use crate::BoxFuture;
use crate::Credentials;
use crate::Error;
use crate::IdTokenClaims;
use crate::TokenData;
use crate::TokenProvider;
use crate::error::Result;
use crate::jwt;
use crate::refresh::needs_refresh;

impl AuthManager {
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
}

pub(super) fn not_logged_in() -> Error {
    Error::login_required("not logged in; run the login first")
}

pub(super) fn require_tokens(auth: &AuthFile) -> Result<&TokenData> {
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
pub(super) fn credentials_of(auth: &AuthFile) -> Result<Credentials> {
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
