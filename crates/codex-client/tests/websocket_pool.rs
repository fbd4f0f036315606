//! Which pooled WebSocket connection a turn rides (against codex-mock's real WebSocket
//! endpoint): the pool keeps the most recently used connections when it is full.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::Reply;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use common::Env;
use common::env_with;

/// A client over WebSocket only.
async fn ws_env() -> Env {
    env_with(false, |b| b.transport(Transport::WebSocket)).await
}

/// A request of `input` with the default model.
fn request(input: Vec<ResponseItem>) -> ResponsesRequest {
    ResponsesRequest::builder("gpt-5.4")
        .input(input)
        .build()
        .unwrap()
}

fn thread(n: usize) -> RequestOptions {
    RequestOptions::builder()
        .conversation_id(format!("0199a213-81c0-7800-8aa1-{n:012}"))
        .build()
}

#[tokio::test]
async fn a_full_pool_closes_the_least_recently_used_connection_and_keeps_the_newest() {
    let env = ws_env().await;
    // More threads than the pool holds (32), each leaving an idle connection behind.
    for n in 0..40 {
        env.mock.push_response(Reply::text("x"));
        env.turn_with(&request(vec![ResponseItem::user_text("q")]), &thread(n))
            .await;
    }
    assert_eq!(env.mock.websocket_upgrades().len(), 40);
    // A conversation still gets its connection back and goes incremental.
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let mut history = vec![ResponseItem::user_text("first")];
    let out = env.turn(&request(history.clone())).await;
    history.extend(out.items);
    history.push(ResponseItem::user_text("second"));
    let out2 = env.turn(&request(history)).await;
    assert!(
        out2.incremental,
        "turn 2 rode the conversation's connection"
    );
    assert_eq!(env.mock.websocket_upgrades().len(), 41);
    // The most recent one-shot thread kept its connection; the oldest lost it.
    env.mock.push_response(Reply::text("y"));
    env.turn_with(&request(vec![ResponseItem::user_text("q")]), &thread(39))
        .await;
    assert_eq!(env.mock.websocket_upgrades().len(), 41);
    env.mock.push_response(Reply::text("z"));
    env.turn_with(&request(vec![ResponseItem::user_text("q")]), &thread(0))
        .await;
    assert_eq!(env.mock.websocket_upgrades().len(), 42);
}
