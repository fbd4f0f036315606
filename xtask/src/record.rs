//! `cargo xtask record`: capture real traffic into scrubbed fixtures.
//!
//! The login is read from `$CODEX_HOME/auth.json` (default `~/.codex/auth.json`): only
//! `tokens.access_token`, `tokens.account_id` (and, for scrubbing, the other token strings)
//! are read, with serde_json, so this tool does not depend on the `codex-auth` crate's API.
//! It never refreshes: log in with the Codex CLI (or the SDK) first if the token expired.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use codex_mock::scrub;
use codex_mock::scrub::Secret;
use http_body_util::BodyExt;
use http_body_util::Full;
use serde_json::Value;
use serde_json::json;

/// The default backend.
pub const DEFAULT_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";
/// The `client_version` and `version` header sent.
pub const CLIENT_VERSION: &str = "0.99.0";
/// Every case, in recording order.
pub const CASES: &[&str] = &[
    "text",
    "tool_call",
    "reasoning_summary",
    "structured_output",
    "image",
    "compact",
    "models",
    "usage",
];
/// Fixed conversation id used for `prompt_cache_key` and the session headers.
const THREAD_ID: &str = "00000000-0000-4000-8000-00000000f1c5";

/// The stored login (only what recording needs).
pub struct Login {
    access_token: String,
    account_id: Option<String>,
    other_secrets: Vec<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").finish_non_exhaustive()
    }
}

impl Login {
    /// A login from explicit values (tests).
    #[cfg(test)]
    pub fn new(access_token: &str, account_id: Option<&str>) -> Login {
        Login {
            access_token: access_token.to_owned(),
            account_id: account_id.map(str::to_owned),
            other_secrets: Vec::new(),
        }
    }

    /// Read `<codex_home>/auth.json`.
    pub fn load(codex_home: &Path) -> Result<Login, String> {
        let path = codex_home.join("auth.json");
        let text =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let v: Value = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
        let tokens = v
            .get("tokens")
            .ok_or_else(|| format!("{} has no tokens (log in first)", path.display()))?;
        let s = |k: &str| tokens.get(k).and_then(Value::as_str).map(str::to_owned);
        let access_token = s("access_token")
            .ok_or_else(|| format!("{} has no tokens.access_token", path.display()))?;
        let mut other_secrets: Vec<String> = ["id_token", "refresh_token"]
            .iter()
            .filter_map(|k| s(k))
            .collect();
        if let Some(key) = v.get("OPENAI_API_KEY").and_then(Value::as_str) {
            other_secrets.push(key.to_owned());
        }
        Ok(Login {
            access_token,
            account_id: s("account_id"),
            other_secrets,
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut v = vec![Secret::new("access-token", &self.access_token)];
        if let Some(a) = &self.account_id {
            v.push(Secret::new("account-id", a));
        }
        for s in &self.other_secrets {
            v.push(Secret::new("token", s));
        }
        v
    }
}

/// The default `CODEX_HOME`.
pub fn default_codex_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CODEX_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".codex")
}

struct Case {
    name: &'static str,
    method: &'static str,
    url: String,
    body: Option<Value>,
    sse: bool,
}

fn responses_body(input: Vec<Value>) -> Value {
    let mut b = codex_mock::request_body(input, Some("gpt-5.4"));
    b["prompt_cache_key"] = json!(THREAD_ID);
    b
}

fn usage_url(base: &str) -> String {
    let root = base.strip_suffix("/codex").unwrap_or(base);
    format!("{root}/wham/usage")
}

fn case(name: &str, base: &str) -> Option<Case> {
    let user = codex_mock::user_text;
    let post = |body: Value| Case {
        name: CASES.iter().copied().find(|c| *c == name).unwrap_or("text"),
        method: "POST",
        url: format!("{base}/responses"),
        body: Some(body),
        sse: true,
    };
    Some(match name {
        "text" => post(responses_body(vec![user("Say hello in five words.")])),
        "tool_call" => {
            let mut b = responses_body(vec![user(
                "What is the weather in Paris? Use the get_weather tool.",
            )]);
            b["tools"] = json!([{"type": "function", "name": "get_weather", "description": "Current weather for a city",
                "strict": false, "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
            post(b)
        }
        "reasoning_summary" => {
            let mut b = responses_body(vec![user("Which is larger, 9.11 or 9.9? Think briefly.")]);
            b["reasoning"] = json!({"effort": "low", "summary": "auto"});
            b["include"] = json!(["reasoning.encrypted_content"]);
            post(b)
        }
        "structured_output" => {
            let mut b = responses_body(vec![user("Give the capital of France.")]);
            b["text"] = json!({"format": {"type": "json_schema", "strict": true, "name": "codex_output_schema",
                "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"], "additionalProperties": false}}});
            post(b)
        }
        "image" => post(responses_body(vec![
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "What color is this image? One word."},
                {"type": "input_image", "image_url": codex_mock::TINY_PNG_DATA_URL, "detail": "auto"},
            ]}),
        ])),
        "compact" => Case {
            name: "compact",
            method: "POST",
            url: format!("{base}/responses/compact"),
            body: Some(json!({
                "model": "gpt-5.4",
                "instructions": "You are a helpful assistant.",
                "input": [
                    user("Remember the number 7."),
                    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "I will remember 7."}]},
                ],
                "parallel_tool_calls": false,
                "prompt_cache_key": THREAD_ID,
            })),
            sse: false,
        },
        "models" => Case {
            name: "models",
            method: "GET",
            url: format!("{base}/models?client_version={CLIENT_VERSION}"),
            body: None,
            sse: false,
        },
        "usage" => Case {
            name: "usage",
            method: "GET",
            url: usage_url(base),
            body: None,
            sse: false,
        },
        _ => return None,
    })
}

fn check_base_url(base: &str) -> Result<(), String> {
    if let Some(rest) = base.strip_prefix("http://") {
        let authority = rest.split('/').next().unwrap_or("");
        let host = if authority.starts_with('[') {
            authority
                .split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or("").to_owned()
        };
        if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(format!(
                "refusing plain http to {host}: http is only for loopback"
            ));
        }
        Ok(())
    } else if base.starts_with("https://") {
        Ok(())
    } else {
        Err(format!(
            "base URL must start with https:// (or http:// for loopback): {base}"
        ))
    }
}

/// What one case produced.
#[derive(Debug)]
pub struct Recorded {
    /// Case name.
    pub case: String,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Record `cases` (all when empty) from `base_url` into `out`.
pub async fn record(
    base_url: &str,
    out: &Path,
    cases: &[String],
    login: &Login,
) -> Result<Vec<Recorded>, String> {
    let base = base_url.trim_end_matches('/');
    check_base_url(base)?;
    let names: Vec<String> = if cases.is_empty() {
        CASES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        cases.to_vec()
    };
    let mut plan = Vec::new();
    for n in &names {
        plan.push(
            case(n, base)
                .ok_or_else(|| format!("unknown case {n} (known: {})", CASES.join(", ")))?,
        );
    }
    // The SDK's own HTTP stack: the same TLS, proxy and extra-CA settings as the client.
    let client = codex_auth::net::Connector::builder()
        .build()
        .map_err(|e| format!("network setup: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let secrets = login.secrets();
    let mut done = Vec::new();
    let mut errors = Vec::new();
    for c in plan {
        match record_one(&client, &c, out, login, &secrets).await {
            Ok(files) => {
                eprintln!("recorded {} ({} files)", c.name, files.len());
                done.push(Recorded {
                    case: c.name.to_owned(),
                    files,
                });
            }
            Err(e) => {
                eprintln!("case {} failed: {e}", c.name);
                errors.push(format!("{}: {e}", c.name));
            }
        }
    }
    if errors.is_empty() {
        Ok(done)
    } else {
        Err(format!(
            "{} case(s) failed: {}",
            errors.len(),
            errors.join("; ")
        ))
    }
}

async fn record_one(
    client: &codex_auth::net::Connector,
    c: &Case,
    out: &Path,
    login: &Login,
    secrets: &[Secret],
) -> Result<Vec<PathBuf>, String> {
    let body_bytes = match &c.body {
        Some(b) => serde_json::to_vec(b).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let mut req = http::Request::builder()
        .method(c.method)
        .uri(&c.url)
        .header("authorization", format!("Bearer {}", login.access_token))
        .header("originator", "codex_cli_rs")
        .header(
            "user-agent",
            format!("codex_cli_rs/{CLIENT_VERSION} (codex-backend xtask record)"),
        )
        .header("version", CLIENT_VERSION);
    if let Some(a) = &login.account_id {
        req = req.header("chatgpt-account-id", a);
    }
    if c.body.is_some() {
        req = req
            .header("content-type", "application/json")
            .header("session-id", THREAD_ID)
            .header("thread-id", THREAD_ID);
    }
    if c.sse {
        req = req
            .header("accept", "text/event-stream")
            .header("x-client-request-id", THREAD_ID);
    }
    let mut req = req
        .body(Full::new(Bytes::from(body_bytes.clone())))
        .map_err(|e| format!("bad request: {e}"))?;
    if let Some(v) = req.headers_mut().get_mut("authorization") {
        v.set_sensitive(true);
    }
    let fut = async {
        let resp = client
            .__send(req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading body failed: {e}"))?
            .to_bytes();
        Ok::<_, String>((status, headers, body))
    };
    let (status, headers, body) = tokio::time::timeout(Duration::from_secs(300), fut)
        .await
        .map_err(|_| "timed out after 300 s".to_owned())??;
    if !(200..300).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&scrub::redact(&body[..body.len().min(300)], secrets))
        ));
    }
    // Scrub everything first; write nothing if any part is refused.
    let body =
        scrub::scrub(&body, secrets).map_err(|l| format!("scrubber refused the body: {l}"))?;
    let request = match &c.body {
        Some(_) => Some(
            scrub::scrub(&body_bytes, secrets)
                .map_err(|l| format!("scrubber refused the request: {l}"))?,
        ),
        None => None,
    };
    let kept = scrub::scrub_headers(&headers, secrets)
        .map_err(|l| format!("scrubber refused a header: {l}"))?;
    let path_only = c
        .url
        .split("://")
        .nth(1)
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .unwrap_or_default();
    let mut hmap = serde_json::Map::new();
    for (k, v) in kept {
        hmap.insert(k, Value::String(v));
    }
    let headers_doc = json!({
        "status": status,
        "request": {"method": c.method, "path": path_only},
        "headers": hmap,
    });
    let mut headers_text = serde_json::to_string_pretty(&headers_doc).map_err(|e| e.to_string())?;
    headers_text.push('\n');
    let headers_text = scrub::scrub(headers_text.as_bytes(), secrets)
        .map_err(|l| format!("scrubber refused the headers file: {l}"))?;

    let ext = if c.sse { "sse" } else { "json" };
    let mut files = Vec::new();
    let mut write = |name: String, data: &[u8]| -> Result<(), String> {
        let p = out.join(name);
        std::fs::write(&p, data).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        files.push(p);
        Ok(())
    };
    write(format!("{}.recorded.{ext}", c.name), &body)?;
    if let Some(r) = request {
        let v: Value = serde_json::from_slice(&r).map_err(|e| e.to_string())?;
        let mut t = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
        t.push('\n');
        write(format!("{}.request.json", c.name), t.as_bytes())?;
    }
    write(format!("{}.headers.json", c.name), &headers_text)?;
    Ok(files)
}

/// `cargo xtask record ...`.
pub fn main(args: &[String]) -> Result<(), String> {
    let mut base = DEFAULT_BASE_URL.to_owned();
    let mut out = crate::root().join("crates/codex-mock/fixtures/recorded");
    let mut cases = Vec::new();
    let mut home = default_codex_home();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--base-url" => base = val()?,
            "--out" => out = PathBuf::from(val()?),
            "--case" => cases.push(val()?),
            "--codex-home" => home = PathBuf::from(val()?),
            other => return Err(format!("unknown record argument {other}")),
        }
    }
    let login = Login::load(&home)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let done = rt.block_on(record(&base, &out, &cases, &login))?;
    for r in done {
        eprintln!("{}:", r.case);
        for f in r.files {
            println!("{}", f.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use codex_mock::MockServer;
    use codex_mock::Reply;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("xtask-record-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    async fn fetch(server: &MockServer, token: &str, body: &[u8]) -> Bytes {
        use hyper_util::client::legacy::Client;
        use hyper_util::rt::TokioExecutor;
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let req = http::Request::post(format!("{}/responses", server.backend_base_url()))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::copy_from_slice(body)))
            .unwrap();
        let resp = client.request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.into_body().collect().await.unwrap().to_bytes()
    }

    /// Parse with codex-sse and decode every event into a typed codex-types event.
    fn decode_all(bytes: &[u8]) -> Vec<codex_types::ResponseEvent> {
        let mut p = codex_sse::Parser::new();
        p.feed(Bytes::copy_from_slice(bytes));
        let mut out = Vec::new();
        while let Some(f) = p.next_frame() {
            if let codex_sse::Frame::Event(e) = f.unwrap() {
                out.push(codex_types::ResponseEvent::from_sse(&e).unwrap());
            }
        }
        out
    }

    #[tokio::test]
    async fn record_through_mock_then_replay_and_decode() {
        let server = MockServer::start().await.unwrap();
        let tokens = server.issuer().issue_tokens();
        let home = tmp("home");
        tokens.write_auth_json(&home).unwrap();
        let login = Login::load(&home).unwrap();
        server.push_response(Reply::text(codex_mock::DEFAULT_TEXT));
        server.push_response(Reply::tool_calls(vec![
            codex_mock::FunctionCallSpec::named("get_weather")
                .call_id("call_1")
                .arguments(r#"{"city":"Paris"}"#),
        ]));
        server.push_response(Reply::reasoning("thinking", "9.9"));
        let out = tmp("out");
        let done = record(&server.backend_base_url(), &out, &[], &login)
            .await
            .unwrap();
        assert_eq!(done.len(), CASES.len());

        // The requests carried the §3.1 headers and the stored login.
        let reqs = server.requests_to("/backend-api/codex/responses");
        assert_eq!(reqs.len(), 5);
        let r0 = &reqs[0];
        assert_eq!(
            r0.header("authorization").unwrap(),
            format!("Bearer {}", tokens.access_token)
        );
        assert_eq!(
            r0.header("chatgpt-account-id"),
            Some(tokens.account_id.as_str())
        );
        assert_eq!(r0.header("originator"), Some("codex_cli_rs"));
        assert_eq!(r0.header("accept"), Some("text/event-stream"));
        // request.json is the body that was sent.
        let sent: Value = r0.json().unwrap();
        let stored: Value =
            serde_json::from_slice(&std::fs::read(out.join("text.request.json")).unwrap()).unwrap();
        assert_eq!(sent, stored);

        // Unscrubbed content is byte-exact: the text recording is what the mock sent.
        let text = std::fs::read(out.join("text.recorded.sse")).unwrap();
        assert_eq!(
            text,
            Reply::text(codex_mock::DEFAULT_TEXT)
                .sse_body_bytes()
                .unwrap()
        );
        // Opaque blobs were redacted.
        let reasoning =
            std::fs::read_to_string(out.join("reasoning_summary.recorded.sse")).unwrap();
        assert!(reasoning.contains(scrub::ENCRYPTED_PLACEHOLDER));
        // Nothing credential-shaped anywhere.
        for f in std::fs::read_dir(&out).unwrap() {
            let data = std::fs::read(f.unwrap().path()).unwrap();
            assert!(scrub::find_credentials(&data, &login.secrets()).is_empty());
            assert!(!String::from_utf8_lossy(&data).contains(&tokens.account_id));
        }
        let headers: Value =
            serde_json::from_slice(&std::fs::read(out.join("text.headers.json")).unwrap()).unwrap();
        assert_eq!(
            headers["headers"]["x-request-id"],
            scrub::REQUEST_ID_PLACEHOLDER
        );
        assert_eq!(headers["headers"]["content-type"], "text/event-stream");
        assert!(headers["headers"]["x-codex-primary-used-percent"].is_string());
        let models: Value =
            serde_json::from_slice(&std::fs::read(out.join("models.recorded.json")).unwrap())
                .unwrap();
        assert!(models["models"].is_array());
        let compact: Value =
            serde_json::from_slice(&std::fs::read(out.join("compact.recorded.json")).unwrap())
                .unwrap();
        assert_eq!(
            compact["output"].as_array().unwrap().last().unwrap()["type"],
            "compaction"
        );

        // Replay every recording through a fresh mock: the client gets the same bytes, and
        // they decode.
        let replay = MockServer::start().await.unwrap();
        let t = replay.issuer().issue_tokens().access_token;
        for case in [
            "text",
            "tool_call",
            "reasoning_summary",
            "structured_output",
            "image",
        ] {
            let path = out.join(format!("{case}.recorded.sse"));
            let recorded = std::fs::read(&path).unwrap();
            let body = std::fs::read(out.join(format!("{case}.request.json"))).unwrap();
            replay.push_response(Reply::sse_file(&path).chunked(17));
            let got = fetch(&replay, &t, &body).await;
            assert_eq!(got.as_ref(), recorded.as_slice(), "{case}");
            let events = decode_all(&got);
            let last = events.last().unwrap();
            assert!(
                matches!(last, codex_types::ResponseEvent::Completed(_)),
                "{case}: {last:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_dir_all(&home);
    }

    #[tokio::test]
    async fn refuses_plain_http_off_loopback_and_unknown_cases() {
        let login = Login::new("x", None);
        let out = tmp("refuse");
        assert!(
            record("http://example.com/backend-api/codex", &out, &[], &login)
                .await
                .is_err()
        );
        assert!(record("ftp://x", &out, &[], &login).await.is_err());
        let err = record(
            "http://127.0.0.1:9/backend-api/codex",
            &out,
            &["nope".into()],
            &login,
        )
        .await
        .unwrap_err();
        assert!(err.contains("unknown case"));
    }

    #[tokio::test]
    async fn error_status_writes_nothing() {
        let server = MockServer::start().await.unwrap();
        let login = Login::new("not-minted-token", None);
        let out = tmp("err");
        let err = record(&server.backend_base_url(), &out, &["text".into()], &login)
            .await
            .unwrap_err();
        assert!(err.contains("401"), "{err}");
        assert!(!err.contains("not-minted-token"));
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&out);
    }
}
