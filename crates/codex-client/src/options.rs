//! Per-request options.

use std::time::Duration;
use std::time::SystemTime;

use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;

use crate::abort::AbortHandle;
use crate::identity::RequestKind;

/// Per-request options: conversation identity, turn state, extra headers, abort handle and
/// deadline. Build with [`RequestOptions::builder`]; `RequestOptions::default()` sends none.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestOptions {
    pub(crate) conversation_id: Option<HeaderValue>,
    pub(crate) turn_state: Option<HeaderValue>,
    pub(crate) headers: HeaderMap,
    pub(crate) abort: Option<AbortHandle>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) track_text: bool,
    pub(crate) invalid: Option<&'static str>,
    pub(crate) turn_id: Option<String>,
    pub(crate) turn_started_at: Option<SystemTime>,
    pub(crate) window_number: u64,
    pub(crate) request_kind: RequestKind,
    pub(crate) beta_features: Vec<String>,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl RequestOptions {
    /// A builder with nothing set.
    pub fn builder() -> RequestOptionsBuilder {
        RequestOptionsBuilder {
            opts: Self {
                conversation_id: None,
                turn_state: None,
                headers: HeaderMap::new(),
                abort: None,
                timeout: None,
                track_text: true,
                invalid: None,
                turn_id: None,
                turn_started_at: None,
                window_number: 0,
                request_kind: RequestKind::Turn,
                beta_features: Vec::new(),
            },
        }
    }

    /// No options (same as `Default`).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// The conversation id, if set.
    pub fn conversation_id(&self) -> Option<&str> {
        self.conversation_id.as_ref().and_then(|v| v.to_str().ok())
    }

    /// The turn state echoed as `x-codex-turn-state`, if set.
    pub fn turn_state(&self) -> Option<&str> {
        self.turn_state.as_ref().and_then(|v| v.to_str().ok())
    }

    /// The abort handle, if set.
    pub fn abort_handle(&self) -> Option<&AbortHandle> {
        self.abort.as_ref()
    }

    /// The turn id, if set (otherwise each request gets a fresh UUIDv7).
    pub fn turn_id(&self) -> Option<&str> {
        self.turn_id.as_deref()
    }

    /// The context window number (`x-codex-window-id: <thread id>:<n>`; default 0).
    pub fn window_number(&self) -> u64 {
        self.window_number
    }

    /// What the request does (default [`RequestKind::Turn`]).
    pub fn request_kind(&self) -> RequestKind {
        self.request_kind
    }
}

/// Builder of [`RequestOptions`]. Setters never fail; an invalid value (a conversation id or
/// turn state that is not a valid header value) makes the request fail with
/// [`crate::ErrorKind::Config`].
#[derive(Clone, Debug)]
#[must_use]
pub struct RequestOptionsBuilder {
    opts: RequestOptions,
}

impl RequestOptionsBuilder {
    /// One id per conversation (a UUIDv7 as the official client makes them, see
    /// [`crate::new_uuid_v7`]; stable across turns): sent as `session-id`, `thread-id` and
    /// `x-client-request-id`, used as the body's `prompt_cache_key` when the request has none
    /// (protocol §3.3), and as the thread of `x-codex-window-id` and `x-codex-turn-metadata`.
    pub fn conversation_id(mut self, id: impl AsRef<str>) -> Self {
        match HeaderValue::from_str(id.as_ref()) {
            Ok(v) => self.opts.conversation_id = Some(v),
            Err(_) => self.opts.invalid = Some("conversation id is not a valid header value"),
        }
        self
    }

    /// The sticky-routing token from a previous response of the same turn
    /// ([`crate::ResponseStream::turn_state`]), echoed as `x-codex-turn-state`. Never reuse it
    /// across turns.
    pub fn turn_state(mut self, state: impl AsRef<str>) -> Self {
        match HeaderValue::from_str(state.as_ref()) {
            Ok(v) => self.opts.turn_state = Some(v),
            Err(_) => self.opts.invalid = Some("turn state is not a valid header value"),
        }
        self
    }

    /// An extra header for this request (replaces a client-wide header of the same name).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.opts.headers.insert(name, value);
        self
    }

    /// A handle another task can use to stop this request or stream.
    pub fn abort_handle(mut self, handle: AbortHandle) -> Self {
        self.opts.abort = Some(handle);
        self
    }

    /// A total deadline for this request, from the call until the stream ends (overrides the
    /// client's [`crate::ClientBuilder::timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.timeout = Some(timeout);
        self
    }

    /// Whether the stream accumulates the output text for
    /// [`crate::ResponseStream::received_text`] and [`crate::Error::partial_text`] (default
    /// on). Turn it off for very long outputs whose text the caller keeps itself.
    pub fn track_text(mut self, yes: bool) -> Self {
        self.opts.track_text = yes;
        self
    }

    /// The id of the turn this request belongs to (a UUIDv7, see
    /// [`crate::new_uuid_v7`]), sent in `x-codex-turn-metadata`. Keep it for every request
    /// of one user turn (tool follow-ups included). Default: a fresh id per request.
    pub fn turn_id(mut self, id: impl Into<String>) -> Self {
        self.opts.turn_id = Some(id.into());
        self
    }

    /// When the turn started (`turn_started_at_unix_ms` in the turn metadata). Default: the
    /// time of the request.
    pub fn turn_started_at(mut self, at: SystemTime) -> Self {
        self.opts.turn_started_at = Some(at);
        self
    }

    /// The context window number of the conversation (default 0): sent as
    /// `x-codex-window-id: <conversation id>:<n>` and in the turn metadata. It goes up by
    /// one after each compaction.
    pub fn window_number(mut self, n: u64) -> Self {
        self.opts.window_number = n;
        self
    }

    /// What the request does (`request_kind` in the turn metadata; default
    /// [`RequestKind::Turn`]).
    pub fn request_kind(mut self, kind: RequestKind) -> Self {
        self.opts.request_kind = kind;
        self
    }

    /// Adds a key to `x-codex-beta-features` for this request (after the client's
    /// [`crate::ClientBuilder::beta_feature`]s; duplicates are sent once).
    pub fn beta_feature(mut self, feature: impl Into<String>) -> Self {
        self.opts.beta_features.push(feature.into());
        self
    }

    /// The options.
    pub fn build(self) -> RequestOptions {
        self.opts
    }
}
