//! Routing and validation: which handler answers a request, and the checks the real
//! backend and issuer make before answering (auth, refused parameters, body shapes).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::Response;
use serde_json::Value;
use serde_json::json;

use super::MockBody;
use super::Shared;
use super::detail;
use super::fixed;
use super::json_response;
use super::models_etag;
use super::rate_limit_headers;
use super::set;
use super::stream::fixed_reply;
use super::stream::head_delay;
use super::stream::reply_or;
use super::stream::sse_response;
use crate::RecordedRequest;
use crate::Route;
use crate::catalog;
use crate::events::DEFAULT_MODEL;
use crate::events::canonical_json;
use crate::issuer::IssuerReply;
use crate::reply::Body;
use crate::reply::Reply;
use crate::wire;

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
