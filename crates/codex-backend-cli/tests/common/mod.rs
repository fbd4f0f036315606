//! Helpers: run the built binary as a user would, with a clean environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::process::Stdio;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering;

use serde_json::Value;

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

/// Runs the binary with `args`, `stdin` piped in, a clean environment plus `env`.
pub fn run_with(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut child = command(args, env).spawn().expect("spawn the CLI");
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

/// The binary with `args`, piped stdio, a clean environment plus `env` (not started).
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("CODEX_BASE_URL")
        .env_remove("CODEX_API_BASE_URL")
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_AUTH_ISSUER")
        .env_remove("CODEX_REFRESH_TOKEN_URL_OVERRIDE")
        .env_remove("CODEX_REVOKE_TOKEN_URL_OVERRIDE")
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("CODEX_CA_CERTIFICATE")
        .env_remove("SSL_CERT_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary with `args` and empty stdin.
pub fn run(args: &[&str]) -> Run {
    run_with(args, &[], "")
}

/// A private temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "codex-backend-cli-test-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn str(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// Writes `name` with `contents`; returns its path as a string.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
