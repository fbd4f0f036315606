//! Where output goes: JSON lines or human text on stdout, notes and the spinner on stderr.
//!
//! ANSI styling is used only when stdout is a terminal and `NO_COLOR` is unset (or empty);
//! the spinner only when stderr is a terminal, not in `--json` mode.
//!
//! Writes to stdout are never ignored: the first failure is kept (later writes are skipped),
//! streams stop at once when they see it ([`Out::write_failed`]) and the command ends with
//! it ([`Out::write_error`]): a closed pipe exits 141 without a message, any other error
//! exits 1 with one.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::io::Write;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::error::CliError;

/// Output settings of one run.
#[derive(Debug, Clone)]
pub struct Out {
    /// `--json`.
    pub json: bool,
    /// ANSI styles on stdout.
    pub color: bool,
    /// ANSI styles on stderr.
    pub color_err: bool,
    /// Spinner allowed (stderr is a terminal, human mode).
    pub spinner: bool,
    /// The first failed write to stdout (shared by clones).
    stdout_error: Arc<OnceLock<CliError>>,
}

/// `s` with every control character (C0, DEL, C1) except newline and tab written as a
/// visible escape (`\u{1b}`), so that text from the network cannot drive the terminal (move
/// the cursor, set the title, ring the bell, rewrite the line). A carriage return is kept
/// only directly before a newline (CRLF text). Human mode applies this to everything that
/// came from the server or a file; `--json` keeps the exact data.
pub fn clean(s: &str) -> Cow<'_, str> {
    let keep = |c: char, next: Option<char>| {
        !c.is_control() || c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'))
    };
    let mut it = s.chars().peekable();
    let mut all_kept = true;
    while let Some(c) = it.next() {
        if !keep(c, it.peek().copied()) {
            all_kept = false;
            break;
        }
    }
    if all_kept {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if keep(c, it.peek().copied()) {
            out.push(c);
        } else {
            out.extend(c.escape_unicode());
        }
    }
    Cow::Owned(out)
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Out {
    /// Settings from `--json`, the terminals and `NO_COLOR`.
    pub fn detect(json: bool) -> Self {
        let nc = no_color();
        Self {
            json,
            color: !json && !nc && std::io::stdout().is_terminal(),
            color_err: !nc && std::io::stderr().is_terminal(),
            spinner: !json && std::io::stderr().is_terminal(),
            stdout_error: Arc::new(OnceLock::new()),
        }
    }

    /// Writes raw text to stdout and flushes. After a failed write nothing more is written;
    /// the failure is kept for [`Out::write_error`].
    pub fn text(&self, s: &str) {
        if self.write_failed() {
            return;
        }
        let mut o = std::io::stdout().lock();
        if let Err(e) = o.write_all(s.as_bytes()).and_then(|()| o.flush()) {
            let _ = self.stdout_error.set(stdout_error(&e));
        }
    }

    /// Whether a write to stdout has failed (a closed pipe, a full disk, ...): the command
    /// must stop producing output (and stop a stream it is reading).
    pub fn write_failed(&self) -> bool {
        self.stdout_error.get().is_some()
    }

    /// The error that ends the command after a failed write to stdout.
    pub fn write_error(&self) -> Option<CliError> {
        self.stdout_error.get().cloned()
    }

    /// Writes a line to stdout.
    pub fn line(&self, s: &str) {
        self.text(&format!("{s}\n"));
    }

    /// One JSON document or event on its own line (compact), flushed.
    pub fn json_line(&self, v: &serde_json::Value) {
        self.line(&v.to_string());
    }

    /// A raw JSON text on its own line (exactly as given), flushed.
    pub fn raw_json_line(&self, raw: &str) {
        // Wire JSON never holds a raw newline inside a value; stray ones between tokens are
        // folded so the one-event-per-line promise holds.
        if raw.contains(['\n', '\r']) {
            self.line(&raw.replace(['\n', '\r'], " "));
        } else {
            self.line(raw);
        }
    }

    /// Text in a dim style (stdout), when colours are on.
    pub fn dim(&self, s: &str) -> String {
        style(self.color, "2", s)
    }

    /// Text in bold (stdout), when colours are on.
    pub fn bold(&self, s: &str) -> String {
        style(self.color, "1", s)
    }

    /// Text in cyan (stdout), when colours are on.
    pub fn cyan(&self, s: &str) -> String {
        style(self.color, "36", s)
    }

    /// A note on stderr (human mode only; control characters escaped).
    pub fn note(&self, s: &str) {
        if !self.json {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{}", style(self.color_err, "2", &clean(s)));
        }
    }

    /// Reports a failure: the error object as the last stdout line (`--json`), else one line
    /// on stderr (control characters escaped). When stdout cannot be written, the line goes
    /// to stderr; a closed stdout pipe ([`EXIT_BROKEN_PIPE`](crate::error::EXIT_BROKEN_PIPE))
    /// is reported by the exit code alone.
    pub fn error(&self, err: &CliError) {
        if err.kind == BROKEN_PIPE {
            return;
        }
        if self.json {
            self.json_line(&err.to_json());
            if !self.write_failed() {
                return;
            }
        }
        let mut e = std::io::stderr().lock();
        let _ = writeln!(
            e,
            "{}",
            style(self.color_err, "31", &clean(&err.human_line()))
        );
    }

    /// Starts the waiting spinner (a no-op unless allowed).
    pub fn spinner(&self) -> Spinner {
        Spinner::start(self.spinner)
    }
}

/// The error kind of a closed stdout pipe.
pub const BROKEN_PIPE: &str = "broken_pipe";

fn stdout_error(e: &std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::new(BROKEN_PIPE, "standard output was closed")
    } else {
        CliError::new("io", format!("cannot write to standard output: {e}"))
    }
}

fn style(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// A spinner on stderr shown while waiting for the first token. Stops on `stop` or drop.
#[derive(Debug)]
pub struct Spinner {
    running: Option<Arc<AtomicBool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    fn start(enabled: bool) -> Self {
        if !enabled {
            return Self {
                running: None,
                task: None,
            };
        }
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let task = tokio::spawn(async move {
            const FRAMES: [&str; 4] = ["|", "/", "-", "\\"];
            let mut i = 0usize;
            while flag.load(Ordering::SeqCst) {
                {
                    let mut e = std::io::stderr().lock();
                    let _ = write!(e, "\r{} waiting for the model…", FRAMES[i % FRAMES.len()]);
                    let _ = e.flush();
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self {
            running: Some(running),
            task: Some(task),
        }
    }

    /// Stops and erases the spinner (idempotent).
    pub fn stop(&mut self) {
        if let Some(flag) = self.running.take() {
            flag.store(false, Ordering::SeqCst);
            if let Some(t) = self.task.take() {
                t.abort();
            }
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r{:30}\r", "");
            let _ = e.flush();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_control_characters_only() {
        // Plain text (newlines, tabs, CRLF, non-ASCII) is kept as is, without a copy.
        let plain = "héllo\tworld\r\nnext line\n✓";
        assert!(matches!(clean(plain), Cow::Borrowed(s) if s == plain));
        assert_eq!(
            clean("a\u{1b}]0;t\u{7}b\u{1b}[2Jc\u{9b}d\re\u{7f}"),
            "a\\u{1b}]0;t\\u{7}b\\u{1b}[2Jc\\u{9b}d\\u{d}e\\u{7f}"
        );
        assert_eq!(clean("\r"), "\\u{d}");
        assert_eq!(clean(""), "");
    }
}
