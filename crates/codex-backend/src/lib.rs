//! Rust SDK for the ChatGPT Codex backend: stream responses, tools, images, reasoning, structured output, compaction, models, usage and realtime calls with a ChatGPT login.
