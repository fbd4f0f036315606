//! [`SseStream`]: the thin async adapter over [`Parser`].

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

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
    #[derive(Debug)]
    pub struct SseStream<S> {
        #[pin]
        inner: S,
        parser: Parser,
        truncation_reported: bool,
    }
}

impl<S> SseStream<S> {
    /// Wraps `inner` with the default [`Config`].
    pub fn new(inner: S) -> Self {
        Self::with_config(inner, Config::default())
    }

    /// Wraps `inner` with `config`.
    pub fn with_config(inner: S, config: Config) -> Self {
        Self {
            inner,
            parser: Parser::with_config(config),
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

    /// Unwraps the inner stream (buffered input that was not parsed yet is lost).
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, E> Stream for SseStream<S>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    type Item = Result<Frame, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if let Some(frame) = this.parser.next_frame_outlined() {
                return Poll::Ready(Some(frame.map_err(StreamError::Parse)));
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
            // limit, past which chunks are queued.)
            loop {
                match this.inner.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(chunk))) => {
                        if this.parser.absorb(chunk) {
                            break;
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        return Poll::Ready(Some(Err(StreamError::Source(e))));
                    }
                    Poll::Ready(None) => {
                        let _ = this.parser.finish();
                        break;
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
    }
}
