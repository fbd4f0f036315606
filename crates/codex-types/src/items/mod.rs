//! Conversation items (protocol §4.2): the `input` of a request and the `output` of a
//! response, tagged by `"type"`.
//!
//! Every item is lossless: keys this version does not know land in the item's `extra` map,
//! explicit `null`s are remembered, and an item of an unknown type (or a known type whose
//! fields do not have the expected shape) is kept verbatim as `Unknown(serde_json::Value)`.
//! Decoding and re-encoding any item gives the same `serde_json::Value`.
//!
//! The input alias `compaction_summary` decodes as [`ResponseItem::Compaction`] and is
//! written back under the type name it was read with (so replaying history is exact); a
//! compaction item built with [`Compaction::new`] is written as `compaction`.

use serde_json::Map;

use crate::lossless::NullKeys;
use crate::lossless::lossless_enum;
use crate::lossless::lossless_struct;
use crate::lossless::string_enum;

mod build;
mod compaction;
mod content;
#[cfg(test)]
mod tests;

pub use build::CallId;
pub use build::ToolOutput;
pub use compaction::Compaction;
pub use content::ImageFileError;

lossless_enum! {
    /// One conversation item (protocol §4.2), tagged by its `"type"`.
    ///
    /// ```
    /// use codex_types::ResponseItem;
    /// let item = ResponseItem::user_text("List three primes.");
    /// let json = serde_json::to_value(&item).unwrap();
    /// assert_eq!(json["type"], "message");
    /// assert_eq!(json["content"][0]["type"], "input_text");
    /// ```
    ResponseItem {
        /// `message`: a user, assistant, developer or system message.
        "message" => Message(Message),
        /// `reasoning`: summary, optional raw content and the opaque `encrypted_content`.
        "reasoning" => Reasoning(ReasoningItem),
        /// `function_call`: a function tool call (arguments are a JSON string).
        "function_call" => FunctionCall(FunctionCall),
        /// `function_call_output`: the caller's answer to a function or local shell call.
        "function_call_output" => FunctionCallOutput(FunctionCallOutput),
        /// `custom_tool_call`: a freeform tool call (e.g. an apply_patch body).
        "custom_tool_call" => CustomToolCall(CustomToolCall),
        /// `custom_tool_call_output`: the caller's answer to a custom tool call.
        "custom_tool_call_output" => CustomToolCallOutput(CustomToolCallOutput),
        /// `local_shell_call`: a request to run a command (answer with `function_call_output`).
        "local_shell_call" => LocalShellCall(LocalShellCall),
        /// `web_search_call`: a server-side web search (safe to replay).
        "web_search_call" => WebSearchCall(WebSearchCall),
        /// `image_generation_call`: a server-side image generation.
        "image_generation_call" => ImageGenerationCall(ImageGenerationCall),
        /// `tool_search_call` (newest backends).
        "tool_search_call" => ToolSearchCall(ToolSearchCall),
        /// `tool_search_output` (newest backends).
        "tool_search_output" => ToolSearchOutput(ToolSearchOutput),
        /// `compaction` (input alias `compaction_summary`): opaque compacted history.
        "compaction" | "compaction_summary" => Compaction(Compaction),
        /// `compaction_trigger`: request control for compaction v2 (last item of `input`).
        "compaction_trigger" => CompactionTrigger(CompactionTrigger),
        /// `context_compaction` (newest backends).
        "context_compaction" => ContextCompaction(ContextCompaction),
    }
}

lossless_enum! {
    /// One part of a message's `content` (also used for reasoning summaries and tool
    /// outputs given as parts).
    ContentPart {
        /// `input_text`.
        "input_text" => InputText(TextPart),
        /// `input_image`: an image URL (may be a `data:` URL) and an optional detail level.
        "input_image" => InputImage(InputImage),
        /// `output_text`: assistant text.
        "output_text" => OutputText(TextPart),
        /// `summary_text`: a reasoning summary section.
        "summary_text" => SummaryText(TextPart),
        /// `reasoning_text`: raw reasoning text.
        "reasoning_text" => ReasoningText(TextPart),
        /// `text`: plain text (seen in reasoning content).
        "text" => Text(TextPart),
        /// `refusal`: an assistant refusal.
        "refusal" => Refusal(Refusal),
    }
}

lossless_enum! {
    /// The `action` of a [`LocalShellCall`].
    LocalShellAction {
        /// `exec`: run a command.
        "exec" => Exec(ExecAction),
    }
}

lossless_enum! {
    /// The `action` of a [`WebSearchCall`].
    WebSearchAction {
        /// `search`: a query.
        "search" => Search(SearchAction),
        /// `open_page`: open a URL.
        "open_page" => OpenPage(OpenPageAction),
        /// `find_in_page`: look for a pattern in a page.
        "find_in_page" => FindInPage(FindInPageAction),
    }
}

string_enum! {
    /// The author of a message.
    Role {
        /// `user`.
        User = "user",
        /// `assistant`.
        Assistant = "assistant",
        /// `developer`.
        Developer = "developer",
        /// `system`.
        System = "system",
    }
}

string_enum! {
    /// Image detail level of an `input_image` part.
    ImageDetail {
        /// `auto`.
        Auto = "auto",
        /// `low`.
        Low = "low",
        /// `high`.
        High = "high",
        /// `original`.
        Original = "original",
    }
}

lossless_struct! {
    /// A `message` item.
    Message {
        /// Author.
        pub role: Role,
        /// Content parts.
        pub content: Vec<ContentPart>,
        /// Item id (`msg_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// `commentary` or `final_answer` (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phase: Option<String>,
        /// Item status when sent by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
    }
}

lossless_struct! {
    /// Text of an `input_text`, `output_text`, `summary_text`, `reasoning_text` or `text`
    /// part. Server parts often carry `annotations` and `logprobs`; they stay in `extra`.
    TextPart {
        /// The text.
        pub text: String,
    }
}

lossless_struct! {
    /// An `input_image` part.
    InputImage {
        /// `https://…` or `data:<mime>;base64,…`.
        pub image_url: String,
        /// Detail level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub detail: Option<ImageDetail>,
    }
}

lossless_struct! {
    /// A `refusal` part.
    Refusal {
        /// Refusal text.
        pub refusal: String,
    }
}

lossless_struct! {
    /// A `reasoning` item. Replay it verbatim (with `encrypted_content`) in later turns.
    ReasoningItem {
        /// Summary sections (`summary_text` parts).
        pub summary: Vec<ContentPart>,
        /// Raw reasoning parts (`reasoning_text` / `text`), rarely sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub content: Option<Vec<ContentPart>>,
        /// Opaque encrypted reasoning (requires `include: ["reasoning.encrypted_content"]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub encrypted_content: Option<String>,
        /// Item id (`rs_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// Item status when sent by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
    }
}

lossless_struct! {
    /// A `function_call` item.
    FunctionCall {
        /// Function name.
        pub name: String,
        /// Arguments, a JSON document encoded as a string.
        pub arguments: String,
        /// Call id that the output must echo.
        pub call_id: String,
        /// Tool namespace (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespace: Option<String>,
        /// Item id (`fc_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// Item status when sent by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
    }
}

lossless_struct! {
    /// A `function_call_output` item.
    FunctionCallOutput {
        /// The call this answers.
        pub call_id: String,
        /// A string or content parts.
        pub output: ToolOutput,
        /// Function name (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// Tool namespace (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespace: Option<String>,
        /// Item id (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
}

lossless_struct! {
    /// A `custom_tool_call` item (freeform input).
    CustomToolCall {
        /// Call id that the output must echo.
        pub call_id: String,
        /// Tool name.
        pub name: String,
        /// Freeform input text.
        pub input: String,
        /// Item status when sent by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// Tool namespace (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespace: Option<String>,
        /// Item id (`ctc_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
}

lossless_struct! {
    /// A `custom_tool_call_output` item.
    CustomToolCallOutput {
        /// The call this answers.
        pub call_id: String,
        /// A string or content parts.
        pub output: ToolOutput,
        /// Tool name (newest backends).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// Item id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
}

lossless_struct! {
    /// A `local_shell_call` item. Answer it with a `function_call_output` using the same
    /// call id.
    LocalShellCall {
        /// What to run.
        pub action: LocalShellAction,
        /// Call id (older payloads only carry `id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub call_id: Option<String>,
        /// `completed`, `in_progress` or `incomplete`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// Item id (`lsh_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
}

lossless_struct! {
    /// The `exec` action of a local shell call.
    ExecAction {
        /// argv.
        pub command: Vec<String>,
        /// Timeout in milliseconds, as sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u64>,
        /// Working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub working_directory: Option<String>,
        /// Environment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub env: Option<std::collections::BTreeMap<String, String>>,
        /// User to run as.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user: Option<String>,
    }
}

lossless_struct! {
    /// A `web_search_call` item.
    WebSearchCall {
        /// Status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// What was done.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub action: Option<WebSearchAction>,
        /// Item id (`ws_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
}

lossless_struct! {
    /// A web `search` action.
    SearchAction {
        /// The query.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub query: Option<String>,
    }
}

lossless_struct! {
    /// An `open_page` action.
    OpenPageAction {
        /// The URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
    }
}

lossless_struct! {
    /// A `find_in_page` action.
    FindInPageAction {
        /// The URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        /// The pattern.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub pattern: Option<String>,
    }
}

lossless_struct! {
    /// An `image_generation_call` item.
    ImageGenerationCall {
        /// Item id (`ig_…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// Status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// Prompt as revised by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub revised_prompt: Option<String>,
        /// The image, base64.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub result: Option<String>,
    }
}

lossless_struct! {
    /// A `tool_search_call` item (`execution`, `arguments` stay in `extra`).
    ToolSearchCall {
        /// Call id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub call_id: Option<String>,
        /// Status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
    }
}

lossless_struct! {
    /// A `tool_search_output` item (`tools` stays in `extra`).
    ToolSearchOutput {
        /// Call id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub call_id: Option<String>,
        /// Status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
    }
}

lossless_struct! {
    /// A `compaction_trigger` item (`{}` apart from its type).
    CompactionTrigger {}
}

lossless_struct! {
    /// A `context_compaction` item (newest backends).
    ContextCompaction {
        /// Opaque content.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub encrypted_content: Option<String>,
        /// Item id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
}

impl ResponseItem {
    /// A user message with one `input_text` part.
    pub fn user_text(text: impl Into<String>) -> Self {
        ResponseItem::Message(Message::new(
            Role::User,
            vec![ContentPart::input_text(text)],
        ))
    }

    /// A message with one text part (`output_text` for the assistant, `input_text` otherwise).
    pub fn text_message(role: Role, text: impl Into<String>) -> Self {
        let part = if role == Role::Assistant {
            ContentPart::output_text(text)
        } else {
            ContentPart::input_text(text)
        };
        ResponseItem::Message(Message::new(role, vec![part]))
    }

    /// A user message with the given parts (text and images).
    pub fn user_parts(parts: Vec<ContentPart>) -> Self {
        ResponseItem::Message(Message::new(Role::User, parts))
    }

    /// `{"type":"compaction_trigger"}`: the last input item of a compaction v2 request.
    pub fn compaction_trigger() -> Self {
        ResponseItem::CompactionTrigger(CompactionTrigger {
            extra: Map::new(),
            nulls: NullKeys::default(),
        })
    }

    /// The call id of a call or call output item.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            ResponseItem::FunctionCall(c) => Some(&c.call_id),
            ResponseItem::FunctionCallOutput(c) => Some(&c.call_id),
            ResponseItem::CustomToolCall(c) => Some(&c.call_id),
            ResponseItem::CustomToolCallOutput(c) => Some(&c.call_id),
            ResponseItem::LocalShellCall(c) => c.call_id.as_deref().or(c.id.as_deref()),
            _ => None,
        }
    }
}
