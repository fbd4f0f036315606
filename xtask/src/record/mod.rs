//! `cargo xtask record`: capture real traffic into scrubbed fixtures.
//!
//! The login is read from `$CODEX_HOME/auth.json` (default `~/.codex/auth.json`): only
//! `tokens.access_token`, `tokens.account_id` (and, for scrubbing, the other token strings)
//! are read, with serde_json, so this tool does not depend on the `codex-auth` crate's API.
//! It never refreshes: log in with the Codex CLI (or the SDK) first if the token expired.
//!
//! This file is the command and the loop over the cases; `login.rs` reads the login,
//! `cases.rs` holds the requests, `capture.rs` sends one and reads the answer, and
//! `fixtures.rs` scrubs it and writes the files.

use std::path::Path;
use std::path::PathBuf;

use codex_mock::scrub::Secret;

mod capture;
mod cases;
mod fixtures;
mod login;
#[cfg(test)]
mod tests;

pub use cases::CASES;
pub use login::Login;
pub use login::default_codex_home;

use cases::Case;
use cases::case;
use cases::check_base_url;

/// The default backend.
pub const DEFAULT_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";
/// The `client_version` and `version` header sent.
pub const CLIENT_VERSION: &str = "0.99.0";

/// What one case produced.
#[derive(Debug)]
pub struct Recorded {
    /// Case name.
    pub case: String,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Record `cases` (all when empty) from `base_url` into `out`.
pub async fn record(
    base_url: &str,
    out: &Path,
    cases: &[String],
    login: &Login,
) -> Result<Vec<Recorded>, String> {
    let base = base_url.trim_end_matches('/');
    check_base_url(base)?;
    let names: Vec<String> = if cases.is_empty() {
        CASES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        cases.to_vec()
    };
    let mut plan = Vec::new();
    for n in &names {
        plan.push(
            case(n, base)
                .ok_or_else(|| format!("unknown case {n} (known: {})", CASES.join(", ")))?,
        );
    }
    // The SDK's own HTTP stack: the same TLS, proxy and extra-CA settings as the client.
    let client = codex_auth::net::Connector::builder()
        .build()
        .map_err(|e| format!("network setup: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let secrets = login.secrets();
    let mut done = Vec::new();
    let mut errors = Vec::new();
    for c in plan {
        match record_one(&client, &c, out, login, &secrets).await {
            Ok(files) => {
                eprintln!("recorded {} ({} files)", c.name, files.len());
                done.push(Recorded {
                    case: c.name.to_owned(),
                    files,
                });
            }
            Err(e) => {
                eprintln!("case {} failed: {e}", c.name);
                errors.push(format!("{}: {e}", c.name));
            }
        }
    }
    if errors.is_empty() {
        Ok(done)
    } else {
        Err(format!(
            "{} case(s) failed: {}",
            errors.len(),
            errors.join("; ")
        ))
    }
}

async fn record_one(
    client: &codex_auth::net::Connector,
    c: &Case,
    out: &Path,
    login: &Login,
    secrets: &[Secret],
) -> Result<Vec<PathBuf>, String> {
    let body_bytes = match &c.body {
        Some(b) => serde_json::to_vec(b).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let captured = capture::send(client, c, login, &body_bytes).await?;
    fixtures::write_fixtures(c, out, secrets, &body_bytes, captured)
}

/// `cargo xtask record ...`.
pub fn main(args: &[String]) -> Result<(), String> {
    let mut base = DEFAULT_BASE_URL.to_owned();
    let mut out = crate::root().join("crates/codex-mock/fixtures/recorded");
    let mut cases = Vec::new();
    let mut home = default_codex_home();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--base-url" => base = val()?,
            "--out" => out = PathBuf::from(val()?),
            "--case" => cases.push(val()?),
            "--codex-home" => home = PathBuf::from(val()?),
            other => return Err(format!("unknown record argument {other}")),
        }
    }
    let login = Login::load(&home)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let done = rt.block_on(record(&base, &out, &cases, &login))?;
    for r in done {
        eprintln!("{}:", r.case);
        for f in r.files {
            println!("{}", f.display());
        }
    }
    Ok(())
}
