//! HTTP error bodies (protocol §8.1).

use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::usage::PlanType;

/// What the server means by an error answer: an HTTP error, a wrapped WebSocket error frame,
/// or a terminal stream event. One classification for every source; see
/// [`crate::Classification`] for retryability and the delay, and docs/client.md for the
/// decision table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 429 (or a stream failure) `usage_limit_reached`: terminal until `resets_at` (even if
    /// the body says `retryable`).
    UsageLimitReached,
    /// `usage_not_included`: the plan lacks Codex. Terminal.
    UsageNotIncluded,
    /// A rate limit: a 429 that is not one of the terminal codes, `rate_limit_exceeded` or
    /// `slow_down`. Retryable only with a server-given delay over HTTP; always in a stream.
    RateLimited,
    /// `server_is_overloaded` (a 503 with that code over HTTP). Retryable as any 5xx over
    /// HTTP; terminal as a stream failure (codex-rs does not retry it at turn level).
    ServerOverloaded,
    /// `cyber_policy` (a 400 over HTTP; any stream failure).
    CyberPolicy,
    /// `bio_policy`: flagged by the biology safety policy. Terminal.
    BioPolicy,
    /// "The image data you provided does not represent a valid image" (400).
    InvalidImage,
    /// The request is wrong: a 400, or `invalid_prompt`, `content_policy_violation` and the
    /// image codes in a stream (`detail` or `error.message` says why).
    InvalidRequest,
    /// `context_length_exceeded`: compact or trim the history first. Terminal.
    ContextWindowExceeded,
    /// `insufficient_quota`, `quota_exceeded`, `billing_hard_limit_reached`,
    /// `credit_balance_exhausted`, `organization_spend_limit_exceeded`,
    /// `project_spend_limit_exceeded`. Terminal.
    QuotaExceeded,
    /// `flex_unavailable`: no capacity for the flex service tier. Terminal (send again
    /// without flex, or later).
    FlexUnavailable,
    /// `response.incomplete` with reason `content_filter`. Terminal.
    ContentFilter,
    /// `response.incomplete` with any other reason (`max_output_tokens`, …). Terminal.
    Incomplete,
    /// 401.
    Unauthorized,
    /// A redirect (3xx), which is never followed.
    Redirect,
    /// Another 5xx.
    ServerError,
    /// A stream failure (`response.failed`, `error` event) with another code or none.
    /// Retryable.
    StreamFailure,
    /// Anything else (403, 404, other statuses).
    Other,
}

/// A parsed HTTP error body (or the error object of a wrapped WebSocket error frame).
/// Parsing never fails; the raw text is always kept.
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
    /// `error.limit_window_minutes` (usage limits): the length of the window that tripped.
    pub limit_window_minutes: Option<u64>,
    /// The body text (lossy UTF-8).
    pub raw: String,
}

/// The error object of every error shape (`{"error":{…}}` bodies, `response.failed`'s
/// `response.error`, `error` events), read leniently: one field of an unexpected type
/// never loses the others.
#[derive(Deserialize, Default)]
pub(crate) struct ErrorObj {
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    pub(crate) message: Option<String>,
    #[serde(
        rename = "type",
        default,
        deserialize_with = "crate::lossless::lenient_text"
    )]
    pub(crate) error_type: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    pub(crate) code: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    pub(crate) param: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(crate) plan_type: Option<PlanType>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_epoch")]
    pub(crate) resets_at: Option<i64>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(crate) resets_in_seconds: Option<f64>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(crate) limit_window_minutes: Option<u64>,
}

impl ErrorObj {
    /// Reads an error object from a JSON value; anything that is not an object gives the
    /// empty error.
    pub(crate) fn from_value(v: Option<&Value>) -> ErrorObj {
        v.and_then(|v| ErrorObj::deserialize(v).ok())
            .unwrap_or_default()
    }

    /// `error.code`, else `error.type`: the field the classification reads.
    pub(crate) fn code_or_type(&self) -> Option<&str> {
        self.code.as_deref().or(self.error_type.as_deref())
    }

    /// True when `code` or `type` is `name`.
    pub(crate) fn is(&self, name: &str) -> bool {
        self.code.as_deref() == Some(name) || self.error_type.as_deref() == Some(name)
    }
}

const INVALID_IMAGE: &str = "The image data you provided does not represent a valid image";

/// The HTTP rows of the decision table (docs/client.md), in order; codex-rs `api_bridge.rs`
/// decides the overlapping cases (a plain 429 is a terminal rate limit, `cyber_policy` only on
/// a 400, a 503 is overloaded only with its code).
fn http_kind(status: StatusCode, e: &ErrorObj, raw: &str) -> ApiErrorKind {
    use crate::failure::FailureCode as C;
    let code = C::from_code(e.code_or_type());
    let typed = |name| e.is(name);
    if status.is_redirection() {
        return ApiErrorKind::Redirect;
    }
    if status == StatusCode::UNAUTHORIZED {
        return ApiErrorKind::Unauthorized;
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return if typed("usage_limit_reached") {
            ApiErrorKind::UsageLimitReached
        } else if typed("usage_not_included") {
            ApiErrorKind::UsageNotIncluded
        } else if typed("flex_unavailable") {
            ApiErrorKind::FlexUnavailable
        } else if code == C::InsufficientQuota {
            ApiErrorKind::QuotaExceeded
        } else {
            ApiErrorKind::RateLimited
        };
    }
    if status == StatusCode::BAD_REQUEST {
        return match code {
            C::CyberPolicy => ApiErrorKind::CyberPolicy,
            C::BioPolicy => ApiErrorKind::BioPolicy,
            C::ContextLengthExceeded => ApiErrorKind::ContextWindowExceeded,
            C::InsufficientQuota => ApiErrorKind::QuotaExceeded,
            _ if raw.contains(INVALID_IMAGE) => ApiErrorKind::InvalidImage,
            _ => ApiErrorKind::InvalidRequest,
        };
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        match e.code.as_deref() {
            Some("server_is_overloaded") => return ApiErrorKind::ServerOverloaded,
            Some("slow_down") => return ApiErrorKind::RateLimited,
            _ => {}
        }
    }
    if status.is_server_error() {
        ApiErrorKind::ServerError
    } else {
        ApiErrorKind::Other
    }
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    detail: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

impl ApiErrorBody {
    /// Parses an error response body; never fails.
    pub fn parse(status: StatusCode, body: &[u8]) -> ApiErrorBody {
        let raw = String::from_utf8_lossy(body).into_owned();
        let parsed: Body = serde_json::from_slice(body).unwrap_or_default();
        Self::from_parts(status, parsed, raw)
    }

    /// Parses the JSON of an error answer already decoded (a wrapped WebSocket error frame
    /// `{"type":"error","status":429,"error":{…}}` is read as the body of that status).
    pub fn from_json(status: StatusCode, body: &Value) -> ApiErrorBody {
        let parsed = Body::deserialize(body).unwrap_or_default();
        Self::from_parts(status, parsed, body.to_string())
    }

    fn from_parts(status: StatusCode, parsed: Body, raw: String) -> ApiErrorBody {
        let e = ErrorObj::from_value(parsed.error.as_ref());
        let detail = parsed.detail.map(|d| match d {
            Value::String(s) => s,
            other => other.to_string(),
        });
        let kind = http_kind(status, &e, &raw);
        ApiErrorBody {
            status,
            kind,
            detail,
            message: e.message,
            error_type: e.error_type,
            code: e.code,
            param: e.param,
            plan_type: e.plan_type,
            resets_at: e.resets_at,
            resets_in: e
                .resets_in_seconds
                .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok()),
            limit_window_minutes: e.limit_window_minutes,
            raw,
        }
    }

    /// The most useful human message: `error.message`, else `detail`, else the message
    /// codex-rs shows for the code (e.g. `cyber_policy`, `flex_unavailable`), else the raw
    /// body.
    pub fn display_message(&self) -> &str {
        self.message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .or(self.detail.as_deref())
            .or_else(|| {
                crate::FailureCode::from_code(self.code.as_deref().or(self.error_type.as_deref()))
                    .default_message()
            })
            .unwrap_or(&self.raw)
    }
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
        assert_eq!(b.kind, ApiErrorKind::RateLimited);
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
    }
}
