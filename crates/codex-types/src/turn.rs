//! [`TurnAccumulator`]: the one fold of a turn's [`ResponseEvent`]s into its result.
//!
//! Sans-IO: no async, no transport. Feed it every event a stream yields
//! ([`push`](TurnAccumulator::push)) and tell it when the stream ended without a terminal
//! event ([`close`](TurnAccumulator::close)); read the text, reasoning, output items, tool
//! calls, usage, rate limits, response id and [`TurnOutcome`] back. The client's collect
//! helpers, the facade's `respond`/`Conversation` and the CLI all fold through it, so a
//! rule about what a turn produced has one home (docs/client.md, "Folding a turn").

use crate::RateLimitSnapshot;
use crate::ResponseEvent;
use crate::ResponseFailure;
use crate::ResponseItem;
use crate::SafetyBuffering;
use crate::Usage;
use crate::UsageMetadata;

/// How a turn ended, as far as its events say.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TurnOutcome {
    /// `response.completed` arrived.
    Completed,
    /// `response.failed` or a top-level `error` event arrived (its typed failure).
    Failed(ResponseFailure),
    /// `response.incomplete` arrived, with `incomplete_details.reason` (`unknown` when the
    /// server sent none, as codex-rs reports it).
    Incomplete {
        /// Why the response is incomplete (e.g. `max_output_tokens`, `content_filter`).
        reason: String,
    },
    /// The stream ended before any terminal event (connection closed, idle timeout,
    /// transport error, abort).
    Closed,
}

/// The result of one turn, built event by event (see the [module docs](self)).
///
/// Rules (decided once, documented in docs/client.md):
/// - output items are those of `response.output_item.done`, in arrival order; tool calls
///   are the function, custom and local-shell calls among them;
/// - the response id is the first one `response.created`/`in_progress` (or a failure's
///   response) names, replaced by the id of `response.completed`;
/// - usage, `usage_metadata` and `end_turn` come from `response.completed`;
/// - the rate limits are those of the last `codex.rate_limits` event;
/// - the first terminal event decides the [`TurnOutcome`]; later events still fold but do
///   not change it;
/// - the text received is kept whatever the outcome: on any outcome other than
///   [`TurnOutcome::Completed`] it is the [`partial_text`](Self::partial_text).
#[derive(Clone, Debug, Default)]
pub struct TurnAccumulator {
    skip_text: bool,
    text: String,
    text_len: u64,
    reasoning_summary: Vec<String>,
    reasoning_text: String,
    items: Vec<ResponseItem>,
    usage: Option<Usage>,
    usage_metadata: Option<UsageMetadata>,
    end_turn: Option<bool>,
    rate_limits: Option<RateLimitSnapshot>,
    response_id: Option<String>,
    safety_buffering: Vec<SafetyBuffering>,
    outcome: Option<TurnOutcome>,
}

impl TurnAccumulator {
    /// An empty accumulator that keeps the output text.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty accumulator that only counts the output text
    /// ([`text_len`](Self::text_len)) instead of keeping it: for callers that print the
    /// deltas as they pass or read the text elsewhere, so memory stays flat.
    pub fn without_text() -> Self {
        Self {
            skip_text: true,
            ..Self::default()
        }
    }

    /// Folds one event into the result.
    pub fn push(&mut self, event: &ResponseEvent) {
        if let Some(s) = event.safety_buffering() {
            self.safety_buffering.push(s);
        }
        match event {
            ResponseEvent::OutputTextDelta(d) => {
                self.text_len = self.text_len.saturating_add(d.delta.len() as u64);
                if !self.skip_text {
                    self.text.push_str(&d.delta);
                }
            }
            ResponseEvent::ReasoningSummaryPartAdded(p) => {
                // A new section (`u32::MAX` stands for "past the end" when no index came).
                self.summary_push(Some(p.summary_index.unwrap_or(u32::MAX)), "");
            }
            ResponseEvent::ReasoningSummaryTextDelta(d) => {
                self.summary_push(d.summary_index, &d.delta);
            }
            ResponseEvent::ReasoningTextDelta(d) => self.reasoning_text.push_str(&d.delta),
            ResponseEvent::OutputItemDone(i) => self.items.push(i.item.clone()),
            ResponseEvent::RateLimits(r) => self.rate_limits = Some(r.snapshot.clone()),
            ResponseEvent::Created(c) | ResponseEvent::InProgress(c) => {
                self.first_response_id(c.response.as_ref().and_then(|r| r.id.as_deref()));
            }
            ResponseEvent::Completed(c) => {
                self.usage = c.usage().cloned();
                self.usage_metadata = c.usage_metadata().cloned();
                self.end_turn = c.end_turn();
                if !c.response_id().is_empty() {
                    self.response_id = Some(c.response_id().to_owned());
                }
                self.end(TurnOutcome::Completed);
            }
            ResponseEvent::Failed(f) => {
                self.first_response_id(f.response.as_ref().and_then(|r| r.id.as_deref()));
                self.end(TurnOutcome::Failed(f.failure.clone()));
            }
            ResponseEvent::Incomplete(i) => {
                self.first_response_id(i.response.as_ref().and_then(|r| r.id.as_deref()));
                self.end(TurnOutcome::Incomplete {
                    reason: i.reason_or_unknown().to_owned(),
                });
            }
            ResponseEvent::Error(e) => self.end(TurnOutcome::Failed(e.failure())),
            _ => {}
        }
    }

    /// The stream ended: when no terminal event arrived, the outcome becomes
    /// [`TurnOutcome::Closed`]. A no-op after a terminal event.
    pub fn close(&mut self) {
        self.end(TurnOutcome::Closed);
    }

    fn end(&mut self, outcome: TurnOutcome) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
        }
    }

    fn first_response_id(&mut self, id: Option<&str>) {
        if self.response_id.is_none() {
            self.response_id = id.filter(|id| !id.is_empty()).map(str::to_owned);
        }
    }

    /// Appends `delta` to summary section `index` (the last one when `None`). A missing
    /// section is created; an index past the end (even a bogus huge one from the wire, which
    /// must not allocate) starts a new last section.
    fn summary_push(&mut self, index: Option<u32>, delta: &str) {
        let len = self.reasoning_summary.len();
        let i = index
            .map_or(len.saturating_sub(1), |i| {
                usize::try_from(i).unwrap_or(usize::MAX)
            })
            .min(len);
        if i == len {
            self.reasoning_summary.push(String::new());
        }
        if let Some(section) = self.reasoning_summary.get_mut(i) {
            section.push_str(delta);
        }
    }

    /// The output text received (`response.output_text.delta`); empty for an accumulator
    /// made with [`without_text`](Self::without_text).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Takes the output text out, leaving it empty.
    pub fn take_text(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// Bytes of output text received (counted also when the text is not kept).
    pub fn text_len(&self) -> u64 {
        self.text_len
    }

    /// The text received when the turn did not complete (any outcome other than
    /// [`TurnOutcome::Completed`], including a stream still running); `None` once completed.
    pub fn partial_text(&self) -> Option<&str> {
        (!self.is_completed()).then_some(self.text.as_str())
    }

    /// The reasoning summary, one string per summary section
    /// (`response.reasoning_summary_text.delta`).
    pub fn reasoning_summary(&self) -> &[String] {
        &self.reasoning_summary
    }

    /// The raw reasoning text (`response.reasoning_text.delta`), when the server sent it.
    pub fn reasoning_text(&self) -> &str {
        &self.reasoning_text
    }

    /// The output items (`response.output_item.done`), in order.
    pub fn items(&self) -> &[ResponseItem] {
        &self.items
    }

    /// Takes the output items out, leaving none.
    pub fn take_items(&mut self) -> Vec<ResponseItem> {
        std::mem::take(&mut self.items)
    }

    /// The tool calls among the output items (function, custom and local-shell calls), in
    /// order: the calls the caller must answer before the next request.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ResponseItem> {
        self.items.iter().filter(|i| is_tool_call(i))
    }

    /// The output items that may go back into the history of a later request (see
    /// [`replayable`]).
    pub fn replayable_items(&self) -> impl Iterator<Item = &ResponseItem> {
        self.items.iter().filter(|i| replayable(i))
    }

    /// Token usage of `response.completed`.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// `usage_metadata` of `response.completed`.
    pub fn usage_metadata(&self) -> Option<&UsageMetadata> {
        self.usage_metadata.as_ref()
    }

    /// `end_turn` of `response.completed`.
    pub fn end_turn(&self) -> Option<bool> {
        self.end_turn
    }

    /// The last `codex.rate_limits` snapshot.
    pub fn rate_limits(&self) -> Option<&RateLimitSnapshot> {
        self.rate_limits.as_ref()
    }

    /// The response id.
    pub fn response_id(&self) -> Option<&str> {
        self.response_id.as_deref()
    }

    /// The `safety_buffering` objects events carried, in order.
    pub fn safety_buffering(&self) -> &[SafetyBuffering] {
        &self.safety_buffering
    }

    /// How the turn ended; `None` while it runs.
    pub fn outcome(&self) -> Option<&TurnOutcome> {
        self.outcome.as_ref()
    }

    /// True once `response.completed` arrived (and no other terminal event before it).
    pub fn is_completed(&self) -> bool {
        self.outcome == Some(TurnOutcome::Completed)
    }
}

/// Whether an output item may be sent back in a later request. With `store: false` the
/// backend cannot resolve a reasoning item by id alone: one without `encrypted_content` is
/// rejected, so it stays out of the replayed history (protocol §4.2, §11.9). Every other
/// item is replayable.
pub fn replayable(item: &ResponseItem) -> bool {
    match item {
        ResponseItem::Reasoning(r) => r
            .encrypted_content
            .as_deref()
            .is_some_and(|c| !c.is_empty()),
        _ => true,
    }
}

/// True for a tool call the caller must answer: a function, custom tool or local shell call.
pub fn is_tool_call(item: &ResponseItem) -> bool {
    matches!(
        item,
        ResponseItem::FunctionCall(_)
            | ResponseItem::CustomToolCall(_)
            | ResponseItem::LocalShellCall(_)
    )
}

#[cfg(test)]
#[path = "turn_tests.rs"]
mod tests;
