//! hyper-util pooled clients over rustls, the HTTPS proxy tunnel, and error classification.
//! Nothing in here is public: hyper, hyper-util and rustls types stay private.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use bytes::BytesMut;
use http::Request;
use http::Response;
use http::Uri;
use http_body::Body as _;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioTimer;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

/// HTTP/2 flow-control window per stream (see `Transport::new` for why it is fixed).
const H2_STREAM_WINDOW: u32 = 2 * 1024 * 1024;
/// HTTP/2 flow-control window per connection.
const H2_CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;

type Direct = HttpsConnector<HttpConnector>;
type Proxied = HttpsConnector<Tunnel<HttpConnector>>;

/// TLS trust settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsSettings {
    pub(crate) webpki_roots: bool,
    pub(crate) platform_roots: bool,
    pub(crate) extra_pems: Vec<Vec<u8>>,
}

/// Proxy settings: the HTTPS proxy URL and the NO_PROXY list.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProxySettings {
    pub(crate) https_proxy: Option<String>,
    pub(crate) no_proxy: Option<String>,
}

impl ProxySettings {
    /// `HTTPS_PROXY`/`https_proxy` (falling back to `ALL_PROXY`/`all_proxy`) and
    /// `NO_PROXY`/`no_proxy`.
    pub(crate) fn from_env() -> Self {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        Self {
            https_proxy: first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// The two pooled clients (direct and through the HTTPS proxy) and the proxy decision.
pub(crate) struct Transport {
    direct: LegacyClient<Direct, Full<Bytes>>,
    proxied: Option<(Matcher, LegacyClient<Proxied, Full<Bytes>>)>,
    /// HTTP/1.1-only connectors (same TCP settings, roots and proxy) for WebSocket upgrades:
    /// an upgrade needs HTTP/1.1, which ALPN would otherwise negotiate away to h2.
    upgrade_direct: Direct,
    upgrade_proxied: Option<Proxied>,
}

/// A connection opened for an HTTP/1.1 upgrade (TLS or plain, direct or tunnelled).
pub(crate) type UpgradeIo =
    hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("proxied", &self.proxied.is_some())
            .finish()
    }
}

pub(crate) fn tls_config(s: &TlsSettings) -> Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    if s.webpki_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if s.platform_roots {
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            // A platform certificate rustls cannot use is skipped, as browsers do.
            let _ = roots.add(cert);
        }
    }
    for pem in &s.extra_pems {
        let mut n = 0usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert =
                cert.map_err(|e| Error::config("invalid root certificate pem").with_source(e))?;
            roots
                .add(cert)
                .map_err(|e| Error::config("unusable root certificate").with_source(e))?;
            n += 1;
        }
        if n == 0 {
            return Err(Error::config("root certificate pem holds no certificate"));
        }
    }
    if roots.is_empty() {
        return Err(Error::config("no trusted root certificates configured"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Tls, "tls configuration failed").with_source(e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(cfg)
}

impl Transport {
    pub(crate) fn new(
        tls: &TlsSettings,
        proxy: &ProxySettings,
        connect_timeout: Duration,
    ) -> Result<Self> {
        let tls = tls_config(tls)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let direct = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http.clone());
        let upgrade_direct = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http.clone());
        let mut upgrade_proxied = None;
        let mut builder = LegacyClient::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            // Fixed HTTP/2 windows rather than the adaptive one: h2 ends a connection
            // (GOAWAY `too_many_data_frames`) when small DATA frames pile up unread beyond a
            // budget of half the connection window, and the adaptive window starts at 64 KiB
            // (a 32 KiB budget: a few hundred SSE-sized frames, across every stream of the
            // connection). 2 MiB per stream and 8 MiB per connection give a 4 MiB budget.
            .http2_initial_stream_window_size(H2_STREAM_WINDOW)
            .http2_initial_connection_window_size(H2_CONNECTION_WINDOW);
        let direct_client = builder.build(direct);
        let proxied = match &proxy.https_proxy {
            None => None,
            Some(url) => {
                let probe = Matcher::builder().https(url.as_str()).build();
                let target: Uri = Uri::from_static("https://proxy-probe.invalid/");
                let intercept = probe
                    .intercept(&target)
                    .ok_or_else(|| Error::config("invalid https proxy url (HTTPS_PROXY)"))?;
                if intercept.uri().scheme_str() != Some("http") {
                    return Err(Error::config(
                        "only http:// proxies are supported (CONNECT tunnel)",
                    ));
                }
                let mut tunnel = Tunnel::new(intercept.uri().clone(), http.clone());
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                upgrade_proxied = Some(
                    hyper_rustls::HttpsConnectorBuilder::new()
                        .with_tls_config(tls.clone())
                        .https_only()
                        .enable_http1()
                        .wrap_connector(tunnel.clone()),
                );
                let conn = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(tls)
                    .https_only()
                    .enable_all_versions()
                    .wrap_connector(tunnel);
                let matcher = Matcher::builder()
                    .https(url.as_str())
                    .no(proxy.no_proxy.clone().unwrap_or_default())
                    .build();
                Some((matcher, builder.build(conn)))
            }
        };
        Ok(Self {
            direct: direct_client,
            proxied,
            upgrade_direct,
            upgrade_proxied,
        })
    }

    /// True when a request to `uri` goes through the HTTPS proxy (https targets only; plain
    /// http is loopback-only and always direct).
    pub(crate) fn uses_proxy(&self, uri: &Uri) -> bool {
        match &self.proxied {
            Some((m, _)) => uri.scheme_str() == Some("https") && m.intercept(uri).is_some(),
            None => false,
        }
    }

    /// Sends one request and waits for the response head.
    pub(crate) async fn send(&self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>> {
        let res = match &self.proxied {
            Some((_, client)) if self.uses_proxy(req.uri()) => client.request(req).await,
            _ => self.direct.request(req).await,
        };
        res.map_err(classify_client_error)
    }
}

impl Transport {
    /// Opens a fresh HTTP/1.1 connection to `uri`'s host (through the proxy when
    /// [`uses_proxy`](Self::uses_proxy)), for an upgrade.
    pub(crate) async fn connect_http1(&self, uri: &Uri) -> Result<UpgradeIo> {
        use tower_service::Service as _;
        let res = match &self.upgrade_proxied {
            Some(conn) if self.uses_proxy(uri) => conn.clone().call(uri.clone()).await,
            _ => self.upgrade_direct.clone().call(uri.clone()).await,
        };
        res.map_err(|e| {
            let tls = chain_has_tls(&*e);
            let (kind, msg) = if tls {
                (ErrorKind::Tls, "tls handshake failed")
            } else {
                (ErrorKind::Transport, "connection failed")
            };
            Error::new(kind, msg).with_source(e).with(|d| {
                d.connect = !tls;
                d.retryable = !tls;
            })
        })
    }
}

/// Maps a hyper-util client error to a Transport or Tls error, keeping whether it happened
/// while connecting (safe to retry).
fn classify_client_error(e: hyper_util::client::legacy::Error) -> Error {
    let connect = e.is_connect();
    let tls = chain_has_tls(&e);
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

fn chain_has_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // io::Error hides its payload from `source()`; look inside explicitly.
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && chain_has_tls(inner)
    {
        return true;
    }
    e.source().is_some_and(chain_has_tls)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_a_config_error() {
        let s = TlsSettings {
            webpki_roots: false,
            platform_roots: false,
            extra_pems: vec![b"not a pem".to_vec()],
        };
        assert_eq!(tls_config(&s).unwrap_err().kind(), ErrorKind::Config);
        let none = TlsSettings::default();
        assert_eq!(tls_config(&none).unwrap_err().kind(), ErrorKind::Config);
        let web = TlsSettings {
            webpki_roots: true,
            ..TlsSettings::default()
        };
        assert!(tls_config(&web).is_ok());
    }

    #[tokio::test]
    async fn no_proxy_decides_per_host() {
        let p = ProxySettings {
            https_proxy: Some("http://127.0.0.1:3128".into()),
            no_proxy: Some("internal.example, 10.0.0.0/8".into()),
        };
        let tls = TlsSettings {
            webpki_roots: true,
            ..TlsSettings::default()
        };
        let t = Transport::new(&tls, &p, Duration::from_secs(1)).unwrap();
        let u = |s: &str| s.parse::<Uri>().unwrap();
        assert!(t.uses_proxy(&u("https://chatgpt.com/backend-api/codex/responses")));
        assert!(!t.uses_proxy(&u("https://api.internal.example/v1")));
        assert!(!t.uses_proxy(&u("https://10.1.2.3/x")));
        assert!(!t.uses_proxy(&u("http://127.0.0.1:9/x")));
        let direct =
            Transport::new(&tls, &ProxySettings::default(), Duration::from_secs(1)).unwrap();
        assert!(!direct.uses_proxy(&u("https://chatgpt.com/")));
        let bad = ProxySettings {
            https_proxy: Some("socks5://127.0.0.1:1080".into()),
            no_proxy: None,
        };
        assert!(Transport::new(&tls, &bad, Duration::from_secs(1)).is_err());
    }
}
