//! Helpers over a running codex-mock: a login its issuer minted, views of its request log
//! that read the same over HTTP SSE and over WebSocket, and replies derived from its own.

use codex_mock::MockServer;
use codex_mock::RecordedRequest;
use codex_mock::Reply;
use codex_mock::WS_FRAME_METHOD;

use crate::TempDir;

/// The path of `POST /responses` and of its WebSocket upgrade.
pub const RESPONSES_PATH: &str = "/backend-api/codex/responses";

/// A fresh folder holding an `auth.json` with tokens `server`'s issuer minted (a `CODEX_HOME`
/// that is logged in).
pub fn logged_in_home(server: &MockServer) -> TempDir {
    let home = TempDir::new();
    server
        .issuer()
        .issue_tokens()
        .write_auth_json(home.path())
        .unwrap();
    home
}

/// The Responses turns the client sent, whatever carried them: each `POST /responses`, and
/// each `response.create` WebSocket frame (recorded with its connection's upgrade headers, so
/// `header()` reads the same over both transports). A frame's `body` is the JSON the client
/// sent without its `"type"`, so it compares equal to the body of the same request over SSE.
/// The upgrades, `response.processed` frames and every other request are left out.
pub fn turn_requests(server: &MockServer) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter_map(|mut r| {
            if r.method == "POST" && r.path == RESPONSES_PATH {
                return Some(r);
            }
            if r.method != WS_FRAME_METHOD {
                return None;
            }
            let mut frame = r.json()?;
            let obj = frame.as_object_mut()?;
            if obj.remove("type")? != "response.create" {
                return None;
            }
            r.body = serde_json::to_vec(&frame).unwrap().into();
            Some(r)
        })
        .collect()
}

/// The JSON bodies of [`turn_requests`].
pub fn turn_bodies(server: &MockServer) -> Vec<serde_json::Value> {
    turn_requests(server)
        .iter()
        .map(|r| r.json().unwrap())
        .collect()
}

/// `reply` with the `encrypted_content` of every reasoning item removed from its events (a
/// reasoning item the backend cannot resolve with `store: false`, protocol §11.9). `reply`
/// must be an SSE reply whose `data:` lines are single-line JSON.
pub fn without_encrypted_reasoning(reply: &Reply) -> Reply {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                if o.get("type").and_then(serde_json::Value::as_str) == Some("reasoning") {
                    o.remove("encrypted_content");
                }
                o.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let text = String::from_utf8(reply.sse_body_bytes().unwrap()).unwrap();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("data: ") {
            Some(d) => {
                let mut v: serde_json::Value = serde_json::from_str(d.trim_end()).unwrap();
                strip(&mut v);
                out.push_str("data: ");
                out.push_str(&v.to_string());
                out.push('\n');
            }
            None => out.push_str(line),
        }
    }
    assert!(!out.contains("encrypted_content"));
    Reply::sse_bytes(out.into_bytes())
}
