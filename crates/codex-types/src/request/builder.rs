//! The `ResponsesRequest` builder.

use std::collections::BTreeMap;

use serde_json::Map;
use serde_json::Value;

use super::History;
use super::ResponsesRequest;
use super::ServiceTier;
use super::Verbosity;
use super::controls::INCLUDE_REASONING_ENCRYPTED_CONTENT;
use super::controls::JsonSchemaFormat;
use super::controls::Reasoning;
use super::controls::TextControls;
use super::controls::TextFormat;
use super::controls::ToolChoice;
use super::error::RequestError;
use super::validate;
use crate::items::ResponseItem;
use crate::tools::Tool;

/// Builder for [`ResponsesRequest`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ResponsesRequestBuilder {
    pub(super) req: ResponsesRequest,
    pub(super) include_encrypted_reasoning: Option<bool>,
}

impl ResponsesRequestBuilder {
    /// System prompt (default `""`).
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.req.instructions = instructions.into();
        self
    }

    /// Replaces the input items (and drops a shared [`history`](Self::history) set before).
    pub fn input(mut self, input: Vec<ResponseItem>) -> Self {
        self.req.input.shared = History::new();
        self.req.input.own = input;
        self
    }

    /// Sets the shared history sent before the input items (kept as is: no copy of its
    /// items; [`input`](Self::input) and [`push_input`](Self::push_input) add the items
    /// sent after it). The wire body is the same as with one `input` list of both.
    pub fn history(mut self, history: impl Into<History>) -> Self {
        self.req.input.shared = history.into();
        self
    }

    /// Appends one input item (after the shared history).
    pub fn push_input(mut self, item: impl Into<ResponseItem>) -> Self {
        self.req.input.own.push(item.into());
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
