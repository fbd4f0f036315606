//! Maps what the server means ([`codex_types::Classification`], the one classifier: HTTP
//! answers, wrapped error frames, terminal events) to [`Error`], once.

use std::time::Duration;
use std::time::SystemTime;

use codex_types::ApiErrorKind;
use codex_types::Classification;
use http::HeaderMap;
use http::StatusCode;

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

/// Maps a non-success response to an error (the 401 recovery happens in the caller).
pub(crate) fn http_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let mut c = Classification::http(status, headers, body);
    if let Some(b) = &mut c.body
        && b.len() > MAX_ERROR_BODY
    {
        let mut cut = MAX_ERROR_BODY;
        while !b.is_char_boundary(cut) {
            cut -= 1;
        }
        b.truncate(cut);
    }
    from_classification(c).with(|d| {
        if d.request_id.is_none() {
            d.request_id = request_id(headers);
        }
    })
}

/// The client's kind for a classification.
impl From<ApiErrorKind> for ErrorKind {
    fn from(k: ApiErrorKind) -> Self {
        match k {
            ApiErrorKind::UsageLimitReached => ErrorKind::UsageLimitReached,
            ApiErrorKind::UsageNotIncluded => ErrorKind::UsageNotIncluded,
            ApiErrorKind::RateLimited => ErrorKind::RateLimited,
            ApiErrorKind::ServerOverloaded => ErrorKind::ServerOverloaded,
            ApiErrorKind::CyberPolicy => ErrorKind::CyberPolicy,
            ApiErrorKind::BioPolicy => ErrorKind::BioPolicy,
            ApiErrorKind::InvalidImage | ApiErrorKind::InvalidRequest => ErrorKind::InvalidRequest,
            ApiErrorKind::ContextWindowExceeded => ErrorKind::ContextWindowExceeded,
            ApiErrorKind::QuotaExceeded => ErrorKind::QuotaExceeded,
            ApiErrorKind::FlexUnavailable => ErrorKind::FlexUnavailable,
            ApiErrorKind::ContentFilter => ErrorKind::ContentFilter,
            ApiErrorKind::Incomplete => ErrorKind::Incomplete,
            ApiErrorKind::Unauthorized => ErrorKind::LoginRequired,
            ApiErrorKind::StreamFailure => ErrorKind::ApiError,
            _ => ErrorKind::Http,
        }
    }
}

/// The one mapping from a classification to this crate's error: kind, message, retryability
/// and details.
pub(crate) fn from_classification(c: Classification) -> Error {
    let status_text = || c.status.map_or(0, |s| s.as_u16());
    let base = match &c.kind {
        ApiErrorKind::Redirect => {
            format!(
                "unexpected redirect (status {}) not followed",
                status_text()
            )
        }
        ApiErrorKind::Unauthorized => "the credentials were rejected; log in again".to_owned(),
        ApiErrorKind::UsageLimitReached => "usage limit reached".to_owned(),
        ApiErrorKind::UsageNotIncluded => "usage not included in the plan".to_owned(),
        ApiErrorKind::RateLimited => "rate limited".to_owned(),
        ApiErrorKind::ServerOverloaded => "server overloaded".to_owned(),
        ApiErrorKind::CyberPolicy => "request flagged by the cyber-security policy".to_owned(),
        ApiErrorKind::BioPolicy => "request flagged by the biology safety policy".to_owned(),
        ApiErrorKind::InvalidImage => "invalid image".to_owned(),
        ApiErrorKind::InvalidRequest => "invalid request".to_owned(),
        ApiErrorKind::ContextWindowExceeded => "context window exceeded".to_owned(),
        ApiErrorKind::QuotaExceeded => "quota exceeded".to_owned(),
        ApiErrorKind::FlexUnavailable => "flex capacity unavailable".to_owned(),
        ApiErrorKind::ContentFilter | ApiErrorKind::Incomplete => format!(
            "incomplete response returned, reason: {}",
            c.reason.as_deref().unwrap_or("unknown")
        ),
        ApiErrorKind::StreamFailure => "the response failed".to_owned(),
        _ => format!("http status {}", status_text()),
    };
    // The 401 message never echoes the body (it may name the token's problem in detail);
    // incomplete responses carry no message.
    let message = match (&c.kind, &c.message) {
        (
            ApiErrorKind::Unauthorized
            | ApiErrorKind::Redirect
            | ApiErrorKind::ContentFilter
            | ApiErrorKind::Incomplete,
            _,
        )
        | (_, None) => base,
        (_, Some(m)) => format!("{base}: {m}"),
    };
    let resets_at = c
        .resets_at
        .and_then(codex_auth::unix_seconds)
        .or_else(|| c.resets_in.and_then(|d| SystemTime::now().checked_add(d)));
    Error::new(c.kind.clone().into(), message).with(|d| {
        d.status = c.status;
        d.retry_after = c.retry_after;
        d.body = c.body;
        d.code = c.code;
        d.plan_type = c.plan_type.as_ref().map(|p| p.as_str().to_owned());
        d.resets_at = resets_at;
        d.limit_window = c
            .limit_window_minutes
            .map(|m| Duration::from_secs(m.saturating_mul(60)));
        d.reason = c.reason;
        d.rate_limits = c.rate_limits;
        d.retryable = c.retryable;
    })
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

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

    #[test]
    fn absurd_retry_after_is_reported_not_waited_for() {
        let e = http_error(
            StatusCode::TOO_MANY_REQUESTS,
            &h(&[("retry-after", "1e20")]),
            b"{}",
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::MAX));
        assert_eq!(
            crate::RetryPolicy::default().delay_for(1, &e),
            None,
            "a delay beyond the policy's max server delay is reported, not waited for"
        );
    }

    #[test]
    fn absurd_resets_at_values_never_panic() {
        let reset = |body: &str| {
            http_error(
                StatusCode::TOO_MANY_REQUESTS,
                &HeaderMap::new(),
                body.as_bytes(),
            )
            .resets_at()
        };
        for v in ["1e300", "-5", "\"soon\"", "{}", "1.8e19"] {
            let body = format!(r#"{{"error":{{"type":"usage_limit_reached","resets_at":{v}}}}}"#);
            assert_eq!(reset(&body), None, "{v}");
        }
        assert_eq!(
            reset(r#"{"error":{"type":"usage_limit_reached","resets_at":"1738888888"}}"#),
            Some(UNIX_EPOCH + Duration::from_secs(1_738_888_888))
        );
        for v in ["1e300", "1e20", "-1", "\"x\""] {
            let body =
                format!(r#"{{"error":{{"type":"usage_limit_reached","resets_in_seconds":{v}}}}}"#);
            assert_eq!(reset(&body), None, "{v}");
        }
        let soon =
            reset(r#"{"error":{"type":"usage_limit_reached","resets_in_seconds":60}}"#).unwrap();
        assert!(soon > SystemTime::now());
    }

    #[test]
    fn usage_limit_in_either_type_or_code_is_terminal() {
        for body in [
            r#"{"error":{"type":"invalid_request_error","code":"usage_limit_reached"}}"#,
            r#"{"error":{"type":"usage_limit_reached","code":"something_else"}}"#,
        ] {
            let e = http_error(
                StatusCode::TOO_MANY_REQUESTS,
                &h(&[("retry-after", "1")]),
                body.as_bytes(),
            );
            assert_eq!(e.kind(), ErrorKind::UsageLimitReached, "{body}");
            assert!(!e.is_retryable());
            assert_eq!(crate::RetryPolicy::default().delay_for(1, &e), None);
        }
        let e = http_error(
            StatusCode::TOO_MANY_REQUESTS,
            &h(&[("retry-after", "1")]),
            br#"{"error":{"type":"invalid_request_error","code":"usage_not_included"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::UsageNotIncluded);
        assert!(!e.is_retryable());
    }
}
