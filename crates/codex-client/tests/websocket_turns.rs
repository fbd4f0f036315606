//! Later turns on one client: what each turn reports about itself (request id, served model,
//! rate limits, turn state) is the turn's own or absent, never an earlier turn's, over both
//! transports; over WebSocket, `response.processed` goes out only once the caller has
//! handled the completed response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::Instant;

use codex_client::ResponseStream;
use codex_client::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;
use codex_types::RateLimitSnapshot;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use common::Env;
use common::drain_mut;
use common::env_over;
use futures_util::StreamExt;
use serde_json::Value;

fn request(model: &str, input: Vec<ResponseItem>) -> ResponsesRequest {
    ResponsesRequest::builder(model)
        .instructions("be brief")
        .input(input)
        .build()
        .unwrap()
}

/// What a finished turn reported about itself.
#[derive(Debug)]
struct Facts {
    request_id: Option<String>,
    served_model: Option<String>,
    turn_state: Option<String>,
    /// The response head's rate limits.
    head_limits: Option<RateLimitSnapshot>,
    /// The turn's rate limits: its last `codex.rate_limits` event, else the head's.
    limits: Option<RateLimitSnapshot>,
    items: Vec<ResponseItem>,
}

/// Runs one turn of the test conversation to its end and reads what it reported.
async fn turn(env: &Env, req: &ResponsesRequest) -> Facts {
    let mut s: ResponseStream = env.start(req).await;
    let (events, err) = drain_mut(&mut s).await;
    assert!(err.is_none(), "{err:?}");
    let event_limits = events.iter().rev().find_map(|e| match e {
        ResponseEvent::RateLimits(r) => Some(r.snapshot.clone()),
        _ => None,
    });
    let items = events
        .into_iter()
        .filter_map(|e| match e {
            ResponseEvent::OutputItemDone(d) => Some(d.item),
            _ => None,
        })
        .collect();
    Facts {
        request_id: s.request_id().map(str::to_owned),
        served_model: s.served_model().map(str::to_owned),
        turn_state: s.turn_state().map(str::to_owned),
        head_limits: s.rate_limits(),
        limits: event_limits.or_else(|| s.rate_limits()),
        items,
    }
}

fn primary(l: &Option<RateLimitSnapshot>) -> Option<f64> {
    l.as_ref()
        .and_then(|l| l.primary.as_ref())
        .map(|w| w.used_percent)
}

/// Turn 2 of one conversation on one client asks another model and is answered with other
/// rate limits: it reports its own request id, model and rate limits, or none, never turn
/// 1's (over WebSocket it rides turn 1's connection, whose upgrade answered turn 1).
async fn a_later_turn_reports_its_own_facts(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::text("one"));
    env.mock
        .push_response(Reply::text("two").header("x-codex-primary-used-percent", "99.0"));
    let mut history = vec![ResponseItem::user_text("first")];
    let one = turn(&env, &request("gpt-5.4", history.clone())).await;
    assert_eq!(one.served_model.as_deref(), Some("gpt-5.4"));
    assert_eq!(primary(&one.limits), Some(42.0));
    assert!(one.request_id.is_some());
    history.extend(one.items.clone());
    history.push(ResponseItem::user_text("second"));
    let two = turn(&env, &request("gpt-5.4", history.clone())).await;
    if t == Transport::WebSocket {
        assert_eq!(
            env.mock.websocket_upgrades().len(),
            1,
            "turn 2 reused the socket"
        );
    }
    assert_ne!(two.request_id, one.request_id, "{two:?}");
    assert_eq!(two.served_model.as_deref(), Some("gpt-5.4"), "{two:?}");
    assert_eq!(primary(&two.limits), Some(99.0), "{two:?}");
    assert_ne!(primary(&two.head_limits), Some(42.0), "{two:?}");
    if two.turn_state.is_some() {
        assert_ne!(two.turn_state, one.turn_state, "{two:?}");
    }
    // Another model routes elsewhere (`x-codex-routing-hint` is part of the connection):
    // over WebSocket a new upgrade, whose head names the model.
    env.mock.push_response(Reply::text("three"));
    history.extend(two.items.clone());
    history.push(ResponseItem::user_text("third"));
    let three = turn(&env, &request("gpt-5.4-mini", history)).await;
    if t == Transport::WebSocket {
        assert_eq!(env.mock.websocket_upgrades().len(), 2, "a new model");
    }
    assert_eq!(
        three.served_model.as_deref(),
        Some("gpt-5.4-mini"),
        "{three:?}"
    );
}

both_transports!(a_later_turn_reports_its_own_facts);

/// The `response.processed` frames the mock received.
fn processed(env: &Env) -> Vec<Value> {
    env.mock
        .websocket_frames()
        .iter()
        .filter_map(|f| f.json())
        .filter(|v| v["type"] == "response.processed")
        .collect()
}

/// Waits (at most 5 s) until the mock received `n` `response.processed` frames.
async fn wait_for_processed(env: &Env, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while processed(env).len() < n {
        assert!(Instant::now() < deadline, "{:?}", processed(env));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads `s` up to and including `response.completed`; returns the output items.
async fn read_to_completed(s: &mut ResponseStream) -> Vec<ResponseItem> {
    let mut items = Vec::new();
    loop {
        match s.next().await.unwrap().unwrap() {
            ResponseEvent::OutputItemDone(d) => items.push(d.item),
            ResponseEvent::Completed(_) => return items,
            _ => {}
        }
    }
}

/// A WebSocket client whose turn 1 ("first", answered "one") was read up to and including
/// its completed event, and its output items; turn 2 will be answered "two".
async fn first_turn_read_to_completed() -> (Env, ResponseStream, Vec<ResponseItem>) {
    let env = env_over(Transport::WebSocket).await;
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let mut s = env
        .start(&request("gpt-5.4", vec![ResponseItem::user_text("first")]))
        .await;
    let items = read_to_completed(&mut s).await;
    (env, s, items)
}

/// Turn 2 after `items` of turn 1 ("first"): incremental on the same connection.
async fn next_turn_goes_incremental(env: &Env, items: Vec<ResponseItem>) {
    let mut history = vec![ResponseItem::user_text("first")];
    history.extend(items);
    history.push(ResponseItem::user_text("second"));
    let s = env.start(&request("gpt-5.4", history)).await;
    assert!(s.incremental());
    assert_eq!(s.collect_text().await.unwrap().text, "two");
    assert_eq!(env.mock.websocket_upgrades().len(), 1);
}

/// `response.processed` goes out once the caller has handled the response: not while it
/// holds the completed event, but when it polls the stream's end. The connection then serves
/// the next turn incrementally.
#[tokio::test]
async fn response_processed_waits_until_the_caller_polls_the_end() {
    let (env, mut s, items) = first_turn_read_to_completed().await;
    // The caller holds the completed event and has not handled it yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(processed(&env).is_empty(), "{:?}", processed(&env));
    assert!(s.next().await.is_none());
    wait_for_processed(&env, 1).await;
    assert!(processed(&env)[0]["response_id"].is_string());
    next_turn_goes_incremental(&env, items).await;
}

/// A stream dropped right after its completed event confirms the response and returns the
/// connection too.
#[tokio::test]
async fn dropping_the_stream_after_completed_confirms_and_keeps_the_connection() {
    let (env, s, items) = first_turn_read_to_completed().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(processed(&env).is_empty());
    drop(s);
    wait_for_processed(&env, 1).await;
    next_turn_goes_incremental(&env, items).await;
}

/// A stream dropped before `response.completed` never confirms or returns its connection:
/// the next turn opens a new one and sends the full request.
#[tokio::test]
async fn dropping_the_stream_before_completed_closes_the_connection() {
    let env = env_over(Transport::WebSocket).await;
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let req = request("gpt-5.4", vec![ResponseItem::user_text("first")]);
    let mut s = env.start(&req).await;
    assert!(matches!(
        s.next().await.unwrap().unwrap(),
        ResponseEvent::Created(_)
    ));
    drop(s);
    let s = env.start(&req).await;
    assert!(!s.incremental());
    assert_eq!(s.collect_text().await.unwrap().text, "two");
    assert_eq!(env.mock.websocket_upgrades().len(), 2);
    wait_for_processed(&env, 1).await;
    assert_eq!(
        processed(&env).len(),
        1,
        "only the second turn was confirmed"
    );
}
