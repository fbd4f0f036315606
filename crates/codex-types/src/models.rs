//! The model catalog (`GET /models`, protocol §7.2). Lenient: every field defaults when
//! missing, `null` or of an unexpected shape; unknown keys are kept in `extra`.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::lossless::lenient;
use crate::request::ReasoningEffort;
use crate::request::Verbosity;

/// `{"models": [ModelInfo…]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelsResponse {
    /// The models (entries that are not objects are skipped).
    #[serde(default, deserialize_with = "lenient_models")]
    pub models: Vec<ModelInfo>,
    /// Older bodies carried an `etag` field (newer ones use the `ETag` header).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub etag: Option<String>,
}

fn lenient_models<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ModelInfo>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Array(a) => a
            .into_iter()
            .filter(Value::is_object)
            .filter_map(|m| serde_json::from_value(m).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// `supported_reasoning_levels` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReasoningLevel {
    /// Effort.
    #[serde(default, deserialize_with = "lenient")]
    pub effort: Option<ReasoningEffort>,
    /// Description.
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
}

/// `truncation_policy`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TruncationPolicy {
    /// `bytes` or `tokens`.
    #[serde(default, deserialize_with = "lenient")]
    pub mode: Option<String>,
    /// Limit.
    #[serde(default, deserialize_with = "lenient")]
    pub limit: Option<u64>,
}

/// One catalog entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelInfo {
    /// Model slug (the `model` of requests).
    #[serde(default, deserialize_with = "lenient")]
    pub slug: String,
    /// Display name.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: String,
    /// Description.
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Default effort.
    #[serde(default, deserialize_with = "lenient")]
    pub default_reasoning_level: Option<ReasoningEffort>,
    /// Supported efforts.
    #[serde(default, deserialize_with = "lenient")]
    pub supported_reasoning_levels: Vec<ReasoningLevel>,
    /// `default`, `local`, `unified_exec`, `disabled`, `shell_command`.
    #[serde(default, deserialize_with = "lenient")]
    pub shell_type: Option<String>,
    /// `list`, `hide`, `none`.
    #[serde(default, deserialize_with = "lenient")]
    pub visibility: Option<String>,
    /// Usable over the public API.
    #[serde(default, deserialize_with = "lenient")]
    pub supported_in_api: bool,
    /// Sort priority.
    #[serde(default, deserialize_with = "lenient")]
    pub priority: i64,
    /// Upgrade hint `{model, migration_markdown}`.
    #[serde(default, deserialize_with = "lenient")]
    pub upgrade: Option<Value>,
    /// Base instructions.
    #[serde(default, deserialize_with = "lenient")]
    pub base_instructions: Option<String>,
    /// Supports reasoning summaries.
    #[serde(default, deserialize_with = "lenient")]
    pub supports_reasoning_summaries: bool,
    /// Supports `text.verbosity`.
    #[serde(default, deserialize_with = "lenient")]
    pub support_verbosity: bool,
    /// Default verbosity.
    #[serde(default, deserialize_with = "lenient")]
    pub default_verbosity: Option<Verbosity>,
    /// `freeform`, `function` or none.
    #[serde(default, deserialize_with = "lenient")]
    pub apply_patch_tool_type: Option<String>,
    /// Truncation policy.
    #[serde(default, deserialize_with = "lenient")]
    pub truncation_policy: Option<TruncationPolicy>,
    /// Supports parallel tool calls.
    #[serde(default, deserialize_with = "lenient")]
    pub supports_parallel_tool_calls: bool,
    /// Context window, tokens.
    #[serde(default, deserialize_with = "lenient")]
    pub context_window: Option<u64>,
    /// Explicit auto-compact limit, tokens.
    #[serde(default, deserialize_with = "lenient")]
    pub auto_compact_token_limit: Option<u64>,
    /// Effective context window percent (95 when absent; see
    /// [`ModelInfo::effective_context_window_percent`]).
    #[serde(default, deserialize_with = "lenient")]
    pub effective_context_window_percent: Option<u64>,
    /// Experimental tools.
    #[serde(default, deserialize_with = "lenient")]
    pub experimental_supported_tools: Vec<String>,
    /// Input modalities (`["text","image"]` when absent; see
    /// [`ModelInfo::input_modalities`]).
    #[serde(default, deserialize_with = "lenient")]
    pub input_modalities: Option<Vec<String>>,
    /// Service tiers, as sent (`[{id, …}]`).
    #[serde(default, deserialize_with = "lenient")]
    pub service_tiers: Option<Vec<Value>>,
    /// Minimal client version (string, or an older array form), as sent.
    #[serde(default, deserialize_with = "lenient")]
    pub minimal_client_version: Option<Value>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelInfo {
    /// The explicit auto-compact limit, or 90 % of the context window.
    pub fn auto_compact_token_limit(&self) -> Option<u64> {
        self.auto_compact_token_limit
            .or(self.context_window.map(|w| w.saturating_mul(9) / 10))
    }

    /// Effective context window percent (default 95).
    pub fn effective_context_window_percent(&self) -> u64 {
        self.effective_context_window_percent.unwrap_or(95)
    }

    /// Input modalities (default `text`, `image`).
    pub fn input_modalities(&self) -> Vec<String> {
        self.input_modalities
            .clone()
            .unwrap_or_else(|| vec!["text".to_owned(), "image".to_owned()])
    }

    /// Whether `effort` is listed in `supported_reasoning_levels`.
    pub fn supports_effort(&self, effort: &ReasoningEffort) -> bool {
        self.supported_reasoning_levels
            .iter()
            .any(|l| l.effort.as_ref() == Some(effort))
    }

    /// The service tier ids the model accepts.
    pub fn service_tier_ids(&self) -> Vec<&str> {
        self.service_tiers
            .iter()
            .flatten()
            .filter_map(|t| t.get("id").and_then(Value::as_str).or(t.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_catalog() {
        let r: ModelsResponse = serde_json::from_str(
            r#"{"models":[{"slug":"gpt-5.4","context_window":272000,"priority":"high","supported_reasoning_levels":[{"effort":"low","description":"fast"},{"effort":"ultra"}],"new_field":true,"service_tiers":[{"id":"priority"}]},3,{"slug":"m2","auto_compact_token_limit":1000,"description":null}]}"#,
        )
        .unwrap();
        assert_eq!(r.models.len(), 2);
        let m = &r.models[0];
        assert_eq!(m.auto_compact_token_limit(), Some(244800));
        assert_eq!(m.priority, 0);
        assert!(m.supports_effort(&ReasoningEffort::Ultra));
        assert_eq!(m.extra["new_field"], true);
        assert_eq!(m.service_tier_ids(), vec!["priority"]);
        assert_eq!(r.models[1].auto_compact_token_limit(), Some(1000));
        let empty: ModelsResponse = serde_json::from_str("{}").unwrap();
        assert!(empty.models.is_empty());
    }
}
