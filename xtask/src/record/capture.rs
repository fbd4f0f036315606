//! Capture: one case's request sent to the backend through the SDK's HTTP stack, and the
//! whole answer read (status, headers, body) within five minutes.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::Full;

use super::CLIENT_VERSION;
use super::cases::Case;
use super::cases::THREAD_ID;
use super::login::Login;

/// A backend answer as received, not yet scrubbed.
pub(super) struct Captured {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
}

/// Sends `c` (with `body_bytes` as its body) as `login` and reads the answer.
pub(super) async fn send(
    client: &codex_auth::net::Connector,
    c: &Case,
    login: &Login,
    body_bytes: &[u8],
) -> Result<Captured, String> {
    let mut req = http::Request::builder()
        .method(c.method)
        .uri(&c.url)
        .header("authorization", format!("Bearer {}", login.access_token))
        .header("originator", "codex_cli_rs")
        .header(
            "user-agent",
            format!("codex_cli_rs/{CLIENT_VERSION} (codex-backend xtask record)"),
        )
        .header("version", CLIENT_VERSION);
    if let Some(a) = &login.account_id {
        req = req.header("chatgpt-account-id", a);
    }
    if c.body.is_some() {
        req = req
            .header("content-type", "application/json")
            .header("session-id", THREAD_ID)
            .header("thread-id", THREAD_ID);
    }
    if c.sse {
        req = req
            .header("accept", "text/event-stream")
            .header("x-client-request-id", THREAD_ID);
    }
    let mut req = req
        .body(Full::new(Bytes::copy_from_slice(body_bytes)))
        .map_err(|e| format!("bad request: {e}"))?;
    if let Some(v) = req.headers_mut().get_mut("authorization") {
        v.set_sensitive(true);
    }
    let fut = async {
        let resp = client
            .__send(req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading body failed: {e}"))?
            .to_bytes();
        Ok::<_, String>((status, headers, body))
    };
    let (status, headers, body) = tokio::time::timeout(Duration::from_secs(300), fut)
        .await
        .map_err(|_| "timed out after 300 s".to_owned())??;
    Ok(Captured {
        status,
        headers,
        body,
    })
}
