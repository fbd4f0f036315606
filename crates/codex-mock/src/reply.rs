//! Scripted replies: what the mock sends for one request.
//!
//! [`FunctionCallSpec`] lives in `function_call.rs`, the event sequences of the canned
//! replies in `canned.rs`, the synthetic fixture cases and the request bodies that go with
//! them in `synthetic.rs`.

mod canned;
mod function_call;
mod synthetic;

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use serde_json::json;

use crate::agent::ShellSpec;
use crate::agent::ShellTool;
use crate::events::DEFAULT_MODEL;
use crate::events::SseEvent;
use crate::events::StreamBuilder;
use crate::events::Usage;
use crate::events::canonical_json;
use crate::events::split_words;

use canned::rate_limit_events;
use canned::reasoning_events;
use canned::strip_encrypted_reasoning;
pub use canned::text_events;
use canned::truncated_events;
pub use function_call::FunctionCallSpec;
pub use synthetic::TINY_PNG_DATA_URL;
pub use synthetic::request_body;
pub use synthetic::synthetic_cases;
pub use synthetic::user_text;

/// The text of the default reply when no reply is queued.
pub const DEFAULT_TEXT: &str = "Hello from codex-mock.";

/// The message of the synthetic `rate_limit_exceeded` failure (retry hint 11.054 s).
pub const RATE_LIMIT_MESSAGE: &str = "Rate limit reached for gpt-5.4 in organization org-codexmock0001 on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 11.054s. Visit https://platform.openai.com/account/rate-limits to learn more.";

#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Write these bytes.
    Bytes(Bytes),
    /// Pause.
    Sleep(Duration),
    /// Abort the connection (body error: hyper closes the socket without finishing).
    Abort,
    /// Lazily generated text deltas (for benches): count, and `"lorem "` repeats per delta.
    ManyDeltas(u64, usize),
    /// Replay a file's bytes, read when served.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// An SSE stream.
    Sse(Vec<Step>),
    /// A fixed body with a content type.
    Fixed {
        content_type: &'static str,
        body: Bytes,
    },
    /// The route's built-in behaviour (catalog, usage, token grants ...).
    RouteDefault,
    /// A shell tool call, shaped when served for the tools the request offers.
    Shell(ShellSpec),
}

/// A scripted reply to one request: an SSE stream, a JSON document or an HTTP error.
///
/// Replies are queued per route with [`MockServer::push`](crate::MockServer::push) and used
/// once each, in order. Modifiers (`chunked`, `delay`, `header`, ...) apply to any reply.
#[derive(Debug, Clone)]
#[must_use]
pub struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Body,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) chunk_size: Option<usize>,
    pub(crate) delay: Duration,
    pub(crate) omit_content_type: bool,
    pub(crate) head_delay: Duration,
}

fn ev_steps(events: &[SseEvent]) -> Vec<Step> {
    events
        .iter()
        .map(|e| Step::Bytes(Bytes::from(e.to_bytes())))
        .collect()
}

pub(super) fn text_usage(text: &str) -> Usage {
    let out = split_words(text).len().max(1) as u64;
    Usage::new(42, 0, out, 0)
}

impl Reply {
    fn sse(steps: Vec<Step>) -> Reply {
        Reply {
            status: 200,
            body: Body::Sse(steps),
            headers: Vec::new(),
            chunk_size: None,
            delay: Duration::ZERO,
            omit_content_type: false,
            head_delay: Duration::ZERO,
        }
    }

    /// Stream the given events as they are (one write per event).
    pub fn events(events: Vec<SseEvent>) -> Reply {
        Reply::sse(ev_steps(&events))
    }

    /// The built-in behaviour of the route (what happens when nothing is queued).
    pub fn route_default() -> Reply {
        Reply {
            status: 200,
            body: Body::RouteDefault,
            headers: Vec::new(),
            chunk_size: None,
            delay: Duration::ZERO,
            omit_content_type: false,
            head_delay: Duration::ZERO,
        }
    }

    /// A text answer: created, in_progress, output_item.added, content_part.added, one
    /// output_text.delta per word, output_text.done, content_part.done, output_item.done,
    /// completed with usage.
    pub fn text(text: &str) -> Reply {
        Reply::events(text_events("resp_mock_text", "msg_mock_text_0", text))
    }

    /// Parallel function calls, then completed.
    pub fn tool_calls(calls: Vec<FunctionCallSpec>) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_tools", DEFAULT_MODEL);
        b.created();
        for (i, c) in calls.iter().enumerate() {
            b.function_call(&format!("fc_mock_{i}"), &c.name, &c.call_id, &c.arguments);
        }
        b.completed(Usage::new(120, 0, 24, 0));
        Reply::events(b.finish())
    }

    /// One shell tool call asking the client to run `command`, then completed. The tool is
    /// chosen when served from the request's `tools` ([`ShellTool::Auto`]): `exec_command`
    /// `{"cmd"}`, else `shell_command` `{"command": "<string>"}`, else `shell`
    /// `{"command": ["bash", "-lc", …]}`. The call id is `call_mock_shell_<n>`; when the next
    /// request ends with its `function_call_output` and nothing is queued, the built-in answer
    /// quotes that output, so an agent loop completes.
    pub fn shell(command: &str) -> Reply {
        Reply::shell_with(ShellTool::Auto, command)
    }

    /// [`Reply::shell`] with a fixed tool instead of the one the request offers.
    pub fn shell_with(tool: ShellTool, command: &str) -> Reply {
        Reply {
            body: Body::Shell(ShellSpec {
                command: command.to_owned(),
                tool,
            }),
            ..Reply::route_default()
        }
    }

    /// One custom (freeform) tool call, then completed. The call's
    /// [`arguments`](FunctionCallSpec::arguments) are its freeform `input`; a
    /// [`FunctionCallSpec`] rather than three strings, so name, id and input cannot be swapped:
    ///
    /// ```
    /// use codex_mock::{FunctionCallSpec, Reply};
    /// let reply = Reply::custom_tool_call(
    ///     FunctionCallSpec::named("apply_patch")
    ///         .call_id("call_3")
    ///         .arguments("*** Begin Patch\n*** End Patch"),
    /// );
    /// # drop(reply);
    /// ```
    ///
    /// ```compile_fail
    /// use codex_mock::Reply;
    /// let reply = Reply::custom_tool_call("call_3", "apply_patch", "*** Begin Patch");
    /// ```
    pub fn custom_tool_call(call: FunctionCallSpec) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_custom", DEFAULT_MODEL);
        b.created();
        b.custom_tool_call("ctc_mock_0", &call.name, &call.call_id, &call.arguments);
        b.completed(Usage::new(120, 0, 30, 0));
        Reply::events(b.finish())
    }

    /// A reasoning item (summary parts split on blank lines, word deltas, encrypted_content),
    /// then an assistant message with `answer`.
    pub fn reasoning(summary: &str, answer: &str) -> Reply {
        Reply::events(reasoning_events(summary, answer))
    }

    /// A message whose output text is `value` serialized as JSON (structured output).
    pub fn structured(value: Value) -> Reply {
        let text = canonical_json(&value);
        Reply::events(text_events(
            "resp_mock_structured",
            "msg_mock_structured_0",
            &text,
        ))
    }

    /// A web search call with progress events, then a message.
    pub fn web_search(query: &str, answer: &str) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_web_search", DEFAULT_MODEL);
        b.created();
        b.web_search("ws_mock_0", query);
        b.message("msg_mock_web_search_1", &split_words(answer));
        b.completed(text_usage(answer));
        Reply::events(b.finish())
    }

    /// The compaction v2 answer (`POST /responses` whose input ends in `compaction_trigger`):
    /// exactly one `compaction` output item, then `response.completed`.
    pub fn compaction(encrypted_content: &str) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_compaction", DEFAULT_MODEL);
        b.created();
        b.compaction("cmp_mock_v2_0", encrypted_content);
        b.completed(Usage::new(2_000, 0, 200, 0));
        Reply::events(b.finish())
    }

    /// created, in_progress, then `response.failed` with `error {code, message}`.
    pub fn failed(code: &str, message: &str) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_failed", DEFAULT_MODEL);
        b.created();
        b.failed(code, message);
        Reply::events(b.finish())
    }

    /// Some text, then `response.incomplete` with `incomplete_details.reason`.
    pub fn incomplete(reason: &str) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_incomplete", DEFAULT_MODEL);
        b.created();
        b.message_opts("msg_mock_incomplete_0", &["This answer", " was cut"], false);
        b.incomplete(reason, Usage::new(42, 0, 2, 0));
        Reply::events(b.finish())
    }

    /// created, in_progress, then a top-level `error` event; the stream then ends.
    pub fn error_event(code: &str, message: &str) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_error", DEFAULT_MODEL);
        b.created();
        b.error_event(code, message);
        Reply::events(b.finish())
    }

    /// `response.created`, then a wrapped error frame (protocol §6): `status`, `error` and
    /// `headers` as given.
    pub fn wrapped_error(status: u16, error: Value, headers: Value) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_error", DEFAULT_MODEL);
        b.created();
        b.wrapped_error(status, error, headers);
        Reply::events(b.finish())
    }

    /// `text` with a `safety_buffering` object on an event before it, ending with a
    /// `response.completed` that carries `usage_metadata` and `end_turn` (protocol §14.5).
    pub fn with_turn_metadata(text: &str) -> Reply {
        let mut b = StreamBuilder::new("resp_mock_metadata", DEFAULT_MODEL);
        b.created();
        b.safety_buffering(json!({
            "use_cases": ["cyber"],
            "reasons": ["output held for a safety check"],
            "retry_model": "gpt-5.4-mini",
        }));
        b.message("msg_mock_metadata_0", &split_words(text));
        b.completed_with(
            text_usage(text),
            json!({
                "end_turn": true,
                "usage_metadata": {
                    "amount": 12,
                    "metadata": {"billing": "plan"},
                    "prompt_cache_diagnostics": {"cached": false},
                },
            }),
        );
        Reply::events(b.finish())
    }

    /// Some text deltas, then the stream ends cleanly without `response.completed`.
    pub fn truncated() -> Reply {
        Reply::events(truncated_events())
    }

    /// Some events, then half of the next event, then the connection is closed abruptly.
    pub fn drop_mid_event() -> Reply {
        let events = text_events("resp_mock_drop", "msg_mock_drop_0", DEFAULT_TEXT);
        let mut steps = ev_steps(&events[..5]);
        let next = events[5].to_bytes();
        steps.push(Step::Bytes(Bytes::from(next[..next.len() / 2].to_vec())));
        // Give the server time to flush the half event before the connection is torn down.
        steps.push(Step::Sleep(Duration::from_millis(50)));
        steps.push(Step::Abort);
        Reply::sse(steps)
    }

    /// Headers and `response.created`, then nothing for `duration`, then the rest of a
    /// normal text reply.
    pub fn stall(duration: Duration) -> Reply {
        let events = text_events("resp_mock_text", "msg_mock_text_0", DEFAULT_TEXT);
        let mut steps = ev_steps(&events[..1]);
        steps.push(Step::Sleep(duration));
        steps.extend(ev_steps(&events[1..]));
        Reply::sse(steps)
    }

    /// `response.created`, then `n` `: keep-alive` comments `interval` apart, then the rest
    /// of a normal text reply.
    pub fn keep_alive(n: usize, interval: Duration) -> Reply {
        let events = text_events("resp_mock_text", "msg_mock_text_0", DEFAULT_TEXT);
        let mut steps = ev_steps(&events[..1]);
        for _ in 0..n {
            steps.push(Step::Sleep(interval));
            steps.push(Step::Bytes(Bytes::from_static(b": keep-alive\n\n")));
        }
        steps.extend(ev_steps(&events[1..]));
        Reply::sse(steps)
    }

    /// A text reply with one delta per character, `per_char_delay` apart.
    pub fn drip(text: &str, per_char_delay: Duration) -> Reply {
        let deltas: Vec<&str> = text
            .char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect();
        let mut b = StreamBuilder::new("resp_mock_drip", DEFAULT_MODEL);
        b.created();
        b.message("msg_mock_drip_0", &deltas);
        b.completed(text_usage(text));
        let mut steps = Vec::new();
        for e in b.finish() {
            let is_delta = e.kind == "response.output_text.delta";
            steps.push(Step::Bytes(Bytes::from(e.to_bytes())));
            if is_delta {
                steps.push(Step::Sleep(per_char_delay));
            }
        }
        Reply::sse(steps)
    }

    /// A text reply whose single delta is `bytes` bytes of `x`.
    pub fn huge_event(bytes: usize) -> Reply {
        let text = "x".repeat(bytes);
        let mut b = StreamBuilder::new("resp_mock_huge", DEFAULT_MODEL);
        b.created();
        b.message("msg_mock_huge_0", &[&text]);
        b.completed(text_usage("x"));
        Reply::events(b.finish())
    }

    /// `n` text deltas (`"lorem "` each), generated while streaming (nothing buffered), then
    /// done events with the full text and `response.completed` (with an empty `output`).
    pub fn many_deltas(n: u64) -> Reply {
        Reply::sse(vec![Step::ManyDeltas(n, 1)])
    }

    /// Like [`many_deltas`](Reply::many_deltas), with each delta `"lorem "` repeated `repeats`
    /// times (at least once): a huge answer in few events, e.g. `many_deltas_of(3200, 10_923)`
    /// streams about 200 MB of text. Generated while streaming; nothing is buffered.
    pub fn many_deltas_of(n: u64, repeats: usize) -> Reply {
        Reply::sse(vec![Step::ManyDeltas(n, repeats.max(1))])
    }

    /// Replay a file's bytes exactly (read when the request is served; a read error becomes
    /// a 500).
    pub fn sse_file(path: impl Into<PathBuf>) -> Reply {
        Reply::sse(vec![Step::File(path.into())])
    }

    /// Replay these bytes exactly.
    pub fn sse_bytes(bytes: impl Into<Bytes>) -> Reply {
        Reply::sse(vec![Step::Bytes(bytes.into())])
    }

    /// `codex.rate_limits` and `response.metadata` events, then a normal text reply.
    pub fn rate_limits() -> Reply {
        Reply::events(rate_limit_events())
    }

    /// Any status with a JSON body.
    pub fn status(code: u16, body: Value) -> Reply {
        Reply {
            status: code,
            body: Body::Fixed {
                content_type: "application/json",
                body: Bytes::from(canonical_json(&body)),
            },
            headers: Vec::new(),
            chunk_size: None,
            delay: Duration::ZERO,
            omit_content_type: false,
            head_delay: Duration::ZERO,
        }
    }

    /// A 200 JSON document (compact, models, usage, trace_summarize, token ...).
    pub fn json(value: Value) -> Reply {
        Reply::status(200, value)
    }

    /// Any status with a raw body and content type.
    pub fn raw(code: u16, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status: code,
            body: Body::Fixed {
                content_type,
                body: body.into(),
            },
            headers: Vec::new(),
            chunk_size: None,
            delay: Duration::ZERO,
            omit_content_type: false,
            head_delay: Duration::ZERO,
        }
    }

    /// 429 `usage_limit_reached` (protocol §8.1) with rate-limit headers showing the primary
    /// window at 100 % and `x-codex-active-limit: codex`.
    pub fn usage_limit(plan_type: &str, resets_at: i64) -> Reply {
        Reply::status(
            429,
            json!({"error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": plan_type,
                "resets_at": resets_at,
            }}),
        )
        .header("x-codex-primary-used-percent", "100.0")
        .header("x-codex-primary-reset-at", &resets_at.to_string())
        .header("x-codex-active-limit", "codex")
    }

    /// 401 `{"detail":"Unauthorized"}`, used once; the next request gets the next queued
    /// reply (or the default), i.e. "401 once then OK".
    pub fn unauthorized_once() -> Reply {
        Reply::status(401, json!({"detail": "Unauthorized"}))
    }

    /// Split every write into pieces of at most `chunk_size` bytes (0 is treated as 1).
    pub fn chunked(mut self, chunk_size: usize) -> Reply {
        self.chunk_size = Some(chunk_size.max(1));
        self
    }

    /// Wait `delay` before every write after the first.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Wait `delay` before sending the status line and headers (a slow or hanging server
    /// for connect/first-byte timeouts; works on every route).
    pub fn respond_after(mut self, delay: Duration) -> Reply {
        self.head_delay = delay;
        self
    }

    /// Add or replace a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// `Retry-After` in whole seconds (rounded up).
    pub fn retry_after(self, after: Duration) -> Reply {
        let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        self.header("retry-after", &secs.to_string())
    }

    /// `retry-after-ms`.
    pub fn retry_after_ms(self, after: Duration) -> Reply {
        self.header("retry-after-ms", &after.as_millis().to_string())
    }

    /// Send no `content-type` header (the live backend sometimes omits it on SSE).
    pub fn without_content_type(mut self) -> Reply {
        self.omit_content_type = true;
        self
    }

    /// The HTTP status this reply answers with.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// This reply with `encrypted_content` removed from every reasoning item in its events:
    /// what the backend sends when the request's `include` lacks
    /// `reasoning.encrypted_content`. Pauses and aborts stay where they were; replies that are
    /// not SSE events known up front (files, generated streams, JSON) are unchanged.
    pub fn without_encrypted_reasoning(self) -> Reply {
        let Body::Sse(steps) = &self.body else {
            return self;
        };
        let steps = steps
            .iter()
            .map(|step| match step {
                Step::Bytes(b) => Step::Bytes(strip_encrypted_reasoning(b)),
                other => other.clone(),
            })
            .collect();
        Reply {
            body: Body::Sse(steps),
            ..self
        }
    }

    /// The exact SSE body bytes this reply sends (pauses ignored), for replies whose body is
    /// known up front; `None` for non-SSE replies, files and lazily generated streams.
    pub fn sse_body_bytes(&self) -> Option<Vec<u8>> {
        let Body::Sse(steps) = &self.body else {
            return None;
        };
        let mut out = Vec::new();
        for s in steps {
            match s {
                Step::Bytes(b) => out.extend_from_slice(b),
                Step::Sleep(_) | Step::Abort => {}
                Step::ManyDeltas(..) | Step::File(_) => return None,
            }
        }
        Some(out)
    }
}
