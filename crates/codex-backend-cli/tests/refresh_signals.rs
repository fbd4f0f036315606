//! Issue 13: Ctrl-C or SIGTERM while a token refresh is in flight (before the stream starts,
//! and after a 401 inside the turn) must not lose the login. The binary runs against a
//! MockServer whose issuer rotates refresh tokens, rejects a reused one and answers a refresh
//! late; the signal arrives after the issuer already rotated the token. The command still ends
//! with `aborted` (exit 1, the `--json` error line), the rotated token is in `auth.json`, and
//! the next command works with it.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;

use codex_mock::MockServer;
use codex_mock::Reply;
use codex_test_support::both_transports;
use common::TempDir;
use common::Transport;
use serde_json::Value;
use serde_json::json;

fn stored_refresh_token(home: &TempDir) -> String {
    let v: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("auth.json")).unwrap()).unwrap();
    v["tokens"]["refresh_token"].as_str().unwrap().to_owned()
}

/// Starts `ask`, sends `signal` once the issuer has rotated the token (its answer is held
/// back 1.5 s), and checks the outcome. `stale`: the stored access token is expired (refresh
/// before the stream); else the backend answers 401 first (refresh inside the turn). Both
/// commands run over `t`.
async fn signal_during_refresh(signal: &str, stale: bool, t: Transport) {
    let server = MockServer::start().await.unwrap();
    let home = TempDir::new();
    let tokens = if stale {
        server
            .issuer()
            .issue_tokens_expiring(SystemTime::now() - Duration::from_secs(60))
    } else {
        server.issuer().issue_tokens()
    };
    tokens.write_auth_json(home.path()).unwrap();
    if !stale {
        server.push_response(Reply::status(401, json!({"detail": "Unauthorized"})));
    }
    server
        .issuer()
        .set_refresh_answer_delay(Duration::from_millis(1500));
    // Access tokens minted from now on are always due for a refresh: the next command has
    // to use the saved refresh token.
    server
        .issuer()
        .set_access_token_lifetime(Duration::from_secs(60));
    let over_t = |args: &[&str]| {
        let mut all = vec!["--transport", t.arg()];
        all.extend_from_slice(args);
        common::command_against(&server, &home, &all)
    };
    let child = common::spawn(over_t(&["--json", "ask", "hi"]), Stdio::null());
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.issuer().refresh_count() == 0 {
        assert!(Instant::now() < deadline, "the refresh never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    common::send_signal(child.id(), signal);
    let started = Instant::now();
    let r = tokio::task::spawn_blocking(move || common::finish(child))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(8), "{r:?}");
    // Documented: a stopped command is `aborted`, exit 1, with its --json error line.
    r.expect_code(1);
    assert_eq!(r.json_error()["kind"], "aborted", "{r:?}");
    let saved = stored_refresh_token(&home);
    assert_ne!(
        saved, tokens.refresh_token,
        "the rotated token was not saved"
    );
    // The next command refreshes with the saved token (no "refresh token was already used").
    server.issuer().set_refresh_answer_delay(Duration::ZERO);
    let r = common::run_blocking(over_t(&["ask", "again"])).await;
    r.expect_code(0);
    assert!(r.stdout.contains("Hello from codex-mock"), "{r:?}");
    assert!(server.issuer().refresh_count() >= 2);
}

async fn sigterm_before_the_stream_keeps_the_login(t: Transport) {
    signal_during_refresh("TERM", true, t).await;
}

async fn ctrl_c_before_the_stream_keeps_the_login(t: Transport) {
    signal_during_refresh("INT", true, t).await;
}

async fn sigterm_after_a_401_in_the_turn_keeps_the_login(t: Transport) {
    signal_during_refresh("TERM", false, t).await;
}

async fn ctrl_c_after_a_401_in_the_turn_keeps_the_login(t: Transport) {
    signal_during_refresh("INT", false, t).await;
}

both_transports!(
    sigterm_before_the_stream_keeps_the_login,
    ctrl_c_before_the_stream_keeps_the_login,
    sigterm_after_a_401_in_the_turn_keeps_the_login,
    ctrl_c_after_a_401_in_the_turn_keeps_the_login,
);
