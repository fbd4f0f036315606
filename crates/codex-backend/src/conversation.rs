//! [`Conversation`]: multi-turn history, a tool loop and auto-compaction.
//!
//! This file holds the conversation's state, options, history and single turns
//! ([`Conversation::send`], [`Conversation::respond`]); the tool loop and tool registration
//! are in `tool_loop.rs`, auto-compaction in `auto_compact.rs`, the streaming [`Turn`] in
//! `turn.rs`.

mod auto_compact;
mod tool_loop;
mod turn;

use std::time::SystemTime;

use codex_client::TextResponse;
use codex_types::History;
use codex_types::ResponseItem;
use codex_types::Usage;
use codex_types::turn::TurnAccumulator;
use codex_types::turn::replayable;

use crate::codex::CodexClient;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::Input;
use crate::tools::ToolRegistry;
use crate::turn_retry::TurnRetries;

pub use turn::Turn;

/// Default bound of model requests in one [`Conversation::run`].
pub const DEFAULT_MAX_TOOL_ITERATIONS: usize = 16;

/// A conversation: keeps the history right across turns and runs tools.
///
/// History (protocol §4.2): the user's input items, then every item the server sent in
/// `response.output_item.done` — assistant messages, reasoning items (verbatim, with
/// `encrypted_content`), function and custom tool calls, web search calls — then the
/// outputs of the tools run for them (each after its call, same `call_id`). Items are kept
/// losslessly and replayed exactly as the server sent them — except reasoning items without
/// `encrypted_content` (received when `include_encrypted_reasoning` was turned off): with
/// `store: false` the backend rejects them on replay, so they are not kept.
///
/// **A turn is committed only on success**: the input and output items enter the history
/// when `response.completed` arrives (for [`run`](Self::run): when the model answered with
/// no tool call). A failed, aborted or dropped turn leaves the history as it was, so the
/// same input can simply be sent again.
///
/// Every request of a conversation carries its id ([`id`](Self::id)) as `session-id`,
/// `thread-id` and `prompt_cache_key`, for prompt caching.
///
/// Auto-compaction (on by default): before each turn, when the last reported
/// `total_tokens` (plus an estimate of the items added since; or an estimate of the whole
/// history, about 4 bytes of JSON per token, each image counted as a flat 1,000 tokens
/// whatever its size) reaches the model's auto-compact limit
/// (`auto_compact_token_limit` from the catalog, else 90 % of its context window), the
/// history is compacted first ([`crate::CodexClient::compact_with`]: compaction v2 unless
/// [`crate::CompactionMode::Legacy`] is set; the window number goes up by one).
pub struct Conversation {
    client: CodexClient,
    options: CallOptions,
    id: String,
    history: History,
    tools: ToolRegistry,
    max_iterations: usize,
    auto_compact: bool,
    compact_limit: Option<u64>,
    /// `total_tokens` of the last completed turn and the history length it covered.
    last_total: Option<(u64, usize)>,
    last_usage: Option<Usage>,
    /// The context window number: one more after each compaction.
    window_number: u64,
    /// The user turn in progress (its id, start and sticky-routing token).
    turn: Option<CurrentTurn>,
}

/// The user turn in progress: every request of it (tool follow-ups included) carries the same
/// turn id, and echoes the `x-codex-turn-state` of the turn's first response.
#[derive(Clone, Debug)]
struct CurrentTurn {
    id: String,
    started_at: SystemTime,
    state: Option<String>,
}

fn is_tool_output(item: &ResponseItem) -> bool {
    matches!(
        item,
        ResponseItem::FunctionCallOutput(_) | ResponseItem::CustomToolCallOutput(_)
    )
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("id", &self.id)
            .field("history_len", &self.history.len())
            .field("tools", &self.tools)
            .field("max_iterations", &self.max_iterations)
            .field("auto_compact", &self.auto_compact)
            .field("compact_limit", &self.compact_limit)
            .field("last_usage", &self.last_usage)
            .field("window_number", &self.window_number)
            .field("turn_id", &self.turn.as_ref().map(|t| &t.id))
            .finish_non_exhaustive()
    }
}

impl Conversation {
    pub(crate) fn new(client: CodexClient) -> Self {
        Self {
            client,
            options: CallOptions::new(),
            id: codex_client::new_uuid_v7(),
            history: History::new(),
            tools: ToolRegistry::new(),
            max_iterations: DEFAULT_MAX_TOOL_ITERATIONS,
            auto_compact: true,
            compact_limit: None,
            last_total: None,
            last_usage: None,
            window_number: 0,
            turn: None,
        }
    }

    /// The context window number (`x-codex-window-id: <id>:<n>`): 0 for a new
    /// conversation, one more after each compaction.
    pub fn window_number(&self) -> u64 {
        self.window_number
    }

    /// Resumes at this window number (with [`with_id`](Self::with_id), for a saved
    /// conversation that was compacted before).
    #[must_use]
    pub fn with_window_number(mut self, n: u64) -> Self {
        self.window_number = n;
        self
    }

    /// The id of the current user turn (a UUIDv7), once a turn started.
    pub fn turn_id(&self) -> Option<&str> {
        self.turn.as_ref().map(|t| t.id.as_str())
    }

    /// The `x-codex-turn-state` captured from the current turn's first response, if any.
    pub fn turn_state(&self) -> Option<&str> {
        self.turn.as_ref().and_then(|t| t.state.as_deref())
    }

    /// Starts a new user turn unless `input` only answers the current turn's tool calls (a
    /// follow-up of the same turn keeps its id and turn state; a new turn drops them).
    fn begin_turn(&mut self, input: &[ResponseItem]) {
        let follow_up = self.turn.is_some() && input.iter().all(is_tool_output);
        if !follow_up {
            self.turn = Some(CurrentTurn {
                id: codex_client::new_uuid_v7(),
                started_at: SystemTime::now(),
                state: None,
            });
        }
    }

    /// Keeps the turn state of the turn's first response that carried one.
    fn note_turn_state(&mut self, state: Option<&str>) {
        if let (Some(turn), Some(state)) = (self.turn.as_mut(), state)
            && turn.state.is_none()
        {
            turn.state = Some(state.to_owned());
        }
    }

    /// Options applied to every turn of this conversation (on top of the client's session
    /// defaults).
    #[must_use]
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// The options applied to every turn, to change them.
    pub fn options_mut(&mut self) -> &mut CallOptions {
        &mut self.options
    }

    /// Sets the model of the following turns.
    pub fn set_model(&mut self, model: impl Into<String>) -> &mut Self {
        self.options.model = Some(model.into());
        self
    }

    /// The conversation id (a UUID): `session-id`, `thread-id` and `prompt_cache_key`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Uses another conversation id (e.g. to resume a saved conversation).
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The history, oldest first.
    pub fn history(&self) -> &[ResponseItem] {
        &self.history
    }

    /// The history, shared (a reference count, no copy of the items): e.g. for
    /// [`CodexClient::stream_after`]. Keeping this clone alive across a turn makes the
    /// conversation copy its items once when the turn is committed (copy on write).
    pub fn shared_history(&self) -> History {
        self.history.clone()
    }

    /// Appends an item to the history (e.g. a developer message, or the output of a tool
    /// call you ran yourself after [`send`](Self::send)).
    pub fn push(&mut self, item: impl Into<ResponseItem>) -> &mut Self {
        self.history.push(item.into());
        self
    }

    /// Replaces the history (e.g. a saved one; a `Vec` or a [`History`] is kept without
    /// copying its items).
    pub fn set_history(&mut self, history: impl Into<History>) -> &mut Self {
        self.history = history.into();
        self.last_total = None;
        self.last_usage = None;
        self
    }

    /// Clears the history (the id, options and tools stay).
    pub fn reset(&mut self) -> &mut Self {
        self.set_history(History::new())
    }

    /// Usage reported by the last completed turn.
    pub fn last_usage(&self) -> Option<&Usage> {
        self.last_usage.as_ref()
    }

    /// The bound of model requests in one [`run`](Self::run) (default
    /// [`DEFAULT_MAX_TOOL_ITERATIONS`]).
    #[must_use]
    pub fn max_tool_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n.max(1);
        self
    }

    /// The options of the next request: conversation options, registered tools, id.
    fn call_options(&self) -> CallOptions {
        let mut o = self.options.clone();
        for t in self.tools.definitions() {
            o = o.tool(t);
        }
        if o.conversation_id.is_none() {
            o.conversation_id = Some(self.id.clone());
        }
        o.window_number = Some(self.window_number);
        if let Some(t) = &self.turn {
            o.turn_id = Some(t.id.clone());
            o.turn_started_at = Some(t.started_at);
            o.turn_state = t.state.clone();
        }
        o
    }

    fn model(&self) -> String {
        self.options
            .model
            .clone()
            .unwrap_or_else(|| self.client.default_model().to_owned())
    }

    /// Adds a finished turn to the history, without the reasoning items that could not be
    /// replayed (no `encrypted_content`; see [`replayable`]).
    fn commit(&mut self, items: Vec<ResponseItem>, usage: Option<Usage>) {
        self.history.extend(items.into_iter().filter(replayable));
        if let Some(u) = &usage {
            self.last_total = Some((u.total_tokens, self.history.len()));
        }
        self.last_usage = usage;
    }

    /// Starts one streaming turn with `input` (no tool execution). The returned
    /// [`Turn`] yields the events; the history is updated when `response.completed`
    /// passes through it (or in [`Turn::finish`]). Dropping the turn before that leaves
    /// the history unchanged.
    ///
    /// If the model calls tools, the calls are in the history after the turn: push their
    /// outputs ([`push`](Self::push)) before the next turn, or use [`run`](Self::run).
    ///
    /// Input that only answers the pending tool calls ([`push`](Self::push)ed outputs and an
    /// empty input, or tool output items) continues the current turn: same turn id, and the
    /// `x-codex-turn-state` of the turn's first response is echoed. Any other input starts
    /// a new turn.
    pub async fn send(&mut self, input: impl Into<Input>) -> Result<Turn<'_>> {
        let input = input.into().into_items();
        self.begin_turn(&input);
        self.send_in_turn(input).await
    }

    /// [`send`](Self::send) within the current turn.
    async fn send_in_turn(&mut self, input: Vec<ResponseItem>) -> Result<Turn<'_>> {
        self.maybe_auto_compact().await?;
        let stream = self
            .client
            .wire_after(self.history.clone(), input.clone(), &self.call_options())
            .await?;
        self.note_turn_state(stream.turn_state());
        Ok(Turn {
            conv: self,
            stream,
            input,
            out: TurnAccumulator::without_text(),
            committed: false,
        })
    }

    /// One turn read to its end (no tool execution); see [`send`](Self::send).
    ///
    /// When auto-compaction is on and the server answers that the context window is
    /// exceeded, the history is compacted and the turn sent once more. A turn whose stream
    /// fails after it started with a retryable error is sent again like
    /// [`CodexClient::respond`](crate::CodexClient::respond) does
    /// ([`TextResponse::retries`] lists the retries).
    pub async fn respond(&mut self, input: impl Into<Input>) -> Result<TextResponse> {
        let input = input.into().into_items();
        let mut retries = TurnRetries::new(&self.client, "conversation.respond");
        let mut compacted = false;
        let mut first = true;
        loop {
            // The first send opens the turn; a resend (after compaction or a retryable
            // failure) stays within it.
            let turn = if std::mem::take(&mut first) {
                self.send(input.clone()).await?
            } else {
                self.send_in_turn(input.clone()).await?
            };
            match turn.finish().await {
                Ok(r) => return Ok(retries.report(r)),
                Err(e) if !compacted && self.should_compact_after(&e) => {
                    tracing::info!("context window exceeded; compacting and retrying once");
                    self.compact().await?;
                    compacted = true;
                }
                Err(e) => retries.after(e).await?,
            }
        }
    }
}

pub(crate) fn aborted() -> Error {
    Error::new(ErrorKind::Aborted, "request aborted")
}
