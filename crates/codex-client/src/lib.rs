//! hyper + rustls transport for the ChatGPT Codex backend: every endpoint, retries, timeouts,
//! abort and typed errors.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo(provider: std::sync::Arc<dyn codex_auth::TokenProvider>) -> Result<(), Box<dyn std::error::Error>> {
//! use codex_client::{Client, RequestOptions};
//! use codex_types::{ResponseItem, ResponsesRequest};
//!
//! // Defaults: https://chatgpt.com/backend-api/codex (or CODEX_BASE_URL), 300 s idle timeout.
//! let client = Client::builder().token_provider(provider).build()?;
//! let request = ResponsesRequest::builder("gpt-5.4")
//!     .push_input(ResponseItem::user_text("Say hi"))
//!     .build()?;
//! // One UUID per conversation: session-id, thread-id, x-client-request-id, prompt_cache_key.
//! let opts = RequestOptions::builder()
//!     .conversation_id("5f0c6a3e-9a6e-4c55-9a39-0a7c1f0d2b11")
//!     .build();
//! let stream = client.responses().stream(&request, &opts).await?;
//! let reply = stream.collect_text().await?;
//! println!("{} ({:?})", reply.text, reply.usage);
//! # Ok(()) }
//! ```
//!
//! # Example: streaming events
//!
//! ```no_run
//! # async fn demo(client: codex_client::Client, request: codex_types::ResponsesRequest) -> Result<(), codex_client::Error> {
//! use futures_util::StreamExt;
//!
//! let mut stream = client.responses().stream(&request, &Default::default()).await?;
//! while let Some(event) = stream.next().await {
//!     match event {
//!         Ok(event) => println!("{event:?}"),
//!         // A decode error is one bad event; the stream goes on.
//!         Err(e) if e.kind() == codex_client::ErrorKind::Decode => eprintln!("skipped: {e}"),
//!         Err(e) => {
//!             eprintln!("{}: {e} (partial text: {:?})", e.kind().as_str(), e.partial_text());
//!             break;
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # What it guarantees
//!
//! - **Never hangs**: a connect timeout, an idle timeout on every response (waiting for the
//!   head and between body bytes; keep-alive comments count as activity; default 300 s), and
//!   an optional total deadline. After `response.completed` the stream ends at once.
//! - **Never retries unsafely**: whether a failure is retryable is decided once, by the
//!   classifier of `codex-types`; request retries (see [`RetryPolicy`]) happen only before the
//!   caller has seen any event, and whole-turn retries
//!   ([`RetryPolicy::turn_delay_for`]) are for callers that hand no output over (the facade's
//!   one-shot calls); a [`ResponseStream`] never resends after yielding an event.
//! - **Never leaks a token**: `https` only (plain `http` is accepted for loopback hosts only),
//!   redirects are never followed, the `Authorization` header is marked sensitive, spans and
//!   errors carry no tokens or bodies.
//! - **Says what went wrong**: one [`Error`] with a [`kind`](Error::kind) and the details
//!   that kind has (status, request id, retry-after, plan and reset time, event type and byte
//!   offset, partial text).
//!
//! # Transport
//!
//! Requests go through [`codex_auth::net::Connector`], the workspace's one HTTP stack, also
//! used by the OAuth issuer requests: one pooled hyper-util client per [`Client`] (HTTP/1.1 and
//! HTTP/2 via ALPN) over rustls (aws-lc-rs provider, post-quantum `X25519MLKEM768` key exchange
//! preferred) with the webpki roots; [`ClientBuilder::platform_roots`] adds the platform's
//! roots, [`ClientBuilder::add_root_certificate_pem`] and [`ClientBuilder::ca_certificate`]
//! extra CAs (else the PEM bundle named by `CODEX_CA_CERTIFICATE`, or by `SSL_CERT_FILE`).
//! `HTTPS_PROXY` (or `ALL_PROXY`) is honoured for `https` targets with a CONNECT tunnel
//! through an `http://` proxy, except for hosts matched by `NO_PROXY`.
//! [`ClientBuilder::connector`] shares one connector (and its pool) with the issuer. Cookies the servers set are kept in memory per exact host
//! and sent back to that host only ([`ClientBuilder::cookie_store`]).
//!
//! `POST /responses` turns go over a WebSocket first (protocol §6) and fall back to HTTP SSE
//! ([`Transport::Auto`], the default; [`ClientBuilder::transport`] chooses `Sse` or
//! `WebSocket` only). The upgrade uses the same connector, roots, proxy and timeouts; the
//! events, errors and retries are the same over both, and a turn whose request extends the
//! previous one on the same connection uploads only its new items
//! ([`ResponseStream::incremental`]). A turn gets its credentials first, as an HTTP request
//! does, and reuses an idle connection only when it was upgraded with the same credentials,
//! account, URL and other connection-level headers. docs/client.md has the rules.
//!
//! Credentials come from a [`codex_auth::TokenProvider`]. A 401 triggers one
//! `refresh_after_unauthorized` and one retry; a second 401 is [`ErrorKind::LoginRequired`].
//!
//! # Cancel safety
//!
//! [`ResponseStream`] spawns nothing: it polls the HTTP body only inside `poll_next`, so
//! dropping it closes the connection (over WebSocket: the socket, when its response had not
//! completed; a completed one goes back to the pool). Only a WebSocket upgrade spawns a task:
//! the HTTP/1.1 connection driver, which ends when the upgrade hands the connection over.
//! `StreamExt::next` is cancel-safe (an event is either returned or still buffered). Dropping a request future cancels the request. An
//! [`AbortHandle`] (or [`Client::abort_all`]) stops requests from another task.
//!
//! # Features
//!
//! This crate has no optional features.

mod abort;
mod builder;
mod client;
mod compression;
mod cookies;
mod endpoints;
mod error;
mod events;
mod identity;
mod models_cache;
mod multipart;
mod options;
mod prepared;
mod retry;
mod routing;
mod status;
mod stream;
mod text_response;
mod transport;
mod url;
mod ws;

pub use abort::AbortHandle;
pub use builder::ClientBuilder;
pub use client::Client;
pub use client::DEFAULT_CLIENT_VERSION;
pub use client::DEFAULT_CONNECT_TIMEOUT;
pub use client::DEFAULT_IDLE_TIMEOUT;
pub use client::DEFAULT_ORIGINATOR;
pub use codex_auth::net::Connector;
pub use codex_auth::net::ConnectorBuilder;
pub use compression::RequestCompression;
pub use compression::compress_body;
pub use endpoints::Compact;
pub use endpoints::Memories;
pub use endpoints::ModelCatalog;
pub use endpoints::Models;
pub use endpoints::Realtime;
pub use endpoints::Responses;
pub use endpoints::UsageEndpoint;
pub use error::Error;
pub use error::ErrorKind;
pub use error::Result;
pub use identity::RequestKind;
pub use identity::new_uuid_v4;
pub use identity::new_uuid_v7;
pub use models_cache::DEFAULT_MODELS_CACHE_TTL;
pub use models_cache::MODELS_CACHE_FILE_NAME;
pub use models_cache::ModelsCache;
pub use options::RequestOptions;
pub use options::RequestOptionsBuilder;
pub use retry::RetryPolicy;
pub use retry::RetryPolicyBuilder;
pub use retry::TurnRetry;
pub use stream::ResponseStream;
pub use text_response::TextResponse;
pub use url::DEFAULT_API_BASE_URL;
pub use url::DEFAULT_BASE_URL;
pub use ws::Transport;

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn public_types_are_thread_safe() {
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::AbortHandle>();
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::RequestOptions>();
        assert_send::<crate::ResponseStream>();
    }
}
