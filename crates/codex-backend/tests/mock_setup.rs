//! Issue 17: one-call offline setup (feature `mock`): every endpoint of the mock, a
//! throwaway home with a fake login, interactive login off, the home deleted with the client.
#![cfg(feature = "mock")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use codex_backend::CodexClient;
use codex_mock::MockServer;

#[tokio::test]
async fn mock_builder_points_everything_at_the_mock() {
    let server = MockServer::start().await.unwrap();
    let client = CodexClient::mock_builder(&server).unwrap().build().unwrap();
    client.authenticate().await.unwrap();
    assert_eq!(
        client.respond_text("hi").await.unwrap(),
        codex_mock::DEFAULT_TEXT
    );
    client.usage().await.unwrap();
    client.list_models().await.unwrap();
    // Every request went to the mock (backend, usage), none elsewhere.
    assert!(
        !server
            .requests_to("/backend-api/codex/responses")
            .is_empty()
    );
    assert!(!server.requests_to("/backend-api/wham/usage").is_empty());
    let home = client
        .auth_manager()
        .unwrap()
        .store()
        .path()
        .map(|p| p.parent().unwrap().to_owned())
        .unwrap();
    assert!(home.join("auth.json").is_file());
    let clone = client.clone();
    drop(client);
    assert!(home.exists(), "a clone keeps the home");
    drop(clone);
    assert!(
        !home.exists(),
        "the throwaway home is deleted with the last client"
    );
}
