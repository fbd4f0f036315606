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
use codex_client::ResponseStream;
use codex_client::RetryPolicy;
use codex_client::TextResponse;
use codex_client::Transport;
use codex_mock::MockServer;
use codex_mock::TokenSet;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use futures_util::StreamExt;

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

/// A builder pointed at the mock over HTTP SSE (tests of both transports set theirs with
/// [`env_over`] or `.transport(t)`), with fast retries and a short idle timeout. Workspace
/// routing discovery is off so each test sees only its own requests (`routing.rs` turns it
/// on).
pub fn builder_for(mock: &MockServer, auth: Arc<AuthManager>) -> ClientBuilder {
    let mut b = Client::builder()
        .transport(Transport::Sse)
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

/// [`env`] over transport `t` (the tests that `both_transports!` runs).
pub async fn env_over(t: Transport) -> Env {
    env_with(false, |b| b.transport(t)).await
}

impl Env {
    /// Starts a turn of the test conversation ([`conv`]).
    pub async fn start(&self, req: &ResponsesRequest) -> ResponseStream {
        self.client.responses().stream(req, &conv()).await.unwrap()
    }

    /// A turn of the test conversation that must fail before any event.
    pub async fn refused(&self, req: &ResponsesRequest) -> codex_client::Error {
        refused(&self.client, req).await
    }

    /// One whole turn of the test conversation, read to its successful end.
    pub async fn turn(&self, req: &ResponsesRequest) -> TextResponse {
        self.start(req).await.collect_text().await.unwrap()
    }

    /// One whole turn with these request options, read to its successful end.
    pub async fn turn_with(
        &self,
        req: &ResponsesRequest,
        opts: &codex_client::RequestOptions,
    ) -> TextResponse {
        collect(&self.client, req, opts).await.unwrap()
    }

    /// Checks that `r` carried this login's bearer token and account id.
    pub fn assert_signed_in(&self, r: &codex_mock::RecordedRequest) {
        assert_eq!(
            r.header("authorization").unwrap(),
            format!("Bearer {}", self.tokens.access_token)
        );
        assert_eq!(
            r.header("chatgpt-account-id"),
            Some(self.tokens.account_id.as_str())
        );
    }

    /// Checks that `r` carried this login and the official client's identity (`originator`
    /// and `version` headers of the default settings).
    pub fn assert_identity(&self, r: &codex_mock::RecordedRequest) {
        self.assert_signed_in(r);
        assert_eq!(r.header("originator"), Some("codex_cli_rs"));
        assert_eq!(r.header("version"), Some("0.171.0"));
    }

    /// The turns sent so far, the same over both transports
    /// ([`codex_test_support::mock::turn_requests`]).
    pub fn turns(&self) -> Vec<codex_mock::RecordedRequest> {
        codex_test_support::mock::turn_requests(&self.mock)
    }
}

/// A turn of the test conversation on `client` that must fail before any event.
pub async fn refused(client: &Client, req: &ResponsesRequest) -> codex_client::Error {
    client.responses().stream(req, &conv()).await.unwrap_err()
}

/// Every item of a stream: the events until the first error, and that error.
pub async fn drain(mut s: ResponseStream) -> (Vec<ResponseEvent>, Option<codex_client::Error>) {
    drain_mut(&mut s).await
}

/// [`drain`] of a stream the caller keeps (to poll it after the error).
pub async fn drain_mut(
    s: &mut ResponseStream,
) -> (Vec<ResponseEvent>, Option<codex_client::Error>) {
    let mut events = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
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

/// A server that accepts connections and never answers.
pub async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/backend-api/codex",
        listener.local_addr().unwrap()
    );
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    (url, task)
}
