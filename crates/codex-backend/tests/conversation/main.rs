//! Conversation history, the tool loop and auto-compaction, against codex-mock: one test
//! binary, a module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
mod compaction;
mod history;
mod tools;

use serde_json::Value;

/// The `type` (and `:role`) of each item of a JSON `input` array.
pub(crate) fn types(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let t = i["type"].as_str().unwrap().to_owned();
            match i["role"].as_str() {
                Some(r) => format!("{t}:{r}"),
                None => t,
            }
        })
        .collect()
}
