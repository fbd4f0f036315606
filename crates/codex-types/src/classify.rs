//! One classifier for what the server means: HTTP error answers (status, headers, body),
//! wrapped WebSocket error frames, and the terminal stream events (`response.failed`,
//! `response.incomplete`, `error`). Pure functions over plain values; `codex-client` maps the
//! result to its error once. docs/client.md holds the decision table these functions
//! implement, row by row; overlapping cases follow codex-rs (`codex-api/src/api_bridge.rs`
//! for HTTP, `codex-api/src/sse/responses.rs` for stream failures).

use std::time::Duration;
use std::time::SystemTime;

use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;
use http::StatusCode;
use serde_json::Map;
use serde_json::Value;

use crate::ApiErrorBody;
use crate::ApiErrorKind;
use crate::FailureCode;
use crate::RateLimitSnapshot;
use crate::ResponseEvent;
use crate::ResponseFailure;
use crate::api_error::ErrorObj;
use crate::usage::PlanType;

/// Where the delay before a retry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DelaySource {
    /// Not retryable: no delay.
    None,
    /// The client's own backoff (`base × 2^(n-1)` with jitter).
    Backoff,
    /// `retry-after-ms` or `Retry-After` (seconds or an HTTP date), from the response
    /// headers or the `headers` of a wrapped error frame.
    RetryAfterHeader,
    /// "try again in 11.054s" in the error message (`rate_limit_exceeded`, `slow_down`).
    Message,
}

/// What an error answer or terminal event means: its kind, whether sending the request
/// again may succeed, and how long to wait first.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Classification {
    /// What the server means.
    pub kind: ApiErrorKind,
    /// True when sending the same request again may succeed.
    pub retryable: bool,
    /// The delay the server asked for, when it named one.
    pub retry_after: Option<Duration>,
    /// Where the delay before a retry comes from.
    pub delay: DelaySource,
    /// The HTTP status (of the answer, or of a wrapped error frame).
    pub status: Option<StatusCode>,
    /// `error.code`, else `error.type`, as sent.
    pub code: Option<String>,
    /// `error.type`, as sent.
    pub error_type: Option<String>,
    /// The server's message (`error.message`, else `detail`), when not empty.
    pub message: Option<String>,
    /// Plan type of a usage-limit error.
    pub plan_type: Option<PlanType>,
    /// When the usage limit resets, epoch seconds.
    pub resets_at: Option<i64>,
    /// Older form of [`resets_at`](Self::resets_at): seconds from now.
    pub resets_in: Option<Duration>,
    /// The length of the usage-limit window that tripped (`limit_window_minutes`).
    pub limit_window_minutes: Option<u64>,
    /// The reason of a `response.incomplete` (`unknown` when the server gave none).
    pub reason: Option<String>,
    /// The id of the failed response, when sent.
    pub response_id: Option<String>,
    /// The HTTP body text (lossy UTF-8), for HTTP answers.
    pub body: Option<String>,
    /// The rate-limit snapshot of the `x-codex-*` headers of the answer or of a wrapped
    /// error frame's `headers` ([`RateLimitSnapshot::from_headers`], the parser of the success
    /// path), when they carry one.
    pub rate_limits: Option<RateLimitSnapshot>,
}

impl Classification {
    fn new(kind: ApiErrorKind) -> Self {
        Self {
            kind,
            retryable: false,
            retry_after: None,
            delay: DelaySource::None,
            status: None,
            code: None,
            error_type: None,
            message: None,
            plan_type: None,
            resets_at: None,
            resets_in: None,
            limit_window_minutes: None,
            reason: None,
            response_id: None,
            body: None,
            rate_limits: None,
        }
    }

    /// Sets `retryable` and the delay: the server's header delay when present, else
    /// `message_delay`, else the backoff.
    fn retry(mut self, header_delay: Option<Duration>, message_delay: Option<Duration>) -> Self {
        self.retryable = true;
        (self.retry_after, self.delay) = match (header_delay, message_delay) {
            (Some(d), _) => (Some(d), DelaySource::RetryAfterHeader),
            (None, Some(d)) => (Some(d), DelaySource::Message),
            (None, None) => (None, DelaySource::Backoff),
        };
        self
    }

    /// Classifies a non-success HTTP answer.
    pub fn http(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        Self::from_body(ApiErrorBody::parse(status, body), headers)
    }

    /// Classifies a parsed error body with the headers it came with.
    pub fn from_body(b: ApiErrorBody, headers: &HeaderMap) -> Self {
        let header_delay = retry_after(headers);
        let status = b.status;
        let mut c = Self::new(b.kind.clone());
        c = match &b.kind {
            // A plain 429 is terminal (codex-rs `RetryLimit`) unless the server named a delay.
            ApiErrorKind::RateLimited if status == StatusCode::TOO_MANY_REQUESTS => {
                if header_delay.is_some() {
                    c.retry(header_delay, None)
                } else {
                    c
                }
            }
            ApiErrorKind::RateLimited
            | ApiErrorKind::ServerOverloaded
            | ApiErrorKind::ServerError => c.retry(header_delay, None),
            _ => c,
        };
        c.message = Some(b.display_message().to_owned()).filter(|m| !m.trim().is_empty());
        c.status = Some(status);
        c.code = b.code.or_else(|| b.error_type.clone());
        c.error_type = b.error_type;
        c.plan_type = b.plan_type;
        c.resets_at = b.resets_at;
        c.resets_in = b.resets_in;
        c.limit_window_minutes = b.limit_window_minutes;
        c.body = Some(b.raw);
        c.rate_limits = RateLimitSnapshot::from_headers(headers);
        c
    }

    /// Classifies a stream failure (`response.failed`, or an `error` event without an HTTP
    /// status); `headers` are a wrapped frame's headers, when it had any.
    pub fn failure(f: &ResponseFailure, headers: Option<&HeaderMap>) -> Self {
        let header_delay = headers.and_then(retry_after);
        let by_type = |name: &str| f.error_type.as_deref() == Some(name);
        let code = if by_type("usage_limit_reached") {
            FailureCode::UsageLimitReached
        } else if by_type("usage_not_included") {
            FailureCode::UsageNotIncluded
        } else {
            f.code.clone()
        };
        let kind = match &code {
            FailureCode::ContextLengthExceeded => ApiErrorKind::ContextWindowExceeded,
            FailureCode::InsufficientQuota => ApiErrorKind::QuotaExceeded,
            FailureCode::UsageLimitReached => ApiErrorKind::UsageLimitReached,
            FailureCode::UsageNotIncluded => ApiErrorKind::UsageNotIncluded,
            FailureCode::CyberPolicy => ApiErrorKind::CyberPolicy,
            FailureCode::BioPolicy => ApiErrorKind::BioPolicy,
            FailureCode::InvalidPrompt => ApiErrorKind::InvalidRequest,
            FailureCode::FlexUnavailable => ApiErrorKind::FlexUnavailable,
            FailureCode::ServerOverloaded => ApiErrorKind::ServerOverloaded,
            FailureCode::RateLimitExceeded => ApiErrorKind::RateLimited,
            _ => ApiErrorKind::StreamFailure,
        };
        let mut c = Self::new(kind);
        if code.is_retryable() {
            c = c.retry(header_delay, f.retry_after);
        }
        c.code = f.raw_code.clone().or_else(|| f.error_type.clone());
        c.error_type = f.error_type.clone();
        c.message = Some(f.display_message().to_owned());
        c.plan_type = f.plan_type.clone();
        c.resets_at = f.resets_at;
        c.limit_window_minutes = f.limit_window_minutes;
        c.response_id = f.response_id.clone();
        c.rate_limits = headers.and_then(RateLimitSnapshot::from_headers);
        c
    }

    /// Classifies a `response.incomplete` with its reason (`content_filter` is its own kind).
    pub fn incomplete(reason: Option<&str>, response_id: Option<&str>) -> Self {
        let reason = reason.unwrap_or("unknown");
        let mut c = Self::new(if reason == "content_filter" {
            ApiErrorKind::ContentFilter
        } else {
            ApiErrorKind::Incomplete
        });
        c.reason = Some(reason.to_owned());
        c.response_id = response_id.map(str::to_owned);
        c
    }

    /// Classifies a wrapped `error` frame: with an HTTP error status, as that HTTP answer
    /// (body = the frame, headers = its `headers`); without one, as a stream failure.
    fn error_frame(
        status: Option<u16>,
        frame: &Value,
        headers: Option<&Map<String, Value>>,
        failure: impl FnOnce() -> ResponseFailure,
    ) -> Self {
        let headers = headers.map(headers_from_json).unwrap_or_default();
        match status.and_then(|s| StatusCode::from_u16(s).ok()) {
            Some(s) if s.is_client_error() || s.is_server_error() => {
                Self::from_body(ApiErrorBody::from_json(s, frame), &headers)
            }
            _ => Self::failure(&failure(), Some(&headers)),
        }
    }

    /// Classifies a terminal event; `None` for any other event.
    pub fn event(event: &ResponseEvent) -> Option<Self> {
        match event {
            ResponseEvent::Failed(f) => {
                let mut failure = f.failure.clone();
                if failure.response_id.is_none() {
                    failure.response_id = f
                        .response
                        .as_ref()
                        .and_then(|r| r.id.as_deref())
                        .map(str::to_owned);
                }
                Some(Self::failure(&failure, None))
            }
            ResponseEvent::Incomplete(i) => Some(Self::incomplete(
                i.reason.as_deref(),
                i.response.as_ref().and_then(|r| r.id.as_deref()),
            )),
            ResponseEvent::Error(e) => {
                let frame = serde_json::from_str::<Value>(e.raw_json()).unwrap_or(Value::Null);
                Some(Self::error_frame(
                    e.status,
                    &frame,
                    e.headers.as_ref(),
                    || e.failure(),
                ))
            }
            _ => None,
        }
    }

    /// Classifies a terminal event whose typed decode failed, from its raw JSON (`kind` is
    /// its `type`): what can be read is read leniently, so the server's verdict is never
    /// lost. `None` for any other event type.
    pub fn event_json(kind: &str, raw: Option<&Value>) -> Option<Self> {
        let get = |path: &[&str]| -> Option<&Value> {
            let mut cur = raw?;
            for p in path {
                cur = cur.get(p)?;
            }
            Some(cur)
        };
        let text = |v: Option<&Value>| match v? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match kind {
            "response.failed" => {
                let mut f =
                    ResponseFailure::from_obj(ErrorObj::from_value(get(&["response", "error"])));
                f.response_id = text(get(&["response", "id"]));
                Some(Self::failure(&f, None))
            }
            "response.incomplete" => Some(Self::incomplete(
                text(get(&["response", "incomplete_details", "reason"])).as_deref(),
                text(get(&["response", "id"])).as_deref(),
            )),
            "error" => {
                let status = get(&["status"])
                    .or_else(|| get(&["status_code"]))
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok());
                let headers = get(&["headers"]).and_then(Value::as_object);
                let frame = raw.cloned().unwrap_or(Value::Null);
                Some(Self::error_frame(status, &frame, headers, || {
                    let mut e = ErrorObj::from_value(get(&["error"]));
                    let top = ErrorObj::from_value(raw);
                    e.code = e.code.or(top.code);
                    e.message = e.message.or(top.message);
                    ResponseFailure::from_obj(e)
                }))
            }
            _ => None,
        }
    }
}

/// A wrapped frame's `headers` object as a header map (strings and numbers; other values
/// and invalid names are skipped).
pub fn headers_from_json(map: &Map<String, Value>) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (k, v) in map {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&text),
        ) {
            out.append(name, value);
        }
    }
    out
}

/// `retry-after-ms` (milliseconds, fractional allowed) or `retry-after` (seconds, or an
/// HTTP-date: the delay is that date minus now, at least zero).
///
/// Negative, NaN and infinite values are ignored; a finite delay too long for a `Duration`
/// saturates to `Duration::MAX` (longer than any retry policy waits: reported, not retried).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

/// Parses an HTTP date (RFC 9110 §5.6.7: IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`,
/// and the obsolete RFC 850 and asctime forms a recipient must accept) with the `httpdate`
/// crate: this crate keeps no calendar maths of its own (codex-auth's `time` module is the
/// workspace's copy, which codex-types cannot depend on).
fn http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
