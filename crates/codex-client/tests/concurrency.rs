//! 1,000 concurrent streams through one client, over HTTP/1.1 (one connection each) and over
//! HTTP/2 with TLS (multiplexed), all complete.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_client::RequestOptions;
use common::env_with;
use common::request;

const STREAMS: usize = 1000;

/// HTTP/1.1: opens every stream first (1,000 connections, all heads received, none read
/// yet), then reads them all concurrently.
async fn run_h1() {
    let env = env_with(false, |b| b.idle_timeout(Duration::from_secs(60))).await;
    let req = request("hi");
    // Phase 1: open every stream.
    let mut opening = Vec::with_capacity(STREAMS);
    for i in 0..STREAMS {
        let client = env.client.clone();
        let req = req.clone();
        opening.push(tokio::spawn(async move {
            let opts = RequestOptions::builder()
                .conversation_id(format!("00000000-0000-4000-8000-{i:012}"))
                .build();
            client.responses().stream(&req, &opts).await
        }));
    }
    let mut streams = Vec::with_capacity(STREAMS);
    for h in opening {
        streams.push(h.await.unwrap().unwrap());
    }
    assert_eq!(env.client.active_requests(), STREAMS);
    // Phase 2: read them all concurrently.
    let mut reading = Vec::with_capacity(STREAMS);
    for s in streams {
        reading.push(tokio::spawn(s.collect_text()));
    }
    for h in reading {
        let out = h.await.unwrap().unwrap();
        assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
        assert!(out.usage.is_some());
    }
    check(&env);
}

fn check(env: &common::Env) {
    assert_eq!(env.client.active_requests(), 0);
    let reqs = env.mock.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), STREAMS);
    let mut ids: Vec<_> = reqs
        .iter()
        .map(|r| r.header("session-id").unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), STREAMS);
}

/// HTTP/2 over TLS: 1,000 tasks each open and read one stream, multiplexed over the pooled
/// connection (the server bounds concurrent h2 streams, so unread streams cannot all be held
/// open at once as in the HTTP/1.1 test).
async fn run_h2() {
    let env = env_with(true, |b| b.idle_timeout(Duration::from_secs(60))).await;
    let req = request("hi");
    let mut tasks = Vec::with_capacity(STREAMS);
    for i in 0..STREAMS {
        let client = env.client.clone();
        let req = req.clone();
        tasks.push(tokio::spawn(async move {
            let opts = RequestOptions::builder()
                .conversation_id(format!("00000000-0000-4000-8000-{i:012}"))
                .build();
            client
                .responses()
                .stream(&req, &opts)
                .await?
                .collect_text()
                .await
        }));
    }
    for h in tasks {
        let out = h.await.unwrap().unwrap();
        assert_eq!(out.text, codex_mock::DEFAULT_TEXT);
    }
    check(&env);
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
