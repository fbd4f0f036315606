//! A small private HTTP client for the issuer (hyper-util legacy client + hyper-rustls).
//!
//! Every call has a timeout and a body size limit; plain `http` is refused unless the host is
//! loopback; errors name the endpoint path and a category, never a request or response body.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::Request;
use http::StatusCode;
use http_body_util::BodyExt;
use http_body_util::Full;
use http_body_util::Limited;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::Error;
use crate::OAuthConfig;
use crate::error::Result;

/// The largest issuer response body read.
const MAX_BODY: usize = 1024 * 1024;

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Parses every certificate of a PEM bundle; errors when there is none or one is malformed.
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

/// A response: status and the whole (limited) body.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

/// The issuer client. Cheap to clone.
#[derive(Clone)]
pub(crate) struct IssuerClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for IssuerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl IssuerClient {
    pub(crate) fn new(config: &OAuthConfig) -> Result<Self> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for pem in &config.inner.root_certificates_pem {
            for cert in parse_pem_certs(pem)? {
                roots
                    .add(cert)
                    .map_err(|_| Error::config("a root certificate is not valid"))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config("cannot configure TLS").with_source(e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.request_timeout()));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self {
            client,
            timeout: config.request_timeout(),
        })
    }

    /// POST an `application/x-www-form-urlencoded` body.
    pub(crate) async fn post_form(&self, url: &str, body: String) -> Result<HttpResponse> {
        self.send(
            Method::POST,
            url,
            Some(("application/x-www-form-urlencoded", Bytes::from(body))),
            self.timeout,
        )
        .await
    }

    /// POST a JSON body.
    pub(crate) async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
        timeout: Option<Duration>,
    ) -> Result<HttpResponse> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::new(crate::ErrorKind::Other, "cannot encode a JSON body").with_source(e)
        })?;
        self.send(
            Method::POST,
            url,
            Some(("application/json", Bytes::from(bytes))),
            timeout.unwrap_or(self.timeout),
        )
        .await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<(&str, Bytes)>,
        timeout: Duration,
    ) -> Result<HttpResponse> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| Error::config("an issuer URL is not valid"))?;
        let path = uri.path().to_owned();
        match (uri.scheme_str(), uri.host()) {
            (Some("https"), Some(_)) => {}
            (Some("http"), Some(h)) if is_loopback_host(h) => {}
            _ => {
                return Err(Error::config(
                    "refusing to send credentials to a non-https, non-loopback URL",
                ));
            }
        }
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("codex-auth/", env!("CARGO_PKG_VERSION")),
            );
        let payload = match body {
            Some((ct, bytes)) => {
                builder = builder.header(http::header::CONTENT_TYPE, ct);
                bytes
            }
            None => Bytes::new(),
        };
        let req = builder.body(Full::new(payload)).map_err(|e| {
            Error::new(crate::ErrorKind::Other, "cannot build a request").with_source(e)
        })?;
        let fut = async {
            let resp = self.client.request(req).await.map_err(|e| {
                let what = if e.is_connect() {
                    "cannot connect to the issuer"
                } else {
                    "the issuer request failed"
                };
                Error::transient(format!("{what} ({path})")).with_source(e)
            })?;
            let status = resp.status();
            let body = Limited::new(resp.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|_| {
                    Error::transient(format!(
                        "reading the issuer response failed or it exceeded {MAX_BODY} bytes ({path})"
                    ))
                })?
                .to_bytes();
            Ok(HttpResponse { status, body })
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(Error::transient(format!(
                "the issuer did not answer within {} ms ({path})",
                timeout.as_millis()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.1",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "localhost.evil.com", "[::2]"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[tokio::test]
    async fn refuses_plain_http_elsewhere_and_times_out() {
        let cfg = OAuthConfig::builder()
            .issuer("http://127.0.0.1:1")
            .request_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let c = IssuerClient::new(&cfg).unwrap();
        let e = c
            .post_form("http://example.com/oauth/token", String::new())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        // A listener that never answers: the timeout fires.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/oauth/token", l.local_addr().unwrap());
        let e = c.post_form(&url, "a=b".into()).await.unwrap_err();
        assert!(e.is_retryable());
        assert!(e.to_string().contains("/oauth/token"), "{e}");
    }
}
