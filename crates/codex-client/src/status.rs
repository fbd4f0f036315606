//! Mapping of HTTP error responses (protocol §8.1) and response headers to [`Error`].

use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use http::HeaderMap;
use http::StatusCode;
use serde_json::Value;

use crate::error::Error;
use crate::error::ErrorKind;

/// Longest body kept in an error.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The server's request id: `x-request-id`, `x-oai-request-id`, then `cf-ray`.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "x-oai-request-id", "cf-ray"]
        .iter()
        .find_map(|n| headers.get(*n)?.to_str().ok().map(str::to_owned))
}

/// `retry-after-ms` (milliseconds, fractional allowed) or `retry-after` (seconds, or an HTTP
/// date is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let parse = |name: &str| -> Option<f64> {
        let v: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
        (v.is_finite() && v >= 0.0).then_some(v)
    };
    if let Some(ms) = parse("retry-after-ms") {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    parse("retry-after").map(Duration::from_secs_f64)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The human message of an error body: `detail`, `error.message`, `message`.
fn message_of(v: &Value) -> Option<String> {
    if let Some(s) = v.get("detail").and_then(Value::as_str) {
        return Some(s.to_owned());
    }
    if let Some(d) = v.get("detail")
        && !d.is_null()
    {
        return Some(d.to_string());
    }
    str_at(v, &["error", "message"])
        .or_else(|| str_at(v, &["message"]))
        .map(str::to_owned)
}

fn epoch(secs: f64) -> Option<SystemTime> {
    (secs.is_finite() && secs >= 0.0).then(|| UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// Maps a non-success response to an error (the 401 case is handled by the caller).
pub(crate) fn http_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err_type = str_at(&json, &["error", "type"]).map(str::to_owned);
    let err_code = str_at(&json, &["error", "code"]).map(str::to_owned);
    let msg = message_of(&json);
    let rid = request_id(headers);
    let ra = retry_after(headers);
    let body_text = {
        let cut = body.len().min(MAX_ERROR_BODY);
        String::from_utf8_lossy(&body[..cut]).into_owned()
    };
    let code_or_type = err_code.clone().or_else(|| err_type.clone());
    let with_msg = |base: &str| match &msg {
        Some(m) => format!("{base}: {m}"),
        None => base.to_owned(),
    };

    let (kind, message, retryable) = if status.is_redirection() {
        (
            ErrorKind::Http,
            format!(
                "unexpected redirect (status {}) not followed",
                status.as_u16()
            ),
            false,
        )
    } else if status == StatusCode::UNAUTHORIZED {
        (
            ErrorKind::LoginRequired,
            "the credentials were rejected; log in again".to_owned(),
            false,
        )
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        match err_type.as_deref().or(err_code.as_deref()) {
            Some("usage_limit_reached") => (
                ErrorKind::UsageLimitReached,
                with_msg("usage limit reached"),
                false,
            ),
            Some("usage_not_included") => (
                ErrorKind::UsageNotIncluded,
                with_msg("usage not included in the plan"),
                false,
            ),
            _ => (ErrorKind::RateLimited, with_msg("rate limited"), true),
        }
    } else if status == StatusCode::BAD_REQUEST {
        if code_or_type.as_deref() == Some("cyber_policy")
            || err_code.as_deref() == Some("cyber_policy")
        {
            (
                ErrorKind::CyberPolicy,
                with_msg("request flagged by the cyber-security policy"),
                false,
            )
        } else if err_code.as_deref() == Some("context_length_exceeded") {
            (
                ErrorKind::ContextWindowExceeded,
                with_msg("context window exceeded"),
                false,
            )
        } else {
            (
                ErrorKind::InvalidRequest,
                with_msg("invalid request"),
                false,
            )
        }
    } else if status == StatusCode::SERVICE_UNAVAILABLE
        && matches!(
            code_or_type.as_deref(),
            Some("server_is_overloaded" | "slow_down")
        )
    {
        (
            ErrorKind::ServerOverloaded,
            with_msg("server overloaded"),
            true,
        )
    } else {
        (
            ErrorKind::Http,
            with_msg(&format!("http status {}", status.as_u16())),
            status.is_server_error(),
        )
    };
    let plan = str_at(&json, &["error", "plan_type"]).map(str::to_owned);
    let resets_at = json
        .get("error")
        .and_then(|e| e.get("resets_at"))
        .and_then(Value::as_f64)
        .and_then(epoch)
        .or_else(|| {
            let secs = json.get("error")?.get("resets_in_seconds")?.as_f64()?;
            (secs.is_finite() && secs >= 0.0)
                .then(|| SystemTime::now() + Duration::from_secs_f64(secs))
        });
    Error::new(kind, message).with(|d| {
        d.status = Some(status);
        d.request_id = rid;
        d.retry_after = ra;
        d.body = Some(body_text);
        d.code = code_or_type;
        d.plan_type = plan;
        d.resets_at = resets_at;
        d.retryable = retryable;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, http::HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn usage_limit_is_terminal_with_plan_and_reset() {
        let body = br#"{"error":{"type":"usage_limit_reached","message":"limit","plan_type":"plus","resets_at":1738888888}}"#;
        let e = http_error(
            StatusCode::TOO_MANY_REQUESTS,
            &h(&[("retry-after", "5")]),
            body,
        );
        assert_eq!(e.kind(), ErrorKind::UsageLimitReached);
        assert_eq!(e.plan_type(), Some("plus"));
        assert_eq!(
            e.resets_at(),
            Some(UNIX_EPOCH + Duration::from_secs(1_738_888_888))
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn statuses() {
        let e = http_error(
            StatusCode::TOO_MANY_REQUESTS,
            &h(&[("retry-after-ms", "1500"), ("x-request-id", "req_1")]),
            b"{}",
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
        assert_eq!(e.request_id(), Some("req_1"));
        let e = http_error(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"detail":"Store must be set to false"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert_eq!(e.to_string(), "invalid request: Store must be set to false");
        let e = http_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            br#"{"error":{"code":"server_is_overloaded"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::ServerOverloaded);
        let e = http_error(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"oops");
        assert_eq!(e.kind(), ErrorKind::Http);
        assert!(e.is_retryable());
        assert_eq!(e.body(), Some("oops"));
        let e = http_error(StatusCode::FOUND, &HeaderMap::new(), b"");
        assert_eq!(e.kind(), ErrorKind::Http);
        let e = http_error(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error":{"code":"cyber_policy","message":"m"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::CyberPolicy);
    }
}
