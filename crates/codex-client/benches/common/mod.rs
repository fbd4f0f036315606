//! Shared by the codex-client benches (`mod common;` in each): codex-mock in a **separate
//! process** (the bench binary re-executed with `CODEX_CLIENT_BENCH_SERVER=1`), so the CPU
//! time of the bench process is the client's alone; the client's CPU clock; and the
//! generators of synthetic history content (opaque base64, shell output).
//!
//! The server process prints the mock's base URL, then answers each line written to its
//! stdin with one line (the bench's command handler), and exits when stdin closes.
// Each bench uses a part of this module.
#![allow(dead_code)]

use std::io::BufRead;
use std::io::BufReader;
use std::io::Write;
use std::process::Child;
use std::process::ChildStdin;
use std::process::ChildStdout;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;

use codex_client::Client;
use codex_client::RequestCompression;
use codex_client::Transport;
use codex_mock::MockServer;
use codex_types::ResponseItem;

const SERVER_ENV: &str = "CODEX_CLIENT_BENCH_SERVER";

/// True in the re-executed server process.
pub fn is_server() -> bool {
    std::env::var_os(SERVER_ENV).is_some()
}

/// Server mode: starts codex-mock (no auth), runs `setup`, prints the base URL, then answers
/// each stdin line with `command(&mock, line)` on one stdout line; returns when stdin closes.
pub fn serve(
    setup: impl FnOnce(&MockServer),
    mut command: impl FnMut(&MockServer, &str) -> String,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mock = MockServer::builder()
            .require_auth(false)
            .start()
            .await
            .unwrap();
        setup(&mock);
        println!("{}", mock.backend_base_url());
        std::io::stdout().flush().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::task::spawn_blocking(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(line) = rx.recv().await {
            println!("{}", command(&mock, line.trim()));
            std::io::stdout().flush().unwrap();
        }
        drop(mock);
    });
}

/// The server process, seen from the bench.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The mock's backend base URL.
    pub base_url: String,
}

impl Server {
    /// Starts the server process (this binary with `CODEX_CLIENT_BENCH_SERVER=1`).
    pub fn spawn() -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        Self {
            child,
            stdin,
            stdout,
            base_url: line.trim().to_owned(),
        }
    }

    /// Sends one command line to the server process and returns its one-line answer.
    pub fn command(&mut self, line: &str) -> String {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        answer.trim_end().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// A client for the bench server over `transport` (no credentials: the mock does not ask),
/// with zstd request bodies, as the SDK sends them to the ChatGPT backend by default.
pub fn client(base_url: &str, transport: Transport) -> Client {
    Client::builder()
        .base_url(base_url)
        .transport(transport)
        .request_compression(RequestCompression::Zstd)
        .proxy(None)
        .build()
        .unwrap()
}

/// CPU time of this process (all threads, user + system), from
/// `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`: nanosecond resolution, unlike the 10 ms ticks
/// of `/proc/self/stat`, so one turn of a tool loop can be timed.
// The one FFI call of the benches; std has no process CPU clock.
#[cfg(unix)]
#[allow(unsafe_code)]
pub fn cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// No process CPU clock here: CPU figures are not printed.
#[cfg(not(unix))]
pub fn cpu_time() -> Option<Duration> {
    None
}

/// About 1.3 KB of agent instructions (repetitive text, as real ones compress well).
pub fn instructions() -> String {
    "You are a coding agent. Answer briefly, run tools when needed. ".repeat(20)
}

/// Pseudo-random base64 (the shape of `encrypted_content`), deterministic.
pub fn opaque(len: usize, seed: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(B64[(x % 64) as usize])
        })
        .collect()
}

/// Typical shell output of a coding agent's tool call, about `len` bytes, deterministic and
/// distinct per `seed`: `sed -n`-style numbered lines of Rust source whose identifiers,
/// numbers and paths vary (so it compresses partly, as real output does, not away), with a
/// few `cargo check`-style diagnostics.
pub fn shell_output(len: usize, seed: u64) -> String {
    const WORDS: &[&str] = &[
        "config", "request", "stream", "item", "output", "buffer", "token", "history", "turn",
        "socket", "frame", "event", "error", "retry", "delay", "budget", "header", "status",
        "body", "path", "model", "tools", "input", "reply", "cache", "state", "limit", "usage",
        "reader", "writer", "parser", "value",
    ];
    const TEMPLATES: &[&str] = &[
        "    let {a} = {b}.{c}(&{d})?;",
        "    if {a}.len() > {n} {",
        "        return Err(Error::{b}(format!(\"{c} {d}: {}\", {a})));",
        "    }",
        "fn {a}_{b}({c}: &{D}) -> Result<{D}, Error> {",
        "    for {a} in {b}.iter().filter(|x| x.{c}()) {",
        "        {a}.push({b}_{c}({n}));",
        "    {a}.insert(\"{b}\".to_owned(), {c}.clone());",
        "}",
        "warning: unused variable: `{a}_{b}`",
        "  --> src/{a}/{b}.rs:{n}:{m}",
        "    // {A} the {b} before the {c} reaches the {d}.",
    ];
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut out = String::with_capacity(len + 120);
    let mut line_no = 1 + next(900);
    while out.len() < len {
        let t = TEMPLATES[next(TEMPLATES.len() as u64) as usize];
        let mut w = || WORDS[next(WORDS.len() as u64) as usize];
        let (a, b, c, d) = (w(), w(), w(), w());
        let cap = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        };
        let line = t
            .replace("{a}", a)
            .replace("{b}", b)
            .replace("{c}", c)
            .replace("{d}", d)
            .replace("{A}", &cap(a))
            .replace("{D}", &cap(d))
            .replace("{n}", &next(4096).to_string())
            .replace("{m}", &(1 + next(80)).to_string());
        out.push_str(&format!("{line_no:>6}\t{line}\n"));
        line_no += 1;
    }
    out
}

/// A [`ResponseItem`] from its JSON.
pub fn item(v: serde_json::Value) -> ResponseItem {
    serde_json::from_value(v).unwrap()
}
