//! [`ResponseStream`]: the pull-driven stream of typed events of one `POST /responses`.
//!
//! The response head and its accessors are in `stream/head.rs`, the resends from inside the
//! stream (rate limit before output, WebSocket) in `stream/resend.rs`, the collect helpers in
//! `stream/collect.rs`.
//!
//! What stays here (just over 600 lines) is the one state machine of `poll_next` over both
//! transports and its failure paths: split further, the SSE and WebSocket arms of one `match`
//! would live apart from the state they share.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;

use codex_sse::Frame;
use codex_sse::Parser;
use codex_types::ResponseEvent;
use futures_core::Stream;
use http::Response;
use http_body::Body as _;
use hyper::body::Incoming;
use tokio::time::Instant;
use tokio::time::Sleep;

use crate::abort::Slot;
use crate::client::Attempts;
use crate::client::ClientInner;
use crate::client::Prepared;
use crate::client::aborted_error;
use crate::client::timeout_error;
use crate::error::CONNECTION_LOST;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::error::STREAM_CLOSED;
use crate::events;
use crate::events::Class;
use crate::status;
use crate::ws;

mod collect;
mod head;
mod resend;

use head::Head;

type Reconnect =
    Pin<Box<dyn Future<Output = (Attempts, Result<Response<Incoming>>)> + Send + 'static>>;
type WsStart = Pin<
    Box<
        dyn Future<Output = (Attempts, std::result::Result<ws::Active, ws::Failed>)>
            + Send
            + 'static,
    >,
>;

enum State {
    Body(Incoming),
    /// The body ended; the parser may still hold frames.
    Eof {
        truncated: bool,
    },
    Reconnect(Reconnect),
    /// Reading the WebSocket connection in `ResponseStream::ws`.
    Ws,
    /// Sending the turn again over WebSocket.
    WsStart(WsStart),
    Done,
}

/// The typed events of one `POST /responses`, pulled from the HTTP body as the caller polls
/// (no background task; dropping the stream closes the connection).
///
/// Semantics:
/// - `response.completed` is yielded and then the stream ends (the connection is not drained
///   further, so a server that keeps it open cannot make the caller hang); over WebSocket
///   the response is confirmed (`response.processed`) and the connection returned to the
///   pool when the caller polls that end, or drops the stream after the completed event;
/// - `response.failed`, `response.incomplete` and `error` events are yielded as typed errors
///   ([`ErrorKind::RateLimited`], [`ErrorKind::ContextWindowExceeded`],
///   [`ErrorKind::Incomplete`], [`ErrorKind::ApiError`], …) and the stream then ends;
/// - the body ending before `response.completed` yields [`ErrorKind::StreamClosed`];
/// - no bytes (keep-alive comments count) for the idle timeout yields
///   [`ErrorKind::IdleTimeout`];
/// - one event that fails to decode yields [`ErrorKind::Decode`] (with the event type and
///   byte offset) and the stream **continues**;
/// - an abort yields [`ErrorKind::Aborted`] on the next poll.
///
/// Every error that ends the stream carries the text received so far
/// ([`Error::partial_text`]); [`ResponseStream::received_text`] holds it too.
///
/// Retries: a `response.failed` with code `rate_limit_exceeded` arriving before any event was
/// yielded (in practice: as the very first event) makes the stream resend the request after
/// the delay the server named, within the client's [`crate::RetryPolicy`]. Once an event was
/// yielded nothing is retried.
pub struct ResponseStream {
    client: Arc<ClientInner>,
    prepared: Arc<Prepared>,
    attempts: Option<Attempts>,
    slot: Arc<Slot>,
    state: State,
    parser: Parser,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    last_activity: Instant,
    /// True when WebSocket frames were read since `last_activity` was stamped: the clock is
    /// read once when the stream finds the socket empty ([`Self::poll_idle`]), not once per
    /// frame (a clock read per frame was about 7% of the client's CPU per event).
    ws_activity: bool,
    deadline: Option<Pin<Box<Sleep>>>,
    head: Head,
    text: String,
    track_text: bool,
    yielded: u64,
    completed: bool,
    /// SSE events parsed from the current body.
    frames: u64,
    /// The first bytes of a body that has produced no event yet (kept so that a 200 answer
    /// that is not an event stream is reported with its content).
    prefix: Vec<u8>,
    /// The WebSocket turn, when this stream runs over WebSocket.
    ws_turn: Option<Arc<ws::Turn>>,
    /// The connection of a WebSocket turn while its response runs.
    ws: Option<Box<ws::Active>>,
    /// The response id seen in the stream (`response.created` or `response.completed`).
    response_id: Option<String>,
    /// True when the turn was sent with only the new items.
    incremental: bool,
    /// True once a WebSocket turn was sent again after a recoverable failure.
    ws_resent: bool,
    /// The first item of a WebSocket turn, read before `stream()` returned.
    peeked: Option<Result<ResponseEvent>>,
}

/// How much of a non-SSE body is kept for the error.
const MAX_PREFIX: usize = 64 * 1024;

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream")
            .field("request_id", &self.head.request_id)
            .field("served_model", &self.head.served_model)
            .field("yielded", &self.yielded)
            .field("completed", &self.completed)
            .field("received_text_len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// `t + d`, saturating far in the future instead of overflowing on a huge configured timeout.
fn after(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(30 * 365 * 86_400)))
        .unwrap_or(t)
}

fn new_parser(max_event_size: usize) -> Parser {
    Parser::with_config(
        codex_sse::Config::new()
            .emit_comments(false)
            .max_event_size(max_event_size),
    )
}

impl ResponseStream {
    pub(crate) fn new(
        client: Arc<ClientInner>,
        prepared: Arc<Prepared>,
        attempts: Attempts,
        slot: Arc<Slot>,
        response: Response<Incoming>,
        track_text: bool,
    ) -> Self {
        let (parts, body) = response.into_parts();
        let source = (State::Body(body), Head::from_headers(parts.headers));
        Self::with_source(client, prepared, attempts, slot, source, track_text)
    }

    /// A stream reading a WebSocket turn that was just sent on `active`.
    pub(crate) fn new_ws(
        client: Arc<ClientInner>,
        prepared: Arc<Prepared>,
        turn: Arc<ws::Turn>,
        attempts: Attempts,
        slot: Arc<Slot>,
        active: ws::Active,
        track_text: bool,
    ) -> Self {
        let source = (State::Ws, Head::for_ws(&active));
        let mut s = Self::with_source(client, prepared, attempts, slot, source, track_text);
        s.ws_turn = Some(turn);
        s.incremental = active.incremental;
        s.ws = Some(Box::new(active));
        s
    }

    /// A stream reading `source`: its first state and its response head.
    fn with_source(
        client: Arc<ClientInner>,
        prepared: Arc<Prepared>,
        attempts: Attempts,
        slot: Arc<Slot>,
        (state, head): (State, Head),
        track_text: bool,
    ) -> Self {
        let idle_timeout = client.cfg.idle_timeout;
        let account = attempts
            .creds
            .as_ref()
            .and_then(|c| c.account_id.as_deref());
        client.models_cache.observe(account, &head.headers);
        let parser = new_parser(client.cfg.max_event_size);
        let now = Instant::now();
        let deadline = attempts
            .deadline
            .map(|d| Box::pin(tokio::time::sleep_until(d)));
        Self {
            client,
            prepared,
            attempts: Some(attempts),
            slot,
            state,
            parser,
            idle_timeout,
            idle: Box::pin(tokio::time::sleep_until(after(now, idle_timeout))),
            last_activity: now,
            ws_activity: false,
            deadline,
            head,
            text: String::new(),
            track_text,
            yielded: 0,
            completed: false,
            frames: 0,
            prefix: Vec::new(),
            ws_turn: None,
            ws: None,
            response_id: None,
            incremental: false,
            ws_resent: false,
            peeked: None,
        }
    }

    /// The output text received so far (`response.output_text.delta`), also after an error or
    /// abort. Empty when text tracking was turned off
    /// ([`crate::RequestOptionsBuilder::track_text`]).
    pub fn received_text(&self) -> &str {
        &self.text
    }

    /// True once `response.completed` arrived.
    pub fn completed(&self) -> bool {
        self.completed
    }

    /// Ends the stream with `err` (adds the partial text and request id) and closes the body.
    fn end_with(&mut self, mut err: Error) -> Error {
        self.state = State::Done;
        // A WebSocket whose response did not complete is closed, never reused.
        self.ws = None;
        let text = if self.track_text {
            self.text.clone()
        } else {
            String::new()
        };
        let rid = self.head.request_id.clone();
        let d = err.details_mut();
        d.partial_text = Some(text);
        if d.request_id.is_none() {
            d.request_id = rid;
        }
        tracing::debug!(kind = err.kind().as_str(), "stream ended with an error");
        err
    }

    /// Handles one SSE event; `None` means "nothing to yield, keep going".
    fn on_event(&mut self, ev: &codex_sse::Event) -> Option<Result<ResponseEvent>> {
        self.on_decoded(
            ResponseEvent::from_sse(ev),
            ev.data_bytes(),
            ev.offset(),
            ev.event_type(),
        )
    }

    /// Handles one decoded event (an SSE `data` payload or a WebSocket text frame): `data`
    /// is its JSON, `offset` where it started, `sse_type` the SSE `event:` name (empty over
    /// WebSocket). `None` means "nothing to yield, keep going".
    fn on_decoded(
        &mut self,
        decoded: std::result::Result<ResponseEvent, codex_types::DecodeError>,
        data: &[u8],
        offset: u64,
        sse_type: &str,
    ) -> Option<Result<ResponseEvent>> {
        let event = match decoded {
            Ok(e) => e,
            Err(e) => {
                // Data that is not valid UTF-8 is read through its lossy copy, so that a
                // data-only terminal event (no `event:` line) is still recognised by its
                // `type`, exactly as the same event with an `event:` line is.
                let raw: Option<serde_json::Value> = serde_json::from_slice(data)
                    .ok()
                    .or_else(|| serde_json::from_str(e.raw()).ok());
                let kind = raw
                    .as_ref()
                    .and_then(|v| v.get("type"))
                    .and_then(serde_json::Value::as_str)
                    .map_or_else(|| sse_type.to_owned(), str::to_owned);
                let event_json = String::from_utf8_lossy(data).into_owned();
                // A terminal event that fails to decode still ends the stream: waiting on
                // would turn the server's verdict into a retryable `stream_closed` (or an idle
                // timeout when the connection stays open).
                if let Some(c) = codex_types::Classification::event_json(&kind, raw.as_ref()) {
                    let err = status::from_classification(c).with_source(e).with(|d| {
                        d.event_type = Some(kind.clone());
                        d.byte_offset = Some(offset);
                        d.event_json = Some(event_json);
                    });
                    return self.on_failure(err);
                }
                let terminal = kind == "response.completed";
                let err = Error::new(
                    ErrorKind::Decode,
                    format!("could not decode event {kind} at byte {offset}"),
                )
                .with_source(e)
                .with(|d| {
                    d.event_type = Some(kind);
                    d.byte_offset = Some(offset);
                    d.request_id = self.head.request_id.clone();
                    if terminal {
                        d.event_json = Some(event_json);
                    }
                });
                if terminal {
                    // The server said the response is complete: end here, with the event's
                    // exact text on the error.
                    return Some(Err(self.end_with(err)));
                }
                self.yielded += 1;
                return Some(Err(err));
            }
        };
        if let Some(active) = &mut self.ws {
            active.observe(&event);
        }
        if let ResponseEvent::Created(c) | ResponseEvent::InProgress(c) = &event
            && let Some(id) = c.response.as_ref().and_then(|r| r.id.as_ref())
        {
            self.response_id = Some(id.as_str().to_owned());
        }
        if let ResponseEvent::Completed(c) = &event
            && !c.response_id().is_empty()
        {
            self.response_id = Some(c.response_id().to_owned());
        }
        match events::classify(&event) {
            Class::TextDelta(delta) => {
                if self.track_text {
                    self.text.push_str(delta);
                }
            }
            Class::Completed => {
                self.completed = true;
                self.state = State::Done;
            }
            Class::Failure(err) => return self.on_failure(err),
            Class::Metadata {
                served_model,
                turn_state,
            } => {
                if let Some(m) = served_model {
                    self.head.served_model = Some(m);
                }
                if let Some(t) = turn_state {
                    self.head.turn_state = Some(t);
                }
            }
            Class::Other => {}
        }
        self.yielded += 1;
        Some(Ok(event))
    }

    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<ResponseEvent>>> {
        if std::mem::take(&mut self.ws_activity) {
            self.last_activity = Instant::now();
        }
        loop {
            let due = after(self.last_activity, self.idle_timeout);
            if Instant::now() >= due {
                let err = Error::new(
                    ErrorKind::IdleTimeout,
                    "idle timeout waiting for server-sent events",
                )
                .with(|d| d.retryable = true);
                return Poll::Ready(Some(Err(self.end_with(err))));
            }
            if self.idle.deadline() != due {
                self.idle.as_mut().reset(due);
            }
            match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => continue,
                Poll::Pending => return self.park(cx),
            }
        }
    }

    /// Before returning `Pending`: registers the task for abort and the deadline (checked
    /// cheaply on every poll, but only armed when the stream is about to sleep).
    fn park(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<ResponseEvent>>> {
        if self.slot.poll_aborted(cx).is_ready() {
            return Poll::Ready(Some(Err(self.end_with(aborted_error()))));
        }
        if let Some(d) = &mut self.deadline
            && d.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Some(Err(self.end_with(timeout_error()))));
        }
        Poll::Pending
    }
}

impl Stream for ResponseStream {
    type Item = Result<ResponseEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(item) = this.peeked.take() {
            return Poll::Ready(Some(item));
        }
        if matches!(this.state, State::Done) {
            return this.poll_end(cx);
        }
        if this.slot.is_aborted() {
            return Poll::Ready(Some(Err(this.end_with(aborted_error()))));
        }
        if let Some(d) = &this.deadline
            && Instant::now() >= d.deadline()
        {
            return Poll::Ready(Some(Err(this.end_with(timeout_error()))));
        }
        loop {
            if matches!(this.state, State::Body(_) | State::Eof { .. }) {
                while let Some(frame) = this.parser.next_frame() {
                    match frame {
                        Ok(Frame::Event(ev)) => {
                            this.frames += 1;
                            if !this.prefix.is_empty() {
                                this.prefix = Vec::new();
                            }
                            if let Some(item) = this.on_event(&ev) {
                                return Poll::Ready(Some(item));
                            }
                            if !matches!(this.state, State::Body(_) | State::Eof { .. }) {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            this.yielded += 1;
                            let offset = this.parser.bytes_consumed();
                            let err = Error::new(ErrorKind::Decode, e.to_string())
                                .with_source(e)
                                .with(|d| d.byte_offset = Some(offset));
                            return Poll::Ready(Some(Err(err)));
                        }
                    }
                }
            }
            match &mut this.state {
                State::Body(body) => match Pin::new(body).poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            this.last_activity = Instant::now();
                            if this.frames == 0 && this.prefix.len() < MAX_PREFIX {
                                let room = MAX_PREFIX - this.prefix.len();
                                this.prefix.extend_from_slice(&data[..data.len().min(room)]);
                            }
                            this.parser.feed(data);
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        let err = Error::stream_end(CONNECTION_LOST).with_source(e);
                        return Poll::Ready(Some(Err(this.end_with(err))));
                    }
                    Poll::Ready(None) => {
                        let end = this.parser.finish();
                        this.state = State::Eof {
                            truncated: end.truncated,
                        };
                    }
                    Poll::Pending => return this.poll_idle(cx),
                },
                State::Eof { truncated } => {
                    // The text of every transport (a WebSocket never sends half an event);
                    // a body cut in the middle of an event says so in `source()`.
                    let mut err = Error::stream_end(STREAM_CLOSED);
                    if *truncated {
                        err = err.with_source(codex_sse::StreamError::<Infallible>::Truncated {
                            last_event_id: None,
                        });
                    }
                    if this.frames == 0 && !this.prefix.is_empty() {
                        let body = String::from_utf8_lossy(&this.prefix).into_owned();
                        err = Error::new(
                            ErrorKind::StreamClosed,
                            "the response body was not an event stream",
                        )
                        .with(|d| {
                            d.body = Some(body);
                            d.status = Some(http::StatusCode::OK);
                            d.retryable = true;
                        });
                    }
                    return Poll::Ready(Some(Err(this.end_with(err))));
                }
                State::Reconnect(fut) => match fut.as_mut().poll(cx) {
                    Poll::Ready((attempts, Ok(resp))) => {
                        this.attempts = Some(attempts);
                        let (parts, body) = resp.into_parts();
                        this.head = Head::from_headers(parts.headers);
                        this.parser = new_parser(this.client.cfg.max_event_size);
                        this.frames = 0;
                        this.prefix = Vec::new();
                        this.last_activity = Instant::now();
                        this.state = State::Body(body);
                    }
                    Poll::Ready((attempts, Err(e))) => {
                        this.attempts = Some(attempts);
                        return Poll::Ready(Some(Err(this.end_with(e))));
                    }
                    Poll::Pending => return this.park(cx),
                },
                State::Ws => {
                    let Some(active) = this.ws.as_mut() else {
                        this.state = State::Done;
                        continue;
                    };
                    let offset = active.received;
                    match active.poll_read(cx) {
                        Poll::Ready(ws::Read::Text(data)) => {
                            this.ws_activity = true;
                            let decoded = ResponseEvent::decode_str(&data);
                            let item = this.on_decoded(decoded, data.as_bytes(), offset, "");
                            if let Some(item) = item {
                                return Poll::Ready(Some(item));
                            }
                        }
                        Poll::Ready(ws::Read::Activity) => this.ws_activity = true,
                        Poll::Ready(ws::Read::Failed(err)) => {
                            if let Some(item) = this.on_failure(err) {
                                return Poll::Ready(Some(item));
                            }
                        }
                        Poll::Pending => return this.poll_idle(cx),
                    }
                }
                State::WsStart(fut) => match fut.as_mut().poll(cx) {
                    Poll::Ready((attempts, Ok(active))) => {
                        this.attempts = Some(attempts);
                        // A resend reuses only this stream's own connection: its head is
                        // already the right one (a reused one names no earlier turn's facts).
                        if !active.reused {
                            this.head = Head::for_ws(&active);
                        }
                        this.incremental = active.incremental;
                        this.ws = Some(Box::new(active));
                        this.last_activity = Instant::now();
                        this.state = State::Ws;
                    }
                    Poll::Ready((attempts, Err(failed))) => {
                        this.attempts = Some(attempts);
                        return Poll::Ready(Some(Err(this.end_with(failed.error))));
                    }
                    Poll::Pending => return this.park(cx),
                },
                State::Done => return this.poll_end(cx),
            }
        }
    }
}

impl Drop for ResponseStream {
    /// A stream dropped after it yielded `response.completed` (the caller handled the
    /// response and stopped polling): over WebSocket the response is confirmed and the
    /// connection goes back to the pool, best effort (there is no task to wake: what the
    /// socket does not take now goes out before the connection's next frame). A stream
    /// dropped before that closes its connection.
    fn drop(&mut self) {
        if self.completed && self.peeked.is_none() && self.ws.is_some() {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            self.finish_ws(&mut cx);
        }
    }
}

impl ResponseStream {
    /// Reads the first item of a WebSocket turn, so that an error answering the turn before
    /// any event (a wrapped HTTP error, after the same retries as over HTTP) is returned by
    /// `stream()` itself, as an HTTP error status is.
    pub(crate) async fn peek_first(mut self) -> Result<Self> {
        let first = std::future::poll_fn(|cx| Pin::new(&mut self).poll_next(cx)).await;
        match first {
            Some(Err(e)) if matches!(self.state, State::Done) && self.yielded == 0 => Err(e),
            other => {
                self.peeked = other;
                Ok(self)
            }
        }
    }

    /// The end of the stream. Polled again after it yielded `response.completed`, the caller
    /// has handled the response: over WebSocket, `response.processed` is sent then (as
    /// codex-rs sends it once the turn's items are recorded) and the connection goes back to
    /// the pool.
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<ResponseEvent>>> {
        if self.completed {
            self.finish_ws(cx);
        }
        Poll::Ready(None)
    }

    /// After the caller handled `response.completed` over WebSocket: confirms the response
    /// and returns the connection to the pool.
    fn finish_ws(&mut self, cx: &mut Context<'_>) {
        if let (Some(active), Some(turn)) = (self.ws.take(), &self.ws_turn) {
            active.finish(cx, &self.client.ws, turn, self.response_id.as_deref());
        }
    }
}
