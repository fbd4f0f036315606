//! The `/models` catalog cache over loopback against codex-mock: TTL, `If-None-Match` and
//! `304`, `x-models-etag` on a turn (SSE head and WebSocket upgrade), per-account entries, the
//! cache file (this SDK's own, 0600, corrupt or foreign files ignored) and turning it off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_auth::Credentials;
use codex_auth::SecretString;
use codex_auth::StaticTokenProvider;
use codex_client::Client;
use codex_client::ModelsCache;
use codex_client::Transport;
use common::Env;
use common::builder_for;
use common::collect;
use common::env_with;
use common::request;

const MODELS: &str = "/backend-api/codex/models";

/// A fresh folder standing in for `CODEX_HOME`, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "codex-client-models-cache-{}-{}",
            std::process::id(),
            codex_client::new_uuid_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self) -> PathBuf {
        self.0.join(codex_client::MODELS_CACHE_FILE_NAME)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn env_file(home: &Home, ttl: Duration) -> Env {
    let file = home.file();
    env_with(false, move |b| {
        b.models_cache(ModelsCache::File(file))
            .models_cache_ttl(ttl)
    })
    .await
}

/// Another client on the same mock and login, with its own in-memory state (a new process).
fn client_like(env: &Env, cache: ModelsCache, ttl: Duration) -> Client {
    builder_for(&env.mock, env.auth.clone())
        .models_cache(cache)
        .models_cache_ttl(ttl)
        .build()
        .unwrap()
}

fn models_requests(env: &Env) -> Vec<codex_mock::RecordedRequest> {
    env.mock.requests_to(MODELS)
}

const LONG: Duration = Duration::from_secs(300);

#[tokio::test]
async fn first_call_fetches_and_writes_the_file_then_the_ttl_serves_it() {
    let home = Home::new();
    let env = env_file(&home, LONG).await;
    let first = env.client.models().list().await.unwrap();
    assert!(!first.models.models.is_empty());
    let etag = first.etag.clone().unwrap();
    let reqs = models_requests(&env);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("if-none-match"), None);

    let raw = std::fs::read_to_string(home.file()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["format"], "codex-backend/models-cache/1");
    assert_eq!(v["entries"][0]["etag"], etag.as_str());
    assert_eq!(
        v["entries"][0]["account_id"],
        env.tokens.account_id.as_str()
    );
    assert!(
        !raw.contains(&env.tokens.access_token),
        "no token in the cache"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never the official client's file.
    assert!(!home.0.join("models_cache.json").exists());

    // Within the TTL: no request, same catalog.
    let second = env.client.models().list().await.unwrap();
    assert_eq!(second.models, first.models);
    assert_eq!(second.etag.as_deref(), Some(etag.as_str()));
    assert!(
        env.client
            .models()
            .get(&first.models.models[0].slug)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(models_requests(&env).len(), 1);

    // A new process with the same file starts warm: no request either.
    let other = client_like(&env, ModelsCache::File(home.file()), LONG);
    assert_eq!(other.models().list().await.unwrap().models, first.models);
    assert_eq!(models_requests(&env).len(), 1);
}

#[tokio::test]
async fn after_the_ttl_it_sends_if_none_match_and_a_304_keeps_the_catalog() {
    let home = Home::new();
    let env = env_file(&home, Duration::from_millis(400)).await;
    let first = env.client.models().list().await.unwrap();
    let etag = first.etag.clone().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let again = env.client.models().list().await.unwrap();
    let reqs = models_requests(&env);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("if-none-match"), Some(etag.as_str()));
    // The mock answered 304 with no body: the cached catalog is returned.
    assert_eq!(again.models, first.models);
    assert_eq!(again.etag.as_deref(), Some(etag.as_str()));

    // The 304 started a new TTL: the next call makes no request.
    env.client.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 2);

    // `refresh` asks whatever the TTL, conditionally.
    env.client.models().refresh().await.unwrap();
    let reqs = models_requests(&env);
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].header("if-none-match"), Some(etag.as_str()));

    // A new process whose file entry is past the TTL revalidates from the file's ETag.
    let stale = client_like(&env, ModelsCache::File(home.file()), Duration::ZERO);
    assert_eq!(stale.models().list().await.unwrap().models, first.models);
    let reqs = models_requests(&env);
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[3].header("if-none-match"), Some(etag.as_str()));
}

async fn etag_change_on_a_turn_triggers_a_refetch(transport: Transport) {
    let env = env_with(false, |b| b.transport(transport)).await;
    let first = env.client.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 1);

    // The catalog changes on the server: its ETag follows.
    env.mock.set_auto_compact_token_limit(None, Some(123_456));
    let stream = env
        .client
        .responses()
        .stream(&request("hi"), &common::conv())
        .await
        .unwrap();
    assert_ne!(stream.models_etag(), first.etag.as_deref());
    stream.collect_text().await.unwrap();

    let next = env.client.models().list().await.unwrap();
    let reqs = models_requests(&env);
    assert_eq!(reqs.len(), 2, "the new x-models-etag makes list ask again");
    assert_eq!(reqs[1].header("if-none-match"), first.etag.as_deref());
    if transport == Transport::Sse {
        // Over SSE the mock's x-models-etag is the catalog's: the new catalog came back.
        assert_ne!(next.etag, first.etag);
        assert_eq!(
            next.models.models[0].auto_compact_token_limit(),
            Some(123_456)
        );
        // A turn naming the cached ETag changes nothing.
        collect(&env.client, &request("again"), &common::conv())
            .await
            .unwrap();
        env.client.models().list().await.unwrap();
        assert_eq!(models_requests(&env).len(), 2);
    }
}

#[tokio::test]
async fn x_models_etag_on_an_sse_turn_triggers_a_refetch() {
    etag_change_on_a_turn_triggers_a_refetch(Transport::Sse).await;
}

#[tokio::test]
async fn x_models_etag_on_a_websocket_upgrade_triggers_a_refetch() {
    // The mock's upgrade answer always names `"models-mock"`, never the catalog's ETag.
    etag_change_on_a_turn_triggers_a_refetch(Transport::WebSocket).await;
}

#[tokio::test]
async fn entries_are_per_account() {
    let home = Home::new();
    let env = env_file(&home, LONG).await;
    env.client.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 1);

    let other_account = Arc::new(StaticTokenProvider::new(Credentials::new(
        SecretString::new(env.tokens.access_token.clone()),
        Some("acct-someone-else".to_owned()),
    )));
    let other = builder_for(&env.mock, env.auth.clone())
        .token_provider(other_account)
        .models_cache(ModelsCache::File(home.file()))
        .build()
        .unwrap();
    other.models().list().await.unwrap();
    let reqs = models_requests(&env);
    assert_eq!(
        reqs.len(),
        2,
        "another account never gets the first one's entry"
    );
    assert_eq!(reqs[1].header("if-none-match"), None);
    assert_eq!(
        reqs[1].header("chatgpt-account-id"),
        Some("acct-someone-else")
    );
    other.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 2);

    let raw = std::fs::read_to_string(home.file()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    // The first account's entry survived the second one's write.
    let again = client_like(&env, ModelsCache::File(home.file()), LONG);
    again.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 2);
}

#[tokio::test]
async fn a_corrupt_or_foreign_file_is_ignored_and_replaced() {
    let home = Home::new();
    let official = home.0.join("models_cache.json");
    std::fs::write(
        &official,
        r#"{"fetched_at":"x","etag":"\"e\"","models":[]}"#,
    )
    .unwrap();
    for bad in [
        &b"{ this is not json"[..],
        br#"{"fetched_at":"2026-01-01T00:00:00Z","etag":"\"e\"","models":[]}"#,
        b"\x00\xff",
    ] {
        std::fs::write(home.file(), bad).unwrap();
        let env = env_file(&home, LONG).await;
        let catalog = env.client.models().list().await.unwrap();
        assert!(!catalog.models.models.is_empty());
        assert_eq!(models_requests(&env)[0].header("if-none-match"), None);
        let raw = std::fs::read_to_string(home.file()).unwrap();
        assert!(raw.contains("codex-backend/models-cache/1"));
    }
    // An unreadable path (a folder where the file should be) is no error either.
    let dir_home = Home::new();
    std::fs::create_dir_all(dir_home.file()).unwrap();
    let env = env_file(&dir_home, LONG).await;
    env.client.models().list().await.unwrap();
    env.client.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 1, "still cached in memory");
    // The official client's file is never touched.
    assert_eq!(
        std::fs::read_to_string(&official).unwrap(),
        r#"{"fetched_at":"x","etag":"\"e\"","models":[]}"#
    );
}

#[tokio::test]
async fn disabled_cache_and_no_account_always_ask() {
    let env = env_with(false, |b| b.models_cache(ModelsCache::Disabled)).await;
    env.client.models().list().await.unwrap();
    env.client.models().list().await.unwrap();
    let reqs = models_requests(&env);
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.header("if-none-match").is_none()));

    // Credentials without a ChatGPT account id are never cached.
    let no_account = Arc::new(StaticTokenProvider::new(Credentials::new(
        SecretString::new(env.tokens.access_token.clone()),
        None,
    )));
    let c = builder_for(&env.mock, env.auth.clone())
        .token_provider(no_account)
        .build()
        .unwrap();
    c.models().list().await.unwrap();
    c.models().list().await.unwrap();
    assert_eq!(models_requests(&env).len(), 4);
}
