//! The workspace's one HTTP stack: every connection the SDK opens (the Codex backend, the OAuth
//! issuer, realtime calls) is made by a [`Connector`], so proxy, trusted roots, extra CA,
//! timeouts and HTTP/2 settings are decided here once.
//!
//! It lives in `codex-auth`, the lowest crate that speaks HTTP, so that `codex-client` builds on
//! it without `codex-auth` knowing anything of the Responses API. No `hyper`, `hyper-util` or
//! `rustls` type appears in this module's public API; `codex-client` reaches the pooled clients
//! through the private `__internal` feature, which is outside semver.
//!
//! # Trust
//!
//! The bundled Mozilla roots (`webpki-roots`) by default; optionally the platform's roots; plus
//! every extra CA: [`ConnectorBuilder::add_root_certificate_pem`],
//! [`ConnectorBuilder::ca_certificate`], or, when neither `ca_certificate` was called, the file
//! named by `CODEX_CA_CERTIFICATE`, else by `SSL_CERT_FILE` (as the official client: the first
//! non-empty one wins, an empty value counts as unset). The file is a PEM bundle of one or more
//! `CERTIFICATE` blocks (other blocks, such as CRLs or keys, are ignored); its certificates are
//! added to the roots, they do not replace them. A missing, unreadable or certificate-less file
//! fails [`ConnectorBuilder::build`] with [`ErrorKind::Config`](crate::ErrorKind::Config)
//! before any network traffic.
//!
//! # Proxy
//!
//! `https` targets go through an `http://` proxy with a CONNECT tunnel when `HTTPS_PROXY`
//! (`https_proxy`, falling back to `ALL_PROXY`/`all_proxy`) or
//! [`ConnectorBuilder::proxy`] names one, except for the hosts of `NO_PROXY` (`no_proxy`) or
//! [`ConnectorBuilder::no_proxy`]. Plain `http` (loopback only) always goes direct.
//!
//! # TLS
//!
//! rustls with the aws-lc-rs provider: TLS 1.3 and 1.2, post-quantum hybrid key exchange
//! (`X25519MLKEM768`) offered first. `docs/performance.md` records why and at what build cost.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body_util::Full;
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

use crate::Error;
use crate::error::Result;

/// Environment variable naming an extra trusted CA bundle (PEM); wins over `SSL_CERT_FILE`.
pub const ENV_CA_CERTIFICATE: &str = "CODEX_CA_CERTIFICATE";
/// Environment variable naming an extra trusted CA bundle (PEM) when `CODEX_CA_CERTIFICATE` is
/// unset or empty.
pub const ENV_SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// The default TCP connect timeout (also bounds the proxy's CONNECT answer).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// HTTP/2 flow-control window per stream (see [`ConnectorBuilder::build`] for why it is fixed).
const H2_STREAM_WINDOW: u32 = 2 * 1024 * 1024;
/// HTTP/2 flow-control window per connection.
const H2_CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;
/// How long an unused pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(90);

type Direct = HttpsConnector<HttpConnector>;
type Proxied = HttpsConnector<Tunnel<HttpConnector>>;

/// Where an extra CA bundle file came from (named in errors).
#[derive(Clone, Debug)]
struct CaFile {
    path: PathBuf,
    source: &'static str,
}

/// The first of `CODEX_CA_CERTIFICATE` and `SSL_CERT_FILE` that is set and not empty.
fn ca_file_from_env(var: impl Fn(&str) -> Option<String>) -> Option<CaFile> {
    [ENV_CA_CERTIFICATE, ENV_SSL_CERT_FILE]
        .into_iter()
        .find_map(|name| {
            var(name).filter(|v| !v.is_empty()).map(|v| CaFile {
                path: PathBuf::from(v),
                source: name,
            })
        })
}

/// Settings of a [`Connector`]. Setters never fail; [`build`](Self::build) reports problems as
/// [`ErrorKind::Config`](crate::ErrorKind::Config). `Debug` shows whether a proxy is set, not
/// its URL (which may carry a password).
#[derive(Clone)]
#[must_use]
pub struct ConnectorBuilder {
    connect_timeout: Duration,
    webpki_roots: bool,
    platform_roots: bool,
    extra_pems: Vec<Vec<u8>>,
    ca_file: Option<CaFile>,
    https_proxy: Option<String>,
    no_proxy: Option<String>,
}

impl std::fmt::Debug for ConnectorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("webpki_roots", &self.webpki_roots)
            .field("platform_roots", &self.platform_roots)
            .field("extra_pems", &self.extra_pems.len())
            .field("ca_file", &self.ca_file)
            .field("has_proxy", &self.https_proxy.is_some())
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Default for ConnectorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ConnectorBuilder {
    /// Defaults, with `HTTPS_PROXY`/`ALL_PROXY`, `NO_PROXY`, `CODEX_CA_CERTIFICATE` and
    /// `SSL_CERT_FILE` read from the environment (explicit setters win).
    pub fn new() -> Self {
        let var = |n: &str| std::env::var(n).ok();
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
        };
        Self {
            https_proxy: first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
            ca_file: ca_file_from_env(var),
            ..Self::without_env()
        }
    }

    /// Defaults without reading the environment: webpki roots, no proxy, no extra CA.
    pub fn without_env() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            webpki_roots: true,
            platform_roots: false,
            extra_pems: Vec::new(),
            ca_file: None,
            https_proxy: None,
            no_proxy: None,
        }
    }

    /// TCP connect timeout (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Trusts the CA certificates in this PEM (in addition to the other roots).
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.extra_pems.push(pem.as_ref().to_vec());
        self
    }

    /// Trusts the CA certificates of this PEM bundle file, read by [`build`](Self::build), in
    /// addition to the other roots. Replaces the file named by `CODEX_CA_CERTIFICATE` or
    /// `SSL_CERT_FILE`.
    pub fn ca_certificate(mut self, path: impl AsRef<Path>) -> Self {
        self.ca_file = Some(CaFile {
            path: path.as_ref().to_path_buf(),
            source: "ca_certificate",
        });
        self
    }

    /// Also trusts the platform's root certificates (default off).
    pub fn platform_roots(mut self, yes: bool) -> Self {
        self.platform_roots = yes;
        self
    }

    /// Trusts the bundled Mozilla (webpki) roots (default on).
    pub fn webpki_roots(mut self, yes: bool) -> Self {
        self.webpki_roots = yes;
        self
    }

    /// The HTTPS proxy (an `http://` URL, reached with a CONNECT tunnel), overriding
    /// `HTTPS_PROXY`; `None` disables the proxy.
    pub fn proxy(mut self, url: Option<String>) -> Self {
        self.https_proxy = url;
        self
    }

    /// Hosts that bypass the proxy (the `NO_PROXY` syntax), overriding `NO_PROXY`.
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.no_proxy = Some(list.into());
        self
    }

    /// Reads the CA file, checks every certificate and the proxy URL, and builds the pooled
    /// clients. Makes no network call.
    ///
    /// HTTP/2 uses fixed flow-control windows rather than the adaptive one: h2 ends a
    /// connection (GOAWAY `too_many_data_frames`) when small DATA frames pile up unread beyond
    /// a budget of half the connection window, and the adaptive window starts at 64 KiB (a
    /// 32 KiB budget: a few hundred SSE-sized frames, across every stream of the connection).
    /// 2 MiB per stream and 8 MiB per connection give a 4 MiB budget.
    pub fn build(&self) -> Result<Connector> {
        let tls = self.tls_config()?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(self.connect_timeout));
        http.set_nodelay(true);
        let mut builder = LegacyClient::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE)
            .http2_initial_stream_window_size(H2_STREAM_WINDOW)
            .http2_initial_connection_window_size(H2_CONNECTION_WINDOW);
        let direct_http1 = https(&tls, http.clone(), false, false);
        let direct = https(&tls, http.clone(), false, true);
        let proxied = match &self.https_proxy {
            None => None,
            Some(url) => {
                let probe = Matcher::builder().https(url.as_str()).build();
                let target = Uri::from_static("https://proxy-probe.invalid/");
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
                let http1 = https(&tls, tunnel.clone(), true, false);
                let conn = https(&tls, tunnel, true, true);
                let matcher = Matcher::builder()
                    .https(url.as_str())
                    .no(self.no_proxy.clone().unwrap_or_default())
                    .build();
                Some((
                    ProxiedClient {
                        matcher,
                        client: builder.build(conn),
                    },
                    http1,
                ))
            }
        };
        Ok(Connector {
            inner: Arc::new(Inner {
                direct: builder.build(direct),
                http1: Http1Connectors {
                    direct: direct_http1,
                    proxied: proxied.as_ref().map(|(_, h)| h.clone()),
                },
                proxied: proxied.map(|(p, _)| p),
                connect_timeout: self.connect_timeout,
            }),
        })
    }

    /// The rustls client configuration: roots, extra CAs and the crypto provider.
    fn tls_config(&self) -> Result<rustls::ClientConfig> {
        let mut roots = RootCertStore::empty();
        if self.webpki_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if self.platform_roots {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A platform certificate rustls cannot use is skipped, as browsers do.
                let _ = roots.add(cert);
            }
        }
        for pem in &self.extra_pems {
            for cert in parse_pem_certs(pem)? {
                add_root(&mut roots, cert)?;
            }
        }
        if let Some(file) = &self.ca_file {
            for cert in read_ca_file(file)? {
                add_root(&mut roots, cert)?;
            }
        }
        if roots.is_empty() {
            return Err(Error::config("no trusted root certificates configured"));
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config("cannot configure TLS").with_source(e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(cfg)
    }
}

/// TLS over `conn` (`https_only`: refuse plain http, as through the proxy), offering
/// HTTP/1.1 and, with `h2`, HTTP/2 by ALPN.
fn https<C>(tls: &rustls::ClientConfig, conn: C, https_only: bool, h2: bool) -> HttpsConnector<C> {
    let b = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls.clone());
    let b = if https_only {
        b.https_only()
    } else {
        b.https_or_http()
    }
    .enable_http1();
    if h2 {
        b.enable_http2().wrap_connector(conn)
    } else {
        b.wrap_connector(conn)
    }
}

fn add_root(roots: &mut RootCertStore, cert: CertificateDer<'static>) -> Result<()> {
    roots
        .add(cert)
        .map_err(|e| Error::config("a root certificate is not valid").with_source(e))
}

/// Parses every certificate of a PEM bundle; errors when there is none or one is malformed.
/// Blocks other than `CERTIFICATE` are skipped.
pub(crate) fn parse_pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem) {
        out.push(c.map_err(|_| Error::config("the root certificate PEM is malformed"))?);
    }
    if out.is_empty() {
        return Err(Error::config(
            "the root certificate PEM contains no certificate",
        ));
    }
    Ok(out)
}

/// Reads and parses a CA bundle file; the error names the file and what selected it (the
/// path is not a secret; the contents never appear).
fn read_ca_file(file: &CaFile) -> Result<Vec<CertificateDer<'static>>> {
    let shown = file.path.display();
    let source = file.source;
    let pem = std::fs::read(&file.path).map_err(|e| {
        Error::config(format!(
            "cannot read the CA certificate file {shown} (from {source}): {e}"
        ))
        .with_source(e)
    })?;
    parse_pem_certs(&pem).map_err(|e| {
        Error::config(format!(
            "the CA certificate file {shown} (from {source}) is not a PEM bundle of certificates: {e}"
        ))
    })
}

/// The pooled client through the proxy, and which targets use it.
struct ProxiedClient {
    matcher: Matcher,
    client: LegacyClient<Proxied, Full<Bytes>>,
}

/// Unpooled connectors offering only HTTP/1.1 by ALPN, for upgrades (WebSocket).
#[cfg_attr(
    not(feature = "__internal"),
    allow(
        dead_code,
        reason = "the WebSocket transport reads them through __internal"
    )
)]
struct Http1Connectors {
    direct: Direct,
    proxied: Option<Proxied>,
}

struct Inner {
    direct: LegacyClient<Direct, Full<Bytes>>,
    proxied: Option<ProxiedClient>,
    #[cfg_attr(
        not(feature = "__internal"),
        allow(
            dead_code,
            reason = "the WebSocket transport reaches it through __internal"
        )
    )]
    http1: Http1Connectors,
    connect_timeout: Duration,
}

/// The workspace's HTTP stack: pooled HTTP/1.1 and HTTP/2 connections over rustls, direct or
/// through the HTTPS proxy. Cheap to clone; clones share the pool. Build one with
/// [`Connector::builder`] and give it to the issuer configuration and the API client to share
/// one pool and one set of network settings.
#[derive(Clone)]
pub struct Connector {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("proxied", &self.inner.proxied.is_some())
            .field("connect_timeout", &self.inner.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A builder with the defaults and the environment (see [`ConnectorBuilder::new`]).
    pub fn builder() -> ConnectorBuilder {
        ConnectorBuilder::new()
    }

    /// True when a request to `uri` goes through the HTTPS proxy (https targets only; plain
    /// http is loopback-only and always direct).
    pub fn uses_proxy(&self, uri: &Uri) -> bool {
        match &self.inner.proxied {
            Some(p) => uri.scheme_str() == Some("https") && p.matcher.intercept(uri).is_some(),
            None => false,
        }
    }

    /// Sends one request on the pool matching `uri` and waits for the response head.
    pub(crate) async fn send(
        &self,
        req: http::Request<Full<Bytes>>,
    ) -> std::result::Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>
    {
        match &self.inner.proxied {
            Some(p) if self.uses_proxy(req.uri()) => p.client.request(req).await,
            _ => self.inner.direct.request(req).await,
        }
    }
}

/// Workspace-internal access to the pooled clients for `codex-client` (and its WebSocket
/// transport). Enabled by the private `__internal` feature: outside semver, not for users.
#[cfg(feature = "__internal")]
impl Connector {
    #[doc(hidden)]
    pub async fn __send(
        &self,
        req: http::Request<Full<Bytes>>,
    ) -> std::result::Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>
    {
        self.send(req).await
    }

    /// Opens a fresh (unpooled) connection to `uri`, through the proxy when it applies, with
    /// TLS for `https` and ALPN `http/1.1` only: the raw stream for an HTTP/1.1 upgrade
    /// (WebSocket). Bounded by the connect timeout for TCP and the proxy; the caller bounds
    /// the TLS and upgrade handshakes.
    #[doc(hidden)]
    pub async fn __connect_http1(
        &self,
        uri: Uri,
    ) -> std::result::Result<
        hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>,
        Box<dyn std::error::Error + Send + Sync>,
    > {
        use tower_service::Service as _;
        let http1 = &self.inner.http1;
        match &http1.proxied {
            Some(p) if self.uses_proxy(&uri) => p.clone().call(uri).await,
            _ => http1.direct.clone().call(uri).await,
        }
    }
}

/// True when `e` or any error in its `source()` chain is a TLS failure (handshake, certificate
/// verification). Such failures do not fix themselves and are not retried.
pub fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // io::Error hides its payload from `source()`; look inside explicitly.
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && is_tls_error(inner)
    {
        return true;
    }
    e.source().is_some_and(is_tls_error)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn ca_env_precedence_and_empty_values() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let picked = |pairs| {
            let f = ca_file_from_env(env(pairs)).unwrap();
            (f.path.to_str().unwrap().to_owned(), f.source)
        };
        let both = &[
            (ENV_CA_CERTIFICATE, "/a.pem"),
            (ENV_SSL_CERT_FILE, "/b.pem"),
        ];
        assert_eq!(picked(both), ("/a.pem".to_owned(), ENV_CA_CERTIFICATE));
        let empty = &[(ENV_CA_CERTIFICATE, ""), (ENV_SSL_CERT_FILE, "/b.pem")];
        assert_eq!(picked(empty), ("/b.pem".to_owned(), ENV_SSL_CERT_FILE));
        assert!(ca_file_from_env(env(&[(ENV_SSL_CERT_FILE, "")])).is_none());
    }

    #[test]
    fn bad_pem_and_missing_file_are_config_errors() {
        let b = ConnectorBuilder::without_env();
        let bad = b
            .clone()
            .webpki_roots(false)
            .add_root_certificate_pem("not a pem");
        assert_eq!(bad.build().unwrap_err().kind(), crate::ErrorKind::Config);
        let none = b.clone().webpki_roots(false);
        assert_eq!(none.build().unwrap_err().kind(), crate::ErrorKind::Config);
        let missing = b.clone().ca_certificate("/nonexistent/ca.pem");
        let e = missing.build().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        assert!(b.build().is_ok());
    }

    #[test]
    fn debug_hides_the_proxy_url() {
        let b = ConnectorBuilder::without_env()
            .proxy(Some("http://user:hunter2@127.0.0.1:3128".into()));
        let shown = format!("{b:?} {:?}", b.build().unwrap());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("has_proxy: true"), "{shown}");
    }

    #[tokio::test]
    async fn no_proxy_decides_per_host() {
        let b = ConnectorBuilder::without_env()
            .proxy(Some("http://127.0.0.1:3128".into()))
            .no_proxy("internal.example, 10.0.0.0/8");
        let t = b.build().unwrap();
        let u = |s: &str| s.parse::<Uri>().unwrap();
        assert!(t.uses_proxy(&u("https://chatgpt.com/backend-api/codex/responses")));
        assert!(!t.uses_proxy(&u("https://api.internal.example/v1")));
        assert!(!t.uses_proxy(&u("https://10.1.2.3/x")));
        assert!(!t.uses_proxy(&u("http://127.0.0.1:9/x")));
        let direct = ConnectorBuilder::without_env().build().unwrap();
        assert!(!direct.uses_proxy(&u("https://chatgpt.com/")));
        let bad = ConnectorBuilder::without_env().proxy(Some("socks5://127.0.0.1:1080".into()));
        assert!(bad.build().is_err());
    }
}
