//! The Responses WebSocket endpoint (protocol §6) on the same `/responses` route: an upgrade
//! answered 101 (or 426 / 404 / 401 as configured), then one `response.create` at a time,
//! each answered by the same scenario machinery as SSE: the queued [`crate::Reply`] is
//! rendered as the HTTP answer would be, and every SSE `data` payload goes out as one text
//! frame. A non-200 answer becomes a wrapped error frame with its status, error body and
//! headers. Every frame the client sends is recorded.
//!
//! About 600 lines with its unit tests, kept in one file: the upgrade, the per-connection
//! loop and the SSE-to-frames splitter it drives are one path, read together when a frame
//! differs from its SSE twin.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Buf as _;
use bytes::Bytes;
use bytes::BytesMut;
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
use tokio::io::AsyncWriteExt as _;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::Data as DataKind;
use tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode;

use crate::RecordedRequest;
use crate::server::MockBody;
use crate::server::Shared;

mod turn_meta;

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
    /// `503 Service Unavailable`: a passing server-side failure of the upgrade (the client
    /// should use SSE for that turn and try the upgrade again later).
    Unavailable,
    /// No answer at all: the upgrade request is read and left waiting (a proxy or server
    /// that swallows upgrades; the client's connect timeout must end the wait).
    Stall,
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
        WebSocketMode::Unavailable => {
            return crate::server::detail(503, "Service Unavailable");
        }
        WebSocketMode::Stall => std::future::pending::<()>().await,
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
    let answered = h.clone();
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let socket =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            serve(shared, socket, recorded, answered).await;
        }
    });
    resp
}

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// One connection: one `response.create` at a time. `answered`: the headers of the upgrade
/// answer (what the client knows without events).
async fn serve(
    shared: Arc<Shared>,
    mut socket: Socket,
    upgrade: RecordedRequest,
    answered: HeaderMap,
) {
    let mut served = Served::default();
    let mut count: u64 = 0;
    let mut generation = shared.ws_generation.load(Ordering::Relaxed);
    while let Some(msg) = socket.next().await {
        let now = shared.ws_generation.load(Ordering::Relaxed);
        if now != generation {
            generation = now;
            served.done.clear();
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
            // The items before this frame's input: the conversation that response ended.
            let context = prev.as_str().and_then(|p| served.done.get(p));
            if let Some(context) = context
                && let Some(Value::Array(input)) = frame.get_mut("input")
            {
                let new = std::mem::replace(input, context.clone());
                input.extend(new);
            }
            if context.is_none() {
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
        served.input = match frame.get("input") {
            Some(Value::Array(input)) => input.clone(),
            _ => Vec::new(),
        };
        let generate = frame.remove("generate");
        if generate == Some(Value::Bool(false)) {
            let id = format!("resp_mock_warm_{:08}", shared.next());
            served.complete(&id, None);
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
        if resp.status() == StatusCode::OK {
            // The answer's own headers cannot travel on the socket: their events instead.
            for event in turn_meta::events(resp.headers(), &answered) {
                if !send(&mut socket, event).await {
                    return;
                }
            }
        }
        let cut = Cut {
            close_after: shared.ws_close_after.load(Ordering::Relaxed),
            binary_after: shared.ws_binary_after.load(Ordering::Relaxed),
        };
        if !answer(&mut socket, resp, &mut served, cut).await {
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

/// Where a response is interrupted ([`crate::MockServer::set_websocket_close_after`],
/// [`crate::MockServer::set_websocket_binary_after`]): counts of text frames, `u64::MAX` for
/// never.
#[derive(Clone, Copy)]
struct Cut {
    close_after: u64,
    binary_after: u64,
}

/// Sends the HTTP answer `resp` as frames. False when the connection is to be dropped
/// (client gone, or the scenario cut the stream).
async fn answer(
    socket: &mut Socket,
    resp: Response<MockBody>,
    served: &mut Served,
    cut: Cut,
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
    let mut texts: u64 = 0;
    // The event frames are formatted by tungstenite (`Frame::format`) into this buffer and
    // written to the connection directly, not sent one `Message` at a time through the
    // `Sink`: the same bytes for a fraction of the CPU, so that in a throughput benchmark the
    // mock costs the client's machine about what its SSE replay does. Whatever tungstenite
    // still holds is flushed first, so frames keep their order.
    let mut out = Vec::with_capacity(FRAMES_WRITE + 1024);
    if socket.flush().await.is_err() {
        return false;
    }
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
        // HTTP (a reply streamed event by event still gets one flush per event). Each frame
        // is formatted by tungstenite as soon as it is split off, and a large chunk goes out
        // every `FRAMES_WRITE` bytes while the rest is still being split.
        sse.push(chunk);
        while let Some(piece) = sse.next_piece() {
            let frame = match piece {
                Piece::Data(data) => {
                    if texts == cut.close_after {
                        // The frames before it first: the Close goes through tungstenite,
                        // which then knows the connection is closing.
                        if !write_frames(socket, &mut out).await {
                            return false;
                        }
                        let frame = CloseFrame {
                            code: CloseCode::Normal,
                            reason: "mock closed the connection mid-response".into(),
                        };
                        let _ = socket.send(Message::Close(Some(frame))).await;
                        return false;
                    }
                    if texts == cut.binary_after {
                        let binary = Bytes::from(data.clone());
                        // Formatting into a `Vec` cannot fail.
                        let _ = Frame::message(binary, OpCode::Data(DataKind::Binary), true)
                            .format(&mut out);
                    }
                    texts += 1;
                    terminal |= note_terminal(&data, served);
                    Frame::message(data, OpCode::Data(DataKind::Text), true)
                }
                // An SSE keep-alive comment is a Ping over WebSocket.
                Piece::Comment => Frame::ping(Bytes::new()),
            };
            // Formatting into a `Vec` cannot fail.
            let _ = frame.format(&mut out);
            if out.len() >= FRAMES_WRITE && !write_frames(socket, &mut out).await {
                return false;
            }
        }
        if !write_frames(socket, &mut out).await {
            return false;
        }
    }
    // A body that ends mid-event or without a terminal event is, over WebSocket, a
    // connection closed mid-response (the partial event is never sent).
    terminal && !sse.truncated()
}

/// Bytes of formatted frames gathered before a write (tungstenite's own write buffer size).
const FRAMES_WRITE: usize = 128 * 1024;

/// Writes and flushes the frames formatted into `out`, then empties it. False when the
/// client is gone.
async fn write_frames(socket: &mut Socket, out: &mut Vec<u8>) -> bool {
    let io = socket.get_mut();
    let ok = io.write_all(out).await.is_ok() && io.flush().await.is_ok();
    out.clear();
    ok
}

/// The responses completed on one connection, so that a later `previous_response_id`
/// resolves: each id with the conversation its response ended (the full input of its
/// request, then its output items). The request is answered as if that conversation
/// preceded the frame's `input` (which may be empty, after a warm-up).
#[derive(Default)]
struct Served {
    done: HashMap<String, Vec<Value>>,
    /// The full input of the request being answered.
    input: Vec<Value>,
}

impl Served {
    /// Remembers the response `id` to the current request, with its `output` items (a
    /// request completes once: its input is moved, not copied).
    fn complete(&mut self, id: &str, output: Option<&Value>) {
        let mut all = std::mem::take(&mut self.input);
        if let Some(Value::Array(items)) = output {
            all.extend(items.iter().cloned());
        }
        self.done.insert(id.to_owned(), all);
    }
}

/// True for an event that ends a response; remembers the id of a completed one.
fn note_terminal(data: &str, served: &mut Served) -> bool {
    // Only an event naming one of these can be terminal: the others skip the JSON parse.
    const TERMINAL: [&str; 4] = [
        "response.completed",
        "response.failed",
        "response.incomplete",
        "\"error\"",
    ];
    // The usual shape names its type first: a plain type that is not terminal needs no scan.
    if let Some(kind) = leading_type(data)
        && !matches!(
            kind,
            "response.completed" | "response.failed" | "response.incomplete" | "error"
        )
    {
        return false;
    }
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
        served.complete(id, v.pointer("/response/output"));
    }
    matches!(
        kind,
        "response.completed" | "response.failed" | "response.incomplete" | "error"
    )
}

/// The value of a leading `{"type":"…"` without escapes (what the mock's events start with).
fn leading_type(data: &str) -> Option<&str> {
    let rest = data.strip_prefix("{\"type\":\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest.as_bytes())?;
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
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
    /// A whole event's data (invalid UTF-8 replaced, as `String::from_utf8_lossy` does).
    Data(Utf8Bytes),
    /// A comment line (keep-alive).
    Comment,
}

/// An event's data so far: one line kept as a slice of the body (no copy), or several joined.
enum Data {
    One(Bytes),
    Joined(Vec<u8>),
}

/// Splits SSE bytes into `data` payloads (multi-line data joined by `\n`; CRLF, CR and LF
/// line ends; comments and other fields ignored). Lines are found with `memchr` and a
/// one-line event's data is a slice of the chunk, so a large body costs no copy per event.
#[derive(Default)]
struct SseSplitter {
    /// Bytes not split yet, from a line start (empty once `next_piece` returned `None`).
    rest: Bytes,
    /// A line without its end yet, gathered across chunks: each of its bytes is copied once,
    /// so a huge event in small chunks costs linear time, not quadratic.
    partial: BytesMut,
    /// How many bytes at the start of `partial` are known to hold no line end.
    scanned: usize,
    data: Option<Data>,
    /// Bytes searched for line ends so far (the linear-time test reads it).
    #[cfg(test)]
    searched: usize,
}

impl SseSplitter {
    /// Adds a body chunk; take its pieces with [`Self::next_piece`].
    fn push(&mut self, chunk: Bytes) {
        if self.partial.is_empty() && self.rest.is_empty() {
            self.rest = chunk;
            return;
        }
        self.hold_rest();
        self.partial.extend_from_slice(&chunk);
        let unscanned = &self.partial[self.scanned..];
        #[cfg(test)]
        {
            self.searched += unscanned.len();
        }
        if memchr::memchr2(b'\n', b'\r', unscanned).is_some() {
            // The held line ends in this chunk: split from its start again (no copy).
            self.rest = self.partial.split().freeze();
            self.scanned = 0;
        } else {
            self.scanned = self.partial.len();
        }
    }

    /// Moves the unsplit bytes into `partial` (they hold no whole line).
    fn hold_rest(&mut self) {
        if !self.rest.is_empty() {
            self.partial.extend_from_slice(&self.rest);
            self.rest = Bytes::new();
        }
    }

    /// The next piece of the bytes pushed so far, or `None` when more bytes are needed.
    fn next_piece(&mut self) -> Option<Piece> {
        loop {
            #[cfg(test)]
            let before = self.rest.len();
            let found = memchr::memchr2(b'\n', b'\r', &self.rest);
            #[cfg(test)]
            {
                self.searched += found.map_or(before, |i| i + 1);
            }
            let Some(i) = found else {
                self.scanned = self.partial.len() + self.rest.len();
                self.hold_rest();
                return None;
            };
            let cr = self.rest[i] == b'\r';
            // A CR at the very end may be the first half of a CRLF: wait for more.
            if cr && i + 1 == self.rest.len() {
                self.scanned = self.partial.len() + i;
                self.hold_rest();
                return None;
            }
            let end = if cr && self.rest.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            let piece = self.line(i);
            self.rest.advance(end);
            if piece.is_some() {
                return piece;
            }
        }
    }

    /// Handles the line `rest[..len]`.
    fn line(&mut self, len: usize) -> Option<Piece> {
        if len == 0 {
            return self.data.take().map(|d| Piece::Data(utf8_lossy(d)));
        }
        let mut line = &self.rest[..len];
        line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        if line.starts_with(b":") {
            return Some(Piece::Comment);
        }
        let rest = line.strip_prefix(b"data")?;
        let value = match rest.strip_prefix(b":") {
            Some(v) => v.strip_prefix(b" ").unwrap_or(v),
            None if rest.is_empty() => rest,
            None => return None,
        };
        self.data = Some(match self.data.take() {
            None => Data::One(self.rest.slice_ref(value)),
            Some(Data::One(first)) => {
                let mut joined = Vec::with_capacity(first.len() + 1 + value.len());
                joined.extend_from_slice(&first);
                joined.push(b'\n');
                joined.extend_from_slice(value);
                Data::Joined(joined)
            }
            Some(Data::Joined(mut joined)) => {
                joined.push(b'\n');
                joined.extend_from_slice(value);
                Data::Joined(joined)
            }
        });
        None
    }

    /// True when the bytes so far end inside an event (no blank line after its data).
    fn truncated(&self) -> bool {
        self.data.is_some()
            || self
                .rest
                .iter()
                .chain(self.partial.iter())
                .any(|b| !b.is_ascii_whitespace())
    }
}

/// The data as text, invalid UTF-8 replaced by U+FFFD.
fn utf8_lossy(data: Data) -> Utf8Bytes {
    let bytes = match data {
        Data::One(b) => b,
        Data::Joined(v) => Bytes::from(v),
    };
    Utf8Bytes::try_from(bytes.clone())
        .unwrap_or_else(|_| Utf8Bytes::from(String::from_utf8_lossy(&bytes).into_owned()))
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
                s.push(Bytes::copy_from_slice(c));
                out.extend(std::iter::from_fn(|| s.next_piece()));
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
    fn replaces_invalid_utf8_and_strips_a_bom_per_line() {
        let mut s = SseSplitter::default();
        s.push(Bytes::from_static(
            b"\xef\xbb\xbfdata: a\xff\ndata: \xc3\r\n\r\ndata:x\n\n",
        ));
        let out: Vec<Piece> = std::iter::from_fn(|| s.next_piece()).collect();
        assert_eq!(
            out,
            vec![
                Piece::Data("a\u{fffd}\n\u{fffd}".into()),
                Piece::Data("x".into())
            ]
        );
        assert!(!s.truncated());
    }

    #[test]
    fn terminal_events_are_recognised_in_any_field_order() {
        let mut served = Served::default();
        let delta = r#"{"type":"response.output_text.delta","delta":"response.completed"}"#;
        assert!(!note_terminal(delta, &mut served));
        let completed = r#"{"type":"response.completed","response":{"id":"resp_1"}}"#;
        assert!(note_terminal(completed, &mut served));
        let reordered = r#"{"response":{"id":"resp_2"},"type":"response.completed"}"#;
        assert!(note_terminal(reordered, &mut served));
        assert!(note_terminal(
            r#"{"type":"error","message":"x"}"#,
            &mut served
        ));
        assert!(note_terminal(r#"{"type":"response.failed"}"#, &mut served));
        assert!(!note_terminal(
            r#"{"type":"response.completed""#,
            &mut served
        ));
        let mut ids: Vec<_> = served.done.into_keys().collect();
        ids.sort();
        assert_eq!(ids, ["resp_1", "resp_2"]);
    }

    #[test]
    fn a_long_event_in_small_chunks_is_scanned_once() {
        // 16 MiB of data in 16 KiB chunks: a splitter that rescans the held line with each
        // chunk searches about 8 G bytes; one that scans each byte once, 16 M.
        let mut s = SseSplitter::default();
        fn feed(s: &mut SseSplitter, chunk: &[u8]) -> Vec<Piece> {
            s.push(Bytes::copy_from_slice(chunk));
            std::iter::from_fn(|| s.next_piece()).collect()
        }
        assert!(feed(&mut s, b"data: ").is_empty());
        let chunk = vec![b'x'; 16 * 1024];
        for _ in 0..1024 {
            assert!(feed(&mut s, &chunk).is_empty());
        }
        let out = feed(&mut s, b"\n\n");
        assert!(matches!(&out[..], [Piece::Data(d)] if d.len() == 16 << 20));
        let total = 6 + (16 << 20) + 2;
        assert!(
            s.searched <= 2 * total,
            "searched {} bytes of {total}",
            s.searched
        );
        assert!(!s.truncated());
    }
}
