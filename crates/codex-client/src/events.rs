//! What the stream does with each typed event, and failure events → [`Error`] (protocol §5.5).

use codex_types::Classification;
use codex_types::ResponseEvent;

use crate::error::Error;
use crate::status;

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
    if let Some(c) = Classification::event(event) {
        return Class::Failure(status::from_classification(c));
    }
    match event {
        ResponseEvent::OutputTextDelta(d) => Class::TextDelta(d.delta.as_str()),
        ResponseEvent::Completed(_) => Class::Completed,
        ResponseEvent::Metadata(m) => Class::Metadata {
            served_model: m.server_model().map(str::to_owned),
            turn_state: m.turn_state().map(str::to_owned),
        },
        _ => Class::Other,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::ErrorKind;

    fn failure(raw: &str) -> Error {
        let ev = ResponseEvent::decode(&bytes::Bytes::from(raw.to_owned())).unwrap();
        match classify(&ev) {
            Class::Failure(e) => e,
            _ => panic!("not a failure: {raw}"),
        }
    }

    #[test]
    fn failure_mapping() {
        let e = failure(
            r#"{"type":"response.failed","response":{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 11.054s."}}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs_f64(11.054)));
        assert!(e.event_json().is_some_and(|j| j.contains("11.054s")));
        let e = failure(r#"{"type":"response.failed","response":{"error":{"code":"weird"}}}"#);
        assert_eq!(e.kind(), ErrorKind::ApiError);
        assert_eq!(e.code(), Some("weird"));
        assert!(e.is_retryable());
        let e = failure(
            r#"{"type":"response.failed","response":{"error":{"code":"server_is_overloaded"}}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::ServerOverloaded);
        assert!(
            !e.is_retryable(),
            "codex-rs does not retry an overloaded turn"
        );
        let e = failure(
            r#"{"type":"error","status":429,"error":{"type":"usage_limit_reached","limit_window_minutes":300,"resets_at":1738888888}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::UsageLimitReached);
        assert_eq!(e.limit_window(), Some(Duration::from_secs(300 * 60)));
        assert_eq!(e.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
        let e = failure(
            r#"{"type":"response.incomplete","response":{"incomplete_details":{"reason":"content_filter"}}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::ContentFilter);
        assert_eq!(e.reason(), Some("content_filter"));
    }
}
