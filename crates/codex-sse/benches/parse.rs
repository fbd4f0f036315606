//! Throughput of codex-sse against `sse-stream` and `eventsource-stream` on the same bytes.
//!
//! Input: a generated ~50 MB Responses-style stream (200,000 `response.output_text.delta`
//! events with realistic JSON payloads, then one ~1 MB `response.completed`), fed in chunks of
//! 1, 16, 1500 and 65536 bytes. Every parser gets the same chunks, made the same way (`Bytes::slice`
//! of one shared buffer, created lazily inside the measured loop), through the same
//! `futures::stream::iter` source polled by `futures::executor::block_on`, and every consumer
//! is the same `while let Some(item) = stream.next().await` loop reading each event's data as
//! `&str`. A second group, `responses_50MB_presliced`, makes the chunks before the clock
//! starts and frees their `Vec` after it stops (all four sizes; codex-sse and sse-stream), so
//! that only the parser and the consumer loop are timed.
//!
//! Run: `cargo bench -p codex-sse --bench parse` (results in `docs/performance.md`).
//! `SSE_BENCH_CHUNKS=1500,65536` limits the chunk sizes; `SSE_BENCH_SKIP=eventsource-stream/1`
//! leaves out single cases (that one needs minutes per iteration: the ~1 MB final event arrives
//! one byte at a time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use futures::StreamExt;
use futures::executor::block_on;

const DELTAS: usize = 200_000;

/// Parses the buffer in chunks of the given size; returns (events, data bytes).
type Runner = fn(&Bytes, usize) -> (usize, usize);

/// The stream: `DELTAS` deltas, then a ~1 MB `response.completed`
/// ([`codex_test_support::bench::responses_stream`]); and its number of events.
fn responses_stream() -> (Bytes, usize) {
    let text = codex_test_support::bench::responses_stream(DELTAS, 1_000_000, 0);
    (Bytes::from(text), DELTAS + 2)
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

/// The chunks made up front (outside the measured time) for the pre-sliced group.
fn presliced(buf: &Bytes, n: usize) -> Vec<Result<Bytes, std::io::Error>> {
    let len = buf.len();
    (0..len.div_ceil(n))
        .map(|k| Ok(buf.slice(k * n..((k + 1) * n).min(len))))
        .collect()
}

/// Every consumer is the same plain loop: `while let Some(item) = stream.next().await`,
/// reading each event's data as `&str`.
fn run_codex<S>(src: S) -> (usize, usize)
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    block_on(async {
        let mut s = codex_sse::SseStream::new(src);
        let (mut c, mut b) = (0, 0);
        while let Some(item) = s.next().await {
            if let codex_sse::Frame::Event(e) = item.unwrap() {
                c += 1;
                b += black_box(e.data()).len();
            }
        }
        (c, b)
    })
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

fn run_sse_stream<S>(src: S) -> (usize, usize)
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    block_on(async {
        let mut s = sse_stream::SseByteStream::new(src);
        let (mut c, mut b) = (0, 0);
        while let Some(item) = s.next().await {
            if let Some(d) = item.unwrap().data {
                c += 1;
                b += black_box(d.as_str()).len();
            }
        }
        (c, b)
    })
}

fn run_eventsource<S>(src: S) -> (usize, usize)
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    use eventsource_stream::Eventsource;
    block_on(async {
        let mut s = src.eventsource();
        let (mut c, mut b) = (0, 0);
        while let Some(item) = s.next().await {
            let e = item.unwrap();
            c += 1;
            b += black_box(e.data.as_str()).len();
        }
        (c, b)
    })
}

fn bench(c: &mut Criterion) {
    let (buf, events) = responses_stream();
    // All parsers must see the same events before their speed means anything.
    let expect = run_codex(source(&buf, 65536));
    assert_eq!(expect.0, events);
    for n in [1500, 7] {
        assert_eq!(run_codex(source(&buf, n)), expect);
        assert_eq!(run_codex_sans_io(&buf, n), expect);
        assert_eq!(run_sse_stream(source(&buf, n)), expect);
        assert_eq!(run_eventsource(source(&buf, n)), expect);
        assert_eq!(run_codex(futures::stream::iter(presliced(&buf, n))), expect);
        assert_eq!(
            run_sse_stream(futures::stream::iter(presliced(&buf, n))),
            expect
        );
    }
    eprintln!("input: {} bytes, {} events", buf.len(), events);

    let only = std::env::var("SSE_BENCH_CHUNKS").ok();
    // `SSE_BENCH_SKIP=eventsource-stream/1,eventsource-stream/16` leaves out single cases.
    let skip_var = std::env::var("SSE_BENCH_SKIP").unwrap_or_default();
    let skip: Vec<&str> = skip_var.split(',').filter(|s| !s.is_empty()).collect();
    let selected = |name: &str, n: usize| {
        only.as_ref()
            .is_none_or(|only| only.split(',').any(|s| s == n.to_string()))
            && !skip.iter().any(|s| *s == format!("{name}/{n}"))
    };

    let mut g = group(c, "responses_50MB", buf.len());
    let parsers: [(&str, Runner); 4] = [
        ("codex-sse", |buf, n| run_codex(source(buf, n))),
        ("codex-sse-sans-io", run_codex_sans_io),
        ("sse-stream", |buf, n| run_sse_stream(source(buf, n))),
        ("eventsource-stream", |buf, n| {
            run_eventsource(source(buf, n))
        }),
    ];
    for (name, n, f) in cases(&parsers, selected) {
        g.bench_with_input(BenchmarkId::new(name, n), &n, |bch, &n| {
            bch.iter(|| black_box(f(&buf, n)));
        });
    }
    g.finish();

    // The same with the chunks made before the clock starts: only the parser and the
    // consumer loop are timed. (At 1-byte chunks the 53 M chunk handles take 1.7 GB.)
    let mut g = group(c, "responses_50MB_presliced", buf.len());
    // The chunks are drained out of a borrowed `Vec`, so that freeing its buffer (1.7 GB of
    // chunk handles at 1-byte chunks) happens after the clock stops, like making it.
    type Presliced = fn(&mut Vec<Result<Bytes, std::io::Error>>) -> (usize, usize);
    let parsers: [(&str, Presliced); 2] = [
        ("codex-sse", |v| {
            run_codex(futures::stream::iter(v.drain(..)))
        }),
        ("sse-stream", |v| {
            run_sse_stream(futures::stream::iter(v.drain(..)))
        }),
    ];
    for (name, n, f) in cases(&parsers, selected) {
        g.bench_with_input(BenchmarkId::new(name, n), &n, |bch, &n| {
            bch.iter_batched_ref(
                || presliced(&buf, n),
                |v| black_box(f(v)),
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

/// A benchmark group with the settings every group here uses.
fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    bytes: usize,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    g
}

/// The (parser, chunk size) cases to run, chunk size first, as `selected` allows.
fn cases<F: Copy>(
    parsers: &[(&'static str, F)],
    selected: impl Fn(&str, usize) -> bool,
) -> Vec<(&'static str, usize, F)> {
    [1usize, 16, 1500, 65536]
        .into_iter()
        .flat_map(|n| parsers.iter().map(move |&(name, f)| (name, n, f)))
        .filter(|&(name, n, _)| selected(name, n))
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
