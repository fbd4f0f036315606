//! Workspace routing discovery (issue 14, protocol §14.1) against codex-mock over loopback:
//! `wham/accounts/check` before the first backend request, the workspace origin and the
//! routing override honoured, the answer cached for the process, failures tolerated.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use codex_auth::Credentials;
use codex_auth::SecretString;
use codex_auth::StaticTokenProvider;
use codex_client::Client;
use codex_client::RequestOptions;
use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::Route;
use common::builder_for;
use common::request;
use serde_json::json;

const CHECK: &str = "/backend-api/wham/accounts/check";
const RESPONSES: &str = "/backend-api/codex/responses";

async fn turn(client: &Client) {
    common::collect(client, &request("hi"), &RequestOptions::default())
        .await
        .unwrap();
}

/// A home backend whose discovery routes to a workspace backend with `routing_override`; the
/// login's tokens and the auth manager over them.
async fn home_and_workspace(
    routing_override: &str,
) -> (
    MockServer,
    MockServer,
    codex_mock::TokenSet,
    Arc<codex_auth::AuthManager>,
) {
    let home = MockServer::start_tls().await.unwrap();
    let workspace = MockServer::start_tls().await.unwrap();
    workspace.issuer().set_require_auth(false);
    home.set_workspace_routing(Some(&workspace.url()), Some(routing_override));
    let tokens = home.issuer().issue_tokens();
    let auth = common::auth_for(&home, &tokens);
    (home, workspace, tokens, auth)
}

#[tokio::test]
async fn the_workspace_origin_and_override_are_honoured_and_cached() {
    let (home, workspace, tokens, auth) = home_and_workspace("us").await;
    let build = || {
        builder_for(&home, auth.clone())
            .workspace_routing(true)
            .add_root_certificate_pem(workspace.ca_cert_pem().unwrap())
            .build()
            .unwrap()
    };
    let client = build();
    turn(&client).await;
    turn(&client).await;
    client.models().list().await.unwrap();
    // Another client of the same process: the answer is cached per account.
    turn(&build()).await;

    let checks = home.requests_to(CHECK);
    assert_eq!(checks.len(), 1, "one discovery per account per process");
    let c = &checks[0];
    assert_eq!(c.method, "GET");
    assert_eq!(
        c.header("authorization").unwrap(),
        format!("Bearer {}", tokens.access_token)
    );
    assert_eq!(
        c.header("chatgpt-account-id"),
        Some(tokens.account_id.as_str())
    );
    assert_eq!(c.header("originator"), Some("codex_cli_rs"));
    assert!(home.requests_to(RESPONSES).is_empty());
    let routed = workspace.requests_to(RESPONSES);
    assert_eq!(routed.len(), 3);
    for r in &routed {
        assert_eq!(r.header("x-openai-account-routing-override"), Some("us"));
    }
    assert_eq!(workspace.requests_to("/backend-api/codex/models").len(), 1);
}

#[tokio::test]
async fn no_constraint_keeps_the_base_url_and_sends_no_override() {
    let env = common::env_with(false, |b| b.workspace_routing(true)).await;
    turn(&env.client).await;
    assert_eq!(env.mock.requests_to(CHECK).len(), 1);
    let r = &env.mock.requests_to(RESPONSES)[0];
    assert_eq!(r.header("x-openai-account-routing-override"), None);
    // The discovery comes first.
    assert_eq!(env.mock.requests()[0].path, CHECK);
}

#[tokio::test]
async fn a_failed_or_missing_discovery_is_tolerated() {
    for status in [500u16, 404] {
        let env = common::env_with(false, |b| b.workspace_routing(true)).await;
        env.mock.push(
            Route::AccountsCheck,
            Reply::status(status, json!({"detail": "nope"})),
        );
        turn(&env.client).await;
        turn(&env.client).await;
        assert_eq!(env.mock.requests_to(CHECK).len(), 1, "{status}: asked once");
        assert_eq!(env.mock.requests_to(RESPONSES).len(), 2, "{status}");
    }
    // A workspace origin that is not https is ignored.
    let env = common::env_with(false, |b| b.workspace_routing(true)).await;
    env.mock
        .set_workspace_routing(Some("http://127.0.0.1:9"), None);
    turn(&env.client).await;
    assert_eq!(env.mock.requests_to(RESPONSES).len(), 1);
}

#[tokio::test]
async fn no_discovery_without_a_chatgpt_login_or_when_turned_off() {
    let env = common::env_with(false, |b| b.workspace_routing(false)).await;
    turn(&env.client).await;
    let token = env.tokens.access_token.clone();
    let no_account = builder_for(&env.mock, env.auth.clone())
        .workspace_routing(true)
        .token_provider(Arc::new(StaticTokenProvider::new(Credentials::new(
            SecretString::new(token),
            None,
        ))))
        .build()
        .unwrap();
    turn(&no_account).await;
    assert!(env.mock.requests_to(CHECK).is_empty());
    assert_eq!(env.mock.requests_to(RESPONSES).len(), 2);
}

/// The WebSocket upgrade follows workspace routing too: it goes to the workspace origin with
/// the routing override.
#[tokio::test]
async fn the_websocket_upgrade_follows_the_workspace_routing() {
    let (home, workspace, _tokens, auth) = home_and_workspace("eu").await;
    let client = builder_for(&home, auth)
        .workspace_routing(true)
        .transport(codex_client::Transport::WebSocket)
        .add_root_certificate_pem(workspace.ca_cert_pem().unwrap())
        .build()
        .unwrap();
    turn(&client).await;
    assert_eq!(home.requests_to(CHECK).len(), 1);
    assert!(home.websocket_upgrades().is_empty());
    let ups = workspace.websocket_upgrades();
    assert_eq!(ups.len(), 1);
    assert_eq!(
        ups[0].header("x-openai-account-routing-override"),
        Some("eu")
    );
}
