//! The hyper service: the shared state, request intake (body limit, content decoding,
//! recording) and the small response helpers every route uses.
//!
//! Routing and request validation live in [`routes`]; turning a [`Reply`] into a response
//! body, fixed or streamed, lives in [`stream`].

mod routes;
mod stream;

use std::collections::HashMap;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::HeaderMap;
use http::HeaderValue;
use http::Request;
use http::Response;
use http::StatusCode;
use http_body_util::BodyExt;
use http_body_util::Limited;
use serde_json::Value;
use serde_json::json;

use crate::RecordedRequest;
use crate::Route;
use crate::events::canonical_json;
use crate::issuer::Issuer;
use crate::reply::Reply;

/// Largest request body the mock accepts (bigger → 413).
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// The ETag of the model catalog (changes when the visible list changes).
pub(crate) fn models_etag(body: &str) -> String {
    // FNV-1a, enough to tell catalogs apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"models-{h:016x}\"")
}

pub(crate) struct Shared {
    pub(crate) issuer: Issuer,
    pub(crate) queues: Mutex<HashMap<Route, VecDeque<Reply>>>,
    pub(crate) defaults: Mutex<HashMap<Route, Reply>>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) counter: AtomicU64,
    pub(crate) agent: crate::agent::AgentState,
    pub(crate) log: Option<crate::log::RequestLog>,
    /// How WebSocket upgrades of `/responses` are answered.
    pub(crate) ws_mode: Mutex<crate::ws::WebSocketMode>,
    /// Responses served per WebSocket connection before `websocket_connection_limit_reached`
    /// (0: no limit).
    pub(crate) ws_connection_limit: AtomicU64,
    /// Bumped to make every connection forget the responses it served.
    pub(crate) ws_generation: AtomicU64,
    /// Text frames of each WebSocket response sent before a Close frame ends the connection
    /// (`u64::MAX`: never).
    pub(crate) ws_close_after: AtomicU64,
    /// Text frames of each WebSocket response sent before a binary frame (`u64::MAX`: never).
    pub(crate) ws_binary_after: AtomicU64,
    /// Whether `Content-Encoding: zstd` bodies are decoded (else 415).
    pub(crate) accept_zstd: std::sync::atomic::AtomicBool,
    /// Whether `compaction_trigger` inputs are served (else 400, a backend without v2).
    pub(crate) compaction_v2: std::sync::atomic::AtomicBool,
    /// `wham/accounts/check`: workspace backend origin and routing override.
    pub(crate) routing: Mutex<(Option<String>, Option<String>)>,
}

impl Shared {
    pub(crate) fn queues(&self) -> MutexGuard<'_, HashMap<Route, VecDeque<Reply>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a request (or WebSocket frame) to the in-memory log and, with `--log`, to the
    /// request log file: every place that receives something records it through here.
    pub(crate) fn record(&self, recorded: &RecordedRequest) {
        let seq = {
            let mut log = self.requests();
            log.push(recorded.clone());
            log.len() as u64
        };
        if let Some(file) = &self.log {
            file.write(seq, recorded);
        }
    }

    pub(crate) fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn pop(&self, route: Route) -> Option<Reply> {
        if let Some(r) = self.queues().get_mut(&route).and_then(VecDeque::pop_front) {
            return Some(r);
        }
        self.defaults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&route)
            .cloned()
    }
}

pub(crate) fn json_response(status: u16, value: &Value) -> Response<MockBody> {
    fixed(
        status,
        "application/json",
        Bytes::from(canonical_json(value)),
    )
}

pub(crate) fn fixed(status: u16, content_type: &str, body: Bytes) -> Response<MockBody> {
    let mut resp = Response::new(MockBody::Full(Some(body)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp
}

pub(crate) fn detail(status: u16, msg: &str) -> Response<MockBody> {
    json_response(status, &json!({ "detail": msg }))
}

pub(crate) fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        http::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(n, v);
    }
}

/// The default `x-codex-*` rate-limit headers (protocol §8.2), added where absent.
pub(crate) fn rate_limit_headers(headers: &mut HeaderMap) {
    for (k, v) in [
        ("x-codex-primary-used-percent", "42.0"),
        ("x-codex-primary-window-minutes", "300"),
        ("x-codex-primary-reset-at", "1767229200"),
        ("x-codex-secondary-used-percent", "10.0"),
        ("x-codex-secondary-window-minutes", "10080"),
        ("x-codex-secondary-reset-at", "1767744000"),
        ("x-codex-credits-has-credits", "false"),
        ("x-codex-credits-unlimited", "false"),
        ("x-codex-credits-balance", "0"),
    ] {
        if !headers.contains_key(k) {
            set(headers, k, v);
        }
    }
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<MockBody>, Infallible> {
    if crate::ws::is_upgrade(&req) {
        let recorded = RecordedRequest {
            method: req.method().as_str().to_owned(),
            path: req.uri().path().to_owned(),
            query: req.uri().query().map(str::to_owned),
            headers: req.headers().clone(),
            body: Bytes::new(),
            raw_body: Bytes::new(),
            version: format!("{:?}", req.version()),
        };
        shared.record(&recorded);
        return Ok(crate::ws::upgrade(shared, req, recorded).await);
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return Ok(detail(413, "Request body too large or unreadable")),
    };
    let decoded = decode_content(&shared, &parts.headers, &body);
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body: decoded.as_ref().map_or_else(|_| body.clone(), Bytes::clone),
        raw_body: body,
        version: format!("{:?}", parts.version),
    };
    shared.record(&recorded);
    let resp = match decoded {
        Ok(_) => route(&shared, &recorded).await,
        Err((status, msg)) => detail(status, &msg),
    };
    Ok(resp)
}

/// The body after content decoding: zstd and gzip are decoded (each up to
/// [`MAX_REQUEST_BODY`]); an encoding the mock does not take is a 415, a corrupt body a 400, a
/// body that decodes to more than the limit (a decompression bomb) a 413.
fn decode_content(
    shared: &Shared,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Bytes, (u16, String)> {
    let encoding = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(body.clone()),
        Some("zstd") if shared.accept_zstd.load(Ordering::SeqCst) => {
            match zstd::stream::read::Decoder::new(&body[..]) {
                Ok(decoder) => decode_limited(decoder, "zstd"),
                Err(_) => Err((400, "Invalid zstd request body".to_owned())),
            }
        }
        Some("gzip" | "x-gzip") => {
            decode_limited(flate2::read::MultiGzDecoder::new(&body[..]), "gzip")
        }
        Some(other) => Err((415, format!("Unsupported content-encoding: {other}"))),
    }
}

/// Reads a decoder to its end, refusing (413) output past [`MAX_REQUEST_BODY`] without
/// holding more than one byte beyond it; a decoding error is a 400 naming `encoding`.
fn decode_limited(decoder: impl std::io::Read, encoding: &str) -> Result<Bytes, (u16, String)> {
    use std::io::Read;
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_REQUEST_BODY).unwrap_or(u64::MAX) + 1;
    if decoder.take(limit).read_to_end(&mut out).is_err() {
        return Err((400, format!("Invalid {encoding} request body")));
    }
    if out.len() > MAX_REQUEST_BODY {
        return Err((
            413,
            format!("Decoded {encoding} request body larger than {MAX_REQUEST_BODY} bytes"),
        ));
    }
    Ok(Bytes::from(out))
}

pub(crate) use routes::check_auth;
pub(crate) use routes::route;
pub(crate) use stream::MockBody;
pub(crate) use stream::reply_or;
