//! The `/responses/compact` request and response (protocol §7.1).

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use super::ResponsesRequest;
use super::ServiceTier;
use super::check_pairs;
use super::controls::Reasoning;
use super::controls::TextControls;
use super::error::RequestError;
use crate::items::ResponseItem;
use crate::tools::Tool;

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
        check_pairs(self.input.iter(), false)
    }

    /// The compact request matching a turn request (same model, history, instructions,
    /// tools and settings).
    pub fn from_request(req: &ResponsesRequest) -> Self {
        CompactRequest {
            model: req.model.clone(),
            input: req.input.to_vec(),
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
