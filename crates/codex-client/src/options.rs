//! Per-request options.

use std::time::Duration;

use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;

use crate::abort::AbortHandle;

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
    /// One id per conversation (a UUID, stable across turns): sent as `session-id`,
    /// `thread-id` and `x-client-request-id`, and used as the body's `prompt_cache_key` when
    /// the request has none (protocol §3.3).
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

    /// The options.
    pub fn build(self) -> RequestOptions {
        self.opts
    }
}
