//! The response body: a queued [`Reply`] rendered as a fixed body or as a stream fed by a
//! producer task (chunking, delays, aborts and the lazily generated many-delta stream).

use std::pin::Pin;
use std::sync::Arc;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::HeaderValue;
use http::Response;
use http::StatusCode;
use http_body::Frame;
use serde_json::json;
use tokio::sync::mpsc;

use super::Shared;
use super::detail;
use super::fixed;
use super::set;
use crate::Route;
use crate::events::DEFAULT_MODEL;
use crate::events::SseEvent;
use crate::events::StreamBuilder;
use crate::events::Usage;
use crate::reply::Body;
use crate::reply::Reply;
use crate::reply::Step;

/// The response body: a fixed buffer or a channel fed by a producer task.
pub(crate) enum MockBody {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Result<Bytes, std::io::Error>>),
}

impl http_body::Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            MockBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Channel(rx) => match rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, MockBody::Full(None))
    }
}

pub(super) async fn head_delay(reply: &Reply) {
    if !reply.head_delay.is_zero() {
        tokio::time::sleep(reply.head_delay).await;
    }
}

pub(crate) async fn reply_or(
    shared: &Arc<Shared>,
    route: Route,
    n: u64,
    default: impl FnOnce() -> Response<MockBody>,
) -> Response<MockBody> {
    match shared.pop(route) {
        Some(reply) if !matches!(reply.body, Body::RouteDefault) => {
            head_delay(&reply).await;
            if matches!(reply.body, Body::Sse(_)) {
                sse_response(reply, DEFAULT_MODEL, n).await
            } else {
                fixed_reply(reply)
            }
        }
        Some(reply) => {
            head_delay(&reply).await;
            let mut r = default();
            apply_headers(r.headers_mut(), &reply);
            r
        }
        None => default(),
    }
}

fn apply_headers(h: &mut HeaderMap, reply: &Reply) {
    for (k, v) in &reply.headers {
        set(h, k, v);
    }
}

pub(super) fn fixed_reply(reply: Reply) -> Response<MockBody> {
    let (ct, body) = match &reply.body {
        Body::Fixed { content_type, body } => (*content_type, body.clone()),
        _ => ("application/json", Bytes::new()),
    };
    let mut r = if reply.chunk_size.is_some() || !reply.delay.is_zero() {
        let mut r = streamed(vec![Step::Bytes(body)], &reply);
        *r.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
        if let Ok(v) = HeaderValue::from_str(ct) {
            r.headers_mut().insert(http::header::CONTENT_TYPE, v);
        }
        r
    } else {
        fixed(reply.status, ct, body)
    };
    if reply.omit_content_type {
        r.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    apply_headers(r.headers_mut(), &reply);
    r
}

pub(super) async fn sse_response(reply: Reply, model: &str, n: u64) -> Response<MockBody> {
    let Body::Sse(steps) = &reply.body else {
        return fixed_reply(reply);
    };
    let mut steps = steps.clone();
    // Files are read up front so a missing file is a clear 500, not a broken stream.
    for s in steps.iter_mut() {
        if let Step::File(path) = s {
            match tokio::fs::read(&*path).await {
                Ok(b) => *s = Step::Bytes(Bytes::from(b)),
                Err(e) => {
                    return detail(
                        500,
                        &format!("codex-mock: cannot read {}: {e}", path.display()),
                    );
                }
            }
        }
    }
    let mut r = streamed(steps, &reply);
    *r.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let h = r.headers_mut();
    if !reply.omit_content_type {
        set(h, "content-type", "text/event-stream");
    }
    set(h, "cache-control", "no-cache");
    set(h, "x-request-id", &format!("req_mock_{n:08}"));
    set(h, "openai-model", model);
    set(h, "x-codex-turn-state", &format!("ts_mock_{n:08}"));
    set(h, "x-models-etag", "\"models-mock\"");
    set(h, "x-reasoning-included", "true");
    apply_headers(h, &reply);
    r
}

fn streamed(steps: Vec<Step>, reply: &Reply) -> Response<MockBody> {
    let (tx, rx) = mpsc::channel(16);
    let chunk = reply.chunk_size;
    let delay = reply.delay;
    tokio::spawn(produce(tx, steps, chunk, delay));
    Response::new(MockBody::Channel(rx))
}

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

struct Writer {
    tx: Tx,
    chunk: Option<usize>,
    delay: Duration,
    first: bool,
}

impl Writer {
    /// Returns false once the client is gone.
    async fn write(&mut self, bytes: Bytes) -> bool {
        match self.chunk {
            None => self.piece(bytes).await,
            Some(n) => {
                let mut rest = bytes;
                while !rest.is_empty() {
                    let piece = rest.split_to(n.min(rest.len()));
                    if !self.piece(piece).await {
                        return false;
                    }
                }
                true
            }
        }
    }

    async fn piece(&mut self, bytes: Bytes) -> bool {
        if !self.first && !self.delay.is_zero() && !self.sleep(self.delay).await {
            return false;
        }
        self.first = false;
        self.tx.send(Ok(bytes)).await.is_ok()
    }

    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.tx.closed() => false,
        }
    }
}

async fn produce(tx: Tx, steps: Vec<Step>, chunk: Option<usize>, delay: Duration) {
    let mut w = Writer {
        tx,
        chunk,
        delay,
        first: true,
    };
    for step in steps {
        let alive = match step {
            Step::Bytes(b) => w.write(b).await,
            Step::Sleep(d) => w.sleep(d).await,
            Step::Abort => {
                let _ =
                    w.tx.send(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "codex-mock: connection dropped mid-event",
                    )))
                    .await;
                return;
            }
            Step::ManyDeltas(count, repeats) => many_deltas(&mut w, count, repeats).await,
            Step::File(_) => true,
        };
        if !alive {
            return;
        }
    }
}

/// Batch size for lazily generated streams.
const BATCH: usize = 16 * 1024;

async fn many_deltas(w: &mut Writer, count: u64, repeats: usize) -> bool {
    const WORD: &str = "lorem ";
    let delta = WORD.repeat(repeats);
    let delta = delta.as_str();
    let id = "msg_mock_many_0";
    let mut b = StreamBuilder::new("resp_mock_many", DEFAULT_MODEL);
    b.created();
    b.message_opts(id, &[], false);
    let mut buf = Vec::with_capacity(BATCH * 2);
    for e in b.events() {
        buf.extend_from_slice(&e.to_bytes());
    }
    let mut seq = b.events().len() as u64;
    for _ in 0..count {
        let ev = SseEvent {
            kind: "response.output_text.delta".into(),
            data: json!({"type": "response.output_text.delta", "sequence_number": seq, "item_id": id,
                "output_index": 0, "content_index": 0, "delta": delta, "logprobs": []}),
        };
        seq += 1;
        buf.extend_from_slice(&ev.to_bytes());
        if buf.len() >= BATCH && !w.write(Bytes::from(std::mem::take(&mut buf))).await {
            return false;
        }
    }
    // Done events carry the full text; it is written in pieces, never held whole.
    let total = delta.len() as u64 * count;
    let heads: [(&str, String, String); 3] = [
        (
            "response.output_text.done",
            format!(
                r#"{{"type":"response.output_text.done","content_index":0,"item_id":"{id}","logprobs":[],"output_index":0,"sequence_number":{seq},"text":""#
            ),
            "\"}".to_owned(),
        ),
        (
            "response.content_part.done",
            format!(
                r#"{{"type":"response.content_part.done","content_index":0,"item_id":"{id}","output_index":0,"part":{{"type":"output_text","annotations":[],"logprobs":[],"text":""#
            ),
            format!(r#""}},"sequence_number":{}}}"#, seq + 1),
        ),
        (
            "response.output_item.done",
            r#"{"type":"response.output_item.done","item":{"type":"message","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":""#
                .to_owned(),
            format!(
                r#""}}],"id":"{id}","role":"assistant","status":"completed"}},"output_index":0,"sequence_number":{}}}"#,
                seq + 2
            ),
        ),
    ];
    for (kind, head, tail) in heads {
        buf.extend_from_slice(format!("event: {kind}\ndata: ").as_bytes());
        buf.extend_from_slice(head.as_bytes());
        let mut left = total;
        while left > 0 {
            let reps = (BATCH / WORD.len()) as u64;
            let k = reps.min(left / WORD.len() as u64).max(1);
            buf.extend_from_slice(WORD.repeat(k as usize).as_bytes());
            left = left.saturating_sub(k * WORD.len() as u64);
            if buf.len() >= BATCH && !w.write(Bytes::from(std::mem::take(&mut buf))).await {
                return false;
            }
        }
        buf.extend_from_slice(tail.as_bytes());
        buf.extend_from_slice(b"\n\n");
    }
    let done = StreamBuilder::new("resp_mock_many", DEFAULT_MODEL);
    let resp = done.response_object(
        "completed",
        Some(Usage {
            input_tokens: 42,
            cached_tokens: 0,
            output_tokens: count,
            reasoning_tokens: 0,
        }),
        false,
    );
    let ev = SseEvent {
        kind: "response.completed".into(),
        data: json!({"type": "response.completed", "sequence_number": seq + 3, "response": resp}),
    };
    buf.extend_from_slice(&ev.to_bytes());
    w.write(Bytes::from(buf)).await
}
