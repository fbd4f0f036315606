//! The error a request that fails validation gets.

/// Why a request was refused before sending (the backend is known to reject it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The model name is empty.
    #[error("model must not be empty")]
    EmptyModel,
    /// The backend answers 400 "The following tools cannot be used with reasoning.effort
    /// 'minimal': web_search."
    #[error("the web_search tool cannot be used with reasoning effort minimal")]
    WebSearchWithMinimalEffort,
    /// A tool output has no matching call earlier in `input` (400 from the Responses API).
    #[error("{kind} for call id {call_id:?} has no matching call earlier in input")]
    OrphanToolOutput {
        /// `function_call_output` or `custom_tool_call_output`.
        kind: &'static str,
        /// The orphan call id.
        call_id: String,
    },
    /// A tool call in `input` has no output after it (protocol §4.2: every call in `input`
    /// must have its output). Run the tool and append its `function_call_output` /
    /// `custom_tool_call_output` before sending, or drop the call from the history.
    #[error(
        "{kind} with call id {call_id:?} has no {output} in input (every call sent back must \
         be followed by its output: append the tool result or drop the call)"
    )]
    MissingToolOutput {
        /// `function_call`, `local_shell_call` or `custom_tool_call`.
        kind: &'static str,
        /// The output type the call needs (`function_call_output` or
        /// `custom_tool_call_output`).
        output: &'static str,
        /// The call id without an output.
        call_id: String,
    },
    /// The JSON schema format name is not `[A-Za-z0-9_-]{1,64}`.
    #[error("invalid json schema format name {0:?} (expected 1 to 64 of A-Z a-z 0-9 _ -)")]
    InvalidSchemaName(String),
}
