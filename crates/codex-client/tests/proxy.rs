//! HTTPS through an HTTP CONNECT proxy on loopback, and NO_PROXY bypass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::ConnectProxy;
use codex_mock::Reply;
use common::request;

async fn start_proxy() -> ConnectProxy {
    ConnectProxy::start().await.unwrap()
}

/// A TLS mock and a client configured with a CONNECT proxy and `no_proxy`; one turn answered
/// with `text` must arrive whole, whichever way it went.
async fn turn_with_proxy(no_proxy: &str, text: &str) -> (ConnectProxy, common::Env) {
    let proxy = start_proxy().await;
    let env = common::env_with(true, |b| b.proxy(Some(proxy.url())).no_proxy(no_proxy)).await;
    env.mock.push_response(Reply::text(text));
    let out = env.turn_with(&request("q"), &Default::default()).await;
    assert_eq!(out.text, text);
    (proxy, env)
}

#[tokio::test]
async fn https_goes_through_the_connect_proxy() {
    let (proxy, env) = turn_with_proxy("", "via proxy").await;
    let authority = env.mock.url().trim_start_matches("https://").to_owned();
    assert_eq!(proxy.targets(), [authority]);
}

#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let (proxy, _env) = turn_with_proxy("127.0.0.1", "direct").await;
    assert!(proxy.targets().is_empty());
}

/// The raw HTTP/1.1 connection the WebSocket transport upgrades: through the proxy, TLS with
/// the extra CA, ALPN `http/1.1`, and a request on it answered.
#[tokio::test]
async fn a_raw_http1_connection_goes_through_the_proxy() {
    use http_body_util::BodyExt;
    let proxy = start_proxy().await;
    let mock = codex_mock::MockServer::start_tls().await.unwrap();
    let connector = codex_client::ConnectorBuilder::without_env()
        .add_root_certificate_pem(mock.ca_cert_pem().unwrap())
        .proxy(Some(proxy.url()))
        .build()
        .unwrap();
    let uri: http::Uri = mock.url().parse().unwrap();
    let io = connector.__connect_http1(uri.clone()).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    let req = http::Request::get(format!("{}/backend-api/codex/models", mock.url()))
        .header("host", uri.authority().unwrap().as_str())
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    // No token: the mock refuses, but it answered over the tunnel.
    assert_eq!(resp.status(), 401);
    let _ = resp.into_body().collect().await;
    let authority = mock.url().trim_start_matches("https://").to_owned();
    assert_eq!(proxy.targets(), [authority]);
    assert_eq!(mock.tls_key_exchange_groups(), ["X25519MLKEM768"]);
}
