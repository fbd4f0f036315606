//! The decision table of docs/client.md, one row per case.

use std::time::UNIX_EPOCH;

use super::*;

fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (k, v) in pairs {
        m.insert(*k, HeaderValue::from_static(v));
    }
    m
}

fn status(s: u16) -> StatusCode {
    StatusCode::from_u16(s).unwrap()
}

const SECS_2: Option<Duration> = Some(Duration::from_secs(2));

/// One HTTP row: status, headers, body, then kind, retryable, delay source and delay.
type HttpRow = (
    u16,
    &'static [(&'static str, &'static str)],
    &'static str,
    ApiErrorKind,
    bool,
    DelaySource,
    Option<Duration>,
);

/// HTTP rows: (status, headers, body, kind, retryable, delay source, delay).
#[test]
fn http_rows() {
    use ApiErrorKind as K;
    use DelaySource as D;
    let ra = &[("retry-after", "2")][..];
    let none = &[][..];
    #[rustfmt::skip]
    let rows: &[HttpRow] = &[
        // H1 redirect, never followed
        (302, none, "", K::Redirect, false, D::None, None),
        // H2 401: recovery happens in the caller
        (401, none, r#"{"detail":"Unauthorized"}"#, K::Unauthorized, false, D::None, None),
        // H3 usage limit, in type or code, terminal even with Retry-After
        (429, ra, r#"{"error":{"type":"usage_limit_reached","plan_type":"plus","resets_at":1738888888}}"#, K::UsageLimitReached, false, D::None, None),
        (429, ra, r#"{"error":{"type":"invalid_request_error","code":"usage_limit_reached"}}"#, K::UsageLimitReached, false, D::None, None),
        // H4
        (429, ra, r#"{"error":{"type":"usage_not_included"}}"#, K::UsageNotIncluded, false, D::None, None),
        // H5 flex capacity: terminal
        (429, ra, r#"{"error":{"code":"flex_unavailable"}}"#, K::FlexUnavailable, false, D::None, None),
        // H6 credits and spend limits: quota
        (429, none, r#"{"error":{"code":"credit_balance_exhausted"}}"#, K::QuotaExceeded, false, D::None, None),
        (429, none, r#"{"error":{"code":"organization_spend_limit_exceeded"}}"#, K::QuotaExceeded, false, D::None, None),
        (429, none, r#"{"error":{"code":"project_spend_limit_exceeded"}}"#, K::QuotaExceeded, false, D::None, None),
        (429, none, r#"{"error":{"code":"insufficient_quota"}}"#, K::QuotaExceeded, false, D::None, None),
        // H7 a plain 429 is terminal (codex-rs RetryLimit) ...
        (429, none, "{}", K::RateLimited, false, D::None, None),
        (429, none, r#"{"error":{"code":"slow_down"}}"#, K::RateLimited, false, D::None, None),
        // H8 ... unless the server named a delay
        (429, ra, "{}", K::RateLimited, true, D::RetryAfterHeader, SECS_2),
        (429, &[("retry-after-ms", "1500")], "{}", K::RateLimited, true, D::RetryAfterHeader, Some(Duration::from_millis(1500))),
        // H9 cyber_policy on a 400
        (400, none, r#"{"error":{"code":"cyber_policy","message":"m"}}"#, K::CyberPolicy, false, D::None, None),
        // H10 bio_policy
        (400, none, r#"{"error":{"code":"bio_policy"}}"#, K::BioPolicy, false, D::None, None),
        // H11
        (400, none, r#"{"error":{"code":"context_length_exceeded"}}"#, K::ContextWindowExceeded, false, D::None, None),
        // H12
        (400, none, r#"{"error":{"code":"credit_balance_exhausted"}}"#, K::QuotaExceeded, false, D::None, None),
        // H13
        (400, none, r#"{"error":{"message":"The image data you provided does not represent a valid image"}}"#, K::InvalidImage, false, D::None, None),
        // H14
        (400, none, r#"{"detail":"Store must be set to false"}"#, K::InvalidRequest, false, D::None, None),
        (400, none, r#"{"error":{"code":"invalid_prompt"}}"#, K::InvalidRequest, false, D::None, None),
        // H15 cyber_policy counts only on a 400 (codex-rs)
        (403, none, r#"{"error":{"code":"cyber_policy"}}"#, K::Other, false, D::None, None),
        // H16 503 overloaded: a 5xx, retried
        (503, none, r#"{"error":{"code":"server_is_overloaded"}}"#, K::ServerOverloaded, true, D::Backoff, None),
        (503, ra, r#"{"error":{"code":"server_is_overloaded"}}"#, K::ServerOverloaded, true, D::RetryAfterHeader, SECS_2),
        // H17 503 slow_down: a rate limit
        (503, none, r#"{"error":{"code":"slow_down"}}"#, K::RateLimited, true, D::Backoff, None),
        // H18 other 5xx (a 503 without the codes is not "overloaded")
        (503, none, "{}", K::ServerError, true, D::Backoff, None),
        (500, none, "oops", K::ServerError, true, D::Backoff, None),
        (502, ra, "\u{fffd}<html>", K::ServerError, true, D::RetryAfterHeader, SECS_2),
        // H19 other 4xx
        (404, none, "", K::Other, false, D::None, None),
        (403, ra, "", K::Other, false, D::None, None),
    ];
    for (i, (st, hs, body, kind, retryable, delay, after)) in rows.iter().enumerate() {
        let c = Classification::http(status(*st), &h(hs), body.as_bytes());
        let row = format!("row {i}: {st} {body}");
        assert_eq!(&c.kind, kind, "{row}");
        assert_eq!(c.retryable, *retryable, "{row}");
        assert_eq!(c.delay, *delay, "{row}");
        assert_eq!(c.retry_after, *after, "{row}");
        assert_eq!(c.status, Some(status(*st)), "{row}");
    }
}

fn failed(error: &str) -> Classification {
    let raw =
        format!(r#"{{"type":"response.failed","response":{{"id":"resp_1","error":{error}}}}}"#);
    let ev = ResponseEvent::decode(&bytes::Bytes::from(raw.clone())).unwrap();
    let typed = Classification::event(&ev).unwrap();
    // The lenient raw path (used when the typed decode fails) agrees with the typed one.
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        Classification::event_json("response.failed", Some(&v)).unwrap(),
        typed,
        "{raw}"
    );
    typed
}

fn error_event(frame: &str) -> Classification {
    let ev = ResponseEvent::decode(&bytes::Bytes::from(frame.to_owned())).unwrap();
    let typed = Classification::event(&ev).unwrap();
    let v: Value = serde_json::from_str(frame).unwrap();
    assert_eq!(
        Classification::event_json("error", Some(&v)).unwrap(),
        typed,
        "{frame}"
    );
    typed
}

/// Stream-failure rows (`response.failed`, and `error` events without a status, which use
/// the same table): (error object, kind, retryable, delay source, delay).
#[test]
fn stream_failure_rows() {
    use ApiErrorKind as K;
    use DelaySource as D;
    #[rustfmt::skip]
    let rows: &[(&str, ApiErrorKind, bool, DelaySource, Option<Duration>)] = &[
        // S1
        (r#"{"type":"usage_limit_reached","code":"x","plan_type":"pro","resets_at":1738888888,"limit_window_minutes":300}"#, K::UsageLimitReached, false, D::None, None),
        (r#"{"code":"usage_limit_reached"}"#, K::UsageLimitReached, false, D::None, None),
        // S2
        (r#"{"code":"usage_not_included"}"#, K::UsageNotIncluded, false, D::None, None),
        // S3
        (r#"{"code":"context_length_exceeded"}"#, K::ContextWindowExceeded, false, D::None, None),
        // S4
        (r#"{"code":"insufficient_quota"}"#, K::QuotaExceeded, false, D::None, None),
        (r#"{"code":"credit_balance_exhausted"}"#, K::QuotaExceeded, false, D::None, None),
        (r#"{"code":"organization_spend_limit_exceeded"}"#, K::QuotaExceeded, false, D::None, None),
        (r#"{"code":"project_spend_limit_exceeded"}"#, K::QuotaExceeded, false, D::None, None),
        // S5
        (r#"{"code":"cyber_policy","message":""}"#, K::CyberPolicy, false, D::None, None),
        // S6 bio_policy is its own kind
        (r#"{"code":"bio_policy"}"#, K::BioPolicy, false, D::None, None),
        // S7
        (r#"{"code":"invalid_prompt"}"#, K::InvalidRequest, false, D::None, None),
        (r#"{"code":"image_too_large"}"#, K::InvalidRequest, false, D::None, None),
        // S8
        (r#"{"code":"flex_unavailable"}"#, K::FlexUnavailable, false, D::None, None),
        // S9 overloaded in a stream: codex-rs does not retry the turn
        (r#"{"code":"server_is_overloaded"}"#, K::ServerOverloaded, false, D::None, None),
        // S10 rate limits, slow_down included, with the message's delay or the backoff
        (r#"{"code":"rate_limit_exceeded","message":"Please try again in 2s."}"#, K::RateLimited, true, D::Message, SECS_2),
        (r#"{"code":"slow_down","message":"try again in 2s"}"#, K::RateLimited, true, D::Message, SECS_2),
        (r#"{"code":"slow_down"}"#, K::RateLimited, true, D::Backoff, None),
        // S11 anything else, or no code: retryable with the backoff
        (r#"{"code":"weird","message":"m"}"#, K::StreamFailure, true, D::Backoff, None),
        ("{}", K::StreamFailure, true, D::Backoff, None),
        ("null", K::StreamFailure, true, D::Backoff, None),
    ];
    for (i, (error, kind, retryable, delay, after)) in rows.iter().enumerate() {
        let row = format!("row {i}: {error}");
        for c in [
            failed(error),
            error_event(&format!(r#"{{"type":"error","error":{error}}}"#)),
        ] {
            assert_eq!(&c.kind, kind, "{row}");
            assert_eq!(c.retryable, *retryable, "{row}");
            assert_eq!(c.delay, *delay, "{row}");
            assert_eq!(c.retry_after, *after, "{row}");
            assert_eq!(c.status, None, "{row}");
        }
    }
    let c = failed(
        r#"{"type":"usage_limit_reached","plan_type":"pro","resets_at":1738888888,"limit_window_minutes":300}"#,
    );
    assert_eq!(c.plan_type, Some(PlanType::Pro));
    assert_eq!(c.resets_at, Some(1_738_888_888));
    assert_eq!(c.limit_window_minutes, Some(300));
    assert_eq!(c.response_id.as_deref(), Some("resp_1"));
    assert_eq!(
        failed(r#"{"code":"flex_unavailable"}"#).message.as_deref(),
        Some("Flex capacity unavailable.")
    );
    assert_eq!(
        failed(r#"{"code":"cyber_policy","message":""}"#)
            .message
            .as_deref(),
        Some("This request has been flagged for possible cybersecurity risk.")
    );
}

/// Wrapped WebSocket error frames: with a status, the HTTP rows apply with the frame's own
/// `headers` (so a Retry-After inside a streamed error is honoured); `status_code` is the
/// same field.
#[test]
fn wrapped_error_frames() {
    use ApiErrorKind as K;
    let c = error_event(
        r#"{"type":"error","status":429,"error":{"type":"usage_limit_reached","message":"limit","plan_type":"pro","resets_at":1738888888,"limit_window_minutes":10080},"headers":{"x-codex-primary-used-percent":"100.0","x-codex-primary-window-minutes":15,"retry-after":"5"}}"#,
    );
    assert_eq!(c.kind, K::UsageLimitReached);
    assert!(!c.retryable);
    assert_eq!(c.status, Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(c.plan_type, Some(PlanType::Pro));
    assert_eq!(c.limit_window_minutes, Some(10080));
    assert_eq!(c.message.as_deref(), Some("limit"));
    // The frame's `x-codex-*` headers, read by the success path's parser.
    let primary = c.rate_limits.as_ref().unwrap().primary.as_ref().unwrap();
    assert_eq!(
        (primary.used_percent, primary.window_minutes),
        (100.0, Some(15))
    );

    let c = error_event(
        r#"{"type":"error","status_code":429,"error":{"code":"rate_limit_exceeded"},"headers":{"retry-after":2}}"#,
    );
    assert_eq!(c.rate_limits, None);
    assert_eq!(
        (c.kind, c.retryable, c.delay),
        (K::RateLimited, true, DelaySource::RetryAfterHeader)
    );
    assert_eq!(c.retry_after, SECS_2);

    let c = error_event(r#"{"type":"error","status":429,"error":{"code":"rate_limit_exceeded"}}"#);
    assert_eq!((c.kind, c.retryable), (K::RateLimited, false));

    let c = error_event(r#"{"type":"error","status":429,"error":{"code":"flex_unavailable"}}"#);
    assert_eq!((c.kind, c.retryable), (K::FlexUnavailable, false));

    let c = error_event(
        r#"{"type":"error","status":503,"error":{"code":"slow_down"},"headers":{"retry-after-ms":"2000"}}"#,
    );
    assert_eq!(
        (c.kind, c.retryable, c.retry_after),
        (K::RateLimited, true, SECS_2)
    );

    let c = error_event(r#"{"type":"error","status":400,"error":{"code":"cyber_policy"}}"#);
    assert_eq!(c.kind, K::CyberPolicy);

    // No status: a stream failure, whose Retry-After header still wins over the backoff.
    let c = error_event(
        r#"{"type":"error","error":{"code":"slow_down","message":"try again in 9s"},"headers":{"retry-after":"2"}}"#,
    );
    assert_eq!(
        (c.kind, c.delay, c.retry_after),
        (K::RateLimited, DelaySource::RetryAfterHeader, SECS_2)
    );
    let c = error_event(
        r#"{"type":"error","error":{"code":"slow_down"},"headers":{"x-codex-primary-used-percent":"97.5"}}"#,
    );
    assert_eq!(c.rate_limits.unwrap().primary.unwrap().used_percent, 97.5);

    // Top-level fields of a bare error event.
    let c =
        error_event(r#"{"type":"error","code":"context_length_exceeded","message":"too long"}"#);
    assert_eq!(c.kind, K::ContextWindowExceeded);
    assert_eq!(c.message.as_deref(), Some("too long"));
}

#[test]
fn incomplete_rows() {
    let inc = |raw: &str| {
        let ev = ResponseEvent::decode(&bytes::Bytes::from(raw.to_owned())).unwrap();
        let typed = Classification::event(&ev).unwrap();
        let v: Value = serde_json::from_str(raw).unwrap();
        assert_eq!(
            Classification::event_json("response.incomplete", Some(&v)).unwrap(),
            typed
        );
        typed
    };
    // I1 content_filter is its own kind
    let c = inc(
        r#"{"type":"response.incomplete","response":{"id":"r","incomplete_details":{"reason":"content_filter"}}}"#,
    );
    assert_eq!((c.kind, c.retryable), (ApiErrorKind::ContentFilter, false));
    assert_eq!(c.reason.as_deref(), Some("content_filter"));
    // I2 any other reason
    let c = inc(
        r#"{"type":"response.incomplete","response":{"id":"r","incomplete_details":{"reason":"max_output_tokens"}}}"#,
    );
    assert_eq!((c.kind, c.retryable), (ApiErrorKind::Incomplete, false));
    let c = inc(r#"{"type":"response.incomplete","response":{}}"#);
    assert_eq!(c.reason.as_deref(), Some("unknown"));
}

#[test]
fn undecodable_terminal_events_are_still_classified() {
    let v: Value =
        serde_json::from_str(r#"{"type":"response.failed","response":{"id":5,"error":{"code":"bio_policy","message":7}}}"#)
            .unwrap();
    let c = Classification::event_json("response.failed", Some(&v)).unwrap();
    assert_eq!(c.kind, ApiErrorKind::BioPolicy);
    assert_eq!(c.response_id.as_deref(), Some("5"));
    assert_eq!(
        Classification::event_json("response.failed", None)
            .unwrap()
            .kind,
        ApiErrorKind::StreamFailure
    );
    assert!(Classification::event_json("response.output_text.delta", None).is_none());
}

#[test]
fn absurd_retry_after_values_never_panic() {
    for v in ["1e20", "100000000000000000000000", "1e308"] {
        assert_eq!(
            retry_after(&h(&[("retry-after", v)])),
            Some(Duration::MAX),
            "{v}"
        );
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
        SECS_2
    );
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
    // The obsolete forms a recipient must accept (RFC 9110 §5.6.7).
    for obsolete in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
        assert_eq!(
            http_date(obsolete),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777)),
            "{obsolete}"
        );
    }
    for bad in [
        // The weekday must match the date.
        "Mon, 06 Nov 1994 08:49:37 GMT",
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
    let d = retry_after(&h(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")])).unwrap();
    assert!(d > Duration::from_secs(86_400 * 365 * 7_000));
}

#[test]
fn headers_from_json_keeps_strings_and_numbers() {
    let v: Value = serde_json::from_str(r#"{"a":"x","b":15,"c":{},"bad name":"y"}"#).unwrap();
    let m = headers_from_json(v.as_object().unwrap());
    assert_eq!(m.get("a").unwrap(), "x");
    assert_eq!(m.get("b").unwrap(), "15");
    assert_eq!(m.len(), 2);
}
