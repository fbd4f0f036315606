//! The `POST /responses` request body (protocol §4.1) and the compact request (§7.1).

use std::collections::BTreeMap;
use std::collections::HashSet;

use serde::Deserialize;
use serde::Serialize;
use serde::Serializer;
use serde_json::Map;
use serde_json::Value;

use crate::items::ResponseItem;
use crate::lossless::string_enum;
use crate::tools::Tool;

/// The `include` value that makes the server return `encrypted_content` on reasoning items.
pub const INCLUDE_REASONING_ENCRYPTED_CONTENT: &str = "reasoning.encrypted_content";

string_enum! {
    /// `reasoning.effort`. Unknown strings (model-defined efforts) are kept.
    ReasoningEffort {
        /// `none`.
        None = "none",
        /// `minimal`.
        Minimal = "minimal",
        /// `low`.
        Low = "low",
        /// `medium`.
        Medium = "medium",
        /// `high`.
        High = "high",
        /// `xhigh`.
        XHigh = "xhigh",
        /// `max` (newest catalogs).
        Max = "max",
        /// `ultra` (newest catalogs). Never sent as such: requests carry `max`, as the
        /// official client does (see [`ReasoningEffort::wire_str`]).
        Ultra = "ultra",
    }
}

impl ReasoningEffort {
    /// The value sent in requests: [`as_str`](Self::as_str), except that
    /// [`ReasoningEffort::Ultra`] goes on the wire as `max` (codex-rs never sends `ultra`).
    pub fn wire_str(&self) -> &str {
        match self {
            ReasoningEffort::Ultra => ReasoningEffort::Max.as_str(),
            other => other.as_str(),
        }
    }
}

fn serialize_wire_effort<S: Serializer>(
    effort: &Option<ReasoningEffort>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match effort {
        Some(e) => s.serialize_str(e.wire_str()),
        None => s.serialize_none(),
    }
}

string_enum! {
    /// `reasoning.summary`.
    ReasoningSummary {
        /// `auto`.
        Auto = "auto",
        /// `concise`.
        Concise = "concise",
        /// `detailed`.
        Detailed = "detailed",
    }
}

string_enum! {
    /// `text.verbosity`.
    Verbosity {
        /// `low`.
        Low = "low",
        /// `medium`.
        Medium = "medium",
        /// `high`.
        High = "high",
    }
}

string_enum! {
    /// `service_tier`. `"fast"` (the user-facing name) parses as [`ServiceTier::Priority`],
    /// which is what goes on the wire. [`ServiceTier::Default`] sends nothing.
    ServiceTier {
        /// Send no `service_tier`.
        Default = "default",
        /// `priority` ("fast" mode).
        Priority = "priority" | "fast",
        /// `flex`.
        Flex = "flex",
    }
}

/// The `reasoning` object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reasoning {
    /// Effort (serialized with [`ReasoningEffort::wire_str`]: `ultra` is sent as `max`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_wire_effort"
    )]
    pub effort: Option<ReasoningEffort>,
    /// Summary mode (`None` = no summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
    /// `auto`, `current_turn`, `all_turns` (newest backends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl Reasoning {
    /// Reasoning with the given effort and no summary.
    pub fn effort(effort: ReasoningEffort) -> Self {
        Reasoning {
            effort: Some(effort),
            summary: None,
            context: None,
        }
    }

    /// Sets the summary mode.
    #[must_use]
    pub fn with_summary(mut self, summary: ReasoningSummary) -> Self {
        self.summary = Some(summary);
        self
    }
}

/// `tool_choice`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToolChoice {
    /// `"auto"`.
    Auto,
    /// `"none"`.
    None,
    /// `"required"`.
    Required,
    /// `{"type":"function","name":…}`.
    Function(String),
    /// Any other value, kept verbatim.
    Other(Value),
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Auto => s.serialize_str("auto"),
            ToolChoice::None => s.serialize_str("none"),
            ToolChoice::Required => s.serialize_str("required"),
            ToolChoice::Function(name) => {
                serde_json::json!({"type": "function", "name": name}).serialize(s)
            }
            ToolChoice::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match v.as_str() {
            Some("auto") => ToolChoice::Auto,
            Some("none") => ToolChoice::None,
            Some("required") => ToolChoice::Required,
            _ => {
                let is_fn = v.get("type").and_then(Value::as_str) == Some("function");
                match (
                    is_fn,
                    v.get("name").and_then(Value::as_str),
                    v.as_object().map(|o| o.len()),
                ) {
                    (true, Some(name), Some(2)) => ToolChoice::Function(name.to_owned()),
                    _ => ToolChoice::Other(v),
                }
            }
        })
    }
}

/// The `text` object: verbosity and/or a structured-output format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TextControls {
    /// Verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<Verbosity>,
    /// Output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

impl TextControls {
    /// Controls with only a verbosity.
    pub fn verbosity(verbosity: Verbosity) -> Self {
        TextControls {
            verbosity: Some(verbosity),
            format: None,
        }
    }

    /// Controls with only a JSON-schema output format.
    pub fn json_schema(format: JsonSchemaFormat) -> Self {
        TextControls {
            verbosity: None,
            format: Some(TextFormat::JsonSchema(format)),
        }
    }
}

/// `text.format`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum TextFormat {
    /// `{"type":"json_schema", "name", "strict", "schema"}`.
    JsonSchema(JsonSchemaFormat),
    /// Any other format, kept verbatim.
    Other(Value),
}

/// A structured-output JSON schema format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "json_schema")]
#[non_exhaustive]
pub struct JsonSchemaFormat {
    /// Schema name (`[A-Za-z0-9_-]{1,64}`; codex-rs uses `codex_output_schema`).
    pub name: String,
    /// Strict adherence.
    pub strict: bool,
    /// The JSON Schema.
    pub schema: Value,
}

impl JsonSchemaFormat {
    /// A strict schema format named `name`.
    pub fn new(name: impl Into<String>, schema: Value) -> Self {
        JsonSchemaFormat {
            name: name.into(),
            strict: true,
            schema,
        }
    }

    /// Sets `strict`.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
}

/// Why a request was refused before sending (the backend is known to reject it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The model name is empty.
    #[error("model must not be empty")]
    EmptyModel,
    /// The backend answers 400 "The following tools cannot be used with reasoning.effort
    /// 'minimal': web_search."
    #[error("the web_search tool cannot be used with reasoning effort minimal")]
    WebSearchWithMinimalEffort,
    /// A tool output has no matching call earlier in `input` (400 from the Responses API).
    #[error("{kind} for call id {call_id:?} has no matching call earlier in input")]
    OrphanToolOutput {
        /// `function_call_output` or `custom_tool_call_output`.
        kind: &'static str,
        /// The orphan call id.
        call_id: String,
    },
    /// A tool call in `input` has no output after it (protocol §4.2: every call in `input`
    /// must have its output). Run the tool and append its `function_call_output` /
    /// `custom_tool_call_output` before sending, or drop the call from the history.
    #[error(
        "{kind} with call id {call_id:?} has no {output} in input (every call sent back must \
         be followed by its output: append the tool result or drop the call)"
    )]
    MissingToolOutput {
        /// `function_call`, `local_shell_call` or `custom_tool_call`.
        kind: &'static str,
        /// The output type the call needs (`function_call_output` or
        /// `custom_tool_call_output`).
        output: &'static str,
        /// The call id without an output.
        call_id: String,
    },
    /// The JSON schema format name is not `[A-Za-z0-9_-]{1,64}`.
    #[error("invalid json schema format name {0:?} (expected 1 to 64 of A-Z a-z 0-9 _ -)")]
    InvalidSchemaName(String),
}

/// The body of `POST /responses`.
///
/// `Serialize` writes the exact wire body: `store: false` and `stream: true` always,
/// `instructions` always (default `""`; a missing key gets a 400), `tools` always (`[]`
/// when none), `tool_choice` (`"none"` without tools unless set, else `"auto"`),
/// `parallel_tool_calls` (forced `false` without tools), `include` always (a list).
///
/// ```
/// use codex_types::{ResponsesRequest, ResponseItem, Reasoning, ReasoningEffort};
/// let req = ResponsesRequest::builder("gpt-5.4")
///     .push_input(ResponseItem::user_text("hi"))
///     .reasoning(Reasoning::effort(ReasoningEffort::Low))
///     .build()
///     .unwrap();
/// let body = serde_json::to_value(&req).unwrap();
/// assert_eq!(body["store"], false);
/// assert_eq!(body["stream"], true);
/// assert_eq!(body["instructions"], "");
/// assert_eq!(body["include"][0], "reasoning.encrypted_content");
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ResponsesRequest {
    model: String,
    #[serde(default)]
    instructions: String,
    #[serde(default)]
    input: Vec<ResponseItem>,
    #[serde(default)]
    tools: Vec<Tool>,
    #[serde(default)]
    tool_choice: Option<ToolChoice>,
    #[serde(default)]
    parallel_tool_calls: bool,
    #[serde(default)]
    reasoning: Option<Reasoning>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    prompt_cache_key: Option<String>,
    #[serde(default)]
    text: Option<TextControls>,
    #[serde(default)]
    service_tier: Option<ServiceTier>,
    #[serde(default)]
    client_metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    stream_options: Option<Map<String, Value>>,
    #[serde(default)]
    access_programs: Option<Map<String, Value>>,
}

#[derive(Serialize)]
struct Wire<'a> {
    model: &'a str,
    instructions: &'a str,
    input: &'a [ResponseItem],
    tools: &'a [Tool],
    tool_choice: ToolChoice,
    parallel_tool_calls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<&'a Reasoning>,
    store: bool,
    stream: bool,
    include: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_cache_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a TextControls>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<&'a ServiceTier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_metadata: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_programs: Option<&'a Map<String, Value>>,
}

impl Serialize for ResponsesRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let no_tools = self.tools.is_empty();
        Wire {
            model: &self.model,
            instructions: &self.instructions,
            input: &self.input,
            tools: &self.tools,
            tool_choice: self.tool_choice.clone().unwrap_or(if no_tools {
                ToolChoice::None
            } else {
                ToolChoice::Auto
            }),
            parallel_tool_calls: self.parallel_tool_calls && !no_tools,
            reasoning: self.reasoning.as_ref(),
            store: false,
            stream: true,
            include: &self.include,
            prompt_cache_key: self.prompt_cache_key.as_deref(),
            text: self.text.as_ref(),
            service_tier: self
                .service_tier
                .as_ref()
                .filter(|t| **t != ServiceTier::Default),
            client_metadata: self.client_metadata.as_ref().filter(|m| !m.is_empty()),
            stream_options: self.stream_options.as_ref(),
            access_programs: self.access_programs.as_ref(),
        }
        .serialize(s)
    }
}

impl ResponsesRequest {
    /// A builder for a request to `model`.
    pub fn builder(model: impl Into<String>) -> ResponsesRequestBuilder {
        ResponsesRequestBuilder {
            req: ResponsesRequest {
                model: model.into(),
                instructions: String::new(),
                input: Vec::new(),
                tools: Vec::new(),
                tool_choice: None,
                parallel_tool_calls: false,
                reasoning: None,
                include: Vec::new(),
                prompt_cache_key: None,
                text: None,
                service_tier: None,
                client_metadata: None,
                stream_options: None,
                access_programs: None,
            },
            include_encrypted_reasoning: None,
        }
    }

    /// A request with defaults for everything but the model and the input.
    pub fn new(model: impl Into<String>, input: Vec<ResponseItem>) -> Result<Self, RequestError> {
        ResponsesRequest::builder(model).input(input).build()
    }

    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The instructions (`""` by default).
    pub fn instructions(&self) -> &str {
        &self.instructions
    }

    /// The input items.
    pub fn input(&self) -> &[ResponseItem] {
        &self.input
    }

    /// Appends items to the input (e.g. the model's output and the tool outputs of the
    /// previous turn) and checks the request again.
    pub fn extend_input(
        &mut self,
        items: impl IntoIterator<Item = ResponseItem>,
    ) -> Result<(), RequestError> {
        // Validate the result before keeping it: on error the request is left as it was.
        let before = self.input.len();
        self.input.extend(items);
        let checked = validate(self);
        if checked.is_err() {
            self.input.truncate(before);
        }
        checked
    }

    /// `stream_options` (e.g. `{"reasoning_summary_delivery":"sequential_cutoff"}`), if set.
    pub fn stream_options(&self) -> Option<&Map<String, Value>> {
        self.stream_options.as_ref()
    }

    /// `access_programs` (e.g. `{"cyber":"standard"}`), if set.
    pub fn access_programs(&self) -> Option<&Map<String, Value>> {
        self.access_programs.as_ref()
    }

    /// The tools.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The explicit `tool_choice`, if set.
    pub fn tool_choice(&self) -> Option<&ToolChoice> {
        self.tool_choice.as_ref()
    }

    /// `parallel_tool_calls` as set.
    pub fn parallel_tool_calls(&self) -> bool {
        self.parallel_tool_calls
    }

    /// Reasoning settings.
    pub fn reasoning(&self) -> Option<&Reasoning> {
        self.reasoning.as_ref()
    }

    /// `include`.
    pub fn include(&self) -> &[String] {
        &self.include
    }

    /// The prompt cache key, if set.
    pub fn prompt_cache_key(&self) -> Option<&str> {
        self.prompt_cache_key.as_deref()
    }

    /// Sets the prompt cache key (the client fills it from the conversation id when the
    /// caller set none).
    pub fn set_prompt_cache_key(&mut self, key: impl Into<String>) {
        self.prompt_cache_key = Some(key.into());
    }

    /// Text controls.
    pub fn text(&self) -> Option<&TextControls> {
        self.text.as_ref()
    }

    /// Service tier.
    pub fn service_tier(&self) -> Option<&ServiceTier> {
        self.service_tier.as_ref()
    }

    /// Client metadata.
    pub fn client_metadata(&self) -> Option<&BTreeMap<String, String>> {
        self.client_metadata.as_ref()
    }

    /// Sets a client metadata entry (e.g. `x-codex-installation-id`).
    pub fn set_client_metadata(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.client_metadata
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
    }

    /// Checks the request against what the backend is known to reject.
    pub fn validate(&self) -> Result<(), RequestError> {
        validate(self)
    }
}

fn valid_schema_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn validate(req: &ResponsesRequest) -> Result<(), RequestError> {
    if req.model.trim().is_empty() {
        return Err(RequestError::EmptyModel);
    }
    let minimal = req
        .reasoning
        .as_ref()
        .and_then(|r| r.effort.as_ref())
        .is_some_and(|e| *e == ReasoningEffort::Minimal);
    if minimal && req.tools.iter().any(Tool::is_web_search) {
        return Err(RequestError::WebSearchWithMinimalEffort);
    }
    if let Some(TextFormat::JsonSchema(f)) = req.text.as_ref().and_then(|t| t.format.as_ref())
        && !valid_schema_name(&f.name)
    {
        return Err(RequestError::InvalidSchemaName(f.name.clone()));
    }
    check_pairs(&req.input, true)
}

/// Every tool output follows its call; with `require_outputs`, every call also has its
/// output (protocol §4.2).
fn check_pairs(input: &[ResponseItem], require_outputs: bool) -> Result<(), RequestError> {
    let mut fn_calls: HashSet<&str> = HashSet::new();
    let mut custom_calls: HashSet<&str> = HashSet::new();
    for item in input {
        match item {
            ResponseItem::FunctionCall(c) => {
                fn_calls.insert(&c.call_id);
            }
            ResponseItem::LocalShellCall(c) => {
                if let Some(id) = c.call_id.as_deref().or(c.id.as_deref()) {
                    fn_calls.insert(id);
                }
            }
            ResponseItem::CustomToolCall(c) => {
                custom_calls.insert(&c.call_id);
            }
            ResponseItem::FunctionCallOutput(o) if !fn_calls.contains(o.call_id.as_str()) => {
                return Err(RequestError::OrphanToolOutput {
                    kind: "function_call_output",
                    call_id: o.call_id.clone(),
                });
            }
            ResponseItem::CustomToolCallOutput(o) if !custom_calls.contains(o.call_id.as_str()) => {
                return Err(RequestError::OrphanToolOutput {
                    kind: "custom_tool_call_output",
                    call_id: o.call_id.clone(),
                });
            }
            _ => {}
        }
    }
    if !require_outputs {
        return Ok(());
    }
    let mut fn_outputs: HashSet<&str> = HashSet::new();
    let mut custom_outputs: HashSet<&str> = HashSet::new();
    for item in input {
        match item {
            ResponseItem::FunctionCallOutput(o) => {
                fn_outputs.insert(&o.call_id);
            }
            ResponseItem::CustomToolCallOutput(o) => {
                custom_outputs.insert(&o.call_id);
            }
            _ => {}
        }
    }
    for item in input {
        let missing = match item {
            ResponseItem::FunctionCall(c) if !fn_outputs.contains(c.call_id.as_str()) => {
                Some(("function_call", "function_call_output", c.call_id.as_str()))
            }
            ResponseItem::LocalShellCall(c) => c
                .call_id
                .as_deref()
                .or(c.id.as_deref())
                .filter(|id| !fn_outputs.contains(id))
                .map(|id| ("local_shell_call", "function_call_output", id)),
            ResponseItem::CustomToolCall(c) if !custom_outputs.contains(c.call_id.as_str()) => {
                Some((
                    "custom_tool_call",
                    "custom_tool_call_output",
                    c.call_id.as_str(),
                ))
            }
            _ => None,
        };
        if let Some((kind, output, call_id)) = missing {
            return Err(RequestError::MissingToolOutput {
                kind,
                output,
                call_id: call_id.to_owned(),
            });
        }
    }
    Ok(())
}

/// Builder for [`ResponsesRequest`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ResponsesRequestBuilder {
    req: ResponsesRequest,
    include_encrypted_reasoning: Option<bool>,
}

impl ResponsesRequestBuilder {
    /// System prompt (default `""`).
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.req.instructions = instructions.into();
        self
    }

    /// Replaces the input items.
    pub fn input(mut self, input: Vec<ResponseItem>) -> Self {
        self.req.input = input;
        self
    }

    /// Appends one input item.
    pub fn push_input(mut self, item: impl Into<ResponseItem>) -> Self {
        self.req.input.push(item.into());
        self
    }

    /// `stream_options` (protocol §4.1, newest backends), e.g.
    /// `{"reasoning_summary_delivery":"sequential_cutoff"}`. Not sent by default.
    pub fn stream_options(mut self, options: Map<String, Value>) -> Self {
        self.req.stream_options = Some(options);
        self
    }

    /// `access_programs` (protocol §4.1, newest backends), e.g. `{"cyber":"standard"}`. Not
    /// sent by default.
    pub fn access_programs(mut self, programs: Map<String, Value>) -> Self {
        self.req.access_programs = Some(programs);
        self
    }

    /// Replaces the tools.
    pub fn tools(mut self, tools: Vec<Tool>) -> Self {
        self.req.tools = tools;
        self
    }

    /// Appends one tool.
    pub fn push_tool(mut self, tool: impl Into<Tool>) -> Self {
        self.req.tools.push(tool.into());
        self
    }

    /// `tool_choice` (default: `"none"` without tools, `"auto"` with tools).
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.req.tool_choice = Some(choice);
        self
    }

    /// `parallel_tool_calls` (default `false`; always `false` without tools).
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.req.parallel_tool_calls = parallel;
        self
    }

    /// Reasoning settings. Unless [`include_encrypted_reasoning`](Self::include_encrypted_reasoning)
    /// is set to `false`, `reasoning.encrypted_content` is added to `include` (with
    /// `store: false`, reasoning cannot be replayed otherwise).
    pub fn reasoning(mut self, reasoning: Reasoning) -> Self {
        self.req.reasoning = Some(reasoning);
        self
    }

    /// Whether to add `reasoning.encrypted_content` to `include` when reasoning is set
    /// (default `true`).
    pub fn include_encrypted_reasoning(mut self, include: bool) -> Self {
        self.include_encrypted_reasoning = Some(include);
        self
    }

    /// Replaces `include`.
    pub fn include(mut self, include: Vec<String>) -> Self {
        self.req.include = include;
        self
    }

    /// Prompt cache key (use one stable id per conversation).
    pub fn prompt_cache_key(mut self, key: impl Into<String>) -> Self {
        self.req.prompt_cache_key = Some(key.into());
        self
    }

    /// Replaces the text controls.
    pub fn text(mut self, text: TextControls) -> Self {
        self.req.text = Some(text);
        self
    }

    /// Sets `text.verbosity`.
    pub fn verbosity(mut self, verbosity: Verbosity) -> Self {
        self.req
            .text
            .get_or_insert_with(TextControls::default)
            .verbosity = Some(verbosity);
        self
    }

    /// Sets `text.format` to a JSON schema (structured output).
    pub fn json_schema(mut self, format: JsonSchemaFormat) -> Self {
        self.req
            .text
            .get_or_insert_with(TextControls::default)
            .format = Some(TextFormat::JsonSchema(format));
        self
    }

    /// Service tier ([`ServiceTier::Default`] sends nothing).
    pub fn service_tier(mut self, tier: ServiceTier) -> Self {
        self.req.service_tier = Some(tier);
        self
    }

    /// Replaces the client metadata.
    pub fn client_metadata(mut self, metadata: BTreeMap<String, String>) -> Self {
        self.req.client_metadata = Some(metadata);
        self
    }

    /// Checks and builds the request.
    pub fn build(self) -> Result<ResponsesRequest, RequestError> {
        let mut req = self.req;
        if req.reasoning.is_some()
            && self.include_encrypted_reasoning != Some(false)
            && !req
                .include
                .iter()
                .any(|i| i == INCLUDE_REASONING_ENCRYPTED_CONTENT)
        {
            req.include
                .push(INCLUDE_REASONING_ENCRYPTED_CONTENT.to_owned());
        }
        validate(&req)?;
        Ok(req)
    }
}

/// The body of `POST /responses/compact` (protocol §7.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompactRequest {
    /// Model.
    pub model: String,
    /// Full history to compact.
    pub input: Vec<ResponseItem>,
    /// Instructions (omitted when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instructions: String,
    /// Tools (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// `parallel_tool_calls`.
    #[serde(default)]
    pub parallel_tool_calls: bool,
    /// Reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Service tier ([`ServiceTier::Default`] is not sent).
    #[serde(default, skip_serializing_if = "skip_tier")]
    pub service_tier: Option<ServiceTier>,
    /// Prompt cache key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// Text controls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextControls>,
    /// `access_programs` (e.g. `{"cyber":"standard"}`), not sent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_programs: Option<Map<String, Value>>,
}

fn skip_tier(t: &Option<ServiceTier>) -> bool {
    matches!(t, None | Some(ServiceTier::Default))
}

impl CompactRequest {
    /// A compact request for `input`.
    pub fn new(model: impl Into<String>, input: Vec<ResponseItem>) -> Self {
        CompactRequest {
            model: model.into(),
            input,
            instructions: String::new(),
            tools: Vec::new(),
            parallel_tool_calls: false,
            reasoning: None,
            service_tier: None,
            prompt_cache_key: None,
            text: None,
            access_programs: None,
        }
    }

    /// Checks what the backend is known to reject: an empty model, or a tool output without
    /// its call earlier in `input`. (A call without its output is allowed here: compacting a
    /// history that ends in unanswered calls is legitimate.)
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.model.trim().is_empty() {
            return Err(RequestError::EmptyModel);
        }
        check_pairs(&self.input, false)
    }

    /// The compact request matching a turn request (same model, history, instructions,
    /// tools and settings).
    pub fn from_request(req: &ResponsesRequest) -> Self {
        CompactRequest {
            model: req.model.clone(),
            input: req.input.clone(),
            instructions: req.instructions.clone(),
            tools: req.tools.clone(),
            parallel_tool_calls: req.parallel_tool_calls && !req.tools.is_empty(),
            reasoning: req.reasoning.clone(),
            service_tier: req.service_tier.clone(),
            prompt_cache_key: req.prompt_cache_key.clone(),
            text: req.text.clone(),
            access_programs: req.access_programs.clone(),
        }
    }
}

impl From<&ResponsesRequest> for CompactRequest {
    fn from(req: &ResponsesRequest) -> Self {
        CompactRequest::from_request(req)
    }
}

/// The response of `POST /responses/compact`: the replacement history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompactResponse {
    /// Replacement history (contains a `compaction` item).
    #[serde(default)]
    pub output: Vec<ResponseItem>,
    /// Response id, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Keys this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::FunctionCall;
    use crate::tools::WebSearchTool;
    use serde_json::json;

    #[test]
    fn ultra_effort_goes_on_the_wire_as_max() {
        let req = ResponsesRequest::builder("gpt-5.4")
            .push_input(ResponseItem::user_text("hi"))
            .reasoning(Reasoning::effort(ReasoningEffort::Ultra))
            .build()
            .unwrap();
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["reasoning"]["effort"], "max");
        let c = serde_json::to_value(CompactRequest::from_request(&req)).unwrap();
        assert_eq!(c["reasoning"]["effort"], "max");
        assert_eq!(ReasoningEffort::Ultra.wire_str(), "max");
        assert_eq!(ReasoningEffort::High.wire_str(), "high");
        // Reading keeps what was written: a catalog's `ultra` stays Ultra.
        assert_eq!(ReasoningEffort::parse("ultra"), ReasoningEffort::Ultra);
    }

    #[test]
    fn wire_defaults() {
        let req = ResponsesRequest::new("gpt-5.4", vec![ResponseItem::user_text("hi")]).unwrap();
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(
            v,
            json!({"model":"gpt-5.4","instructions":"","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],
                   "tools":[],"tool_choice":"none","parallel_tool_calls":false,"store":false,"stream":true,"include":[]})
        );
        let back: ResponsesRequest = serde_json::from_value(v).unwrap();
        assert_eq!(back.model(), "gpt-5.4");
        assert_eq!(back.input().len(), 1);
    }

    #[test]
    fn validation() {
        assert_eq!(
            ResponsesRequest::new(" ", vec![]).unwrap_err(),
            RequestError::EmptyModel
        );
        let err = ResponsesRequest::builder("m")
            .push_tool(WebSearchTool::new())
            .reasoning(Reasoning::effort(ReasoningEffort::Minimal))
            .build()
            .unwrap_err();
        assert_eq!(err, RequestError::WebSearchWithMinimalEffort);
        let call = FunctionCall::new(crate::items::CallId::new("c1"), "f", "{}");
        let err = ResponsesRequest::new("m", vec![call.output("x")]).unwrap_err();
        assert!(matches!(err, RequestError::OrphanToolOutput { .. }));
        let out = call.output("x");
        assert!(ResponsesRequest::new("m", vec![call.into(), out]).is_ok());
        let err = ResponsesRequest::builder("m")
            .json_schema(JsonSchemaFormat::new("bad name", json!({})))
            .build()
            .unwrap_err();
        assert!(matches!(err, RequestError::InvalidSchemaName(_)));
    }

    #[test]
    fn every_call_needs_its_output() {
        let call = FunctionCall::new(crate::items::CallId::new("c1"), "f", "{}");
        let err = ResponsesRequest::new("m", vec![call.clone().into()]).unwrap_err();
        assert_eq!(
            err,
            RequestError::MissingToolOutput {
                kind: "function_call",
                output: "function_call_output",
                call_id: "c1".into()
            }
        );
        assert!(err.to_string().contains("append the tool result"), "{err}");
        let custom = crate::items::CustomToolCall::new(
            crate::items::CallId::new("k1"),
            "apply_patch",
            "*** x",
        );
        let err = ResponsesRequest::new("m", vec![custom.clone().into()]).unwrap_err();
        assert!(matches!(
            err,
            RequestError::MissingToolOutput { kind: "custom_tool_call", ref call_id, .. } if call_id == "k1"
        ));
        // A custom output does not answer a function call of the same id.
        let err =
            ResponsesRequest::new("m", vec![call.clone().into(), custom.output("x")]).unwrap_err();
        assert!(matches!(err, RequestError::OrphanToolOutput { .. }));
        assert!(
            ResponsesRequest::new(
                "m",
                vec![
                    call.clone().into(),
                    custom.clone().into(),
                    custom.output("ok"),
                    call.output("ok"),
                ]
            )
            .is_ok()
        );
        // A compact request may end in unanswered calls, but not hold orphan outputs.
        let c = CompactRequest::new("m", vec![call.clone().into()]);
        assert!(c.validate().is_ok());
        let c = CompactRequest::new("m", vec![call.output("x")]);
        assert!(c.validate().is_err());
        assert_eq!(
            CompactRequest::new("", vec![]).validate(),
            Err(RequestError::EmptyModel)
        );
    }

    #[test]
    fn extend_input_leaves_the_request_unchanged_on_error() {
        let call = FunctionCall::new(crate::items::CallId::new("c1"), "f", "{}");
        let mut req = ResponsesRequest::new("m", vec![ResponseItem::user_text("hi")]).unwrap();
        let err = req.extend_input(vec![call.clone().into()]).unwrap_err();
        assert!(matches!(err, RequestError::MissingToolOutput { .. }));
        assert_eq!(req.input().len(), 1);
        assert!(req.validate().is_ok());
        req.extend_input(vec![call.clone().into(), call.output("r")])
            .unwrap();
        assert_eq!(req.input().len(), 3);
    }

    #[test]
    fn stream_options_access_programs_and_reasoning_context_roundtrip() {
        let obj = |v: serde_json::Value| v.as_object().unwrap().clone();
        let mut reasoning = Reasoning::effort(ReasoningEffort::Low);
        reasoning.context = Some("current_turn".into());
        let req = ResponsesRequest::builder("m")
            .stream_options(obj(
                json!({"reasoning_summary_delivery": "sequential_cutoff"}),
            ))
            .access_programs(obj(json!({"cyber": "standard"})))
            .reasoning(reasoning)
            .build()
            .unwrap();
        assert_eq!(
            req.stream_options().unwrap()["reasoning_summary_delivery"],
            "sequential_cutoff"
        );
        assert_eq!(req.access_programs().unwrap()["cyber"], "standard");
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(
            v["stream_options"],
            json!({"reasoning_summary_delivery": "sequential_cutoff"})
        );
        assert_eq!(v["access_programs"], json!({"cyber": "standard"}));
        assert_eq!(v["reasoning"]["context"], "current_turn");
        let back: ResponsesRequest = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back.stream_options(), req.stream_options());
        assert_eq!(back.access_programs(), req.access_programs());
        assert_eq!(back.reasoning(), req.reasoning());
        assert_eq!(serde_json::to_value(&back).unwrap(), v);
        // Not sent when unset.
        let plain = serde_json::to_value(ResponsesRequest::new("m", vec![]).unwrap()).unwrap();
        assert!(plain.get("stream_options").is_none());
        assert!(plain.get("access_programs").is_none());
        assert!(plain["reasoning"].get("context").is_none());
        // Compact carries access_programs from the turn request.
        let c = CompactRequest::from_request(&req);
        assert_eq!(
            serde_json::to_value(&c).unwrap()["access_programs"],
            json!({"cyber": "standard"})
        );
    }

    #[test]
    fn tiers_and_reasoning() {
        assert_eq!(ServiceTier::parse("fast"), ServiceTier::Priority);
        assert_eq!(
            ReasoningEffort::parse("galaxy"),
            ReasoningEffort::Other("galaxy".into())
        );
        let req = ResponsesRequest::builder("m")
            .service_tier(ServiceTier::Default)
            .reasoning(Reasoning::effort(ReasoningEffort::High))
            .include_encrypted_reasoning(false)
            .tool_choice(ToolChoice::Function("f".into()))
            .build()
            .unwrap();
        let v = serde_json::to_value(&req).unwrap();
        assert!(v.get("service_tier").is_none());
        assert_eq!(v["include"], json!([]));
        assert_eq!(v["tool_choice"], json!({"type":"function","name":"f"}));
        let req = ResponsesRequest::builder("m")
            .service_tier(ServiceTier::parse("fast"))
            .build()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&req).unwrap()["service_tier"],
            "priority"
        );
    }
}
