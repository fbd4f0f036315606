//! The device-code login against codex-mock's issuer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_auth::AuthManager;
use codex_auth::DeviceCode;
use codex_auth::DeviceLoginOptions;
use codex_auth::ErrorKind;
use codex_mock::IntervalEncoding;
use codex_mock::MockServer;
use common::*;

/// A mock issuer whose device flow answers `pending` polls with "pending" and gives
/// `interval` (written as `encoding`), a folder and a manager storing into it.
async fn setup(
    interval: Duration,
    encoding: IntervalEncoding,
    pending: u32,
) -> (MockServer, TempDir, AuthManager) {
    let mock = MockServer::start().await.unwrap();
    mock.issuer().set_device_interval(interval, encoding);
    mock.issuer().set_device_pending_polls(pending);
    let dir = TempDir::new();
    let m = file_manager(&mock, &dir);
    (mock, dir, m)
}

fn capture() -> (Arc<Mutex<Option<DeviceCode>>>, DeviceLoginOptions) {
    let seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    let opts = DeviceLoginOptions::new().on_code(move |c| {
        *s.lock().unwrap() = Some(c.clone());
    });
    (seen, opts)
}

#[tokio::test]
async fn pending_then_success_with_string_interval() {
    let (mock, dir, m) = setup(Duration::from_secs(1), IntervalEncoding::String, 2).await;
    let (seen, opts) = capture();
    let started = std::time::Instant::now();
    let ok = m.login_device(opts).await.unwrap();
    // Two pending polls at a 1 s interval before the third succeeds.
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(ok.account.email.as_deref(), Some("mock-user@example.com"));
    let code = seen.lock().unwrap().clone().unwrap();
    assert_eq!(
        code.verification_url,
        format!("{}/codex/device", mock.issuer_url())
    );
    assert!(code.user_code.starts_with("MOCK-"));
    assert_eq!(code.interval, Duration::from_secs(1));
    assert_eq!(mock.requests_to("/api/accounts/deviceauth/token").len(), 3);
    let usercode = mock.requests_to("/api/accounts/deviceauth/usercode");
    assert_eq!(
        usercode[0].json().unwrap()["client_id"],
        codex_auth::CLIENT_ID
    );
    // The exchange used the device redirect URI and the returned verifier.
    let tok = mock.requests_to("/oauth/token");
    let form = tok[0].form();
    let f = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        f("redirect_uri"),
        format!("{}/deviceauth/callback", mock.issuer_url())
    );
    assert!(f("code_verifier").starts_with("mock-device-verifier-"));
    assert!(m.status().await.unwrap().logged_in);
    #[cfg(unix)]
    assert_eq!(mode(&dir.auth_json()), 0o600);
}

#[tokio::test]
async fn numeric_interval_is_accepted() {
    let (mock, _dir, m) = setup(Duration::from_secs(0), IntervalEncoding::Number, 3).await;
    let (seen, opts) = capture();
    m.login_device(opts.min_poll_interval(Duration::from_millis(100)))
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().as_ref().unwrap().interval,
        Duration::from_millis(100)
    );
    assert_eq!(mock.requests_to("/api/accounts/deviceauth/token").len(), 4);
}

/// An issuer `interval` of 0 is floored at 1 s by default: within 1.5 s the issuer sees
/// at most two polls (t = 0 and t = 1 s), not one every few milliseconds.
#[tokio::test]
async fn zero_interval_is_floored_at_one_second_by_default() {
    let (mock, _dir, m) = setup(Duration::from_secs(0), IntervalEncoding::Number, u32::MAX).await;
    let (seen, opts) = capture();
    let e = m
        .login_device(opts.timeout(Duration::from_millis(1500)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
    assert_eq!(
        seen.lock().unwrap().as_ref().unwrap().interval,
        Duration::from_secs(1)
    );
    let polls = mock.requests_to("/api/accounts/deviceauth/token").len();
    assert!((1..=2).contains(&polls), "{polls} polls in 1.5 s");
}

#[tokio::test]
async fn expiry_gives_up() {
    let (mock, dir, m) = setup(Duration::from_secs(0), IntervalEncoding::String, u32::MAX).await;
    let (_, opts) = capture();
    let e = m
        .login_device(opts.timeout(Duration::from_millis(700)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Login);
    assert!(e.to_string().contains("expired"), "{e}");
    assert!(!dir.auth_json().exists());
    assert_eq!(mock.requests_to("/oauth/token").len(), 0);
}

#[tokio::test]
async fn disabled_device_login_is_explained() {
    let mock = MockServer::start().await.unwrap();
    mock.issuer().set_device_enabled(false);
    let dir = TempDir::new();
    let m = file_manager(&mock, &dir);
    let (_, opts) = capture();
    let e = m.login_device(opts).await.unwrap_err();
    assert!(e.to_string().contains("not enabled"), "{e}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404));
}
