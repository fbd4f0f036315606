//! Issue 13 regressions, through the real binary: file inputs are bounded and never block,
//! output is honest (write errors, closed pipes, terminal control sequences, text that only
//! arrives in `output_item.done`, `--json` decode edge cases), and the smaller points
//! (`--idle-timeout` limit, `--prompt-cache-key` CR/LF, `--mock` cleanup on signals).
//! The 200 MB memory test is in `memory.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use codex_mock::Reply;
use codex_mock::Route;
use codex_mock::SseEvent;
use codex_test_support::both_transports;
use common::Env;
use common::Run;
use common::TempDir;
use common::Transport;
use common::command;
use common::command_against;
use common::logged_in_mock;
use common::run_blocking;
use common::run_within;
use serde_json::Value;
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

/// Runs `args` (offline, `--mock` where a command needs a login) with a time limit.
fn run_limited(args: &[&str]) -> Run {
    run_within(command(args), LIMIT)
        .unwrap_or_else(|| panic!("{args:?} still ran after {LIMIT:?}: it blocked"))
}

fn mkfifo(path: &std::path::Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// Every file input, as (arguments before the path, file name): the path is appended.
const FILE_INPUTS: [(&[&str], &str); 7] = [
    (&["--mock", "ask", "hi", "--schema"], "schema.json"),
    (&["--mock", "ask", "hi", "--tool"], "tool.json"),
    (&["--mock", "ask", "hi", "--history"], "history.json"),
    (&["--mock", "ask", "hi", "--image"], "image.png"),
    (&["--mock", "compact"], "history.json"),
    (&["replay"], "stream.sse"),
    (&["--mock", "realtime-call", "--sdp"], "offer.sdp"),
];

#[test]
fn file_inputs_refuse_fifos_and_devices_without_blocking() {
    let dir = TempDir::new();
    for (i, (args, name)) in FILE_INPUTS.iter().enumerate() {
        let fifo = dir.path().join(format!("{i}-{name}"));
        if !mkfifo(&fifo) {
            eprintln!("mkfifo is not available: skipping the FIFO cases");
            return;
        }
        let mut all = args.to_vec();
        all.push(fifo.to_str().unwrap());
        // Nothing ever opens the FIFO for writing: reading it would block forever.
        let r = run_limited(&all);
        r.expect_code(2);
        assert!(
            r.stderr.contains("is not a regular file (it is a FIFO)"),
            "{all:?}: {r:?}"
        );
        // A device that never ends.
        let mut all = args.to_vec();
        all.push("/dev/zero");
        if !name.ends_with(".png") {
            let r = run_limited(&all);
            r.expect_code(2);
            assert!(
                r.stderr.contains("(it is a character device)"),
                "{all:?}: {r:?}"
            );
        }
    }
    // The same checks in --json mode give the usage error object.
    let fifo = dir.path().join("json-schema.json");
    assert!(mkfifo(&fifo));
    let r = run_limited(&[
        "--json",
        "--mock",
        "ask",
        "hi",
        "--schema",
        fifo.to_str().unwrap(),
    ]);
    r.expect_code(2);
    assert_eq!(r.json_error()["kind"], "usage");
}

#[test]
fn file_inputs_over_their_limit_are_usage_errors_naming_it() {
    let dir = TempDir::new();
    let limits = [
        "1 MiB", "1 MiB", "64 MiB", "20 MiB", "64 MiB", "128 MiB", "1 MiB",
    ];
    for ((args, name), limit) in FILE_INPUTS.iter().zip(limits) {
        let path = dir.path().join(name);
        let mib: u64 = limit.trim_end_matches(" MiB").parse().unwrap();
        // Sparse: one byte over the limit costs no disk.
        std::fs::File::create(&path)
            .unwrap()
            .set_len((mib << 20) + 1)
            .unwrap();
        let mut all = args.to_vec();
        all.push(path.to_str().unwrap());
        let r = run_limited(&all);
        r.expect_code(2);
        let want = format!("is larger than the limit of {limit} ({} bytes)", mib << 20);
        assert!(r.stderr.contains(&want), "{all:?}: {r:?}");
    }
}

#[test]
fn a_prompt_on_standard_input_is_bounded() {
    for (args, what) in [
        (&["--mock", "ask", "-"][..], "the prompt on standard input"),
        (&["--mock", "chat"][..], "a chat line"),
    ] {
        let Ok(zero) = std::fs::File::open("/dev/zero") else {
            eprintln!("no /dev/zero: skipping");
            return;
        };
        let child = common::spawn(command(args), zero.into());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let want = format!("{what} is larger than the limit of 16 MiB (16777216 bytes)");
        assert!(stderr.contains(&want), "{args:?}: {stderr}");
    }
}

fn dev_full() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .ok()
}

async fn stdout_write_errors_fail_the_command(t: Transport) {
    if dev_full().is_none() {
        eprintln!("no /dev/full: skipping");
        return;
    }
    let dir = TempDir::new();
    let history = dir.write(
        "h.json",
        r#"[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]"#,
    );
    for args in [
        vec!["status"],
        vec!["--json", "status"],
        vec!["compact", &history],
        vec!["--json", "compact", &history],
        vec!["ask", "hi"],
        vec!["models"],
    ] {
        let mut all = vec!["--mock", "--transport", t.arg()];
        all.extend_from_slice(&args);
        let out = command(&all)
            .stdin(Stdio::null())
            .stdout(dev_full().unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

both_transports!(stdout_write_errors_fail_the_command);

async fn a_closed_stdout_pipe_stops_the_stream_at_once(t: Transport) {
    let env = Env::over(true, t).await;
    // 400 characters, 25 ms apart: 10 s of answer.
    let text = "abcdefghij".repeat(40);
    env.server
        .push_response(Reply::drip(&text, Duration::from_millis(25)));
    let mut child = common::spawn(env.command(&["ask", "hi"]), Stdio::null());
    let mut stdout = child.stdout.take().unwrap();
    let stdout = tokio::task::spawn_blocking(move || {
        let mut first = [0u8; 1];
        stdout.read_exact(&mut first).unwrap();
        stdout
    })
    .await
    .unwrap();
    // `| head -c 1`: the reader goes away after one byte.
    drop(stdout);
    let closed = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if closed.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("the CLI kept streaming into a closed pipe");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = closed.elapsed();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(141), "{status:?}: {stderr}");
    assert!(stderr.is_empty(), "a closed pipe is silent: {stderr:?}");
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} after the pipe closed"
    );
}

both_transports!(a_closed_stdout_pipe_stops_the_stream_at_once);

/// Control sequences an attacker would send: OSC (set the title) ended by BEL, CSI (clear
/// the screen), a bare ESC, a C1 CSI and a carriage return that rewrites the line.
const HOSTILE: &str = "A\u{1b}]0;pwned\u{7}B\u{1b}[2JC\u{1b}D\u{9b}31mE\rF";

fn assert_neutralised(what: &str, s: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\r'] {
        assert!(!s.contains(c), "{what} holds a raw {c:?}: {s:?}");
    }
    assert!(s.contains("\\u{1b}]0;pwned\\u{7}B"), "{what}: {s:?}");
}

async fn terminal_control_sequences_from_the_network_are_escaped_in_human_mode(t: Transport) {
    let env = Env::over(true, t).await;
    let server = &env.server;
    let run = |args: &'static [&'static str]| run_blocking(env.command(args));
    // In the answer's deltas.
    server.push_response(Reply::drip(HOSTILE, Duration::ZERO));
    let r = run(&["ask", "hi"]).await;
    r.expect_code(0);
    assert_neutralised("the answer", &r.stdout);
    // --json keeps the exact data.
    server.push_response(Reply::drip(HOSTILE, Duration::ZERO));
    let r = run(&["--json", "ask", "hi"]).await;
    r.expect_code(0);
    let text: String = r
        .json_lines()
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, HOSTILE);
    // In a response.failed message.
    server.push_response(Reply::failed("server_error", HOSTILE));
    let r = run(&["ask", "hi"]).await;
    r.expect_code(1);
    assert_neutralised("the failure message", &r.stderr);
    // In the issuer's error_description during login.
    server.push(
        Route::DeviceUserCode,
        Reply::status(
            400,
            json!({"error": "invalid_request", "error_description": HOSTILE}),
        ),
    );
    let r = run(&["login", "--device"]).await;
    r.expect_code(1);
    assert_neutralised("the login error", &r.stderr);
}

both_transports!(terminal_control_sequences_from_the_network_are_escaped_in_human_mode);

async fn text_that_arrives_only_in_output_item_done_is_printed(t: Transport) {
    let env = Env::over(true, t).await;
    let server = &env.server;
    let ev = |kind: &str, data: Value| SseEvent::new(kind, data);
    server.push_response(Reply::events(vec![
        ev("response.created", json!({"type": "response.created", "response": {"id": "resp_1"}})),
        ev(
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": {
                "type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": "only in the done event", "annotations": []}]}}),
        ),
        ev(
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "resp_1"}}),
        ),
    ]));
    let r = run_blocking(env.command(&["ask", "hi"])).await;
    r.expect_code(0);
    assert_eq!(r.stdout, "only in the done event\n", "{r:?}");
    // With deltas, the done event does not print the text twice.
    server.push_response(Reply::text("once"));
    let r = run_blocking(env.command(&["ask", "hi"])).await;
    r.expect_code(0);
    assert_eq!(r.stdout, "once\n", "{r:?}");
}

both_transports!(text_that_arrives_only_in_output_item_done_is_printed);

async fn a_failed_answer_reports_how_much_text_arrived(t: Transport) {
    let env = Env::over(true, t).await;
    env.server.push_response(Reply::truncated());
    let r = run_blocking(env.command(&["ask", "hi"])).await;
    r.expect_code(1);
    let bytes = r.stdout.trim_end_matches('\n').len();
    assert!(bytes > 0, "{r:?}");
    let want = format!("(after {bytes} bytes of answer text)");
    assert!(r.stderr.contains(&want), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
}

both_transports!(a_failed_answer_reports_how_much_text_arrived);

// SSE only: the stream carries bytes that are not UTF-8, which a WebSocket text frame cannot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_decode_edge_cases() {
    let (server, home) = logged_in_mock().await;
    let created =
        b"data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n".as_slice();
    let bad_delta = b"data: {\"type\":\"response.output_text.delta\",\"item_id\":\"m1\",\"output_index\":0,\"content_index\":0,\"delta\":\"hi \xff there\"}\n\n".as_slice();
    let completed =
        b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n".as_slice();
    // An event whose data is not UTF-8: the decode_error line, then the stream goes on.
    server.push_response(Reply::sse_bytes([created, bad_delta, completed].concat()));
    let json_ask = || run_blocking(command_against(&server, &home, &["--json", "ask", "hi"]));
    let r = json_ask().await;
    r.expect_code(0);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert_eq!(lines[1]["type"], "codex_backend.decode_error", "{r:?}");
    assert!(
        lines[1]["message"].as_str().unwrap().contains("utf-8"),
        "{r:?}"
    );
    assert!(
        lines[1]["raw"]
            .as_str()
            .unwrap()
            .contains("hi \u{fffd} there"),
        "{r:?}"
    );
    assert_eq!(lines[2]["type"], "response.completed");
    // A data-only response.completed that cannot be decoded (not UTF-8) ends the turn with
    // `decode`, exactly as the same event with an `event:` line does.
    let bad_completed =
        b"{\"type\":\"response.completed\",\"response\":{\"id\":\"r\xff1\"}}\n\n".as_slice();
    for event_line in [b"".as_slice(), b"event: response.completed\n".as_slice()] {
        let body = [created, event_line, b"data: ", bad_completed].concat();
        server.push_response(Reply::sse_bytes(body));
        let r = json_ask().await;
        r.expect_code(1);
        assert_eq!(r.json_error()["kind"], "decode", "{r:?}");
        let lines = r.json_lines();
        assert_eq!(lines[1]["type"], "codex_backend.decode_error", "{r:?}");
    }
}

async fn idle_timeout_states_its_real_limit(t: Transport) {
    for v in ["1e30", "31536001"] {
        let r = run_limited(&["--mock", "ask", "hi", "--idle-timeout", v]);
        r.expect_code(2);
        assert!(
            r.stderr.contains("at most 31536000 seconds (365 days)"),
            "{v}: {r:?}"
        );
    }
    let r = run_limited(&["--mock", "ask", "hi", "--idle-timeout", "0"]);
    r.expect_code(2);
    assert!(r.stderr.contains("must be more than 0 seconds"), "{r:?}");
    let r = run_limited(&[
        "--mock",
        "--transport",
        t.arg(),
        "ask",
        "hi",
        "--idle-timeout",
        "31536000",
    ]);
    r.expect_code(0);
}

both_transports!(idle_timeout_states_its_real_limit);

#[test]
fn a_control_character_in_the_prompt_cache_key_is_a_usage_error() {
    for key in ["a\r\nb", "a\nb", "a\u{7f}"] {
        let r = run_limited(&["--mock", "ask", "hi", "--prompt-cache-key", key]);
        r.expect_code(2);
        assert!(
            r.stderr
                .contains("--prompt-cache-key must be printable ASCII"),
            "{r:?}"
        );
        let r = run_limited(&["--json", "--mock", "chat", "--prompt-cache-key", key]);
        r.expect_code(2);
        assert_eq!(r.json_error()["kind"], "usage");
    }
}

/// The throwaway homes `--mock` made under `tmp`.
fn mock_homes(tmp: &TempDir) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("codex-backend-mock-"))
        })
        .collect()
}

#[test]
fn mock_cleans_up_its_home_when_a_signal_ends_it() {
    // SIGTERM and SIGHUP end the command as `aborted` (exit 1, docs/cli.md), never the
    // process outright, so the home is dropped.
    for (signal, code) in [("TERM", 1), ("HUP", 1)] {
        let tmp = TempDir::new();
        // `chat` waits on its (open, silent) stdin.
        let mut child = command(&["--mock", "chat"])
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kept open until the end (`Child::wait` would close it: end of input ends a chat).
        let _stdin = child.stdin.take();
        let started = Instant::now();
        while mock_homes(&tmp)
            .iter()
            .all(|h| !h.join("auth.json").exists())
        {
            assert!(started.elapsed() < LIMIT, "no mock home appeared");
            std::thread::sleep(Duration::from_millis(20));
        }
        // The fake login is written; let the command reach its prompt.
        std::thread::sleep(Duration::from_millis(300));
        common::send_signal(child.id(), signal);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}: {status:?}");
        assert!(
            mock_homes(&tmp).is_empty(),
            "SIG{signal} left {:?}",
            mock_homes(&tmp)
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn mock_removes_homes_that_killed_runs_left_behind() {
    let tmp = TempDir::new();
    // A home from a process that no longer exists (above any pid_max), and one of a live
    // process (this test), which must be kept.
    let stale = tmp.path().join("codex-backend-mock-99999999-1-0");
    let live = tmp
        .path()
        .join(format!("codex-backend-mock-{}-1-0", std::process::id()));
    for home in [&stale, &live] {
        std::fs::create_dir(home).unwrap();
        std::fs::write(home.join("auth.json"), "{}").unwrap();
    }
    let mut cmd = command(&["--mock", "status"]);
    cmd.env("TMPDIR", tmp.path());
    run_within(cmd, LIMIT).unwrap().expect_code(0);
    assert!(!stale.exists(), "the stale home was kept");
    assert!(live.exists(), "a live process's home was removed");
    assert_eq!(mock_homes(&tmp), vec![live]);
}
