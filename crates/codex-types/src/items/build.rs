//! Constructors and conversions for building items by hand.

use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Map;

use super::Compaction;
use super::CompactionTrigger;
use super::ContentPart;
use super::ContextCompaction;
use super::CustomToolCall;
use super::CustomToolCallOutput;
use super::FunctionCall;
use super::FunctionCallOutput;
use super::ImageGenerationCall;
use super::InputImage;
use super::LocalShellCall;
use super::Message;
use super::ReasoningItem;
use super::ResponseItem;
use super::Role;
use super::ToolSearchCall;
use super::ToolSearchOutput;
use super::WebSearchCall;
use crate::lossless::NullKeys;

/// The `output` of a tool call output item: a plain string or content parts (never an
/// object).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ToolOutput {
    /// A plain string.
    Text(String),
    /// `input_text` / `input_image` parts.
    Parts(Vec<ContentPart>),
}

impl From<String> for ToolOutput {
    fn from(s: String) -> Self {
        ToolOutput::Text(s)
    }
}

impl From<&str> for ToolOutput {
    fn from(s: &str) -> Self {
        ToolOutput::Text(s.to_owned())
    }
}

impl From<Vec<ContentPart>> for ToolOutput {
    fn from(p: Vec<ContentPart>) -> Self {
        ToolOutput::Parts(p)
    }
}

impl Message {
    /// A message with the given role and parts.
    pub fn new(role: Role, content: Vec<ContentPart>) -> Self {
        Message {
            role,
            content,
            id: None,
            phase: None,
            status: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// The concatenated text of all text-like parts.
    pub fn text(&self) -> String {
        self.content.iter().filter_map(ContentPart::text).collect()
    }
}

impl ReasoningItem {
    /// A reasoning item with the given summary sections.
    pub fn new(summary: Vec<ContentPart>) -> Self {
        ReasoningItem {
            summary,
            content: None,
            encrypted_content: None,
            id: None,
            status: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// The summary sections joined with blank lines.
    pub fn summary_text(&self) -> String {
        let parts: Vec<&str> = self.summary.iter().filter_map(ContentPart::text).collect();
        parts.join("\n\n")
    }
}

/// The id of a tool call (`call_id`), a type of its own so that a call's id and its tool's
/// name cannot be swapped in [`FunctionCall::new`] or [`CustomToolCall::new`]:
///
/// ```compile_fail
/// use codex_types::{CallId, FunctionCall};
/// // The name where the id goes, and the id where the name goes: does not compile.
/// let call = FunctionCall::new("lookup", CallId::new("call_7"), "{}");
/// ```
///
/// ```
/// use codex_types::{CallId, FunctionCall};
/// let call = FunctionCall::new(CallId::new("call_7"), "lookup", "{}");
/// assert_eq!(call.call_id, "call_7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallId(String);

impl CallId {
    /// A call id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id, by value.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FunctionCall {
    /// A function call.
    pub fn new(call_id: CallId, name: impl Into<String>, arguments: impl Into<String>) -> Self {
        FunctionCall {
            name: name.into(),
            arguments: arguments.into(),
            call_id: call_id.into_string(),
            namespace: None,
            id: None,
            status: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// Decodes the JSON `arguments` string into `T`.
    pub fn arguments_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.arguments)
    }

    /// The `function_call_output` item answering this call with `text`.
    pub fn output(&self, text: impl Into<String>) -> ResponseItem {
        ResponseItem::FunctionCallOutput(FunctionCallOutput::new(
            self.call_id.clone(),
            ToolOutput::Text(text.into()),
        ))
    }

    /// The `function_call_output` item answering this call with content parts.
    pub fn output_parts(&self, parts: Vec<ContentPart>) -> ResponseItem {
        ResponseItem::FunctionCallOutput(FunctionCallOutput::new(
            self.call_id.clone(),
            ToolOutput::Parts(parts),
        ))
    }
}

impl FunctionCallOutput {
    /// An output for `call_id`.
    pub fn new(call_id: impl Into<String>, output: impl Into<ToolOutput>) -> Self {
        FunctionCallOutput {
            call_id: call_id.into(),
            output: output.into(),
            name: None,
            namespace: None,
            id: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }
}

impl CustomToolCall {
    /// A custom tool call.
    pub fn new(call_id: CallId, name: impl Into<String>, input: impl Into<String>) -> Self {
        CustomToolCall {
            call_id: call_id.into_string(),
            name: name.into(),
            input: input.into(),
            status: None,
            namespace: None,
            id: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// The `custom_tool_call_output` item answering this call with `text`.
    pub fn output(&self, text: impl Into<String>) -> ResponseItem {
        ResponseItem::CustomToolCallOutput(CustomToolCallOutput::new(
            self.call_id.clone(),
            ToolOutput::Text(text.into()),
        ))
    }

    /// The `custom_tool_call_output` item answering this call with content parts.
    pub fn output_parts(&self, parts: Vec<ContentPart>) -> ResponseItem {
        ResponseItem::CustomToolCallOutput(CustomToolCallOutput::new(
            self.call_id.clone(),
            ToolOutput::Parts(parts),
        ))
    }
}

impl CustomToolCallOutput {
    /// An output for `call_id`.
    pub fn new(call_id: impl Into<String>, output: impl Into<ToolOutput>) -> Self {
        CustomToolCallOutput {
            call_id: call_id.into(),
            output: output.into(),
            name: None,
            id: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }
}

impl LocalShellCall {
    /// The `function_call_output` item answering this call (by `call_id`, else `id`).
    pub fn output(&self, text: impl Into<String>) -> ResponseItem {
        let call_id = self
            .call_id
            .clone()
            .or_else(|| self.id.clone())
            .unwrap_or_default();
        ResponseItem::FunctionCallOutput(FunctionCallOutput::new(
            call_id,
            ToolOutput::Text(text.into()),
        ))
    }
}

macro_rules! item_from {
    ($($ty:ident),*) => {$(
        impl From<$ty> for ResponseItem {
            fn from(x: $ty) -> Self {
                ResponseItem::$ty(x)
            }
        }
    )*};
}
item_from!(
    Message,
    FunctionCall,
    FunctionCallOutput,
    CustomToolCall,
    CustomToolCallOutput,
    LocalShellCall,
    WebSearchCall,
    ImageGenerationCall,
    ToolSearchCall,
    ToolSearchOutput,
    Compaction,
    CompactionTrigger,
    ContextCompaction
);

impl From<ReasoningItem> for ResponseItem {
    fn from(x: ReasoningItem) -> Self {
        ResponseItem::Reasoning(x)
    }
}

impl From<InputImage> for ContentPart {
    fn from(x: InputImage) -> Self {
        ContentPart::InputImage(x)
    }
}
