//! HTTPS through an HTTP CONNECT proxy on loopback, and NO_PROXY bypass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::Mutex;

use codex_mock::Reply;
use common::request;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::net::TcpStream;

/// A minimal CONNECT proxy recording the targets it tunnels to.
async fn start_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let target = text
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split_whitespace().next())
                    .unwrap_or_default()
                    .to_owned();
                log.lock().unwrap().push(target.clone());
                let Ok(mut outbound) = TcpStream::connect(&target).await else {
                    let _ = inbound.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                inbound
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn https_goes_through_the_connect_proxy() {
    let (proxy, seen) = start_proxy().await;
    let env = common::env_with(true, |b| b.proxy(Some(proxy.clone())).no_proxy("")).await;
    env.mock.push_response(Reply::text("via proxy"));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &Default::default())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "via proxy");
    let authority = env.mock.url().trim_start_matches("https://").to_owned();
    assert_eq!(seen.lock().unwrap().as_slice(), [authority]);
}

#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let (proxy, seen) = start_proxy().await;
    let env = common::env_with(true, |b| b.proxy(Some(proxy.clone())).no_proxy("127.0.0.1")).await;
    env.mock.push_response(Reply::text("direct"));
    let out = env
        .client
        .responses()
        .stream(&request("q"), &Default::default())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();
    assert_eq!(out.text, "direct");
    assert!(seen.lock().unwrap().is_empty());
}
