//! What makes the mock usable by a real agent loop: shell tool calls shaped like the tool the
//! request offers, a follow-up answer that quotes the tool's output, replies chosen by the last
//! user message (the scripted multi-turn mode), and per-model catalog overrides.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::MutexGuard;

use serde_json::Value;
use serde_json::json;

use crate::Route;
use crate::catalog;
use crate::events::StreamBuilder;
use crate::events::Usage;
use crate::reply::Body;
use crate::reply::DEFAULT_TEXT;
use crate::reply::Reply;
use crate::server::Shared;

/// Longest tool output quoted back by the follow-up answer, in bytes (cut at a char boundary).
const MAX_QUOTED_OUTPUT: usize = 4000;

/// The shell tool a [`Reply::shell`] call names, as the official client's tools spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShellTool {
    /// Pick from the request's `tools`: `exec_command`, else `shell_command`, else `shell`
    /// (and `exec_command` when the request offers none of them).
    Auto,
    /// `exec_command` with arguments `{"cmd": "<command>"}` (unified exec).
    ExecCommand,
    /// `shell_command` with arguments `{"command": "<command>"}`.
    ShellCommand,
    /// `shell` with arguments `{"command": ["bash", "-lc", "<command>"]}`.
    Shell,
}

impl ShellTool {
    /// The tool name on the wire (`Auto` has none until a request is seen).
    pub fn name(self) -> Option<&'static str> {
        match self {
            ShellTool::Auto => None,
            ShellTool::ExecCommand => Some("exec_command"),
            ShellTool::ShellCommand => Some("shell_command"),
            ShellTool::Shell => Some("shell"),
        }
    }

    /// Parse a tool name (`exec_command`, `shell_command`, `shell`, `auto`).
    pub fn from_name(name: &str) -> Option<ShellTool> {
        match name {
            "auto" => Some(ShellTool::Auto),
            "exec_command" => Some(ShellTool::ExecCommand),
            "shell_command" => Some(ShellTool::ShellCommand),
            "shell" => Some(ShellTool::Shell),
            _ => None,
        }
    }

    /// `Auto` resolved against the function tools a request offers.
    fn resolve(self, request: &Value) -> ShellTool {
        if self != ShellTool::Auto {
            return self;
        }
        let offered: Vec<&str> = request
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        [
            ShellTool::ExecCommand,
            ShellTool::ShellCommand,
            ShellTool::Shell,
        ]
        .into_iter()
        .find(|t| t.name().is_some_and(|n| offered.contains(&n)))
        .unwrap_or(ShellTool::ExecCommand)
    }

    fn arguments(self, command: &str) -> Value {
        match self {
            ShellTool::Shell => json!({ "command": ["bash", "-lc", command] }),
            ShellTool::ShellCommand => json!({ "command": command }),
            ShellTool::Auto | ShellTool::ExecCommand => json!({ "cmd": command }),
        }
    }
}

/// A shell call waiting to be resolved against the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellSpec {
    pub(crate) command: String,
    pub(crate) tool: ShellTool,
}

/// Per-server state of this module (held by `Shared`).
#[derive(Debug, Default)]
pub(crate) struct AgentState {
    /// `(substring of the last user message, reply)`, checked in order.
    rules: Mutex<Vec<(String, Reply)>>,
    /// Call ids of shell calls the mock issued whose output has not come back yet.
    armed: Mutex<HashSet<String>>,
    /// `(slug or every model, auto_compact_token_limit)`, applied in order.
    auto_compact: Mutex<Vec<(Option<String>, Option<u64>)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AgentState {
    pub(crate) fn add_rule(&self, contains: &str, reply: Reply) {
        lock(&self.rules).push((contains.to_owned(), reply));
    }

    pub(crate) fn set_auto_compact(&self, slug: Option<&str>, limit: Option<u64>) {
        lock(&self.auto_compact).push((slug.map(str::to_owned), limit));
    }

    /// The model catalog with the auto-compact overrides applied.
    pub(crate) fn catalog(&self) -> Vec<Value> {
        let overrides = lock(&self.auto_compact).clone();
        let mut models = catalog::models();
        for m in &mut models {
            let slug = m.get("slug").and_then(Value::as_str).map(str::to_owned);
            for (target, limit) in &overrides {
                if target.is_none() || *target == slug {
                    m["auto_compact_token_limit"] = json!(limit);
                }
            }
        }
        models
    }
}

/// The text of a message item's content (a string, or the `text` of its parts).
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The text of the last `user` message in a `/responses` request's `input`.
pub fn last_user_message(request: &Value) -> Option<String> {
    request
        .get("input")?
        .as_array()?
        .iter()
        .rev()
        .find(|i| {
            i.get("role").and_then(Value::as_str) == Some("user")
                && i.get("type").and_then(Value::as_str).unwrap_or("message") == "message"
        })
        .map(|i| content_text(i.get("content")))
}

/// `(call_id, output text)` when the last input item is a `function_call_output`.
fn trailing_tool_output(request: &Value) -> Option<(String, String)> {
    let last = request.get("input")?.as_array()?.last()?;
    if last.get("type").and_then(Value::as_str) != Some("function_call_output") {
        return None;
    }
    let call_id = last.get("call_id")?.as_str()?.to_owned();
    Some((call_id, content_text(last.get("output"))))
}

/// The answer to a follow-up request carrying the output of a shell call the mock issued.
pub fn tool_output_answer(output: &str) -> String {
    let mut end = output.len().min(MAX_QUOTED_OUTPUT);
    while !output.is_char_boundary(end) {
        end -= 1;
    }
    let cut = if end < output.len() { " [...]" } else { "" };
    format!(
        "The command ran. Its output was:\n{}{cut}",
        output[..end].trim_end()
    )
}

/// The reply for one validated `/responses` request `n`: a matching user-message rule (not on
/// tool-output follow-ups), else the queue, else the built-in answer, which quotes the output of
/// a shell call the mock issued when the request carries it and is [`DEFAULT_TEXT`] otherwise.
/// A shell reply is resolved here against the request's tools and its call id remembered.
pub(crate) fn next_reply(shared: &Shared, request: &Value, n: u64) -> Reply {
    let state = &shared.agent;
    let tool_output = trailing_tool_output(request);
    let rule = match (&tool_output, last_user_message(request)) {
        (None, Some(text)) => lock(&state.rules)
            .iter()
            .find(|(needle, _)| text.contains(needle.as_str()))
            .map(|(_, r)| r.clone()),
        _ => None,
    };
    let reply = rule
        .or_else(|| shared.pop(Route::Responses))
        .unwrap_or_else(Reply::route_default);
    let reply = match reply.body {
        Body::RouteDefault => {
            let armed = tool_output
                .as_ref()
                .filter(|(id, _)| lock(&state.armed).remove(id));
            let text = match armed {
                Some((_, output)) => tool_output_answer(output),
                None => DEFAULT_TEXT.to_owned(),
            };
            Reply {
                body: Reply::text(&text).body,
                ..reply
            }
        }
        _ => reply,
    };
    let Body::Shell(spec) = &reply.body else {
        return reply;
    };
    let tool = spec.tool.resolve(request);
    let call_id = format!("call_mock_shell_{n}");
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(crate::events::DEFAULT_MODEL);
    let mut b = StreamBuilder::new(&format!("resp_mock_shell_{n}"), model);
    b.created();
    b.function_call(
        &format!("fc_mock_shell_{n}"),
        tool.name().unwrap_or("exec_command"),
        &call_id,
        &tool.arguments(&spec.command).to_string(),
    );
    b.completed(Usage::new(120, 0, 24, 0));
    lock(&state.armed).insert(call_id);
    Reply {
        body: Reply::events(b.finish()).body,
        ..reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_the_offered_shell_tool() {
        let req = |names: &[&str]| json!({"tools": names.iter().map(|n| json!({"type": "function", "name": n})).collect::<Vec<_>>()});
        assert_eq!(
            ShellTool::Auto.resolve(&req(&["shell", "exec_command"])),
            ShellTool::ExecCommand
        );
        assert_eq!(
            ShellTool::Auto.resolve(&req(&["apply_patch", "shell_command"])),
            ShellTool::ShellCommand
        );
        assert_eq!(ShellTool::Auto.resolve(&req(&["shell"])), ShellTool::Shell);
        assert_eq!(ShellTool::Auto.resolve(&json!({})), ShellTool::ExecCommand);
        assert_eq!(
            ShellTool::Shell.resolve(&req(&["exec_command"])),
            ShellTool::Shell
        );
    }

    #[test]
    fn quoted_output_is_bounded_and_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_QUOTED_OUTPUT);
        let a = tool_output_answer(&long);
        assert!(a.len() < MAX_QUOTED_OUTPUT + 100);
        assert!(a.ends_with(" [...]"));
        assert_eq!(
            tool_output_answer("hi\n"),
            "The command ran. Its output was:\nhi"
        );
    }

    #[test]
    fn last_user_message_skips_other_items() {
        let req = json!({"input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "dev"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "first"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "second"}, {"type": "input_text", "text": "part"}]},
            {"type": "function_call_output", "call_id": "c", "output": "x"},
        ]});
        assert_eq!(last_user_message(&req).as_deref(), Some("second\npart"));
        assert_eq!(
            trailing_tool_output(&req),
            Some(("c".to_owned(), "x".to_owned()))
        );
        assert_eq!(last_user_message(&json!({"input": []})), None);
    }
}
