//! [`Turn`]: one streaming turn of a [`Conversation`], committed to its history when
//! `response.completed` passes.

use std::pin::Pin;
use std::task::Context;
use std::task::Poll;

use codex_client::ResponseStream;
use codex_client::TextResponse;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::turn::TurnAccumulator;
use futures_core::Stream;

use crate::error::Result;

use super::Conversation;

/// One streaming turn of a [`Conversation`] (see [`Conversation::send`]): a `Stream` of
/// [`ResponseEvent`]s that records the output items as they pass and commits the turn to
/// the history when `response.completed` arrives. Dropping it earlier commits nothing.
pub struct Turn<'a> {
    pub(super) conv: &'a mut Conversation,
    pub(super) stream: ResponseStream,
    /// The input items (moved to the history on commit).
    pub(super) input: Vec<ResponseItem>,
    /// The answer so far (items, ids, usage, outcome).
    pub(super) out: TurnAccumulator,
    pub(super) committed: bool,
}

impl std::fmt::Debug for Turn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("conversation", &self.conv.id)
            .field("stream", &self.stream)
            .field("output_items", &self.out.items().len())
            .field("committed", &self.committed)
            .finish()
    }
}

impl Turn<'_> {
    /// The output text received so far.
    pub fn received_text(&self) -> &str {
        self.stream.received_text()
    }

    /// The server's request id.
    pub fn request_id(&self) -> Option<&str> {
        self.stream.request_id()
    }

    /// True once the turn was committed to the history.
    pub fn committed(&self) -> bool {
        self.committed
    }

    fn observe(&mut self, ev: &ResponseEvent) {
        self.out.push(ev);
        self.commit_if_completed();
    }

    /// Commits the turn to the history once its accumulator saw `response.completed`.
    fn commit_if_completed(&mut self) {
        if self.out.is_completed() && !self.committed {
            self.committed = true;
            let mut items = std::mem::take(&mut self.input);
            items.extend(self.out.items().iter().cloned());
            self.conv.commit(items, self.out.usage().cloned());
        }
    }

    /// Reads the rest of the turn and returns the whole answer (text, usage, every output
    /// item of the turn, ids). The turn is committed when it completed; on error nothing
    /// is committed and the error carries the partial text.
    pub async fn finish(self) -> Result<TextResponse> {
        let Turn {
            conv,
            stream,
            input,
            out,
            committed,
        } = self;
        let out = stream.collect_turn(out, |_| {}).await?;
        if !committed {
            let mut items = input;
            items.extend(out.items.iter().cloned());
            conv.commit(items, out.usage.clone());
        }
        Ok(out)
    }

    /// The output items received so far.
    pub fn output_items(&self) -> &[ResponseItem] {
        self.out.items()
    }
}

impl Stream for Turn<'_> {
    type Item = Result<ResponseEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_next(cx) {
            Poll::Ready(Some(Ok(ev))) => {
                this.observe(&ev);
                Poll::Ready(Some(Ok(ev)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
