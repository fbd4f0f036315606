//! Where output goes: JSON lines or human text on stdout, notes and the spinner on stderr.
//!
//! ANSI styling is used only when stdout is a terminal and `NO_COLOR` is unset (or empty);
//! the spinner only when stderr is a terminal, not in `--json` mode.

use std::io::IsTerminal;
use std::io::Write;
use std::sync::Arc;
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
        }
    }

    /// Writes raw text to stdout and flushes.
    pub fn text(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(s.as_bytes());
        let _ = o.flush();
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

    /// A note on stderr (human mode only).
    pub fn note(&self, s: &str) {
        if !self.json {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{}", style(self.color_err, "2", s));
        }
    }

    /// Reports a failure: the error object as the last stdout line (`--json`), else one line
    /// on stderr.
    pub fn error(&self, err: &CliError) {
        if self.json {
            self.json_line(&err.to_json());
        } else {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{}", style(self.color_err, "31", &err.human_line()));
        }
    }

    /// Starts the waiting spinner (a no-op unless allowed).
    pub fn spinner(&self) -> Spinner {
        Spinner::start(self.spinner)
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
