//! The request log file: one JSON line per request and per WebSocket frame received, secrets
//! redacted, so a test can assert what a client (any client, in any language) sent.

use std::io::Write;
use std::sync::Mutex;

use base64::Engine;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;

use crate::RecordedRequest;
use crate::events::canonical_json;

/// What a redacted header value or body field is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Headers whose values never reach the log.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "openai-api-key",
    "x-oai-attestation",
    "x-oai-is",
];

/// Body keys (JSON or form, at any depth) whose values never reach the log.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "code",
    "code_verifier",
    "subject_token",
    "authorization_code",
    "client_secret",
    "password",
    "api_key",
    "OPENAI_API_KEY",
];

fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_KEYS.contains(&k.as_str()) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The log line of one request (without the newline): `seq`, `method`, `path`, `query`,
/// `version`, `headers` (name → value, or a list when repeated; secret ones replaced by
/// [`REDACTED`]) and the body: `body` when it is JSON or a URL-encoded form (decoded, secret
/// fields redacted), else `body_text` when it is UTF-8, else `body_base64`; `body_bytes` is
/// its length.
pub fn request_line(seq: u64, req: &RecordedRequest) -> String {
    let mut headers = Map::new();
    for name in req.headers.keys() {
        let secret = SECRET_HEADERS.contains(&name.as_str());
        let values: Vec<Value> = req
            .headers
            .get_all(name)
            .iter()
            .map(|v| {
                Value::String(if secret {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                })
            })
            .collect();
        let value = match <[Value; 1]>::try_from(values) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
        headers.insert(name.as_str().to_owned(), value);
    }
    let mut line = json!({
        "seq": seq,
        "method": req.method,
        "path": req.path,
        "query": req.query,
        "version": req.version,
        "headers": headers,
        "body_bytes": req.body.len(),
    });
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let body = if req.body.is_empty() {
        None
    } else if let Some(v) = req.json() {
        Some(("body", v))
    } else if form {
        let map: Map<String, Value> = req
            .form()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        Some(("body", Value::Object(map)))
    } else if let Ok(text) = std::str::from_utf8(&req.body) {
        Some(("body_text", Value::String(text.to_owned())))
    } else {
        Some((
            "body_base64",
            Value::String(base64::engine::general_purpose::STANDARD.encode(&req.body)),
        ))
    };
    if let Some((key, mut value)) = body {
        redact(&mut value);
        line[key] = value;
    }
    canonical_json(&line)
}

/// An open log file.
#[derive(Debug)]
pub(crate) struct RequestLog(Mutex<std::fs::File>);

impl RequestLog {
    pub(crate) fn create(path: &std::path::Path) -> std::io::Result<RequestLog> {
        Ok(RequestLog(Mutex::new(std::fs::File::create(path)?)))
    }

    /// Append one line; a failed write is ignored (the in-memory log still has the request).
    pub(crate) fn write(&self, seq: u64, req: &RecordedRequest) {
        let mut line = request_line(seq, req);
        line.push('\n');
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _ = f.write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], body: &[u8]) -> RecordedRequest {
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        RecordedRequest {
            method: "POST".into(),
            path: "/oauth/token".into(),
            query: None,
            headers: h,
            body: bytes::Bytes::copy_from_slice(body),
            raw_body: bytes::Bytes::copy_from_slice(body),
            version: "HTTP/1.1".into(),
        }
    }

    #[test]
    fn secrets_are_redacted_everywhere() {
        let r = req(
            &[
                ("authorization", "Bearer eyJsecret"),
                ("x-a", "1"),
                ("x-a", "2"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            b"grant_type=refresh_token&refresh_token=rt-secret&client_id=app",
        );
        let line = request_line(3, &r);
        assert!(!line.contains("secret"), "{line}");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["headers"]["authorization"], REDACTED);
        assert_eq!(v["headers"]["x-a"], json!(["1", "2"]));
        assert_eq!(v["body"]["refresh_token"], REDACTED);
        assert_eq!(v["body"]["client_id"], "app");
        let j = request_line(
            1,
            &req(
                &[],
                br#"{"tokens":{"access_token":"at-secret"},"input":[1]}"#,
            ),
        );
        assert!(!j.contains("secret"), "{j}");
        let bin = request_line(1, &req(&[], &[0xff, 0x00]));
        assert!(bin.contains("\"body_base64\":\"/wA=\""), "{bin}");
    }
}
