//! The tool loop of a [`Conversation`] ([`Conversation::run`]) and its tool registration.

use std::time::Duration;

use codex_client::TextResponse;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::Tool;
use codex_types::ToolOutput;
use codex_types::turn::TurnAccumulator;
use codex_types::turn::is_tool_call;
use codex_types::turn::replayable;
use serde_json::Value;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::Input;
use crate::tools::ToolHandler;
use crate::tools::ToolRegistry;
use crate::turn_retry::TurnRetries;

use super::Conversation;
use super::aborted;

impl Conversation {
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

    // The register_* methods below mirror ToolRegistry's one for one (same parameters) and
    // delegate to it, returning the conversation for chaining: both types offer them publicly,
    // so their signatures repeat on purpose; the logic lives in ToolRegistry only.

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
