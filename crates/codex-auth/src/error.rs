//! The error type of this crate.

use std::path::Path;

/// What went wrong, in a form a caller can branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No usable login: never logged in, or the refresh token expired, was reused or was
    /// revoked. The user must log in again.
    LoginRequired,
    /// A temporary failure (network, 5xx, timeout): trying again later may succeed.
    Transient,
    /// The stored credentials file is unreadable, corrupt or cannot be written.
    Storage,
    /// The login flow failed (state mismatch, error from the issuer, cancelled, timed out).
    Login,
    /// Invalid configuration (issuer URL, CA certificate, `CODEX_HOME`).
    Config,
    /// The TLS handshake with the issuer failed: its certificate is not trusted (see
    /// [`OAuthConfigBuilder::ca_certificate`](crate::OAuthConfigBuilder::ca_certificate)) or no
    /// common protocol was found. Not retryable: it does not fix itself.
    Tls,
    /// Anything else.
    Other,
}

/// Why a refresh token can no longer be used (see [`Error::refresh_failure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// The issuer answered `refresh_token_expired`.
    Expired,
    /// The issuer answered `refresh_token_reused`: the token was already rotated, usually by a
    /// concurrent refresh in another program.
    Reused,
    /// The issuer answered `refresh_token_invalidated`: the token was revoked.
    Revoked,
    /// The issuer answered 401 with another (or no) error code.
    Other,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    refresh_failure: Option<RefreshFailure>,
    status: Option<http::StatusCode>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The error type of `codex-auth`. Display is one lowercase clause; it never contains a token.
pub struct Error(Box<Inner>);

impl Error {
    /// A new error of `kind` with a message that must not contain secrets.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: message.into(),
            refresh_failure: None,
            status: None,
            source: None,
        }))
    }

    /// The same error with a cause attached.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_status(mut self, status: http::StatusCode) -> Self {
        self.0.status = Some(status);
        self
    }

    pub(crate) fn with_refresh_failure(mut self, reason: RefreshFailure) -> Self {
        self.0.refresh_failure = Some(reason);
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// True when the user must log in again.
    pub fn is_login_required(&self) -> bool {
        self.0.kind == ErrorKind::LoginRequired
    }

    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.0.kind == ErrorKind::Transient
    }

    /// The HTTP status the issuer answered with, when the error comes from an issuer response.
    pub fn status(&self) -> Option<http::StatusCode> {
        self.0.status
    }

    /// Why the refresh token was rejected, when this error comes from a permanent refresh
    /// failure.
    pub fn refresh_failure(&self) -> Option<RefreshFailure> {
        self.0.refresh_failure
    }

    pub(crate) fn storage(path: &Path, what: &str) -> Self {
        Self::new(ErrorKind::Storage, format!("{what} {}", path.display()))
    }

    pub(crate) fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    pub(crate) fn login(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Login, message)
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    pub(crate) fn tls(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Tls, message)
    }

    pub(crate) fn login_required(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LoginRequired, message)
    }

    /// A copy keeping kind, message, status and refresh reason (the source is dropped). Used
    /// to cache permanent failures.
    pub(crate) fn clone_shallow(&self) -> Self {
        Self(Box::new(Inner {
            kind: self.0.kind,
            message: self.0.message.clone(),
            refresh_failure: self.0.refresh_failure,
            status: self.0.status,
            source: None,
        }))
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind);
        d.field("message", &self.0.message);
        if let Some(r) = self.0.refresh_failure {
            d.field("refresh_failure", &r);
        }
        if let Some(s) = self.0.status {
            d.field("status", &s);
        }
        if let Some(s) = &self.0.source {
            d.field("source", s);
        }
        d.finish()
    }
}

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
    fn kinds_and_display() {
        let e = Error::new(ErrorKind::LoginRequired, "log in again");
        assert!(e.is_login_required());
        assert!(!e.is_retryable());
        assert_eq!(e.to_string(), "log in again");
        let t = Error::transient("network");
        assert!(t.is_retryable());
        let s = Error::storage(Path::new("/x/auth.json"), "cannot read");
        assert_eq!(s.to_string(), "cannot read /x/auth.json");
        assert_eq!(s.kind(), ErrorKind::Storage);
    }
}
