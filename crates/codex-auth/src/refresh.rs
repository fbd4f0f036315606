//! When to refresh, and how to read a refresh failure (sans-IO).

use std::time::Duration;
use std::time::SystemTime;

use serde_json::Value;

use crate::RefreshFailure;

/// Refresh when the access token expires within this margin.
pub const EXPIRY_SKEW: Duration = Duration::from_secs(5 * 60);

/// Without a readable `exp`, refresh when the last refresh is older than this.
pub const MAX_REFRESH_AGE: Duration = Duration::from_secs(8 * 24 * 60 * 60);

/// Whether a token set needs a refresh at `now`.
///
/// - With an access-token expiry: when `exp - now <= 5 minutes` (including already expired).
/// - Without one: when `last_refresh` is older than 8 days, or unknown.
pub fn needs_refresh(
    now: SystemTime,
    access_exp: Option<SystemTime>,
    last_refresh: Option<SystemTime>,
) -> bool {
    match access_exp {
        Some(exp) => match exp.duration_since(now) {
            Ok(left) => left <= EXPIRY_SKEW,
            Err(_) => true,
        },
        None => match last_refresh {
            Some(lr) => match now.duration_since(lr) {
                Ok(age) => age > MAX_REFRESH_AGE,
                // A last_refresh in the future (clock skew): not stale.
                Err(_) => false,
            },
            None => true,
        },
    }
}

/// How a failed refresh response is classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The refresh token is unusable: log in again.
    Permanent(RefreshFailure),
    /// Try again later.
    Transient,
}

/// The error code of an OAuth error body: `error.code` (object), `error` (string) or `code`.
pub fn error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get("error") {
        Some(Value::Object(o)) => {
            if let Some(c) = o.get("code").and_then(Value::as_str) {
                return Some(c.to_owned());
            }
        }
        Some(Value::String(s)) => return Some(s.clone()),
        _ => {}
    }
    v.get("code").and_then(Value::as_str).map(str::to_owned)
}

/// The human description of an OAuth error body (`error_description`, `error.message`,
/// `message`), cut to 200 characters. Issuer messages do not contain tokens.
pub fn error_description(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let d = v
        .get("error_description")
        .and_then(Value::as_str)
        .or_else(|| {
            v.get("error")
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
        })
        .or_else(|| v.get("message").and_then(Value::as_str))?;
    Some(d.chars().take(200).collect())
}

/// Classifies a non-2xx refresh response.
pub fn classify_refresh_failure(status: u16, body: &[u8]) -> RefreshOutcome {
    match error_code(body).as_deref() {
        Some("refresh_token_expired") => RefreshOutcome::Permanent(RefreshFailure::Expired),
        Some("refresh_token_reused") => RefreshOutcome::Permanent(RefreshFailure::Reused),
        Some("refresh_token_invalidated") => RefreshOutcome::Permanent(RefreshFailure::Revoked),
        _ if status == 401 => RefreshOutcome::Permanent(RefreshFailure::Other),
        _ => RefreshOutcome::Transient,
    }
}

/// The user-facing sentence for a permanent refresh failure.
pub fn failure_message(reason: RefreshFailure) -> &'static str {
    match reason {
        RefreshFailure::Expired => {
            "your access token could not be refreshed because your refresh token has expired; please log out and sign in again"
        }
        RefreshFailure::Reused => {
            "your access token could not be refreshed because your refresh token was already used (another program refreshed it first); please log out and sign in again"
        }
        RefreshFailure::Revoked => {
            "your access token could not be refreshed because your refresh token was revoked; please log out and sign in again"
        }
        RefreshFailure::Other => {
            "your access token could not be refreshed; please log out and sign in again"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SystemTime = SystemTime::UNIX_EPOCH;

    fn t(secs: u64) -> SystemTime {
        T0 + Duration::from_secs(secs)
    }

    #[test]
    fn expiry_rule() {
        let now = t(1_000_000);
        assert!(needs_refresh(now, Some(t(1_000_000 - 1)), None));
        assert!(needs_refresh(now, Some(now), None));
        assert!(needs_refresh(now, Some(t(1_000_000 + 300)), None));
        assert!(!needs_refresh(now, Some(t(1_000_000 + 301)), None));
        // exp wins over an old last_refresh.
        assert!(!needs_refresh(now, Some(t(1_000_000 + 3600)), Some(t(0))));
    }

    #[test]
    fn last_refresh_rule() {
        let now = t(10_000_000);
        let eight_days = 8 * 24 * 3600;
        assert!(!needs_refresh(now, None, Some(t(10_000_000 - eight_days))));
        assert!(needs_refresh(
            now,
            None,
            Some(t(10_000_000 - eight_days - 1))
        ));
        assert!(!needs_refresh(now, None, Some(t(10_000_000 + 50))));
        assert!(needs_refresh(now, None, None));
    }

    #[test]
    fn classification() {
        use RefreshOutcome::*;
        assert_eq!(
            classify_refresh_failure(401, br#"{"error":{"code":"refresh_token_expired"}}"#),
            Permanent(RefreshFailure::Expired)
        );
        assert_eq!(
            classify_refresh_failure(400, br#"{"error":"refresh_token_reused"}"#),
            Permanent(RefreshFailure::Reused)
        );
        assert_eq!(
            classify_refresh_failure(400, br#"{"code":"refresh_token_invalidated"}"#),
            Permanent(RefreshFailure::Revoked)
        );
        assert_eq!(
            classify_refresh_failure(401, br#"{"error":"other"}"#),
            Permanent(RefreshFailure::Other)
        );
        assert_eq!(
            classify_refresh_failure(401, b"not json"),
            Permanent(RefreshFailure::Other)
        );
        assert_eq!(classify_refresh_failure(500, b""), Transient);
        assert_eq!(
            classify_refresh_failure(400, br#"{"error":"invalid_grant"}"#),
            Transient
        );
        assert_eq!(classify_refresh_failure(429, b"{}"), Transient);
        assert!(failure_message(RefreshFailure::Reused).contains("already used"));
        assert!(failure_message(RefreshFailure::Expired).contains("expired"));
        assert!(failure_message(RefreshFailure::Revoked).contains("revoked"));
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            error_description(br#"{"error":"x","error_description":"bad thing"}"#).as_deref(),
            Some("bad thing")
        );
        assert_eq!(
            error_description(br#"{"error":{"code":"x","message":"m"}}"#).as_deref(),
            Some("m")
        );
        assert_eq!(error_description(b"[]"), None);
    }
}
