//! Issue 13, "logins are never lost": a refresh that was sent is saved even when the caller
//! goes away; a save that cannot work is found before the token is spent; bind-mounted,
//! read-only, full and symlinked `auth.json`; malformed issuer answers; the refresh lock is
//! held briefly. Real files, real mounts (in a private mount namespace, skipped with a
//! printed reason where that is not possible), codex-mock's rotating issuer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;

use codex_auth::AuthFile;
use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::ErrorKind;
use codex_auth::OAuthConfig;
use codex_auth::TokenProvider;
use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::Route;
use codex_mock::TokenSet;
use common::*;
use serde_json::json;

fn stale(mock: &MockServer) -> TokenSet {
    mock.issuer()
        .issue_tokens_expiring(SystemTime::now() - Duration::from_secs(60))
}

fn write_tokens(path: &Path, t: &TokenSet) {
    std::fs::write(path, serde_json::to_vec_pretty(&t.auth_json()).unwrap()).unwrap();
}

fn manager_at(mock: &MockServer, path: &Path) -> AuthManager {
    AuthManager::new(AuthStore::file(path), config(mock)).unwrap()
}

fn refresh_token_in(path: &Path) -> String {
    let a = AuthFile::from_json(&std::fs::read(path).unwrap()).expect("valid auth.json");
    a.tokens.unwrap().refresh_token.expose().to_owned()
}

/// The refresh token stored at `path` is accepted by the issuer (it was not spent).
async fn still_works(mock: &MockServer, path: &Path) -> bool {
    manager_at(mock, path).refresh().await.is_ok()
}

/// A stale login in a new folder, and an issuer that answers a refresh 700 ms after rotating.
async fn slow_issuer_and_stale_login() -> (MockServer, TempDir, TokenSet, AuthManager) {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let old = stale(&mock);
    write_tokens(&dir.auth_json(), &old);
    mock.issuer()
        .set_refresh_answer_delay(Duration::from_millis(700));
    let m = file_manager(&mock, &dir);
    (mock, dir, old, m)
}

#[tokio::test]
async fn a_refresh_whose_caller_is_dropped_is_still_saved() {
    let (mock, dir, old, m) = slow_issuer_and_stale_login().await;
    // The caller gives up (a timeout, a select!, Ctrl-C) after the issuer rotated the token.
    let r = tokio::time::timeout(Duration::from_millis(300), m.credentials()).await;
    assert!(r.is_err(), "the refresh should still be in flight");
    assert_eq!(mock.issuer().refresh_count(), 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while refresh_token_in(&dir.auth_json()) == old.refresh_token {
        assert!(
            Instant::now() < deadline,
            "the rotated token was never saved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(still_works(&mock, &dir.auth_json()).await);
}

#[tokio::test]
async fn shutdown_waits_for_a_refresh_in_flight_and_sends_no_new_one() {
    let (mock, dir, old, m) = slow_issuer_and_stale_login().await;
    let task = {
        let m = m.clone();
        tokio::spawn(async move { m.credentials().await })
    };
    while mock.issuer().refresh_count() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    assert!(m.shutdown(Duration::from_secs(5)).await);
    // Saved by the time shutdown returns.
    let saved = refresh_token_in(&dir.auth_json());
    assert_ne!(saved, old.refresh_token);
    // No new refresh request after shutdown.
    let e = m.refresh().await.unwrap_err();
    assert!(e.to_string().contains("shutting down"), "{e}");
    assert_eq!(mock.issuer().refresh_count(), 1);
    assert_eq!(refresh_token_in(&dir.auth_json()), saved);
    assert!(still_works(&mock, &dir.auth_json()).await);
}

#[tokio::test]
async fn issuer_answers_that_are_not_jwts_leave_the_file_untouched() {
    let mock = MockServer::start().await.unwrap();
    let good = mock.issuer().issue_tokens();
    for (field, bad) in [
        ("id_token", "not-a-jwt"),
        ("access_token", "opaque-access-token"),
        ("id_token", "a.b.c"),
        ("access_token", "eyJhbGciOiJub25lIn0.bm90IGpzb24.sig"),
    ] {
        let dir = TempDir::new();
        write_tokens(&dir.auth_json(), &stale(&mock));
        let before = std::fs::read(dir.auth_json()).unwrap();
        let mut answer = json!({
            "id_token": good.id_token,
            "access_token": good.access_token,
            "refresh_token": "rt-from-a-broken-issuer",
        });
        answer[field] = json!(bad);
        mock.push(Route::Token, Reply::json(answer));
        let m = file_manager(&mock, &dir);
        let e = m.credentials().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Other, "{field}={bad}: {e}");
        assert!(
            e.to_string().contains(&format!("{field} is not a JWT")),
            "{e}"
        );
        assert!(!e.to_string().contains(bad), "{e}");
        assert_eq!(
            std::fs::read(dir.auth_json()).unwrap(),
            before,
            "{field}={bad}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_auth_json_stays_a_link_and_its_target_is_updated() {
    let mock = MockServer::start().await.unwrap();
    let home = TempDir::new();
    let dotfiles = TempDir::new();
    let target = dotfiles.path().join("codex-auth.json");
    // auth.json -> ../dotfiles/link2 -> codex-auth.json (relative and absolute links).
    let link2 = dotfiles.path().join("link2");
    std::os::unix::fs::symlink("codex-auth.json", &link2).unwrap();
    std::os::unix::fs::symlink(&link2, home.auth_json()).unwrap();
    let old = stale(&mock);
    write_tokens(&target, &old);
    let m = file_manager(&mock, &home);
    m.credentials().await.unwrap();
    assert!(
        std::fs::symlink_metadata(home.auth_json())
            .unwrap()
            .file_type()
            .is_symlink(),
        "auth.json was replaced by a regular file"
    );
    assert!(
        std::fs::symlink_metadata(&link2)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let saved = refresh_token_in(&target);
    assert_ne!(saved, old.refresh_token);
    assert_eq!(mode(&target), 0o600);
    // No temporary file left in either folder.
    for d in [home.path(), dotfiles.path()] {
        let names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp."))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
    assert!(still_works(&mock, &target).await);
}

/// The issuer call made under `auth.json.lock` is bounded: the official CLI gives up waiting
/// for that lock after about 5 s and then spends its own token (protocol §14.7).
#[tokio::test]
async fn the_refresh_lock_is_held_well_under_five_seconds() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    write_tokens(&dir.auth_json(), &stale(&mock));
    // An issuer that answers after 20 s; the default 30 s request timeout would wait for it.
    mock.push(
        Route::Token,
        Reply::route_default().respond_after(Duration::from_secs(20)),
    );
    let cfg = OAuthConfig::builder()
        .issuer(mock.issuer_url())
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::file(dir.auth_json()), cfg).unwrap();
    let lock_path = dir.path().join("auth.json.lock");
    let refresh = tokio::spawn(async move { m.credentials().await });
    // Play the official CLI: try the same flock until it is free.
    let probe = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut held_since = None;
        loop {
            let f = match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&lock_path)
            {
                Ok(f) => f,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
            };
            match f.try_lock() {
                Ok(()) if held_since.is_some() => return held_since.map(|t: Instant| t.elapsed()),
                Ok(()) => {
                    let _ = f.unlock();
                }
                Err(_) => {
                    held_since.get_or_insert_with(Instant::now);
                }
            }
            assert!(Instant::now() < deadline, "the lock was never released");
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let held = probe.await.unwrap().unwrap();
    assert!(held < Duration::from_millis(4000), "lock held {held:?}");
    let e = refresh.await.unwrap().unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

// ---- real file systems in a private mount namespace (Linux, needs CAP_SYS_ADMIN) ----

const NS_SETUP: &str = "CODEX_AUTH_TEST_NS_SETUP";
const NS_AUTH: &str = "CODEX_AUTH_TEST_NS_AUTH";
const NS_ISSUER: &str = "CODEX_AUTH_TEST_NS_ISSUER";

/// Runs in a child process inside a private mount namespace: sets up the mounts with
/// `sh -c $NS_SETUP`, refreshes once, prints `RESULT ok` or `RESULT err <kind> <message>`.
#[tokio::test]
#[ignore = "helper run as a child process inside a mount namespace"]
async fn mount_namespace_child() {
    let (Ok(setup), Ok(path), Ok(issuer)) = (
        std::env::var(NS_SETUP),
        std::env::var(NS_AUTH),
        std::env::var(NS_ISSUER),
    ) else {
        return;
    };
    let st = std::process::Command::new("sh")
        .args(["-c", &setup])
        .status()
        .unwrap();
    assert!(st.success(), "mount setup failed");
    let cfg = OAuthConfig::builder().issuer(issuer).build().unwrap();
    let m = AuthManager::new(AuthStore::file(&path), cfg).unwrap();
    match m.refresh().await {
        Ok(_) => println!("RESULT ok"),
        Err(e) => println!("RESULT err {:?} {e}", e.kind()),
    }
}

/// Why mount-namespace tests cannot run here, if they cannot.
fn mount_namespace_unavailable() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return Some("not Linux".into());
    }
    match std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt 2>/dev/null || mount -t tmpfs -o size=4k tmpfs /tmp"])
        .output()
    {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "`unshare -m` + mount not permitted (needs CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Some(format!("no `unshare` command: {e}")),
    }
}

async fn in_mount_namespace(mock: &MockServer, setup: String, auth: &Path) -> String {
    in_child(
        &["unshare", "-m", "--propagation", "private"],
        mock,
        setup,
        auth,
    )
    .await
}

/// Runs [`mount_namespace_child`] through `launcher` (e.g. `unshare -m ...`, `setpriv ...`).
async fn in_child(launcher: &[&str], mock: &MockServer, setup: String, auth: &Path) -> String {
    let exe = std::env::current_exe().unwrap();
    let issuer = mock.issuer_url();
    let auth = auth.to_path_buf();
    let launcher: Vec<String> = launcher.iter().map(|s| (*s).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&launcher[0])
            .args(&launcher[1..])
            .arg(exe)
            .args([
                "--exact",
                "mount_namespace_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(NS_SETUP, setup)
            .env(NS_AUTH, auth)
            .env(NS_ISSUER, issuer)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r.to_owned()))
        .unwrap_or_else(|| {
            panic!(
                "child failed: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

macro_rules! require_mount_namespace {
    () => {
        if let Some(why) = mount_namespace_unavailable() {
            println!("skipped: {why}");
            return;
        }
    };
}

/// A stale login in `host/auth.json`, bind-mounted over `container/auth.json` in a private
/// mount namespace where one refresh runs through the container path. Returns the host
/// folder, the old tokens, and the child's result line.
async fn refresh_through_a_bind_mount(
    mock: &MockServer,
    before_refresh: impl FnOnce(),
) -> (TempDir, TokenSet, String) {
    let host = TempDir::new();
    let container = TempDir::new();
    let old = stale(mock);
    write_tokens(&host.auth_json(), &old);
    std::fs::write(container.auth_json(), b"{}").unwrap();
    before_refresh();
    let setup = format!(
        "mount --bind '{}' '{}'",
        host.auth_json().display(),
        container.auth_json().display()
    );
    let r = in_mount_namespace(mock, setup, &container.auth_json()).await;
    (host, old, r)
}

/// Docker's usual setup: `-v ~/.codex/auth.json:/root/.codex/auth.json`. A rename over a
/// mount point fails with EBUSY; the file is written in place instead, and the file on the
/// host gets the rotated token.
#[tokio::test]
async fn a_bind_mounted_auth_json_is_written_in_place() {
    require_mount_namespace!();
    let mock = MockServer::start().await.unwrap();
    let (host, old, r) = refresh_through_a_bind_mount(&mock, || {}).await;
    let host_file = host.auth_json();
    assert_eq!(r, "ok");
    assert_eq!(mock.issuer().refresh_count(), 1);
    let text = std::fs::read_to_string(&host_file).unwrap();
    assert!(text.ends_with("}\n"), "trailing bytes left: {text:?}");
    assert_ne!(refresh_token_in(&host_file), old.refresh_token);
    assert!(still_works(&mock, &host_file).await);
}

/// A refresh that fails at the issuer gives back the space reserved in a bind-mounted file:
/// the file on the host is byte for byte what it was.
#[tokio::test]
async fn a_failed_refresh_leaves_a_bind_mounted_file_as_it_was() {
    require_mount_namespace!();
    let mock = MockServer::start().await.unwrap();
    let (host, old, r) = refresh_through_a_bind_mount(&mock, || {
        for _ in 0..3 {
            mock.issuer()
                .fail_next_refresh(codex_mock::RefreshFailure::Status(503));
        }
    })
    .await;
    assert!(r.starts_with("err Transient"), "{r}");
    let expected = serde_json::to_vec_pretty(&old.auth_json()).unwrap();
    let now = host.read_auth_json();
    let text = std::fs::read(host.auth_json()).unwrap();
    assert_eq!(text.len(), expected.len(), "reserved bytes left: {now}");
    assert_eq!(refresh_token_in(&host.auth_json()), old.refresh_token);
}

/// A folder the user cannot write (EACCES on the temporary file) while `auth.json` itself is
/// writable: found before the issuer is called, so the stored refresh token is not spent.
/// As root (who may write anyway) the refresh runs as `nobody` through `setpriv`.
#[cfg(unix)]
#[tokio::test]
async fn an_unwritable_folder_is_found_before_the_token_is_spent() {
    use std::os::unix::fs::PermissionsExt;
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let old = stale(&mock);
    write_tokens(&dir.auth_json(), &old);
    let lock = dir.path().join("auth.json.lock");
    std::fs::write(&lock, b"").unwrap();
    for f in [dir.auth_json(), lock.clone()] {
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let before = std::fs::read(dir.auth_json()).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let privileged = std::fs::write(dir.path().join("probe"), b"").is_ok();
    let result = if !privileged {
        match file_manager(&mock, &dir).refresh().await {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("err {:?} {e}", e.kind()),
        }
    } else if std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(std::env::current_exe().unwrap())
        .arg("--list")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let launcher = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ];
        in_child(&launcher, &mock, "true".into(), &dir.auth_json()).await
    } else {
        println!("skipped: running as root and cannot run this test binary as nobody with setpriv");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        return;
    };
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(result.starts_with("err Storage"), "{result}");
    assert!(result.contains("checked before refreshing"), "{result}");
    assert_eq!(mock.issuer().refresh_count(), 0, "the token was spent");
    assert_eq!(std::fs::read(dir.auth_json()).unwrap(), before);
    assert!(still_works(&mock, &dir.auth_json()).await);
}

/// A full disk (a small tmpfs filled up): ENOSPC is found before the issuer is called.
#[tokio::test]
async fn a_full_disk_is_found_before_the_token_is_spent() {
    require_mount_namespace!();
    let mock = MockServer::start().await.unwrap();
    let outside = TempDir::new();
    let dir = TempDir::new();
    let old = stale(&mock);
    let src = outside.auth_json();
    write_tokens(&src, &old);
    let d = dir.path().display();
    // auth.json fits, then a filler takes every free block.
    let setup = format!(
        "mount -t tmpfs -o size=16k tmpfs '{d}' && cp '{}' '{d}/auth.json' && \
         (dd if=/dev/zero of='{d}/filler' bs=1k count=64 2>/dev/null; true)",
        src.display()
    );
    let r = in_mount_namespace(&mock, setup, &dir.auth_json()).await;
    assert!(r.starts_with("err Storage"), "{r}");
    assert!(r.contains("checked before refreshing"), "{r}");
    assert_eq!(mock.issuer().refresh_count(), 0, "the token was spent");
    // The copy outside the namespace still holds a token that works.
    assert!(still_works(&mock, &src).await);
}
