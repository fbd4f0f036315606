//! Throughput of codex-sse against `sse-stream` and `eventsource-stream` on the same bytes.
//!
//! Input: a generated ~50 MB Responses-style stream (200,000 `response.output_text.delta`
//! events with realistic JSON payloads, then one ~1 MB `response.completed`), fed in chunks of
//! 1, 16, 1500 and 65536 bytes. Every parser gets the same chunks, made the same way (`Bytes::slice`
//! of one shared buffer, created lazily inside the measured loop), through the same
//! `futures::stream::iter` source polled by `futures::executor::block_on`, and every consumer
//! reads each event's data as `&str`.
//!
//! Run: `cargo bench -p codex-sse --bench parse` (results in `docs/performance.md`).
//! `SSE_BENCH_CHUNKS=1500,65536` limits the chunk sizes; `SSE_BENCH_SKIP=eventsource-stream/1`
//! leaves out single cases (that one needs minutes per iteration: the ~1 MB final event arrives
//! one byte at a time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use futures::executor::block_on;

const DELTAS: usize = 200_000;

/// Parses the buffer in chunks of the given size; returns (events, data bytes).
type Runner = fn(&Bytes, usize) -> (usize, usize);

/// Builds the stream. Deterministic (a tiny LCG picks the words).
fn responses_stream() -> (Bytes, usize) {
    let words = [
        "The",
        " quick",
        " brown",
        " fox",
        " jumps",
        " over",
        " the",
        " lazy",
        " dog",
        ".",
        " Rust",
        "'s",
        " ownership",
        " model",
        " \\\"",
        "caf\u{e9}",
        " \u{1F600}",
        "\\n",
        " a",
        " b",
    ];
    let item_id = "msg_68a1f0c2d4e8819b9a7c3e5f1d2b4a6c08e0f1a2b3c4d5e6";
    let mut out = String::with_capacity(52 << 20);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut full = String::new();
    out.push_str(": codex bench stream\n\n");
    out.push_str("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n");
    for i in 0..DELTAS {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let word = words[(seed >> 33) as usize % words.len()];
        full.push_str(word);
        let obfuscation = format!("{:012x}", seed >> 16);
        out.push_str("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":");
        out.push_str(&(i + 1).to_string());
        out.push_str(",\"item_id\":\"");
        out.push_str(item_id);
        out.push_str("\",\"output_index\":0,\"content_index\":0,\"delta\":\"");
        out.push_str(word);
        out.push_str("\",\"logprobs\":[],\"obfuscation\":\"");
        out.push_str(&obfuscation);
        out.push_str("\"}\n\n");
    }
    // One ~1 MB response.completed carrying the full text and output items.
    out.push_str(
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":",
    );
    out.push_str(&(DELTAS + 1).to_string());
    out.push_str(",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"output\":[");
    let mut k = 0;
    let completed_end = out.len() + 1_000_000;
    while out.len() < completed_end {
        if k > 0 {
            out.push(',');
        }
        out.push_str("{\"type\":\"message\",\"id\":\"");
        out.push_str(item_id);
        out.push_str(
            "\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"",
        );
        out.push_str(&full[..full.len().min(4096)]);
        out.push_str("\",\"annotations\":[]}]}");
        k += 1;
    }
    out.push_str("],\"usage\":{\"input_tokens\":1200,\"output_tokens\":200000,\"total_tokens\":201200}}}\n\n");
    (Bytes::from(out), DELTAS + 2)
}

/// The same lazily sliced chunk source for every parser.
fn source(
    buf: &Bytes,
    n: usize,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let buf = buf.clone();
    let len = buf.len();
    futures::stream::iter(
        (0..len.div_ceil(n)).map(move |k| Ok(buf.slice(k * n..((k + 1) * n).min(len)))),
    )
}

fn run_codex(buf: &Bytes, n: usize) -> (usize, usize) {
    let s = codex_sse::SseStream::new(source(buf, n));
    block_on(s.fold((0, 0), |(c, b), item| async move {
        match item.unwrap() {
            codex_sse::Frame::Event(e) => (c + 1, b + black_box(e.data()).len()),
            _ => (c, b),
        }
    }))
}

fn run_codex_sans_io(buf: &Bytes, n: usize) -> (usize, usize) {
    let mut p = codex_sse::Parser::new();
    let (mut c, mut b) = (0, 0);
    let len = buf.len();
    let mut at = 0;
    while at < len {
        let end = (at + n).min(len);
        p.feed(buf.slice(at..end));
        at = end;
        while let Some(f) = p.next_frame() {
            if let codex_sse::Frame::Event(e) = f.unwrap() {
                c += 1;
                b += black_box(e.data()).len();
            }
        }
    }
    let _ = p.finish();
    (c, b)
}

fn run_sse_stream(buf: &Bytes, n: usize) -> (usize, usize) {
    let s = sse_stream::SseByteStream::new(source(buf, n));
    block_on(s.fold((0, 0), |(c, b), item| async move {
        let e = item.unwrap();
        match e.data {
            Some(d) => (c + 1, b + black_box(d.as_str()).len()),
            None => (c, b),
        }
    }))
}

fn run_eventsource(buf: &Bytes, n: usize) -> (usize, usize) {
    use eventsource_stream::Eventsource;
    let s = source(buf, n).eventsource();
    block_on(s.fold((0, 0), |(c, b), item| async move {
        let e = item.unwrap();
        (c + 1, b + black_box(e.data.as_str()).len())
    }))
}

fn bench(c: &mut Criterion) {
    let (buf, events) = responses_stream();
    // All parsers must see the same events before their speed means anything.
    let expect = run_codex(&buf, 65536);
    assert_eq!(expect.0, events);
    for n in [1500, 7] {
        assert_eq!(run_codex(&buf, n), expect);
        assert_eq!(run_codex_sans_io(&buf, n), expect);
        assert_eq!(run_sse_stream(&buf, n), expect);
        assert_eq!(run_eventsource(&buf, n), expect);
    }
    eprintln!("input: {} bytes, {} events", buf.len(), events);

    let mut g = c.benchmark_group("responses_50MB");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    let parsers: [(&str, Runner); 4] = [
        ("codex-sse", run_codex),
        ("codex-sse-sans-io", run_codex_sans_io),
        ("sse-stream", run_sse_stream),
        ("eventsource-stream", run_eventsource),
    ];
    let only = std::env::var("SSE_BENCH_CHUNKS").ok();
    // `SSE_BENCH_SKIP=eventsource-stream/1,eventsource-stream/16` leaves out single cases.
    let skip_var = std::env::var("SSE_BENCH_SKIP").unwrap_or_default();
    let skip: Vec<&str> = skip_var.split(',').filter(|s| !s.is_empty()).collect();
    for n in [1usize, 16, 1500, 65536] {
        if let Some(only) = &only
            && !only.split(',').any(|s| s == n.to_string())
        {
            continue;
        }
        for (name, f) in parsers {
            if skip.iter().any(|s| *s == format!("{name}/{n}")) {
                continue;
            }
            g.bench_with_input(BenchmarkId::new(name, n), &n, |bch, &n| {
                bch.iter(|| black_box(f(&buf, n)));
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
