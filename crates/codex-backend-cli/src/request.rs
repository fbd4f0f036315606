//! Builds a `ResponsesRequest` from the `ask` / `chat` flags. Every file or value the user
//! gave that cannot be used is a usage error (exit 2).

use std::path::Path;

use codex_backend::AbortHandle;
use codex_backend::CallOptions;
use codex_backend::WebSearch;
use codex_backend::types::ContentPart;
use codex_backend::types::FileReadError;
use codex_backend::types::ImageFileError;
use codex_backend::types::JsonSchemaFormat;
use codex_backend::types::Reasoning;
use codex_backend::types::ReasoningEffort;
use codex_backend::types::ReasoningSummary;
use codex_backend::types::ResponseItem;
use codex_backend::types::ServiceTier;
use codex_backend::types::Tool;
use codex_backend::types::ToolChoice;
use codex_backend::types::Verbosity;
use codex_backend::types::read_regular_file;
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
    /// User-defined tools.
    pub tools: Vec<Tool>,
    /// The web search tool.
    pub web_search: WebSearch,
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
    /// The context window number (`x-codex-window-id`): one more after each compaction.
    pub window_number: u64,
}

/// Largest `--schema`, `--tool` or `--sdp` file: 1 MiB.
pub const SMALL_FILE_MAX_BYTES: u64 = 1024 * 1024;
/// Largest `--history` or `compact` file: 64 MiB.
pub const HISTORY_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Largest `replay` file: 128 MiB.
pub const REPLAY_MAX_BYTES: u64 = 128 * 1024 * 1024;
/// Largest prompt read from standard input (`ask -`, one `chat` line): 16 MiB.
pub const PROMPT_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The usage error for a prompt on standard input over [`PROMPT_MAX_BYTES`].
pub fn prompt_too_large(what: &str) -> CliError {
    CliError::usage(format!(
        "{what} is larger than the limit of {} ({PROMPT_MAX_BYTES} bytes)",
        codex_backend::types::human_size(PROMPT_MAX_BYTES)
    ))
}

/// The usage error for a file flag that cannot be read (`what`: `--schema file`, ...).
pub fn file_error(what: &str, e: &FileReadError) -> CliError {
    match e {
        FileReadError::Io { path, source } => {
            CliError::usage(format!("cannot read {what} {}: {source}", path.display()))
        }
        other => CliError::usage(format!("{what} {other}")),
    }
}

/// Reads a file for a flag (a regular file of at most `limit` bytes), as a usage error when
/// it fails.
pub fn read_bytes(flag: &str, path: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    read_regular_file(path, limit).map_err(|e| file_error(&format!("{flag} file"), &e))
}

/// Reads a file as UTF-8 for a flag (at most `limit` bytes), as a usage error when it fails.
pub fn read_text(flag: &str, path: &Path, limit: u64) -> Result<String, CliError> {
    String::from_utf8(read_bytes(flag, path, limit)?).map_err(|e| {
        CliError::usage(format!(
            "cannot read {flag} file {}: {}",
            path.display(),
            e.utf8_error()
        ))
    })
}

/// Reads a JSON file for a flag (at most `limit` bytes).
pub fn read_json(flag: &str, path: &Path, limit: u64) -> Result<Value, CliError> {
    let text = read_text(flag, path, limit)?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{flag} file {} is not valid JSON: {e}",
            path.display()
        ))
    })
}

/// Reads a history file: a JSON array of items.
pub fn read_history(flag: &str, path: &Path) -> Result<Vec<ResponseItem>, CliError> {
    let v = read_json(flag, path, HISTORY_MAX_BYTES)?;
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
    // The key is also sent as header values (session id, thread id): printable ASCII only.
    if let Some(k) = &r.prompt_cache_key
        && !k.chars().all(|c| c == ' ' || c.is_ascii_graphic())
    {
        return Err(CliError::usage(
            "--prompt-cache-key must be printable ASCII (no CR, LF or other control characters)",
        ));
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
            let v = read_json("--tool", path, SMALL_FILE_MAX_BYTES)?;
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
            let v = read_json("--schema", path, SMALL_FILE_MAX_BYTES)?;
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
        tool_choice = a
            .tool_choice
            .as_deref()
            .map(parse_tool_choice)
            .transpose()?;
        parallel = a.parallel_tool_calls;
    }
    let web_search = match r.web_search {
        None => WebSearch::Disabled,
        Some(WebSearchMode::Cached) => WebSearch::Cached,
        Some(WebSearchMode::Live) => WebSearch::Live,
    };
    Ok(Settings {
        model: r.model.clone(),
        instructions: r.instructions.clone(),
        reasoning,
        verbosity: r.verbosity.map(|v| Verbosity::parse(&v.name())),
        schema,
        tools,
        web_search,
        tool_choice,
        parallel_tool_calls: parallel,
        service_tier: r.service_tier.map(|t| ServiceTier::parse(&t.name())),
        include_reasoning: r.include_reasoning,
        cache_key: r.prompt_cache_key.clone().unwrap_or_else(new_uuid),
        window_number: 0,
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
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("data:")
        {
            parts.push(ContentPart::image_url(img.clone()));
        } else {
            let part = ContentPart::image_file(img, None).map_err(|e| match e {
                ImageFileError::File(f) => file_error("--image file", &f),
                other => CliError::usage(format!("--image {img}: {other}")),
            })?;
            parts.push(part);
        }
    }
    Ok(ResponseItem::user_parts(parts))
}

impl Settings {
    /// The facade call options for these settings; `abort` stops the call from another
    /// task (Ctrl-C).
    pub fn call_options(&self, abort: Option<&AbortHandle>) -> CallOptions {
        let mut o = CallOptions::new()
            .model(self.model.clone())
            .instructions(self.instructions.clone().unwrap_or_default())
            .parallel_tool_calls(self.parallel_tool_calls)
            .tools(self.tools.clone())
            .web_search(self.web_search)
            // As codex-rs: encrypted reasoning whenever reasoning is requested, or on demand.
            .include_encrypted_reasoning(self.include_reasoning || self.reasoning.is_some())
            .conversation_id(self.cache_key.clone())
            .prompt_cache_key(self.cache_key.clone())
            .window_number(self.window_number)
            // The text is printed as it arrives; a second copy would grow with the answer.
            .track_text(false);
        if let Some(r) = &self.reasoning {
            if let Some(e) = &r.effort {
                o = o.reasoning_effort(e.clone());
            }
            if let Some(s) = &r.summary {
                o = o.reasoning_summary(s.clone());
            }
        }
        if let Some(v) = &self.verbosity {
            o = o.verbosity(v.clone());
        }
        if let Some(f) = &self.schema {
            o = o.json_schema(f.name.clone(), f.schema.clone(), f.strict);
        }
        if let Some(c) = &self.tool_choice {
            o = o.tool_choice(c.clone());
        }
        if let Some(t) = &self.service_tier {
            o = o.service_tier(t.clone());
        }
        if let Some(h) = abort {
            o = o.abort_handle(h.clone());
        }
        o
    }
}

/// A new conversation id: a UUIDv7, as the official client makes thread ids.
pub fn new_uuid() -> String {
    codex_backend::client::new_uuid_v7()
}
