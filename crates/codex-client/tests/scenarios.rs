//! Every synthetic scenario codex-mock offers (`codex_mock::synthetic_cases`): the request the
//! scenario belongs to is sent through the client; the body the mock recorded must be exactly
//! that request, and the events the client yields must be exactly the events the mock sent
//! (raw JSON, in order), ending with the right success or typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::Reply;
use codex_sse::Frame;
use codex_sse::Parser;
use codex_test_support::both_transports;
use codex_types::ResponsesRequest;
use common::env;
use futures_util::StreamExt;
use serde_json::Value;

fn sent_event_data(body: &[u8]) -> Vec<String> {
    let mut p = Parser::new();
    p.feed(Bytes::copy_from_slice(body));
    p.finish();
    let mut out = Vec::new();
    while let Some(f) = p.next_frame() {
        if let Ok(Frame::Event(e)) = f {
            out.push(e.data().to_owned());
        }
    }
    out
}

fn expected_error(name: &str) -> Option<ErrorKind> {
    let kind = match name {
        "incomplete" => ErrorKind::Incomplete,
        "error_event" => ErrorKind::ApiError,
        "truncated" => ErrorKind::StreamClosed,
        "failed_context_length_exceeded" => ErrorKind::ContextWindowExceeded,
        "failed_cyber_policy" => ErrorKind::CyberPolicy,
        "failed_insufficient_quota" => ErrorKind::QuotaExceeded,
        "failed_invalid_prompt" => ErrorKind::InvalidRequest,
        "failed_rate_limit_exceeded" | "failed_slow_down" => ErrorKind::RateLimited,
        "failed_server_is_overloaded" => ErrorKind::ServerOverloaded,
        "failed_usage_not_included" => ErrorKind::UsageNotIncluded,
        "failed_flex_unavailable" => ErrorKind::FlexUnavailable,
        "failed_bio_policy" => ErrorKind::BioPolicy,
        "failed_credit_balance_exhausted"
        | "failed_organization_spend_limit_exceeded"
        | "failed_project_spend_limit_exceeded" => ErrorKind::QuotaExceeded,
        "incomplete_content_filter" => ErrorKind::ContentFilter,
        "error_wrapped_usage_limit" => ErrorKind::UsageLimitReached,
        "error_wrapped_rate_limit" => ErrorKind::RateLimited,
        n if n.starts_with("failed_") => ErrorKind::ApiError,
        _ => return None,
    };
    Some(kind)
}

async fn every_synthetic_scenario_round_trips(t: Transport) {
    let env = common::env_over(t).await;
    let cases = codex_mock::synthetic_cases();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for (i, (name, reply, body)) in cases.into_iter().enumerate() {
        let req: ResponsesRequest = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("{name}: request does not decode: {e}"));
        let sent = sent_event_data(&reply.sse_body_bytes().unwrap());
        env.mock.push_response(reply);
        let mut s = env
            .client
            .responses()
            .stream(&req, &RequestOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut got = Vec::new();
        let mut err = None;
        while let Some(item) = s.next().await {
            match item {
                Ok(ev) => got.push(ev.raw_json().to_owned()),
                Err(e) => err = Some(e),
            }
        }
        assert_eq!(s.transport(), t, "{name}");
        // The request: exactly the scenario's body.
        let turn = env.turns().swap_remove(i);
        let (recorded, accept) = (turn.body.to_vec(), turn.header("accept"));
        let recorded_body: Value = serde_json::from_slice(&recorded).unwrap();
        // Exactly the serialized request, byte for byte (over WebSocket: the same JSON) ...
        if t == Transport::Sse {
            assert_eq!(
                recorded,
                serde_json::to_vec(&req).unwrap(),
                "{name}: request bytes"
            );
        } else {
            assert_eq!(
                recorded_body,
                serde_json::to_value(&req).unwrap(),
                "{name}: frame"
            );
        }
        // ... which carries every field of the scenario's body unchanged; the only extra keys
        // are empty lists the request type always writes (`tools: []`, `include: []`).
        let (Value::Object(rec), Value::Object(want)) = (&recorded_body, &body) else {
            panic!("{name}: bodies are not objects");
        };
        for (k, v) in want {
            assert_eq!(rec.get(k), Some(v), "{name}: field {k}");
        }
        for (k, v) in rec {
            if !want.contains_key(k) {
                assert_eq!(v, &Value::Array(Vec::new()), "{name}: extra field {k}");
            }
        }
        if t == Transport::Sse {
            assert_eq!(accept, Some("text/event-stream"), "{name}");
        }
        // The events: everything the mock sent, in order; a failure event comes back as the
        // error instead of an event.
        match (expected_error(&name), err) {
            (None, None) => {
                assert_eq!(got, sent, "{name}: events");
                assert!(s.completed(), "{name}");
            }
            (Some(ErrorKind::StreamClosed), Some(e)) => {
                assert_eq!(e.kind(), ErrorKind::StreamClosed, "{name}");
                assert_eq!(got, sent, "{name}: events");
            }
            (Some(kind), Some(e)) => {
                assert_eq!(e.kind(), kind, "{name}: {e:?}");
                assert_eq!(got.as_slice(), &sent[..sent.len() - 1], "{name}: events");
            }
            (want, got_err) => panic!("{name}: expected {want:?}, got {got_err:?}"),
        }
    }
}

both_transports!(every_synthetic_scenario_round_trips);

/// SSE only: the file's bytes are the SSE body itself; every scenario's events already go over
/// WebSocket in `every_synthetic_scenario_round_trips`.
#[tokio::test]
async fn replaying_a_fixture_file() {
    let env = env().await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../codex-mock/fixtures/synthetic/text.synthetic.sse"
    );
    let sent = sent_event_data(&std::fs::read(path).unwrap());
    env.mock.push_response(Reply::sse_file(path));
    let mut s = env
        .client
        .responses()
        .stream(&common::request("q"), &RequestOptions::default())
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(item) = s.next().await {
        got.push(item.unwrap().raw_json().to_owned());
    }
    assert_eq!(got, sent);
    assert!(s.completed());
}
