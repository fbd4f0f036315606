//! What the response head of a [`ResponseStream`] said, and its accessors.

use http::HeaderMap;

use super::ResponseStream;
use crate::status;
use crate::text_response::TextResponse;
use crate::ws;
use crate::ws::Transport;

/// The headers of a WebSocket upgrade answer that describe the connection, not one response:
/// what codex-rs reports again at the start of every response on the connection (the
/// served model, the models catalog version, "reasoning included"). The others (request id,
/// rate limits, turn state, safety buffering) belong to the upgrade's first response only.
const CONNECTION_LEVEL: [&str; 4] = [
    "openai-model",
    "x-openai-model",
    "x-models-etag",
    "x-reasoning-included",
];

/// What the response head said (refined by `response.metadata` events).
#[derive(Debug, Default)]
pub(super) struct Head {
    pub(super) headers: HeaderMap,
    pub(super) request_id: Option<String>,
    pub(super) served_model: Option<String>,
    pub(super) turn_state: Option<String>,
}

impl Head {
    pub(super) fn from_headers(headers: HeaderMap) -> Self {
        let get = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            request_id: status::request_id(&headers),
            served_model: get("openai-model").or_else(|| get("x-openai-model")),
            turn_state: get("x-codex-turn-state"),
            headers,
        }
    }

    /// The head of a WebSocket turn: the upgrade answer's headers for the connection's first
    /// response; on a reused connection only their [`CONNECTION_LEVEL`] ones (a later
    /// turn's own facts arrive as `response.metadata` and `codex.rate_limits` events).
    pub(super) fn for_ws(active: &ws::Active) -> Self {
        let all = active.headers();
        if !active.reused {
            return Self::from_headers(all.clone());
        }
        let mut kept = HeaderMap::new();
        for name in CONNECTION_LEVEL {
            for value in all.get_all(name) {
                kept.append(name, value.clone());
            }
        }
        Self::from_headers(kept)
    }
}

impl ResponseStream {
    /// Which transport carried this turn: [`Transport::Sse`] or [`Transport::WebSocket`].
    pub fn transport(&self) -> Transport {
        if self.ws_turn.is_some() {
            Transport::WebSocket
        } else {
            Transport::Sse
        }
    }

    /// True when the turn went over WebSocket with only the new input items and
    /// `previous_response_id` (protocol §6, docs/client.md).
    pub fn incremental(&self) -> bool {
        self.incremental
    }

    /// The headers of the (last) successful response. Over WebSocket: the upgrade answer's
    /// for the connection's first turn; on a reused connection only its connection-level
    /// headers (`openai-model`, `x-models-etag`, `x-reasoning-included`), so a later turn
    /// never reports an earlier turn's request id, rate limits or turn state.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The server's request id (`x-request-id`, `x-oai-request-id` or `cf-ray`).
    pub fn request_id(&self) -> Option<&str> {
        self.head.request_id.as_deref()
    }

    /// The model actually serving the request (`openai-model`, possibly updated by a
    /// `response.metadata` event); may differ from the one requested.
    pub fn served_model(&self) -> Option<&str> {
        self.head.served_model.as_deref()
    }

    /// The sticky-routing token (`x-codex-turn-state`) to echo on later requests of the same
    /// turn ([`crate::RequestOptionsBuilder::turn_state`]).
    pub fn turn_state(&self) -> Option<&str> {
        self.head.turn_state.as_deref()
    }

    /// The rate-limit snapshot sent with the response headers (protocol §8.2); `None` on a
    /// reused WebSocket connection, where the turn's rate limits come as `codex.rate_limits`
    /// events.
    pub fn rate_limits(&self) -> Option<codex_types::RateLimitSnapshot> {
        codex_types::RateLimitSnapshot::from_headers(&self.head.headers)
    }

    /// Every rate-limit family in the response headers (`codex` plus e.g. `codex_other`).
    pub fn all_rate_limits(&self) -> codex_types::RateLimits {
        codex_types::RateLimits::all_from_headers(&self.head.headers)
    }

    /// The `x-codex-safety-buffering-*` response headers (the server may hold output back
    /// for a safety check); `None` when not sent.
    pub fn safety_buffering_headers(&self) -> Option<codex_types::SafetyBufferingHeaders> {
        codex_types::SafetyBufferingHeaders::from_headers(&self.head.headers)
    }

    /// The model catalog version (`x-models-etag`); refetch `/models` when it changes.
    pub fn models_etag(&self) -> Option<&str> {
        self.head
            .headers
            .get("x-models-etag")
            .and_then(|v| v.to_str().ok())
    }

    /// True when the server says past reasoning tokens are already accounted
    /// (`x-reasoning-included` present and not `false`).
    pub fn reasoning_included(&self) -> bool {
        self.head
            .headers
            .get("x-reasoning-included")
            .is_some_and(|v| v.as_bytes() != b"false")
    }
}

impl TextResponse {
    /// Copies what the stream's response head said (request id, served model, turn state,
    /// safety-buffering headers).
    pub fn record_head(&mut self, stream: &ResponseStream) {
        self.request_id = stream.head.request_id.clone();
        self.served_model = stream.head.served_model.clone();
        self.turn_state = stream.head.turn_state.clone();
        self.safety_buffering_headers = stream.safety_buffering_headers();
        self.transport = stream.transport();
        self.incremental = stream.incremental;
    }
}
