//! The issuer requests, sent through the shared [`Connector`] (crate::net).
//!
//! Every call has a timeout and a body size limit; plain `http` is refused unless the host is
//! loopback; errors name the endpoint path and a category, never a request or response body.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::Request;
use http::StatusCode;
use http_body_util::BodyExt;
use http_body_util::Full;
use http_body_util::Limited;

use crate::Error;
use crate::OAuthConfig;
use crate::error::Result;
use crate::net::Connector;
use crate::net::is_tls_error;

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

/// A response: status and the whole (limited) body.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

/// The issuer client. Cheap to clone.
#[derive(Clone)]
pub(crate) struct IssuerClient {
    connector: Connector,
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
        Ok(Self {
            connector: config.inner.connector.clone(),
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
            let resp = self.connector.send(req).await.map_err(|e| {
                if is_tls_error(&e) {
                    return Error::tls(format!(
                        "the TLS handshake with the issuer failed ({path})"
                    ))
                    .with_source(e);
                }
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
