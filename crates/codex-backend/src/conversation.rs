//! [`Conversation`]: multi-turn history, a tool loop and auto-compaction.

use std::pin::Pin;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;
use std::time::SystemTime;

use codex_client::ResponseStream;
use codex_client::TextResponse;
use codex_types::History;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::Tool;
use codex_types::ToolOutput;
use codex_types::Usage;
use codex_types::turn::TurnAccumulator;
use codex_types::turn::is_tool_call;
use codex_types::turn::replayable;
use futures_core::Stream;
use serde_json::Value;

use crate::codex::CodexClient;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::Input;
use crate::tools::ToolHandler;
use crate::tools::ToolRegistry;
use crate::turn_retry::TurnRetries;

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

/// What one image in the history is assumed to cost in the auto-compaction estimate
/// (a base64 image would otherwise count its bytes as tokens and trigger a compaction on
/// every turn).
const IMAGE_TOKEN_ESTIMATE: u64 = 1_000;

/// About 4 bytes of JSON per token; each image (an `input_image` part, a `data:image/…`
/// URL, the `result` of an `image_generation_call`) counts [`IMAGE_TOKEN_ESTIMATE`]
/// instead of its bytes.
fn estimate_tokens(items: &[ResponseItem]) -> u64 {
    let mut v = serde_json::to_value(items).unwrap_or(Value::Null);
    let mut images = 0u64;
    strip_images(&mut v, &mut images);
    let bytes = serde_json::to_vec(&v).map(|v| v.len()).unwrap_or(0) as u64;
    bytes
        .div_ceil(4)
        .saturating_add(images.saturating_mul(IMAGE_TOKEN_ESTIMATE))
}

/// Removes image payloads from `v`, counting them in `images`.
fn strip_images(v: &mut Value, images: &mut u64) {
    match v {
        Value::String(s) if s.starts_with("data:image/") => {
            *images += 1;
            s.clear();
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip_images(x, images)),
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).map(str::to_owned);
            if kind.as_deref() == Some("input_image") {
                *images += 1;
                o.clear();
                return;
            }
            if kind.as_deref() == Some("image_generation_call")
                && o.remove("result").is_some_and(|r| !r.is_null())
            {
                *images += 1;
            }
            o.values_mut().for_each(|x| strip_images(x, images));
        }
        _ => {}
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

    /// The token count auto-compaction compares with the limit: the last reported
    /// `total_tokens` plus an estimate of the items added since, or an estimate of the
    /// whole history.
    pub fn estimated_tokens(&self) -> u64 {
        match self.last_total {
            Some((total, len)) if len <= self.history.len() => {
                total.saturating_add(estimate_tokens(&self.history[len..]))
            }
            _ => estimate_tokens(&self.history),
        }
    }

    /// Turns auto-compaction on or off (default on).
    #[must_use]
    pub fn auto_compact(mut self, on: bool) -> Self {
        self.auto_compact = on;
        self
    }

    /// Compacts at this many tokens instead of the model's auto-compact limit.
    #[must_use]
    pub fn auto_compact_limit(mut self, tokens: u64) -> Self {
        self.compact_limit = Some(tokens);
        self
    }

    /// The bound of model requests in one [`run`](Self::run) (default
    /// [`DEFAULT_MAX_TOOL_ITERATIONS`]).
    #[must_use]
    pub fn max_tool_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n.max(1);
        self
    }

    /// A time limit for each tool call (default none); a tool that takes longer gets
    /// `error: tool timed out` as its output.
    #[must_use]
    pub fn tool_timeout(mut self, timeout: Duration) -> Self {
        self.tools.set_timeout(Some(timeout));
        self
    }

    /// The tools registered so far (their definitions, as sent).
    pub fn tools(&self) -> Vec<Tool> {
        self.tools.definitions()
    }

    /// The conversation's tool registry, to register tools or run calls by hand.
    pub fn tool_registry(&mut self) -> &mut ToolRegistry {
        &mut self.tools
    }

    /// Uses `registry` (its tools, handlers and time limit) for the tool loop, replacing the
    /// tools registered so far.
    #[must_use]
    pub fn with_tools(mut self, registry: ToolRegistry) -> Self {
        self.tools = registry;
        self
    }

    /// Registers a typed `function` tool: the schema is derived from `A`, the arguments are
    /// decoded into `A`, and the `Ok` value is the output ([`ToolRegistry::register`]).
    pub fn register<A>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        handler: impl ToolHandler<A, Returns: serde::Serialize>,
    ) -> &mut Self
    where
        A: schemars::JsonSchema + serde::de::DeserializeOwned + Send + 'static,
    {
        self.tools.register(name, description, handler);
        self
    }

    /// Registers a tool and its async handler ([`ToolRegistry::register_tool`]; a tool of
    /// the same name is replaced). Tools without a client-side handler (web search, local
    /// shell) are [`ErrorKind::Tool`].
    pub fn register_tool(
        &mut self,
        tool: impl Into<Tool>,
        handler: impl ToolHandler<Value, Returns: Into<ToolOutput>>,
    ) -> Result<&mut Self> {
        self.tools.register_tool(tool, handler)?;
        Ok(self)
    }

    /// Registers a `function` tool from its name, description and JSON Schema of the
    /// arguments, with its async handler (gets the parsed arguments;
    /// [`ToolRegistry::register_function`]).
    pub fn register_function(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: impl ToolHandler<Value, Returns: Into<ToolOutput>>,
    ) -> &mut Self {
        self.tools
            .register_function(name, description, parameters, handler);
        self
    }

    /// Registers a `function` tool with a hand-written schema whose handler takes typed
    /// arguments ([`ToolRegistry::register_typed`]); arguments that do not decode are
    /// answered with `error: invalid arguments: …` without calling the handler.
    pub fn register_typed<A>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: impl ToolHandler<A, Returns: Into<ToolOutput>>,
    ) -> &mut Self
    where
        A: serde::de::DeserializeOwned + Send + 'static,
    {
        self.tools
            .register_typed(name, description, parameters, handler);
        self
    }

    /// Registers a `custom` (freeform) tool with its async handler (gets the input as a
    /// JSON string; [`ToolRegistry::register_custom`]).
    pub fn register_custom(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        handler: impl ToolHandler<Value, Returns: Into<ToolOutput>>,
    ) -> &mut Self {
        self.tools.register_custom(name, description, handler);
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

    async fn maybe_auto_compact(&mut self) -> Result<()> {
        if !self.auto_compact || self.history.is_empty() {
            return Ok(());
        }
        let used = self.estimated_tokens();
        let limit = match self.compact_limit {
            Some(l) => l,
            None => match self.client.model_cached(&self.model()).await {
                Ok(m) => match m.auto_compact_token_limit() {
                    Some(l) => l,
                    None => return Ok(()),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "no model info: auto-compaction skipped");
                    return Ok(());
                }
            },
        };
        if used >= limit {
            tracing::info!(
                used,
                limit,
                "history near the auto-compact limit; compacting"
            );
            self.compact().await?;
        }
        Ok(())
    }

    /// Replaces the history by its compacted form ([`crate::CodexClient::compact_with`]:
    /// compaction v2 by default, `POST /responses/compact` with
    /// [`crate::CompactionMode::Legacy`]), sent with
    /// `request_kind: "compaction"`; the window number goes up by one afterwards.
    pub async fn compact(&mut self) -> Result<()> {
        if self.history.is_empty() {
            return Ok(());
        }
        let mut opts = self.call_options();
        // The turn state routes the turn's model requests, not the compaction.
        opts.turn_state = None;
        let out = self
            .client
            .compact_with(self.history.to_vec(), opts)
            .await?;
        self.history = History::from(out);
        self.window_number = self.window_number.saturating_add(1);
        self.last_total = None;
        self.last_usage = None;
        Ok(())
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

    /// The tool loop: sends `input`; while the model calls tools, runs their registered
    /// handlers (concurrently when there are several), appends each call's output after
    /// the calls and sends again; returns the model's final answer (the last response).
    ///
    /// A call to an unknown tool gets `error: unknown tool <name>` as its output (so the
    /// model can recover); a `local_shell_call` gets an error output too (this client runs
    /// no shell). More than [`max_tool_iterations`](Self::max_tool_iterations) requests is
    /// [`ErrorKind::ToolLoopLimit`]. The whole run is committed to the history only when
    /// it succeeds.
    ///
    /// A request whose stream closes early, idles out or fails with a retryable code is sent
    /// again, up to [`RetryPolicy::stream_max_retries`](crate::RetryPolicy::stream_max_retries)
    /// times with the client's backoff; the final answer's [`TextResponse::retries`] lists the
    /// retries of every request of the run, in order.
    pub async fn run(&mut self, input: impl Into<Input>) -> Result<TextResponse> {
        self.run_inner(input.into(), |_| {}, false).await
    }

    /// [`run`](Self::run), calling `on_event` with every event of every request as it
    /// arrives (to show text deltas, reasoning summaries and tool calls live).
    ///
    /// A request that fails with a retryable error is sent again only while `on_event` has
    /// seen none of its events (output handed to the caller is never replayed);
    /// [`run`](Self::run), whose caller sees only the result, always may.
    pub async fn run_with_events(
        &mut self,
        input: impl Into<Input>,
        on_event: impl FnMut(&ResponseEvent) + Send,
    ) -> Result<TextResponse> {
        self.run_inner(input.into(), on_event, true).await
    }

    /// The tool loop; `live`: the caller sees `on_event`'s events, so a request whose events
    /// reached it is not sent again.
    async fn run_inner(
        &mut self,
        input: Input,
        mut on_event: impl FnMut(&ResponseEvent) + Send,
        live: bool,
    ) -> Result<TextResponse> {
        let mut aborts = self.client.inner.aborts.subscribe();
        let mut turn: Vec<ResponseItem> = input.into_items();
        self.begin_turn(&turn);
        self.maybe_auto_compact().await?;
        // The retries of every request of the run, reported on the final answer.
        let mut all_retries = Vec::new();
        for i in 0..self.max_iterations {
            let mut opts = self.call_options();
            if aborts.has_changed().unwrap_or(false) {
                return Err(aborted());
            }
            // The transport stops its streams on abort; the select also covers an abort
            // that lands between two requests.
            let mut retries = TurnRetries::new(&self.client, "conversation.run");
            let mut compacted = false;
            let resp = loop {
                let mut seen = 0_u64;
                let mut counted = |ev: &ResponseEvent| {
                    seen += 1;
                    on_event(ev);
                };
                let r = tokio::select! {
                    r = self.request(&turn, &opts, &mut counted) => r,
                    _ = aborts.changed() => return Err(aborted()),
                };
                match r {
                    Ok(r) => break retries.report(r),
                    Err(e) if i == 0 && !compacted && self.should_compact_after(&e) => {
                        tracing::info!("context window exceeded; compacting and retrying once");
                        self.compact().await?;
                        compacted = true;
                        opts = self.call_options();
                    }
                    // Events already went to `on_event`: the caller saw output, so the turn
                    // is not sent again.
                    Err(e) if live && seen > 0 => return Err(e),
                    Err(e) => retries.after(e).await?,
                }
            };
            // Later requests of the same turn echo the sticky-routing token (protocol §3.1).
            self.note_turn_state(resp.turn_state.as_deref());
            let mut resp = resp;
            all_retries.append(&mut resp.retries);
            let calls: Vec<ResponseItem> = resp
                .items
                .iter()
                .filter(|i| is_tool_call(i))
                .cloned()
                .collect();
            turn.extend(resp.items.iter().filter(|i| replayable(i)).cloned());
            if calls.is_empty() {
                self.commit(turn, resp.usage.clone());
                resp.retries = all_retries;
                return Ok(resp);
            }
            let outputs = tokio::select! {
                outputs = self.run_tools(&calls) => outputs,
                _ = aborts.changed() => return Err(aborted()),
            };
            turn.extend(outputs);
        }
        Err(Error::new(
            ErrorKind::ToolLoopLimit,
            format!(
                "the model was still calling tools after {} requests",
                self.max_iterations
            ),
        ))
    }

    /// True when `e` says the context window is exceeded and compacting may help.
    fn should_compact_after(&self, e: &Error) -> bool {
        self.auto_compact
            && !self.history.is_empty()
            && e.kind() == ErrorKind::ContextWindowExceeded
    }

    /// One request with `turn` after the history, read to its end.
    async fn request(
        &self,
        turn: &[ResponseItem],
        opts: &CallOptions,
        on_event: &mut (impl FnMut(&ResponseEvent) + Send),
    ) -> Result<TextResponse> {
        let stream = self
            .client
            .wire_after(self.history.clone(), turn.to_vec(), opts)
            .await?;
        Ok(stream
            .collect_turn(TurnAccumulator::without_text(), on_event)
            .await?)
    }

    /// The tool calls at the end of the history that have no output yet (after a
    /// [`send`](Self::send) whose answer called tools). Answer them with
    /// [`run_tools`](Self::run_tools) and [`push`](Self::push) before the next turn.
    pub fn pending_tool_calls(&self) -> Vec<ResponseItem> {
        let answered: std::collections::HashSet<&str> = self
            .history
            .iter()
            .filter_map(|i| match i {
                ResponseItem::FunctionCallOutput(o) => Some(o.call_id.as_str()),
                ResponseItem::CustomToolCallOutput(o) => Some(o.call_id.as_str()),
                _ => None,
            })
            .collect();
        self.history
            .iter()
            .filter(|i| is_tool_call(i) && i.call_id().is_some_and(|id| !answered.contains(id)))
            .cloned()
            .collect()
    }

    /// Runs the handlers of `calls` concurrently; returns one output item per call, in
    /// the order of the calls.
    pub async fn run_tools(&self, calls: &[ResponseItem]) -> Vec<ResponseItem> {
        self.tools.run_calls(calls).await
    }
}

/// One streaming turn of a [`Conversation`] (see [`Conversation::send`]): a `Stream` of
/// [`ResponseEvent`]s that records the output items as they pass and commits the turn to
/// the history when `response.completed` arrives. Dropping it earlier commits nothing.
pub struct Turn<'a> {
    conv: &'a mut Conversation,
    stream: ResponseStream,
    /// The input items (moved to the history on commit).
    input: Vec<ResponseItem>,
    /// The answer so far (items, ids, usage, outcome).
    out: TurnAccumulator,
    committed: bool,
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

pub(crate) fn aborted() -> Error {
    Error::new(ErrorKind::Aborted, "request aborted")
}
