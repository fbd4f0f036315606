//! Recording through codex-mock, then replaying and decoding what was written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use bytes::Bytes;
use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::scrub;
use http_body_util::BodyExt;
use http_body_util::Full;
use serde_json::Value;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xtask-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

async fn fetch(server: &MockServer, token: &str, body: &[u8]) -> Bytes {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = http::Request::post(format!("{}/responses", server.backend_base_url()))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap().to_bytes()
}

/// Parse with codex-sse and decode every event into a typed codex-types event.
fn decode_all(bytes: &[u8]) -> Vec<codex_types::ResponseEvent> {
    let mut p = codex_sse::Parser::new();
    p.feed(Bytes::copy_from_slice(bytes));
    let mut out = Vec::new();
    while let Some(f) = p.next_frame() {
        if let codex_sse::Frame::Event(e) = f.unwrap() {
            out.push(codex_types::ResponseEvent::from_sse(&e).unwrap());
        }
    }
    out
}

#[tokio::test]
async fn record_through_mock_then_replay_and_decode() {
    let server = MockServer::start().await.unwrap();
    let tokens = server.issuer().issue_tokens();
    let home = tmp("home");
    tokens.write_auth_json(&home).unwrap();
    let login = Login::load(&home).unwrap();
    server.push_response(Reply::text(codex_mock::DEFAULT_TEXT));
    server.push_response(Reply::tool_calls(vec![
        codex_mock::FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris"}"#),
    ]));
    server.push_response(Reply::reasoning("thinking", "9.9"));
    let out = tmp("out");
    let done = record(&server.backend_base_url(), &out, &[], &login)
        .await
        .unwrap();
    assert_eq!(done.len(), CASES.len());

    // The requests carried the §3.1 headers and the stored login.
    let reqs = server.requests_to("/backend-api/codex/responses");
    assert_eq!(reqs.len(), 5);
    let r0 = &reqs[0];
    assert_eq!(
        r0.header("authorization").unwrap(),
        format!("Bearer {}", tokens.access_token)
    );
    assert_eq!(
        r0.header("chatgpt-account-id"),
        Some(tokens.account_id.as_str())
    );
    assert_eq!(r0.header("originator"), Some("codex_cli_rs"));
    assert_eq!(r0.header("accept"), Some("text/event-stream"));
    // request.json is the body that was sent.
    let sent: Value = r0.json().unwrap();
    let stored: Value =
        serde_json::from_slice(&std::fs::read(out.join("text.request.json")).unwrap()).unwrap();
    assert_eq!(sent, stored);

    // Unscrubbed content is byte-exact: the text recording is what the mock sent.
    let text = std::fs::read(out.join("text.recorded.sse")).unwrap();
    assert_eq!(
        text,
        Reply::text(codex_mock::DEFAULT_TEXT)
            .sse_body_bytes()
            .unwrap()
    );
    // Opaque blobs were redacted.
    let reasoning = std::fs::read_to_string(out.join("reasoning_summary.recorded.sse")).unwrap();
    assert!(reasoning.contains(scrub::ENCRYPTED_PLACEHOLDER));
    // Nothing credential-shaped anywhere.
    for f in std::fs::read_dir(&out).unwrap() {
        let data = std::fs::read(f.unwrap().path()).unwrap();
        assert!(scrub::find_credentials(&data, &login.secrets()).is_empty());
        assert!(!String::from_utf8_lossy(&data).contains(&tokens.account_id));
    }
    let headers: Value =
        serde_json::from_slice(&std::fs::read(out.join("text.headers.json")).unwrap()).unwrap();
    assert_eq!(
        headers["headers"]["x-request-id"],
        scrub::REQUEST_ID_PLACEHOLDER
    );
    assert_eq!(headers["headers"]["content-type"], "text/event-stream");
    assert!(headers["headers"]["x-codex-primary-used-percent"].is_string());
    let models: Value =
        serde_json::from_slice(&std::fs::read(out.join("models.recorded.json")).unwrap()).unwrap();
    assert!(models["models"].is_array());
    let compact: Value =
        serde_json::from_slice(&std::fs::read(out.join("compact.recorded.json")).unwrap()).unwrap();
    assert_eq!(
        compact["output"].as_array().unwrap().last().unwrap()["type"],
        "compaction"
    );

    // Replay every recording through a fresh mock: the client gets the same bytes, and
    // they decode.
    let replay = MockServer::start().await.unwrap();
    let t = replay.issuer().issue_tokens().access_token;
    for case in [
        "text",
        "tool_call",
        "reasoning_summary",
        "structured_output",
        "image",
    ] {
        let path = out.join(format!("{case}.recorded.sse"));
        let recorded = std::fs::read(&path).unwrap();
        let body = std::fs::read(out.join(format!("{case}.request.json"))).unwrap();
        replay.push_response(Reply::sse_file(&path).chunked(17));
        let got = fetch(&replay, &t, &body).await;
        assert_eq!(got.as_ref(), recorded.as_slice(), "{case}");
        let events = decode_all(&got);
        let last = events.last().unwrap();
        assert!(
            matches!(last, codex_types::ResponseEvent::Completed(_)),
            "{case}: {last:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&home);
}

#[tokio::test]
async fn refuses_plain_http_off_loopback_and_unknown_cases() {
    let login = Login::new("x", None);
    let out = tmp("refuse");
    assert!(
        record("http://example.com/backend-api/codex", &out, &[], &login)
            .await
            .is_err()
    );
    assert!(record("ftp://x", &out, &[], &login).await.is_err());
    let err = record(
        "http://127.0.0.1:9/backend-api/codex",
        &out,
        &["nope".into()],
        &login,
    )
    .await
    .unwrap_err();
    assert!(err.contains("unknown case"));
}

#[tokio::test]
async fn error_status_writes_nothing() {
    let server = MockServer::start().await.unwrap();
    let login = Login::new("not-minted-token", None);
    let out = tmp("err");
    let err = record(&server.backend_base_url(), &out, &["text".into()], &login)
        .await
        .unwrap_err();
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("not-minted-token"));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&out);
}
