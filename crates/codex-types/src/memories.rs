//! `POST /memories/trace_summarize` (protocol E6).

use serde::Deserialize;
use serde::Serialize;

use crate::items::ResponseItem;
use crate::request::Reasoning;

/// Request body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceSummarizeRequest {
    /// Model.
    pub model: String,
    /// Traces to summarize.
    pub traces: Vec<Trace>,
    /// Reasoning (`{"effort"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
}

impl TraceSummarizeRequest {
    /// A request.
    pub fn new(model: impl Into<String>, traces: Vec<Trace>) -> Self {
        TraceSummarizeRequest {
            model: model.into(),
            traces,
            reasoning: None,
        }
    }
}

/// One trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Trace {
    /// Trace id.
    pub id: String,
    /// Metadata.
    pub metadata: TraceMetadata,
    /// Items.
    pub items: Vec<ResponseItem>,
}

impl Trace {
    /// A trace.
    pub fn new(
        id: impl Into<String>,
        source_path: impl Into<String>,
        items: Vec<ResponseItem>,
    ) -> Self {
        Trace {
            id: id.into(),
            metadata: TraceMetadata {
                source_path: source_path.into(),
            },
            items,
        }
    }
}

/// Trace metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceMetadata {
    /// Source path of the trace.
    pub source_path: String,
}

/// Response body: `{"output":[{"trace_summary","memory_summary"}]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceSummarizeResponse {
    /// One summary per trace.
    #[serde(default)]
    pub output: Vec<TraceSummary>,
}

/// One summary (`raw_memory` is accepted as an alias of `trace_summary`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceSummary {
    /// Summary of the trace.
    #[serde(default, alias = "raw_memory")]
    pub trace_summary: String,
    /// Memory summary.
    #[serde(default)]
    pub memory_summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias() {
        let r: TraceSummarizeResponse =
            serde_json::from_str(r#"{"output":[{"raw_memory":"a","memory_summary":"b"}]}"#)
                .unwrap();
        assert_eq!(r.output[0].trace_summary, "a");
    }
}
