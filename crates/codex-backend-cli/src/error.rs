//! The CLI's error: a stable snake_case kind, one line of message, an optional HTTP status,
//! and the exit code it maps to.

use std::fmt;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: API or stream error.
pub const EXIT_API: u8 = 1;
/// Exit code: usage error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: login required.
pub const EXIT_LOGIN: u8 = 3;
/// Exit code: standard output was closed by its reader (`| head`): 128 + SIGPIPE, the
/// status a shell reports for a program killed by a broken pipe.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// One failure, ready to print.
#[derive(Debug, Clone)]
pub struct CliError {
    /// Stable snake_case kind (`usage`, `login_required`, `http`, `stream_closed`, …).
    pub kind: String,
    /// One line, no token.
    pub message: String,
    /// HTTP status, when the failure came from one.
    pub status: Option<u16>,
}

impl CliError {
    /// An error of `kind`.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: one_line(&message.into()),
            status: None,
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new("usage", message)
    }

    /// Sets the status.
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self.kind.as_str() {
            "usage" => EXIT_USAGE,
            "login_required" => EXIT_LOGIN,
            crate::output::BROKEN_PIPE => EXIT_BROKEN_PIPE,
            _ => EXIT_API,
        }
    }

    /// The `{"error": {...}}` document.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.kind,
                "message": self.message,
                "status": self.status,
            }
        })
    }

    /// The human line (with the login hint for exit 3).
    pub fn human_line(&self) -> String {
        if self.exit_code() == EXIT_LOGIN && !self.message.contains("codex-backend login") {
            format!(
                "error: {}; run `codex-backend login`",
                self.message.trim_end_matches('.')
            )
        } else {
            format!("error: {}", self.message)
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Collapses whitespace runs (newlines included) to one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The message of an error and its sources, joined with `: ` (each source once).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !t.is_empty() && !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

/// The one mapping from the facade's error to the CLI's: the kind's stable name, the
/// message (with its causes and the request id), the status. Exit codes follow from the kind
/// ([`CliError::exit_code`]).
impl From<codex_backend::Error> for CliError {
    fn from(e: codex_backend::Error) -> Self {
        use codex_backend::ErrorKind as K;
        // A stream that ended early reads the same over every transport (issue 15: `--json`
        // output is identical over SSE and WebSocket); its cause (an HTTP body error, a
        // WebSocket close or reset) stays on the SDK error's `source()`.
        let mut message = if e.kind() == K::StreamClosed {
            e.to_string()
        } else {
            chain(&e)
        };
        if let Some(id) = e.request_id() {
            message.push_str(&format!(" (request id {id})"));
        }
        // An issuer that could not be reached is a network failure, as the CLI has always
        // reported it.
        let transient = e
            .auth_error()
            .is_some_and(|a| a.kind() == codex_backend::auth::ErrorKind::Transient);
        match e.kind() {
            K::Auth if transient => {
                CliError::new("transport", message).with_status(e.status().map(|s| s.as_u16()))
            }
            // Refused before sending (e.g. web search with minimal effort): the user's input.
            K::InvalidInput => CliError::usage(message),
            k => CliError::new(k.as_str(), message).with_status(e.status().map(|s| s.as_u16())),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new("io", e.to_string())
    }
}
