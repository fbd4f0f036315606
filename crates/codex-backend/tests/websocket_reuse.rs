//! Connection reuse of the facade over WebSocket (against codex-mock): calls outside a
//! conversation form the client's own thread, so they share one connection; a request with
//! other connection-level headers (a compaction v2's beta feature) gets its own upgrade.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_backend::History;
use codex_backend::ResponseItem;
use codex_backend::Transport;
use codex_mock::Reply;
use common::compactions;
use common::responses_bodies;
use common::setup_with;

#[tokio::test]
async fn repeated_one_shot_calls_share_one_connection_and_go_incremental() {
    let (mock, _home, client) = setup_with(|b| b.transport(Transport::WebSocket)).await;
    mock.push_response(Reply::text("one"));
    let r1 = client.respond("first", None).await.unwrap();
    assert!(!r1.incremental);
    // The next call extends the first one's input and output: only the new item goes out.
    let mut history = vec![ResponseItem::user_text("first")];
    history.extend(r1.items);
    mock.push_response(Reply::text("two"));
    let r2 = client
        .respond_after(History::from(history), "second", None)
        .await
        .unwrap();
    assert_eq!(r2.text, "two");
    assert!(
        r2.incremental,
        "the second call rode the first one's connection"
    );
    // An unrelated call reuses the connection too (with the full request).
    mock.push_response(Reply::text("three"));
    let r3 = client.respond("other", None).await.unwrap();
    assert!(!r3.incremental);
    assert_eq!(mock.websocket_upgrades().len(), 1);
    let frames = responses_bodies(&mock);
    assert_eq!(frames.len(), 3);
    assert!(frames[1]["previous_response_id"].is_string());
    assert_eq!(frames[1]["input"].as_array().unwrap().len(), 1);
    // One thread id for all of them, the same on a clone of the client.
    let clone = client.clone();
    mock.push_response(Reply::text("four"));
    clone.respond("again", None).await.unwrap();
    let threads: Vec<_> = mock
        .websocket_upgrades()
        .iter()
        .map(|u| u.header("thread-id").map(str::to_owned))
        .collect();
    assert_eq!(threads.len(), 1);
    let thread = threads[0].clone().unwrap();
    for f in responses_bodies(&mock) {
        assert_eq!(f["prompt_cache_key"], thread.as_str());
    }
}

#[tokio::test]
async fn a_compaction_v2_after_a_turn_carries_its_beta_header_on_its_own_upgrade() {
    let (mock, _home, client) = setup_with(|b| b.transport(Transport::WebSocket)).await;
    let mut conv = client.conversation();
    conv.respond("first question").await.unwrap();
    conv.compact().await.unwrap();
    let v2 = compactions(&mock);
    assert_eq!(v2.len(), 1);
    // The frame is recorded with its connection's upgrade headers.
    assert_eq!(
        v2[0].header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );
    let ups = mock.websocket_upgrades();
    assert_eq!(ups.len(), 2);
    assert_eq!(ups[0].header("x-codex-beta-features"), None);
    assert_eq!(
        ups[1].header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );
    // The next turn rides the conversation's first connection again.
    conv.respond("second question").await.unwrap();
    assert_eq!(mock.websocket_upgrades().len(), 2);
}
