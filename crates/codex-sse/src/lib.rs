//! Zero-copy, WHATWG-exact Server-Sent Events parser: a sans-IO core and a thin Stream adapter.
//!
//! # Quick start
//!
//! ```
//! use bytes::Bytes;
//! use codex_sse::{Frame, Parser};
//!
//! let mut parser = Parser::new();
//! parser.feed(Bytes::from_static(b"event: greeting\ndata: hel"));
//! parser.feed(Bytes::from_static(b"lo\nid: 7\n\n"));
//! while let Some(frame) = parser.next_frame() {
//!     if let Frame::Event(event) = frame? {
//!         assert_eq!(event.event_type(), "greeting");
//!         assert_eq!(event.data(), "hello");
//!         assert_eq!(event.id(), Some("7"));
//!     }
//! }
//! let end = parser.finish();
//! assert!(!end.truncated);
//! assert_eq!(end.last_event_id.as_deref(), Some("7"));
//! # Ok::<(), codex_sse::Error>(())
//! ```
//!
//! Over an async byte stream (any `Stream<Item = Result<Bytes, E>>`, e.g. an HTTP body):
//!
//! ```
//! use bytes::Bytes;
//! use codex_sse::{Frame, SseStream, StreamError};
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let body = futures::stream::iter([
//!     Ok::<_, std::io::Error>(Bytes::from_static(b"data: a\n\ndata: b")),
//! ]);
//! let mut events = SseStream::new(body);
//! let mut seen = Vec::new();
//! while let Some(item) = events.next().await {
//!     match item {
//!         Ok(Frame::Event(e)) => seen.push(e.data().to_owned()),
//!         Ok(_) => {}
//!         Err(StreamError::Truncated { .. }) => seen.push("<truncated>".to_owned()),
//!         Err(e) => panic!("{e}"),
//!     }
//! }
//! assert_eq!(seen, ["a", "<truncated>"]);
//! # });
//! ```
//!
//! # What is parsed
//!
//! Exactly the WHATWG HTML "interpreting an event stream" rules: LF, CR and CRLF line ends (a
//! CR ending one chunk and an LF starting the next form one line end), one leading U+FEFF BOM
//! ignored (even when split across chunks), comment lines (`:` first), fields without a colon
//! (empty value), exactly one space stripped after the colon, `data` lines joined with LF, no
//! dispatch when there was no `data` line, the event type reset after each dispatch, `id`
//! values containing NUL ignored, the last event id kept across events, `retry` honoured only
//! when it is all ASCII digits (values beyond `u64` milliseconds saturate), and an unfinished
//! event at the end of input discarded (reported through [`EndOfStream::truncated`]).
//!
//! Text is UTF-8: invalid bytes show as U+FFFD in [`Event::data`], [`Event::event_type`],
//! [`Event::id`] and [`Comment::text`], never affect later events, and the raw data bytes stay
//! available through [`Event::data_bytes`].
//!
//! # Zero-copy
//!
//! An event's data and id are slices of the input [`Bytes`](bytes::Bytes) whenever the field
//! sat on one line inside one chunk. Event type names are interned process-wide (at most 256
//! names of up to 64 bytes, kept for the life of the process), so an event carries its type
//! without a reference count; a name the table does not take is a slice of the input like the
//! others. Data is copied only when the event has several `data` lines; a line that straddles
//! chunks is copied once into a carry buffer, which is then handed out without another copy.
//! In steady state, single-line events inside one chunk cost no heap allocation (checked by a
//! test with a counting allocator).
//!
//! [`SseStream`] gathers runs of tiny chunks (see its documentation); it copies only the bytes
//! of lines that straddle chunks, never a line that sits whole in one chunk.
//!
//! # Limits
//!
//! [`Config::max_event_size`] (default 64 MiB, enough for a multi-megabyte
//! `response.completed`) bounds the bytes buffered for one event, including a line still being
//! received. Exceeding it yields [`Error::EventTooLarge`] once; the parser then discards input up
//! to the next blank line without buffering it, and continues with the next event. Work is
//! linear in the input: each byte is scanned once (with `memchr`) whatever the chunking.
//!
//! # Cancel safety
//!
//! [`Parser`] does no I/O. [`SseStream`] spawns nothing and holds no background task: it polls
//! its inner stream only inside `poll_next`, so dropping it (or the future awaiting it) cancels
//! the inner stream at once. `StreamExt::next` on it is cancel-safe: a frame is either returned
//! or still buffered in the parser (gathered tiny chunks are handed to the parser before
//! `poll_next` returns).
//!
//! # Comments and truncation
//!
//! With [`Config::emit_comments`] on, comment lines come out as [`Frame::Comment`] (a client can
//! count `: keep-alive` as activity). [`Parser::finish`] returns an [`EndOfStream`] telling
//! whether the input stopped mid-event; [`SseStream`] turns that into a final
//! [`StreamError::Truncated`] item.
//!
//! # Features
//!
//! This crate has no optional features. It depends on `bytes`, `memchr`, `simdutf8`,
//! `futures-core`, `pin-project-lite` and `thiserror`, and knows nothing about JSON.
//!
//! # Inspecting captured streams
//!
//! The `sse_dump` example prints one JSON object per event read from stdin:
//! `cargo run -p codex-sse --example sse_dump -- --chunk 1 < capture.sse`.

mod frame;
mod intern;
mod parser;
mod stream;
mod text;

pub use frame::{Comment, Event, Frame};
pub use parser::{Config, DEFAULT_MAX_EVENT_SIZE, EndOfStream, Error, Parser};
pub use stream::{SseStream, StreamError};

#[cfg(test)]
mod tests;
