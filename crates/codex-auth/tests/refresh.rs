//! Token refresh against codex-mock's issuer: rotation, single flight, adoption, failures and
//! two processes refreshing at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::Credentials;
use codex_auth::ErrorKind;
use codex_auth::OAuthConfig;
use codex_auth::RefreshFailure;
use codex_auth::TokenProvider;
use codex_mock::MockServer;
use codex_mock::TokenSet;
use common::*;
use serde_json::Value;

const CHILD_PATH: &str = "CODEX_AUTH_TEST_CHILD_AUTH_PATH";
const CHILD_ISSUER: &str = "CODEX_AUTH_TEST_CHILD_ISSUER";

fn write(dir: &TempDir, v: &Value) {
    std::fs::write(dir.auth_json(), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn stale(mock: &MockServer) -> TokenSet {
    mock.issuer()
        .issue_tokens_expiring(SystemTime::now() - Duration::from_secs(60))
}

#[tokio::test]
async fn expired_token_is_refreshed_and_rotated() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let old = stale(&mock);
    write(&dir, &old.auth_json());
    let m = file_manager(&mock, &dir);
    let before = SystemTime::now();
    let c = m.credentials().await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);
    assert_ne!(c.access_token.expose(), old.access_token);
    assert!(mock.issuer().is_access_token_valid(c.access_token.expose()));
    assert_eq!(c.account_id.as_deref(), Some(old.account_id.as_str()));
    let v = dir.read_auth_json();
    assert_ne!(v["tokens"]["refresh_token"], old.refresh_token.as_str());
    assert_eq!(v["tokens"]["access_token"], c.access_token.expose());
    let lr = v["last_refresh"].as_str().unwrap();
    assert!(lr.ends_with('Z'));
    let st = m.status().await.unwrap();
    assert!(st.last_refresh.unwrap() >= before - Duration::from_secs(1));
    assert!(!st.needs_refresh);
    // The refresh request: JSON, the three fields, no scope.
    let r = &mock.requests_to("/oauth/token")[0];
    let body = r.json().unwrap();
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(body["client_id"], codex_auth::CLIENT_ID);
    assert_eq!(body["refresh_token"], old.refresh_token.as_str());
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    // Fresh now: no further refresh.
    let again = m.credentials().await.unwrap();
    assert_eq!(again, c);
    assert_eq!(mock.issuer().refresh_count(), 1);
}

#[tokio::test]
async fn token_expiring_within_five_minutes_is_refreshed() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let soon = mock
        .issuer()
        .issue_tokens_expiring(SystemTime::now() + Duration::from_secs(240));
    write(&dir, &soon.auth_json());
    file_manager(&mock, &dir).credentials().await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);

    let later = mock
        .issuer()
        .issue_tokens_expiring(SystemTime::now() + Duration::from_secs(600));
    write(&dir, &later.auth_json());
    let c = file_manager(&mock, &dir).credentials().await.unwrap();
    assert_eq!(c.access_token.expose(), later.access_token);
    assert_eq!(mock.issuer().refresh_count(), 1);
}

#[tokio::test]
async fn without_exp_the_last_refresh_age_decides() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let t = mock.issuer().issue_tokens();
    let mut v = t.auth_json();
    v["tokens"]["access_token"] = "opaque-access-token".into();
    v["last_refresh"] =
        codex_mock::rfc3339(SystemTime::now() - Duration::from_secs(7 * 86_400)).into();
    write(&dir, &v);
    let c = file_manager(&mock, &dir).credentials().await.unwrap();
    assert_eq!(c.access_token.expose(), "opaque-access-token");
    assert_eq!(mock.issuer().refresh_count(), 0);

    v["last_refresh"] =
        codex_mock::rfc3339(SystemTime::now() - Duration::from_secs(9 * 86_400)).into();
    write(&dir, &v);
    let c = file_manager(&mock, &dir).credentials().await.unwrap();
    assert_ne!(c.access_token.expose(), "opaque-access-token");
    assert_eq!(mock.issuer().refresh_count(), 1);
}

#[tokio::test]
async fn eight_concurrent_tasks_cause_one_refresh() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    write(&dir, &stale(&mock).auth_json());
    let m = file_manager(&mock, &dir);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let m = m.clone();
        tasks.push(tokio::spawn(async move { m.credentials().await.unwrap() }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().access_token.expose().to_owned());
    }
    assert_eq!(mock.issuer().refresh_count(), 1);
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn eight_tasks_after_a_401_cause_one_refresh() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    write(&dir, &mock.issuer().issue_tokens().auth_json());
    let m = file_manager(&mock, &dir);
    let rejected = Arc::new(m.credentials().await.unwrap());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let m = m.clone();
        let r = Arc::clone(&rejected);
        tasks.push(tokio::spawn(async move {
            m.refresh_after_unauthorized(&r).await.unwrap()
        }));
    }
    for t in tasks {
        let c = t.await.unwrap();
        assert_ne!(c.access_token, rejected.access_token);
    }
    assert_eq!(mock.issuer().refresh_count(), 1);
}

#[tokio::test]
async fn a_token_rotated_by_another_process_is_adopted_without_a_call() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    write(&dir, &stale(&mock).auth_json());
    // Two managers with separate state: two programs sharing auth.json.
    let a = file_manager(&mock, &dir);
    let b = file_manager(&mock, &dir);
    let b_old = b.store().load().await.unwrap().unwrap();
    assert!(b_old.tokens.is_some());
    let fresh = a.credentials().await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);
    // b still has the old token in mind (its first use happens now), and adopts a's.
    let got = b.credentials().await.unwrap();
    assert_eq!(got.access_token, fresh.access_token);
    assert_eq!(mock.issuer().refresh_count(), 1);

    // After a 401 for a token another program already replaced: adopt, no call.
    let c = AuthManager::new(AuthStore::file(dir.auth_json()), config(&mock)).unwrap();
    let c_creds = c.credentials().await.unwrap();
    a.refresh_after_unauthorized(&fresh).await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 2);
    let adopted = c.refresh_after_unauthorized(&c_creds).await.unwrap();
    assert_ne!(adopted.access_token, c_creds.access_token);
    assert_eq!(mock.issuer().refresh_count(), 2);
}

#[tokio::test]
async fn permanent_failures_require_login_and_are_cached() {
    for (failure, reason, words) in [
        (
            codex_mock::RefreshFailure::Reused,
            RefreshFailure::Reused,
            "already used",
        ),
        (
            codex_mock::RefreshFailure::Expired,
            RefreshFailure::Expired,
            "expired",
        ),
        (
            codex_mock::RefreshFailure::Invalidated,
            RefreshFailure::Revoked,
            "revoked",
        ),
    ] {
        let mock = MockServer::start().await.unwrap();
        let dir = TempDir::new();
        let t = stale(&mock);
        write(&dir, &t.auth_json());
        mock.issuer().fail_next_refresh(failure);
        let m = file_manager(&mock, &dir);
        let e = m.credentials().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LoginRequired);
        assert!(e.is_login_required());
        assert_eq!(e.refresh_failure(), Some(reason));
        assert!(e.to_string().contains(words), "{e}");
        assert!(e.to_string().contains("sign in again"), "{e}");
        for secret in [&t.refresh_token, &t.access_token, &t.id_token] {
            assert!(!e.to_string().contains(secret.as_str()));
            assert!(!format!("{e:?}").contains(secret.as_str()));
        }
        // Cached for this token: no second network call.
        let n = mock.issuer().token_requests();
        assert!(m.credentials().await.unwrap_err().is_login_required());
        assert_eq!(mock.issuer().token_requests(), n);
        // The file is untouched.
        assert_eq!(
            dir.read_auth_json()["tokens"]["refresh_token"],
            t.refresh_token.as_str()
        );
    }
}

#[tokio::test]
async fn a_reused_token_detected_by_the_issuer_is_reported() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let t = stale(&mock);
    write(&dir, &t.auth_json());
    file_manager(&mock, &dir).credentials().await.unwrap();
    // Someone restores the old file: its refresh token is spent.
    write(&dir, &t.auth_json());
    let e = file_manager(&mock, &dir).credentials().await.unwrap_err();
    assert_eq!(e.refresh_failure(), Some(RefreshFailure::Reused));
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    write(&dir, &stale(&mock).auth_json());
    mock.issuer()
        .fail_next_refresh(codex_mock::RefreshFailure::Status(503));
    mock.issuer()
        .fail_next_refresh(codex_mock::RefreshFailure::Status(500));
    let m = file_manager(&mock, &dir);
    let started = std::time::Instant::now();
    m.credentials().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "200 ms + 400 ms backoff"
    );
    assert_eq!(mock.issuer().refresh_count(), 1);
    assert_eq!(mock.issuer().token_requests(), 3);

    // Three failures in a row: a transient error, and nothing cached.
    let dir = TempDir::new();
    write(&dir, &stale(&mock).auth_json());
    for _ in 0..3 {
        mock.issuer()
            .fail_next_refresh(codex_mock::RefreshFailure::Status(502));
    }
    let m = file_manager(&mock, &dir);
    let e = m.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert!(e.is_retryable());
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
    m.credentials().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_issuer_is_transient() {
    let port = free_port();
    let dir = TempDir::new();
    let mock = MockServer::start().await.unwrap();
    write(&dir, &stale(&mock).auth_json());
    let cfg = OAuthConfig::builder()
        .issuer(format!("http://127.0.0.1:{port}"))
        .request_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::file(dir.auth_json()), cfg).unwrap();
    let e = m.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient, "{e}");
}

#[tokio::test]
async fn memory_store_refreshes_too() {
    let mock = MockServer::start().await.unwrap();
    let t = stale(&mock);
    let auth = codex_auth::AuthFile::from_json(t.auth_json().to_string().as_bytes()).unwrap();
    let m = AuthManager::new(AuthStore::memory_with(auth), config(&mock)).unwrap();
    let c = m.credentials().await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);
    let stored = m.store().load().await.unwrap().unwrap();
    assert_eq!(stored.tokens.unwrap().access_token, c.access_token);
    let provider: Arc<dyn TokenProvider> = Arc::new(m);
    assert_eq!(provider.credentials().await.unwrap(), c);
}

#[tokio::test]
async fn not_logged_in_and_api_key_only() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let m = file_manager(&mock, &dir);
    let e = m.credentials().await.unwrap_err();
    assert!(e.is_login_required());
    std::fs::write(dir.auth_json(), br#"{"OPENAI_API_KEY":"sk-test"}"#).unwrap();
    let m = file_manager(&mock, &dir);
    let e = m.credentials().await.unwrap_err();
    assert!(e.is_login_required());
    assert!(e.to_string().contains("API key"), "{e}");
    assert!(!e.to_string().contains("sk-test"));
    let unknown = Credentials::new("x".into(), None);
    assert!(m.refresh_after_unauthorized(&unknown).await.is_err());
}

#[tokio::test]
async fn logout_revokes_then_removes() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let t = mock.issuer().issue_tokens();
    write(&dir, &t.auth_json());
    let m = file_manager(&mock, &dir);
    m.credentials().await.unwrap();
    let out = m.logout().await.unwrap();
    assert!(out.removed && out.revoked);
    assert_eq!(
        mock.issuer().revoked_tokens(),
        vec![t.refresh_token.clone()]
    );
    let body = mock.requests_to("/oauth/revoke")[0].json().unwrap();
    assert_eq!(body["token_type_hint"], "refresh_token");
    assert_eq!(body["client_id"], codex_auth::CLIENT_ID);
    assert!(!dir.auth_json().exists());
    assert!(m.credentials().await.unwrap_err().is_login_required());
    let again = m.logout().await.unwrap();
    assert!(!again.removed && !again.revoked);

    // Issuer unreachable: still logged out locally.
    write(&dir, &t.auth_json());
    let cfg = OAuthConfig::builder()
        .issuer(format!("http://127.0.0.1:{}", free_port()))
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::file(dir.auth_json()), cfg).unwrap();
    let out = m.logout().await.unwrap();
    assert!(out.removed && !out.revoked);
    assert!(!dir.auth_json().exists());
}

/// Runs in a child process (see `two_processes_refreshing_at_once_cause_one_refresh`).
#[tokio::test]
#[ignore = "helper run as a child process by two_processes_refreshing_at_once_cause_one_refresh"]
async fn child_refresh_helper() {
    let (Ok(path), Ok(issuer)) = (std::env::var(CHILD_PATH), std::env::var(CHILD_ISSUER)) else {
        return;
    };
    let cfg = OAuthConfig::builder().issuer(issuer).build().unwrap();
    let path = std::path::PathBuf::from(path);
    let m = AuthManager::new(AuthStore::file(&path), cfg).unwrap();
    // Barrier: both processes start refreshing at the same moment.
    let dir = path.parent().unwrap();
    std::fs::write(dir.join(format!("ready-{}", std::process::id())), b"").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("ready-")
            })
            .count();
        if ready >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other process never started"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let c = m.credentials().await.unwrap();
    assert!(!c.access_token.is_empty());
    println!("CHILD-OK");
}

#[tokio::test]
async fn two_processes_refreshing_at_once_cause_one_refresh() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let old = stale(&mock);
    write(&dir, &old.auth_json());
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        std::process::Command::new(&exe)
            .args([
                "--exact",
                "child_refresh_helper",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_PATH, dir.auth_json())
            .env(CHILD_ISSUER, mock.issuer_url())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children = [spawn(), spawn()];
    let outputs =
        tokio::task::spawn_blocking(move || children.map(|c| c.wait_with_output().unwrap()))
            .await
            .unwrap();
    for o in &outputs {
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.contains("CHILD-OK"), "{out}");
    }
    assert_eq!(mock.issuer().refresh_count(), 1);
    // The file is valid JSON with the rotated, still-usable token.
    let v = dir.read_auth_json();
    let rt = v["tokens"]["refresh_token"].as_str().unwrap();
    assert_ne!(rt, old.refresh_token);
    assert!(
        mock.issuer()
            .is_access_token_valid(v["tokens"]["access_token"].as_str().unwrap())
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir.auth_json()), 0o600);
    // And this process can still use it.
    let c = file_manager(&mock, &dir).credentials().await.unwrap();
    assert_eq!(
        c.access_token.expose(),
        v["tokens"]["access_token"].as_str().unwrap()
    );
    assert_eq!(mock.issuer().refresh_count(), 1);
}

#[tokio::test]
async fn refresh_over_tls_with_a_test_ca() {
    let mock = MockServer::start_tls().await.unwrap();
    assert!(mock.issuer_url().starts_with("https://"));
    let dir = TempDir::new();
    write(&dir, &stale(&mock).auth_json());
    // Without the test CA the issuer is not trusted.
    let untrusted = OAuthConfig::builder()
        .issuer(mock.issuer_url())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::file(dir.auth_json()), untrusted).unwrap();
    assert!(m.credentials().await.is_err());
    assert_eq!(mock.issuer().refresh_count(), 0);
    let trusted = OAuthConfig::builder()
        .issuer(mock.issuer_url())
        .add_root_certificate_pem(mock.ca_cert_pem().unwrap())
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::file(dir.auth_json()), trusted).unwrap();
    m.credentials().await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);
}
