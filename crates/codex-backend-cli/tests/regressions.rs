//! Regression tests for bugs found in review: non-UTF-8 arguments, `--json` detection on
//! usage errors, `--codex-home` / `CODEX_HOME` validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ffi::OsStr;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use std::process::Stdio;

use common::Run;
use common::TempDir;
use common::bin;
use common::run;
use common::run_with;

/// Runs the binary with raw (possibly non-UTF-8) arguments and a clean environment.
fn run_os(args: &[OsString]) -> Run {
    let out = Command::new(bin())
        .args(args)
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_BASE_URL")
        .env_remove("CODEX_API_BASE_URL")
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn os(s: &str) -> OsString {
    s.into()
}

fn bad_utf8() -> OsString {
    OsStr::from_bytes(b"caf\xe9 \xff\xfe").to_owned()
}

fn assert_one_usage_line(r: &Run) {
    r.expect_code(2);
    assert!(r.stdout.is_empty(), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.starts_with("error: "), "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

#[test]
fn non_utf8_arguments_are_usage_errors_not_panics() {
    // As the prompt (a String argument).
    let r = run_os(&[os("ask"), bad_utf8()]);
    assert_one_usage_line(&r);
    // As an unknown argument, and with --json.
    let r = run_os(&[os("status"), bad_utf8()]);
    assert_one_usage_line(&r);
    let r = run_os(&[os("--json"), os("ask"), bad_utf8()]);
    r.expect_code(2);
    assert_eq!(r.json_error()["kind"], "usage", "{r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");
    // As a path that does not exist: still one clear line.
    let mut home = OsString::from("/definitely/missing-");
    home.push(bad_utf8());
    let r = run_os(&[os("--codex-home"), home, os("status")]);
    assert_one_usage_line(&r);
}

#[test]
fn a_literal_json_argument_does_not_switch_usage_errors_to_json() {
    for args in [
        // The prompt is literally `--json` (after `--`).
        vec!["ask", "--reasoning", "huge", "--", "--json"],
        vec!["ask", "--bogus", "--", "--json"],
        // `--json` as the value of an option.
        vec!["ask", "hi", "--instructions", "--json", "--bogus"],
        vec!["--model", "--json", "ask"],
    ] {
        let r = run(&args);
        assert_one_usage_line(&r);
    }
    // A real `--json`, before or after the command name, still gives the JSON error.
    for args in [
        vec!["--json", "ask", "hi", "--bogus"],
        vec!["ask", "--json", "hi", "--bogus"],
        vec!["ask", "hi", "--bogus", "--json", "--", "x"],
        vec!["--json"],
    ] {
        let r = run(&args);
        r.expect_code(2);
        assert_eq!(r.json_error()["kind"], "usage", "{args:?}: {r:?}");
    }
}

#[test]
fn codex_home_must_be_an_existing_folder() {
    let dir = TempDir::new();
    let missing = dir.path().join("typo-home");
    let missing_s = missing.to_str().unwrap();
    for cmd in ["status", "logout", "login"] {
        // The option...
        let r = run(&["--codex-home", missing_s, cmd]);
        assert_one_usage_line(&r);
        assert!(r.stderr.contains(missing_s), "{cmd}: {r:?}");
        // ... and the environment variable.
        let r = run_with(&[cmd], &[("CODEX_HOME", missing_s)], "");
        assert_one_usage_line(&r);
        assert!(r.stderr.contains(missing_s), "{cmd}: {r:?}");
        assert!(!missing.exists(), "{cmd} created the mistyped home");
    }
    let r = run(&["--json", "--codex-home", missing_s, "status"]);
    r.expect_code(2);
    let err = r.json_error();
    assert_eq!(err["kind"], "usage");
    assert!(err["message"].as_str().unwrap().contains(missing_s));
    // A file is not a folder.
    let file = dir.write("file", "x");
    let r = run(&["--codex-home", &file, "status"]);
    assert_one_usage_line(&r);
    assert!(r.stderr.contains("not a directory"), "{r:?}");
    // An existing folder works (logged out: status exits 0).
    let r = run(&["--json", "--codex-home", dir.str(), "status"]);
    r.expect_code(0);
    assert_eq!(r.json_doc()["logged_in"], false);
    // --mock makes its own home; a bad CODEX_HOME does not get in its way.
    let r = run_with(&["--mock", "status"], &[("CODEX_HOME", missing_s)], "");
    r.expect_code(0);
}
