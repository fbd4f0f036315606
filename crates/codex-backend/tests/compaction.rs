//! Compaction v2 end to end against codex-mock (issue 14, protocol §14.3): the request, the
//! replacement history, the window number, the typed error on a wrong answer, the fallback
//! to `POST /responses/compact` when v2 is refused, and `CompactionMode::Legacy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_backend::CallOptions;
use codex_backend::CompactionMode;
use codex_backend::ErrorKind;
use codex_backend::ResponseItem;
use codex_backend::UnexpectedCompactionOutput;
use codex_mock::Reply;
use common::*;
use serde_json::Value;
use serde_json::json;

#[tokio::test]
async fn v2_replaces_the_history_and_bumps_the_window() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    mock.push_response(Reply::reasoning("thinking", "Hi Ada"));
    mock.push_response(Reply::text("Noted"));
    conv.respond("My name is Ada").await.unwrap();
    conv.respond("I live in Paris").await.unwrap();
    let before = conv.history().to_vec();
    assert!(before.len() >= 4, "{before:?}");
    conv.compact().await.unwrap();

    let reqs = compactions(&mock);
    assert_eq!(reqs.len(), 1);
    assert!(
        mock.requests_to("/backend-api/codex/responses/compact")
            .is_empty()
    );
    let r = &reqs[0];
    assert_eq!(
        r.header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    let body = r.json().unwrap();
    // The whole history, as it was, then the trigger.
    let input = body["input"].as_array().unwrap();
    assert_eq!(input.len(), before.len() + 1);
    assert_eq!(
        input[..before.len()],
        serde_json::to_value(&before).unwrap().as_array().unwrap()[..]
    );
    assert_eq!(input[before.len()], json!({"type": "compaction_trigger"}));
    assert_eq!(body["stream"], true);
    let meta: Value = serde_json::from_str(r.header("x-codex-turn-metadata").unwrap()).unwrap();
    assert_eq!(meta["request_kind"], "compaction");
    assert_eq!(meta["window_number"], 0);

    // The history is what codex-rs keeps: the user messages, then the one compaction item.
    let h = conv.history();
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h[0], ResponseItem::user_text("My name is Ada"));
    assert_eq!(h[1], ResponseItem::user_text("I live in Paris"));
    match &h[2] {
        ResponseItem::Compaction(c) => {
            assert_eq!(
                c.encrypted_content,
                "gAAAAA-codex-mock-encrypted-compaction"
            );
            assert_eq!(c.id.as_deref(), Some("cmp_mock_v2_0"));
        }
        other => panic!("not a compaction item: {other:?}"),
    }
    assert_eq!(conv.window_number(), 1);

    // The next turn replays it, in the next window.
    mock.push_response(Reply::text("You are Ada"));
    conv.respond("Who am I?").await.unwrap();
    let last = responses_bodies(&mock).pop().unwrap();
    assert_eq!(last["input"][2]["type"], "compaction");
    assert_eq!(last["input"][3]["content"][0]["text"], "Who am I?");
    let last_req = mock
        .requests_to("/backend-api/codex/responses")
        .pop()
        .unwrap();
    assert!(
        last_req
            .header("x-codex-window-id")
            .unwrap()
            .ends_with(":1")
    );
}

#[tokio::test]
async fn an_answer_without_exactly_one_compaction_item_is_a_typed_error() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.respond("hello").await.unwrap();
    let before = conv.history().to_vec();
    mock.push_response(Reply::text("I will not compact"));
    let err = conv.compact().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedCompactionOutput);
    assert_eq!(err.kind_str(), "unexpected_compaction_output");
    assert!(
        err.to_string()
            .contains("received 0 from 1 output items (message)"),
        "{err}"
    );
    let detail = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<UnexpectedCompactionOutput>())
        .unwrap();
    assert_eq!(detail.compaction_items, 0);
    assert_eq!(detail.item_types, ["message"]);
    // Nothing changed, and no fallback to v1 for a wrong answer.
    assert_eq!(conv.history(), &before[..]);
    assert_eq!(conv.window_number(), 0);
    assert!(
        mock.requests_to("/backend-api/codex/responses/compact")
            .is_empty()
    );
}

#[tokio::test]
async fn v1_is_used_when_the_server_refuses_v2_and_only_then() {
    let (mock, _home, client) = setup().await;
    mock.set_compaction_v2(false);
    let mut conv = client.conversation();
    conv.respond("hello").await.unwrap();
    conv.compact().await.unwrap();
    assert_eq!(compactions(&mock).len(), 1, "v2 tried first");
    let v1 = mock.requests_to("/backend-api/codex/responses/compact");
    assert_eq!(v1.len(), 1);
    // v1's output replaces the history as it is.
    assert_eq!(conv.history().len(), 2);
    assert!(matches!(
        conv.history()[1],
        ResponseItem::Compaction(ref c) if c.id.as_deref() == Some("cmp_mock_0")
    ));
    assert_eq!(conv.window_number(), 1);

    // Another refusal (not about v2) is the answer: no fallback.
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.respond("hello").await.unwrap();
    mock.push_response(Reply::status(
        400,
        json!({"detail": "Instructions are required"}),
    ));
    let err = conv.compact().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(
        mock.requests_to("/backend-api/codex/responses/compact")
            .is_empty()
    );
}

#[tokio::test]
async fn legacy_mode_uses_responses_compact_only() {
    let (mock, _home, client) = setup_with(|b| b.compaction_mode(CompactionMode::Legacy)).await;
    let mut conv = client.conversation();
    conv.respond("hello").await.unwrap();
    conv.compact().await.unwrap();
    assert!(compactions(&mock).is_empty());
    assert_eq!(
        mock.requests_to("/backend-api/codex/responses/compact")
            .len(),
        1
    );
    assert_eq!(conv.window_number(), 1);
    // A per-call mode wins over the session's.
    client
        .compact_with(
            vec![ResponseItem::user_text("x")],
            CallOptions::new().compaction_mode(CompactionMode::V2),
        )
        .await
        .unwrap();
    assert_eq!(compactions(&mock).len(), 1);
}
