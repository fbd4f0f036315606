//! The scenario spec grammar of the `codex-mock` binary (not part of the library):
//! `NAME[:ARG][,OPTION...]` to a [`Reply`], and `--script` files of such specs.

use std::time::Duration;

use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_mock::Route;

use crate::args::route;

/// Every scenario: syntax, one-line description, an example that must parse.
pub(crate) const SCENARIOS: &[(&str, &str, &str)] = &[
    (
        "text[:TEXT]",
        "a text answer, one delta per word",
        "text:hello world",
    ),
    (
        "tools[:N]",
        "N parallel function calls (default 2), then completed",
        "tools:3",
    ),
    (
        "shell:COMMAND",
        "a shell tool call running COMMAND (exec_command/shell_command/shell, as the request offers; option tool=NAME forces one); the follow-up carrying its output is answered by quoting it",
        "shell:echo hello,tool=exec_command",
    ),
    (
        "custom-tool",
        "one custom (freeform) apply_patch tool call",
        "custom-tool",
    ),
    (
        "reasoning",
        "a reasoning summary item, then an answer",
        "reasoning",
    ),
    (
        "structured",
        "structured output: the message text is JSON",
        "structured",
    ),
    (
        "web-search",
        "a web_search_call item with progress events, then an answer",
        "web-search",
    ),
    (
        "rate-limits",
        "codex.rate_limits and response.metadata events, then text",
        "rate-limits",
    ),
    (
        "failed[:CODE]",
        "response.failed with error.code CODE (default server_error)",
        "failed:rate_limit_exceeded",
    ),
    (
        "incomplete[:REASON]",
        "two deltas, then response.incomplete (default max_output_tokens)",
        "incomplete:content_filter",
    ),
    (
        "error",
        "a top-level `error` event, then the stream ends",
        "error",
    ),
    (
        "truncated",
        "deltas, then a clean end of body without response.completed",
        "truncated",
    ),
    (
        "drop",
        "half an event, then the connection is dropped",
        "drop",
    ),
    (
        "stall[:SECS]",
        "response.created, then silence for SECS (default 600; decimals ok)",
        "stall:0.5",
    ),
    (
        "keepalive[:N]",
        "N `: keep-alive` comments (default 5), interval-ms apart (default 1000)",
        "keepalive:3,interval-ms=10",
    ),
    (
        "drip[:TEXT]",
        "one delta per character, interval-ms apart (default 100)",
        "drip:abc,interval-ms=5",
    ),
    (
        "huge[:BYTES]",
        "a single delta of BYTES bytes (default 8 MiB)",
        "huge:1024",
    ),
    (
        "many[:N]",
        "N small deltas generated while streaming (default 100000)",
        "many:10",
    ),
    (
        "status[:CODE]",
        "HTTP CODE (default 500) with a JSON {\"detail\"} body",
        "status:429,retry-after=3",
    ),
    (
        "usage-limit[:PLAN]",
        "429 usage_limit_reached for PLAN (default plus); option resets-at=EPOCH",
        "usage-limit:pro,resets-at=1767229200",
    ),
    (
        "unauthorized-once",
        "401 once; the next request gets the next scenario (401 once then OK)",
        "unauthorized-once",
    ),
    (
        "no-content-type",
        "a text answer without a content-type header",
        "no-content-type",
    ),
    (
        "replay:FILE",
        "the file's bytes exactly (a recorded .sse)",
        "replay:Cargo.toml,chunk=7,delay-ms=20",
    ),
    (
        "default",
        "the route's built-in answer (to combine with options)",
        "default,respond-after-ms=100",
    ),
];

/// Options valid on every scenario: syntax, description.
pub(crate) const OPTIONS: &[(&str, &str)] = &[
    (
        "chunk=N",
        "split every write into pieces of at most N bytes (N >= 1)",
    ),
    (
        "delay-ms=MS",
        "pause MS milliseconds before every write after the first",
    ),
    (
        "respond-after-ms=MS",
        "wait MS milliseconds before the status line and headers",
    ),
    (
        "retry-after=SECS",
        "add `Retry-After: SECS` (decimals rounded up)",
    ),
    ("retry-after-ms=MS", "add `retry-after-ms: MS`"),
    (
        "header=NAME:VALUE",
        "add or replace a response header (repeatable)",
    ),
    ("no-content-type", "send no content-type header"),
];

/// Split `NAME[:ARG][,OPTION]...` into `NAME[:ARG]` and its options. Options are peeled from
/// the right while they look like `key=value` (key of `a-z0-9-`) or `no-content-type`, so an
/// ARG may itself contain commas (`text:a, b`).
fn split_options(spec: &str) -> (&str, Vec<&str>) {
    let mut base = spec;
    let mut opts = Vec::new();
    while let Some(i) = base.rfind(',') {
        let tail = &base[i + 1..];
        let looks_like_option = tail == "no-content-type"
            || tail.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if !looks_like_option {
            break;
        }
        opts.push(tail);
        base = &base[..i];
    }
    opts.reverse();
    (base, opts)
}

pub(crate) fn parse_u64(what: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{what} {v:?} is not a non-negative integer"))
}

fn parse_secs(what: &str, v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{what} {v:?} is not a non-negative number of seconds"))
}

fn parse_ms(what: &str, v: &str) -> Result<Duration, String> {
    parse_u64(what, v).map(Duration::from_millis)
}

const CITIES: &[&str] = &[
    "Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Sydney", "Quito", "Hanoi",
];

/// Map a scenario spec to a reply.
pub(crate) fn scenario(spec: &str) -> Result<Reply, String> {
    scenario_inner(spec).map_err(|e| format!("scenario {spec:?}: {e}"))
}

fn scenario_inner(spec: &str) -> Result<Reply, String> {
    let (base, opts) = split_options(spec);
    let (head, arg) = match base.split_once(':') {
        Some((h, a)) => (h, Some(a)),
        None => (base, None),
    };
    // Scenario-specific options are taken out first; the rest must be generic.
    let mut interval: Option<Duration> = None;
    let mut tool: Option<codex_mock::ShellTool> = None;
    let mut resets_at: Option<i64> = None;
    let mut generic = Vec::new();
    for o in &opts {
        match o.split_once('=') {
            Some(("interval-ms", v)) if matches!(head, "keepalive" | "drip") => {
                interval = Some(parse_ms("interval-ms", v)?);
            }
            Some(("tool", v)) if head == "shell" => {
                tool = Some(codex_mock::ShellTool::from_name(v).ok_or_else(|| {
                    format!("tool {v:?} is not exec_command, shell_command, shell or auto")
                })?);
            }
            Some(("resets-at", v)) if head == "usage-limit" => {
                resets_at = Some(
                    v.parse()
                        .map_err(|_| format!("resets-at {v:?} is not a unix timestamp"))?,
                );
            }
            _ => generic.push(*o),
        }
    }
    let num = |what: &str, default: u64| -> Result<u64, String> {
        arg.map_or(Ok(default), |a| parse_u64(what, a))
    };
    let no_arg = |r: Reply| -> Result<Reply, String> {
        match arg {
            Some(a) => Err(format!("{head} takes no argument (got {a:?})")),
            None => Ok(r),
        }
    };
    let reply = match head {
        "text" => Reply::text(arg.unwrap_or(codex_mock::DEFAULT_TEXT)),
        "tools" => {
            let n = num("tool call count", 2)?;
            if !(1..=64).contains(&n) {
                return Err(format!("tool call count must be 1..=64, got {n}"));
            }
            let calls = (0..n as usize)
                .map(|i| {
                    let city = CITIES[i % CITIES.len()];
                    FunctionCallSpec::named("get_weather")
                        .call_id(format!("call_mock_{i}"))
                        .arguments(serde_json::json!({ "city": city }).to_string())
                })
                .collect();
            Reply::tool_calls(calls)
        }
        "shell" => match arg {
            Some(cmd) if !cmd.is_empty() => {
                Reply::shell_with(tool.unwrap_or(codex_mock::ShellTool::Auto), cmd)
            }
            _ => return Err("shell needs a command: shell:<command>".into()),
        },
        "custom-tool" => no_arg(Reply::custom_tool_call(
            FunctionCallSpec::named("apply_patch")
                .call_id("call_mock_0")
                .arguments("*** Begin Patch\n*** Add File: hello.txt\n+Hello world\n*** End Patch"),
        ))?,
        "reasoning" => no_arg(Reply::reasoning(
            "**Thinking**\n\nThe answer follows from the question.",
            "Here is the answer.",
        ))?,
        "structured" => no_arg(Reply::structured(serde_json::json!({"answer": "42"})))?,
        "web-search" => no_arg(Reply::web_search("rust", "Found it."))?,
        "rate-limits" => no_arg(Reply::rate_limits())?,
        "failed" => {
            let code = arg.unwrap_or("server_error");
            if code.is_empty() {
                return Err("failed needs a code: failed:<code>".into());
            }
            // The synthetic fixtures carry the live backend's message for known codes.
            let stem = format!("failed_{code}");
            codex_mock::synthetic_cases()
                .into_iter()
                .find(|(s, _, _)| *s == stem)
                .map(|(_, r, _)| r)
                .unwrap_or_else(|| Reply::failed(code, &format!("codex-mock failure: {code}")))
        }
        "incomplete" => Reply::incomplete(arg.unwrap_or("max_output_tokens")),
        "error" => no_arg(Reply::error_event("server_error", "codex-mock error event"))?,
        "truncated" => no_arg(Reply::truncated())?,
        "drop" => no_arg(Reply::drop_mid_event())?,
        "stall" => Reply::stall(match arg {
            Some(a) => parse_secs("stall", a)?,
            None => Duration::from_secs(600),
        }),
        "keepalive" => Reply::keep_alive(
            usize::try_from(num("keep-alive count", 5)?).map_err(|e| e.to_string())?,
            interval.unwrap_or(Duration::from_secs(1)),
        ),
        "drip" => Reply::drip(
            arg.unwrap_or("Dripping slowly, one character at a time."),
            interval.unwrap_or(Duration::from_millis(100)),
        ),
        "huge" => Reply::huge_event(
            usize::try_from(num("byte count", 8 * 1024 * 1024)?).map_err(|e| e.to_string())?,
        ),
        "many" => Reply::many_deltas(num("delta count", 100_000)?),
        "status" => {
            let code = num("status code", 500)?;
            let code = u16::try_from(code)
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| format!("status code {code} is not in 100..=599"))?;
            Reply::status(
                code,
                serde_json::json!({"detail": format!("codex-mock status {code}")}),
            )
        }
        "usage-limit" => {
            Reply::usage_limit(arg.unwrap_or("plus"), resets_at.unwrap_or(1_767_229_200))
        }
        "unauthorized-once" => no_arg(Reply::unauthorized_once())?,
        "no-content-type" => no_arg(Reply::text(codex_mock::DEFAULT_TEXT).without_content_type())?,
        "replay" => match arg {
            Some(path) if !path.is_empty() => {
                if let Err(e) = std::fs::File::open(path) {
                    return Err(format!("cannot read {path}: {e}"));
                }
                Reply::sse_file(path)
            }
            _ => return Err("replay needs a file: replay:<file>".into()),
        },
        "default" => no_arg(Reply::route_default())?,
        _ => return Err(format!("unknown scenario {head:?}")),
    };
    apply_options(reply, &generic)
}

fn apply_options(mut reply: Reply, opts: &[&str]) -> Result<Reply, String> {
    for o in opts {
        if *o == "no-content-type" {
            reply = reply.without_content_type();
            continue;
        }
        let (k, v) = o.split_once('=').unwrap_or((o, ""));
        reply = match k {
            "chunk" => {
                let n = parse_u64("chunk", v)?;
                let n = usize::try_from(n)
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("chunk must be at least 1, got {v}"))?;
                reply.chunked(n)
            }
            "delay-ms" => reply.delay(parse_ms("delay-ms", v)?),
            "respond-after-ms" => reply.respond_after(parse_ms("respond-after-ms", v)?),
            "retry-after" => reply.retry_after(parse_secs("retry-after", v)?),
            "retry-after-ms" => reply.retry_after_ms(parse_ms("retry-after-ms", v)?),
            "header" => {
                let (name, value) = v
                    .split_once(':')
                    .filter(|(n, _)| http::HeaderName::from_bytes(n.trim().as_bytes()).is_ok())
                    .ok_or_else(|| format!("header {v:?} is not NAME:VALUE"))?;
                if http::HeaderValue::from_str(value.trim()).is_err() {
                    return Err(format!("header value {value:?} is not valid"));
                }
                reply.header(name.trim(), value.trim())
            }
            _ => {
                return Err(format!(
                    "unknown option {k:?} (options: chunk, delay-ms, respond-after-ms, retry-after, retry-after-ms, header, no-content-type; interval-ms for keepalive/drip, resets-at for usage-limit, tool for shell)"
                ));
            }
        };
    }
    Ok(reply)
}

/// A script entry: queued on a route, or a rule matched against the last user message.
pub(crate) enum ScriptEntry {
    Queue(Route, Reply),
    Rule(String, Reply),
}

/// Parse a `--script` file (see `--help` and docs/mock.md).
pub(crate) fn script(path: &str) -> Result<Vec<ScriptEntry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("script {path}: not JSON: {e}"))?;
    let entries = value
        .as_array()
        .ok_or_else(|| format!("script {path}: expected a JSON array of entries"))?;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let at = |msg: &str| format!("script {path}, entry {i}: {msg}");
            let obj = e.as_object().ok_or_else(|| at("not an object"))?;
            if let Some(k) = obj
                .keys()
                .find(|k| !matches!(k.as_str(), "reply" | "route" | "user_contains"))
            {
                return Err(at(&format!("unknown key {k:?}")));
            }
            let spec = obj
                .get("reply")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| at("\"reply\" must be a scenario spec string"))?;
            let reply = scenario(spec).map_err(|m| at(&m))?;
            let route_name = obj
                .get("route")
                .map(|r| r.as_str().ok_or_else(|| at("\"route\" must be a string")));
            let route = match route_name {
                Some(name) => Some(route(name?).map_err(|m| at(&m))?),
                None => None,
            };
            match obj.get("user_contains") {
                None => Ok(ScriptEntry::Queue(route.unwrap_or(Route::Responses), reply)),
                Some(serde_json::Value::String(text))
                    if route.is_none_or(|r| r == Route::Responses) =>
                {
                    Ok(ScriptEntry::Rule(text.clone(), reply))
                }
                Some(serde_json::Value::String(_)) => {
                    Err(at("user_contains applies to the responses route only"))
                }
                Some(_) => Err(at("\"user_contains\" must be a string")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_example_and_old_name_parses() {
        for (_, _, example) in SCENARIOS {
            // replay's example names a file relative to the crate dir (cargo test's cwd).
            assert!(
                scenario(example).is_ok(),
                "{example}: {:?}",
                scenario(example).err()
            );
        }
        // Every scenario whose argument is optional also parses by its bare name.
        let bare = SCENARIOS
            .iter()
            .filter(|(syntax, _, _)| !syntax.contains(':') || syntax.contains("[:"))
            .map(|(syntax, _, _)| syntax.split('[').next().unwrap_or(syntax));
        let with_arguments = [
            "text:hi there",
            "text:a, b",
            "failed:context_length_exceeded",
            "failed:whatever",
            "stall:3",
            "many:10",
            "status:503",
            "text:x,no-content-type",
            "status:200,header=x-a:b",
            "shell:ls -la, then more",
            "shell:echo hi,tool=shell",
        ];
        for name in bare.chain(with_arguments) {
            assert!(scenario(name).is_ok(), "{name}: {:?}", scenario(name).err());
        }
    }

    #[test]
    fn bad_specs_are_rejected() {
        for bad in [
            "nope",
            "status:abc",
            "status:70000",
            "status:99",
            "replay",
            "replay:/nonexistent/x.sse",
            "huge:x",
            "tools:0",
            "tools:65",
            "text,chunk=0",
            "text,chunk=x",
            "text,bogus=1",
            "status:429,retry-after=soon",
            "status:429,retry-after=-1",
            "stall:-1",
            "text,interval-ms=5",
            "reasoning:x",
            "status:500,header=nocolon",
            "usage-limit,resets-at=x",
            "shell",
            "shell:",
            "shell:ls,tool=bash",
            "text,tool=shell",
        ] {
            assert!(scenario(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_split_from_the_right() {
        assert_eq!(split_options("text:a, b"), ("text:a, b", vec![]));
        assert_eq!(
            split_options("replay:x.sse,chunk=7,delay-ms=20"),
            ("replay:x.sse", vec!["chunk=7", "delay-ms=20"])
        );
        assert_eq!(
            split_options("text:x,no-content-type"),
            ("text:x", vec!["no-content-type"])
        );
        assert_eq!(scenario("status:429").map(|r| r.status_code()), Ok(429));
        assert_eq!(scenario("usage-limit").map(|r| r.status_code()), Ok(429));
    }
}
