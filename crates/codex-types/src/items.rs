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

use std::path::Path;

use base64::Engine;
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Map;
use serde_json::Value;

use crate::lossless::NullKeys;
use crate::lossless::impl_lossless;
use crate::lossless::lossless_enum;
use crate::lossless::string_enum;

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

macro_rules! lossless_struct {
    ($(#[$m:meta])* $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $($body)*
            /// Keys this version does not know, kept verbatim.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
            #[serde(skip)]
            nulls: NullKeys,
        }
        impl_lossless!($name);
    };
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

/// A `compaction` item: opaque compacted history, replayed as-is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Compaction {
    /// The compacted history.
    pub encrypted_content: String,
    /// Item id (`cmp_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Keys this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    nulls: NullKeys,
    /// True when decoded from the legacy `compaction_summary` type name.
    #[serde(skip)]
    legacy_name: bool,
}

impl crate::lossless::Lossless for Compaction {
    fn nulls(&self) -> &NullKeys {
        &self.nulls
    }
    fn nulls_mut(&mut self) -> &mut NullKeys {
        &mut self.nulls
    }
    fn type_name(&self, canonical: &'static str) -> &'static str {
        if self.legacy_name {
            "compaction_summary"
        } else {
            canonical
        }
    }
    fn set_type_name(&mut self, name: &str) {
        self.legacy_name = name == "compaction_summary";
    }
}

impl Compaction {
    /// A `compaction` item.
    pub fn new(encrypted_content: impl Into<String>) -> Self {
        Compaction {
            encrypted_content: encrypted_content.into(),
            id: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
            legacy_name: false,
        }
    }

    /// True when this item was decoded from the legacy `compaction_summary` type name (it
    /// is written back under that name).
    pub fn is_legacy_summary(&self) -> bool {
        self.legacy_name
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

/// Error from [`ContentPart::image_file`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageFileError {
    /// The file could not be read: missing or unreadable, not a regular file, or larger than
    /// [`crate::IMAGE_FILE_MAX_BYTES`].
    #[error(transparent)]
    File(#[from] crate::FileReadError),
    /// The MIME type could not be guessed from the extension.
    #[error(
        "cannot guess the image type of {path} (use png, jpg, jpeg, gif or webp, or give the MIME type)"
    )]
    UnknownType {
        /// The path.
        path: std::path::PathBuf,
    },
}

impl TextPart {
    /// A text part.
    pub fn new(text: impl Into<String>) -> Self {
        TextPart {
            text: text.into(),
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }
}

impl InputImage {
    /// An image part for `image_url` (an `https://` or `data:` URL).
    pub fn new(image_url: impl Into<String>) -> Self {
        InputImage {
            image_url: image_url.into(),
            detail: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// Sets the detail level.
    #[must_use]
    pub fn with_detail(mut self, detail: ImageDetail) -> Self {
        self.detail = Some(detail);
        self
    }
}

impl ContentPart {
    /// An `input_text` part.
    pub fn input_text(text: impl Into<String>) -> Self {
        ContentPart::InputText(TextPart::new(text))
    }

    /// An `output_text` part.
    pub fn output_text(text: impl Into<String>) -> Self {
        ContentPart::OutputText(TextPart::new(text))
    }

    /// An `input_image` part from a URL (`https://…` or `data:…`).
    pub fn image_url(url: impl Into<String>) -> Self {
        ContentPart::InputImage(InputImage::new(url))
    }

    /// An `input_image` part carrying `bytes` as a `data:<mime>;base64,…` URL.
    pub fn image_bytes(bytes: &[u8], mime: &str) -> Self {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        ContentPart::image_url(format!("data:{mime};base64,{b64}"))
    }

    /// An `input_image` part read from a file, as a data URL, with the MIME type guessed
    /// from the extension (`png`, `jpg`/`jpeg`, `gif`, `webp`) unless `mime` is given.
    ///
    /// The file is read with [`crate::read_regular_file`]: only a regular file of at most
    /// [`crate::IMAGE_FILE_MAX_BYTES`] (20 MiB) is read (a FIFO or a device is refused
    /// without blocking). This and that function are the crate's only IO, which the caller
    /// asks for explicitly; use [`ContentPart::image_bytes`] to stay IO-free.
    pub fn image_file(path: impl AsRef<Path>, mime: Option<&str>) -> Result<Self, ImageFileError> {
        let path = path.as_ref();
        let mime = match mime {
            Some(m) => m.to_owned(),
            None => mime_from_extension(path)
                .ok_or_else(|| ImageFileError::UnknownType {
                    path: path.to_owned(),
                })?
                .to_owned(),
        };
        let bytes = crate::read_regular_file(path, crate::IMAGE_FILE_MAX_BYTES)?;
        Ok(ContentPart::image_bytes(&bytes, &mime))
    }

    /// The text of a text-like part (`input_text`, `output_text`, `summary_text`,
    /// `reasoning_text`, `text`, `refusal`).
    pub fn text(&self) -> Option<&str> {
        match self {
            ContentPart::InputText(t)
            | ContentPart::OutputText(t)
            | ContentPart::SummaryText(t)
            | ContentPart::ReasoningText(t)
            | ContentPart::Text(t) => Some(&t.text),
            ContentPart::Refusal(r) => Some(&r.refusal),
            _ => None,
        }
    }
}

fn mime_from_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_a_str_like_the_event_kind() {
        let item = ResponseItem::user_text("hi");
        let kind: &str = item.kind();
        assert_eq!(kind, "message");
        let legacy = ResponseItem::from_value(serde_json::json!({
            "type": "compaction_summary", "encrypted_content": "x"
        }));
        assert_eq!(legacy.kind(), "compaction_summary");
        let typeless = ResponseItem::from_value(serde_json::json!({"a": 1}));
        assert_eq!(typeless.kind(), "");
    }
    use serde_json::json;

    fn roundtrip(v: Value) {
        let item: ResponseItem = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&item).unwrap(), v, "{item:?}");
    }

    #[test]
    fn known_items_roundtrip_with_nulls_and_extras() {
        roundtrip(
            json!({"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"a"}],"content":null,"encrypted_content":null}),
        );
        roundtrip(
            json!({"type":"message","role":"assistant","id":"msg_1","status":"completed","content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}],"new_key":{"x":1}}),
        );
        roundtrip(
            json!({"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"x"},{"type":"input_image","image_url":"data:image/png;base64,AA","detail":"high"}]}),
        );
        roundtrip(json!({"type":"compaction_summary","encrypted_content":"abc"}));
        roundtrip(
            json!({"type":"local_shell_call","call_id":"c","status":"completed","action":{"type":"exec","command":["ls"],"timeout_ms":null}}),
        );
        roundtrip(
            json!({"type":"web_search_call","status":"completed","action":{"type":"search","query":"q","sources":[]}}),
        );
        roundtrip(json!({"type":"future_item","a":[1,2,{"b":null}]}));
        roundtrip(json!({"type":"function_call","name":5}));
    }

    #[test]
    fn typed_access() {
        let item: ResponseItem =
            serde_json::from_value(json!({"type":"compaction_summary","encrypted_content":"abc"}))
                .unwrap();
        match &item {
            ResponseItem::Compaction(c) => assert!(c.is_legacy_summary()),
            other => panic!("{other:?}"),
        }
        let call = FunctionCall::new(CallId::new("c1"), "lookup", "{\"n\":3}");
        #[derive(Deserialize)]
        struct Args {
            n: u32,
        }
        assert_eq!(call.arguments_as::<Args>().unwrap().n, 3);
        let out = serde_json::to_value(call.output("[2,3,5]")).unwrap();
        assert_eq!(
            out,
            json!({"type":"function_call_output","call_id":"c1","output":"[2,3,5]"})
        );
        let img = serde_json::to_value(ContentPart::image_bytes(b"\x89PNG", "image/png")).unwrap();
        assert_eq!(
            img,
            json!({"type":"input_image","image_url":"data:image/png;base64,iVBORw=="})
        );
        assert!(matches!(
            ContentPart::image_file("/nonexistent/x.bmp", None),
            Err(ImageFileError::UnknownType { .. })
        ));
        assert!(matches!(
            ContentPart::image_file("/nonexistent/x.png", None),
            Err(ImageFileError::File(crate::FileReadError::Io { .. }))
        ));
    }
}
