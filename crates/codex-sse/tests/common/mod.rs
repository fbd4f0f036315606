//! Shared test support: a naive reference parser and the fuzz body.
//!
//! This file is compiled twice: as a module of the integration tests (`tests/prop.rs`) and,
//! through `#[path]`, by the cargo-fuzz target `fuzz/fuzz_targets/sse_parser.rs`. Both drive the
//! same [`check`] function.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    missing_docs
)]
#![allow(
    clippy::collapsible_match,
    reason = "the reference mirrors the spec text step by step"
)]

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use codex_sse::{Config, Error, Frame, Parser, SseStream, StreamError};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed item in a comparable, parser-independent form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Event {
        event_type: String,
        data: Vec<u8>,
        data_text: String,
        id: Option<String>,
        retry_ms: Option<u64>,
        offset: u64,
    },
    Comment(String),
    TooLarge,
    /// An error of the inner byte stream, passed through by `SseStream`.
    SourceError,
    /// `SseStream`'s final truncation report.
    Truncated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub items: Vec<Item>,
    pub truncated: bool,
    pub last_event_id: Option<String>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn strip_space(b: &[u8]) -> &[u8] {
    b.strip_prefix(b" ").unwrap_or(b)
}

/// A deliberately simple WHATWG parser over the whole input at once: split lines first, then
/// interpret them one by one with plain `Vec`/`String` buffers.
pub fn reference(input: &[u8], limit: usize, comments: bool) -> Outcome {
    // 1. Lines: LF, CR, CRLF. The unterminated tail is kept apart.
    let mut lines = Vec::new();
    let (mut i, mut start) = (0, 0);
    while i < input.len() {
        match input[i] {
            b'\n' => {
                lines.push((start, i));
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push((start, i));
                i += 1;
                if input.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    let tail = (start < input.len()).then_some((start, input.len()));

    let mut items = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut event_type: Vec<u8> = Vec::new();
    let mut id_buffer: Vec<u8> = Vec::new();
    let mut last_id: Vec<u8> = Vec::new();
    let mut retry: Option<u64> = None;
    let mut pending = false;
    let mut size = 0usize;
    let mut skipping = false;
    let mut ev_offset: Option<usize> = None;

    for (n, &(s, e)) in lines.iter().enumerate() {
        let mut line = &input[s..e];
        let mut off = s;
        if skipping {
            if line.is_empty() {
                skipping = false;
                last_id = id_buffer.clone();
                pending = false;
                size = 0;
            }
            continue;
        }
        if size + line.len() > limit {
            items.push(Item::TooLarge);
            skipping = true;
            pending = true;
            data.clear();
            event_type.clear();
            size = 0;
            ev_offset = None;
            continue;
        }
        if n == 0 && line.starts_with(BOM) {
            line = &line[3..];
            off += 3;
        }
        if line.is_empty() {
            // Dispatch.
            last_id = id_buffer.clone();
            pending = false;
            size = 0;
            let offset = ev_offset.take().unwrap_or(0) as u64;
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.last() == Some(&b'\n') {
                data.pop();
            }
            let ty = if event_type.is_empty() {
                "message".to_owned()
            } else {
                lossy(&event_type)
            };
            items.push(Item::Event {
                event_type: ty,
                data_text: lossy(&data),
                data: std::mem::take(&mut data),
                id: (!last_id.is_empty()).then(|| lossy(&last_id)),
                retry_ms: retry,
                offset,
            });
            event_type.clear();
            continue;
        }
        if line[0] == b':' {
            if comments {
                items.push(Item::Comment(lossy(strip_space(&line[1..]))));
            }
            continue;
        }
        size += line.len();
        pending = true;
        ev_offset.get_or_insert(off);
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(c) => (&line[..c], strip_space(&line[c + 1..])),
            None => (line, &b""[..]),
        };
        match name {
            b"event" => event_type = value.to_vec(),
            b"data" => {
                data.extend_from_slice(value);
                data.push(b'\n');
            }
            b"id" => {
                if !value.contains(&0) {
                    id_buffer = value.to_vec();
                }
            }
            b"retry" => {
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let mut v: u64 = 0;
                    for d in value {
                        v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
                    }
                    retry = Some(v);
                }
            }
            _ => {}
        }
    }
    let mut partial = false;
    if let Some((s, e)) = tail {
        let line = &input[s..e];
        let only_bom = lines.is_empty() && line == BOM;
        partial = !only_bom;
        if !skipping && size + line.len() > limit {
            items.push(Item::TooLarge);
            pending = true;
        }
    }
    Outcome {
        items,
        truncated: pending || partial,
        last_event_id: (!last_id.is_empty()).then(|| lossy(&last_id)),
    }
}

fn item(frame: Result<Frame, Error>) -> Item {
    match frame {
        Ok(Frame::Event(e)) => Item::Event {
            event_type: e.event_type().to_owned(),
            data: e.data_bytes().to_vec(),
            data_text: e.data().to_owned(),
            id: e.id().map(str::to_owned),
            retry_ms: e.retry().map(|d| u64::try_from(d.as_millis()).unwrap()),
            offset: e.offset(),
        },
        Ok(Frame::Comment(c)) => Item::Comment(c.text().to_owned()),
        Ok(other) => panic!("unexpected frame {other:?}"),
        Err(Error::EventTooLarge { .. }) => Item::TooLarge,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// Parses `input` fed as chunks of the given sizes (cycled; empty = one chunk).
pub fn parse_chunked(input: &[u8], sizes: &[usize], config: Config) -> Outcome {
    let limit = config.get_max_event_size();
    let shared = Bytes::copy_from_slice(input);
    let mut parser = Parser::with_config(config);
    let mut items = Vec::new();
    let mut at = 0;
    let mut k = 0;
    while at < shared.len() {
        let n = if sizes.is_empty() {
            shared.len()
        } else {
            sizes[k % sizes.len()].max(1)
        };
        k += 1;
        let end = (at + n).min(shared.len());
        parser.feed(shared.slice(at..end));
        at = end;
        while let Some(f) = parser.next_frame() {
            let it = item(f);
            if let Item::Event { data, .. } = &it {
                assert!(data.len() <= limit, "event larger than the limit");
            }
            items.push(it);
        }
        assert_eq!(parser.bytes_consumed(), at as u64);
    }
    let end = parser.finish();
    while let Some(f) = parser.next_frame() {
        items.push(item(f));
    }
    assert!(parser.next_frame().is_none());
    assert_eq!(end.bytes_consumed, input.len() as u64);
    assert_eq!(
        parser.last_event_id(),
        end.last_event_id.as_deref().unwrap_or("")
    );
    Outcome {
        items,
        truncated: end.truncated,
        last_event_id: end.last_event_id,
    }
}

/// One step of a scripted byte source.
#[derive(Debug, Clone)]
pub enum Step {
    Chunk(Bytes),
    /// The source returns `Pending` once (and wakes itself).
    Pending,
    /// The source yields an error item.
    Fail,
}

/// A byte source that plays a script, one step per poll; `at` counts the steps played.
pub struct Script {
    pub steps: Vec<Step>,
    pub at: usize,
}

#[derive(Debug)]
pub struct SourceFailed;

impl futures_core::Stream for Script {
    type Item = Result<Bytes, SourceFailed>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(step) = self.steps.get(self.at).cloned() else {
            return Poll::Ready(None);
        };
        self.at += 1;
        match step {
            Step::Chunk(b) => Poll::Ready(Some(Ok(b))),
            Step::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Fail => Poll::Ready(Some(Err(SourceFailed))),
        }
    }
}

/// A script: `input` cut into chunks of the given sizes (cycled; empty = one chunk), with a
/// `Pending` or an error after a chunk wherever `marks` (cycled) says so.
pub fn script(input: &[u8], sizes: &[usize], marks: &[u8]) -> Vec<Step> {
    let shared = Bytes::copy_from_slice(input);
    let mut steps = Vec::new();
    let (mut at, mut k) = (0, 0);
    while at < shared.len() {
        let n = if sizes.is_empty() {
            shared.len()
        } else {
            sizes[k % sizes.len()].max(1)
        };
        let end = (at + n).min(shared.len());
        steps.push(Step::Chunk(shared.slice(at..end)));
        at = end;
        if !marks.is_empty() {
            match marks[k % marks.len()] % 8 {
                0 => steps.push(Step::Pending),
                1 => steps.push(Step::Fail),
                _ => {}
            }
        }
        k += 1;
    }
    steps
}

/// What `SseStream` must yield for `steps`, from the sans-IO parser fed step by step: the items,
/// and how many of them the bytes of the first `i` steps complete (`ready[i]`).
fn expected_stream(steps: &[Step], config: Config) -> (Vec<Item>, Vec<usize>) {
    let mut parser = Parser::with_config(config);
    let mut items = Vec::new();
    let mut ready = vec![0];
    for step in steps {
        match step {
            Step::Chunk(b) => {
                parser.feed(b.clone());
                while let Some(f) = parser.next_frame() {
                    items.push(item(f));
                }
            }
            Step::Pending => {}
            Step::Fail => items.push(Item::SourceError),
        }
        ready.push(items.len());
    }
    let end = parser.finish();
    while let Some(f) = parser.next_frame() {
        items.push(item(f));
    }
    if end.truncated {
        items.push(Item::Truncated);
    }
    (items, ready)
}

/// Drives `SseStream` over the script and asserts that it yields exactly what the sans-IO
/// parser gives, in the same order, and that whenever it returns `Pending` it has already
/// yielded every item the bytes received so far complete (nothing waits on later input).
pub fn check_stream(steps: Vec<Step>, config: Config) {
    let (expect, ready) = expected_stream(&steps, config.clone());
    let mut stream = SseStream::with_config(Script { steps, at: 0 }, config);
    let mut cx = Context::from_waker(Waker::noop());
    let mut got = Vec::new();
    loop {
        let polled = futures_core::Stream::poll_next(Pin::new(&mut stream), &mut cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) => got.push(item(Ok(frame))),
            Poll::Ready(Some(Err(StreamError::Parse(e)))) => got.push(item(Err(e))),
            Poll::Ready(Some(Err(StreamError::Source(SourceFailed)))) => {
                got.push(Item::SourceError);
            }
            Poll::Ready(Some(Err(StreamError::Truncated { .. }))) => got.push(Item::Truncated),
            Poll::Ready(Some(Err(other))) => panic!("unexpected stream error {other:?}"),
            Poll::Ready(None) => break,
            Poll::Pending => {
                let played = stream.get_ref().at;
                assert_eq!(
                    got.len(),
                    ready[played],
                    "Pending with frames of the input received so far not yet yielded"
                );
            }
        }
    }
    assert_eq!(got, expect, "SseStream differs from the sans-IO parser");
    let fed: usize = stream
        .get_ref()
        .steps
        .iter()
        .map(|st| match st {
            Step::Chunk(b) => b.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(stream.parser().bytes_consumed(), fed as u64);
}

/// The fuzz body. Layout of `data`: byte 0 = number of chunk-size bytes (mod 8), byte 1 =
/// small event-size limit, then the chunk sizes, then the SSE input. Asserts that any chunking
/// gives the same result as one chunk and as 1-byte chunks, that the parser agrees with
/// [`reference`] (with the default and with a small limit, comments on and off), that no
/// event exceeds the limit, and that `SseStream` agrees with the parser ([`check_stream`]).
pub fn check(data: &[u8]) {
    let (head, rest) = data.split_at(data.len().min(2));
    let n_sizes = head.first().map_or(0, |b| usize::from(b % 8));
    let small_limit = head.get(1).map_or(64, |&b| usize::from(b) + 1);
    let (size_bytes, input) = rest.split_at(rest.len().min(n_sizes));
    let sizes: Vec<usize> = size_bytes
        .iter()
        .map(|&b| usize::from(b % 64) + 1)
        .collect();
    for (limit, comments) in [
        (codex_sse::DEFAULT_MAX_EVENT_SIZE, false),
        (small_limit, true),
    ] {
        let config = || {
            Config::default()
                .max_event_size(limit)
                .emit_comments(comments)
        };
        let whole = parse_chunked(input, &[], config());
        assert_eq!(
            whole,
            reference(input, limit, comments),
            "parser disagrees with the reference"
        );
        assert_eq!(
            parse_chunked(input, &sizes, config()),
            whole,
            "chunking changed the result"
        );
        assert_eq!(
            parse_chunked(input, &[1], config()),
            whole,
            "1-byte chunks changed the result"
        );
        // The async adapter, with the same chunks and `Pending`/errors after some of them
        // (the chunk-size bytes double as marks), and with 1-byte chunks throughout.
        check_stream(script(input, &sizes, size_bytes), config());
        check_stream(script(input, &[1], size_bytes), config());
    }
}
