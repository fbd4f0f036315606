//! 1,000 concurrent streams through one client, over HTTP/1.1 (one connection each) and over
//! HTTP/2 with TLS (multiplexed), all complete.
//!
//! The HTTP/1.1 test holds 1,000 connections at both ends in this one process (over 2,000
//! file descriptors). Where the soft `RLIMIT_NOFILE` is lower (1,024 is a common default), it
//! is raised towards the hard limit; if the hard limit is too low as well, the test runs with
//! as many streams as fit and says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// `getrlimit`/`setrlimit` are FFI calls; see the SAFETY notes.
#![allow(unsafe_code)]

mod common;

use std::time::Duration;

use codex_client::Client;
use codex_client::RequestOptions;
use codex_types::ResponsesRequest;
use common::env_with;
use common::request;
use tokio::task::JoinHandle;

const STREAMS: usize = 1000;
/// File descriptors besides the two per HTTP/1.1 stream (the h2 test, the runtime, stdio,
/// the test harness, the mock's listener), with room to spare.
const FD_OVERHEAD: u64 = 256;

/// The open-file limit after trying to raise it to what `want` needs: `None` when it cannot
/// be read (then enough is assumed).
#[cfg(unix)]
// `rlim_t` is `u64` on Linux but not on every unix.
#[allow(clippy::useless_conversion)]
fn raise_nofile(want: u64) -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable `rlimit` for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    let soft = u64::try_from(lim.rlim_cur).unwrap_or(u64::MAX);
    if soft >= want || lim.rlim_cur == libc::RLIM_INFINITY {
        return Some(soft.max(want));
    }
    let hard = u64::try_from(lim.rlim_max).unwrap_or(u64::MAX);
    let target = if lim.rlim_max == libc::RLIM_INFINITY {
        want
    } else {
        want.min(hard)
    };
    let raised = libc::rlimit {
        rlim_cur: libc::rlim_t::try_from(target).unwrap_or(lim.rlim_max),
        rlim_max: lim.rlim_max,
    };
    // SAFETY: `raised` is a valid `rlimit`; lowering or raising the soft limit within the hard
    // limit has no memory-safety effect.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        Some(target)
    } else {
        Some(soft)
    }
}

#[cfg(not(unix))]
fn raise_nofile(_want: u64) -> Option<u64> {
    None
}

/// How many HTTP/1.1 streams fit: `STREAMS` normally; fewer (with a note) only when the
/// open-file limit cannot be raised far enough.
fn h1_streams() -> usize {
    let want = 2 * STREAMS as u64 + FD_OVERHEAD;
    match raise_nofile(want) {
        Some(limit) if limit < want => {
            let n = usize::try_from(limit.saturating_sub(FD_OVERHEAD) / 2).unwrap_or(0);
            let n = n.max(1);
            eprintln!(
                "note: RLIMIT_NOFILE is {limit} and cannot be raised to {want}: running {n} \
                 HTTP/1.1 streams instead of {STREAMS} (raise `ulimit -n` for the full test)"
            );
            n
        }
        _ => STREAMS,
    }
}

/// A mock (over TLS or not) and a client with a 60 s idle timeout, room for slow streams.
async fn env_for(tls: bool) -> common::Env {
    env_with(tls, |b| b.idle_timeout(Duration::from_secs(60))).await
}

/// Spawns `n` tasks; task `i` runs `f` with a clone of the client, the request "hi" and the
/// options of conversation `i` (one `session-id` per stream, which `check` counts).
fn spawn_each<T, Fut>(
    env: &common::Env,
    n: usize,
    f: impl Fn(Client, ResponsesRequest, RequestOptions) -> Fut,
) -> Vec<JoinHandle<T>>
where
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let req = request("hi");
    (0..n)
        .map(|i| {
            let opts = RequestOptions::builder()
                .conversation_id(format!("00000000-0000-4000-8000-{i:012}"))
                .build();
            tokio::spawn(f(env.client.clone(), req.clone(), opts))
        })
        .collect()
}

/// HTTP/1.1: opens every stream first (1,000 connections, all heads received, none read
/// yet), then reads them all concurrently.
async fn run_h1() {
    let streams_wanted = h1_streams();
    let env = env_for(false).await;
    // Phase 1: open every stream.
    let opening = spawn_each(&env, streams_wanted, |client, req, opts| async move {
        client.responses().stream(&req, &opts).await
    });
    let mut streams = Vec::with_capacity(streams_wanted);
    for h in opening {
        streams.push(h.await.unwrap().unwrap());
    }
    assert_eq!(env.client.active_requests(), streams_wanted);
    // Phase 2: read them all concurrently.
    let mut reading = Vec::with_capacity(streams_wanted);
    for s in streams {
        reading.push(tokio::spawn(s.collect_text()));
    }
    for h in reading {
        let out = h.await.unwrap().unwrap();
        assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
        assert!(out.usage.is_some());
    }
    check(&env, streams_wanted);
}

fn check(env: &common::Env, streams: usize) {
    assert_eq!(env.client.active_requests(), 0);
    let reqs = env.mock.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), streams);
    let mut ids: Vec<_> = reqs
        .iter()
        .map(|r| r.header("session-id").unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), streams);
}

/// HTTP/2 over TLS: 1,000 tasks each open and read one stream, multiplexed over the pooled
/// connection (the server bounds concurrent h2 streams, so unread streams cannot all be held
/// open at once as in the HTTP/1.1 test).
async fn run_h2() {
    let env = env_for(true).await;
    let tasks = spawn_each(&env, STREAMS, |client, req, opts| async move {
        common::collect(&client, &req, &opts).await
    });
    for h in tasks {
        let out = h.await.unwrap().unwrap();
        assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
    }
    check(&env, STREAMS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_streams_http1() {
    tokio::time::timeout(Duration::from_secs(120), run_h1())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_streams_h2_tls() {
    tokio::time::timeout(Duration::from_secs(120), run_h2())
        .await
        .unwrap();
}

/// 200 concurrent WebSocket turns of one conversation on one client: one response at a time
/// per connection, so the pool opens as many connections as turns run at once, and every
/// turn completes over WebSocket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_websocket_turns() {
    const TURNS: usize = 200;
    raise_nofile(4 * TURNS as u64 + FD_OVERHEAD);
    let env = env_with(false, |b| {
        b.idle_timeout(Duration::from_secs(60))
            .transport(codex_client::Transport::WebSocket)
    })
    .await;
    let run = async {
        let mut tasks = Vec::with_capacity(TURNS);
        for _ in 0..TURNS {
            let client = env.client.clone();
            tasks.push(tokio::spawn(async move {
                client
                    .responses()
                    .stream(&request("hi"), &common::conv())
                    .await?
                    .collect_text()
                    .await
            }));
        }
        for h in tasks {
            let out = h.await.unwrap().unwrap();
            assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
            assert_eq!(out.transport, codex_client::Transport::WebSocket);
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap();
    assert_eq!(env.client.active_requests(), 0);
    let creates = env
        .mock
        .websocket_frames()
        .iter()
        .filter(|f| f.json().is_some_and(|v| v["type"] == "response.create"))
        .count();
    assert_eq!(creates, TURNS);
    let upgrades = env.mock.websocket_upgrades().len();
    assert!((1..=TURNS).contains(&upgrades), "{upgrades} upgrades");
}
