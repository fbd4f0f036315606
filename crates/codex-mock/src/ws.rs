//! The Responses WebSocket endpoint (protocol §6) on the same `/responses` route: an upgrade
//! answered 101 (or 426 / 404 / 401 as configured), then one `response.create` at a time,
//! each answered by the same scenario machinery as SSE: the queued [`crate::Reply`] is
//! rendered as the HTTP answer would be, and every SSE `data` payload goes out as one text
//! frame. A non-200 answer becomes a wrapped error frame with its status, error body and
//! headers. Every frame the client sends is recorded.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures_util::SinkExt as _;
use futures_util::StreamExt as _;
use http::HeaderMap;
use http::Request;
use http::Response;
use http::StatusCode;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::RecordedRequest;
use crate::server::MockBody;
use crate::server::Shared;

/// How the mock answers a WebSocket upgrade on `/responses`
/// ([`crate::MockServer::set_websocket`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebSocketMode {
    /// `101 Switching Protocols` (the default).
    #[default]
    Accept,
    /// `426 Upgrade Required`: the client should use SSE for the rest of its life.
    UpgradeRequired,
    /// `404 Not Found`, as a server or proxy without WebSocket support answers.
    Refuse,
}

/// The method recorded for a frame the client sent over WebSocket.
pub const WS_FRAME_METHOD: &str = "WS";

/// The upgrade's path.
const PATH: &str = "/backend-api/codex/responses";

/// True when `req` asks for a WebSocket upgrade of `/responses`.
pub(crate) fn is_upgrade<B>(req: &Request<B>) -> bool {
    req.method() == http::Method::GET
        && req.uri().path().trim_end_matches('/') == PATH
        && req
            .headers()
            .get(http::header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Answers an upgrade request (already recorded as `recorded`).
pub(crate) async fn upgrade(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
    recorded: RecordedRequest,
) -> Response<MockBody> {
    let mode = *shared.ws_mode.lock().unwrap_or_else(|e| e.into_inner());
    match mode {
        WebSocketMode::Accept => {}
        WebSocketMode::UpgradeRequired => {
            return crate::server::detail(426, "Upgrade Required");
        }
        WebSocketMode::Refuse => return crate::server::detail(404, "Not Found"),
    }
    if let Some(r) = crate::server::check_auth(&shared, &recorded) {
        return r;
    }
    let Some(key) = recorded.header("sec-websocket-key").map(str::to_owned) else {
        return crate::server::detail(400, "Missing Sec-WebSocket-Key");
    };
    let n = shared.next();
    let mut resp = Response::new(MockBody::Full(None));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    crate::server::set(h, "connection", "Upgrade");
    crate::server::set(h, "upgrade", "websocket");
    crate::server::set(
        h,
        "sec-websocket-accept",
        &derive_accept_key(key.as_bytes()),
    );
    crate::server::set(h, "x-request-id", &format!("req_mock_{n:08}"));
    crate::server::set(h, "openai-model", crate::events::DEFAULT_MODEL);
    let turn_state = recorded
        .header("x-codex-turn-state")
        .map_or_else(|| format!("ts_mock_{n:08}"), str::to_owned);
    crate::server::set(h, "x-codex-turn-state", &turn_state);
    crate::server::set(h, "x-models-etag", "\"models-mock\"");
    crate::server::set(h, "x-reasoning-included", "true");
    crate::server::rate_limit_headers(h);
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let socket =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            serve(shared, socket, recorded).await;
        }
    });
    resp
}

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// One connection: one `response.create` at a time.
async fn serve(shared: Arc<Shared>, mut socket: Socket, upgrade: RecordedRequest) {
    let mut served: HashSet<String> = HashSet::new();
    let mut count: u64 = 0;
    let mut generation = shared.ws_generation.load(Ordering::Relaxed);
    while let Some(msg) = socket.next().await {
        let now = shared.ws_generation.load(Ordering::Relaxed);
        if now != generation {
            generation = now;
            served.clear();
        }
        let text = match msg {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(_)) | Err(_) => return,
            Ok(_) => continue,
        };
        let body = Bytes::from(text);
        shared.record(&RecordedRequest {
            method: WS_FRAME_METHOD.to_owned(),
            path: upgrade.path.clone(),
            query: None,
            headers: upgrade.headers.clone(),
            body: body.clone(),
            raw_body: body.clone(),
            version: "websocket".to_owned(),
        });
        let Ok(Value::Object(mut frame)) = serde_json::from_slice::<Value>(&body) else {
            if !reject(&mut socket, None, "frame is not a json object").await {
                return;
            }
            continue;
        };
        match frame.get("type").and_then(Value::as_str) {
            Some("response.create") => {}
            Some("response.processed") => continue,
            _ => {
                if !reject(&mut socket, None, "unknown frame type").await {
                    return;
                }
                continue;
            }
        }
        count += 1;
        let limit = shared.ws_connection_limit.load(Ordering::Relaxed);
        if limit != 0 && count > limit {
            if !reject(
                &mut socket,
                Some("websocket_connection_limit_reached"),
                "Responses websocket connection limit reached; open a new connection",
            )
            .await
            {
                return;
            }
            continue;
        }
        frame.remove("type");
        if let Some(prev) = frame.remove("previous_response_id") {
            let known = prev.as_str().is_some_and(|p| served.contains(p));
            if !known {
                if !reject(
                    &mut socket,
                    Some("previous_response_not_found"),
                    "Previous response not found on this connection",
                )
                .await
                {
                    return;
                }
                continue;
            }
        }
        let generate = frame.remove("generate");
        if generate == Some(Value::Bool(false)) {
            let id = format!("resp_mock_warm_{:08}", shared.next());
            served.insert(id.clone());
            let model = frame.get("model").cloned().unwrap_or(Value::Null);
            let response = json!({"id": id, "object": "response", "model": model, "output": [], "status": "completed"});
            let created = json!({"type": "response.created", "response": response});
            let done = json!({"type": "response.completed", "response": response});
            if !send(&mut socket, created.to_string()).await
                || !send(&mut socket, done.to_string()).await
            {
                return;
            }
            continue;
        }
        let body = Bytes::from(Value::Object(frame).to_string());
        let request = RecordedRequest {
            method: "POST".to_owned(),
            path: upgrade.path.clone(),
            query: None,
            headers: upgrade.headers.clone(),
            raw_body: body.clone(),
            body,
            version: "websocket".to_owned(),
        };
        let resp = crate::server::route(&shared, &request).await;
        if !answer(&mut socket, resp, &mut served).await {
            return;
        }
    }
}

/// Sends one text frame; false once the client is gone.
async fn send(socket: &mut Socket, text: String) -> bool {
    socket.send(Message::text(text)).await.is_ok()
}

/// Sends `{"type":"error","status":400,"error":{"type":"invalid_request_error",…}}`; false
/// once the client is gone.
async fn reject(socket: &mut Socket, code: Option<&str>, message: &str) -> bool {
    let frame = json!({"type": "error", "status": 400,
        "error": {"type": "invalid_request_error", "code": code, "message": message}});
    send(socket, frame.to_string()).await
}

/// Sends the HTTP answer `resp` as frames. False when the connection is to be dropped
/// (client gone, or the scenario cut the stream).
async fn answer(
    socket: &mut Socket,
    resp: Response<MockBody>,
    served: &mut HashSet<String>,
) -> bool {
    let (parts, mut body) = resp.into_parts();
    if parts.status != StatusCode::OK {
        let mut bytes = Vec::new();
        while let Some(Ok(f)) = body.frame().await {
            if let Ok(d) = f.into_data() {
                bytes.extend_from_slice(&d);
            }
        }
        return send(socket, wrapped(parts.status, &parts.headers, &bytes)).await;
    }
    let mut sse = SseSplitter::default();
    let mut terminal = false;
    loop {
        let chunk = match body.frame().await {
            None => break,
            // The scenario cut the connection mid-response: drop it without a close frame.
            Some(Err(_)) => return false,
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => d,
                Err(_) => continue,
            },
        };
        // The frames of one body chunk are flushed together, as the chunk is one write over
        // HTTP (a reply streamed event by event still gets one flush per event).
        for piece in sse.feed(&chunk) {
            let msg = match piece {
                Piece::Data(data) => {
                    terminal |= note_terminal(&data, served);
                    Message::text(data)
                }
                // An SSE keep-alive comment is a Ping over WebSocket.
                Piece::Comment => Message::Ping(Bytes::new()),
            };
            if socket.feed(msg).await.is_err() {
                return false;
            }
        }
        if socket.flush().await.is_err() {
            return false;
        }
    }
    // A body that ends mid-event or without a terminal event is, over WebSocket, a
    // connection closed mid-response (the partial event is never sent).
    terminal && !sse.truncated()
}

/// True for an event that ends a response; remembers the id of a completed one.
fn note_terminal(data: &str, served: &mut HashSet<String>) -> bool {
    // Only an event naming one of these can be terminal: the others skip the JSON parse.
    const TERMINAL: [&str; 4] = [
        "response.completed",
        "response.failed",
        "response.incomplete",
        "\"error\"",
    ];
    if !TERMINAL.iter().any(|t| data.contains(t)) {
        return false;
    }
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return false;
    };
    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
    if kind == "response.completed"
        && let Some(id) = v.pointer("/response/id").and_then(Value::as_str)
    {
        served.insert(id.to_owned());
    }
    matches!(
        kind,
        "response.completed" | "response.failed" | "response.incomplete" | "error"
    )
}

/// A non-200 answer as a wrapped error frame: its status, its JSON error body (or the text
/// as the message) and its headers.
fn wrapped(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> String {
    let error = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut o)) => match o.remove("error") {
            Some(e @ Value::Object(_)) => e,
            _ => {
                let msg = o
                    .get("detail")
                    .cloned()
                    .unwrap_or_else(|| Value::from(String::from_utf8_lossy(body).into_owned()));
                json!({"message": msg})
            }
        },
        _ => json!({"message": String::from_utf8_lossy(body)}),
    };
    let mut h = Map::new();
    for (k, v) in headers {
        if let Ok(v) = v.to_str() {
            h.insert(k.as_str().to_owned(), Value::from(v));
        }
    }
    json!({"type": "error", "status": status.as_u16(), "error": error, "headers": h}).to_string()
}

/// What one SSE line or event gives.
#[derive(Debug, PartialEq)]
enum Piece {
    /// A whole event's data.
    Data(String),
    /// A comment line (keep-alive).
    Comment,
}

/// Splits SSE bytes into `data` payloads (multi-line data joined by `\n`; CRLF, CR and LF
/// line ends; comments and other fields ignored).
#[derive(Default)]
struct SseSplitter {
    buf: Vec<u8>,
    /// How many bytes at the start of `buf` hold no line end: a long line is scanned once,
    /// not again with each chunk of it.
    scanned: usize,
    data: Option<String>,
}

impl SseSplitter {
    fn feed(&mut self, chunk: &[u8]) -> Vec<Piece> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = self.scanned;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                // A CR at the very end may be the first half of a CRLF: wait for more.
                if b == b'\r' && i + 1 == self.buf.len() {
                    break;
                }
                let line = String::from_utf8_lossy(&self.buf[start..i]).into_owned();
                if b == b'\r' && self.buf.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
                start = i;
                if let Some(d) = self.line(&line) {
                    out.push(d);
                }
                continue;
            }
            i += 1;
        }
        self.buf.drain(..start);
        self.scanned = i - start;
        out
    }

    fn line(&mut self, line: &str) -> Option<Piece> {
        if line.is_empty() {
            return self.data.take().map(Piece::Data);
        }
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.starts_with(':') {
            return Some(Piece::Comment);
        }
        if let Some(rest) = line.strip_prefix("data") {
            let value = rest
                .strip_prefix(':')
                .map(|v| v.strip_prefix(' ').unwrap_or(v));
            let value = match value {
                Some(v) => v,
                None if rest.is_empty() => "",
                None => return None,
            };
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
        None
    }

    /// True when the bytes so far end inside an event (no blank line after its data).
    fn truncated(&self) -> bool {
        self.data.is_some() || self.buf.iter().any(|b| !b.is_ascii_whitespace())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sse_in_any_chunking() {
        let text = "event: a\r\ndata: {\"x\":1}\r\n\r\n: comment\ndata: 2\ndata: 3\n\ndata: last";
        for size in 1..text.len() {
            let mut s = SseSplitter::default();
            let mut out = Vec::new();
            for c in text.as_bytes().chunks(size) {
                out.extend(s.feed(c));
            }
            let want = vec![
                Piece::Data("{\"x\":1}".into()),
                Piece::Comment,
                Piece::Data("2\n3".into()),
            ];
            assert_eq!(out, want, "chunk size {size}");
            assert!(s.truncated());
        }
    }

    #[test]
    fn a_long_event_in_small_chunks_is_scanned_once() {
        // 16 MiB of data in 16 KiB chunks: rescanning the held line with each chunk costs
        // about 8 G byte steps (3 minutes in a debug build); one scan 16 M (under a second).
        let mut s = SseSplitter::default();
        let started = std::time::Instant::now();
        assert!(s.feed(b"data: ").is_empty());
        let chunk = vec![b'x'; 16 * 1024];
        for _ in 0..1024 {
            assert!(s.feed(&chunk).is_empty());
        }
        let out = s.feed(b"\n\n");
        let took = started.elapsed();
        assert!(matches!(&out[..], [Piece::Data(d)] if d.len() == 16 << 20));
        assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    }
}
