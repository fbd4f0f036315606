//! The `POST /responses` request body (protocol §4.1) and the compact request (§7.1).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::HashSet;

use serde::Deserialize;
use serde::Serialize;
use serde::Serializer;
use serde_json::Map;
use serde_json::Value;

use crate::items::ResponseItem;
use crate::tools::Tool;

mod controls;
pub use controls::INCLUDE_REASONING_ENCRYPTED_CONTENT;
pub use controls::JsonSchemaFormat;
pub use controls::Reasoning;
pub use controls::ReasoningEffort;
pub use controls::ReasoningSummary;
pub use controls::ServiceTier;
pub use controls::TextControls;
pub use controls::TextFormat;
pub use controls::ToolChoice;
pub use controls::Verbosity;

mod error;
pub use error::RequestError;

mod history;
pub use history::History;
use history::Input;

mod builder;
pub use builder::ResponsesRequestBuilder;

mod compact;
pub use compact::CompactRequest;
pub use compact::CompactResponse;

#[cfg(test)]
mod tests;

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
    input: Input,
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
    input: &'a Input,
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
                input: Input::default(),
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

    /// The input items: the shared [`history`](Self::history) followed by the
    /// [`new_input`](Self::new_input). Borrowed when one of the two is empty, else a copy
    /// of both (use the two accessors to read them without copying).
    pub fn input(&self) -> Cow<'_, [ResponseItem]> {
        if self.input.own.is_empty() {
            Cow::Borrowed(self.input.shared.as_slice())
        } else if self.input.shared.is_empty() {
            Cow::Borrowed(&self.input.own)
        } else {
            Cow::Owned(self.input.to_vec())
        }
    }

    /// The shared history prefix of the input (empty unless set with
    /// [`ResponsesRequestBuilder::history`]); a clone of it shares its items.
    pub fn history(&self) -> &History {
        &self.input.shared
    }

    /// The input items after the shared [`history`](Self::history).
    pub fn new_input(&self) -> &[ResponseItem] {
        &self.input.own
    }

    /// The number of input items (history and new input).
    pub fn input_len(&self) -> usize {
        self.input.len()
    }

    /// Appends items to the input (e.g. the model's output and the tool outputs of the
    /// previous turn) and checks the request again.
    pub fn extend_input(
        &mut self,
        items: impl IntoIterator<Item = ResponseItem>,
    ) -> Result<(), RequestError> {
        // Validate the result before keeping it: on error the request is left as it was.
        let before = self.input.own.len();
        self.input.own.extend(items);
        let checked = validate(self);
        if checked.is_err() {
            self.input.own.truncate(before);
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
    check_pairs(req.input.iter(), true)
}

/// Every tool output follows its call; with `require_outputs`, every call also has its
/// output (protocol §4.2).
fn check_pairs<'a>(
    input: impl Iterator<Item = &'a ResponseItem> + Clone,
    require_outputs: bool,
) -> Result<(), RequestError> {
    let mut fn_calls: HashSet<&str> = HashSet::new();
    let mut custom_calls: HashSet<&str> = HashSet::new();
    for item in input.clone() {
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
    for item in input.clone() {
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
