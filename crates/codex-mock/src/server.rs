//! The hyper service: routing, validation, auth and the streaming body.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::HeaderValue;
use http::Request;
use http::Response;
use http::StatusCode;
use http_body::Frame;
use http_body_util::BodyExt;
use http_body_util::Limited;
use serde_json::Value;
use serde_json::json;
use tokio::sync::mpsc;

use crate::RecordedRequest;
use crate::Route;
use crate::catalog;
use crate::events::DEFAULT_MODEL;
use crate::events::SseEvent;
use crate::events::StreamBuilder;
use crate::events::Usage;
use crate::events::canonical_json;
use crate::issuer::Issuer;
use crate::issuer::IssuerReply;
use crate::reply::Body;
use crate::reply::Reply;
use crate::reply::Step;
use crate::wire;

/// Largest request body the mock accepts (bigger → 413).
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// Parameters the backend rejects over HTTP (protocol §4.1).
const UNSUPPORTED: &[&str] = &[
    "max_output_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "background",
    "conversation",
    "max_tool_calls",
    "metadata",
    "previous_response_id",
    "prompt",
    "prompt_cache_retention",
    "safety_identifier",
    "top_logprobs",
    "truncation",
    "user",
    "moderation",
    "prompt_cache_options",
];

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

fn route_of(method: &str, path: &str) -> Option<Route> {
    let p = path.trim_end_matches('/');
    Some(match (method, p) {
        ("POST", "/backend-api/codex/responses") => Route::Responses,
        ("POST", "/backend-api/codex/responses/compact") => Route::Compact,
        ("GET", "/backend-api/codex/models") => Route::Models,
        ("GET", "/backend-api/wham/usage") => Route::Usage,
        ("GET", "/backend-api/wham/accounts/check") => Route::AccountsCheck,
        ("POST", "/v1/realtime/calls") | ("POST", "/backend-api/codex/realtime/calls") => {
            Route::RealtimeCalls
        }
        ("POST", "/backend-api/codex/memories/trace_summarize") => Route::TraceSummarize,
        ("POST", "/oauth/token") => Route::Token,
        ("POST", "/oauth/revoke") => Route::Revoke,
        ("GET", "/oauth/authorize") => Route::Authorize,
        ("POST", "/api/accounts/deviceauth/usercode") => Route::DeviceUserCode,
        ("POST", "/api/accounts/deviceauth/token") => Route::DeviceToken,
        (m, p) => return crate::chatgpt::route_of(m, p),
    })
}

fn is_backend(route: Route) -> bool {
    matches!(
        route,
        Route::Responses
            | Route::Compact
            | Route::Models
            | Route::Usage
            | Route::AccountsCheck
            | Route::RealtimeCalls
            | Route::TraceSummarize
    ) || crate::chatgpt::handles(route)
}

pub(crate) async fn route(shared: &Arc<Shared>, req: &RecordedRequest) -> Response<MockBody> {
    let Some(route) = route_of(&req.method, &req.path) else {
        return detail(404, "Not Found");
    };
    let backend = is_backend(route);
    let n = shared.next();
    let mut resp = if backend {
        backend_route(shared, route, req, n).await
    } else {
        issuer_route(shared, route, req).await
    };
    let h = resp.headers_mut();
    if backend {
        if !h.contains_key("x-request-id") {
            set(h, "x-request-id", &format!("req_mock_{n:08}"));
        }
        rate_limit_headers(h);
    }
    resp
}

async fn issuer_route(
    shared: &Arc<Shared>,
    route: Route,
    req: &RecordedRequest,
) -> Response<MockBody> {
    if let Some(reply) = shared.pop(route) {
        head_delay(&reply).await;
        if !matches!(reply.body, Body::RouteDefault) {
            return fixed_reply(reply);
        }
    }
    let issuer = &shared.issuer;
    let answer = match route {
        Route::Authorize => issuer.authorize(&req.query_pairs()),
        Route::Token => {
            let fields = if is_json(req) {
                match req.json() {
                    Some(Value::Object(m)) => m
                        .into_iter()
                        .map(|(k, v)| {
                            let v = match v {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (k, v)
                        })
                        .collect(),
                    _ => return detail(400, "Invalid JSON body"),
                }
            } else {
                req.form()
            };
            let refresh = fields
                .iter()
                .any(|(k, v)| k == "grant_type" && v == "refresh_token");
            let answer = issuer.token(&fields);
            let delay = issuer.refresh_answer_delay();
            if refresh && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            answer
        }
        Route::Revoke => {
            let token = if is_json(req) {
                req.json()
                    .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned))
            } else {
                req.form()
                    .into_iter()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v)
            };
            match token {
                Some(t) if !t.is_empty() => {
                    issuer.revoke(&t);
                    IssuerReply::Json(200, json!({}))
                }
                _ => IssuerReply::Json(
                    400,
                    json!({"error": "invalid_request", "error_description": "token is required"}),
                ),
            }
        }
        Route::DeviceUserCode => issuer.device_usercode(),
        Route::DeviceToken => match req.json() {
            Some(v) => issuer.device_token(&v),
            None => IssuerReply::Json(
                400,
                json!({"error": "invalid_request", "error_description": "JSON body required"}),
            ),
        },
        _ => IssuerReply::Json(404, json!({"detail": "Not Found"})),
    };
    match answer {
        IssuerReply::Json(status, v) => json_response(status, &v),
        IssuerReply::Redirect(location) => {
            let mut r = fixed(302, "text/plain", Bytes::from_static(b"Redirecting"));
            set(r.headers_mut(), "location", &location);
            r
        }
    }
}

fn is_json(req: &RecordedRequest) -> bool {
    req.header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"))
}

pub(crate) fn check_auth(shared: &Shared, req: &RecordedRequest) -> Option<Response<MockBody>> {
    if !shared.issuer.require_auth() {
        return None;
    }
    let token = req.header("authorization").and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    });
    match token {
        Some(t) if shared.issuer.is_access_token_valid(t.trim()) => None,
        _ => {
            let mut r = detail(401, "Unauthorized");
            set(
                r.headers_mut(),
                "x-openai-authorization-error",
                "invalid_or_expired_token",
            );
            Some(r)
        }
    }
}

fn validate_responses(body: &Value) -> Option<Response<MockBody>> {
    let Value::Object(map) = body else {
        return Some(detail(400, "Request body must be a JSON object"));
    };
    for name in UNSUPPORTED {
        if map.contains_key(*name) {
            return Some(detail(400, &format!("Unsupported parameter: {name}")));
        }
    }
    if map.get("stream") != Some(&Value::Bool(true)) {
        return Some(detail(400, "Stream must be set to true"));
    }
    if map.get("store") != Some(&Value::Bool(false)) {
        return Some(detail(400, "Store must be set to false"));
    }
    if !map.get("model").is_some_and(Value::is_string) {
        return Some(detail(400, "Model is required"));
    }
    if !map.get("input").is_some_and(Value::is_array) {
        return Some(detail(400, "Input must be a list"));
    }
    None
}

async fn backend_route(
    shared: &Arc<Shared>,
    route: Route,
    req: &RecordedRequest,
    n: u64,
) -> Response<MockBody> {
    if let Some(r) = check_auth(shared, req) {
        return r;
    }
    match route {
        Route::Responses => {
            let Some(body) = req.json() else {
                return detail(400, "Request body is not valid JSON");
            };
            if let Some(r) = validate_responses(&body) {
                return r;
            }
            let model = body
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(DEFAULT_MODEL)
                .to_owned();
            let v2 = body
                .get("input")
                .and_then(Value::as_array)
                .is_some_and(|i| catalog::is_compaction_v2(i));
            if v2 && !shared.compaction_v2.load(Ordering::SeqCst) {
                return detail(
                    400,
                    "Invalid value: 'compaction_trigger'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning', 'compaction'.",
                );
            }
            let reply = if v2 {
                // Compaction v2 is answered with exactly one compaction item (no agent rules).
                let reply = shared
                    .pop(Route::Responses)
                    .unwrap_or_else(Reply::route_default);
                match reply.body {
                    Body::RouteDefault => Reply {
                        body: Reply::compaction(catalog::COMPACTION_CONTENT).body,
                        ..reply
                    },
                    _ => reply,
                }
            } else {
                crate::agent::next_reply(shared, &body, n)
            };
            let turn_state = req.header("x-codex-turn-state").map(str::to_owned);
            let custom = |name: &str| reply.headers.iter().any(|(k, _)| k == name);
            let (custom_ts, custom_etag) = (custom("x-codex-turn-state"), custom("x-models-etag"));
            head_delay(&reply).await;
            let mut resp = sse_response(reply, &model, n).await;
            let h = resp.headers_mut();
            // Same turn: echo the sticky-routing token the client sent (protocol §5.2).
            if let Some(ts) = turn_state
                && h.contains_key("x-codex-turn-state")
                && !custom_ts
            {
                set(h, "x-codex-turn-state", &ts);
            }
            // The catalog version this client would see at /models.
            if h.contains_key("x-models-etag") && !custom_etag {
                let text = canonical_json(&json!({ "models": shared.agent.catalog() }));
                set(h, "x-models-etag", &models_etag(&text));
            }
            resp
        }
        Route::Compact => {
            let Some(body) = req.json() else {
                return detail(400, "Request body is not valid JSON");
            };
            if !body.get("model").is_some_and(Value::is_string) {
                return detail(400, "Model is required");
            }
            let Some(input) = body.get("input").and_then(Value::as_array) else {
                return detail(400, "Input must be a list");
            };
            reply_or(shared, route, n, || {
                json_response(200, &catalog::compact(input))
            })
            .await
        }
        Route::Models => {
            let version = req
                .query_pairs()
                .into_iter()
                .find(|(k, _)| k == "client_version")
                .map(|(_, v)| v);
            let Some(version) = version else {
                return detail(400, "Missing required query parameter: client_version");
            };
            if catalog::parse_version(&version).is_none() {
                return detail(400, "Invalid client_version: expected MAJOR.MINOR.PATCH");
            }
            let models = shared.agent.catalog();
            let if_none_match = req.header("if-none-match").map(str::to_owned);
            reply_or(shared, route, n, move || {
                let body = json!({ "models": models });
                let text = canonical_json(&body);
                let etag = models_etag(&text);
                let mut r = if if_none_match.as_deref() == Some(etag.as_str()) {
                    let mut r = fixed(304, "application/json", Bytes::new());
                    r.headers_mut().remove(http::header::CONTENT_TYPE);
                    r
                } else {
                    fixed(200, "application/json", Bytes::from(text))
                };
                set(r.headers_mut(), "etag", &etag);
                r
            })
            .await
        }
        Route::Usage => {
            let identity = shared.issuer.identity();
            reply_or(shared, route, n, || {
                json_response(200, &catalog::usage_for(&identity))
            })
            .await
        }
        Route::AccountsCheck => {
            let id = shared.issuer.identity().account_id;
            let (origin, over) = shared
                .routing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            reply_or(shared, route, n, || {
                json_response(
                    200,
                    &catalog::accounts_check(&id, origin.as_deref(), over.as_deref()),
                )
            })
            .await
        }
        Route::TraceSummarize => {
            let Some(body) = req.json() else {
                return detail(400, "Request body is not valid JSON");
            };
            let Some(traces) = body.get("traces").and_then(Value::as_array) else {
                return detail(400, "traces must be a list");
            };
            if !body.get("model").is_some_and(Value::is_string) {
                return detail(400, "Model is required");
            }
            reply_or(shared, route, n, || {
                json_response(200, &catalog::trace_summarize(traces))
            })
            .await
        }
        Route::RealtimeCalls => realtime(shared, req, n).await,
        r if crate::chatgpt::handles(r) => crate::chatgpt::serve(shared, r, req, n).await,
        _ => detail(404, "Not Found"),
    }
}

async fn realtime(shared: &Arc<Shared>, req: &RecordedRequest, n: u64) -> Response<MockBody> {
    let ct = req.header("content-type").unwrap_or("").to_owned();
    let lower = ct.to_ascii_lowercase();
    let sdp_ok = |b: &[u8]| b.starts_with(b"v=0");
    if lower.starts_with("multipart/form-data") {
        let Some(boundary) = wire::multipart_boundary(&ct) else {
            return detail(400, "Malformed multipart body: missing boundary");
        };
        let Some(parts) = wire::parse_multipart(&req.body, &boundary) else {
            return detail(400, "Malformed multipart body");
        };
        let Some(sdp) = parts.iter().find(|p| p.name == "sdp") else {
            return detail(400, "Missing multipart part: sdp");
        };
        if !sdp_ok(&sdp.data) {
            return detail(400, "The sdp part is not an SDP offer");
        }
        if let Some(session) = parts.iter().find(|p| p.name == "session")
            && serde_json::from_slice::<Value>(&session.data).is_err()
        {
            return detail(400, "The session part is not valid JSON");
        }
    } else if lower.starts_with("application/sdp") {
        if !sdp_ok(&req.body) {
            return detail(400, "Body is not an SDP offer");
        }
    } else if lower.starts_with("application/json") {
        let ok = req
            .json()
            .and_then(|v| {
                v.get("sdp")
                    .and_then(Value::as_str)
                    .map(|s| sdp_ok(s.as_bytes()))
            })
            .unwrap_or(false);
        if !ok {
            return detail(400, "JSON body must carry an sdp offer");
        }
    } else {
        return detail(400, "Expected multipart/form-data or application/sdp");
    }
    reply_or(shared, Route::RealtimeCalls, n, || {
        let mut r = fixed(201, "application/sdp", Bytes::from(catalog::sdp_answer()));
        set(
            r.headers_mut(),
            "location",
            &format!("/v1/realtime/calls/rtc_mock{n:08}"),
        );
        r
    })
    .await
}

async fn head_delay(reply: &Reply) {
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

fn fixed_reply(reply: Reply) -> Response<MockBody> {
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

async fn sse_response(reply: Reply, model: &str, n: u64) -> Response<MockBody> {
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
