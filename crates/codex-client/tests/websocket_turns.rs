//! Later turns on one client: what each turn reports about itself (request id, served model,
//! rate limits, turn state) is the turn's own or absent, never an earlier turn's, over both
//! transports; over WebSocket, `response.processed` goes out only once the caller has
//! handled the completed response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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
    let two = turn(&env, &request("gpt-5.4-mini", history)).await;
    if t == Transport::WebSocket {
        assert_eq!(
            env.mock.websocket_upgrades().len(),
            1,
            "turn 2 reused the socket"
        );
    }
    assert_ne!(two.request_id, one.request_id, "{two:?}");
    assert_eq!(two.served_model.as_deref(), Some("gpt-5.4-mini"), "{two:?}");
    assert_eq!(primary(&two.limits), Some(99.0), "{two:?}");
    assert_ne!(primary(&two.head_limits), Some(42.0), "{two:?}");
    if two.turn_state.is_some() {
        assert_ne!(two.turn_state, one.turn_state, "{two:?}");
    }
}

both_transports!(a_later_turn_reports_its_own_facts);
