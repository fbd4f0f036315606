//! zstd request bodies (issue 14, protocol §14.2) against codex-mock over loopback: when they
//! are compressed, that they decode to exactly the JSON a plain request carries, and the
//! fallback to plain bodies when a server refuses the encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;
use std::time::UNIX_EPOCH;

use codex_auth::Credentials;
use codex_auth::SecretString;
use codex_auth::StaticTokenProvider;
use codex_client::ErrorKind;
use codex_client::RequestCompression;
use codex_client::RequestOptions;
use codex_mock::RecordedRequest;
use codex_mock::Reply;
use codex_types::CompactRequest;
use codex_types::ResponseItem;
use common::CONVERSATION;
use common::env;
use common::env_with;
use common::request;
use serde_json::json;

/// Options with every identity field fixed, so two requests carry the same body.
fn fixed_opts() -> RequestOptions {
    RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .turn_id("0190f3a0-0000-7000-8000-000000000001")
        .turn_started_at(UNIX_EPOCH + Duration::from_millis(1_767_000_000_000))
        .build()
}

/// One request with the fixed options, read to its end.
async fn send(
    client: &codex_client::Client,
    req: &codex_types::ResponsesRequest,
) -> codex_client::Result<codex_client::TextResponse> {
    common::collect(client, req, &fixed_opts()).await
}

fn responses(mock: &codex_mock::MockServer) -> Vec<RecordedRequest> {
    mock.requests_to("/backend-api/codex/responses")
}

/// A request with a long history, as a real turn.
fn long_request() -> codex_types::ResponsesRequest {
    let mut b = codex_types::ResponsesRequest::builder("gpt-5.4").instructions("be brief");
    for i in 0..20 {
        b = b
            .push_input(ResponseItem::user_text(format!(
                "Question {i}: what does the function parse_config do in src/config.rs?"
            )))
            .push_input(
                serde_json::from_value::<ResponseItem>(json!({
                    "type": "message", "role": "assistant",
                    "content": [{"type": "output_text", "text": format!(
                        "Answer {i}: it reads the TOML file, applies the defaults and validates the paths."
                    )}]
                }))
                .unwrap(),
            );
    }
    b.build().unwrap()
}

#[tokio::test]
async fn zstd_bodies_decode_to_exactly_the_json_a_plain_request_carries() {
    let zipped = env().await;
    let plain = env_with(false, |b| {
        b.request_compression(RequestCompression::Disabled)
    })
    .await;
    let req = long_request();
    for e in [&zipped, &plain] {
        e.mock.push_response(Reply::text("ok"));
        let out = send(&e.client, &req).await.unwrap();
        assert_eq!(out.text, "ok");
    }
    let z = &responses(&zipped.mock)[0];
    let p = &responses(&plain.mock)[0];
    assert_eq!(z.header("content-encoding"), Some("zstd"));
    assert_eq!(p.header("content-encoding"), None);
    assert_eq!(p.raw_body, p.body);
    // Decoded here, independently of the mock: the very bytes of the plain request.
    let decoded = zstd::stream::decode_all(&z.raw_body[..]).unwrap();
    assert_eq!(decoded, p.raw_body.to_vec());
    assert_eq!(z.body, p.raw_body);
    assert!(
        z.raw_body.len() * 5 / 2 <= decoded.len(),
        "at least 2.5x smaller: {} -> {}",
        decoded.len(),
        z.raw_body.len()
    );
    assert_eq!(z.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn compaction_bodies_are_compressed_too() {
    let env = env().await;
    let req = CompactRequest::new("gpt-5.4", vec![ResponseItem::user_text("hi")]);
    env.client.compact().run(&req, &fixed_opts()).await.unwrap();
    let r = &env.mock.requests_to("/backend-api/codex/responses/compact")[0];
    assert_eq!(r.header("content-encoding"), Some("zstd"));
    assert_eq!(
        zstd::stream::decode_all(&r.raw_body[..]).unwrap(),
        serde_json::to_vec(&req).unwrap()
    );
    // Bodiless requests are never compressed.
    env.client.models().list().await.unwrap();
    let m = &env.mock.requests_to("/backend-api/codex/models")[0];
    assert_eq!(m.header("content-encoding"), None);
}

#[tokio::test]
async fn only_the_chatgpt_backend_with_a_chatgpt_login_gets_zstd_by_default() {
    let env = env().await;
    let build = |f: fn(codex_client::ClientBuilder) -> codex_client::ClientBuilder| {
        f(common::builder_for(&env.mock, env.auth.clone()))
            .build()
            .unwrap()
    };
    let other_url = format!("{}/v1", env.mock.url());
    // Another base URL (the mock answers 404 there, but records what it got): plain...
    let other = common::builder_for(&env.mock, env.auth.clone())
        .base_url(&other_url)
        .build()
        .unwrap();
    let _ = other
        .responses()
        .stream(&request("hi"), &fixed_opts())
        .await;
    // ...unless asked for.
    let asked = common::builder_for(&env.mock, env.auth.clone())
        .base_url(&other_url)
        .request_compression(RequestCompression::Zstd)
        .build()
        .unwrap();
    let _ = asked
        .responses()
        .stream(&request("hi"), &fixed_opts())
        .await;
    let r = env.mock.requests_to("/v1/responses");
    assert_eq!(r[0].header("content-encoding"), None);
    assert_eq!(r[1].header("content-encoding"), Some("zstd"));

    // The ChatGPT backend without a ChatGPT login (no account id): plain.
    let token = env.tokens.access_token.clone();
    let no_account = common::builder_for(&env.mock, env.auth.clone())
        .token_provider(Arc::new(StaticTokenProvider::new(Credentials::new(
            SecretString::new(token),
            None,
        ))))
        .build()
        .unwrap();
    // And with the backend, a ChatGPT login, but compression turned off: plain.
    let disabled = build(|b| b.request_compression(RequestCompression::Disabled));
    for client in [&no_account, &disabled] {
        send(client, &request("hi")).await.unwrap();
    }
    let r = responses(&env.mock);
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|r| r.header("content-encoding").is_none()));
}

#[tokio::test]
async fn a_415_switches_the_client_to_plain_bodies_and_retries_once() {
    let env = env().await;
    env.mock.set_accept_zstd(false);
    let out = send(&env.client, &request("hi")).await.unwrap();
    assert!(!out.text.is_empty());
    // Later requests (compaction included) go out plain at once.
    env.client
        .compact()
        .run(
            &CompactRequest::new("gpt-5.4", vec![ResponseItem::user_text("hi")]),
            &fixed_opts(),
        )
        .await
        .unwrap();
    let reqs = responses(&env.mock);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("content-encoding"), Some("zstd"));
    assert_eq!(reqs[1].header("content-encoding"), None);
    assert_eq!(
        reqs[1].body.to_vec(),
        zstd::stream::decode_all(&reqs[0].raw_body[..]).unwrap(),
        "the same JSON, plain"
    );
    let compact = &env.mock.requests_to("/backend-api/codex/responses/compact")[0];
    assert_eq!(compact.header("content-encoding"), None);
}

#[tokio::test]
async fn a_400_naming_the_encoding_falls_back_but_other_400s_do_not() {
    let env = env().await;
    env.mock.push_response(Reply::status(
        400,
        json!({"detail": "Unsupported Content-Encoding: zstd"}),
    ));
    send(&env.client, &request("hi")).await.unwrap();
    let reqs = responses(&env.mock);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("content-encoding"), None);

    let fresh = common::env().await;
    fresh.mock.push_response(Reply::status(
        400,
        json!({"detail": "Instructions are required"}),
    ));
    let err = send(&fresh.client, &request("hi")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_ne!(err.kind(), ErrorKind::Transport);
    let reqs = responses(&fresh.mock);
    assert_eq!(reqs.len(), 1, "no fallback for another 400");
}

#[tokio::test]
async fn the_fallback_happens_once_per_request() {
    let env = env().await;
    // Refused compressed, then refused again plain: the second refusal is the answer.
    env.mock
        .push_response(Reply::status(415, json!({"detail": "no zstd"})));
    env.mock
        .push_response(Reply::status(415, json!({"detail": "no zstd"})));
    let err = send(&env.client, &request("hi")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(415));
    assert_eq!(responses(&env.mock).len(), 2);
}
