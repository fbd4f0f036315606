//! [`SseStream`]: the thin async adapter over [`Parser`].

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use futures_core::{Stream, TryStream};

use crate::text::append_unless_whole_line;
use crate::{Config, EndOfStream, Error, Frame, Parser};

/// Error item of an [`SseStream`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError<E> {
    /// The parser rejected one event (e.g. [`Error::EventTooLarge`]); the stream goes on.
    #[error("malformed server-sent event stream")]
    Parse(#[source] Error),
    /// The inner stream yielded an error; it is passed through unchanged and the adapter keeps
    /// polling the inner stream if polled again.
    #[error("byte stream failed")]
    Source(#[source] E),
    /// The inner stream ended in the middle of an event (see [`EndOfStream::truncated`]). This is
    /// the last item; the incomplete event was discarded.
    #[error("byte stream ended in the middle of a server-sent event")]
    Truncated {
        /// The last event id string at the end of the stream, for reconnecting.
        last_event_id: Option<String>,
    },
}

pin_project_lite::pin_project! {
    /// Adapts a `Stream<Item = Result<Bytes, E>>` into a stream of [`Frame`]s.
    ///
    /// Pull-driven: it polls the inner stream only when asked for a frame and no frame is
    /// buffered; no task is spawned, and dropping it drops the inner stream (cancelling it).
    ///
    /// Tiny chunks: once a chunk of at most 64 bytes arrives that only continues the current
    /// line, the following chunks of at most 64 bytes that the inner stream has ready are
    /// gathered into one buffer (up to 4 KiB, within the same poll) and parsed together: the
    /// lines that straddle them are copied once into that buffer, as a line split across
    /// chunks is copied anyway, instead of going through the parser chunk by chunk. A chunk
    /// holding a whole non-empty line ends the gathering and is parsed on its own, so that
    /// such a line stays a slice of its own chunk. The buffer (16 KiB, allocated the first
    /// time) is reused in place once the frames cut from it are dropped. Gathered bytes are
    /// always parsed before this stream returns `Pending` or the end, and their frames come
    /// before an inner error that follows them, so nothing waits on later input and the order
    /// is kept.
    pub struct SseStream<S: TryStream> {
        #[pin]
        inner: S,
        parser: Parser,
        // Tiny chunks gathered in this poll, not yet fed to the parser.
        gather: BytesMut,
        // Tiny chunks are being gathered (see the type's documentation).
        gathering: bool,
        // The last chunk taken in while gathering ended with CR or LF.
        after_eol: bool,
        // An inner error that arrived after gathered bytes; returned once their frames are.
        stashed: Option<S::Error>,
        truncation_reported: bool,
    }
}

impl<S: TryStream + std::fmt::Debug> std::fmt::Debug for SseStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseStream")
            .field("inner", &self.inner)
            .field("parser", &self.parser)
            .field("stashed_error", &self.stashed.is_some())
            .field("truncation_reported", &self.truncation_reported)
            .finish_non_exhaustive()
    }
}

/// Chunks up to this size may be gathered (see [`SseStream`]).
const TINY_CHUNK: usize = 64;

/// Gathered bytes are parsed once they reach this size.
const GATHER_BATCH: usize = 4096;

/// Capacity set aside for gathering, so that batches follow one another in one allocation
/// (reclaimed in place once the frames made from it are dropped).
const GATHER_CAPACITY: usize = 4 * GATHER_BATCH;

impl<S: TryStream> SseStream<S> {
    /// Wraps `inner` with the default [`Config`].
    pub fn new(inner: S) -> Self {
        Self::with_config(inner, Config::default())
    }

    /// Wraps `inner` with `config`.
    pub fn with_config(inner: S, config: Config) -> Self {
        Self {
            inner,
            parser: Parser::with_config(config),
            gather: BytesMut::new(),
            gathering: false,
            after_eol: false,
            stashed: None,
            truncation_reported: false,
        }
    }

    /// `Some` once the inner stream has ended (frames completed by the end may still be pending).
    pub fn end_of_stream(&self) -> Option<&EndOfStream> {
        self.parser.end_of_stream()
    }

    /// The parser (for [`Parser::last_event_id`], [`Parser::reconnection_time`],
    /// [`Parser::bytes_consumed`]).
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The inner stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner stream (buffered input that was not parsed yet, and an inner error
    /// held back until the frames before it were pulled, are lost).
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Stream for SseStream<S>
where
    S: TryStream<Ok = Bytes>,
{
    type Item = Result<Frame, StreamError<S::Error>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if let Some(frame) = this.parser.next_frame_outlined() {
                return Poll::Ready(Some(frame.map_err(StreamError::Parse)));
            }
            if let Some(e) = this.stashed.take() {
                return Poll::Ready(Some(Err(StreamError::Source(e))));
            }
            if let Some(end) = this.parser.end_of_stream() {
                if end.truncated && !*this.truncation_reported {
                    *this.truncation_reported = true;
                    return Poll::Ready(Some(Err(StreamError::Truncated {
                        last_event_id: end.last_event_id.clone(),
                    })));
                }
                return Poll::Ready(None);
            }
            // A chunk that only continues the current line leaves nothing to pull: go
            // straight back to the inner stream. (Such chunks are bounded by the event size
            // limit, past which chunks are queued.) Invariant: `gather` is empty whenever
            // this function returns.
            loop {
                match this.inner.as_mut().try_poll_next(cx) {
                    Poll::Ready(Some(Ok(chunk))) => {
                        let tiny = chunk.len() <= TINY_CHUNK;
                        // A tiny chunk holding a whole line is not gathered, so that the line
                        // stays a slice of its chunk (a single byte never holds one).
                        if *this.gathering && tiny && gather(this.gather, this.after_eol, &chunk) {
                            if this.gather.len() >= GATHER_BATCH && flush(this.gather, this.parser)
                            {
                                break;
                            }
                            continue;
                        }
                        let flushed = flush(this.gather, this.parser);
                        let empty = chunk.is_empty();
                        if this.parser.absorb(chunk) || flushed {
                            *this.gathering = false;
                            break;
                        }
                        // Taken in whole as the continuation of the current line.
                        *this.gathering = tiny && !empty;
                        *this.after_eol = false;
                    }
                    Poll::Ready(Some(Err(e))) => {
                        *this.gathering = false;
                        if flush(this.gather, this.parser) {
                            *this.stashed = Some(e);
                            break;
                        }
                        return Poll::Ready(Some(Err(StreamError::Source(e))));
                    }
                    Poll::Ready(None) => {
                        *this.gathering = false;
                        flush(this.gather, this.parser);
                        let _ = this.parser.finish();
                        break;
                    }
                    Poll::Pending => {
                        *this.gathering = false;
                        if flush(this.gather, this.parser) {
                            break;
                        }
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

/// Appends a tiny chunk to the gathered bytes unless it holds a whole non-empty line
/// (`text::holds_whole_line`); whether it was appended.
#[inline(always)]
fn gather(gather: &mut BytesMut, after_eol: &mut bool, chunk: &[u8]) -> bool {
    if gather.is_empty() && gather.capacity() < GATHER_BATCH {
        gather.reserve(GATHER_CAPACITY);
    }
    if let [byte] = *chunk {
        *after_eol = byte == b'\n' || byte == b'\r';
        gather.put_u8(byte);
        return true;
    }
    match append_unless_whole_line(gather, chunk, *after_eol) {
        Some(ends_line) => {
            *after_eol = ends_line;
            true
        }
        None => false,
    }
}

/// Feeds the gathered bytes (if any) to the parser; whether they were queued (there may be
/// frames to pull).
#[inline]
fn flush(gather: &mut BytesMut, parser: &mut Parser) -> bool {
    !gather.is_empty() && parser.absorb(gather.split().freeze())
}
