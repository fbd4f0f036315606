//! The life of a `/responses` turn over HTTP SSE and over WebSocket (`both_transports!`): idle
//! timeout, total deadline, abort (one stream, all of a client's, before the head), dropping a
//! stream; and the SSE-only waits (keep-alive comments, a body kept open, a silent head).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::Instant;

use codex_client::AbortHandle;
use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::Reply;
use codex_mock::events::to_sse_bytes;
use codex_test_support::both_transports;
use codex_types::ResponseEvent;
use common::CONVERSATION;
use common::conv;
use common::drain;
use common::env_over;
use common::env_with;
use common::request;
use futures_util::StreamExt;

async fn idle_timeout_fires_on_a_stall(t: Transport) {
    let env = env_with(false, |b| {
        b.transport(t).idle_timeout(Duration::from_millis(300))
    })
    .await;
    env.mock.push_response(Reply::stall(Duration::from_secs(5)));
    let started = Instant::now();
    let s = env.start(&request("q")).await;
    let (events, err) = drain(s).await;
    assert_eq!(events.len(), 1);
    assert_eq!(err.unwrap().kind(), ErrorKind::IdleTimeout);
    assert!(started.elapsed() < Duration::from_secs(3));
}

both_transports!(idle_timeout_fires_on_a_stall);

/// SSE only: keep-alive comments are SSE framing; over WebSocket pings do this job (websocket.rs `pings_reset_the_idle_timer`).
#[tokio::test]
async fn keep_alives_reset_the_idle_timer() {
    // 8 keep-alives 250 ms apart: 2 s of silence apart from comments, twice the idle timeout.
    let env = env_with(false, |b| {
        b.transport(Transport::Sse)
            .idle_timeout(Duration::from_secs(1))
    })
    .await;
    env.mock
        .push_response(Reply::keep_alive(8, Duration::from_millis(250)));
    let out = env.turn(&request("q")).await;
    assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
}

async fn total_deadline_stops_a_slow_stream(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::stall(Duration::from_secs(5)));
    let opts = RequestOptions::builder()
        .timeout(Duration::from_millis(300))
        .build();
    let s = env
        .client
        .responses()
        .stream(&request("q"), &opts)
        .await
        .unwrap();
    let (_, err) = drain(s).await;
    assert_eq!(err.unwrap().kind(), ErrorKind::Timeout);
}

both_transports!(total_deadline_stops_a_slow_stream);

async fn abort_handle_stops_a_running_stream(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::drip(
        "abcdefghijklmnopqrstuvwxyz",
        Duration::from_millis(50),
    ));
    let handle = AbortHandle::new();
    handle.abort(); // nothing runs: a no-op
    let opts = RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .abort_handle(handle.clone())
        .build();
    let mut s = env
        .client
        .responses()
        .stream(&request("q"), &opts)
        .await
        .unwrap();
    assert_eq!(handle.active(), 1);
    let mut got_text = false;
    let mut aborted = None;
    while let Some(item) = s.next().await {
        match item {
            Ok(ResponseEvent::OutputTextDelta(_)) if !got_text => {
                got_text = true;
                let h = handle.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(120)).await;
                    h.abort();
                });
            }
            Ok(_) => {}
            Err(e) => aborted = Some(e),
        }
    }
    let err = aborted.unwrap();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    let partial = err.partial_text().unwrap();
    assert!(!partial.is_empty() && partial.len() < 26, "{partial:?}");
    assert_eq!(s.received_text(), partial);
    drop(s);
    assert_eq!(handle.active(), 0);
}

both_transports!(abort_handle_stops_a_running_stream);

async fn abort_all_stops_every_stream_of_the_client(t: Transport) {
    let env = env_over(t).await;
    for _ in 0..3 {
        env.mock.push_response(Reply::drip(
            "slow slow slow slow",
            Duration::from_millis(100),
        ));
    }
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(env.start(&request("q")).await);
    }
    assert_eq!(env.client.active_requests(), 3);
    let c = env.client.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.abort_all();
    });
    for s in streams {
        let err = s.collect_text().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Aborted);
    }
    assert_eq!(env.client.active_requests(), 0);
}

both_transports!(abort_all_stops_every_stream_of_the_client);

async fn dropping_a_stream_releases_it(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::drip(
        "a long dripping answer",
        Duration::from_millis(50),
    ));
    let mut s = env.start(&request("q")).await;
    let _ = s.next().await;
    assert_eq!(env.client.active_requests(), 1);
    drop(s);
    assert_eq!(env.client.active_requests(), 0);
}

both_transports!(dropping_a_stream_releases_it);

async fn abort_while_waiting_for_the_response_head(t: Transport) {
    let (url, _server) = common::silent_server().await;
    let client = codex_client::Client::builder()
        .transport(t)
        .base_url(url)
        .proxy(None)
        .build()
        .unwrap();
    let handle = AbortHandle::new();
    let opts = RequestOptions::builder()
        .abort_handle(handle.clone())
        .build();
    let h = handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        h.abort();
    });
    let started = Instant::now();
    let err = client
        .responses()
        .stream(&request("q"), &opts)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(client.active_requests(), 0);
}

both_transports!(abort_while_waiting_for_the_response_head);

/// A server that sends `response.completed` and then keeps the connection open (never ends
/// the body) must not make the caller wait.
/// SSE only: a hand-written HTTP server that keeps the `POST` body open; a WebSocket always stays open after `response.completed` (every reused-connection test in websocket.rs).
#[tokio::test]
async fn completed_ends_the_stream_even_if_the_server_keeps_the_connection_open() {
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = Vec::new();
        // Read the request head and its content-length body.
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let events = to_sse_bytes(&codex_mock::text_events("r1", "m1", "done early"));
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(format!("{:x}\r\n", events.len()).as_bytes())
            .await
            .unwrap();
        sock.write_all(&events).await.unwrap();
        sock.write_all(b"\r\n").await.unwrap();
        // Keep the connection open without ending the body.
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let client = codex_client::Client::builder()
        .transport(Transport::Sse)
        .base_url(format!("http://127.0.0.1:{port}/backend-api/codex"))
        .proxy(None)
        .idle_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        client
            .responses()
            .stream(&request("q"), &conv())
            .await
            .unwrap()
            .collect_text(),
    )
    .await
    .expect("the stream ended right after response.completed")
    .unwrap();
    assert_eq!(out.text, "done early");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// SSE only: the wait for an HTTP response head; the WebSocket upgrade is bounded by the connect timeout (websocket.rs `a_silent_upgrade_is_bounded_by_the_connect_timeout`).
#[tokio::test]
async fn idle_timeout_bounds_the_wait_for_the_response_head() {
    let (url, _server) = common::silent_server().await;
    let client = codex_client::Client::builder()
        .transport(Transport::Sse)
        .base_url(url)
        .proxy(None)
        .idle_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = common::refused(&client, &request("q")).await;
    assert_eq!(err.kind(), ErrorKind::IdleTimeout);
}
