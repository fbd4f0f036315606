//! Project automation: `cargo xtask ci|bench|fuzz|record`.
//!
//! - `ci`: exactly what `.ci/run` does (fmt check, `cargo deny check bans licenses sources`,
//!   clippy `-D warnings` on all targets, `cargo test --workspace`, `cargo package
//!   --no-verify` of the publishable crates, rustdoc with `-D warnings`, `doc-links`).
//! - `bench [-p PKG] [ARGS...]`: `cargo bench` for the workspace or one package.
//! - `fuzz [--seconds N] [--target NAME]`: `cargo fuzz run` inside `fuzz/` (installs
//!   cargo-fuzz if missing; nightly features through `RUSTC_BOOTSTRAP=1`).
//! - `record [--base-url URL] [--out DIR] [--case NAME]... [--codex-home DIR]`: send the named
//!   request set to the backend with the stored login and write scrubbed fixtures. See
//!   `docs/fixtures.md`.
//! - `doc-links [--no-build]`: `cargo doc --workspace --no-deps`, then fails on any intra-doc
//!   link left unresolved (as literal `[text]`) in the facade's rendered pages, where the
//!   layers' docs are inlined (see `doc_links.rs`).
//! - `interop [--no-install] [--no-netns] [--only TEXT]`: the official Codex CLI and the Python
//!   SDK against codex-mock, in a private network namespace; prints a table. See `docs/mock.md`.

mod doc_links;
mod interop;
mod record;

use std::path::PathBuf;
use std::process::Command;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci                        fmt check, cargo deny, clippy -D warnings, tests, cargo package --no-verify,
                            rustdoc -D warnings (= .ci/run)
  bench [-p PKG] [ARGS...]  cargo bench (workspace, or one package)
  fuzz [--seconds N] [--target NAME]
                            run a cargo-fuzz target in fuzz/ (default sse_parser, 60 s)
  record [--base-url URL] [--out DIR] [--case NAME]... [--codex-home DIR]
                            record fixtures from the backend (default https://chatgpt.com/backend-api/codex)
                            cases: text tool_call reasoning_summary structured_output image compact models usage
  doc-links [--no-build]    cargo doc --workspace --no-deps, then fail on unresolved links in the
                            facade's rendered docs (re-exported items included)
  interop [--no-install] [--no-netns] [--only TEXT]
                            official Codex CLI + Python SDK (npm/PyPI, cached in target/interop) against
                            codex-mock inside unshare -n; prints a table, fails on any failure";

fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(mut cmd: Command) -> Result<(), String> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn ci() -> Result<(), String> {
    eprintln!("== fmt");
    let mut c = cargo();
    c.args(["fmt", "--all", "--", "--check"]);
    run(c)?;
    eprintln!("== deny");
    if Command::new("cargo-deny")
        .arg("--version")
        .output()
        .is_err()
    {
        let mut c = cargo();
        c.args(["install", "--locked", "cargo-deny"]);
        run(c)?;
    }
    let mut c = cargo();
    c.args(["deny", "check", "bans", "licenses", "sources"]);
    run(c)?;
    eprintln!("== clippy");
    let mut c = cargo();
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(c)?;
    eprintln!("== test");
    let mut c = cargo();
    c.args(["test", "--workspace"]);
    run(c)?;
    eprintln!("== package");
    let mut c = cargo();
    c.args([
        "package",
        "--workspace",
        "--exclude",
        "codex-test-support",
        "--exclude",
        "xtask",
        "--offline",
        "--no-verify",
        "--allow-dirty",
    ]);
    run(c)?;
    eprintln!("== doc");
    let mut c = cargo();
    c.args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run(c)?;
    eprintln!("== doc links");
    doc_links::main(&["--no-build".to_owned()])?;
    eprintln!("== ci ok");
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut c = cargo();
    c.arg("bench");
    if !args.iter().any(|a| a == "-p" || a.starts_with("--package")) {
        c.arg("--workspace");
    }
    c.args(args);
    run(c)
}

fn fuzz(args: &[String]) -> Result<(), String> {
    let mut seconds = 60u64;
    let mut target = "sse_parser".to_owned();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a value")?;
                seconds = v.parse().map_err(|_| format!("bad --seconds {v}"))?;
            }
            "--target" => target = it.next().ok_or("--target needs a value")?.clone(),
            other => return Err(format!("unknown fuzz argument {other}")),
        }
    }
    let fuzz_dir = root().join("fuzz");
    if !fuzz_dir.join("Cargo.toml").exists() {
        return Err(format!("{} has no Cargo.toml", fuzz_dir.display()));
    }
    let has_fuzz = cargo()
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_fuzz {
        let mut c = cargo();
        c.args(["install", "cargo-fuzz", "--locked"]);
        run(c)?;
    }
    let mut c = cargo();
    c.current_dir(&fuzz_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", &target, "--"])
        .arg(format!("-max_total_time={seconds}"));
    run(c)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "ci" => ci(),
        "bench" => bench(rest),
        "fuzz" => fuzz(rest),
        "record" => record::main(rest),
        "interop" => interop::main(rest),
        "doc-links" => doc_links::main(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
