//! What the stream does with each typed event, and failure events → [`Error`] (protocol §5.5).

use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_types::FailureCode;
use codex_types::ResponseEvent;
use codex_types::ResponseFailure;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::stream::TextResponse;

/// How the stream treats an event.
pub(crate) enum Class<'a> {
    /// Output text to accumulate.
    TextDelta(&'a str),
    /// `response.completed`: yield, then end.
    Completed,
    /// A terminal failure, as the error to yield.
    Failure(Error),
    /// `response.metadata`: refines the served model and turn state.
    Metadata {
        served_model: Option<String>,
        turn_state: Option<String>,
    },
    /// Anything else: yield as is.
    Other,
}

pub(crate) fn classify(event: &ResponseEvent) -> Class<'_> {
    match classify_kind(event) {
        // Keep the exact wire JSON of the event that ended the stream: callers that mirror the
        // wire (the CLI's `--json` mode) must not lose what the server sent.
        Class::Failure(e) => {
            Class::Failure(e.with(|d| d.event_json = Some(event.raw_json().to_owned())))
        }
        other => other,
    }
}

fn classify_kind(event: &ResponseEvent) -> Class<'_> {
    match event {
        ResponseEvent::OutputTextDelta(d) => Class::TextDelta(d.delta.as_str()),
        ResponseEvent::Completed(_) => Class::Completed,
        ResponseEvent::Failed(f) => {
            let mut failure = f.failure.clone();
            if failure.response_id.is_none() {
                failure.response_id = f
                    .response
                    .as_ref()
                    .and_then(|r| r.id.as_ref())
                    .map(|s| s.as_str().to_owned());
            }
            Class::Failure(failure_error(&failure, "response.failed", None))
        }
        ResponseEvent::Incomplete(i) => {
            let reason = i.reason_or_unknown().to_owned();
            Class::Failure(
                Error::new(
                    ErrorKind::Incomplete,
                    format!("incomplete response returned, reason: {reason}"),
                )
                .with(|d| d.reason = Some(reason)),
            )
        }
        ResponseEvent::Error(e) => {
            let failure = e.failure();
            let status = e.status.and_then(|s| http::StatusCode::from_u16(s).ok());
            Class::Failure(failure_error(&failure, "error event", status))
        }
        ResponseEvent::Metadata(m) => Class::Metadata {
            served_model: m.server_model().map(str::to_owned),
            turn_state: m.turn_state().map(str::to_owned),
        },
        _ => Class::Other,
    }
}

fn epoch(secs: i64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Epoch seconds read leniently: an integer, a float or a string holding either; `None`
/// when out of the `i64` range or of another type.
fn epoch_seconds_of(v: &serde_json::Value) -> Option<i64> {
    let f = match v {
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Some(i);
            }
            n.as_f64()?
        }
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0)
        .contains(&f)
        .then(|| f.trunc() as i64)
}

/// The error for a terminal event (`response.failed`, `response.incomplete`, `error`) whose
/// typed decode failed: code, message and reason are read leniently from the raw JSON (`None`
/// when the data is not JSON at all), so the failure is reported instead of being lost.
pub(crate) fn terminal_from_raw(kind: &str, raw: Option<&serde_json::Value>) -> Option<Error> {
    use serde_json::Value;
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let get = |path: &[&str]| -> Option<&Value> {
        let mut cur = raw?;
        for p in path {
            cur = cur.get(p)?;
        }
        Some(cur)
    };
    let lenient_failure = |err: Option<&Value>, top: Option<&Value>| {
        let field = |name: &str| {
            text(err.and_then(|e| e.get(name))).or_else(|| text(top.and_then(|t| t.get(name))))
        };
        let mut f = ResponseFailure::new(field("code"), field("message"));
        f.error_type = text(err.and_then(|e| e.get("type")));
        f.resets_at = err
            .and_then(|e| e.get("resets_at"))
            .and_then(epoch_seconds_of);
        f
    };
    match kind {
        "response.failed" => {
            let mut f = lenient_failure(get(&["response", "error"]), None);
            f.response_id = text(get(&["response", "id"]));
            Some(failure_error(&f, "response.failed", None))
        }
        "error" => {
            let f = lenient_failure(get(&["error"]), raw);
            let status = get(&["status"])
                .or_else(|| get(&["status_code"]))
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .and_then(|s| http::StatusCode::from_u16(s).ok());
            Some(failure_error(&f, "error event", status))
        }
        "response.incomplete" => {
            let reason = text(get(&["response", "incomplete_details", "reason"]))
                .unwrap_or_else(|| "unknown".to_owned());
            Some(
                Error::new(
                    ErrorKind::Incomplete,
                    format!("incomplete response returned, reason: {reason}"),
                )
                .with(|d| d.reason = Some(reason)),
            )
        }
        _ => None,
    }
}

/// Maps a failure (`response.failed`, or an `error` event) to an error.
pub(crate) fn failure_error(
    f: &ResponseFailure,
    source: &str,
    status: Option<http::StatusCode>,
) -> Error {
    let msg = f.display_message();
    let usage_limit = f.error_type.as_deref() == Some("usage_limit_reached")
        || f.raw_code.as_deref() == Some("usage_limit_reached");
    let (kind, base, retryable) = if usage_limit {
        (ErrorKind::UsageLimitReached, "usage limit reached", false)
    } else {
        match &f.code {
            FailureCode::ContextLengthExceeded => (
                ErrorKind::ContextWindowExceeded,
                "context window exceeded",
                false,
            ),
            FailureCode::InsufficientQuota => (ErrorKind::QuotaExceeded, "quota exceeded", false),
            FailureCode::UsageNotIncluded => (
                ErrorKind::UsageNotIncluded,
                "usage not included in the plan",
                false,
            ),
            FailureCode::CyberPolicy => (
                ErrorKind::CyberPolicy,
                "request flagged by the cyber-security policy",
                false,
            ),
            FailureCode::InvalidPrompt => (ErrorKind::InvalidRequest, "invalid request", false),
            FailureCode::ServerOverloaded => {
                (ErrorKind::ServerOverloaded, "server overloaded", true)
            }
            FailureCode::RateLimitExceeded => (ErrorKind::RateLimited, "rate limited", true),
            _ if f.error_type.as_deref() == Some("usage_not_included") => (
                ErrorKind::UsageNotIncluded,
                "usage not included in the plan",
                false,
            ),
            _ => (ErrorKind::ApiError, source, true),
        }
    };
    let code = f.raw_code.clone().or_else(|| f.error_type.clone());
    Error::new(kind, format!("{base}: {msg}")).with(|d| {
        d.code = code;
        d.retry_after = f.retry_after;
        d.retryable = retryable;
        d.plan_type = f.plan_type.as_ref().map(|p| p.as_str().to_owned());
        d.resets_at = f.resets_at.and_then(epoch);
        d.status = status;
    })
}

/// Folds one event into a [`TextResponse`] being collected.
pub(crate) fn collect(event: &ResponseEvent, out: &mut TextResponse) {
    match event {
        ResponseEvent::OutputItemDone(i) => out.items.push(i.item.clone()),
        ResponseEvent::Created(c) | ResponseEvent::InProgress(c) if out.response_id.is_none() => {
            out.response_id = c
                .response
                .as_ref()
                .and_then(|r| r.id.as_ref())
                .map(|s| s.as_str().to_owned());
        }
        ResponseEvent::Completed(c) => {
            out.usage = c.usage().cloned();
            let id = c.response_id();
            if !id.is_empty() {
                out.response_id = Some(id.to_owned());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_mapping() {
        let f = ResponseFailure::new(
            Some("rate_limit_exceeded".into()),
            Some("Rate limit reached. Please try again in 11.054s.".into()),
        );
        let e = failure_error(&f, "response.failed", None);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs_f64(11.054)));
        let f = ResponseFailure::new(Some("context_length_exceeded".into()), None);
        assert_eq!(
            failure_error(&f, "response.failed", None).kind(),
            ErrorKind::ContextWindowExceeded
        );
        let f = ResponseFailure::new(Some("insufficient_quota".into()), None);
        assert_eq!(
            failure_error(&f, "x", None).kind(),
            ErrorKind::QuotaExceeded
        );
        let f = ResponseFailure::new(Some("weird".into()), None);
        let e = failure_error(&f, "response.failed", None);
        assert_eq!(e.kind(), ErrorKind::ApiError);
        assert_eq!(e.code(), Some("weird"));
        assert!(e.is_retryable());
        let f = ResponseFailure::new(Some("usage_limit_reached".into()), None);
        assert_eq!(
            failure_error(&f, "x", None).kind(),
            ErrorKind::UsageLimitReached
        );
    }
}
