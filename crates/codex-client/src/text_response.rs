//! [`TextResponse`]: a turn read to its end, as the collect helpers return it.

use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::Usage;
use codex_types::turn::TurnAccumulator;

use crate::error::Error;
use crate::ws::Transport;

/// The result of [`ResponseStream::collect_text`](crate::ResponseStream::collect_text).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct TextResponse {
    /// The concatenated output text (empty when text tracking was off).
    pub text: String,
    /// Token usage from `response.completed`.
    pub usage: Option<Usage>,
    /// The response id.
    pub response_id: Option<String>,
    /// The output items, in order (`response.output_item.done`).
    pub items: Vec<ResponseItem>,
    /// The server's request id.
    pub request_id: Option<String>,
    /// The model that served the request.
    pub served_model: Option<String>,
    /// The sticky-routing token of this turn.
    pub turn_state: Option<String>,
    /// Events that could not be decoded (each a [`ErrorKind::Decode`](crate::ErrorKind::Decode) error).
    pub decode_errors: Vec<Error>,
    /// Which transport carried the turn ([`Transport::Sse`] or [`Transport::WebSocket`]).
    pub transport: Transport,
    /// True when the turn went over WebSocket with only the new input items.
    pub incremental: bool,
    /// `usage_metadata` of `response.completed` (billing and prompt-cache details).
    pub usage_metadata: Option<codex_types::UsageMetadata>,
    /// `end_turn` of `response.completed`.
    pub end_turn: Option<bool>,
    /// The `safety_buffering` objects events carried, in order (data, never an error).
    pub safety_buffering: Vec<codex_types::SafetyBuffering>,
    /// The `x-codex-safety-buffering-*` response headers, when sent.
    pub safety_buffering_headers: Option<codex_types::SafetyBufferingHeaders>,
    /// The whole-turn retries this turn needed before it completed (empty for
    /// [`ResponseStream::collect_text`](crate::ResponseStream::collect_text), which never retries; filled by callers that resend
    /// turns, such as the facade's `respond`).
    pub retries: Vec<crate::TurnRetry>,
}

impl TextResponse {
    /// The answer `turn` folded: text, usage, response id, output items, `usage_metadata`,
    /// `end_turn` and safety buffering (the head fields are filled by
    /// [`record_head`](Self::record_head)).
    pub fn from_turn(turn: TurnAccumulator) -> Self {
        let mut out = Self::default();
        out.absorb(turn);
        out
    }

    /// Folds one event into the result (items, response id, usage, `usage_metadata`,
    /// `end_turn`, safety buffering) with the rules of [`TurnAccumulator`]. Text deltas are
    /// not folded here: the stream tracks them ([`ResponseStream::received_text`](crate::ResponseStream::received_text)).
    pub fn record(&mut self, event: &ResponseEvent) {
        let mut turn = TurnAccumulator::without_text();
        turn.push(event);
        self.absorb(turn);
    }

    /// Adds what `turn` folded to this result: its text and items after the ones here; its
    /// response id when none is known yet or the turn completed; its usage when it completed.
    fn absorb(&mut self, mut turn: TurnAccumulator) {
        self.text.push_str(&turn.take_text());
        self.items.append(&mut turn.take_items());
        self.safety_buffering
            .extend(turn.safety_buffering().iter().cloned());
        if let Some(id) = turn.response_id()
            && (self.response_id.is_none() || turn.is_completed())
        {
            self.response_id = Some(id.to_owned());
        }
        if turn.is_completed() {
            self.usage = turn.usage().cloned();
            self.usage_metadata = turn.usage_metadata().cloned();
            self.end_turn = turn.end_turn();
        }
    }
}
