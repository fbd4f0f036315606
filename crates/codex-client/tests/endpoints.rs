//! The unary endpoints over loopback against codex-mock: models, usage, compact, realtime
//! calls and memories, each asserting the exact request sent and the decoded answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_mock::Reply;
use codex_mock::Route;
use codex_types::CompactRequest;
use codex_types::RealtimeSession;
use codex_types::ResponseItem;
use codex_types::Trace;
use codex_types::TraceSummarizeRequest;
use common::CONVERSATION;
use common::env;
use common::env_with;
use serde_json::json;

#[tokio::test]
async fn models_list_sends_client_version_and_reads_etag() {
    let env = env().await;
    let catalog = env.client.models().list().await.unwrap();
    assert!(!catalog.models.models.is_empty());
    assert!(catalog.etag.is_some());
    let reqs = env.mock.requests_to("/backend-api/codex/models");
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.query.as_deref(), Some("client_version=0.171.0"));
    env.assert_identity(r);
    assert_eq!(r.header("accept"), None);
    assert!(r.body.is_empty());

    let slug = catalog.models.models[0].slug.clone();
    let one = env.client.models().get(&slug).await.unwrap().unwrap();
    assert_eq!(one.slug, slug);
    assert!(
        env.client
            .models()
            .get("no-such-model")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn client_version_is_configurable() {
    let env = env_with(false, |b| b.client_version("0.1.0").version("9.9.9")).await;
    env.client.models().list().await.unwrap();
    let r = &env.mock.requests()[0];
    assert_eq!(r.query.as_deref(), Some("client_version=0.1.0"));
    assert_eq!(r.header("version"), Some("9.9.9"));
}

#[tokio::test]
async fn usage_get_decodes_the_payload() {
    let env = env().await;
    let usage = env.client.usage().get().await.unwrap();
    let rl = usage.rate_limit.unwrap();
    assert_eq!(rl.primary_window.unwrap().used_percent, Some(42.0));
    let reqs = env.mock.requests_to("/backend-api/wham/usage");
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    env.assert_signed_in(&reqs[0]);
}

#[tokio::test]
async fn usage_url_is_derived_from_the_base_url() {
    let mock = codex_mock::MockServer::start().await.unwrap();
    let tokens = mock.issuer().issue_tokens();
    let auth = common::auth_for(&mock, &tokens);
    let client = codex_client::Client::builder()
        .base_url(mock.backend_base_url())
        .proxy(None)
        .token_provider(auth)
        .build()
        .unwrap();
    assert_eq!(client.usage_url(), mock.usage_url());
    client.usage().get().await.unwrap();
}

#[tokio::test]
async fn compact_sends_session_headers_and_returns_output() {
    let env = env().await;
    let req = CompactRequest::new("gpt-5.4", vec![ResponseItem::user_text("history")]);
    let opts = RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .build();
    let out = env.client.compact().run(&req, &opts).await.unwrap();
    assert!(
        out.output
            .iter()
            .any(|i| matches!(i, ResponseItem::Compaction(_)))
    );
    let r = &env.mock.requests_to("/backend-api/codex/responses/compact")[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("session-id"), Some(CONVERSATION));
    assert_eq!(r.header("thread-id"), Some(CONVERSATION));
    assert_eq!(r.header("x-client-request-id"), None);
    assert_eq!(r.header("accept"), None);
    let body = r.json().unwrap();
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["input"][0]["content"][0]["text"], "history");
    assert_eq!(body["parallel_tool_calls"], false);
}

#[tokio::test]
async fn realtime_call_multipart_and_location() {
    let env = env().await;
    let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n";
    let session = RealtimeSession::new("gpt-realtime-1.5").voice("marin");
    let call = env
        .client
        .realtime()
        .create_call(sdp, Some(&session))
        .await
        .unwrap();
    assert!(call.call_id.starts_with("rtc_mock"), "{}", call.call_id);
    assert!(call.sdp_answer.starts_with("v=0"));
    let r = &env.mock.requests_to("/v1/realtime/calls")[0];
    assert_eq!(
        r.header("content-type"),
        Some("multipart/form-data; boundary=codex-realtime-call-boundary")
    );
    assert_eq!(r.header("openai-beta"), None);
    assert_eq!(r.header("session-id"), None);
    env.assert_identity(r);
    let parts = r.multipart().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].name, "sdp");
    assert_eq!(parts[0].content_type.as_deref(), Some("application/sdp"));
    assert_eq!(parts[0].data, sdp.as_bytes());
    assert_eq!(parts[1].name, "session");
    assert_eq!(parts[1].content_type.as_deref(), Some("application/json"));
    let s: serde_json::Value = serde_json::from_slice(&parts[1].data).unwrap();
    assert_eq!(s["model"], "gpt-realtime-1.5");
    assert!(s.get("id").is_none());
}

#[tokio::test]
async fn realtime_call_without_session_sends_raw_sdp() {
    let env = env().await;
    let call = env
        .client
        .realtime()
        .create_call("v=0\r\n", None)
        .await
        .unwrap();
    assert!(call.call_id.starts_with("rtc_"));
    let r = &env.mock.requests_to("/v1/realtime/calls")[0];
    assert_eq!(r.header("content-type"), Some("application/sdp"));
    assert_eq!(&r.body[..], b"v=0\r\n");
}

#[tokio::test]
async fn realtime_call_without_location_is_an_error() {
    let env = env().await;
    env.mock.push(
        Route::RealtimeCalls,
        Reply::raw(201, "application/sdp", "v=0\r\n"),
    );
    let err = env
        .client
        .realtime()
        .create_call("v=0\r\n", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn memories_trace_summarize() {
    let env = env().await;
    let req = TraceSummarizeRequest::new(
        "gpt-5.4",
        vec![Trace::new(
            "t1",
            "/tmp/a.jsonl",
            vec![ResponseItem::user_text("x")],
        )],
    );
    let out = env.client.memories().trace_summarize(&req).await.unwrap();
    assert_eq!(out.output.len(), 1);
    assert!(out.output[0].trace_summary.contains("t1"));
    let r = &env
        .mock
        .requests_to("/backend-api/codex/memories/trace_summarize")[0];
    let body = r.json().unwrap();
    assert_eq!(body["model"], "gpt-5.4");
    assert_eq!(body["traces"][0]["id"], "t1");
    assert_eq!(body["traces"][0]["metadata"]["source_path"], "/tmp/a.jsonl");
}

#[tokio::test]
async fn unary_errors_are_typed() {
    let env = env().await;
    env.mock.push(
        Route::Usage,
        Reply::status(403, json!({"detail": "Forbidden"})),
    );
    let err = env.client.usage().get().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(err.body().unwrap().contains("Forbidden"));
    env.mock.push(
        Route::Models,
        Reply::raw(200, "application/json", "not json"),
    );
    let err = env.client.models().list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn unary_401_refreshes_once() {
    let env = env().await;
    env.mock.push(Route::Usage, Reply::unauthorized_once());
    env.client.usage().get().await.unwrap();
    assert_eq!(env.mock.requests_to("/backend-api/wham/usage").len(), 2);
    assert_eq!(env.mock.issuer().refresh_count(), 1);
}

#[tokio::test]
async fn config_rejects_clear_text_to_remote_hosts() {
    for url in [
        "http://chatgpt.com/backend-api/codex",
        "http://10.1.2.3/backend-api/codex",
        "ftp://127.0.0.1/x",
        "not a url",
    ] {
        let err = codex_client::Client::builder()
            .base_url(url)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}");
    }
    let err = codex_client::Client::builder()
        .api_base_url("http://api.openai.com/v1")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = codex_client::Client::builder()
        .add_root_certificate_pem("garbage")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let c = codex_client::Client::builder()
        .base_url("https://chatgpt.com/backend-api/codex")
        .build()
        .unwrap();
    assert_eq!(c.usage_url(), "https://chatgpt.com/backend-api/wham/usage");
    assert_eq!(c.api_base_url(), "https://api.openai.com/v1");
}

#[tokio::test]
async fn cookies_set_by_the_server_are_sent_back_to_that_host() {
    let env = env().await;
    env.mock.push(
        Route::Usage,
        Reply::json(json!({"plan_type": "plus"}))
            .header("set-cookie", "__cf_bm=abc123; Path=/; HttpOnly; Secure"),
    );
    env.client.usage().get().await.unwrap();
    env.client.models().list().await.unwrap();
    let reqs = env.mock.requests();
    assert_eq!(reqs[0].header("cookie"), None);
    assert_eq!(reqs[1].header("cookie"), Some("__cf_bm=abc123"));

    let off = env_with(false, |b| b.cookie_store(false)).await;
    off.mock.push(
        Route::Usage,
        Reply::json(json!({"plan_type": "plus"})).header("set-cookie", "__cf_bm=abc123"),
    );
    off.client.usage().get().await.unwrap();
    off.client.usage().get().await.unwrap();
    assert_eq!(off.mock.requests()[1].header("cookie"), None);
}
