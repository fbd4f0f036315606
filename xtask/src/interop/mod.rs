//! `cargo xtask interop`: real third-party clients against codex-mock (docs/mock.md).
//!
//! Installs the official Codex CLI from npm (0.169.0 and the newest release) and the Python SDK
//! `codex-backend-sdk` from PyPI (0.1.1 and the newest release) under `target/interop/`, then
//! re-runs itself inside a private network namespace (`unshare -n`, loopback up) so that no
//! client can reach anything but the mock, and runs each scenario against a fresh `codex-mock`
//! over HTTPS (every client trusts the mock's test CA). The official CLI's scenarios run twice:
//! over WebSocket, and with the upgrade answered 426 (its HTTPS fallback). Prints a table and
//! fails when any scenario fails. Not part of `.ci/run`: it downloads ~900 MB.
//!
//! This file parses the options and re-runs the command inside the namespace; `install.rs`
//! fetches the clients, `harness.rs` runs the mock and a client, `scenarios.rs` holds what each
//! client must do and prints the table. `interop_driver.py` is the Python SDK's side.

use std::path::PathBuf;
use std::process::Command;

use crate::cargo;
use crate::root;
use crate::run;

mod harness;
mod install;
mod scenarios;

use install::install;
use scenarios::inside;

const USAGE: &str = "usage: cargo xtask interop [--no-install] [--no-netns] [--only TEXT]

  --no-install  use what is already under target/interop (no npm/pip)
  --no-netns    run without a private network namespace (only when unshare -n is unavailable;
                the third-party clients can then reach the network)
  --only TEXT   run only the scenarios whose client or name contains TEXT";

/// npm versions of `@openai/codex` and PyPI versions of `codex-backend-sdk`.
const CLI_VERSIONS: &[&str] = &["0.169.0", "latest"];
const SDK_VERSIONS: &[&str] = &["0.1.1", "latest"];
/// The turn route, over `POST` and as the WebSocket upgrade's path.
const RESPONSES: &str = "/backend-api/codex/responses";
/// The request log's method for a WebSocket frame (`codex_mock::WS_FRAME_METHOD`).
const WS_FRAME: &str = "WS";

fn dir() -> PathBuf {
    root().join("target").join("interop")
}

fn bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("debug").join(name)
}

fn codex_cli(version: &str) -> PathBuf {
    dir()
        .join(format!("npm-{version}"))
        .join("node_modules/.bin/codex")
}

fn python(version: &str) -> PathBuf {
    dir().join(format!("venv-{version}")).join("bin/python")
}

/// Options of one run.
struct Opts {
    install: bool,
    netns: bool,
    inside: bool,
    only: Option<String>,
}

pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let mut o = Opts {
        install: true,
        netns: true,
        inside: false,
        only: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-install" => o.install = false,
            "--no-netns" => o.netns = false,
            "--inside-netns" => o.inside = true,
            "--only" => o.only = Some(it.next().ok_or("--only needs a value")?.clone()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown interop argument {other}\n{USAGE}")),
        }
    }
    if o.inside {
        return inside(&o);
    }
    let mut c = cargo();
    c.args(["build", "-p", "codex-mock", "-p", "codex-backend-cli"]);
    run(c)?;
    std::fs::create_dir_all(dir()).map_err(|e| format!("{}: {e}", dir().display()))?;
    if o.install {
        install()?;
    }
    let driver = dir().join("interop_driver.py");
    std::fs::write(&driver, include_str!("interop_driver.py"))
        .map_err(|e| format!("{}: {e}", driver.display()))?;
    if !o.netns {
        eprintln!("interop: --no-netns: the third-party clients are NOT isolated from the network");
        return inside(&o);
    }
    let isolated = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !isolated {
        return Err(
            "unshare -n is not available here (needs root or user namespaces); \
             pass --no-netns to run the clients without network isolation"
                .into(),
        );
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut c = Command::new("unshare");
    c.arg("-n").arg(exe).args(["interop", "--inside-netns"]);
    if let Some(only) = &o.only {
        c.args(["--only", only]);
    }
    run(c)
}
