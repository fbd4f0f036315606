//! HTTP error bodies (protocol §8.1).

use base64::Engine;
use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::usage::PlanType;

/// What an HTTP error body says, classified as codex-rs does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 429 `usage_limit_reached`: terminal until `resets_at` (even if the body says
    /// `retryable`).
    UsageLimitReached,
    /// 429 `usage_not_included`: the plan lacks Codex. Terminal.
    UsageNotIncluded,
    /// Any other 429. Terminal (codex-rs does not retry 429).
    RateLimited,
    /// 503 (or any status) with `server_is_overloaded` / `slow_down`.
    ServerOverloaded,
    /// `cyber_policy`.
    CyberPolicy,
    /// "The image data you provided does not represent a valid image".
    InvalidImage,
    /// Other 4xx: the request is wrong (`detail` or `error.message` says why).
    InvalidRequest,
    /// 401.
    Unauthorized,
    /// 5xx.
    ServerError,
    /// Anything else.
    Other,
}

/// A parsed HTTP error body. Parsing never fails; the raw text is always kept.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// HTTP status.
    pub status: StatusCode,
    /// Classification.
    pub kind: ApiErrorKind,
    /// FastAPI `detail` (when a string; other shapes are in `raw`).
    pub detail: Option<String>,
    /// `error.message`.
    pub message: Option<String>,
    /// `error.type`.
    pub error_type: Option<String>,
    /// `error.code`.
    pub code: Option<String>,
    /// `error.param`.
    pub param: Option<String>,
    /// `error.plan_type` (usage limits).
    pub plan_type: Option<PlanType>,
    /// `error.resets_at`, epoch seconds (usage limits).
    pub resets_at: Option<i64>,
    /// Older `error.resets_in_seconds`.
    pub resets_in: Option<std::time::Duration>,
    /// The body text (lossy UTF-8).
    pub raw: String,
}

#[derive(Deserialize, Default)]
struct ErrorObj {
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    message: Option<String>,
    #[serde(
        rename = "type",
        default,
        deserialize_with = "crate::lossless::lenient"
    )]
    error_type: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    code: Option<Value>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    param: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    plan_type: Option<PlanType>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_epoch")]
    resets_at: Option<i64>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    resets_in_seconds: Option<f64>,
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    detail: Option<Value>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    error: Option<ErrorObj>,
}

impl ApiErrorBody {
    /// Parses an error response body; never fails.
    pub fn parse(status: StatusCode, body: &[u8]) -> ApiErrorBody {
        let raw = String::from_utf8_lossy(body).into_owned();
        let parsed: Body = serde_json::from_slice(body).unwrap_or_default();
        let e = parsed.error.unwrap_or_default();
        let code = e.code.map(|c| match c {
            Value::String(s) => s,
            other => other.to_string(),
        });
        let detail = parsed.detail.map(|d| match d {
            Value::String(s) => s,
            other => other.to_string(),
        });
        let is = |s: &str| e.error_type.as_deref() == Some(s) || code.as_deref() == Some(s);
        let kind = if is("usage_limit_reached") {
            ApiErrorKind::UsageLimitReached
        } else if is("usage_not_included") {
            ApiErrorKind::UsageNotIncluded
        } else if is("server_is_overloaded") || is("slow_down") {
            ApiErrorKind::ServerOverloaded
        } else if is("cyber_policy") {
            ApiErrorKind::CyberPolicy
        } else if raw.contains("The image data you provided does not represent a valid image") {
            ApiErrorKind::InvalidImage
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            ApiErrorKind::RateLimited
        } else if status == StatusCode::UNAUTHORIZED {
            ApiErrorKind::Unauthorized
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            ApiErrorKind::ServerOverloaded
        } else if status.is_server_error() {
            ApiErrorKind::ServerError
        } else if status.is_client_error() {
            ApiErrorKind::InvalidRequest
        } else {
            ApiErrorKind::Other
        };
        ApiErrorBody {
            status,
            kind,
            detail,
            message: e.message,
            error_type: e.error_type,
            code,
            param: e.param,
            plan_type: e.plan_type,
            resets_at: e.resets_at,
            resets_in: e
                .resets_in_seconds
                .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok()),
            raw,
        }
    }

    /// The most useful human message: `error.message`, else `detail`, else the raw body.
    pub fn display_message(&self) -> &str {
        self.message
            .as_deref()
            .or(self.detail.as_deref())
            .unwrap_or(&self.raw)
    }
}

/// Decodes the 401 `x-error-json` header (base64 of `{"error":{"code":…}}`) and returns
/// `error.code` (e.g. `token_expired`).
pub fn decode_x_error_json(value: &[u8]) -> Option<String> {
    let trimmed = value.trim_ascii();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("error")?.get("code")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let b = ApiErrorBody::parse(
            StatusCode::TOO_MANY_REQUESTS,
            br#"{"error":{"type":"usage_limit_reached","message":"limit","plan_type":"plus","resets_at":1738888888}}"#,
        );
        assert_eq!(b.kind, ApiErrorKind::UsageLimitReached);
        assert_eq!(b.plan_type, Some(PlanType::Plus));
        assert_eq!(b.resets_at, Some(1738888888));
        let b = ApiErrorBody::parse(
            StatusCode::BAD_REQUEST,
            br#"{"detail":"Instructions are required"}"#,
        );
        assert_eq!(b.kind, ApiErrorKind::InvalidRequest);
        assert_eq!(b.display_message(), "Instructions are required");
        let b = ApiErrorBody::parse(
            StatusCode::SERVICE_UNAVAILABLE,
            br#"{"error":{"code":"slow_down"}}"#,
        );
        assert_eq!(b.kind, ApiErrorKind::ServerOverloaded);
        let b = ApiErrorBody::parse(
            StatusCode::BAD_REQUEST,
            br#"{"error":{"code":"cyber_policy","message":""}}"#,
        );
        assert_eq!(b.kind, ApiErrorKind::CyberPolicy);
        let b = ApiErrorBody::parse(
            StatusCode::TOO_MANY_REQUESTS,
            br#"{"error":{"type":"usage_limit_reached","resets_in_seconds":60}}"#,
        );
        assert_eq!(b.resets_in, Some(std::time::Duration::from_secs(60)));
        let b = ApiErrorBody::parse(StatusCode::BAD_GATEWAY, b"\xff<html>");
        assert_eq!(b.kind, ApiErrorKind::ServerError);
        assert!(b.raw.contains("<html>"));
        assert_eq!(
            decode_x_error_json(b"eyJlcnJvciI6eyJjb2RlIjoidG9rZW5fZXhwaXJlZCJ9fQ=="),
            Some("token_expired".into())
        );
        assert_eq!(decode_x_error_json(b"!!"), None);
    }
}
