//! Helpers over a running codex-mock: a login its issuer minted, views of its request log
//! that read the same over HTTP SSE and over WebSocket, and replies derived from its own.

use codex_mock::MockServer;
use codex_mock::RecordedRequest;
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
