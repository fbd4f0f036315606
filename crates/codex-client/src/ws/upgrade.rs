//! The WebSocket upgrade (protocol §6): `GET {base}/responses` over a new HTTP/1.1
//! connection of the client's own connector, with credentials, one 401 recovery and the
//! connect timeout; the `101` answer's headers are kept on the connection.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::HeaderMap;
use http::HeaderValue;
use http::Method;
use http::Request;
use http::StatusCode;
use http::Uri;
use http::header;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::Conn;
use super::ConnKey;
use super::Failed;
use super::Fallback;
use super::MAX_MESSAGE;
use super::Turn;
use crate::client::Attempts;
use crate::client::ClientInner;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::status;

/// Opens a connection: the upgrade with credentials, one 401 recovery, the connect timeout.
/// `request`: the upgrade request when the caller already built it (to look in the pool);
/// after a 401 recovery it is built again with the new credentials.
pub(super) async fn connect(
    client: &ClientInner,
    turn: &Turn,
    attempts: &mut Attempts,
    mut request: Option<UpgradeRequest>,
) -> std::result::Result<Conn, Failed> {
    loop {
        let request = match request.take() {
            Some(r) => r,
            None => upgrade_request(client, turn, attempts).await?,
        };
        let within = client.cfg.connect_timeout;
        let span = tracing::info_span!("attempt", upgrade = true, refreshed = attempts.refreshed);
        let attempt = tracing::Instrument::instrument(upgrade(client, request), span);
        let answer = tokio::time::timeout(within, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(
                    Error::new(ErrorKind::Transport, "websocket connect timed out")
                        .with(|d| d.retryable = true),
                )
            })
            .map_err(Failed::upgrade)?;
        let (status, headers, body) = match answer {
            Upgrade::Done(conn) => return Ok(*conn),
            Upgrade::Refused(s, h, b) => (s, h, b),
        };
        if status == StatusCode::UNAUTHORIZED {
            if client
                .refresh_after_401(attempts)
                .await
                .map_err(Failed::never)?
            {
                continue;
            }
            return Err(Failed::never(status::http_error(status, &headers, &body)));
        }
        let fallback = if status == StatusCode::UPGRADE_REQUIRED {
            client.ws.sse_only.store(true, Ordering::Relaxed);
            Fallback::ForClient
        } else {
            Fallback::ForTurn
        };
        tracing::info!(status = status.as_u16(), "websocket upgrade refused");
        return Err(Failed {
            error: status::http_error(status, &headers, &body),
            fallback,
        });
    }
}

/// The URL and headers of an upgrade, and the [`ConnKey`] a connection opened with them has.
pub(super) struct UpgradeRequest {
    uri: Uri,
    headers: HeaderMap,
    pub(super) key: ConnKey,
}

/// The upgrade `turn` would send now: the current credentials (fetched as for an HTTP
/// request) and workspace routing applied.
pub(super) async fn upgrade_request(
    client: &ClientInner,
    turn: &Turn,
    attempts: &mut Attempts,
) -> std::result::Result<UpgradeRequest, Failed> {
    client
        .ensure_credentials(attempts)
        .await
        .map_err(Failed::never)?;
    // The upgrade follows workspace routing like an HTTP request.
    let route = client
        .route_of(&turn.prepared, attempts.creds.as_ref())
        .await;
    let (uri, headers) = client
        .routed_request(&turn.prepared, route.as_deref(), attempts.creds.as_ref())
        .map_err(Failed::never)?;
    let key = ConnKey::new(&uri, &headers);
    Ok(UpgradeRequest { uri, headers, key })
}

enum Upgrade {
    Done(Box<Conn>),
    Refused(StatusCode, HeaderMap, Bytes),
}

fn handshake_error(msg: &'static str) -> impl FnOnce(hyper::Error) -> Error {
    move |e| {
        Error::new(ErrorKind::Transport, msg)
            .with_source(e)
            .with(|d| d.retryable = true)
    }
}

/// One HTTP/1.1 upgrade attempt on a new connection.
async fn upgrade(client: &ClientInner, request: UpgradeRequest) -> Result<Upgrade> {
    let UpgradeRequest {
        uri,
        mut headers,
        key: conn_key,
    } = request;
    let uri = &uri;
    let io = client.transport.connect_http1(uri).await?;
    let (mut send, conn) = hyper::client::conn::http1::Builder::new()
        .handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(handshake_error("websocket handshake failed"))?;
    // Drives the connection until the upgrade hands it over (or it fails); it ends with
    // `send` at the latest, so it cannot outlive this attempt's connection.
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let key = generate_key();
    let authority = uri
        .authority()
        .ok_or_else(|| Error::config("websocket url has no host"))?;
    let host = HeaderValue::from_str(authority.as_str())
        .map_err(|e| Error::config("invalid host").with_source(e))?;
    headers.insert(header::HOST, host);
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(
        header::SEC_WEBSOCKET_VERSION,
        HeaderValue::from_static("13"),
    );
    let key_value = HeaderValue::from_str(&key)
        .map_err(|e| Error::config("invalid websocket key").with_source(e))?;
    headers.insert(header::SEC_WEBSOCKET_KEY, key_value);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Empty::new())
        .map_err(|e| Error::config("invalid request").with_source(e))?;
    *req.headers_mut() = headers;
    let resp = send
        .send_request(req)
        .await
        .map_err(handshake_error("websocket handshake failed"))?;
    if let Some(jar) = &client.cookies {
        jar.store(uri, resp.headers());
    }
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        let (parts, body) = resp.into_parts();
        let idle = client.cfg.idle_timeout;
        let bytes = crate::transport::read_error_body(
            body,
            crate::client::MAX_ERROR_BODY_READ,
            idle.min(crate::client::MAX_ERROR_BODY_WAIT),
        )
        .await;
        return Ok(Upgrade::Refused(parts.status, parts.headers, bytes));
    }
    let accept = resp.headers().get(header::SEC_WEBSOCKET_ACCEPT);
    if accept.map(HeaderValue::as_bytes) != Some(derive_accept_key(key.as_bytes()).as_bytes()) {
        return Err(Error::new(
            ErrorKind::Transport,
            "websocket upgrade answered with a wrong Sec-WebSocket-Accept",
        ));
    }
    let head = resp.headers().clone();
    let upgraded = hyper::upgrade::on(resp)
        .await
        .map_err(handshake_error("websocket upgrade failed"))?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let socket =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, Some(config)).await;
    Ok(Upgrade::Done(Box::new(Conn {
        socket,
        key: conn_key,
        opened: Instant::now(),
        headers: head,
        last: None,
    })))
}
