//! The error type of this crate.

/// What went wrong, in a form a caller can branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No usable login: never logged in, or the refresh token expired, was reused or was
    /// revoked. The user must log in again.
    LoginRequired,
    /// A temporary failure (network, 5xx, timeout): trying again later may succeed.
    Transient,
    /// The stored credentials file is unreadable or corrupt.
    Storage,
    /// The login flow failed (state mismatch, error from the issuer, cancelled, timed out).
    Login,
    /// Anything else.
    Other,
}

/// The error type of `codex-auth`. Display is one lowercase clause; it never contains a token.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error of `kind` with a message that must not contain secrets.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error with a cause attached.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// True when the user must log in again.
    pub fn is_login_required(&self) -> bool {
        self.kind == ErrorKind::LoginRequired
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
