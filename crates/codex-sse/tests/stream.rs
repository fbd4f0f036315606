//! The `SseStream` adapter over a `futures` byte stream.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use codex_sse::{Config, Error, Frame, SseStream, StreamError};
use futures::StreamExt;
use futures::executor::block_on;

type Item = Result<Bytes, std::io::Error>;

fn chunks(parts: &[&'static [u8]]) -> impl futures::Stream<Item = Item> {
    futures::stream::iter(
        parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p)))
            .collect::<Vec<_>>(),
    )
}

fn collect<S: futures::Stream<Item = Item> + Unpin>(s: SseStream<S>) -> Vec<String> {
    block_on(
        s.map(|item| match item {
            Ok(Frame::Event(e)) => format!("{}={}", e.event_type(), e.data()),
            Ok(Frame::Comment(c)) => format!(":{}", c.text()),
            Ok(_) => "?".to_owned(),
            Err(StreamError::Truncated { last_event_id }) => format!("truncated {last_event_id:?}"),
            Err(StreamError::Parse(e)) => format!("parse {e}"),
            Err(StreamError::Source(e)) => format!("source {e}"),
            Err(_) => "other".to_owned(),
        })
        .collect(),
    )
}

#[test]
fn events_across_chunks_and_clean_end() {
    let s = SseStream::new(chunks(&[b"event: a\nda", b"ta: 1\r", b"\n\r\ndata: 2\n\n"]));
    assert_eq!(collect(s), ["a=1", "message=2"]);
}

#[test]
fn truncated_end_is_the_last_item() {
    let mut s = SseStream::new(chunks(&[b"id: 7\ndata: 1\n\ndata: 2\n"]));
    let items: Vec<_> = block_on((&mut s).collect::<Vec<_>>());
    assert_eq!(items.len(), 2);
    assert!(
        matches!(&items[1], Err(StreamError::Truncated { last_event_id }) if last_event_id.as_deref() == Some("7"))
    );
    let end = s.end_of_stream().unwrap();
    assert!(end.truncated);
    assert_eq!(end.last_event_id.as_deref(), Some("7"));
    // Fused afterwards.
    assert!(block_on(s.next()).is_none());
}

#[test]
fn end_of_stream_is_none_until_the_inner_stream_ends() {
    let mut s = SseStream::new(chunks(&[b"data: 1\n\n"]));
    let first = block_on(s.next()).unwrap().unwrap();
    assert!(matches!(first, Frame::Event(_)));
    assert!(s.end_of_stream().is_none());
    assert!(block_on(s.next()).is_none());
    assert!(!s.end_of_stream().unwrap().truncated);
}

#[test]
fn comments_on_request_and_parse_errors_pass_through() {
    let cfg = Config::default().emit_comments(true).max_event_size(8);
    let s = SseStream::with_config(chunks(&[b": ka\n\ndata: 0123456789\n\ndata: ok\n\n"]), cfg);
    assert_eq!(
        collect(s),
        [
            ":ka",
            &format!("parse {}", Error::EventTooLarge { limit: 8 }),
            "message=ok"
        ]
    );
}

#[test]
fn source_errors_are_passed_through_and_the_stream_continues() {
    let inner = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"data: a\n")),
        Err(std::io::Error::other("boom")),
        Ok(Bytes::from_static(b"\n")),
    ]);
    assert_eq!(collect(SseStream::new(inner)), ["source boom", "message=a"]);
}

/// A source that is Pending every other poll and records whether it was dropped.
struct Flaky {
    parts: Vec<Bytes>,
    ready: bool,
    polls: Arc<AtomicUsize>,
    dropped: Arc<AtomicBool>,
}

impl futures::Stream for Flaky {
    type Item = Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.ready = !self.ready;
        if !self.ready {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.parts.is_empty() {
            Poll::Ready(None)
        } else {
            Poll::Ready(Some(Ok(self.parts.remove(0))))
        }
    }
}

impl Drop for Flaky {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn pull_driven_pending_and_drop_cancels() {
    let polls = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicBool::new(false));
    let inner = Flaky {
        parts: vec![
            Bytes::from_static(b"data: 1\n\n"),
            Bytes::from_static(b"data: 2\n\n"),
        ],
        ready: true,
        polls: polls.clone(),
        dropped: dropped.clone(),
    };
    let mut s = SseStream::new(inner);
    // Nothing is polled before the consumer asks.
    assert_eq!(polls.load(Ordering::SeqCst), 0);
    let first = block_on(s.next()).unwrap().unwrap();
    assert!(matches!(first, Frame::Event(e) if e.data() == "1"));
    let polled = polls.load(Ordering::SeqCst);
    // The second chunk is not read ahead.
    assert_eq!(polled, 2);
    drop(s);
    assert!(dropped.load(Ordering::SeqCst));
}

/// A source that yields its parts, then stays `Pending` for ever (never waking).
struct ThenPending(Vec<Item>);

impl futures::Stream for ThenPending {
    type Item = Item;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Item>> {
        if self.0.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(Some(self.0.remove(0)))
        }
    }
}

fn poll_once<S: futures::Stream + Unpin>(s: &mut S) -> Poll<Option<S::Item>> {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    Pin::new(s).poll_next(&mut cx)
}

fn tiny(parts: &[&'static [u8]]) -> Vec<Item> {
    parts.iter().map(|p| Ok(Bytes::from_static(p))).collect()
}

#[test]
fn gathered_tiny_chunks_are_parsed_before_pending() {
    // "data: ", "a" and "b" only continue a line, so the chunks after them are gathered; the
    // source then has nothing more. The events must come out now, not wait for input that may
    // never come.
    let mut s = SseStream::new(ThenPending(tiny(&[
        b"data: ", b"a", b"b", b"c", b"d\n", b"\n", b"data: e", b"\n\n", b"data",
    ])));
    let Poll::Ready(Some(Ok(Frame::Event(e)))) = poll_once(&mut s) else {
        panic!("the first event was held back")
    };
    assert_eq!(e.data(), "abcd");
    let Poll::Ready(Some(Ok(Frame::Event(e)))) = poll_once(&mut s) else {
        panic!("the second event was held back")
    };
    assert_eq!(e.data(), "e");
    assert!(poll_once(&mut s).is_pending());
    // All bytes received so far were parsed.
    assert_eq!(s.parser().bytes_consumed(), 25);
}

#[test]
fn source_error_after_gathered_tiny_chunks_comes_after_their_events() {
    let mut parts = tiny(&[b"data: ", b"a", b"b", b"c", b"\n\n", b"data: d", b"\n"]);
    parts.push(Err(std::io::Error::other("boom")));
    parts.extend(tiny(&[b"\n", b"data: e\n\n"]));
    assert_eq!(
        collect(SseStream::new(futures::stream::iter(parts))),
        ["message=abc", "source boom", "message=d", "message=e"]
    );
}

#[test]
fn a_whole_line_after_a_straddling_one_stays_zero_copy() {
    // The first line straddles two tiny chunks (copied); "world" sits whole in the second
    // chunk and must be a slice of it.
    let second = Bytes::from_static(b"lo\n\ndata: world\n\n");
    let parts = vec![Ok(Bytes::from_static(b"data: hel")), Ok(second.clone())];
    let mut s = SseStream::new(futures::stream::iter(parts));
    let mut data = Vec::new();
    while let Some(item) = block_on(s.next()) {
        let Ok::<_, StreamError<std::io::Error>>(Frame::Event(e)) = item else {
            panic!("unexpected item")
        };
        data.push(e.data_bytes().clone());
    }
    assert_eq!(data, ["hello", "world"]);
    assert!(
        second.as_ptr_range().contains(&data[1].as_ptr()),
        "data was copied"
    );
}

#[test]
fn tiny_chunks_starting_at_line_boundaries_stay_zero_copy() {
    // Whole events in tiny chunks: no chunk merely continues a line, so nothing is gathered
    // and each event's data is a slice of its own chunk.
    let parts: Vec<Bytes> = (0..20)
        .map(|i| Bytes::from(format!("data: {i:02}\n\n")))
        .collect();
    let mut s = SseStream::new(futures::stream::iter(
        parts.clone().into_iter().map(Ok::<_, std::io::Error>),
    ));
    for part in &parts {
        let Some(Ok(Frame::Event(e))) = block_on(s.next()) else {
            panic!("missing event")
        };
        let range = part.as_ptr_range();
        assert!(range.contains(&e.data_bytes().as_ptr()), "data was copied");
    }
    assert!(block_on(s.next()).is_none());
}

#[test]
fn one_byte_chunks_give_the_same_events_as_one_chunk() {
    let input: &[u8] =
        b"event: a\nid: 1\ndata: x\ndata: y\r\n\r\n: c\ndata: \xFFz\n\nretry: 9\ndata: w\r\rdata";
    let whole = collect(SseStream::new(chunks(&[input])));
    let ones: Vec<Item> = input
        .iter()
        .map(|b| Ok(Bytes::copy_from_slice(&[*b])))
        .collect();
    let one_by_one = collect(SseStream::new(futures::stream::iter(ones)));
    assert_eq!(one_by_one, whole);
    assert_eq!(
        whole,
        [
            "a=x\ny",
            "message=\u{FFFD}z",
            "message=w",
            "truncated Some(\"1\")"
        ]
    );
}

proptest::proptest! {
    /// Whatever the chunking, an event whose `data` line (with its line end) lies inside one
    /// chunk gets its data as a slice of that chunk, gathering or not.
    #[test]
    fn whole_lines_are_slices_of_their_chunk_under_any_chunking(
        values in proptest::collection::vec(("[a-z]{1,40}", proptest::bool::ANY), 1..30),
        sizes in proptest::collection::vec(1usize..24, 1..6),
    ) {
        let mut input = Vec::new();
        let mut lines = Vec::new();
        for (value, typed) in &values {
            if *typed {
                input.extend_from_slice(b"event: t\n");
            }
            let start = input.len();
            input.extend_from_slice(format!("data: {value}\n").as_bytes());
            lines.push(start..input.len());
            input.extend_from_slice(b"\n");
        }
        let shared = Bytes::from(input);
        let mut cuts = Vec::new();
        let (mut at, mut k) = (0, 0);
        while at < shared.len() {
            let end = (at + sizes[k % sizes.len()]).min(shared.len());
            cuts.push(at..end);
            at = end;
            k += 1;
        }
        let parts: Vec<Item> = cuts.iter().map(|r| Ok(shared.slice(r.clone()))).collect();
        let mut s = SseStream::new(futures::stream::iter(parts));
        let mut i = 0;
        while let Some(item) = block_on(s.next()) {
            let Ok(Frame::Event(e)) = item else { panic!("unexpected item") };
            proptest::prop_assert_eq!(e.data(), values[i].0.as_str());
            let line = &lines[i];
            if let Some(cut) = cuts.iter().find(|c| c.start <= line.start && line.end <= c.end) {
                let chunk = shared[cut.clone()].as_ptr_range();
                proptest::prop_assert!(
                    chunk.contains(&e.data_bytes().as_ptr()),
                    "event {} was copied although its line lies in chunk {:?}", i, cut
                );
            }
            i += 1;
        }
        proptest::prop_assert_eq!(i, values.len());
    }
}
