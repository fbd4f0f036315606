//! The mock's routes over real loopback HTTP: validation like the backend's, auth, the request
//! log, the JSON routes (models, usage, compact, trace, realtime) and route defaults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::Route;
use common::post_json;
use common::post_responses;
use common::send;
use common::server;
use serde_json::json;
#[tokio::test]
async fn validation_like_the_backend() {
    let (s, t) = server().await;
    let auth = format!("Bearer {t}");
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let base = codex_mock::request_body(vec![codex_mock::user_text("hi")], None);
    let cases = [
        (json!({"stream": false}), "Stream must be set to true"),
        (json!({"store": true}), "Store must be set to false"),
        (json!({"instructions": null}), ""),
        (
            json!({"temperature": 0.2}),
            "Unsupported parameter: temperature",
        ),
        (
            json!({"max_output_tokens": 5}),
            "Unsupported parameter: max_output_tokens",
        ),
    ];
    for (patch, detail) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = post_json(&s, Some(&auth), "/backend-api/codex/responses", &body).await;
        if detail.is_empty() {
            // `instructions: null` is present, so it passes the "required" check.
            assert_eq!(r.status, 200);
        } else {
            assert_eq!(r.status, 400, "{detail}");
            assert_eq!(r.json()["detail"], detail);
        }
    }
    let mut body = base.clone();
    // What the official client sends: no `instructions` (its base instructions travel as a
    // `developer` message), `client_metadata`, and its own headers (protocol §14.2).
    body.as_object_mut().unwrap().remove("instructions");
    body["input"] = json!([
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]},
        codex_mock::user_text("hi"),
    ]);
    body["client_metadata"] =
        json!({"x-codex-installation-id": "0f7c0000-0000-4000-8000-000000000001"});
    body["stream_options"] = json!({"reasoning_summary_delivery": "sequential_cutoff"});
    let cli_headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("originator", "codex_exec"),
        ("version", "0.171.0"),
        ("session-id", "019a0000-0000-7000-8000-000000000001"),
        ("thread-id", "019a0000-0000-7000-8000-000000000001"),
        (
            "x-codex-window-id",
            "019a0000-0000-7000-8000-000000000001:0",
        ),
        ("x-codex-beta-features", "remote_compaction_v2"),
        ("x-codex-routing-hint", "model=gpt-5.4"),
        ("x-codex-turn-metadata", r#"{"request_kind":"turn"}"#),
        (
            "x-client-request-id",
            "019a0000-0000-7000-8000-000000000001",
        ),
        ("chatgpt-account-id", "00000000-0000-4000-8000-00000000a001"),
    ];
    let r = send(
        &s.url(),
        "POST",
        "/backend-api/codex/responses",
        &cli_headers,
        &serde_json::to_vec(&body).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.event_types().last().unwrap(), "response.completed");
    // A queued reply is not consumed by a rejected request.
    s.push_response(Reply::text("kept"));
    let _ = send(&s.url(), "POST", "/backend-api/codex/responses", &h, b"{").await;
    assert_eq!(s.pending(Route::Responses), 1);
}

#[tokio::test]
async fn auth_is_enforced_and_configurable() {
    let s = MockServer::start().await.unwrap();
    let r = post_responses(&s.url(), "not-a-minted-token").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"detail": "Unauthorized"}));
    let expired = s
        .issuer()
        .issue_tokens_expiring(std::time::SystemTime::now() - Duration::from_secs(5));
    assert_eq!(
        post_responses(&s.url(), &expired.access_token).await.status,
        401
    );
    s.issuer().set_require_auth(false);
    assert_eq!(post_responses(&s.url(), "anything").await.status, 200);
}

#[tokio::test]
async fn request_log_captures_everything() {
    let (s, t) = server().await;
    let _ = post_responses(&s.url(), &t).await;
    let _ = send(
        &s.url(),
        "POST",
        "/oauth/token?x=1",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"grant_type=authorization_code&code=a%20b",
    )
    .await;
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/backend-api/codex/responses");
    assert_eq!(reqs[0].header("accept"), Some("text/event-stream"));
    assert_eq!(reqs[0].json().unwrap()["stream"], true);
    assert_eq!(reqs[1].query.as_deref(), Some("x=1"));
    assert_eq!(
        reqs[1].form(),
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), "a b".to_owned())
        ]
    );
    assert_eq!(s.requests_to("/oauth/token").len(), 1);
}

#[tokio::test]
async fn models_usage_compact_trace() {
    let (s, t) = server().await;
    let auth = format!("Bearer {t}");
    let h = [("Authorization", auth.as_str())];
    let r = send(
        &s.url(),
        "GET",
        "/backend-api/codex/models?client_version=0.99.0",
        &h,
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let etag = r.header("etag").unwrap().to_owned();
    let slugs: Vec<String> = r.json()["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap().to_owned())
        .collect();
    assert!(slugs.contains(&"gpt-5.4".to_owned()));
    // `minimal_client_version` is listed but never hides a model (issue 16).
    assert!(slugs.contains(&"gpt-6-preview".to_owned()));
    let m = &r.json()["models"][0];
    assert_eq!(m["context_window"], 272000);
    assert!(m["supported_reasoning_levels"].is_array());
    let r = send(
        &s.url(),
        "GET",
        "/backend-api/codex/models?client_version=0.1.0",
        &h,
        b"",
    )
    .await;
    assert!(r.text().contains("gpt-6-preview"));
    assert_eq!(r.header("etag").unwrap(), etag);
    let h2 = [
        ("Authorization", auth.as_str()),
        ("If-None-Match", etag.as_str()),
    ];
    let r = send(
        &s.url(),
        "GET",
        "/backend-api/codex/models?client_version=0.99.0",
        &h2,
        b"",
    )
    .await;
    assert_eq!(r.status, 304);
    for q in ["", "?client_version=banana"] {
        let r = send(
            &s.url(),
            "GET",
            &format!("/backend-api/codex/models{q}"),
            &h,
            b"",
        )
        .await;
        assert_eq!(r.status, 400);
    }

    let r = send(&s.url(), "GET", "/backend-api/wham/usage", &h, b"").await;
    assert_eq!(r.json()["plan_type"], "plus");
    assert_eq!(
        r.json()["rate_limit"]["primary_window"]["limit_window_seconds"],
        18000
    );
    assert!(r.header("x-codex-primary-used-percent").is_some());

    let body = json!({"model": "gpt-5.4", "input": [codex_mock::user_text("keep me")], "instructions": "x", "parallel_tool_calls": false});
    let r = post_json(
        &s,
        Some(&auth),
        "/backend-api/codex/responses/compact",
        &body,
    )
    .await;
    let out = r.json()["output"].as_array().unwrap().clone();
    assert_eq!(out[0]["content"][0]["text"], "keep me");
    assert_eq!(out.last().unwrap()["type"], "compaction");
    assert!(out.last().unwrap()["encrypted_content"].is_string());

    let body = json!({"model": "gpt-5.4", "traces": [{"id": "t1", "metadata": {"source_path": "a"}, "items": []}]});
    let r = post_json(
        &s,
        Some(&auth),
        "/backend-api/codex/memories/trace_summarize",
        &body,
    )
    .await;
    assert!(r.json()["output"][0]["trace_summary"].is_string());

    s.push(Route::Usage, Reply::json(json!({"plan_type": "pro"})));
    let r = send(&s.url(), "GET", "/backend-api/wham/usage", &h, b"").await;
    assert_eq!(r.json(), json!({"plan_type": "pro"}));
}

#[tokio::test]
async fn realtime_multipart() {
    let (s, t) = server().await;
    let auth = format!("Bearer {t}");
    let ct = "multipart/form-data; boundary=codex-realtime-call-boundary";
    let body = "--codex-realtime-call-boundary\r\nContent-Disposition: form-data; name=\"sdp\"\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n\r\n--codex-realtime-call-boundary\r\nContent-Disposition: form-data; name=\"session\"\r\nContent-Type: application/json\r\n\r\n{\"type\":\"realtime\",\"model\":\"gpt-realtime-1.5\"}\r\n--codex-realtime-call-boundary--\r\n";
    let h = [("Authorization", auth.as_str()), ("Content-Type", ct)];
    let r = send(&s.url(), "POST", "/v1/realtime/calls", &h, body.as_bytes()).await;
    assert_eq!(r.status, 201);
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/v1/realtime/calls/rtc_")
    );
    assert!(r.text().starts_with("v=0"));
    let parts = s.requests().last().unwrap().multipart().unwrap();
    assert_eq!(parts[1].name, "session");
    let r = send(
        &s.url(),
        "POST",
        "/v1/realtime/calls",
        &h,
        b"--codex-realtime-call-boundary\r\nbroken",
    )
    .await;
    assert_eq!(r.status, 400);
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/sdp"),
    ];
    let r = send(&s.url(), "POST", "/v1/realtime/calls", &h, b"v=0\r\n").await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn unknown_path_is_404() {
    let (s, _t) = server().await;
    assert_eq!(send(&s.url(), "GET", "/nope", &[], b"").await.status, 404);
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let s = MockServer::start().await.unwrap();
    let port = common::port(&s.url());
    drop(s);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn turn_state_echo_models_etag_and_route_defaults() {
    let (s, t) = server().await;
    let auth = format!("Bearer {t}");
    let body = common::responses_body();
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("x-codex-turn-state", "ts_from_client"),
        ("version", "0.99.0"),
    ];
    let r = send(&s.url(), "POST", "/backend-api/codex/responses", &h, &body).await;
    assert_eq!(r.header("x-codex-turn-state"), Some("ts_from_client"));
    let m = send(
        &s.url(),
        "GET",
        "/backend-api/codex/models?client_version=0.99.0",
        &h[..1],
        b"",
    )
    .await;
    assert_eq!(r.header("x-models-etag"), m.header("etag"));
    let r = post_responses(&s.url(), &t).await;
    assert!(
        r.header("x-codex-turn-state")
            .unwrap()
            .starts_with("ts_mock_")
    );

    s.set_default(Route::Responses, Reply::failed("slow_down", "later"));
    s.push_response(Reply::text("queued first"));
    assert!(
        post_responses(&s.url(), &t)
            .await
            .text()
            .contains("queued first")
    );
    for _ in 0..2 {
        let ev = post_responses(&s.url(), &t).await.events();
        assert_eq!(ev.last().unwrap()["response"]["error"]["code"], "slow_down");
    }
}
