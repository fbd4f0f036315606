//! JWT claim decoding (sans-IO, section 9.8 of the protocol notes).
//!
//! No signature is verified: the tokens come from the issuer over TLS (or from the user's own
//! `auth.json`) and are only read for display and routing (account id, plan, expiry).

use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The namespace object holding the ChatGPT claims.
const AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// The namespace object holding profile claims.
const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// Why a token could not be decoded. The message never contains token bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three non-empty dot-separated parts.
    #[error("token is not a JWT (expected three non-empty dot-separated parts)")]
    NotThreeParts,
    /// The payload is not base64url.
    #[error("JWT payload is not valid base64url")]
    BadBase64,
    /// The payload is not a JSON object.
    #[error("JWT payload is not a JSON object")]
    NotJsonObject,
}

/// The subscription plan from `chatgpt_plan_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    /// `free`
    Free,
    /// `go`
    Go,
    /// `plus`
    Plus,
    /// `pro`
    Pro,
    /// `team`
    Team,
    /// `business`
    Business,
    /// `enterprise` (also `hc`)
    Enterprise,
    /// `edu` or `education`
    Edu,
    /// Any other value, kept as sent.
    Other(String),
}

impl Plan {
    /// Maps a raw `chatgpt_plan_type` value.
    pub fn from_raw(raw: &str) -> Self {
        match raw.to_ascii_lowercase().as_str() {
            "free" => Self::Free,
            "go" => Self::Go,
            "plus" => Self::Plus,
            "pro" => Self::Pro,
            "team" => Self::Team,
            "business" => Self::Business,
            "enterprise" | "hc" => Self::Enterprise,
            "edu" | "education" => Self::Edu,
            _ => Self::Other(raw.to_owned()),
        }
    }

    /// The plan as a lower-case string (`Other` as sent).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Free => "free",
            Self::Go => "go",
            Self::Plus => "plus",
            Self::Pro => "pro",
            Self::Team => "team",
            Self::Business => "business",
            Self::Enterprise => "enterprise",
            Self::Edu => "edu",
            Self::Other(s) => s,
        }
    }
}

/// What the id token says about the user and account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AccountInfo {
    /// `chatgpt_account_id`: sent as `ChatGPT-Account-ID`.
    pub account_id: Option<String>,
    /// `chatgpt_plan_type`, mapped.
    pub plan: Option<Plan>,
    /// `email` (fallback: the profile claim's `email`).
    pub email: Option<String>,
    /// `chatgpt_user_id` (fallback `user_id`).
    pub user_id: Option<String>,
    /// `chatgpt_account_is_fedramp`.
    pub fedramp: bool,
}

/// All id-token claims this crate uses, including the success-page parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// Account facts.
    pub account: AccountInfo,
    /// `organization_id`.
    pub organization_id: Option<String>,
    /// `project_id`.
    pub project_id: Option<String>,
    /// `completed_platform_onboarding`.
    pub completed_platform_onboarding: bool,
    /// `is_org_owner`.
    pub is_org_owner: bool,
    /// The raw plan string (`chatgpt_plan_type`) as sent.
    pub raw_plan: Option<String>,
}

impl IdTokenClaims {
    /// Decodes the claims of an id token.
    pub fn decode(token: &str) -> Result<Self, JwtError> {
        let payload = decode_payload(token)?;
        Ok(Self::from_payload(&payload))
    }

    fn from_payload(payload: &serde_json::Map<String, Value>) -> Self {
        let auth = payload.get(AUTH_CLAIM).and_then(Value::as_object);
        let auth_str = |k: &str| {
            auth.and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let auth_bool = |k: &str| {
            auth.and_then(|a| a.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let email = payload
            .get("email")
            .and_then(Value::as_str)
            .or_else(|| {
                payload
                    .get(PROFILE_CLAIM)
                    .and_then(|p| p.get("email"))
                    .and_then(Value::as_str)
            })
            .map(str::to_owned);
        let raw_plan = auth_str("chatgpt_plan_type");
        Self {
            account: AccountInfo {
                account_id: auth_str("chatgpt_account_id"),
                plan: raw_plan.as_deref().map(Plan::from_raw),
                email,
                user_id: auth_str("chatgpt_user_id").or_else(|| auth_str("user_id")),
                fedramp: auth_bool("chatgpt_account_is_fedramp"),
            },
            organization_id: auth_str("organization_id"),
            project_id: auth_str("project_id"),
            completed_platform_onboarding: auth_bool("completed_platform_onboarding"),
            is_org_owner: auth_bool("is_org_owner"),
            raw_plan,
        }
    }
}

/// The `exp` claim of a token, when it is a JWT with a numeric `exp`.
pub fn expires_at(token: &str) -> Result<Option<SystemTime>, JwtError> {
    let payload = decode_payload(token)?;
    Ok(payload.get("exp").and_then(exp_to_time))
}

/// The raw `chatgpt_plan_type` of an access token (used for the success page).
pub(crate) fn access_token_plan(token: &str) -> Option<String> {
    let payload = decode_payload(token).ok()?;
    payload
        .get(AUTH_CLAIM)?
        .get("chatgpt_plan_type")?
        .as_str()
        .map(str::to_owned)
}

fn exp_to_time(v: &Value) -> Option<SystemTime> {
    let secs = if let Some(u) = v.as_u64() {
        u
    } else {
        let f = v.as_f64()?;
        if !f.is_finite() || !(0.0..=1e15).contains(&f) {
            return None;
        }
        // Truncation of a fractional exp is intended.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let s = f as u64;
        s
    };
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Decodes the payload (middle part) of a JWT into a JSON object.
pub fn decode_payload(token: &str) -> Result<serde_json::Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::NotThreeParts);
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(JwtError::NotThreeParts);
    }
    // Some encoders pad; the spec says no padding. Accept both.
    let bytes = URL_SAFE_NO_PAD
        .decode(p.trim_end_matches('='))
        .map_err(|_| JwtError::BadBase64)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::NotJsonObject),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &Value) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        )
    }

    #[test]
    fn decodes_claims() {
        let t = jwt(&serde_json::json!({
            "email": "a@b.c",
            "https://api.openai.com/auth": {
                "chatgpt_account_id": "acc-1",
                "chatgpt_plan_type": "hc",
                "chatgpt_user_id": "user-1",
                "organization_id": "org-1",
                "project_id": "proj-1",
                "completed_platform_onboarding": true,
                "is_org_owner": true,
                "chatgpt_account_is_fedramp": true
            }
        }));
        let c = IdTokenClaims::decode(&t).unwrap();
        assert_eq!(c.account.account_id.as_deref(), Some("acc-1"));
        assert_eq!(c.account.plan, Some(Plan::Enterprise));
        assert_eq!(c.raw_plan.as_deref(), Some("hc"));
        assert_eq!(c.account.email.as_deref(), Some("a@b.c"));
        assert_eq!(c.account.user_id.as_deref(), Some("user-1"));
        assert!(c.account.fedramp);
        assert!(c.is_org_owner && c.completed_platform_onboarding);
        assert_eq!(c.organization_id.as_deref(), Some("org-1"));
    }

    #[test]
    fn fallbacks() {
        let t = jwt(&serde_json::json!({
            "https://api.openai.com/profile": {"email": "p@q.r"},
            "https://api.openai.com/auth": {"user_id": "u2", "chatgpt_plan_type": "Weird"}
        }));
        let c = IdTokenClaims::decode(&t).unwrap();
        assert_eq!(c.account.email.as_deref(), Some("p@q.r"));
        assert_eq!(c.account.user_id.as_deref(), Some("u2"));
        assert_eq!(c.account.plan, Some(Plan::Other("Weird".into())));
        assert!(!c.account.fedramp);
        assert_eq!(c.account.account_id, None);
        for (raw, p) in [
            ("free", Plan::Free),
            ("go", Plan::Go),
            ("plus", Plan::Plus),
            ("pro", Plan::Pro),
            ("team", Plan::Team),
            ("business", Plan::Business),
            ("enterprise", Plan::Enterprise),
            ("edu", Plan::Edu),
            ("education", Plan::Edu),
        ] {
            assert_eq!(Plan::from_raw(raw), p);
        }
    }

    #[test]
    fn exp_claim() {
        let t = jwt(&serde_json::json!({"exp": 1_700_000_000u64}));
        assert_eq!(
            expires_at(&t).unwrap(),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        let t = jwt(&serde_json::json!({"exp": "soon"}));
        assert_eq!(expires_at(&t).unwrap(), None);
        let t = jwt(&serde_json::json!({"exp": -5}));
        assert_eq!(expires_at(&t).unwrap(), None);
    }

    #[test]
    fn malformed_tokens_are_errors_not_panics() {
        let secret = "opaque-secret-token";
        let e = IdTokenClaims::decode(secret).unwrap_err();
        assert_eq!(e, JwtError::NotThreeParts);
        assert!(!e.to_string().contains(secret));
        for bad in ["a.b", "a..c", ".b.c", "a.b.c.d", "", "..", "a.!!!.c"] {
            assert!(decode_payload(bad).is_err(), "{bad}");
        }
        let not_json = format!("a.{}.c", URL_SAFE_NO_PAD.encode("not json"));
        assert_eq!(decode_payload(&not_json), Err(JwtError::NotJsonObject));
        let array = format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1]"));
        assert_eq!(decode_payload(&array), Err(JwtError::NotJsonObject));
        let padded = format!("a.{}=.c", URL_SAFE_NO_PAD.encode("{}"));
        assert!(decode_payload(&padded).is_ok());
    }
}
