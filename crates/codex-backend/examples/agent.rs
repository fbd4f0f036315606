//! Agent: a tool loop with a few safe tools — the current time, a calculator for
//! arithmetic, and a read-only directory listing confined to a sandbox folder. No shell.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//!
//! `cargo run -p codex-backend --example agent -- [sandbox-dir] [task]`

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::TextResponse;
use codex_backend::ToolError;
use serde_json::Value;
use serde_json::json;

/// Longest expression the calculator accepts.
const MAX_EXPR: usize = 256;
/// Deepest parenthesis nesting the calculator accepts.
const MAX_DEPTH: usize = 32;
/// Most directory entries listed.
const MAX_ENTRIES: usize = 200;

/// The current UTC time as RFC 3339.
pub fn current_time() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Formats epoch seconds as `YYYY-MM-DDThh:mm:ssZ`.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Evaluates `+ - * /`, unary minus, parentheses and decimal numbers.
pub fn calculate(expr: &str) -> Result<f64, String> {
    if expr.len() > MAX_EXPR {
        return Err(format!("expression longer than {MAX_EXPR} characters"));
    }
    let tokens: Vec<char> = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let mut p = Calc { t: &tokens, i: 0 };
    let v = p.expr(0)?;
    if p.i != tokens.len() {
        return Err(format!("unexpected {:?} at {}", tokens[p.i], p.i));
    }
    if v.is_finite() {
        Ok(v)
    } else {
        Err("the result is not a finite number".to_owned())
    }
}

struct Calc<'a> {
    t: &'a [char],
    i: usize,
}

impl Calc<'_> {
    fn peek(&self) -> Option<char> {
        self.t.get(self.i).copied()
    }

    fn expr(&mut self, depth: usize) -> Result<f64, String> {
        let mut v = self.term(depth)?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.i += 1;
            let r = self.term(depth)?;
            v = if op == '+' { v + r } else { v - r };
        }
        Ok(v)
    }

    fn term(&mut self, depth: usize) -> Result<f64, String> {
        let mut v = self.factor(depth)?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.i += 1;
            let r = self.factor(depth)?;
            if op == '/' && r == 0.0 {
                return Err("division by zero".to_owned());
            }
            v = if op == '*' { v * r } else { v / r };
        }
        Ok(v)
    }

    fn factor(&mut self, depth: usize) -> Result<f64, String> {
        if depth > MAX_DEPTH {
            return Err("expression nested too deeply".to_owned());
        }
        match self.peek() {
            Some('-') => {
                self.i += 1;
                Ok(-self.factor(depth + 1)?)
            }
            Some('(') => {
                self.i += 1;
                let v = self.expr(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err("missing )".to_owned());
                }
                self.i += 1;
                Ok(v)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.i += 1;
                }
                let s: String = self.t[start..self.i].iter().collect();
                s.parse().map_err(|_| format!("bad number {s:?}"))
            }
            Some(c) => Err(format!("unexpected {c:?} at {}", self.i)),
            None => Err("unexpected end of expression".to_owned()),
        }
    }
}

/// Lists `relative` inside `sandbox` (read-only). Paths that leave the sandbox (`..`,
/// absolute paths, symlinks pointing outside) are refused.
pub async fn list_directory(sandbox: &Path, relative: &str) -> Result<String, ToolError> {
    let root = tokio::fs::canonicalize(sandbox)
        .await
        .map_err(|e| ToolError::new(format!("the sandbox is not available: {e}")))?;
    let rel = Path::new(relative);
    if rel.is_absolute() {
        return Err("absolute paths are not allowed; give a path inside the sandbox".into());
    }
    let target = tokio::fs::canonicalize(root.join(rel))
        .await
        .map_err(|_| ToolError::new(format!("no such directory: {relative}")))?;
    if !target.starts_with(&root) {
        return Err("that path is outside the sandbox".into());
    }
    let mut dir = tokio::fs::read_dir(&target)
        .await
        .map_err(|_| ToolError::new(format!("not a readable directory: {relative}")))?;
    let mut names = Vec::new();
    while let Ok(Some(entry)) = dir.next_entry().await {
        let mut name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().await.is_ok_and(|t| t.is_dir()) {
            name.push('/');
        }
        names.push(name);
        if names.len() >= MAX_ENTRIES {
            names.push("…".to_owned());
            break;
        }
    }
    names.sort();
    Ok(if names.is_empty() {
        "(empty)".to_owned()
    } else {
        names.join("\n")
    })
}

/// Runs `task` with the three tools; returns the final answer.
pub async fn run(client: &CodexClient, sandbox: &Path, task: &str) -> Result<TextResponse, Error> {
    let mut agent = client
        .conversation()
        .with_options(codex_backend::CallOptions::new().instructions(
            "You are a careful assistant. Use the tools when they help; never guess the time.",
        ))
        .max_tool_iterations(8)
        .tool_timeout(Duration::from_secs(10));
    agent.register_function(
        "current_time",
        "The current date and time in UTC (RFC 3339).",
        json!({"type": "object", "properties": {}, "additionalProperties": false}),
        |_args: Value| async { Ok::<_, ToolError>(current_time()) },
    );
    agent.register_function(
        "calculate",
        "Evaluates an arithmetic expression with + - * / and parentheses.",
        json!({
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
            "additionalProperties": false
        }),
        |args: Value| async move {
            let expr = args
                .get("expression")
                .and_then(Value::as_str)
                .ok_or("expression must be a string")?;
            calculate(expr)
                .map(|v| v.to_string())
                .map_err(ToolError::from)
        },
    );
    let root: PathBuf = sandbox.to_path_buf();
    agent.register_function(
        "list_directory",
        "Lists the files of a folder inside the sandbox (read-only). `path` is relative to the sandbox; use \".\" for its root.",
        json!({
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
            "additionalProperties": false
        }),
        move |args: Value| {
            let root = root.clone();
            async move {
                let path = args.get("path").and_then(Value::as_str).unwrap_or(".").to_owned();
                list_directory(&root, &path).await
            }
        },
    );
    let reply = agent.run(task).await?;
    println!("{}", reply.text);
    Ok(reply)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let sandbox = PathBuf::from(args.next().unwrap_or_else(|| ".".to_owned()));
    let task = args.next().unwrap_or_else(|| {
        "What time is it, what is (17 + 25) * 3, and which files are in the sandbox root?"
            .to_owned()
    });
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client, &sandbox, &task).await?;
    Ok(())
}
