//! The option types of a request: reasoning, tool choice and text controls.

use serde::Deserialize;
use serde::Serialize;
use serde::Serializer;
use serde_json::Value;

use crate::lossless::string_enum;

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
