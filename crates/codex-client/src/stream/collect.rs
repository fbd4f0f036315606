//! Reading a [`ResponseStream`] to its end: the collect helpers, folding through
//! [`TurnAccumulator`].

use std::pin::Pin;

use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::turn::TurnAccumulator;
use futures_core::Stream;

use super::ResponseStream;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::error::STREAM_CLOSED;
use crate::text_response::TextResponse;

impl ResponseStream {
    /// Reads the stream to its end and returns the text, usage and output items. On error the
    /// error carries the partial text ([`Error::partial_text`]). Events that failed to decode
    /// are kept in [`TextResponse::decode_errors`].
    pub async fn collect_text(self) -> Result<TextResponse> {
        self.collect_turn(TurnAccumulator::without_text(), |_| {})
            .await
    }

    /// [`collect_text`](Self::collect_text), folding every event into `turn` (which may
    /// already hold the events read before) and handing it to `on_event` as it passes. The
    /// text is the stream's own ([`received_text`](Self::received_text)); the rest of the
    /// answer is what `turn` folded ([`TextResponse::from_turn`]).
    pub async fn collect_turn(
        mut self,
        mut turn: TurnAccumulator,
        mut on_event: impl FnMut(&ResponseEvent),
    ) -> Result<TextResponse> {
        let mut decode_errors = Vec::new();
        loop {
            let next = std::future::poll_fn(|cx| Pin::new(&mut self).poll_next(cx)).await;
            match next {
                None => break,
                // An event that failed to decode is an item: the stream goes on. A decode
                // error that ended the stream (a binary WebSocket frame, an undecodable
                // `response.completed`) is the turn's error, as it is.
                Some(Err(e)) if e.kind() == ErrorKind::Decode && !e.ended_stream() => {
                    decode_errors.push(e);
                }
                Some(Err(e)) => return Err(e),
                Some(Ok(ev)) => {
                    on_event(&ev);
                    turn.push(&ev);
                }
            }
        }
        turn.close();
        if !turn.is_completed() {
            let err = Error::new(ErrorKind::StreamClosed, STREAM_CLOSED);
            return Err(self.end_with(err));
        }
        let mut out = TextResponse::from_turn(turn);
        out.decode_errors = decode_errors;
        if self.track_text {
            out.text = std::mem::take(&mut self.text);
        }
        out.record_head(&self);
        Ok(out)
    }

    /// Reads the stream to its end and returns the output items (`response.output_item.done`).
    pub async fn collect_items(self) -> Result<Vec<ResponseItem>> {
        Ok(self.collect_text().await?.items)
    }
}
