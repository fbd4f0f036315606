//! The browser (PKCE) and device-code logins (sections 9.3, 9.4 and 9.6).

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::AuthManager;
use crate::Error;
use crate::IdTokenClaims;
use crate::LoginSuccess;
use crate::SecretString;
use crate::TokenData;
use crate::encoding::form_encode;
use crate::error::Result;
use crate::refresh::error_code;
use crate::refresh::error_description;

mod browser;
mod device;
mod options;
mod server;
#[cfg(test)]
mod tests;

pub use options::BrowserLoginOptions;
pub use options::DeviceCode;
pub use options::DeviceLoginOptions;

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

type UrlCallback = Callback<dyn Fn(&str) + Send + Sync>;
type CodeCallback = Callback<dyn Fn(&DeviceCode) + Send + Sync>;

/// A caller's hook in the login options: shared, callable through `Deref`, and shown by
/// `Debug` as a marker, so both option structs derive `Debug`.
struct Callback<F: ?Sized>(Arc<F>);

impl<F: ?Sized> Clone for Callback<F> {
    fn clone(&self) -> Self {
        Callback(Arc::clone(&self.0))
    }
}

impl<F: ?Sized> std::ops::Deref for Callback<F> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.0
    }
}

impl<F: ?Sized> std::fmt::Debug for Callback<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<callback>")
    }
}

#[derive(Deserialize)]
struct CodeExchangeResponse {
    id_token: String,
    access_token: String,
    refresh_token: String,
}

impl AuthManager {
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
