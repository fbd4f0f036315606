//! `--mock`: the embedded codex-mock on 127.0.0.1 with a throwaway `CODEX_HOME`.

use std::time::Duration;

use codex_backend::mock::MockHome;
use codex_mock::MockServer;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

use crate::error::CliError;

/// The running mock and its throwaway home. Dropping it stops the server and deletes the home.
#[derive(Debug)]
pub struct MockEnv {
    /// The server (backend, usage, realtime and issuer on one port).
    pub server: MockServer,
    /// The throwaway `CODEX_HOME`.
    pub home: MockHome,
}

impl MockEnv {
    /// Starts the mock (bearer tokens required, as the real backend does). With
    /// `logged_in`, writes an `auth.json` holding tokens the mock's issuer minted. A signal
    /// ends the command (see `signal.rs`), never the process outright, so the throwaway home
    /// is removed when this value is dropped.
    pub async fn start(logged_in: bool) -> Result<Self, CliError> {
        let server = MockServer::start()
            .await
            .map_err(|e| CliError::new("mock", format!("cannot start the mock server: {e}")))?;
        // Fast device-code polling for the offline demo (the flow still polls at least once
        // while pending).
        server
            .issuer()
            .set_device_interval(Duration::from_secs(0), codex_mock::IntervalEncoding::String);
        let home = MockHome::new()?;
        if logged_in {
            server
                .issuer()
                .issue_tokens()
                .write_auth_json(home.path())
                .map_err(|e| CliError::new("mock", format!("cannot write the fake login: {e}")))?;
        }
        tracing::debug!(url = %server.url(), "mock server started");
        Ok(Self { server, home })
    }
}

/// Plays the browser for `login --mock`: opens the authorize URL and follows redirects
/// (authorize → `localhost:<port>/auth/callback` → `/success`). Loopback `http` only.
pub async fn drive_browser(url: String) -> Result<(), String> {
    let mut next = url;
    for _ in 0..5 {
        let (status, location) = get(&next).await?;
        match (status, location) {
            (300..=399, Some(loc)) => {
                next = if loc.starts_with("http://") {
                    loc
                } else {
                    let (origin, _) = split_origin(&next)?;
                    format!("{origin}{loc}")
                };
            }
            (200..=299, _) => return Ok(()),
            (s, _) => {
                return Err(format!(
                    "the mock browser got HTTP {s} from {}",
                    strip_query(&next)
                ));
            }
        }
    }
    Err("too many redirects in the mock browser".to_owned())
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// `("http://host:port", "/path?query")`.
fn split_origin(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "the mock browser only follows http:// URLs".to_owned())?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Ok((format!("http://{host}"), path.to_owned()))
}

/// One `GET` over HTTP/1.1 with `Connection: close`; returns the status and `Location`.
async fn get(url: &str) -> Result<(u16, Option<String>), String> {
    let (origin, path) = split_origin(url)?;
    let host = origin.trim_start_matches("http://").to_owned();
    let connect_to = host.replacen("localhost", "127.0.0.1", 1);
    let work = async {
        let mut s = tokio::net::TcpStream::connect(&connect_to)
            .await
            .map_err(|e| format!("the mock browser cannot connect to {host}: {e}"))?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("the mock browser cannot send: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s
                .read(&mut chunk)
                .await
                .map_err(|e| format!("the mock browser cannot read: {e}"))?;
            if n == 0 || buf.len() > 1 << 20 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                buf.truncate(end);
                break;
            }
        }
        let head = String::from_utf8_lossy(&buf).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| "the mock browser got no HTTP status".to_owned())?;
        let location = lines.find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("location")
                .then(|| v.trim().to_owned())
        });
        Ok((status, location))
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| "the mock browser timed out".to_owned())?
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Queues the mock's answer to an `ask` in the shape the flags ask for, so the offline demo
/// shows each feature: a call of the first tool, structured output matching `--schema`, a
/// web search, or a reasoning summary (in that order of preference); else the default text.
pub fn script_ask(server: &MockServer, s: &crate::request::Settings, prompt: &str) {
    use codex_backend::types::Tool;
    use codex_backend::types::ToolChoice;
    use codex_mock::FunctionCallSpec;
    use codex_mock::Reply;

    let tools_allowed = !matches!(s.tool_choice, Some(ToolChoice::None));
    let wanted = match &s.tool_choice {
        Some(ToolChoice::Function(name)) => Some(name.as_str()),
        _ => None,
    };
    let tool = s
        .tools
        .iter()
        .find(|t| wanted.is_none_or(|w| t.name() == Some(w)) && t.name().is_some());
    let reply = match tool {
        Some(Tool::Function(f)) if tools_allowed => Reply::tool_calls(vec![
            FunctionCallSpec::named(&f.name)
                .call_id("call_mock_1")
                .arguments(
                    f.parameters
                        .as_ref()
                        .map_or_else(|| serde_json::json!({}), sample)
                        .to_string(),
                ),
        ]),
        Some(Tool::Custom(c)) if tools_allowed => Reply::custom_tool_call(
            codex_mock::FunctionCallSpec::named(&c.name)
                .call_id("call_mock_1")
                .arguments("(mock input)"),
        ),
        _ => {
            if let Some(f) = &s.schema {
                Reply::structured(sample(&f.schema))
            } else if !matches!(s.web_search, codex_backend::WebSearch::Disabled) {
                Reply::web_search(prompt, codex_mock::DEFAULT_TEXT)
            } else if s.reasoning.as_ref().is_some_and(|r| r.summary.is_some()) {
                Reply::reasoning(
                    "Reading the question and planning a short answer.",
                    codex_mock::DEFAULT_TEXT,
                )
            } else {
                return;
            }
        }
    };
    server.push_response(reply);
}

/// A small value that satisfies common JSON Schemas (for the mock's structured output).
fn sample(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return first.clone();
    }
    let ty = schema.get("type").and_then(|t| match t {
        Value::String(s) => Some(s.as_str()),
        Value::Array(a) => a.iter().filter_map(Value::as_str).find(|s| *s != "null"),
        _ => None,
    });
    match ty {
        Some("object") | None if schema.get("properties").is_some() || ty.is_some() => {
            let mut m = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    m.insert(k.clone(), sample(v));
                }
            }
            Value::Object(m)
        }
        Some("array") => Value::Array(
            schema
                .get("items")
                .map(|i| vec![sample(i)])
                .unwrap_or_default(),
        ),
        Some("integer") | Some("number") => Value::from(0),
        Some("boolean") => Value::Bool(false),
        Some("null") => Value::Null,
        _ => Value::String("example".to_owned()),
    }
}
