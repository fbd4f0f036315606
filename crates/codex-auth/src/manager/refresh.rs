//! The refresh: under the cross-process lock, re-read the file, check the save can succeed,
//! call the issuer (retried within [`REFRESH_BUDGET`]) and save the rotated tokens at once.

use std::time::Duration;
use std::time::SystemTime;

use serde::Deserialize;

use super::AuthManager;
use super::LOCK_WAIT;
use super::REFRESH_BUDGET;
use super::State;
use super::credentials_of;
use super::not_logged_in;
use super::require_tokens;
use crate::AuthFile;
use crate::Credentials;
use crate::Error;
use crate::IdTokenClaims;
use crate::SecretString;
use crate::error::Result;
use crate::jwt;
use crate::refresh::RefreshOutcome;
use crate::refresh::classify_refresh_failure;
use crate::refresh::error_description;
use crate::refresh::failure_message;
use crate::refresh::needs_refresh;

/// Network attempts for one refresh (transient failures only).
const REFRESH_ATTEMPTS: u32 = 3;

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

    /// Refreshes under the cross-process lock. `expected_rt` is the refresh token the caller
    /// believes current; if the file holds another one (rotated elsewhere), that one is
    /// adopted without a network call unless it is itself stale.
    ///
    /// The lock is held only across re-read, save check, issuer call (at most
    /// [`REFRESH_BUDGET`]) and write.
    pub(super) async fn refresh_locked(
        &self,
        st: &mut State,
        expected_rt: &SecretString,
    ) -> Result<AuthFile> {
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
pub(super) fn unsaved_or(st: &State, disk: AuthFile) -> AuthFile {
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
