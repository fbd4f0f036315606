//! Per-call options ([`CallOptions`]), web search modes and call input ([`Input`]).

use std::time::Duration;

use codex_client::AbortHandle;
use codex_types::ContentPart;
use codex_types::JsonSchemaFormat;
use codex_types::Message;
use codex_types::ReasoningEffort;
use codex_types::ReasoningSummary;
use codex_types::ResponseItem;
use codex_types::ServiceTier;
use codex_types::Tool;
use codex_types::ToolChoice;
use codex_types::Verbosity;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

/// The server-side web search tool mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebSearch {
    /// No web search tool (default).
    #[default]
    Disabled,
    /// `{"type":"web_search","external_web_access":false}`: the cached index only.
    Cached,
    /// `{"type":"web_search","external_web_access":true}`: live web access.
    Live,
}

impl WebSearch {
    /// Parses `disabled`/`off`/`none`, `cached`, `live` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "disabled" | "off" | "none" | "false" => Some(Self::Disabled),
            "cached" => Some(Self::Cached),
            "live" | "on" | "true" => Some(Self::Live),
            _ => None,
        }
    }

    /// `disabled`, `cached` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Cached => "cached",
            Self::Live => "live",
        }
    }
}

/// How a history is compacted ([`crate::CodexClient::compact`], auto-compaction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompactionMode {
    /// Compaction v2, as the official client 0.171 does it (the default): `POST /responses`
    /// with the history plus `{"type":"compaction_trigger"}`, `x-codex-beta-features:
    /// remote_compaction_v2`, `request_kind: "compaction"`; the answer's one `compaction`
    /// item replaces the history, after the latest user messages. When the server refuses
    /// v2 as unsupported, the call falls back to [`CompactionMode::Legacy`] by itself.
    #[default]
    V2,
    /// The older `POST /responses/compact` (the CLI's `compact --legacy`): its `output`
    /// replaces the history.
    Legacy,
}

impl CompactionMode {
    /// `v2` or `legacy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::Legacy => "legacy",
        }
    }
}

/// Options of one call, each overriding the session default set on
/// [`crate::CodexClientBuilder`] when set. `CallOptions::default()` (or
/// [`CallOptions::new`]) overrides nothing.
///
/// ```
/// use codex_backend::{CallOptions, ReasoningEffort, Verbosity};
/// let opts = CallOptions::new()
///     .model("gpt-5.4-mini")
///     .reasoning_effort(ReasoningEffort::Low)
///     .verbosity(Verbosity::Low);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
#[must_use]
pub struct CallOptions {
    pub(crate) model: Option<String>,
    pub(crate) instructions: Option<String>,
    pub(crate) reasoning_effort: Option<ReasoningEffort>,
    pub(crate) reasoning_summary: Option<ReasoningSummary>,
    pub(crate) verbosity: Option<Verbosity>,
    pub(crate) web_search: Option<WebSearch>,
    pub(crate) service_tier: Option<ServiceTier>,
    pub(crate) parallel_tool_calls: Option<bool>,
    pub(crate) tools: Option<Vec<Tool>>,
    pub(crate) extra_tools: Vec<Tool>,
    pub(crate) tool_choice: Option<ToolChoice>,
    pub(crate) include_encrypted_reasoning: Option<bool>,
    pub(crate) json_schema: Option<JsonSchemaFormat>,
    pub(crate) prompt_cache_key: Option<String>,
    pub(crate) conversation_id: Option<String>,
    pub(crate) abort: Option<AbortHandle>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) track_text: Option<bool>,
    /// The sticky-routing token of the current turn.
    pub(crate) turn_state: Option<String>,
    /// The id of the current turn (default: a fresh UUIDv7 per request).
    pub(crate) turn_id: Option<String>,
    /// When the current turn started (default: the request time).
    pub(crate) turn_started_at: Option<std::time::SystemTime>,
    /// The context window number (default 0).
    pub(crate) window_number: Option<u64>,
    /// What the request does (set by compaction only).
    pub(crate) request_kind: Option<codex_client::RequestKind>,
    /// How compaction is done (default [`CompactionMode::V2`]).
    pub(crate) compaction_mode: Option<CompactionMode>,
    /// Extra `x-codex-beta-features` keys of this call (set by compaction v2).
    pub(crate) beta_features: Vec<String>,
}

impl CallOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// The model slug.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// The instructions (system prompt).
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// `reasoning.effort`.
    pub fn reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.reasoning_effort = Some(effort);
        self
    }

    /// `reasoning.summary`.
    pub fn reasoning_summary(mut self, summary: ReasoningSummary) -> Self {
        self.reasoning_summary = Some(summary);
        self
    }

    /// `text.verbosity`.
    pub fn verbosity(mut self, verbosity: Verbosity) -> Self {
        self.verbosity = Some(verbosity);
        self
    }

    /// The web search tool mode.
    pub fn web_search(mut self, mode: WebSearch) -> Self {
        self.web_search = Some(mode);
        self
    }

    /// `service_tier` (`ServiceTier::Priority` is "fast"; `Default` sends nothing).
    pub fn service_tier(mut self, tier: ServiceTier) -> Self {
        self.service_tier = Some(tier);
        self
    }

    /// `parallel_tool_calls` (always `false` on the wire without tools).
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.parallel_tool_calls = Some(parallel);
        self
    }

    /// Replaces the session's tools for this call.
    pub fn tools(mut self, tools: Vec<Tool>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Adds one tool to this call (on top of the session's tools, or of
    /// [`tools`](Self::tools)).
    pub fn tool(mut self, tool: impl Into<Tool>) -> Self {
        self.extra_tools.push(tool.into());
        self
    }

    /// `tool_choice` (default: `auto` with tools, `none` without).
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Whether to request `include: ["reasoning.encrypted_content"]` so reasoning items can
    /// be replayed in later turns (session default: on). This is not the Python SDK's
    /// `include_reasoning` (which documents "emit reasoning events"): reasoning deltas are
    /// always streamed, whatever this says.
    pub fn include_encrypted_reasoning(mut self, include: bool) -> Self {
        self.include_encrypted_reasoning = Some(include);
        self
    }

    /// The old name of [`include_encrypted_reasoning`](Self::include_encrypted_reasoning).
    #[deprecated(
        since = "0.1.1",
        note = "renamed include_encrypted_reasoning: it asks for reasoning.encrypted_content, not for reasoning events as the Python SDK's include_reasoning"
    )]
    pub fn include_reasoning(self, include: bool) -> Self {
        self.include_encrypted_reasoning(include)
    }

    /// Structured output: `text.format` = a JSON schema named `name` (`[A-Za-z0-9_-]{1,64}`).
    pub fn json_schema(
        mut self,
        name: impl Into<String>,
        schema: serde_json::Value,
        strict: bool,
    ) -> Self {
        self.json_schema = Some(JsonSchemaFormat::new(name, schema).strict(strict));
        self
    }

    /// `prompt_cache_key` (default: the conversation id, when one is set).
    pub fn prompt_cache_key(mut self, key: impl Into<String>) -> Self {
        self.prompt_cache_key = Some(key.into());
        self
    }

    /// One id per conversation (a UUID), sent as `session-id`, `thread-id`,
    /// `x-client-request-id` and used as the `prompt_cache_key` (protocol §3.3). Without
    /// one, calls outside a conversation form the client's own thread: one UUIDv7 made when
    /// the client is built and shared by its clones, so repeated one-shot calls reuse one
    /// WebSocket connection and go incremental when their input extends the previous call's.
    pub fn conversation_id(mut self, id: impl Into<String>) -> Self {
        self.conversation_id = Some(id.into());
        self
    }

    /// A handle that stops this call from another task (in addition to
    /// [`crate::CodexClient::abort`]).
    pub fn abort_handle(mut self, handle: AbortHandle) -> Self {
        self.abort = Some(handle);
        self
    }

    /// A total deadline for this call (overrides the client's
    /// [`crate::CodexClientBuilder::timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether the stream keeps the output text it received, for
    /// [`ResponseStream::received_text`](crate::ResponseStream::received_text) and
    /// [`Error::partial_text`](crate::Error::partial_text) (default on).
    ///
    /// Memory: on, the stream holds a copy of the whole answer text until it is dropped
    /// (about 1 byte per byte of text; a 200 MB answer costs 200 MB). Off, a stream's memory
    /// stays flat however long the answer is, `received_text` is empty and a failed stream's
    /// `partial_text` is `Some("")`: turn it off for very long answers whose text you print
    /// or store as it arrives from the events, as the CLI does. Off, the `text` of
    /// [`CodexClient::respond`](crate::CodexClient::respond) is empty too (the output items
    /// still hold the answer).
    pub fn track_text(mut self, yes: bool) -> Self {
        self.track_text = Some(yes);
        self
    }

    /// The sticky-routing token from the first response of the current turn
    /// ([`crate::TextResponse::turn_state`]), echoed as `x-codex-turn-state` on the turn's
    /// later requests (tool-output follow-ups). Never reuse it in another turn.
    /// [`crate::Conversation`] does this by itself.
    pub fn turn_state(mut self, state: impl Into<String>) -> Self {
        self.turn_state = Some(state.into());
        self
    }

    /// The id of the turn this call belongs to (sent in `x-codex-turn-metadata`): keep it
    /// for the follow-ups of one user turn. Default: a fresh UUIDv7
    /// ([`codex_client::new_uuid_v7`]) per call. [`crate::Conversation`] does this by itself.
    pub fn turn_id(mut self, id: impl Into<String>) -> Self {
        self.turn_id = Some(id.into());
        self
    }

    /// The context window number (`x-codex-window-id: <conversation id>:<n>`, default 0),
    /// one more after each compaction. [`crate::Conversation`] counts it by itself.
    pub fn window_number(mut self, n: u64) -> Self {
        self.window_number = Some(n);
        self
    }

    /// How [`crate::CodexClient::compact_with`] (and a conversation's compaction) compacts
    /// (default [`CompactionMode::V2`]).
    pub fn compaction_mode(mut self, mode: CompactionMode) -> Self {
        self.compaction_mode = Some(mode);
        self
    }

    /// The model override, if set.
    pub fn model_override(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// `self` with every option unset in `self` taken from `base`
    /// (tools added with [`tool`](Self::tool) are concatenated: `base`'s first).
    pub fn or(mut self, base: &CallOptions) -> Self {
        macro_rules! fill {
            ($($f:ident),*) => {$(
                if self.$f.is_none() {
                    self.$f = base.$f.clone();
                }
            )*};
        }
        fill!(
            model,
            instructions,
            reasoning_effort,
            reasoning_summary,
            verbosity,
            web_search,
            service_tier,
            parallel_tool_calls,
            tools,
            tool_choice,
            include_encrypted_reasoning,
            json_schema,
            prompt_cache_key,
            conversation_id,
            abort,
            timeout,
            track_text,
            turn_state,
            turn_id,
            turn_started_at,
            window_number,
            request_kind,
            compaction_mode
        );
        let mut extra = base.extra_tools.clone();
        extra.append(&mut self.extra_tools);
        self.extra_tools = extra;
        self
    }
}

/// Refuses, before any request, the option combinations the backend rejects or the Python
/// SDK treats as exclusive ([`ErrorKind::InvalidInput`]): `call` (this call's options) sets
/// both a verbosity and a JSON schema; `tool_choice` is `required` without any tool, or names
/// a function that is not among `tools`. (Web search with minimal reasoning effort is refused
/// by the request's own validation.)
pub(crate) fn check_combinations(
    call: &CallOptions,
    resolved: &CallOptions,
    tools: &[Tool],
) -> Result<()> {
    if call.verbosity.is_some() && call.json_schema.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "verbosity and a JSON schema (structured output) cannot be combined: set one of them",
        ));
    }
    match &resolved.tool_choice {
        Some(ToolChoice::Required) if tools.is_empty() => Err(Error::new(
            ErrorKind::InvalidInput,
            "tool_choice \"required\" needs at least one tool",
        )),
        Some(ToolChoice::Function(name))
            if !tools.iter().any(|t| t.name() == Some(name.as_str())) =>
        {
            Err(Error::new(
                ErrorKind::InvalidInput,
                format!("tool_choice names the function {name}, which is not among the tools"),
            ))
        }
        _ => Ok(()),
    }
}

/// The input of a call: the items appended after the history (a user message, or any
/// items). Built from a `&str`/`String` (a user text message), a [`ResponseItem`], a
/// `Vec<ResponseItem>`, a [`Message`] or a `Vec<ContentPart>` (a user message with text and
/// images).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Input {
    items: Vec<ResponseItem>,
}

impl Input {
    /// A user text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            items: vec![ResponseItem::user_text(text)],
        }
    }

    /// A user message with these parts (text and images).
    pub fn parts(parts: Vec<ContentPart>) -> Self {
        Self {
            items: vec![ResponseItem::user_parts(parts)],
        }
    }

    /// No new input: the model continues from the history alone (after tool results,
    /// as the Python SDK's `None`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Any items, as they are.
    pub fn items(items: Vec<ResponseItem>) -> Self {
        Self { items }
    }

    /// The items.
    pub fn as_items(&self) -> &[ResponseItem] {
        &self.items
    }

    /// The items, by value.
    pub fn into_items(self) -> Vec<ResponseItem> {
        self.items
    }
}

impl From<Option<Input>> for Input {
    /// `None` is [`Input::none`].
    fn from(input: Option<Input>) -> Self {
        input.unwrap_or_default()
    }
}

impl From<&str> for Input {
    fn from(s: &str) -> Self {
        Self::text(s)
    }
}

impl From<String> for Input {
    fn from(s: String) -> Self {
        Self::text(s)
    }
}

impl From<&String> for Input {
    fn from(s: &String) -> Self {
        Self::text(s.clone())
    }
}

impl From<ResponseItem> for Input {
    fn from(item: ResponseItem) -> Self {
        Self { items: vec![item] }
    }
}

impl From<Vec<ResponseItem>> for Input {
    fn from(items: Vec<ResponseItem>) -> Self {
        Self { items }
    }
}

impl From<&[ResponseItem]> for Input {
    fn from(items: &[ResponseItem]) -> Self {
        Self {
            items: items.to_vec(),
        }
    }
}

impl From<Message> for Input {
    fn from(m: Message) -> Self {
        Self {
            items: vec![ResponseItem::Message(m)],
        }
    }
}

impl From<Vec<ContentPart>> for Input {
    fn from(parts: Vec<ContentPart>) -> Self {
        Self::parts(parts)
    }
}
