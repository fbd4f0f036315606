//! Issue 13, "Memory is flat": the CLI binary streams a 200 MB answer with a peak resident
//! set under 32 MiB. The peak is the child's own high-water mark (`VmHWM` in
//! `/proc/<pid>/status`), polled while it runs; the last reading before it exits counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use codex_mock::Reply;

/// `VmHWM` of `pid` in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

// SSE only: its 200 MB done events are skipped over SSE but end the turn over WebSocket (docs/client.md, Known gaps).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_answer_streams_in_under_32_mib() {
    if peak_rss(std::process::id()).is_none() {
        eprintln!("no /proc/<pid>/status VmHWM: skipping the memory measurement");
        return;
    }
    let (server, home) = common::logged_in_mock().await;
    // 3200 deltas of 65 538 bytes: 209 million bytes of text, then the done events that
    // repeat it (each far over the SSE event limit) and response.completed.
    const DELTAS: u64 = 3200;
    const REPEATS: usize = 10_923;
    let text_bytes = DELTAS * (REPEATS as u64) * 6;
    assert!(text_bytes > 200_000_000);
    server.push_response(Reply::many_deltas_of(DELTAS, REPEATS));
    let cmd = common::command_against(&server, &home, &["ask", "write a lot"]);
    let mut child = common::spawn(cmd, Stdio::null());
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    // Drain stdout on a thread (counting bytes) while this one polls the peak.
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut n = 0u64;
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => return n,
                Ok(k) => n += k as u64,
            }
        }
    });
    let started = Instant::now();
    let mut peak = 0u64;
    let status = loop {
        if let Some(p) = peak_rss(pid) {
            peak = peak.max(p);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the CLI did not finish a 200 MB answer in 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let printed = reader.join().unwrap();
    let stderr = String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
    eprintln!(
        "printed {printed} bytes in {:?}; peak RSS {peak} bytes ({} MiB)",
        started.elapsed(),
        peak >> 20
    );
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(
        printed >= text_bytes,
        "printed only {printed} of {text_bytes} bytes"
    );
    assert!(peak > 0, "no RSS reading");
    assert!(
        peak < 32 * 1024 * 1024,
        "peak RSS {peak} bytes ({} MiB) on a {text_bytes}-byte answer",
        peak >> 20
    );
}
