//! Streams 100,000 text deltas from codex-mock over loopback through the full client
//! (hyper + SSE parser + typed decoding + completion semantics) into typed events, over HTTP
//! SSE and over WebSocket (one text frame per event, the same typed decoding).
//!
//! The mock runs in a **separate process** (`common::serve`), so the CPU time of this process
//! is the client's alone. The mock replays a pre-built body (`Reply::sse_bytes`), so it is not
//! the bottleneck.
//!
//! Reports: criterion throughput (events/s, wall clock) and, printed before it, client CPU per
//! event and events per client-CPU-second over a fixed number of streams, per transport.
//! `STREAM_BENCH_ONLY=sse` or `=websocket` runs one transport.
//!
//! Run: `cargo bench -p codex-client --bench stream`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;
use std::time::Instant;

use codex_client::Client;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::Reply;
use codex_mock::events::StreamBuilder;
use codex_mock::events::Usage;
use codex_mock::events::to_sse_bytes;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use criterion::Criterion;
use criterion::Throughput;
use futures_util::StreamExt;

const DELTAS: usize = 100_000;
/// Replies queued in the server (more than the bench ever uses).
const QUEUED: usize = 2_000;

fn body() -> Vec<u8> {
    let words = ["lorem ", "ipsum ", "dolor ", "sit ", "amet, "];
    let deltas: Vec<&str> = (0..DELTAS).map(|i| words[i % words.len()]).collect();
    let mut b = StreamBuilder::new("resp_bench", "gpt-5.4");
    b.created();
    b.message("msg_bench_0", &deltas);
    b.completed(Usage::new(10, 0, DELTAS as u64, 0));
    to_sse_bytes(&b.finish())
}

async fn one_stream(client: &Client, req: &ResponsesRequest) -> usize {
    let opts = RequestOptions::builder().track_text(false).build();
    let mut s = client.responses().stream(req, &opts).await.unwrap();
    let mut events = 0usize;
    let mut deltas = 0usize;
    while let Some(ev) = s.next().await {
        if let ResponseEvent::OutputTextDelta(_) = ev.unwrap() {
            deltas += 1;
        }
        events += 1;
    }
    assert!(s.completed());
    assert_eq!(deltas, DELTAS);
    events
}

fn main() {
    if common::is_server() {
        common::serve(
            |mock| {
                let body = bytes::Bytes::from(body());
                for _ in 0..QUEUED {
                    mock.push_response(Reply::sse_bytes(body.clone()));
                }
            },
            |_, _| String::new(),
        );
        return;
    }
    let server = common::Server::spawn();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let req = ResponsesRequest::builder("gpt-5.4")
        .push_input(ResponseItem::user_text("bench"))
        .build()
        .unwrap();
    let only = std::env::var("STREAM_BENCH_ONLY").ok();
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();
    for (name, transport, id) in [
        ("sse", Transport::Sse, "100k_text_deltas_to_typed_events"),
        (
            "websocket",
            Transport::WebSocket,
            "100k_text_deltas_to_typed_events_websocket",
        ),
    ] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let client = common::client(&server.base_url, transport);
        // Client CPU per event over a fixed run (client process only).
        let events_per_stream = rt.block_on(one_stream(&client, &req));
        let runs = 20;
        let cpu0 = common::cpu_time();
        let t0 = Instant::now();
        for _ in 0..runs {
            rt.block_on(one_stream(&client, &req));
        }
        let wall = t0.elapsed();
        let total = (events_per_stream * runs) as f64;
        println!(
            "stream/100k_deltas/{name}: {events_per_stream} events per stream, {runs} streams, wall {:.3} s, {:.0} events/s (wall)",
            wall.as_secs_f64(),
            total / wall.as_secs_f64()
        );
        if let (Some(a), Some(b)) = (cpu0, common::cpu_time()) {
            let cpu = b.saturating_sub(a);
            println!(
                "stream/100k_deltas/{name}: client CPU {:.3} s = {:.0} ns/event = {:.0} events per client-CPU-second",
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e9 / total,
                total / cpu.as_secs_f64().max(1e-9)
            );
        }
        let mut g = c.benchmark_group("stream");
        g.throughput(Throughput::Elements(events_per_stream as u64));
        g.bench_function(id, |b| {
            b.iter(|| rt.block_on(one_stream(&client, &req)));
        });
        g.finish();
    }
    c.final_summary();
    drop(server);
}
