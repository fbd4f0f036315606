//! Zero-copy proof: counts heap allocations while events are pulled in steady state.
#![allow(
    unsafe_code,
    reason = "a counting #[global_allocator] must implement the unsafe GlobalAlloc trait"
)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use codex_sse::{Frame, Parser};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` unchanged; the only addition is a thread-local
// counter increment, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// `events` delta events, each with an `id` line when `ids` (a new id rebuilds the events'
/// shared id/retry record, one allocation per event, so tests of the data path leave it out).
fn stream_with(events: usize, ids: bool) -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..events {
        let id = if ids {
            format!("id: {i}\n")
        } else {
            String::new()
        };
        s.extend_from_slice(
            format!(
                "event: response.output_text.delta\n{id}data: {{\"type\":\"response.output_text.delta\",\"delta\":\"tok{i}\"}}\n\n"
            )
            .as_bytes(),
        );
    }
    s
}

fn stream(events: usize) -> Vec<u8> {
    stream_with(events, true)
}

#[test]
fn zero_allocations_per_event_for_single_line_events_in_one_chunk() {
    const N: usize = 1000;
    let input = Bytes::from(stream(N));
    let mut parser = Parser::new();
    parser.feed(input.clone());
    // Warm-up: the first slice of a `Vec`-backed `Bytes` promotes it to a shared buffer
    // (one allocation per chunk, not per event).
    let first = parser.next_frame().unwrap().unwrap();
    drop(first);

    let before = allocs();
    let mut seen = 0;
    let mut bytes = 0;
    while let Some(frame) = parser.next_frame() {
        let Frame::Event(event) = frame.unwrap() else {
            panic!("unexpected frame")
        };
        // Touch every view: none of them may allocate either.
        assert_eq!(event.event_type(), "response.output_text.delta");
        bytes += event.data().len() + event.id().unwrap().len();
        assert!(!event.is_utf8_lossy());
        seen += 1;
    }
    let after = allocs();
    assert_eq!(seen, N - 1);
    assert!(bytes > 0);
    assert_eq!(
        after - before,
        0,
        "allocations while parsing {} events",
        N - 1
    );
}

#[test]
fn zero_allocations_in_steady_state_across_many_chunks() {
    // Many chunks, each holding whole events: after warm-up, feeding a chunk costs only the
    // shared-buffer promotion of that chunk, never one allocation per event.
    let chunk = stream(100);
    let chunks: Vec<Bytes> = (0..50).map(|_| Bytes::from(chunk.clone())).collect();
    let mut parser = Parser::new();
    let mut per_chunk = Vec::new();
    for c in chunks {
        let before = allocs();
        parser.feed(c);
        let mut n = 0;
        while let Some(frame) = parser.next_frame() {
            assert!(matches!(frame, Ok(Frame::Event(_))));
            n += 1;
        }
        assert_eq!(n, 100);
        per_chunk.push(allocs() - before);
    }
    // Skip the first chunks (queue and buffer capacity warm-up).
    for &a in &per_chunk[2..] {
        assert!(a <= 1, "allocations per 100-event chunk: {per_chunk:?}");
    }
}

#[test]
fn counter_sees_allocations() {
    // The counter works: a multi-line event must copy (and therefore allocate) its data.
    let mut parser = Parser::new();
    parser.feed(Bytes::from_static(b"data: a\ndata: b\n\n"));
    let before = allocs();
    let Some(Ok(Frame::Event(e))) = parser.next_frame() else {
        panic!()
    };
    assert_eq!(e.data(), "a\nb");
    assert!(allocs() > before);
}

#[test]
fn tiny_chunks_through_the_stream_adapter_allocate_per_batch_not_per_event() {
    use futures::StreamExt;
    // 16-byte chunks: every line straddles chunks, so its bytes are copied once, into the
    // buffer that gathers tiny chunks. That buffer is reused in place once the events made
    // from it are dropped: no allocation per event or per chunk.
    const N: usize = 4000;
    let input = Bytes::from(stream_with(N, false));
    let len = input.len();
    let source = futures::stream::iter(
        (0..len.div_ceil(16))
            .map(move |k| Ok::<_, std::io::Error>(input.slice(k * 16..((k + 1) * 16).min(len)))),
    );
    let mut s = codex_sse::SseStream::new(source);
    futures::executor::block_on(async {
        let mut seen = 0;
        let mut before = 0;
        while let Some(item) = s.next().await {
            let Frame::Event(e) = item.unwrap() else {
                panic!("unexpected frame")
            };
            assert!(e.data().ends_with("\"}"));
            seen += 1;
            if seen == N / 4 {
                before = allocs();
            }
        }
        assert_eq!(seen, N);
        let steady = allocs() - before;
        // Fewer than one per 100 events (4 when measured), where one per event or per chunk
        // would be thousands.
        assert!(
            steady <= N as u64 / 100,
            "{steady} allocations for {} events",
            3 * N / 4
        );
    });
}
