//! Streams 100,000 text deltas from codex-mock over loopback through the full client
//! (hyper + SSE parser + typed decoding + completion semantics) into typed events, over HTTP
//! SSE and over WebSocket (one text frame per event, the same typed decoding).
//!
//! The mock runs in a **separate process** (`common::serve`), so the CPU time of this process
//! is the client's alone. The mock replays a pre-built body (`Reply::sse_bytes`), so it is not
//! the bottleneck.
//!
//! Reports: criterion throughput (events/s, wall clock) and, printed before it, client CPU per
//! event and events per client-CPU-second over a fixed number of streams, per transport. In
//! that fixed run the two transports take turns stream by stream, and the WebSocket/SSE
//! ratios are printed: on a shared host whose speed swings within a minute, the ratio is the
//! steady figure. `STREAM_BENCH_ONLY=sse` or `=websocket` runs one transport.
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

/// One transport's share of the fixed run.
#[derive(Default)]
struct Fixed {
    events: usize,
    wall: Duration,
    cpu: Option<Duration>,
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
    let transports = [
        ("sse", Transport::Sse, "100k_text_deltas_to_typed_events"),
        (
            "websocket",
            Transport::WebSocket,
            "100k_text_deltas_to_typed_events_websocket",
        ),
    ];
    let selected: Vec<_> = transports
        .into_iter()
        .filter(|(name, ..)| only.as_deref().is_none_or(|o| o == *name))
        .map(|(name, transport, id)| (name, id, common::client(&server.base_url, transport)))
        .collect();
    // The fixed run: the selected transports take turns stream by stream, so that with both
    // selected each sees the same machine (steal and load on a shared host swing wall-clock
    // figures by 2x within a minute) and their ratio is meaningful.
    let runs = 20;
    let mut fixed: Vec<Fixed> = selected
        .iter()
        .map(|(_, _, client)| Fixed {
            events: rt.block_on(one_stream(client, &req)),
            ..Fixed::default()
        })
        .collect();
    for _ in 0..runs {
        for ((_, _, client), f) in selected.iter().zip(&mut fixed) {
            let cpu0 = common::cpu_time();
            let t0 = Instant::now();
            rt.block_on(one_stream(client, &req));
            f.wall += t0.elapsed();
            if let (Some(a), Some(b)) = (cpu0, common::cpu_time()) {
                f.cpu = Some(f.cpu.unwrap_or_default() + b.saturating_sub(a));
            }
        }
    }
    for ((name, ..), f) in selected.iter().zip(&fixed) {
        let total = (f.events * runs) as f64;
        println!(
            "stream/100k_deltas/{name}: {} events per stream, {runs} streams, wall {:.3} s, {:.0} events/s (wall)",
            f.events,
            f.wall.as_secs_f64(),
            total / f.wall.as_secs_f64()
        );
        if let Some(cpu) = f.cpu {
            println!(
                "stream/100k_deltas/{name}: client CPU {:.3} s = {:.0} ns/event = {:.0} events per client-CPU-second",
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e9 / total,
                total / cpu.as_secs_f64().max(1e-9)
            );
        }
    }
    if let [sse, ws] = fixed.as_slice() {
        println!(
            "stream/100k_deltas: websocket/sse, streams interleaved: wall-clock throughput {:.2}x, client CPU per event {:.2}x",
            sse.wall.as_secs_f64() / ws.wall.as_secs_f64().max(1e-9),
            match (ws.cpu, sse.cpu) {
                (Some(w), Some(s)) => w.as_secs_f64() / s.as_secs_f64().max(1e-9),
                _ => f64::NAN,
            }
        );
    }
    for ((_, id, client), f) in selected.iter().zip(&fixed) {
        let mut g = c.benchmark_group("stream");
        g.throughput(Throughput::Elements(f.events as u64));
        g.bench_function(*id, |b| {
            b.iter(|| rt.block_on(one_stream(client, &req)));
        });
        g.finish();
    }
    c.final_summary();
    drop(server);
}
