//! The request path over the workspace's one HTTP stack ([`codex_auth::net::Connector`]: pooled
//! hyper-util clients over rustls, the HTTPS proxy tunnel), and error classification.
//! Nothing in here is public: hyper, hyper-util and rustls types stay private.

use std::time::Duration;

use bytes::Bytes;
use bytes::BytesMut;
use codex_auth::net::Connector;
use codex_auth::net::is_tls_error;
use http::Request;
use http::Response;
use http::Uri;
use http_body::Body as _;
use http_body_util::Full;
use hyper::body::Incoming;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

/// The shared connector, and the mapping of its errors to this crate's.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    connector: Connector,
}

impl Transport {
    pub(crate) fn new(connector: Connector) -> Self {
        Self { connector }
    }

    /// Sends one request and waits for the response head.
    pub(crate) async fn send(&self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>> {
        self.connector
            .__send(req)
            .await
            .map_err(classify_client_error)
    }
}

/// A connection opened for an HTTP/1.1 upgrade (TLS or plain, direct or tunnelled).
pub(crate) type UpgradeIo =
    hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;

impl Transport {
    /// Opens a fresh HTTP/1.1 connection to `uri`'s host (through the proxy when the
    /// connector sends `uri` through it), for an upgrade: the one HTTP stack's HTTP/1.1-only
    /// path (same roots, extra CA, proxy and connect timeout as every other request).
    pub(crate) async fn connect_http1(&self, uri: &Uri) -> Result<UpgradeIo> {
        self.connector
            .__connect_http1(uri.clone())
            .await
            .map_err(|e| connection_error(e, true))
    }
}

/// Maps a hyper-util client error to a Transport or Tls error, keeping whether it happened
/// while connecting (safe to retry).
fn classify_client_error(e: hyper_util::client::legacy::Error) -> Error {
    let connect = e.is_connect();
    connection_error(Box::new(e), connect)
}

/// A failure to connect (`connect`) or to send: Tls when the handshake or certificate failed,
/// else Transport.
fn connection_error(e: Box<dyn std::error::Error + Send + Sync>, connect: bool) -> Error {
    let tls = is_tls_error(&*e);
    let (kind, msg) = if tls {
        (ErrorKind::Tls, "tls handshake failed")
    } else if connect {
        (ErrorKind::Transport, "connection failed")
    } else {
        (ErrorKind::Transport, "request failed")
    };
    // A certificate or handshake failure will not fix itself: not retried.
    Error::new(kind, msg).with_source(e).with(|d| {
        d.connect = connect && !tls;
        d.retryable = !tls;
    })
}

/// Maps an error while reading a response body.
pub(crate) fn body_error(e: hyper::Error) -> Error {
    Error::new(
        ErrorKind::Transport,
        "connection lost while reading the response",
    )
    .with_source(e)
    .with(|d| d.retryable = true)
}

/// Reads a whole (non-streaming) body: at most `limit` bytes, and no gap between chunks
/// longer than `idle`.
pub(crate) async fn read_body(mut body: Incoming, limit: usize, idle: Duration) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let next = tokio::time::timeout(idle, frame).await.map_err(|_| {
            Error::new(
                ErrorKind::IdleTimeout,
                "idle timeout while reading the response",
            )
            .with(|d| d.retryable = true)
        })?;
        match next {
            None => return Ok(buf.freeze()),
            Some(Err(e)) => return Err(body_error(e)),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return Err(Error::new(
                            ErrorKind::Decode,
                            format!("response body larger than {limit} bytes"),
                        ));
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

/// Reads an error body for at most `within` in total and at most `limit` bytes, keeping
/// whatever arrived: a body cut short, stalled or too long is truncated, never discarded.
pub(crate) async fn read_error_body(mut body: Incoming, limit: usize, within: Duration) -> Bytes {
    let mut buf = BytesMut::new();
    let deadline = tokio::time::Instant::now().checked_add(within);
    while buf.len() < limit {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, frame).await {
                Ok(next) => next,
                Err(_) => break,
            },
            None => frame.await,
        };
        match next {
            None | Some(Err(_)) => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let room = limit - buf.len();
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
        }
    }
    buf.freeze()
}
