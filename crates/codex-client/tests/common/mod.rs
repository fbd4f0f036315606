//! Shared set-up for the integration tests: a codex-mock server, a real codex-auth
//! `AuthManager` over an in-memory store holding tokens minted by the mock's issuer, and a
//! client pointed at the mock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use codex_auth::AuthFile;
use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::OAuthConfig;
use codex_auth::SecretString;
use codex_auth::TokenData;
use codex_client::Client;
use codex_client::ClientBuilder;
use codex_client::RetryPolicy;
use codex_client::Transport;
use codex_mock::MockServer;
use codex_mock::TokenSet;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;

pub struct Env {
    pub mock: MockServer,
    pub tokens: TokenSet,
    pub auth: Arc<AuthManager>,
    pub client: Client,
}

pub fn auth_for(mock: &MockServer, tokens: &TokenSet) -> Arc<AuthManager> {
    let data = TokenData::new(
        SecretString::new(tokens.id_token.clone()),
        SecretString::new(tokens.access_token.clone()),
        SecretString::new(tokens.refresh_token.clone()),
        Some(tokens.account_id.clone()),
    );
    let store = AuthStore::memory_with(AuthFile::chatgpt(data, None, SystemTime::now()));
    let mut cfg = OAuthConfig::builder().issuer(mock.issuer_url());
    if let Some(pem) = mock.ca_cert_pem() {
        cfg = cfg.add_root_certificate_pem(pem.into_bytes());
    }
    Arc::new(AuthManager::new(store, cfg.build().unwrap()).unwrap())
}

/// The transport the shared set-up uses: `CODEX_TEST_TRANSPORT` (`sse`, the default, or
/// `websocket` / `auto`), so the whole suite can run over either transport. Tests about one
/// transport set it explicitly.
pub fn transport() -> Transport {
    match std::env::var("CODEX_TEST_TRANSPORT").as_deref() {
        Ok("websocket") => Transport::WebSocket,
        Ok("auto") => Transport::Auto,
        _ => Transport::Sse,
    }
}

/// A builder pointed at the mock, with fast retries and a short idle timeout. Workspace
/// routing discovery is off so each test sees only its own requests (`routing.rs` turns it
/// on).
pub fn builder_for(mock: &MockServer, auth: Arc<AuthManager>) -> ClientBuilder {
    let mut b = Client::builder()
        .transport(transport())
        .workspace_routing(false)
        .base_url(mock.backend_base_url())
        .usage_url(mock.usage_url())
        .api_base_url(mock.api_base_url())
        .proxy(None)
        .idle_timeout(Duration::from_secs(10))
        .retry(
            RetryPolicy::builder()
                .max_retries(3)
                .base_delay(Duration::from_millis(10))
                .max_server_delay(Duration::from_secs(3))
                .build(),
        )
        .token_provider(auth);
    if let Some(pem) = mock.ca_cert_pem() {
        b = b.add_root_certificate_pem(pem);
    }
    b
}

pub async fn env_with(tls: bool, f: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Env {
    let mock = if tls {
        MockServer::start_tls().await.unwrap()
    } else {
        MockServer::start().await.unwrap()
    };
    let tokens = mock.issuer().issue_tokens();
    let auth = auth_for(&mock, &tokens);
    let client = f(builder_for(&mock, auth.clone())).build().unwrap();
    Env {
        mock,
        tokens,
        auth,
        client,
    }
}

pub async fn env() -> Env {
    env_with(false, |b| b).await
}

pub fn request(text: &str) -> ResponsesRequest {
    ResponsesRequest::builder("gpt-5.4")
        .instructions("be brief")
        .push_input(ResponseItem::user_text(text))
        .build()
        .unwrap()
}

/// One `/responses` request read to its end.
pub async fn collect(
    client: &Client,
    req: &ResponsesRequest,
    opts: &codex_client::RequestOptions,
) -> codex_client::Result<codex_client::TextResponse> {
    client
        .responses()
        .stream(req, opts)
        .await?
        .collect_text()
        .await
}

pub const CONVERSATION: &str = "5f0c6a3e-9a6e-4c55-9a39-0a7c1f0d2b11";

/// Request options carrying the test conversation id.
pub fn conv() -> codex_client::RequestOptions {
    codex_client::RequestOptions::builder()
        .conversation_id(CONVERSATION)
        .build()
}
