//! The `auth.json` file store: the official CLI's format, unknown keys, permissions, atomic
//! writes, corrupt files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;
use std::time::SystemTime;

use codex_auth::AuthFile;
use codex_auth::AuthMode;
use codex_auth::AuthStore;
use codex_auth::ErrorKind;
use codex_auth::SecretString;
use codex_auth::TokenData;
use codex_auth::TokenProvider;
use codex_mock::MockServer;
use common::*;

/// Saves a ChatGPT login with these tokens (account `acc`) into `store`.
async fn save_tokens(store: &AuthStore, id: &str, access: &str, refresh: &str) {
    let tokens = TokenData::new(
        SecretString::new(id),
        access.into(),
        refresh.into(),
        Some("acc".into()),
    );
    store
        .save(&AuthFile::chatgpt(tokens, None, SystemTime::now()))
        .await
        .unwrap();
}

/// What the official CLI writes: pretty JSON, microsecond `last_refresh` with `Z`.
fn official_text(
    id: &str,
    access: &str,
    refresh: &str,
    account: &str,
    last_refresh: &str,
) -> String {
    format!(
        r#"{{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {{
    "id_token": "{id}",
    "access_token": "{access}",
    "refresh_token": "{refresh}",
    "account_id": "{account}"
  }},
  "last_refresh": "{last_refresh}"
}}"#
    )
}

#[tokio::test]
async fn reads_the_official_cli_format() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let t = mock.issuer().issue_tokens();
    let text = official_text(
        &t.id_token,
        &t.access_token,
        &t.refresh_token,
        &t.account_id,
        "2026-01-02T03:04:05.123456Z",
    );
    std::fs::write(dir.auth_json(), &text).unwrap();
    let m = file_manager(&mock, &dir);
    let st = m.status().await.unwrap();
    assert!(st.logged_in);
    assert_eq!(st.mode, Some(AuthMode::ChatGpt));
    let acc = st.account.unwrap();
    assert_eq!(acc.email.as_deref(), Some("mock-user@example.com"));
    assert_eq!(acc.account_id.as_deref(), Some(t.account_id.as_str()));
    assert_eq!(acc.plan, Some(codex_auth::Plan::Plus));
    assert_eq!(acc.user_id.as_deref(), Some("user-codexmock000000000001"));
    assert_eq!(
        codex_auth::AuthFile::from_json(text.as_bytes())
            .unwrap()
            .last_refresh
            .unwrap()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap(),
        Duration::new(1_767_323_045, 123_456_000)
    );
    let c = m.credentials().await.unwrap();
    assert_eq!(c.access_token.expose(), t.access_token);
    assert_eq!(c.account_id.as_deref(), Some(t.account_id.as_str()));
    assert_eq!(mock.issuer().refresh_count(), 0);
    // Written back unchanged in layout by a save of the same data.
    let a = m.store().load().await.unwrap().unwrap();
    m.store().save(&a).await.unwrap();
    assert_eq!(
        String::from_utf8(std::fs::read(dir.auth_json()).unwrap())
            .unwrap()
            .trim_end(),
        text
    );
}

#[tokio::test]
async fn also_reads_plus_offsets_and_the_lower_case_key() {
    let dir = TempDir::new();
    std::fs::write(
        dir.auth_json(),
        br#"{"openai_api_key":"sk-lower","last_refresh":"2026-01-02T03:04:05+00:00"}"#,
    )
    .unwrap();
    let store = AuthStore::file(dir.auth_json());
    let a = store.load().await.unwrap().unwrap();
    assert_eq!(a.openai_api_key.as_ref().unwrap().expose(), "sk-lower");
    assert_eq!(a.effective_mode(), AuthMode::ApiKey);
    store.save(&a).await.unwrap();
    let v = dir.read_auth_json();
    assert_eq!(v["OPENAI_API_KEY"], "sk-lower");
    assert_eq!(v["last_refresh"], "2026-01-02T03:04:05Z");
}

#[tokio::test]
async fn unknown_keys_survive_a_refresh() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let t = mock
        .issuer()
        .issue_tokens_expiring(SystemTime::now() - Duration::from_secs(5));
    let mut v = t.auth_json();
    v["agent_identity"] = serde_json::json!({"future": [1, 2, {"x": null}]});
    v["zz_custom"] = "kept".into();
    v["tokens"]["token_extra"] = 42.into();
    v["OPENAI_API_KEY"] = "sk-keep".into();
    std::fs::write(dir.auth_json(), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let m = file_manager(&mock, &dir);
    m.credentials().await.unwrap();
    assert_eq!(mock.issuer().refresh_count(), 1);
    let after = dir.read_auth_json();
    assert_eq!(after["agent_identity"], v["agent_identity"]);
    assert_eq!(after["zz_custom"], "kept");
    assert_eq!(after["tokens"]["token_extra"], 42);
    assert_eq!(after["OPENAI_API_KEY"], "sk-keep");
    assert_eq!(after["auth_mode"], "chatgpt");
    assert_ne!(
        after["tokens"]["refresh_token"],
        v["tokens"]["refresh_token"]
    );
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_0600_even_over_a_world_readable_one() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    std::fs::write(dir.auth_json(), b"{}").unwrap();
    std::fs::set_permissions(dir.auth_json(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = AuthStore::file(dir.auth_json());
    save_tokens(&store, "a.b.c", "d.e.f", "rt").await;
    assert_eq!(mode(&dir.auth_json()), 0o600);
    // No temporary files left behind; the lock file (if any) is 0600 too.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["auth.json"]);

    // A missing parent folder is created (0700).
    let nested = dir.path().join("home/.codex/auth.json");
    let store = AuthStore::file(&nested);
    store.save(&AuthFile::default()).await.unwrap();
    assert_eq!(mode(&nested), 0o600);
    assert_eq!(mode(nested.parent().unwrap()), 0o700);
}

#[cfg(unix)]
#[tokio::test]
async fn the_refresh_lock_file_is_0600() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let t = mock
        .issuer()
        .issue_tokens_expiring(SystemTime::now() - Duration::from_secs(5));
    std::fs::write(dir.auth_json(), t.auth_json().to_string()).unwrap();
    file_manager(&mock, &dir).credentials().await.unwrap();
    assert_eq!(mode(&dir.path().join("auth.json.lock")), 0o600);
    assert_eq!(mode(&dir.auth_json()), 0o600);
}

#[tokio::test]
async fn a_corrupt_file_is_an_error_naming_the_path_and_left_untouched() {
    let mock = MockServer::start().await.unwrap();
    for bad in [
        &b"{\"tokens\": {\"id_token\": \"secret-value\""[..],
        b"\xff\xfe\x00",
        br#"{"tokens":"eyJsecret"}"#,
        br#"{"last_refresh":"not a time"}"#,
        b"[]",
    ] {
        let dir = TempDir::new();
        std::fs::write(dir.auth_json(), bad).unwrap();
        let m = file_manager(&mock, &dir);
        let e = m.credentials().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Storage);
        let msg = e.to_string();
        assert!(
            msg.contains(&dir.auth_json().display().to_string()),
            "{msg}"
        );
        let chain = format!("{msg} {:?}", std::error::Error::source(&e));
        assert!(!chain.contains("secret"), "{chain}");
        assert!(m.status().await.is_err());
        assert_eq!(std::fs::read(dir.auth_json()).unwrap(), bad);
    }
}

#[tokio::test]
async fn a_malformed_id_token_is_a_clear_error() {
    let dir = TempDir::new();
    std::fs::write(
        dir.auth_json(),
        br#"{"tokens":{"id_token":"not-a-jwt","access_token":"x","refresh_token":"y"},"last_refresh":"2099-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let mock = MockServer::start().await.unwrap();
    let m = file_manager(&mock, &dir);
    let e = m.status().await.unwrap_err();
    assert!(e.to_string().contains("id_token"), "{e}");
    let e = m.credentials().await.unwrap_err();
    assert!(e.to_string().contains("malformed"), "{e}");
    assert!(!e.to_string().contains("not-a-jwt"));
}

#[tokio::test]
async fn memory_store_round_trip() {
    let store = AuthStore::memory();
    assert!(store.load().await.unwrap().is_none());
    assert!(store.path().is_none());
    save_tokens(&store, "h.e30.s", "a", "r").await;
    assert!(store.clone().load().await.unwrap().is_some());
    assert!(store.delete().await.unwrap());
    assert!(!store.delete().await.unwrap());
    let dbg = format!("{store:?}");
    assert!(!dbg.contains("\"r\""));
}

#[tokio::test]
async fn static_provider() {
    let p = codex_auth::StaticTokenProvider::new(codex_auth::Credentials::new(
        "tok".into(),
        Some("acc".into()),
    ));
    let c = p.credentials().await.unwrap();
    assert_eq!(c.access_token.expose(), "tok");
    assert!(
        p.refresh_after_unauthorized(&c)
            .await
            .unwrap_err()
            .is_login_required()
    );
}

const ENV_CHILD: &str = "CODEX_AUTH_TEST_ENV_CHILD";

/// Runs in a child process with a controlled environment (see `environment_overrides`).
#[test]
#[ignore = "helper run as a child process by environment_overrides"]
fn env_child_helper() {
    if std::env::var_os(ENV_CHILD).is_none() {
        return;
    }
    match AuthStore::from_env() {
        Ok(s) => println!("PATH={}", s.path().unwrap().display()),
        Err(e) => println!("ERR={e}"),
    }
    let cfg = codex_auth::OAuthConfig::builder().build().unwrap();
    println!("ISSUER={}", cfg.issuer());
}

fn run_env_child(envs: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "env_child_helper", "--ignored", "--nocapture"])
        .env(ENV_CHILD, "1")
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_AUTH_ISSUER");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn environment_overrides() {
    let dir = TempDir::new();
    let canonical = std::fs::canonicalize(dir.path()).unwrap();
    let out = run_env_child(&[
        ("CODEX_HOME", dir.path().as_os_str()),
        ("CODEX_AUTH_ISSUER", "http://127.0.0.1:9999/".as_ref()),
    ]);
    assert!(
        out.contains(&format!("PATH={}", canonical.join("auth.json").display())),
        "{out}"
    );
    assert!(out.contains("ISSUER=http://127.0.0.1:9999\n"), "{out}");

    let home = TempDir::new();
    let out = run_env_child(&[("HOME", home.path().as_os_str())]);
    assert!(
        out.contains(&format!(
            "PATH={}",
            home.path().join(".codex/auth.json").display()
        )),
        "{out}"
    );
    assert!(out.contains("ISSUER=https://auth.openai.com\n"), "{out}");

    let missing = dir.path().join("does-not-exist");
    let out = run_env_child(&[("CODEX_HOME", missing.as_os_str())]);
    assert!(out.contains("ERR=CODEX_HOME does not exist"), "{out}");
}
