//! The one error type of the facade.

use std::time::Duration;

use http::StatusCode;

/// What went wrong, in a form a caller can branch on. [`ErrorKind::as_str`] gives a stable
/// snake_case name (the CLI prints it as `{"error":{"kind":...}}`).
///
/// One flat list for every facade API, streams included: a transport or backend failure has
/// its own kind here (`RateLimited`, `UsageLimitReached`, `Aborted`, …), never a nested
/// `codex_client::ErrorKind`. The predicates of [`Error`] ([`Error::is_aborted`],
/// [`Error::is_rate_limited`], …) cover what callers branch on most.
// The transport and backend variants repeat `codex_client::ErrorKind`'s, docs included, on
// purpose: the facade's kind must not nest the client's type, so the list is written out and
// mapped one to one in the two `match`es below; no shared function can replace a variant list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A method was called before [`crate::CodexClient::authenticate`] succeeded.
    NotAuthenticated,
    /// No usable login: nothing stored (and interactive login is off), or the stored login
    /// was rejected and cannot be refreshed. Run `codex-backend login` (or
    /// `authenticate()` with interactive login on).
    LoginRequired,
    /// The interactive login failed (cancelled, timed out, state mismatch, issuer error).
    Login,
    /// The stored credentials (`auth.json`) are unreadable, corrupt or cannot be written.
    Storage,
    /// The credentials could not be obtained for another reason (e.g. the issuer could not
    /// be reached to refresh them; see [`Error::is_retryable`]).
    Auth,
    /// Invalid configuration (URL, certificate, `CODEX_HOME`).
    Config,
    /// A request the backend is known to reject was refused before sending (orphan tool
    /// output, web search with minimal effort, bad schema name, empty model).
    InvalidInput,
    /// `get_model` found no model with that slug in the account's catalog.
    ModelNotFound,
    /// A tool could not be registered or run (e.g. two tools with one name).
    Tool,
    /// The tool loop of [`crate::Conversation::run`] reached its iteration bound.
    ToolLoopLimit,
    /// The model's output is not what was asked for (e.g. structured output that is not
    /// valid JSON for the requested type).
    InvalidOutput,
    /// A compaction v2 answer did not hold exactly one `compaction` output item; the
    /// source is an [`UnexpectedCompactionOutput`] naming what came back.
    UnexpectedCompactionOutput,
    /// An HTTP status the other kinds do not cover (see [`Error::status`]); also a redirect,
    /// which is never followed.
    Http,
    /// The plan's usage limit is reached; see [`Error::plan_type`] and [`Error::resets_at`].
    /// Never retried.
    UsageLimitReached,
    /// The plan does not include Codex (`usage_not_included`). Never retried.
    UsageNotIncluded,
    /// Quota or billing limit exhausted (`insufficient_quota`).
    QuotaExceeded,
    /// The conversation no longer fits the model's context window.
    ContextWindowExceeded,
    /// The server rejected the request (400, `invalid_prompt`, …).
    InvalidRequest,
    /// The request was flagged by the cyber-security policy.
    CyberPolicy,
    /// The request was flagged by the biology safety policy. Never retried.
    BioPolicy,
    /// No capacity for the flex service tier. Never retried.
    FlexUnavailable,
    /// The server is overloaded.
    ServerOverloaded,
    /// Rate limited; see [`Error::retry_after`].
    RateLimited,
    /// The stream ended before `response.completed`.
    StreamClosed,
    /// The server sent `response.incomplete`.
    Incomplete,
    /// The server stopped the response with its content filter. Never retried.
    ContentFilter,
    /// The server sent an `error` event or a `response.failed` not covered by another kind;
    /// see [`Error::code`].
    ApiError,
    /// No bytes arrived for the configured stream idle timeout.
    IdleTimeout,
    /// The total deadline of the request passed.
    Timeout,
    /// One event or body could not be decoded. For a stream event this error is an item:
    /// the stream continues.
    Decode,
    /// Connecting, sending or receiving failed (DNS, TCP, proxy, connection reset).
    Transport,
    /// The TLS handshake failed (untrusted certificate, protocol error).
    Tls,
    /// The request was stopped through an [`crate::AbortHandle`] or
    /// [`crate::CodexClient::abort`].
    Aborted,
}

/// What a compaction v2 answer held instead of exactly one `compaction` item (the source of
/// an [`ErrorKind::UnexpectedCompactionOutput`] error).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnexpectedCompactionOutput {
    /// How many `compaction` items came back.
    pub compaction_items: usize,
    /// The `type` of every output item, in order.
    pub item_types: Vec<String>,
}

impl std::fmt::Display for UnexpectedCompactionOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "expected one compaction output item, received {} from {} output items",
            self.compaction_items,
            self.item_types.len()
        )?;
        if !self.item_types.is_empty() {
            write!(f, " ({})", self.item_types.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for UnexpectedCompactionOutput {}

impl ErrorKind {
    /// A stable snake_case name: `not_authenticated`, `login_required`, `login`, `storage`,
    /// `auth`, `config`, `invalid_input`, `model_not_found`, `tool`, `tool_loop_limit`,
    /// `invalid_output`, `unexpected_compaction_output`, and for transport and backend failures the name
    /// `codex_client::ErrorKind::as_str` gives (`rate_limited`, `usage_limit_reached`,
    /// `aborted`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAuthenticated => "not_authenticated",
            Self::Login => "login",
            Self::Storage => "storage",
            Self::InvalidInput => "invalid_input",
            Self::ModelNotFound => "model_not_found",
            Self::Tool => "tool",
            Self::ToolLoopLimit => "tool_loop_limit",
            Self::InvalidOutput => "invalid_output",
            Self::UnexpectedCompactionOutput => "unexpected_compaction_output",
            other => other
                .client_kind()
                .map_or("auth", codex_client::ErrorKind::as_str),
        }
    }

    /// The transport's kind of the same name, for the kinds both layers share.
    fn client_kind(self) -> Option<codex_client::ErrorKind> {
        use codex_client::ErrorKind as C;
        Some(match self {
            Self::LoginRequired => C::LoginRequired,
            Self::Auth => C::Auth,
            Self::Config => C::Config,
            Self::Http => C::Http,
            Self::UsageLimitReached => C::UsageLimitReached,
            Self::UsageNotIncluded => C::UsageNotIncluded,
            Self::QuotaExceeded => C::QuotaExceeded,
            Self::ContextWindowExceeded => C::ContextWindowExceeded,
            Self::InvalidRequest => C::InvalidRequest,
            Self::CyberPolicy => C::CyberPolicy,
            Self::BioPolicy => C::BioPolicy,
            Self::FlexUnavailable => C::FlexUnavailable,
            Self::ServerOverloaded => C::ServerOverloaded,
            Self::RateLimited => C::RateLimited,
            Self::StreamClosed => C::StreamClosed,
            Self::Incomplete => C::Incomplete,
            Self::ContentFilter => C::ContentFilter,
            Self::ApiError => C::ApiError,
            Self::IdleTimeout => C::IdleTimeout,
            Self::Timeout => C::Timeout,
            Self::Decode => C::Decode,
            Self::Transport => C::Transport,
            Self::Tls => C::Tls,
            Self::Aborted => C::Aborted,
            _ => return None,
        })
    }
}

impl From<codex_client::ErrorKind> for ErrorKind {
    fn from(k: codex_client::ErrorKind) -> Self {
        use codex_client::ErrorKind as C;
        match k {
            C::LoginRequired => Self::LoginRequired,
            C::Config => Self::Config,
            C::Http => Self::Http,
            C::UsageLimitReached => Self::UsageLimitReached,
            C::UsageNotIncluded => Self::UsageNotIncluded,
            C::QuotaExceeded => Self::QuotaExceeded,
            C::ContextWindowExceeded => Self::ContextWindowExceeded,
            C::InvalidRequest => Self::InvalidRequest,
            C::CyberPolicy => Self::CyberPolicy,
            C::BioPolicy => Self::BioPolicy,
            C::FlexUnavailable => Self::FlexUnavailable,
            C::ServerOverloaded => Self::ServerOverloaded,
            C::RateLimited => Self::RateLimited,
            C::StreamClosed => Self::StreamClosed,
            C::Incomplete => Self::Incomplete,
            C::ContentFilter => Self::ContentFilter,
            C::ApiError => Self::ApiError,
            C::IdleTimeout => Self::IdleTimeout,
            C::Timeout => Self::Timeout,
            C::Decode => Self::Decode,
            C::Transport => Self::Transport,
            C::Tls => Self::Tls,
            C::Aborted => Self::Aborted,
            // `Auth` and kinds a newer transport adds.
            _ => Self::Auth,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

enum Repr {
    Client(codex_client::Error),
    Auth(codex_auth::Error),
    Own {
        message: String,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

struct Inner {
    kind: ErrorKind,
    repr: Repr,
}

/// The error type of `codex-backend`: opaque, with a [`kind`](Error::kind) to branch on,
/// the transport's details ([`status`](Error::status), [`request_id`](Error::request_id),
/// [`retry_after`](Error::retry_after), [`partial_text`](Error::partial_text), …) and the
/// cause through `source()`. Display is one lowercase clause without secrets.
pub struct Error(Box<Inner>);

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            repr: Repr::Own {
                message: message.into(),
                source: None,
            },
        }))
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        if let Repr::Own { source: s, .. } = &mut self.0.repr {
            *s = Some(source.into());
        }
        self
    }

    pub(crate) fn not_authenticated() -> Self {
        Self::new(
            ErrorKind::NotAuthenticated,
            "not authenticated: call authenticate() first",
        )
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The stable snake_case name of the kind ([`ErrorKind::as_str`]).
    pub fn kind_str(&self) -> &'static str {
        self.0.kind.as_str()
    }

    /// The transport error this comes from, if any.
    pub fn client_error(&self) -> Option<&codex_client::Error> {
        match &self.0.repr {
            Repr::Client(e) => Some(e),
            _ => None,
        }
    }

    /// The auth error this comes from, if any.
    pub fn auth_error(&self) -> Option<&codex_auth::Error> {
        match &self.0.repr {
            Repr::Auth(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when the error comes from an HTTP response.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.0.repr {
            Repr::Client(e) => e.status(),
            Repr::Auth(e) => e.status(),
            Repr::Own { .. } => None,
        }
    }

    /// The server's request id, for support.
    pub fn request_id(&self) -> Option<&str> {
        self.client_error()
            .and_then(codex_client::Error::request_id)
    }

    /// How long the server asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.client_error()
            .and_then(codex_client::Error::retry_after)
    }

    /// True when sending the same request again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match &self.0.repr {
            Repr::Client(e) => e.is_retryable(),
            Repr::Auth(e) => e.is_retryable(),
            Repr::Own { .. } => false,
        }
    }

    /// True for a call stopped through an [`crate::AbortHandle`] or
    /// [`crate::CodexClient::abort`] ([`ErrorKind::Aborted`]).
    pub fn is_aborted(&self) -> bool {
        self.0.kind == ErrorKind::Aborted
    }

    /// True when the server rate limited the request ([`ErrorKind::RateLimited`]); wait
    /// [`retry_after`](Self::retry_after) when given.
    pub fn is_rate_limited(&self) -> bool {
        self.0.kind == ErrorKind::RateLimited
    }

    /// True when the plan's usage limit is reached ([`ErrorKind::UsageLimitReached`]); see
    /// [`plan_type`](Self::plan_type) and [`resets_at`](Self::resets_at).
    pub fn is_usage_limit(&self) -> bool {
        self.0.kind == ErrorKind::UsageLimitReached
    }

    /// True when the user must log in (again) ([`ErrorKind::LoginRequired`] or
    /// [`ErrorKind::NotAuthenticated`]).
    pub fn is_login_required(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::LoginRequired | ErrorKind::NotAuthenticated
        )
    }

    /// The server's error code (`rate_limit_exceeded`, …) when known.
    pub fn code(&self) -> Option<&str> {
        self.client_error().and_then(codex_client::Error::code)
    }

    /// For an error that ended a stream: the output text received before it.
    pub fn partial_text(&self) -> Option<&str> {
        self.client_error()
            .and_then(codex_client::Error::partial_text)
    }

    /// The plan type reported with a usage-limit error.
    pub fn plan_type(&self) -> Option<&str> {
        self.client_error().and_then(codex_client::Error::plan_type)
    }

    /// The length of the usage-limit window that tripped (`limit_window_minutes`), when the
    /// server said.
    pub fn limit_window(&self) -> Option<Duration> {
        self.client_error()
            .and_then(codex_client::Error::limit_window)
    }

    /// When the usage limit resets.
    pub fn resets_at(&self) -> Option<std::time::SystemTime> {
        self.client_error().and_then(codex_client::Error::resets_at)
    }

    /// The rate-limit snapshot (`x-codex-*` headers) the server sent with the error, over
    /// HTTP or in a wrapped WebSocket error frame ([`codex_client::Error::rate_limits`]).
    pub fn rate_limits(&self) -> Option<&codex_types::RateLimitSnapshot> {
        self.client_error()
            .and_then(codex_client::Error::rate_limits)
    }
}

impl From<codex_client::Error> for Error {
    fn from(e: codex_client::Error) -> Self {
        let kind = ErrorKind::from(e.kind());
        Self(Box::new(Inner {
            kind,
            repr: Repr::Client(e),
        }))
    }
}

impl From<codex_auth::Error> for Error {
    fn from(e: codex_auth::Error) -> Self {
        let kind = match e.kind() {
            codex_auth::ErrorKind::LoginRequired => ErrorKind::LoginRequired,
            codex_auth::ErrorKind::Login => ErrorKind::Login,
            codex_auth::ErrorKind::Config => ErrorKind::Config,
            codex_auth::ErrorKind::Storage => ErrorKind::Storage,
            // One kind for every TLS failure, whichever host it was (backend or issuer).
            codex_auth::ErrorKind::Tls => ErrorKind::Tls,
            _ => ErrorKind::Auth,
        };
        Self(Box::new(Inner {
            kind,
            repr: Repr::Auth(e),
        }))
    }
}

impl From<codex_types::RequestError> for Error {
    fn from(e: codex_types::RequestError) -> Self {
        Self::new(ErrorKind::InvalidInput, format!("invalid request: {e}")).with_source(e)
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.0.kind);
        match &self.0.repr {
            Repr::Client(e) => s.field("client", e),
            Repr::Auth(e) => s.field("auth", e),
            Repr::Own { message, source } => s.field("message", message).field("source", source),
        };
        s.finish()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.repr {
            Repr::Client(e) => std::fmt::Display::fmt(e, f)?,
            Repr::Auth(e) => std::fmt::Display::fmt(e, f)?,
            Repr::Own { message, .. } => f.write_str(message)?,
        }
        if self.is_usage_limit() {
            // What the user needs to decide: which plan ran out, and until when.
            if let Some(plan) = self.plan_type() {
                write!(f, " (plan {plan})")?;
            }
            if let Some(t) = self.resets_at() {
                write!(f, ", resets at {}", codex_auth::format_rfc3339(t))?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.repr {
            // Display already shows the wrapped error's message: its cause comes next
            // (the wrapped error itself: `client_error()` / `auth_error()`).
            Repr::Client(e) => std::error::Error::source(e),
            Repr::Auth(e) => std::error::Error::source(e),
            Repr::Own { source, .. } => source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kind_names_are_stable_snake_case() {
        let kinds = [
            ErrorKind::NotAuthenticated,
            ErrorKind::LoginRequired,
            ErrorKind::Login,
            ErrorKind::Storage,
            ErrorKind::Auth,
            ErrorKind::Config,
            ErrorKind::InvalidInput,
            ErrorKind::ModelNotFound,
            ErrorKind::Tool,
            ErrorKind::ToolLoopLimit,
            ErrorKind::InvalidOutput,
            ErrorKind::UnexpectedCompactionOutput,
        ];
        let mut names: Vec<_> = kinds.iter().map(|k| k.as_str()).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds.len());
        assert_eq!(ErrorKind::RateLimited.as_str(), "rate_limited");
        assert_eq!(ErrorKind::Aborted.as_str(), "aborted");
        assert_eq!(ErrorKind::Auth.as_str(), "auth");
    }

    #[test]
    fn conversions_keep_kind_and_message() {
        let e = Error::from(codex_auth::Error::new(
            codex_auth::ErrorKind::LoginRequired,
            "log in again",
        ));
        assert_eq!(e.kind(), ErrorKind::LoginRequired);
        assert_eq!(e.to_string(), "log in again");
        assert!(e.auth_error().is_some());
        let e = Error::from(codex_types::RequestError::EmptyModel);
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(std::error::Error::source(&e).is_some());
        let e = Error::not_authenticated();
        assert_eq!(e.kind_str(), "not_authenticated");
        assert!(!e.is_retryable());
        assert!(format!("{e:?}").contains("NotAuthenticated"));
    }
}
