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

/// `retry-after-ms` (milliseconds, fractional allowed) or `retry-after` (seconds, or an
/// HTTP-date: the delay is that date minus now, at least zero).
///
/// Negative, NaN and infinite values are ignored; a finite delay too long for a `Duration`
/// saturates to `Duration::MAX` (longer than any retry policy waits: reported, not retried).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(ms) = text("retry-after-ms").and_then(non_negative) {
        return Some(saturating_secs(ms / 1000.0));
    }
    let v = text("retry-after")?;
    if let Some(secs) = non_negative(v) {
        return Some(saturating_secs(secs));
    }
    let at = http_date(v)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A finite, non-negative number.
fn non_negative(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// `secs` (finite, non-negative) as a `Duration`, `Duration::MAX` when it does not fit.
fn saturating_secs(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// Parses an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(s: &str) -> Option<SystemTime> {
    let (wday, rest) = s.split_once(", ")?;
    if !matches!(wday, "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun") {
        return None;
    }
    let mut parts = rest.split(' ');
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" {
        return None;
    }
    let num = |t: &str, len: usize| -> Option<u64> {
        (t.len() == len && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = u64::try_from(MONTHS.iter().position(|m| *m == month)?).ok()? + 1;
    let day = num(day, 2)?;
    let year = num(year, 4)?;
    let mut hms = time.split(':');
    let (h, m, sec) = (
        num(hms.next()?, 2)?,
        num(hms.next()?, 2)?,
        num(hms.next()?, 2)?,
    );
    if hms.next().is_some() || year < 1970 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let idx = usize::try_from(month - 1).ok()?;
    if day == 0 || day > month_days[idx] {
        return None;
    }
    let days_before_year: u64 = (1970..year)
        .map(|y| {
            if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) {
                366
            } else {
                365
            }
        })
        .sum();
    let days_before_month: u64 = month_days[..idx].iter().sum();
    let days = days_before_year + days_before_month + day - 1;
    let secs = days * 86_400 + h * 3_600 + m * 60 + sec;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
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

/// A number, or a string holding one (server values are read leniently).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Epoch seconds as a time; `None` when negative, not finite or beyond what `SystemTime`
/// holds.
fn epoch(secs: f64) -> Option<SystemTime> {
    if !(secs.is_finite() && secs >= 0.0) {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?)
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
        // Either field may carry the terminal usage codes (a usage limit is never retried).
        let is = |c: &str| err_type.as_deref() == Some(c) || err_code.as_deref() == Some(c);
        let class = if is("usage_limit_reached") {
            Some("usage_limit_reached")
        } else if is("usage_not_included") {
            Some("usage_not_included")
        } else {
            None
        };
        match class {
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
        .and_then(number)
        .and_then(epoch)
        .or_else(|| {
            let secs = number(json.get("error")?.get("resets_in_seconds")?)?;
            if !(secs.is_finite() && secs >= 0.0) {
                return None;
            }
            SystemTime::now().checked_add(Duration::try_from_secs_f64(secs).ok()?)
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

    #[test]
    fn absurd_retry_after_values_never_panic() {
        // Too long for a Duration: saturates (longer than any policy waits, so reported).
        for v in ["1e20", "100000000000000000000000", "1e308"] {
            let d = retry_after(&h(&[("retry-after", v)]));
            assert_eq!(d, Some(Duration::MAX), "{v}");
        }
        for v in ["-1", "NaN", "inf", "-inf", "soon", ""] {
            assert_eq!(retry_after(&h(&[("retry-after", v)])), None, "{v}");
        }
        assert_eq!(
            retry_after(&h(&[("retry-after-ms", "1e30")])),
            Some(Duration::MAX)
        );
        assert_eq!(retry_after(&h(&[("retry-after-ms", "NaN")])), None);
        // A bad retry-after-ms falls back to retry-after.
        assert_eq!(
            retry_after(&h(&[("retry-after-ms", "-5"), ("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        let e = http_error(
            StatusCode::TOO_MANY_REQUESTS,
            &h(&[("retry-after", "1e20")]),
            b"{}",
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
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

    #[test]
    fn retry_after_http_date() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            http_date("Thu, 29 Feb 2024 00:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_709_164_800))
        );
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
        let now = UNIX_EPOCH + Duration::from_secs(784_111_767);
        let hm = h(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert_eq!(retry_after_at(&hm, now), Some(Duration::from_secs(10)));
        // A date in the past means "now".
        let later = UNIX_EPOCH + Duration::from_secs(784_111_800);
        assert_eq!(retry_after_at(&hm, later), Some(Duration::ZERO));
        // Through the real clock: a date a few seconds ahead gives a short positive delay.
        let d = retry_after(&h(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")])).unwrap();
        assert!(d > Duration::from_secs(86_400 * 365 * 7_000));
    }
}
