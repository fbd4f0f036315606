//! Decoding a ~50 MB Responses-style SSE stream into typed events: codex-sse +
//! `ResponseEvent::from_sse`, side by side with the same parser + `serde_json::Value` per
//! payload (what async-openai and the official CLI do).
//!
//! Input: 200,000 `response.output_text.delta` events with realistic payloads (item id,
//! indices, `logprobs: []`, `obfuscation`; some deltas need unescaping), framed as SSE, then
//! one ~1 MB `response.completed` carrying output items and usage, padded so the whole stream
//! is ~50 MB. Fed in 1500- and 65536-byte chunks (`Bytes::slice` of one buffer).
//!
//! Run: `cargo bench -p codex-types --bench decode` (results in `docs/performance.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use codex_sse::Frame;
use codex_sse::Parser;
use codex_types::ResponseEvent;
use criterion::BenchmarkId;
use criterion::Criterion;
use criterion::Throughput;
use criterion::criterion_group;
use criterion::criterion_main;

const DELTAS: usize = 200_000;
const TARGET: usize = 50_000_000;

fn responses_stream() -> Bytes {
    responses_stream_sized(DELTAS, TARGET)
}

/// `deltas` text deltas, then a `response.completed` padded until the stream is `target` bytes
/// ([`codex_test_support::bench::responses_stream`], the stream codex-sse's bench parses).
fn responses_stream_sized(deltas: usize, target: usize) -> Bytes {
    Bytes::from(codex_test_support::bench::responses_stream(
        deltas, 0, target,
    ))
}

/// Feeds `buf` in `n`-byte chunks and hands every event to `f`.
fn drive(buf: &Bytes, n: usize, mut f: impl FnMut(&codex_sse::Event)) {
    let mut parser = Parser::new();
    let mut start = 0;
    while start < buf.len() {
        let end = (start + n).min(buf.len());
        parser.feed(buf.slice(start..end));
        start = end;
        while let Some(frame) = parser.next_frame() {
            if let Frame::Event(e) = frame.unwrap() {
                f(&e);
            }
        }
    }
    assert!(!parser.finish().truncated);
}

fn typed(buf: &Bytes, n: usize) -> usize {
    let mut chars = 0;
    drive(buf, n, |e| match ResponseEvent::from_sse(e).unwrap() {
        ResponseEvent::OutputTextDelta(d) => chars += d.delta.len(),
        other => {
            black_box(other.raw_json());
        }
    });
    chars
}

fn value_baseline(buf: &Bytes, n: usize) -> usize {
    let mut chars = 0;
    drive(buf, n, |e| {
        let v: serde_json::Value = serde_json::from_str(e.data()).unwrap();
        if v["type"] == "response.output_text.delta" {
            chars += v["delta"].as_str().unwrap().len();
        }
    });
    chars
}

fn sse_only(buf: &Bytes, n: usize) -> usize {
    let mut len = 0;
    drive(buf, n, |e| len += e.data_bytes().len());
    len
}

/// CPU time (user + system) of this process in seconds, from `/proc/self/stat` (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Throughput per CPU-second over `runs` runs: on a shared machine this is steadier than
/// wall-clock time, which also counts the time slices other processes take.
fn cpu_throughput(name: &str, buf: &Bytes, runs: usize, f: impl Fn(&Bytes, usize) -> usize) {
    let Some(start) = cpu_seconds() else { return };
    let wall = std::time::Instant::now();
    for _ in 0..runs {
        black_box(f(buf, 65536));
    }
    let cpu = cpu_seconds().unwrap_or(start) - start;
    let mb = (buf.len() * runs) as f64 / 1e6;
    println!(
        "cpu-time {name:<28} {:>7.0} MB per CPU-second ({:>7.0} MB/s wall) over {runs} runs",
        mb / cpu.max(0.01),
        mb / wall.elapsed().as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    // Instruction-count mode for `valgrind --tool=callgrind`: `DECODE_PROFILE=typed|sse|value|none`
    // decodes a small stream (`DECODE_PROFILE_DELTAS` deltas, 20,000 by default) once and
    // exits; subtracting the `sse` count from the `typed` count gives the cost of codex-types.
    if let Ok(mode) = std::env::var("DECODE_PROFILE") {
        let deltas = std::env::var("DECODE_PROFILE_DELTAS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let buf = responses_stream_sized(deltas, 0);
        let n = match mode.as_str() {
            "typed" => typed(&buf, 65536),
            "value" => value_baseline(&buf, 65536),
            "sse" => sse_only(&buf, 65536),
            _ => 0,
        };
        println!("{mode}: {} bytes, {deltas} deltas, result {n}", buf.len());
        return;
    }
    let buf = responses_stream();
    assert_eq!(typed(&buf, 65536), value_baseline(&buf, 65536));
    println!("stream: {} bytes, {} text deltas", buf.len(), DELTAS);
    for _ in 0..2 {
        cpu_throughput("codex_sse_only", &buf, 10, sse_only);
        cpu_throughput("codex_sse+codex_types", &buf, 10, typed);
        cpu_throughput("codex_sse+serde_json_value", &buf, 5, value_baseline);
    }
    let mut g = c.benchmark_group("decode_responses_stream");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(2));
    g.measurement_time(Duration::from_secs(12));
    for n in [1500usize, 65536] {
        g.bench_with_input(BenchmarkId::new("codex_sse+codex_types", n), &n, |b, &n| {
            b.iter(|| black_box(typed(&buf, n)))
        });
        g.bench_with_input(BenchmarkId::new("codex_sse_only", n), &n, |b, &n| {
            b.iter(|| black_box(sse_only(&buf, n)))
        });
        g.bench_with_input(
            BenchmarkId::new("codex_sse+serde_json_value", n),
            &n,
            |b, &n| b.iter(|| black_box(value_baseline(&buf, n))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
