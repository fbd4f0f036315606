//! Which pooled WebSocket connection a turn rides (against codex-mock's real WebSocket
//! endpoint): the pool keeps the most recently used connections when it is full, and a turn
//! gets its credentials first and rides only a connection upgraded with the same
//! connection-level headers (login, account, token, beta features). Also the connection-life
//! rules: the empty incremental turn after a warm-up, the 55-minute age limit (on tokio's
//! paused clock) and a Ping answered with a Pong mid-response (a bare tokio-tungstenite
//! server, since codex-mock does not report the Pongs it reads).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_auth::BoxFuture;
use codex_auth::Credentials;
use codex_auth::SecretString;
use codex_auth::TokenProvider;
use codex_client::ErrorKind;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use common::Env;
use common::builder_for;
use common::conv;
use common::env_over;
use common::env_with;
use futures_util::SinkExt;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Bytes;
use tokio_tungstenite::tungstenite::Message;

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

/// Turn 1 of the test conversation ("first", answered "one"), and the input of turn 2
/// (answered "two"): turn 1's input and output, then "second".
async fn first_turn_then_extend(env: &Env) -> Vec<ResponseItem> {
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let mut history = vec![ResponseItem::user_text("first")];
    let out = env.turn(&request(history.clone())).await;
    history.extend(out.items);
    history.push(ResponseItem::user_text("second"));
    history
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
    let history = first_turn_then_extend(&env).await;
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

/// The upgrades the mock answered, in order.
fn upgrades(env: &Env) -> Vec<codex_mock::RecordedRequest> {
    env.mock.websocket_upgrades()
}

/// After a logout on the same client, the next turn of the conversation fails with
/// `LoginRequired` whatever the transport: an open socket does not outlive the login.
async fn a_turn_after_logout_needs_a_login(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let req = request(vec![ResponseItem::user_text("hi")]);
    assert_eq!(env.turn(&req).await.text, "one");
    env.auth.logout().await.unwrap();
    let err = env.refused(&req).await;
    assert_eq!(err.kind(), ErrorKind::LoginRequired, "{err}");
    assert_eq!(codex_test_support::mock::turn_requests(&env.mock).len(), 1);
}

both_transports!(a_turn_after_logout_needs_a_login);

/// Credentials that the test switches to another account between turns.
#[derive(Debug)]
struct Switchable(Mutex<Credentials>);

impl Switchable {
    fn now(&self) -> Credentials {
        self.0.lock().unwrap().clone()
    }
}

impl TokenProvider for Switchable {
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, codex_auth::Error>> {
        let c = self.now();
        Box::pin(async move { Ok(c) })
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        _rejected: &'a Credentials,
    ) -> BoxFuture<'a, Result<Credentials, codex_auth::Error>> {
        let c = self.now();
        Box::pin(async move { Ok(c) })
    }
}

#[tokio::test]
async fn an_account_switch_sends_the_new_account_on_a_new_upgrade() {
    let env = env_with(false, |b| b.transport(Transport::WebSocket)).await;
    let other = env.mock.issuer().issue_tokens();
    let creds = |token: &str, account: &str| {
        Credentials::new(
            SecretString::new(token.to_owned()),
            Some(account.to_owned()),
        )
    };
    let provider = Arc::new(Switchable(Mutex::new(creds(
        &env.tokens.access_token,
        "acct-A",
    ))));
    let client = builder_for(&env.mock, env.auth.clone())
        .transport(Transport::WebSocket)
        .token_provider(provider.clone())
        .build()
        .unwrap();
    env.mock.push_response(Reply::text("one"));
    env.mock.push_response(Reply::text("two"));
    let req = request(vec![ResponseItem::user_text("hi")]);
    let run = |c: &codex_client::Client| {
        let c = c.clone();
        let req = req.clone();
        async move { common::collect(&c, &req, &conv()).await.unwrap() }
    };
    run(&client).await;
    *provider.0.lock().unwrap() = creds(&other.access_token, "acct-B");
    assert_eq!(run(&client).await.text, "two");
    let ups = upgrades(&env);
    assert_eq!(ups.len(), 2, "the second account got its own connection");
    assert_eq!(ups[0].header("chatgpt-account-id"), Some("acct-A"));
    assert_eq!(ups[1].header("chatgpt-account-id"), Some("acct-B"));
    assert_eq!(
        ups[1].header("authorization"),
        Some(format!("Bearer {}", other.access_token).as_str())
    );
}

#[tokio::test]
async fn a_refreshed_token_opens_a_new_connection() {
    let env = ws_env().await;
    let history = first_turn_then_extend(&env).await;
    let fresh = env.auth.refresh().await.unwrap();
    let out2 = env.turn(&request(history)).await;
    // A new connection, so the full request.
    assert!(!out2.incremental);
    let ups = upgrades(&env);
    assert_eq!(ups.len(), 2);
    assert_eq!(
        ups[1].header("authorization"),
        Some(format!("Bearer {}", fresh.access_token.expose()).as_str())
    );
    assert_ne!(
        ups[0].header("authorization"),
        ups[1].header("authorization")
    );
}

#[tokio::test]
async fn per_request_identity_does_not_prevent_reuse_and_beta_features_do() {
    let env = ws_env().await;
    for _ in 0..4 {
        env.mock.push_response(Reply::text("ok"));
    }
    let req = request(vec![ResponseItem::user_text("hi")]);
    let turn = |window: u64, beta: bool| {
        let mut o = RequestOptions::builder()
            .conversation_id(common::CONVERSATION)
            .window_number(window);
        if beta {
            o = o.beta_feature("remote_compaction_v2");
        }
        o.build()
    };
    // Another turn id, window number and turn metadata: the same connection.
    env.turn_with(&req, &turn(0, false)).await;
    env.turn_with(&req, &turn(1, false)).await;
    assert_eq!(upgrades(&env).len(), 1);
    // A beta feature is connection-level: a new upgrade carries it.
    env.turn_with(&req, &turn(1, true)).await;
    let ups = upgrades(&env);
    assert_eq!(ups.len(), 2);
    assert_eq!(ups[0].header("x-codex-beta-features"), None);
    assert_eq!(
        ups[1].header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );
    // And the next turn without it goes back to the first connection.
    env.turn_with(&req, &turn(1, false)).await;
    assert_eq!(upgrades(&env).len(), 2);
    let turns = codex_test_support::mock::turn_requests(&env.mock);
    let windows: Vec<_> = turns
        .iter()
        .map(|r| r.json().unwrap()["client_metadata"]["x-codex-window-id"].clone())
        .collect();
    assert_eq!(
        windows,
        [
            format!("{}:0", common::CONVERSATION),
            format!("{}:1", common::CONVERSATION),
            format!("{}:1", common::CONVERSATION),
            format!("{}:1", common::CONVERSATION),
        ]
    );
}

#[tokio::test]
async fn after_a_warm_up_the_same_request_goes_incremental_with_an_empty_input() {
    let env = ws_env().await;
    // Answered by rule from the last user message: the mock must resolve the warm-up's
    // input from `previous_response_id` to find it.
    env.mock.on_user_message("weather", Reply::text("sunny"));
    let req = request(vec![ResponseItem::user_text("the weather?")]);
    assert!(env.client.responses().warm_up(&req, &conv()).await.unwrap());
    let out = env.turn(&req).await;
    assert_eq!(out.text, "sunny");
    assert!(out.incremental);
    let turns = codex_test_support::mock::turn_bodies(&env.mock);
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0]["generate"], false);
    let warm_id = turns[1]["previous_response_id"].as_str().unwrap();
    assert!(warm_id.starts_with("resp_mock_warm_"), "{warm_id}");
    assert_eq!(turns[1]["input"], serde_json::json!([]));
    assert_eq!(upgrades(&env).len(), 1);
}

#[tokio::test]
async fn a_connection_older_than_55_minutes_is_replaced_before_the_next_turn() {
    let env = ws_env().await;
    let history = first_turn_then_extend(&env).await;
    // The pool reads tokio's clock: 56 minutes pass at once (the clock keeps the offset once
    // it runs again), without a real wait and before any more I/O.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(56 * 60)).await;
    tokio::time::resume();
    let out2 = env.turn(&request(history.clone())).await;
    assert_eq!(out2.text, "two");
    assert!(!out2.incremental, "a new connection gets the full request");
    assert_eq!(upgrades(&env).len(), 2);
    let turns = codex_test_support::mock::turn_bodies(&env.mock);
    assert!(turns[1].get("previous_response_id").is_none());
    assert_eq!(turns[1]["input"].as_array().unwrap().len(), history.len());
}

/// A bare WebSocket server for one turn: after the `response.create` frame it sends a Ping,
/// waits for the answer, then streams a response. Returns the base URL and what the server
/// read after its Ping.
async fn pinging_server() -> (String, tokio::sync::oneshot::Receiver<Option<Message>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let first = ws.next().await.unwrap().unwrap();
        assert!(first.to_text().unwrap().contains("response.create"));
        ws.send(Message::Ping(Bytes::from_static(b"p1")))
            .await
            .unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .ok()
            .flatten()
            .and_then(Result::ok);
        let _ = tx.send(answer);
        for event in [
            r#"{"type":"response.created","response":{"id":"resp_1"}}"#,
            r#"{"type":"response.output_text.delta","delta":"pong seen","item_id":"m","output_index":0,"content_index":0}"#,
            r#"{"type":"response.completed","response":{"id":"resp_1"}}"#,
        ] {
            ws.send(Message::text(event)).await.unwrap();
        }
        // Reads on until the client closes (its response.processed included).
        while let Some(Ok(_)) = ws.next().await {}
    });
    (format!("http://{addr}/backend-api/codex"), rx)
}

#[tokio::test]
async fn a_ping_mid_response_is_answered_with_a_pong_and_the_turn_completes() {
    let (url, seen) = pinging_server().await;
    let client = codex_client::Client::builder()
        .transport(Transport::WebSocket)
        .workspace_routing(false)
        .base_url(url)
        .proxy(None)
        .idle_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let out = common::collect(
        &client,
        &request(vec![ResponseItem::user_text("hi")]),
        &conv(),
    )
    .await
    .unwrap();
    assert_eq!(out.text, "pong seen");
    assert_eq!(
        seen.await.unwrap(),
        Some(Message::Pong(Bytes::from_static(b"p1")))
    );
}
