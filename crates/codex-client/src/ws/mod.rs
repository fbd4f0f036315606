//! Responses over WebSocket (protocol §6): the transport choice, the pool of idle
//! connections, and the `response.create` / `response.processed` frames. The HTTP/1.1
//! upgrade through the client's own connector is in `upgrade`, the incremental-turn rule in
//! `incremental`. The events read from a socket go through the same decoding
//! and classification as SSE, in [`crate::ResponseStream`].

mod incremental;
mod upgrade;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use codex_types::ResponseEvent;
use codex_types::SharedStr;
use futures_core::Stream as _;
use futures_util::SinkExt as _;
use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;
use http::Method;
use http::Uri;
use http::header;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use serde_json::value::RawValue;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::ProtocolError;

use crate::client::Attempts;
use crate::client::ClientInner;
use crate::client::Prepared;
use crate::error::CONNECTION_LOST;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::error::STREAM_CLOSED;
use incremental::Body;
use incremental::LastTurn;
use upgrade::connect;
use upgrade::upgrade_request;

/// Which transport carries `POST /responses` turns ([`crate::ClientBuilder::transport`]).
/// Also what [`crate::ResponseStream::transport`] reports for a turn (then never `Auto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// WebSocket first, HTTP SSE as the fallback (the official client's behaviour). A 426 on
    /// the upgrade switches the client to SSE for the rest of its life; other upgrade
    /// failures fall back to SSE for that turn only.
    #[default]
    Auto,
    /// HTTP SSE only (`POST /responses`).
    Sse,
    /// WebSocket only: upgrade failures are errors, never a fallback.
    WebSocket,
}

impl Transport {
    /// `auto`, `sse` or `websocket` (the CLI's `--transport` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Auto => "auto",
            Transport::Sse => "sse",
            Transport::WebSocket => "websocket",
        }
    }
}

/// `OpenAI-Beta` value of the upgrade (protocol §6).
const OPENAI_BETA: &str = "responses_websockets=2026-02-06";
/// A connection older than this is replaced before the next turn (the server ends them at
/// 60 minutes; codex-rs keeps a margin).
pub(crate) const MAX_AGE: Duration = Duration::from_secs(55 * 60);
/// Idle connections kept per client; when a turn returns one more, the least recently
/// used idle connection is closed.
const MAX_IDLE: usize = 32;
/// Largest WebSocket message accepted (a whole event, like the SSE parser's event limit).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Headers that change from request to request without changing whom a connection serves:
/// they travel again in each frame's `client_metadata` (window id, turn metadata) or only
/// matter within one turn (`x-codex-turn-state`, the conversation's `x-client-request-id`),
/// and cookies are the server's own state. Every other header is connection-level.
const PER_REQUEST: [HeaderName; 5] = [
    HeaderName::from_static("x-client-request-id"),
    HeaderName::from_static("x-codex-turn-metadata"),
    HeaderName::from_static("x-codex-window-id"),
    HeaderName::from_static("x-codex-turn-state"),
    header::COOKIE,
];

/// What a connection was upgraded with, as far as a later turn must match it to ride the
/// connection: the URL (base URL and workspace routing) and every connection-level header
/// (`Authorization`, `ChatGPT-Account-ID`, `originator`, `User-Agent`, `version`,
/// `session-id`/`thread-id`, `x-codex-beta-features`, `x-openai-subagent`,
/// `x-codex-parent-thread-id`, `x-codex-routing-hint`, the routing override, …). So a new
/// login, account, refreshed token, routing or beta feature set opens a new connection.
/// Holds the bearer token: its Debug output shows nothing.
#[derive(PartialEq, Eq)]
pub(crate) struct ConnKey {
    uri: Uri,
    headers: HeaderMap,
}

impl std::fmt::Debug for ConnKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnKey").finish_non_exhaustive()
    }
}

impl ConnKey {
    /// The key of an upgrade to `uri` with `headers` (before the WebSocket handshake
    /// headers are added).
    pub(crate) fn new(uri: &Uri, headers: &HeaderMap) -> Self {
        let mut headers = headers.clone();
        for name in &PER_REQUEST {
            headers.remove(name);
        }
        Self {
            uri: uri.clone(),
            headers,
        }
    }

    /// True when both carry the same `Authorization` (or neither has one).
    fn same_credentials(&self, other: &ConnKey) -> bool {
        self.headers.get(header::AUTHORIZATION) == other.headers.get(header::AUTHORIZATION)
    }
}

/// One upgraded connection.
pub(crate) struct Conn {
    socket: Socket,
    /// What it was upgraded with (see [`ConnKey`]).
    key: ConnKey,
    opened: Instant,
    /// The headers of the `101` answer (turn state, models etag, served model, …).
    pub(crate) headers: HeaderMap,
    last: Option<LastTurn>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("opened", &self.opened)
            .field("has_last_turn", &self.last.is_some())
            .finish_non_exhaustive()
    }
}

impl Conn {
    fn expired(&self) -> bool {
        self.opened.elapsed() >= MAX_AGE
    }
}

/// The client's idle WebSocket connections and its "SSE from now on" switch (set by a 426).
#[derive(Default)]
pub(crate) struct Pool {
    /// Least recently used first.
    idle: Mutex<Vec<Conn>>,
    sse_only: AtomicBool,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("idle", &self.lock().len())
            .field("sse_only", &self.sse_only())
            .finish()
    }
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True once an upgrade was answered 426: no further upgrade attempts.
    pub(crate) fn sse_only(&self) -> bool {
        self.sse_only.load(Ordering::Relaxed)
    }

    /// An idle connection upgraded with `key`, preferring one on which `body` goes
    /// incremental. Expired connections, and those whose credentials are no longer the
    /// current ones (a token is never handed out again once replaced), are closed on the
    /// way. The idle list stays in the order the connections were returned (least recently
    /// used first).
    fn take(&self, key: &ConnKey, body: &Body) -> Option<Conn> {
        let mut idle = self.lock();
        idle.retain(|c| !c.expired() && c.key.same_credentials(key));
        let mut best = None;
        for (n, c) in idle.iter().enumerate() {
            if c.key != *key {
                continue;
            }
            if incremental::is_incremental(c.last.as_ref(), body) {
                best = Some(n);
                break;
            }
            if best.is_none() {
                best = Some(n);
            }
        }
        best.map(|n| idle.remove(n))
    }

    /// Closes every idle connection (the credentials they were opened with are gone).
    fn clear(&self) {
        self.lock().clear();
    }

    /// Returns a connection to the pool, as the most recently used one. When
    /// [`MAX_IDLE`] are already idle, the least recently used is closed (dropped) to make
    /// room: the newest connection carries the latest turn, the one most likely to go on.
    fn put(&self, conn: Conn) {
        if conn.expired() {
            return;
        }
        let mut idle = self.lock();
        idle.retain(|c| !c.expired());
        if idle.len() >= MAX_IDLE {
            drop(idle.remove(0));
        }
        idle.push(conn);
    }
}

/// The server closed the WebSocket (a Close frame, with its code and reason when it had
/// them): the source of a `StreamClosed` error.
#[derive(Debug)]
struct Closed {
    frame: Option<(u16, String)>,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.frame {
            None => f.write_str("websocket closed by server"),
            Some((code, reason)) if reason.is_empty() => {
                write!(f, "websocket closed by server (close code {code})")
            }
            Some((code, reason)) => {
                write!(
                    f,
                    "websocket closed by server (close code {code}: {reason})"
                )
            }
        }
    }
}

impl std::error::Error for Closed {}

/// One `POST /responses` turn, as the WebSocket transport sends it (possibly several times).
#[derive(Debug)]
pub(crate) struct Turn {
    /// The full request body (shared with the connection's [`LastTurn`] once it completes).
    body: Arc<Body>,
    /// The upgrade request (URL and headers, without credentials).
    prepared: Prepared,
    /// `generate: false` for a warm-up.
    generate: Option<bool>,
}

impl Turn {
    /// A turn for `body` (the JSON object sent over SSE) with the upgrade request `prepared`
    /// (its method is replaced by GET and the WebSocket headers are added).
    pub(crate) fn new(body: &[u8], mut prepared: Prepared, generate: Option<bool>) -> Result<Self> {
        let body = Body::parse(body)
            .map_err(|e| Error::config("request body is not a json object").with_source(e))?;
        prepared.method = Method::GET;
        prepared.body = Bytes::new();
        let h = &mut prepared.headers;
        h.remove(header::CONTENT_TYPE);
        h.remove(header::ACCEPT);
        h.insert(
            HeaderName::from_static("openai-beta"),
            HeaderValue::from_static(OPENAI_BETA),
        );
        Ok(Self {
            body: Arc::new(body),
            prepared,
            generate,
        })
    }
}

/// How an upgrade failure may be handled under [`Transport::Auto`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// Surface the error (abort, deadline, login required, bad configuration).
    Never,
    /// Use SSE for this turn; try WebSocket again next turn.
    ForTurn,
    /// 426: use SSE for the rest of the client's life.
    ForClient,
}

/// A turn that could not start over WebSocket.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) fallback: Fallback,
}

impl Failed {
    pub(crate) fn never(error: Error) -> Self {
        Self {
            error,
            fallback: Fallback::Never,
        }
    }

    /// An upgrade that failed before an answer: SSE for the turn, except a TLS failure (the
    /// same roots and certificate would fail the SSE request too, so nothing is retried).
    fn upgrade(error: Error) -> Self {
        if error.kind() == ErrorKind::Tls {
            Self::never(error)
        } else {
            Self::for_turn(error)
        }
    }

    fn for_turn(error: Error) -> Self {
        Self {
            error,
            fallback: Fallback::ForTurn,
        }
    }
}

/// Where the connection of a turn comes from.
#[derive(Debug)]
pub(crate) enum Via {
    /// An idle connection of the pool (incremental when the rule allows), else a new one.
    Pool,
    /// This connection, with the full request (after `previous_response_not_found`).
    SameFull(Conn),
    /// This connection, incremental when the rule allows (a retry after a rate limit).
    Same(Conn),
    /// A new connection with the full request (after `websocket_connection_limit_reached`,
    /// or a reused connection that closed before answering).
    Fresh,
}

/// A response in flight on a connection.
pub(crate) struct Active {
    conn: Conn,
    /// True when the frame sent only new items with `previous_response_id`.
    pub(crate) incremental: bool,
    /// True when the connection had carried an earlier response.
    pub(crate) reused: bool,
    /// Output items returned so far (as JSON text), for the next turn's incremental rule.
    output: Vec<Box<RawValue>>,
    /// Bytes of text frames received, as the "byte offset" of decode errors.
    pub(crate) received: u64,
}

impl std::fmt::Debug for Active {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Active")
            .field("incremental", &self.incremental)
            .field("reused", &self.reused)
            .finish_non_exhaustive()
    }
}

/// What reading the socket produced.
pub(crate) enum Read {
    /// A text frame: one event's JSON (validated as UTF-8 by the WebSocket layer).
    Text(SharedStr),
    /// A ping or pong (activity for the idle timeout; tungstenite answers pings itself).
    Activity,
    /// The response cannot go on: binary frame, close or reset.
    Failed(Error),
}

impl Active {
    /// The connection (to send the turn again on it).
    pub(crate) fn into_conn(self) -> Conn {
        self.conn
    }

    /// The headers of the connection's upgrade answer.
    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.conn.headers
    }

    /// Reads the next frame. An end before `response.completed` gets the SSE transport's
    /// text for the same situation (`--json` output is the same over both): a Close frame or
    /// the server ending the TCP connection is "stream closed before response.completed" (a
    /// body that ended), a reset or I/O failure is "connection lost before
    /// response.completed"; the WebSocket detail is the error's `source()`.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Read> {
        let read = match Pin::new(&mut self.conn.socket).poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        Poll::Ready(match read {
            Some(Ok(Message::Text(t))) => {
                self.received += t.len() as u64;
                // The same bytes, shared: tungstenite validated them, nothing is re-checked.
                Read::Text(SharedStr::slice_of(t.as_ref(), t.as_str()))
            }
            Some(Ok(Message::Binary(_))) => Read::Failed(Error::new(
                ErrorKind::Decode,
                "unexpected binary websocket frame before response.completed",
            )),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Read::Activity,
            Some(Ok(Message::Close(frame))) => {
                Read::Failed(Error::stream_end(STREAM_CLOSED).with_source(Closed {
                    frame: frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned())),
                }))
            }
            None => {
                Read::Failed(Error::stream_end(STREAM_CLOSED).with_source(Closed { frame: None }))
            }
            Some(Err(
                e @ WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
                | e @ WsError::ConnectionClosed
                | e @ WsError::AlreadyClosed,
            )) => Read::Failed(Error::stream_end(STREAM_CLOSED).with_source(e)),
            Some(Err(e)) => Read::Failed(Error::stream_end(CONNECTION_LOST).with_source(e)),
        })
    }

    /// Notes what the next turn's incremental rule needs from an event.
    pub(crate) fn observe(&mut self, event: &ResponseEvent) {
        if let ResponseEvent::OutputItemDone(i) = event
            && let Ok(v) = serde_json::value::to_raw_value(&i.item)
        {
            self.output.push(v);
        }
    }

    /// Once the caller has handled `response.completed` (polled the stream's end, or dropped
    /// the stream after that event): remembers the turn on the connection, queues
    /// `response.processed` (flushed now if the socket takes it, else with the next frame)
    /// and returns the connection to the pool.
    pub(crate) fn finish(
        mut self,
        cx: &mut Context<'_>,
        pool: &Pool,
        turn: &Turn,
        response_id: Option<&str>,
    ) {
        let Some(id) = response_id.filter(|id| !id.is_empty()) else {
            return;
        };
        let processed = serde_json::json!({"type": "response.processed", "response_id": id});
        let socket = Pin::new(&mut self.conn.socket);
        let sent = match futures_util::Sink::poll_ready(socket, cx) {
            Poll::Ready(Ok(())) => {
                let msg = Message::text(processed.to_string());
                futures_util::Sink::start_send(Pin::new(&mut self.conn.socket), msg).is_ok()
            }
            _ => false,
        };
        if !sent {
            return;
        }
        // Best effort: what is not written now goes out before the next frame.
        let _ = futures_util::Sink::poll_flush(Pin::new(&mut self.conn.socket), cx);
        self.conn.last = Some(LastTurn::new(
            turn.body.clone(),
            std::mem::take(&mut self.output),
            id.to_owned(),
        ));
        pool.put(self.conn);
    }
}

/// Starts `turn` over WebSocket: picks or opens a connection and sends `response.create`.
pub(crate) async fn start(
    client: &ClientInner,
    turn: &Turn,
    attempts: &mut Attempts,
    via: Via,
) -> std::result::Result<Active, Failed> {
    let (conn, reused, full) = match via {
        Via::Pool => {
            // The current credentials first, exactly as an HTTP request gets them: a logout
            // or a failed refresh surfaces here, never hidden by an open socket.
            let request = match upgrade_request(client, turn, attempts).await {
                Ok(r) => r,
                Err(f) => {
                    client.ws.clear();
                    return Err(f);
                }
            };
            match client.ws.take(&request.key, &turn.body) {
                Some(c) => (c, true, false),
                None => (
                    connect(client, turn, attempts, Some(request)).await?,
                    false,
                    false,
                ),
            }
        }
        Via::Same(c) => (c, true, false),
        Via::SameFull(c) => (c, true, true),
        Via::Fresh => (connect(client, turn, attempts, None).await?, false, true),
    };
    match send_create(conn, turn, reused, full).await {
        Ok(active) => Ok(active),
        // A reused connection the server closed while idle: a new one, nothing was sent.
        Err(_) if reused => {
            let conn = connect(client, turn, attempts, None).await?;
            send_create(conn, turn, false, true)
                .await
                .map_err(Failed::for_turn)
        }
        Err(e) => Err(Failed::for_turn(e)),
    }
}

async fn send_create(mut conn: Conn, turn: &Turn, reused: bool, full: bool) -> Result<Active> {
    let last = if full { None } else { conn.last.as_ref() };
    let (text, incremental) = incremental::create_frame(last, &turn.body, turn.generate);
    tracing::debug!(incremental, reused, bytes = text.len(), "response.create");
    conn.socket
        .send(Message::text(text))
        .await
        .map_err(|e| Error::new(ErrorKind::Transport, "websocket send failed").with_source(e))?;
    Ok(Active {
        conn,
        incremental,
        reused,
        output: Vec::new(),
        received: 0,
    })
}

/// Whether `err` (ending a WebSocket turn before any event was yielded) is answered by
/// sending the turn again, and how.
pub(crate) fn retry_via(err: &Error) -> Option<RetryKind> {
    match err.code() {
        Some("previous_response_not_found") => Some(RetryKind::FullOnSame),
        Some("websocket_connection_limit_reached") => Some(RetryKind::FreshConnection),
        _ => None,
    }
}

/// See [`retry_via`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryKind {
    /// The same connection, the full request.
    FullOnSame,
    /// A new connection, the full request.
    FreshConnection,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn the_key_ignores_per_request_headers_and_hides_its_values() {
        let uri: Uri = "https://chatgpt.com/backend-api/codex/responses"
            .parse()
            .unwrap();
        let base = [
            ("authorization", "Bearer tok-secret"),
            ("chatgpt-account-id", "acct-A"),
            ("thread-id", "t1"),
        ];
        let a = ConnKey::new(&uri, &headers(&base));
        let mut more = base.to_vec();
        more.extend([
            ("x-client-request-id", "t1"),
            ("x-codex-turn-metadata", "{\"turn_id\":\"u2\"}"),
            ("x-codex-window-id", "t1:1"),
            ("x-codex-turn-state", "ts"),
            ("cookie", "__cf_bm=1"),
        ]);
        assert_eq!(a, ConnKey::new(&uri, &headers(&more)));
        for changed in [
            ("authorization", "Bearer other"),
            ("chatgpt-account-id", "acct-B"),
            ("thread-id", "t2"),
            ("x-codex-beta-features", "remote_compaction_v2"),
        ] {
            let mut h = headers(&base);
            h.insert(
                HeaderName::from_static(changed.0),
                HeaderValue::from_static(changed.1),
            );
            assert_ne!(a, ConnKey::new(&uri, &h), "{changed:?}");
        }
        let other: Uri = "https://ws.example.com/backend-api/codex/responses"
            .parse()
            .unwrap();
        assert_ne!(a, ConnKey::new(&other, &headers(&base)));
        let debug = format!("{a:?} {:?}", Pool::default());
        assert!(
            !debug.contains("secret") && !debug.contains("acct"),
            "{debug}"
        );
    }
}
