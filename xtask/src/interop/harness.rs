//! What every scenario runs on: a fresh `codex-mock` and its request log, and a client
//! process with a time limit whose output is kept in the scenario's folder.

use std::io::BufRead;
use std::path::Path;
use std::path::PathBuf;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use super::RESPONSES;
use super::WS_FRAME;
use super::bin;

/// Longest a client may take for one scenario.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// What a scenario's client run produced.
pub(super) struct Outcome {
    pub(super) code: Option<i32>,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

/// A running `codex-mock` for one scenario, killed on drop.
pub(super) struct Mock {
    child: Child,
    pub(super) url: String,
    pub(super) home: PathBuf,
    log: PathBuf,
    pub(super) ca: PathBuf,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mock {
    pub(super) fn start(work: &Path, tls: bool, args: &[&str]) -> Result<Mock, String> {
        let home = work.join("home");
        std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
        let (log, ca) = (work.join("requests.jsonl"), work.join("ca.pem"));
        let mut c = Command::new(bin("codex-mock"));
        // Relative files in the mock's arguments (`--script`, `replay:`) are the scenario's.
        c.current_dir(work)
            .arg("--codex-home")
            .arg(&home)
            .arg("--log")
            .arg(&log);
        if tls {
            c.arg("--tls").arg("--ca-out").arg(&ca);
        }
        let mut child = c
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start codex-mock: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        let url = line.trim().to_owned();
        // auth.json is written right after the URL is printed.
        for _ in 0..100 {
            if std::fs::metadata(home.join("auth.json")).is_ok_and(|m| m.len() > 0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mock = Mock {
            child,
            url,
            home,
            log,
            ca,
        };
        if mock.url.is_empty() {
            return Err("codex-mock printed no URL".into());
        }
        Ok(mock)
    }

    /// The log's lines, parsed.
    fn lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .collect()
    }

    /// The turn bodies sent to `/backend-api/codex/responses`: `POST` bodies and the
    /// WebSocket `response.create` frames, in arrival order.
    pub(super) fn responses_bodies(&self) -> Vec<serde_json::Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["path"] == RESPONSES)
            .filter(|l| {
                l["method"] == "POST"
                    || (l["method"] == WS_FRAME && l["body"]["type"] == "response.create")
            })
            .map(|l| l["body"].clone())
            .collect()
    }

    /// How many logged requests have this method and path.
    pub(super) fn count(&self, method: &str, path: &str) -> usize {
        self.lines()
            .iter()
            .filter(|l| l["method"] == method && l["path"] == path)
            .count()
    }

    /// The `content-encoding` of every logged `POST` to `/responses`.
    pub(super) fn post_encodings(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter(|l| l["method"] == "POST" && l["path"] == RESPONSES)
            .map(|l| {
                l["headers"]["content-encoding"]
                    .as_str()
                    .unwrap_or("identity")
                    .to_owned()
            })
            .collect()
    }
}

/// Run `c` (stdout/stderr to files in `work`) for at most [`CLIENT_TIMEOUT`].
pub(super) fn run_client(mut c: Command, work: &Path, tag: &str) -> Result<Outcome, String> {
    let out_path = work.join(format!("{tag}.stdout"));
    let err_path = work.join(format!("{tag}.stderr"));
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut child = c
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?)
        .spawn()
        .map_err(|e| format!("cannot run {c:?}: {e}"))?;
    let start = Instant::now();
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if start.elapsed() > CLIENT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {CLIENT_TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Ok(Outcome {
        code,
        stdout: read(&out_path),
        stderr: read(&err_path),
    })
}

pub(super) fn expect_ok(o: &Outcome, needle: &str) -> Result<String, String> {
    if o.code != Some(0) {
        return Err(format!("exit {:?}: {}", o.code, last_line(&o.stderr)));
    }
    if !o.stdout.contains(needle) {
        return Err(format!("stdout lacks {needle:?}: {}", last_line(&o.stdout)));
    }
    Ok(last_line(&o.stdout))
}

pub(super) fn last_line(s: &str) -> String {
    let line = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(100).collect()
}
