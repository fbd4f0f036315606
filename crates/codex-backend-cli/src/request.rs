//! Builds a `ResponsesRequest` from the `ask` / `chat` flags. Every file or value the user
//! gave that cannot be used is a usage error (exit 2).

use std::path::Path;

use codex_types::ContentPart;
use codex_types::INCLUDE_REASONING_ENCRYPTED_CONTENT;
use codex_types::JsonSchemaFormat;
use codex_types::Reasoning;
use codex_types::ReasoningEffort;
use codex_types::ReasoningSummary;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use codex_types::ServiceTier;
use codex_types::TextControls;
use codex_types::Tool;
use codex_types::ToolChoice;
use codex_types::Verbosity;
use codex_types::WebSearchTool;
use serde_json::Value;

use crate::cli::AskArgs;
use crate::cli::RequestArgs;
use crate::cli::SummaryMode;
use crate::cli::ValueName;
use crate::cli::WebSearchMode;
use crate::error::CliError;

/// Settings that stay the same across the turns of a conversation.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Model slug.
    pub model: String,
    /// Instructions.
    pub instructions: Option<String>,
    /// Reasoning.
    pub reasoning: Option<Reasoning>,
    /// Verbosity.
    pub verbosity: Option<Verbosity>,
    /// Structured output.
    pub schema: Option<JsonSchemaFormat>,
    /// Tools (user-defined ones, then web search).
    pub tools: Vec<Tool>,
    /// Tool choice.
    pub tool_choice: Option<ToolChoice>,
    /// Parallel tool calls.
    pub parallel_tool_calls: bool,
    /// Service tier.
    pub service_tier: Option<ServiceTier>,
    /// `include: ["reasoning.encrypted_content"]` even without `--reasoning`.
    pub include_reasoning: bool,
    /// Prompt cache key / conversation id.
    pub cache_key: String,
}

/// Reads a file as UTF-8 for a flag, as a usage error when it fails.
pub fn read_text(flag: &str, path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!("cannot read {flag} file {}: {e}", path.display()))
    })
}

/// Reads a JSON file for a flag.
pub fn read_json(flag: &str, path: &Path) -> Result<Value, CliError> {
    let text = read_text(flag, path)?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{flag} file {} is not valid JSON: {e}",
            path.display()
        ))
    })
}

/// Reads a history file: a JSON array of items.
pub fn read_history(flag: &str, path: &Path) -> Result<Vec<ResponseItem>, CliError> {
    let v = read_json(flag, path)?;
    if !v.is_array() {
        return Err(CliError::usage(format!(
            "{flag} file {} must hold a JSON array of items",
            path.display()
        )));
    }
    serde_json::from_value(v).map_err(|e| {
        CliError::usage(format!(
            "{flag} file {} is not a valid item array: {e}",
            path.display()
        ))
    })
}

/// Settings from the shared flags (and, for `ask`, the tool and schema flags).
pub fn settings(r: &RequestArgs, ask: Option<&AskArgs>) -> Result<Settings, CliError> {
    if r.model.trim().is_empty() {
        return Err(CliError::usage("--model must not be empty"));
    }
    let effort = r.reasoning.map(|e| ReasoningEffort::parse(&e.name()));
    let summary = match r.reasoning_summary {
        None | Some(SummaryMode::None) => None,
        Some(s) => Some(ReasoningSummary::parse(&s.name())),
    };
    let reasoning = if effort.is_some() || summary.is_some() {
        let mut re = Reasoning::default();
        re.effort = effort;
        re.summary = summary;
        Some(re)
    } else {
        None
    };
    let mut tools = Vec::new();
    let mut schema = None;
    let mut tool_choice = None;
    let mut parallel = false;
    if let Some(a) = ask {
        for path in &a.tool {
            let v = read_json("--tool", path)?;
            let defs = match v {
                Value::Array(list) => list,
                other => vec![other],
            };
            for d in defs {
                if d.get("type").and_then(Value::as_str).is_none() {
                    return Err(CliError::usage(format!(
                        "--tool file {}: every tool definition needs a string \"type\"",
                        path.display()
                    )));
                }
                let t: Tool = serde_json::from_value(d).map_err(|e| {
                    CliError::usage(format!(
                        "--tool file {} is not a valid tool definition: {e}",
                        path.display()
                    ))
                })?;
                tools.push(t);
            }
        }
        if let Some(path) = &a.schema {
            let v = read_json("--schema", path)?;
            if !v.is_object() {
                return Err(CliError::usage(format!(
                    "--schema file {} must hold a JSON Schema object",
                    path.display()
                )));
            }
            let name = v
                .get("title")
                .and_then(Value::as_str)
                .map(sanitize_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "output".to_owned());
            schema = Some(JsonSchemaFormat::new(name, v));
        }
        tool_choice = a.tool_choice.as_deref().map(parse_tool_choice).transpose()?;
        parallel = a.parallel_tool_calls;
    }
    if let Some(mode) = r.web_search {
        tools.push(WebSearchTool::new().live(matches!(mode, WebSearchMode::Live)).into());
    }
    Ok(Settings {
        model: r.model.clone(),
        instructions: r.instructions.clone(),
        reasoning,
        verbosity: r.verbosity.map(|v| Verbosity::parse(&v.name())),
        schema,
        tools,
        tool_choice,
        parallel_tool_calls: parallel,
        service_tier: r.service_tier.map(|t| ServiceTier::parse(&t.name())),
        include_reasoning: r.include_reasoning,
        cache_key: r.prompt_cache_key.clone().unwrap_or_else(new_uuid),
    })
}

/// A schema title made into a valid format name (`[A-Za-z0-9_-]{1,64}`).
fn sanitize_name(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

fn parse_tool_choice(s: &str) -> Result<ToolChoice, CliError> {
    let s = s.trim();
    Ok(match s {
        "auto" => ToolChoice::Auto,
        "none" => ToolChoice::None,
        "required" => ToolChoice::Required,
        "" => return Err(CliError::usage("--tool-choice must not be empty")),
        name => ToolChoice::Function(name.to_owned()),
    })
}

/// The user message of `ask`: the text, then one `input_image` part per `--image`.
pub fn user_message(prompt: &str, images: &[String]) -> Result<ResponseItem, CliError> {
    if images.is_empty() {
        return Ok(ResponseItem::user_text(prompt));
    }
    let mut parts = vec![ContentPart::input_text(prompt)];
    for img in images {
        let lower = img.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("data:")
        {
            parts.push(ContentPart::image_url(img.clone()));
        } else {
            let part = ContentPart::image_file(img, None)
                .map_err(|e| CliError::usage(format!("--image {img}: {e}")))?;
            parts.push(part);
        }
    }
    Ok(ResponseItem::user_parts(parts))
}

impl Settings {
    /// The request for `input` with these settings.
    pub fn request(&self, input: Vec<ResponseItem>) -> Result<ResponsesRequest, CliError> {
        let mut b = ResponsesRequest::builder(self.model.clone()).input(input);
        if let Some(i) = &self.instructions {
            b = b.instructions(i.clone());
        }
        if let Some(r) = &self.reasoning {
            b = b.reasoning(r.clone());
        }
        if self.verbosity.is_some() || self.schema.is_some() {
            let mut t = TextControls::default();
            t.verbosity = self.verbosity.clone();
            t.format = self
                .schema
                .clone()
                .map(codex_types::TextFormat::JsonSchema);
            b = b.text(t);
        }
        if !self.tools.is_empty() {
            b = b.tools(self.tools.clone());
        }
        if let Some(c) = &self.tool_choice {
            b = b.tool_choice(c.clone());
        }
        if self.parallel_tool_calls {
            b = b.parallel_tool_calls(true);
        }
        if let Some(t) = &self.service_tier {
            b = b.service_tier(t.clone());
        }
        if self.include_reasoning {
            b = b.include(vec![INCLUDE_REASONING_ENCRYPTED_CONTENT.to_owned()]);
        }
        b = b.prompt_cache_key(self.cache_key.clone());
        b.build()
            .map_err(|e| CliError::usage(format!("invalid request: {e}")))
    }
}

/// A random (version 4) UUID, from the standard library's randomly seeded hasher.
pub fn new_uuid() -> String {
    use std::hash::BuildHasher;
    use std::hash::Hasher;
    let word = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        h.write_u32(std::process::id());
        h.finish()
    };
    let a = word(1);
    let b = word(2);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
