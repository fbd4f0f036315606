//! The device-code login (section 9.4).

use std::time::Duration;
use std::time::Instant;

use http::StatusCode;
use serde_json::Value;

use super::DEVICE_CODE_LIFETIME;
use super::DeviceCode;
use super::DeviceLoginOptions;
use super::issuer_error;
use crate::AuthManager;
use crate::Error;
use crate::LoginSuccess;
use crate::SecretString;
use crate::error::Result;

impl AuthManager {
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
}

/// `interval` as a string or a number of seconds; default 5. The caller applies the floor
/// ([`DeviceLoginOptions::min_poll_interval`], 1 s by default).
pub(super) fn parse_interval(v: Option<&Value>) -> Duration {
    let secs = match v {
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
    .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}
