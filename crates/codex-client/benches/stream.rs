//! Streams 100,000 text deltas from codex-mock over loopback through the full client
//! (hyper + SSE parser + typed decoding + completion semantics) into typed events.
//!
//! The mock runs in a **separate process** (this bench binary re-executed with
//! `CODEX_CLIENT_BENCH_SERVER=1`), so the CPU time read from `/proc/self/stat` is the client's
//! alone. The mock replays a pre-built body (`Reply::sse_bytes`), so it is not the bottleneck.
//!
//! Reports: criterion throughput (events/s, wall clock) and, printed before it, client CPU per
//! event and events per client-CPU-second over a fixed number of streams.
//!
//! Run: `cargo bench -p codex-client --bench stream`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::BufRead;
use std::io::Read;
use std::io::Write;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use codex_client::Client;
use codex_client::RequestOptions;
use codex_mock::MockServer;
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
const SERVER_ENV: &str = "CODEX_CLIENT_BENCH_SERVER";
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

/// Server mode: serve the mock with the bench body queued, print the base URL, exit when
/// stdin closes.
fn serve() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mock = MockServer::builder()
            .require_auth(false)
            .start()
            .await
            .unwrap();
        let body = bytes::Bytes::from(body());
        for _ in 0..QUEUED {
            mock.push_response(Reply::sse_bytes(body.clone()));
        }
        println!("{}", mock.backend_base_url());
        std::io::stdout().flush().unwrap();
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .unwrap();
        drop(mock);
    });
}

struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn spawn() -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Self {
            child,
            base_url: line.trim().to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// utime + stime of this process, from /proc/self/stat (clock ticks of 10 ms).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
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
    if std::env::var_os(SERVER_ENV).is_some() {
        serve();
        return;
    }
    let server = Server::spawn();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .base_url(&server.base_url)
        .proxy(None)
        .build()
        .unwrap();
    let req = ResponsesRequest::builder("gpt-5.4")
        .push_input(ResponseItem::user_text("bench"))
        .build()
        .unwrap();

    // Client CPU per event over a fixed run (client process only).
    let events_per_stream = rt.block_on(one_stream(&client, &req));
    let runs = 20;
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    for _ in 0..runs {
        rt.block_on(one_stream(&client, &req));
    }
    let wall = t0.elapsed();
    let total = (events_per_stream * runs) as f64;
    println!(
        "stream/100k_deltas: {events_per_stream} events per stream, {runs} streams, wall {:.3} s, {:.0} events/s (wall)",
        wall.as_secs_f64(),
        total / wall.as_secs_f64()
    );
    if let (Some(a), Some(b)) = (cpu0, cpu_time()) {
        let cpu = b.saturating_sub(a);
        println!(
            "stream/100k_deltas: client CPU {:.3} s = {:.0} ns/event = {:.0} events per client-CPU-second",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e9 / total,
            total / cpu.as_secs_f64().max(1e-9)
        );
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();
    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Elements(events_per_stream as u64));
    g.bench_function("100k_text_deltas_to_typed_events", |b| {
        b.iter(|| rt.block_on(one_stream(&client, &req)));
    });
    g.finish();
    c.final_summary();
    drop(server);
}
