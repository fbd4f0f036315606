//! Ctrl-C and SIGTERM: the command stops, but a token refresh already sent to the issuer is
//! waited for (bounded) so its rotated refresh token is saved before the process exits
//! (issue 13: an interrupted refresh used to log the user out, here and in the official CLI).

use std::time::Duration;

use codex_backend::AuthManager;

use crate::error::CliError;

/// How long the process waits, on its way out, for a refresh in flight to be saved: the
/// issuer call is bounded by `REFRESH_BUDGET` (3 s); the rest covers the write.
pub const REFRESH_GRACE: Duration =
    codex_backend::auth::REFRESH_BUDGET.saturating_add(Duration::from_secs(2));

/// How long `ask` may take to end by itself after Ctrl-C (it aborts its stream and reports
/// `aborted` with the partial answer) before the command is dropped.
const SELF_HANDLED_GRACE: Duration = Duration::from_secs(1);

/// Which signal ended the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP (the terminal went away).
    Hangup,
}

impl Signal {
    /// The `aborted` error a signal ends a command with (exit 1, as docs/cli.md says).
    pub fn error(self) -> CliError {
        CliError::new(
            "aborted",
            match self {
                Self::Interrupt => "interrupted by Ctrl-C",
                Self::Terminate => "terminated by SIGTERM",
                Self::Hangup => "ended by SIGHUP",
            },
        )
    }
}

/// The process's signal listeners, installed at start-up so that from then on neither
/// SIGINT nor SIGTERM kills the process outright.
pub struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals").finish_non_exhaustive()
    }
}

impl Signals {
    /// Installs the listeners (a failure leaves the default behaviour for that signal).
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::SignalKind;
            use tokio::signal::unix::signal;
            Self {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
                hup: signal(SignalKind::hangup()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// The next signal. With `ctrl_c_handled` (`chat`, which uses Ctrl-C for itself), only
    /// SIGTERM and SIGHUP are reported.
    pub async fn next(&mut self, ctrl_c_handled: bool) -> Signal {
        #[cfg(unix)]
        {
            async fn recv(s: Option<&mut tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = recv(self.int.as_mut().filter(|_| !ctrl_c_handled)) => Signal::Interrupt,
                () = recv(self.term.as_mut()) => Signal::Terminate,
                () = recv(self.hup.as_mut()) => Signal::Hangup,
            }
        }
        #[cfg(not(unix))]
        {
            if ctrl_c_handled || tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            Signal::Interrupt
        }
    }
}

/// Runs `command` until it ends or a signal stops it. `ask` (`self_handled`) gets a moment to
/// end by itself after Ctrl-C; `chat` (`chat`) keeps Ctrl-C for itself.
pub async fn run_until_signal<T>(
    signals: &mut Signals,
    command: impl std::future::Future<Output = Result<T, CliError>>,
    self_handled: bool,
    chat: bool,
) -> Result<T, CliError> {
    tokio::pin!(command);
    tokio::select! {
        r = &mut command => r,
        s = signals.next(chat) => {
            if s == Signal::Interrupt
                && self_handled
                && let Ok(r) = tokio::time::timeout(SELF_HANDLED_GRACE, &mut command).await
            {
                return r;
            }
            Err(s.error())
        }
    }
}

/// On the way out: no new refresh is sent, and one already sent is waited for (up to
/// [`REFRESH_GRACE`]) until its result is saved.
pub async fn settle_refresh(auth: Option<&AuthManager>) -> Option<CliError> {
    let auth = auth?;
    if auth.shutdown(REFRESH_GRACE).await {
        return None;
    }
    Some(CliError::new(
        "storage",
        format!(
            "a token refresh was still running after {} s; its result may not have been saved (if the next command says the refresh token was already used, log in again)",
            REFRESH_GRACE.as_secs()
        ),
    ))
}
