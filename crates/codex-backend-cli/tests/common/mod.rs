//! Helpers: run the built binary as a user would, with a clean environment.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unused_imports
)]

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::process::Stdio;

pub use codex_test_support::TempDir;
pub use codex_test_support::mock::logged_in_home;
pub use env::Env;
use serde_json::Value;

mod env;

/// The output of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Every stdout line parsed as JSON (panics with the line when one is not JSON).
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}\n{self:?}"))
            })
            .collect()
    }

    /// The one JSON document on stdout.
    pub fn json_doc(&self) -> Value {
        let lines = self.json_lines();
        assert_eq!(lines.len(), 1, "expected one JSON line: {self:?}");
        lines.into_iter().next().unwrap()
    }

    /// Asserts the exit code, showing the output on failure.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:?}");
        self
    }

    /// The `{"error": ...}` object of the last stdout line.
    pub fn json_error(&self) -> Value {
        let lines = self.json_lines();
        let last = lines
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("no output: {self:?}"));
        let err = last
            .get("error")
            .cloned()
            .unwrap_or_else(|| panic!("last line is not an error object: {self:?}"));
        let obj = err.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["kind", "message", "status"], "{self:?}");
        assert!(err["kind"].is_string() && err["message"].is_string());
        assert!(err["status"].is_null() || err["status"].is_u64());
        assert_eq!(last.as_object().unwrap().len(), 1, "{self:?}");
        err
    }
}

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_codex-backend")
}

/// The transport of a CLI turn (`--transport`), for the tests that `both_transports!` runs
/// once over each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `--transport sse`.
    Sse,
    /// `--transport websocket`.
    WebSocket,
}

impl Transport {
    /// The `--transport` value.
    pub fn arg(self) -> &'static str {
        match self {
            Transport::Sse => "sse",
            Transport::WebSocket => "websocket",
        }
    }
}

/// Runs `--mock --transport T` plus `args` with `stdin` piped in (a clean environment).
pub fn run_mock(t: Transport, args: &[&str], stdin: &str) -> Run {
    let mut all = vec!["--mock", "--transport", t.arg()];
    all.extend_from_slice(args);
    run_with(&all, &[], stdin)
}

/// Sends `signal` (`INT`, `TERM`, `HUP`) to the process `pid` with kill(1).
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}: {status:?}");
}

/// The eight-byte PNG signature: the smallest file `--image` accepts as a PNG.
pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// The model options the "every flag" tests pass to `ask` before their own.
pub const MODEL_FLAGS: [&str; 6] = [
    "--model",
    "gpt-5.4-mini",
    "--instructions",
    "Be brief",
    "--reasoning",
    "high",
];

/// The binary with `args` and a clean environment (no inherited URLs, home, issuer, proxy,
/// logging or colour settings); stdio is left to the caller.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("CODEX_BASE_URL")
        .env_remove("CODEX_API_BASE_URL")
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_AUTH_ISSUER")
        .env_remove("CODEX_REFRESH_TOKEN_URL_OVERRIDE")
        .env_remove("CODEX_REVOKE_TOKEN_URL_OVERRIDE")
        .env_remove("CODEX_TRANSPORT")
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("CODEX_CA_CERTIFICATE")
        .env_remove("SSL_CERT_FILE");
    cmd
}

/// The binary with `args`, piped stdio and a clean environment plus `env` (not started).
pub fn piped(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = command(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Starts `cmd` with `stdin` and piped stdout and stderr.
pub fn spawn(mut cmd: Command, stdin: Stdio) -> std::process::Child {
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the CLI")
}

/// Runs the binary with `args`, `stdin` piped in, a clean environment plus `env`.
pub fn run_with(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut child = piped(args, env).spawn().expect("spawn the CLI");
    {
        let mut sin = child.stdin.take().unwrap();
        let _ = sin.write_all(stdin.as_bytes());
    }
    finish(child)
}

/// Waits for a spawned CLI and collects its output.
pub fn finish(child: std::process::Child) -> Run {
    let out = child.wait_with_output().expect("wait for the CLI");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs the binary with `args` and empty stdin.
pub fn run(args: &[&str]) -> Run {
    run_with(args, &[], "")
}

/// True when `s` holds an ANSI escape.
pub fn has_ansi(s: &str) -> bool {
    s.contains('\u{1b}')
}

/// The `data:` payloads of an SSE fixture, in order (single-line data only).
pub fn sse_data_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d).to_owned())
        .collect()
}

/// The fixtures directory of codex-mock.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codex-mock/fixtures")
}

/// A mock server and a home holding a login its issuer minted.
pub async fn logged_in_mock() -> (codex_mock::MockServer, TempDir) {
    let server = codex_mock::MockServer::start().await.unwrap();
    let home = logged_in_home(&server);
    (server, home)
}

/// The binary pointed at `server` (backend, API base and issuer) with `home` as
/// `CODEX_HOME`, then `args`; stdio is left to the caller.
pub fn command_against(server: &codex_mock::MockServer, home: &TempDir, args: &[&str]) -> Command {
    let base = server.backend_base_url();
    let api = server.api_base_url();
    let mut all = vec![
        "--base-url",
        &base,
        "--api-base-url",
        &api,
        "--codex-home",
        home.str(),
    ];
    all.extend_from_slice(args);
    let mut cmd = command(&all);
    cmd.env("CODEX_AUTH_ISSUER", server.issuer_url());
    // These tests inspect the wire as SSE requests; `--transport` in `args` wins.
    cmd.env("CODEX_TRANSPORT", "sse");
    cmd
}

/// Runs `cmd` (stdin empty, stdout and stderr captured) and gives up after `limit`: `None`
/// when it was still running (it is then killed), so a test of "never blocks" fails instead
/// of hanging.
pub fn run_within(cmd: Command, limit: std::time::Duration) -> Option<Run> {
    let mut child = spawn(cmd, Stdio::null());
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// [`run_within`] off the async runtime (for tests that also drive a mock server).
pub async fn run_blocking(cmd: Command) -> Run {
    tokio::task::spawn_blocking(move || {
        run_within(cmd, std::time::Duration::from_secs(60)).expect("the CLI ran for 60 s")
    })
    .await
    .unwrap()
}
