//! `Event::Completed::rate_limits` of a later turn on one client is the turn's own (its last
//! `codex.rate_limits` event, else its response head), never an earlier turn's, over both
//! transports: over WebSocket the second turn rides the first turn's connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Completed;
use codex_backend::Event;
use codex_backend::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;
use common::setup_with;
use futures_util::StreamExt;

const CONV: &str = "0199a213-81c0-7800-8aa1-bbab2a035a53";

/// One turn of the conversation `CONV` with `model`: its completion, request id and served
/// model.
async fn completed(
    client: &CodexClient,
    input: &str,
    model: &str,
) -> (Completed, Option<String>, Option<String>) {
    let opts = CallOptions::new().conversation_id(CONV).model(model);
    let mut s = client.stream(input, opts).await.unwrap();
    let mut done = None;
    while let Some(ev) = s.next().await {
        if let Event::Completed(c) = ev.unwrap() {
            done = Some(c);
        }
    }
    let rid = s.request_id().map(str::to_owned);
    let model = s.served_model().map(str::to_owned);
    (done.unwrap(), rid, model)
}

fn primary(c: &Completed) -> Option<f64> {
    c.rate_limits
        .as_ref()
        .and_then(|l| l.primary.as_ref())
        .map(|w| w.used_percent)
}

async fn a_later_turn_completes_with_its_own_rate_limits(t: Transport) {
    let (mock, _home, client) = setup_with(|b| b.transport(t)).await;
    mock.push_response(Reply::text("one"));
    mock.push_response(Reply::text("two").header("x-codex-primary-used-percent", "99.0"));
    mock.push_response(Reply::rate_limits());
    let (one, rid1, _) = completed(&client, "first", "gpt-5.4").await;
    assert_eq!(primary(&one), Some(42.0));
    let (two, rid2, model2) = completed(&client, "second", "gpt-5.4").await;
    assert_eq!(primary(&two), Some(99.0), "{two:?}");
    assert_ne!(rid2, rid1);
    assert_eq!(model2.as_deref(), Some("gpt-5.4"));
    // A `codex.rate_limits` event wins over the head's headers on either transport (only
    // the event names a plan).
    let (three, _, _) = completed(&client, "third", "gpt-5.4").await;
    assert!(three.rate_limits.unwrap().plan_type.is_some());
    if t == Transport::WebSocket {
        assert_eq!(
            mock.websocket_upgrades().len(),
            1,
            "one connection for all turns"
        );
    }
}

both_transports!(a_later_turn_completes_with_its_own_rate_limits);
