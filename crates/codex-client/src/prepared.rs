//! [`Prepared`]: a request ready to be sent (possibly several times), and where it goes
//! ([`Endpoint`], [`Target`], [`ConversationHeaders`]).

use std::sync::OnceLock;

use bytes::Bytes;
use http::HeaderMap;
use http::HeaderName;
use http::HeaderValue;
use http::Method;
use http::Uri;

use crate::client::ClientInner;
#[cfg(doc)]
use crate::compression::RequestCompression;
use crate::error::Error;
use crate::error::Result;
use crate::options::RequestOptions;

/// Which host family a request goes to (decides the header set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The Codex backend (and `wham`).
    Backend,
    /// The public API (realtime calls): no conversation headers.
    PublicApi,
}

/// A request ready to be sent (possibly several times).
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) path: &'static str,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Whether the body may be zstd-compressed (`/responses` and compaction JSON bodies).
    pub(crate) compressible: bool,
    /// Whether workspace routing applies (a request under the backend base URL).
    pub(crate) routable: bool,
    /// The compressed body, made once on first use and reused by retries.
    pub(crate) zstd_body: OnceLock<Bytes>,
    /// How many idle timeouts to wait for the response head: 1, or 4 for endpoints that
    /// answer only once the server-side work is done (compaction, memories; codex-rs gives
    /// compaction 4 × the stream idle timeout).
    pub(crate) head_wait_factor: u32,
}

impl Prepared {
    /// Waits up to `factor` idle timeouts for the response head.
    pub(crate) fn with_head_wait_factor(mut self, factor: u32) -> Self {
        self.head_wait_factor = factor.max(1);
        self
    }

    /// Lets the body go out zstd-compressed (see [`RequestCompression`]).
    pub(crate) fn compressible(mut self) -> Self {
        self.compressible = true;
        self
    }

    /// The compressed body (compressed on first call).
    pub(crate) fn zstd_body(&self) -> Result<Bytes> {
        if let Some(b) = self.zstd_body.get() {
            return Ok(b.clone());
        }
        let b = crate::compression::compress_body(&self.body)?;
        Ok(self.zstd_body.get_or_init(|| b).clone())
    }
}

impl Prepared {
    /// Builds a request: client headers, then options headers, then `extra` (content type,
    /// accept).
    pub(crate) fn new(
        client: &ClientInner,
        endpoint: Endpoint,
        opts: &RequestOptions,
        body: Bytes,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<Self> {
        let Endpoint {
            method,
            uri,
            path,
            target,
            conversation: conversation_headers,
        } = endpoint;
        if let Some(msg) = opts.invalid {
            return Err(Error::config(msg));
        }
        let mut headers = client.cfg.headers.clone();
        if target == Target::Backend {
            if let Some(id) = &opts.conversation_id {
                match conversation_headers {
                    ConversationHeaders::All => {
                        headers.insert(HeaderName::from_static("session-id"), id.clone());
                        headers.insert(HeaderName::from_static("thread-id"), id.clone());
                        headers.insert(HeaderName::from_static("x-client-request-id"), id.clone());
                    }
                    ConversationHeaders::Session => {
                        headers.insert(HeaderName::from_static("session-id"), id.clone());
                        headers.insert(HeaderName::from_static("thread-id"), id.clone());
                    }
                    ConversationHeaders::None => {}
                }
            }
            if let Some(ts) = &opts.turn_state {
                headers.insert(HeaderName::from_static("x-codex-turn-state"), ts.clone());
            }
        }
        for (k, v) in &opts.headers {
            headers.insert(k.clone(), v.clone());
        }
        for (k, v) in extra {
            headers.insert(k.clone(), v.clone());
        }
        let routable =
            target == Target::Backend && uri.to_string().starts_with(client.cfg.base_url.as_str());
        Ok(Self {
            method,
            uri,
            path,
            headers,
            body,
            compressible: false,
            routable,
            zstd_body: OnceLock::new(),
            head_wait_factor: 1,
        })
    }
}

/// Where a request goes and which identity headers it carries.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    /// The path recorded in spans (no query, no host).
    pub(crate) path: &'static str,
    pub(crate) target: Target,
    pub(crate) conversation: ConversationHeaders,
}

/// Which conversation headers an endpoint sends (protocol §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConversationHeaders {
    /// `session-id`, `thread-id`, `x-client-request-id` (`/responses`).
    All,
    /// `session-id`, `thread-id` (`/responses/compact`).
    Session,
    /// None.
    None,
}
