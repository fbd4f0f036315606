//! Typed Responses API requests, items, tools, stream events and errors for the ChatGPT Codex backend. No IO.
