//! The one error type of this crate.

use std::time::Duration;
use std::time::SystemTime;

use codex_types::RateLimitSnapshot;
use http::StatusCode;

/// What went wrong, in a form a caller can branch on. [`ErrorKind::as_str`] gives a stable
/// snake_case name (printed by the CLI as `{"error":{"kind":...}}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An HTTP status the other kinds do not cover (see [`Error::status`], [`Error::body`],
    /// [`Error::request_id`]); also a redirect, which is never followed.
    Http,
    /// The plan's usage limit is reached (429 `usage_limit_reached`); see [`Error::plan_type`]
    /// and [`Error::resets_at`]. Never retried.
    UsageLimitReached,
    /// The plan does not include Codex (`usage_not_included`). Never retried.
    UsageNotIncluded,
    /// Quota or billing limit exhausted (`insufficient_quota`).
    QuotaExceeded,
    /// The conversation no longer fits the model's context window (`context_length_exceeded`).
    ContextWindowExceeded,
    /// The server rejected the request (400, `invalid_prompt`, …).
    InvalidRequest,
    /// The request was flagged by the cyber-security policy (`cyber_policy`).
    CyberPolicy,
    /// The request was flagged by the biology safety policy (`bio_policy`). Never retried.
    BioPolicy,
    /// No capacity for the flex service tier (`flex_unavailable`). Never retried: send again
    /// without `service_tier: flex`, or later.
    FlexUnavailable,
    /// The server is overloaded (503 or a stream failure with `server_is_overloaded`).
    ServerOverloaded,
    /// Rate limited (429, a 503 `slow_down`, or a stream failure with `rate_limit_exceeded`
    /// or `slow_down`); see [`Error::retry_after`].
    RateLimited,
    /// The credentials were rejected and could not be refreshed: the user must log in again.
    LoginRequired,
    /// The token provider failed for another reason (storage, network to the issuer).
    Auth,
    /// The stream ended before `response.completed`.
    StreamClosed,
    /// The server sent `response.incomplete`; see [`Error::reason`].
    Incomplete,
    /// The server stopped the response with its content filter (`response.incomplete` with
    /// reason `content_filter`). Never retried.
    ContentFilter,
    /// The server sent an `error` event, or `response.failed` with a code not covered by
    /// another kind; see [`Error::code`].
    ApiError,
    /// No bytes arrived for the configured stream idle timeout.
    IdleTimeout,
    /// The total deadline of the request passed.
    Timeout,
    /// One event or body could not be decoded; see [`Error::event_type`] and
    /// [`Error::byte_offset`]. For a stream event this error is an item: the stream continues.
    Decode,
    /// Connecting, sending or receiving failed (DNS, TCP, proxy, connection reset).
    Transport,
    /// The TLS handshake failed (untrusted certificate, protocol error).
    Tls,
    /// The request was stopped through an [`crate::AbortHandle`] or [`crate::Client::abort_all`].
    Aborted,
    /// Invalid configuration (URL, header, certificate) or an invalid request argument.
    Config,
}

impl ErrorKind {
    /// A stable snake_case name for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::UsageLimitReached => "usage_limit_reached",
            Self::UsageNotIncluded => "usage_not_included",
            Self::QuotaExceeded => "quota_exceeded",
            Self::ContextWindowExceeded => "context_window_exceeded",
            Self::InvalidRequest => "invalid_request",
            Self::CyberPolicy => "cyber_policy",
            Self::BioPolicy => "bio_policy",
            Self::FlexUnavailable => "flex_unavailable",
            Self::ContentFilter => "content_filter",
            Self::ServerOverloaded => "server_overloaded",
            Self::RateLimited => "rate_limited",
            Self::LoginRequired => "login_required",
            Self::Auth => "auth",
            Self::StreamClosed => "stream_closed",
            Self::Incomplete => "incomplete",
            Self::ApiError => "api_error",
            Self::IdleTimeout => "idle_timeout",
            Self::Timeout => "timeout",
            Self::Decode => "decode",
            Self::Transport => "transport",
            Self::Tls => "tls",
            Self::Aborted => "aborted",
            Self::Config => "config",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message of a stream that ended before `response.completed` (the body or the
/// WebSocket ended): the same text over every transport.
pub(crate) const STREAM_CLOSED: &str = "stream closed before response.completed";
/// The message of a stream whose connection failed before `response.completed`.
pub(crate) const CONNECTION_LOST: &str = "connection lost before response.completed";

#[derive(Default)]
pub(crate) struct Details {
    pub(crate) status: Option<StatusCode>,
    pub(crate) request_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Option<String>,
    pub(crate) plan_type: Option<String>,
    pub(crate) resets_at: Option<SystemTime>,
    pub(crate) limit_window: Option<Duration>,
    pub(crate) code: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) event_type: Option<String>,
    pub(crate) byte_offset: Option<u64>,
    pub(crate) partial_text: Option<String>,
    pub(crate) event_json: Option<String>,
    pub(crate) rate_limits: Option<RateLimitSnapshot>,
    pub(crate) retryable: bool,
    pub(crate) connect: bool,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    details: Details,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The error type of `codex-client`: opaque, with a [`kind`](Error::kind) to branch on and
/// accessors for the details that kind carries. Display is one lowercase clause; it never
/// contains a token or a request body.
pub struct Error(Box<Inner>);

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: message.into(),
            details: Details::default(),
            source: None,
        }))
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.0.source = Some(source.into());
        self
    }

    pub(crate) fn details_mut(&mut self) -> &mut Details {
        &mut self.0.details
    }

    pub(crate) fn with(mut self, f: impl FnOnce(&mut Details)) -> Self {
        f(&mut self.0.details);
        self
    }

    /// A stream that ended before `response.completed`, retryable: `message` is
    /// [`STREAM_CLOSED`] (the body or the socket ended) or [`CONNECTION_LOST`] (it failed),
    /// the same text over every transport; the transport's detail goes in `source()`.
    pub(crate) fn stream_end(message: &'static str) -> Self {
        Self::new(ErrorKind::StreamClosed, message).with(|d| d.retryable = true)
    }

    /// True for an error that ended a stream (it then carries the partial text).
    pub(crate) fn ended_stream(&self) -> bool {
        self.0.details.partial_text.is_some()
    }

    pub(crate) fn is_connect(&self) -> bool {
        self.0.details.connect
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status, when the error comes from an HTTP response (or an `error` event that
    /// carries one).
    pub fn status(&self) -> Option<StatusCode> {
        self.0.details.status
    }

    /// The server's request id (`x-request-id`, `x-oai-request-id` or `cf-ray`), for support.
    pub fn request_id(&self) -> Option<&str> {
        self.0.details.request_id.as_deref()
    }

    /// How long the server asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.details.retry_after
    }

    /// True when sending the same request again later may succeed (network failures, 5xx,
    /// rate limits with a delay, retryable stream failures, idle timeouts, streams closed
    /// early), as decided by the one classifier (docs/client.md, "Decision table").
    /// Usage-limit, quota, flex, policy, content-filter, context-window, invalid-request and
    /// login errors are never retryable.
    pub fn is_retryable(&self) -> bool {
        self.0.details.retryable
    }

    /// The response body of an HTTP error (truncated to 64 KiB, lossily decoded as UTF-8).
    pub fn body(&self) -> Option<&str> {
        self.0.details.body.as_deref()
    }

    /// The plan type reported with a usage-limit error (`plus`, `pro`, …).
    pub fn plan_type(&self) -> Option<&str> {
        self.0.details.plan_type.as_deref()
    }

    /// When the usage limit resets.
    pub fn resets_at(&self) -> Option<SystemTime> {
        self.0.details.resets_at
    }

    /// The length of the usage-limit window that tripped (`limit_window_minutes` of a
    /// usage-limit error), when the server said.
    pub fn limit_window(&self) -> Option<Duration> {
        self.0.details.limit_window
    }

    /// The server's error code (`rate_limit_exceeded`, `server_is_overloaded`, …) when known.
    pub fn code(&self) -> Option<&str> {
        self.0.details.code.as_deref()
    }

    /// The reason of a `response.incomplete` (`max_output_tokens`, `content_filter`, …).
    pub fn reason(&self) -> Option<&str> {
        self.0.details.reason.as_deref()
    }

    /// For a decode error: the event `type` (or SSE event name) that failed to decode.
    pub fn event_type(&self) -> Option<&str> {
        self.0.details.event_type.as_deref()
    }

    /// For a decode error: the byte offset of the event in the response body.
    pub fn byte_offset(&self) -> Option<u64> {
        self.0.details.byte_offset
    }

    /// For an error that ended a stream: the output text received before it (possibly empty).
    /// What the server sent is never lost. `None` for an error the stream goes on after (an
    /// event that failed to decode), so `Some` also tells that the stream has ended.
    pub fn partial_text(&self) -> Option<&str> {
        self.0.details.partial_text.as_deref()
    }

    /// For an error raised by a terminal event (`response.failed`, `response.incomplete`, an
    /// `error` event): that event's exact wire JSON, as the server sent it.
    pub fn event_json(&self) -> Option<&str> {
        self.0.details.event_json.as_deref()
    }

    /// The rate-limit snapshot (`x-codex-*` headers, the same parse as
    /// [`crate::ResponseStream::rate_limits`] on success) of an HTTP error answer or of a
    /// wrapped WebSocket error frame's `headers`, when they carry one: e.g. the primary
    /// window at 100 % with a usage-limit error.
    pub fn rate_limits(&self) -> Option<&RateLimitSnapshot> {
        self.0.details.rate_limits.as_ref()
    }

    /// Takes the partial text out of the error.
    pub fn take_partial_text(&mut self) -> Option<String> {
        self.0.details.partial_text.take()
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.0.details;
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.0.kind);
        s.field("message", &self.0.message);
        if let Some(v) = d.status {
            s.field("status", &v);
        }
        if let Some(v) = &d.request_id {
            s.field("request_id", v);
        }
        if let Some(v) = &d.code {
            s.field("code", v);
        }
        if let Some(v) = d.retry_after {
            s.field("retry_after", &v);
        }
        if let Some(v) = &d.event_type {
            s.field("event_type", v);
        }
        if let Some(v) = d.byte_offset {
            s.field("byte_offset", &v);
        }
        if let Some(v) = &d.partial_text {
            s.field("partial_text_len", &v.len());
        }
        if let Some(v) = &self.0.source {
            s.field("source", v);
        }
        s.finish()
    }
}

// `Display` and `source()` read like codex-auth's `Error` on purpose: each public crate's
// opaque error implements the std traits for its own type; a macro exported from a lower crate
// for two short impls would be public API with no other use.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_snake_case_and_unique() {
        let kinds = [
            ErrorKind::Http,
            ErrorKind::UsageLimitReached,
            ErrorKind::UsageNotIncluded,
            ErrorKind::QuotaExceeded,
            ErrorKind::ContextWindowExceeded,
            ErrorKind::InvalidRequest,
            ErrorKind::CyberPolicy,
            ErrorKind::BioPolicy,
            ErrorKind::FlexUnavailable,
            ErrorKind::ContentFilter,
            ErrorKind::ServerOverloaded,
            ErrorKind::RateLimited,
            ErrorKind::LoginRequired,
            ErrorKind::Auth,
            ErrorKind::StreamClosed,
            ErrorKind::Incomplete,
            ErrorKind::ApiError,
            ErrorKind::IdleTimeout,
            ErrorKind::Timeout,
            ErrorKind::Decode,
            ErrorKind::Transport,
            ErrorKind::Tls,
            ErrorKind::Aborted,
            ErrorKind::Config,
        ];
        let mut names: Vec<_> = kinds.iter().map(|k| k.as_str()).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds.len());
    }

    #[test]
    fn accessors_and_display() {
        let e = Error::new(ErrorKind::RateLimited, "rate limited").with(|d| {
            d.retry_after = Some(Duration::from_millis(1500));
            d.retryable = true;
            d.status = Some(StatusCode::TOO_MANY_REQUESTS);
        });
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
        assert!(e.is_retryable());
        assert_eq!(e.to_string(), "rate limited");
        assert_eq!(e.status(), Some(StatusCode::TOO_MANY_REQUESTS));
        assert!(format!("{e:?}").contains("RateLimited"));
    }
}
