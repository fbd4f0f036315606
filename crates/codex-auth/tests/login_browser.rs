//! The browser login against codex-mock's issuer, with the test playing the browser.
//!
//! One file for the one flow (about 620 lines): every test drives the same `Flow` set-up, and
//! the hostile-callback cases read best beside the happy path they attack.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::BrowserLoginOptions;
use codex_auth::ErrorKind;
use codex_auth::LoginSuccess;
use codex_auth::OAuthConfig;
use codex_mock::MockServer;
use common::*;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

type Login = JoinHandle<codex_auth::Result<LoginSuccess>>;

/// Starts a browser login on `port`/`fallback` and returns the authorize URL it printed.
async fn start(manager: &AuthManager, options: BrowserLoginOptions) -> (Login, String) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let options = options.open_browser(false).on_url(move |u| {
        let _ = tx.send(u.to_owned());
    });
    let m = manager.clone();
    let handle = tokio::spawn(async move { m.login_browser(options).await });
    let url = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the login printed no URL")
        .unwrap();
    (handle, url)
}

fn opts() -> BrowserLoginOptions {
    BrowserLoginOptions::new()
        .port(0)
        .fallback_port(None)
        .timeout(Duration::from_secs(20))
}

async fn finish(h: Login) -> codex_auth::Result<LoginSuccess> {
    tokio::time::timeout(Duration::from_secs(15), h)
        .await
        .expect("the login did not end")
        .unwrap()
}

/// A browser login in progress: the mock issuer, the folder of its `auth.json`, the manager,
/// the login's handle, its authorize URL, its callback port and its `state`.
struct Flow {
    mock: MockServer,
    dir: TempDir,
    m: AuthManager,
    h: Login,
    url: String,
    port: u16,
    state: String,
}

/// A fresh mock issuer, a folder and a manager storing into it.
async fn setup() -> (MockServer, TempDir, AuthManager) {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let m = file_manager(&mock, &dir);
    (mock, dir, m)
}

/// Starts a browser login with `options` against `mock`, storing into `dir`.
async fn begin(mock: MockServer, dir: TempDir, options: BrowserLoginOptions) -> Flow {
    let m = file_manager(&mock, &dir);
    let (h, url) = start(&m, options).await;
    let port = callback_port(&url);
    let state = query_param(&url, "state").unwrap();
    Flow {
        mock,
        dir,
        m,
        h,
        url,
        port,
        state,
    }
}

/// A fresh mock issuer and folder, a browser login started with `options`.
async fn flow(options: BrowserLoginOptions) -> Flow {
    begin(MockServer::start().await.unwrap(), TempDir::new(), options).await
}

/// A fresh mock issuer and folder, a browser login started on a free port.
async fn started() -> Flow {
    flow(opts()).await
}

/// Plays the browser through the issuer; the callback must redirect to the success page.
async fn approve(url: &str) -> RawResponse {
    let cb = browser_callback(url).await;
    assert_eq!(cb.status, 302, "{cb:?}");
    cb
}

/// The login ends with an error whose message contains `text`.
async fn fails_with(h: Login, text: &str) -> codex_auth::Error {
    let e = finish(h).await.unwrap_err();
    assert!(e.to_string().contains(text), "{e}");
    e
}

#[tokio::test]
async fn whole_browser_flow_saves_tokens_before_success_page() {
    let Flow {
        mock,
        dir,
        m,
        h,
        url,
        port,
        ..
    } = started().await;

    // Section 9.2: every parameter, in order.
    let q = url.split_once('?').unwrap().1;
    let keys: Vec<&str> = q
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "code_challenge",
            "code_challenge_method",
            "id_token_add_organizations",
            "codex_cli_simplified_flow",
            "state",
            "originator"
        ]
    );
    assert!(url.starts_with(&format!("{}/oauth/authorize?", mock.issuer_url())));
    assert!(q.contains("scope=openid%20profile%20email%20offline_access"));
    assert_eq!(query_param(&url, "state").unwrap().len(), 43);
    assert_eq!(query_param(&url, "code_challenge").unwrap().len(), 43);

    let cb = approve(&url).await;
    let location = cb.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!(
            "http://localhost:{port}/success?needs_setup=false&org_id=org-codexmock0001"
        )),
        "{location}"
    );
    assert!(location.contains("plan_type=plus"));
    assert!(!location.contains("id_token="), "tokens stay out of URLs");
    // The code was exchanged before the redirect: the file exists already.
    assert!(dir.auth_json().exists());
    let success = get(&location).await;
    assert_eq!(success.status, 200);
    assert_eq!(success.header("connection"), Some("close"));

    let ok = finish(h).await.unwrap();
    assert_eq!(ok.account.email.as_deref(), Some("mock-user@example.com"));
    assert_eq!(
        ok.account.account_id.as_deref(),
        Some("00000000-0000-4000-8000-00000000a001")
    );
    assert_eq!(ok.account.plan, Some(codex_auth::Plan::Plus));
    assert!(!ok.api_key_stored);
    #[cfg(unix)]
    assert_eq!(mode(&dir.auth_json()), 0o600);

    // The exchange carried the PKCE verifier and the same redirect URI.
    let tok = mock.requests_to("/oauth/token");
    assert_eq!(tok.len(), 1);
    let form = tok[0].form();
    let f = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(f("grant_type").as_deref(), Some("authorization_code"));
    assert_eq!(f("client_id").as_deref(), Some(codex_auth::CLIENT_ID));
    assert_eq!(
        f("redirect_uri").unwrap(),
        format!("http://localhost:{port}/auth/callback")
    );
    assert_eq!(
        codex_mock::pkce_challenge(&f("code_verifier").unwrap()),
        query_param(&url, "code_challenge").unwrap()
    );

    // The saved login works as a TokenProvider.
    let st = m.status().await.unwrap();
    assert!(st.logged_in && !st.needs_refresh);
    let v = dir.read_auth_json();
    assert_eq!(v["auth_mode"], "chatgpt");
    assert!(v["OPENAI_API_KEY"].is_null());
    assert!(v["tokens"]["refresh_token"].is_string());
}

#[tokio::test]
async fn state_mismatch_is_rejected_first() {
    let Flow {
        mock, dir, h, port, ..
    } = started().await;
    // A forged callback with a valid-looking code and an error, but the wrong state.
    let r = get(&format!(
        "http://localhost:{port}/auth/callback?code=abc&state=forged&error=access_denied"
    ))
    .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("State mismatch"));
    let e = fails_with(h, "state mismatch").await;
    assert_eq!(e.kind(), ErrorKind::Login);
    assert!(!dir.auth_json().exists());
    assert_eq!(mock.requests_to("/oauth/token").len(), 0);
}

#[tokio::test]
async fn missing_state_is_a_mismatch() {
    let Flow {
        mock: _mock,
        dir: _dir,
        h,
        port,
        ..
    } = started().await;
    let r = get(&format!("http://localhost:{port}/auth/callback?code=abc")).await;
    assert_eq!(r.status, 400);
    fails_with(h, "state mismatch").await;
}

#[tokio::test]
async fn error_parameter_ends_the_flow_with_its_description() {
    let Flow {
        mock: _mock,
        dir,
        m,
        h,
        port,
        state,
        ..
    } = started().await;
    let r = get(&format!(
        "http://localhost:{port}/auth/callback?state={state}&error=access_denied&error_description=missing_codex_entitlement"
    ))
    .await;
    assert_eq!(r.status, 403);
    let e = fails_with(h, "Codex is not enabled for this ChatGPT workspace").await;
    assert_eq!(e.kind(), ErrorKind::Login);

    let (h, url) = start(&m, opts()).await;
    let port = callback_port(&url);
    let state = query_param(&url, "state").unwrap();
    let _ = get(&format!(
        "http://localhost:{port}/auth/callback?state={state}&error=server_error&error_description=Something%20%3Cbroke%3E"
    ))
    .await;
    fails_with(h, "server_error: Something <broke>").await;
    assert!(!dir.auth_json().exists());
}

#[tokio::test]
async fn missing_code_is_an_error() {
    let Flow {
        mock: _mock,
        dir: _dir,
        h,
        port,
        state,
        ..
    } = started().await;
    let r = get(&format!(
        "http://localhost:{port}/auth/callback?state={state}&code="
    ))
    .await;
    assert_eq!(r.status, 400);
    fails_with(h, "missing_authorization_code").await;
}

#[tokio::test]
async fn hostile_requests_do_not_break_the_flow() {
    let Flow {
        dir: _dir,
        mock,
        h,
        url,
        port,
        ..
    } = started().await;

    // Garbage, a huge header, a non-GET, unknown paths, a half-open connection.
    let garbage = raw_request(port, b"\x00\xff\xfe garbage \r\n\r\n").await;
    assert!(garbage.map(|r| r.status == 400).unwrap_or(true));
    let huge = format!(
        "GET /auth/callback HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let r = raw_request(port, huge.as_bytes()).await;
    assert!(
        r.map(|r| r.status == 431 || r.status == 400)
            .unwrap_or(true)
    );
    let post = raw_request(
        port,
        format!("POST /auth/callback?code=x&state=y HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(post.status, 405);
    assert_eq!(
        get(&format!("http://localhost:{port}/../../etc/passwd"))
            .await
            .status,
        404
    );
    assert_eq!(
        get(&format!("http://localhost:{port}/favicon.ico"))
            .await
            .status,
        404
    );
    let idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // /success before any login does not end the flow.
    assert_eq!(
        get(&format!("http://localhost:{port}/success"))
            .await
            .status,
        200
    );

    let issuer = get(&url).await;
    let callback = issuer.header("location").unwrap().to_owned();
    let cb = get(&callback).await;
    assert_eq!(cb.status, 302, "{cb:?}");
    // A replayed callback is refused, without a second exchange.
    let replay = get(&callback).await;
    assert_eq!(replay.status, 409);
    let ok = finish(h).await.unwrap();
    assert!(ok.account.email.is_some());
    drop(idle);
    assert_eq!(mock.requests_to("/oauth/token").len(), 1);
}

#[tokio::test]
async fn busy_port_falls_back() {
    let (_mock, _dir, m) = setup().await;
    // Something that is not a login server holds the primary port and ignores /cancel.
    let busy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let primary = busy.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        loop {
            if let Ok((s, _)) = busy.accept().await {
                drop(s);
            }
        }
    });
    let fallback = free_port();
    let started = std::time::Instant::now();
    let (h, url) = start(&m, opts().port(primary).fallback_port(Some(fallback))).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "retried the primary port first"
    );
    assert_eq!(callback_port(&url), fallback);
    let cb = approve(&url).await;
    let _ = get(cb.header("location").unwrap()).await;
    finish(h).await.unwrap();
    holder.abort();
}

#[tokio::test]
async fn a_new_login_cancels_a_stale_server_on_the_port() {
    let (_mock, _dir, m) = setup().await;
    let port = free_port();
    let (stale, _) = start(&m, opts().port(port)).await;
    let (h, url) = start(&m, opts().port(port).fallback_port(Some(free_port()))).await;
    fails_with(stale, "cancelled").await;
    assert_eq!(callback_port(&url), port, "the primary port was taken over");
    approve(&url).await;
    finish(h).await.unwrap();
}

#[tokio::test]
async fn both_ports_busy_is_an_error() {
    let (_mock, _dir, m) = setup().await;
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let pa = a.local_addr().unwrap().port();
    let e = m
        .login_browser(opts().port(pa).open_browser(false).on_url(|_| {}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Login);
    assert!(e.to_string().contains("in use"), "{e}");
}

#[tokio::test]
async fn timeout_ends_the_flow() {
    let Flow {
        mock: _mock,
        dir: _dir,
        h,
        ..
    } = flow(opts().timeout(Duration::from_millis(300))).await;
    let e = fails_with(h, "did not complete").await;
    assert_eq!(e.kind(), ErrorKind::Login);
}

#[tokio::test]
async fn workspace_restriction_and_api_key_exchange() {
    let mock = MockServer::start().await.unwrap();
    let dir = TempDir::new();
    let cfg = OAuthConfig::builder()
        .issuer(mock.issuer_url())
        .allowed_workspace_ids(["ws-other"])
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::file(dir.auth_json()), cfg).unwrap();
    let (h, url) = start(&m, opts()).await;
    assert!(url.ends_with("&originator=codex_cli_rs&allowed_workspace_id=ws-other"));
    let cb = browser_callback(&url).await;
    assert_eq!(cb.status, 500);
    fails_with(h, "restricted to workspace ws-other").await;
    assert!(!dir.auth_json().exists());

    // The allowed workspace, with the API-key exchange.
    let account = mock.issuer().identity().account_id;
    let cfg = OAuthConfig::builder()
        .issuer(mock.issuer_url())
        .allowed_workspace_ids([account])
        .build()
        .unwrap();
    let m = AuthManager::new(AuthStore::memory(), cfg).unwrap();
    let (h, url) = start(&m, opts().api_key_exchange(true)).await;
    approve(&url).await;
    let ok = finish(h).await.unwrap();
    assert!(ok.api_key_stored);
    let stored = m.store().load().await.unwrap().unwrap();
    assert!(
        stored
            .openai_api_key
            .unwrap()
            .expose()
            .starts_with("mock-api-key-")
    );
}

#[tokio::test]
async fn cancel_endpoint_ends_the_flow() {
    let Flow {
        mock: _mock,
        dir: _dir,
        h,
        port,
        ..
    } = started().await;
    let r = get(&format!("http://localhost:{port}/cancel")).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Login cancelled"));
    fails_with(h, "cancelled").await;
}

#[tokio::test]
async fn a_repeated_state_parameter_is_a_mismatch() {
    let Flow {
        dir: _dir,
        mock,
        h,
        port,
        state,
        ..
    } = started().await;
    let r = get(&format!(
        "http://localhost:{port}/auth/callback?state={state}&state={state}&code=abc"
    ))
    .await;
    assert_eq!(r.status, 400);
    fails_with(h, "state mismatch").await;
    assert_eq!(mock.requests_to("/oauth/token").len(), 0);
}

/// Issue: "A corrupt or unreadable file gives an error naming the path and is left
/// untouched" — a login must not replace it with a fresh file.
#[tokio::test]
async fn login_over_a_corrupt_file_is_an_error_and_leaves_it_untouched() {
    let dir = TempDir::new();
    let bad = &b"{\"tokens\": {\"id_token\": \"half"[..];
    std::fs::write(dir.auth_json(), bad).unwrap();
    let Flow {
        mock: _mock,
        dir,
        h,
        url,
        ..
    } = begin(MockServer::start().await.unwrap(), dir, opts()).await;
    let cb = browser_callback(&url).await;
    assert_ne!(cb.status, 302, "{cb:?}");
    let e = fails_with(h, &dir.auth_json().display().to_string()).await;
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    assert_eq!(std::fs::read(dir.auth_json()).unwrap(), bad);
}

/// Protocol §10: a login never drops an `OPENAI_API_KEY` already in the file.
#[tokio::test]
async fn login_keeps_an_existing_api_key_and_unknown_keys() {
    let dir = TempDir::new();
    std::fs::write(
        dir.auth_json(),
        br#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-existing-key","extra":{"keep":1}}"#,
    )
    .unwrap();
    let Flow {
        mock: _mock,
        dir,
        h,
        url,
        ..
    } = begin(MockServer::start().await.unwrap(), dir, opts()).await;
    approve(&url).await;
    let ok = finish(h).await.unwrap();
    assert!(!ok.api_key_stored);
    let v = dir.read_auth_json();
    assert_eq!(v["OPENAI_API_KEY"], "sk-existing-key", "{v}");
    assert_eq!(v["extra"]["keep"], 1, "{v}");
    assert!(v["tokens"]["access_token"].is_string());
}

/// A `/cancel` (or any failing request) in the grace period after the tokens were saved
/// does not turn the finished login into an error.
#[tokio::test]
async fn cancel_after_a_finished_login_still_reports_success() {
    let Flow {
        mock: _mock,
        dir,
        m,
        h,
        url,
        port,
        ..
    } = started().await;
    approve(&url).await;
    assert!(dir.auth_json().exists());
    // The browser never loads /success; another login asks this server to cancel.
    let r = get(&format!("http://localhost:{port}/cancel")).await;
    assert_eq!(r.status, 200);
    let ok = finish(h).await.unwrap();
    assert_eq!(ok.account.email.as_deref(), Some("mock-user@example.com"));
    assert!(m.status().await.unwrap().logged_in);
}

#[tokio::test]
async fn a_bad_state_after_a_finished_login_still_reports_success() {
    let Flow {
        mock: _mock,
        dir: _dir,
        h,
        url,
        port,
        ..
    } = started().await;
    approve(&url).await;
    let r = get(&format!(
        "http://localhost:{port}/auth/callback?state=wrong&code=abc"
    ))
    .await;
    assert_eq!(r.status, 400);
    assert!(finish(h).await.is_ok());
}

/// Issue 13 (DNS rebinding): a page on `attacker.example` whose name now resolves to
/// 127.0.0.1 reaches the callback server with its own `Host`. Only `localhost:PORT` and
/// `127.0.0.1:PORT` are answered; a foreign host gets 421 and cannot cancel or complete the
/// login, even with the right `state`.
#[tokio::test]
async fn foreign_host_headers_are_refused() {
    let Flow {
        mock,
        dir,
        h,
        url,
        port,
        state,
        ..
    } = started().await;
    let code = mock.issuer().issue_authorization_code(None, None);
    let request = |host: String, path: String| async move {
        let req = if host.is_empty() {
            format!("GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n")
        } else {
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        };
        raw_request(port, req.as_bytes()).await.unwrap()
    };
    let callback = format!("/auth/callback?code={code}&state={state}");
    for host in [
        format!("attacker.example:{port}"),
        format!("localhost.attacker.example:{port}"),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        format!("localhost:{}", port.wrapping_add(1)),
        format!("127.0.0.2:{port}"),
        format!("[::1]:{port}"),
        String::new(),
    ] {
        for path in [callback.clone(), "/cancel".to_owned()] {
            let r = request(host.clone(), path.clone()).await;
            assert_eq!(r.status, 421, "Host {host:?} {path}: {r:?}");
        }
    }
    assert!(!h.is_finished(), "a foreign host ended the flow");
    assert!(!dir.auth_json().exists());
    // 127.0.0.1:PORT and LOCALHOST:PORT are this server: answered, not refused.
    for host in [format!("127.0.0.1:{port}"), format!("LOCALHOST:{port}")] {
        assert_eq!(request(host, "/favicon.ico".to_owned()).await.status, 404);
    }
    // The real browser (Host: localhost:PORT) still completes the login.
    approve(&url).await;
    finish(h).await.unwrap();
    assert!(dir.auth_json().exists());
}
