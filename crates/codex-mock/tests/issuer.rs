//! The fake OAuth issuer over real HTTP, and TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use codex_mock::IntervalEncoding;
use codex_mock::MockServer;
use codex_mock::RefreshFailure;
use codex_mock::Reply;
use codex_mock::Route;
use common::post_json;
use common::post_responses;
use common::send;
use serde_json::Value;
use serde_json::json;

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

async fn refresh(s: &MockServer, rt: &str) -> common::RawResponse {
    let body = json!({"client_id": codex_mock::CLIENT_ID, "grant_type": "refresh_token", "refresh_token": rt});
    post_json(s, None, "/oauth/token", &body).await
}

#[tokio::test]
async fn browser_flow_with_pkce() {
    let s = MockServer::start().await.unwrap();
    let verifier = "a".repeat(64);
    let challenge = codex_mock::pkce_challenge(&verifier);
    let redirect = "http://localhost:1455/auth/callback";
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&code_challenge={challenge}&code_challenge_method=S256&state=st4te",
        codex_mock::CLIENT_ID,
        "http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"
    );
    let r = send(&s.url(), "GET", &path, &[], b"").await;
    assert_eq!(r.status, 302);
    let loc = r.header("location").unwrap().to_owned();
    assert!(loc.starts_with(redirect), "{loc}");
    assert!(loc.ends_with("&state=st4te"));
    let code = loc
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();

    // Wrong verifier is refused (and burns nothing: the code was removed on first use).
    let bad = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&client_id=x&code_verifier=wrong"
    );
    let r = send(&s.url(), "POST", "/oauth/token", &[FORM], bad.as_bytes()).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");

    // A fresh code with the right verifier succeeds.
    let code = s
        .issuer()
        .issue_authorization_code(Some(&challenge), Some(redirect));
    let good = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&client_id=x&code_verifier={verifier}"
    );
    let r = send(&s.url(), "POST", "/oauth/token", &[FORM], good.as_bytes()).await;
    assert_eq!(r.status, 200);
    let tokens = r.json();
    for k in ["id_token", "access_token", "refresh_token"] {
        assert!(tokens[k].is_string(), "{k}");
    }
    let claims = codex_mock::decode_jwt_claims(tokens["id_token"].as_str().unwrap()).unwrap();
    let auth = &claims["https://api.openai.com/auth"];
    assert_eq!(auth["chatgpt_plan_type"], "plus");
    assert!(auth["chatgpt_account_id"].is_string());
    assert!(auth["chatgpt_user_id"].is_string());
    assert_eq!(claims["email"], "mock-user@example.com");
    let access = codex_mock::decode_jwt_claims(tokens["access_token"].as_str().unwrap()).unwrap();
    assert!(access["exp"].as_u64().unwrap() > 0);
    // Code reuse fails.
    let r = send(&s.url(), "POST", "/oauth/token", &[FORM], good.as_bytes()).await;
    assert_eq!(r.status, 400);
    // The minted access token works on the backend.
    assert_eq!(
        post_responses(&s.url(), tokens["access_token"].as_str().unwrap())
            .await
            .status,
        200
    );
    // API-key exchange.
    let ex = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&client_id=x&requested_token=openai-api-key&subject_token={}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token",
        tokens["id_token"].as_str().unwrap()
    );
    let r = send(&s.url(), "POST", "/oauth/token", &[FORM], ex.as_bytes()).await;
    assert_eq!(r.status, 200);
    let key = r.json()["access_token"].as_str().unwrap().to_owned();
    assert!(!key.starts_with("sk-"));
    assert_eq!(s.issuer().token_requests(), 4);
}

#[tokio::test]
async fn refresh_rotation_and_reuse_detection() {
    let s = MockServer::start().await.unwrap();
    let t = s.issuer().issue_tokens();
    let r = refresh(&s, &t.refresh_token).await;
    assert_eq!(r.status, 200);
    let new_rt = r.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_rt, t.refresh_token);
    assert_eq!(s.issuer().refresh_count(), 1);
    // Reusing the old one.
    let r = refresh(&s, &t.refresh_token).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "refresh_token_reused");
    // The new one works once.
    assert_eq!(refresh(&s, &new_rt).await.status, 200);
    assert_eq!(s.issuer().refresh_count(), 2);

    // Configured failures.
    let t = s.issuer().issue_tokens();
    for (f, code) in [
        (RefreshFailure::Expired, "refresh_token_expired"),
        (RefreshFailure::Invalidated, "refresh_token_invalidated"),
        (RefreshFailure::Reused, "refresh_token_reused"),
    ] {
        s.issuer().fail_next_refresh(f);
        let r = refresh(&s, &t.refresh_token).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error"]["code"], code);
    }
    s.issuer().fail_next_refresh(RefreshFailure::Status(503));
    assert_eq!(refresh(&s, &t.refresh_token).await.status, 503);
    // The token survived the injected failures.
    assert_eq!(refresh(&s, &t.refresh_token).await.status, 200);

    let t = s.issuer().issue_tokens();
    s.issuer().expire_refresh_token(&t.refresh_token);
    assert_eq!(
        refresh(&s, &t.refresh_token).await.json()["error"]["code"],
        "refresh_token_expired"
    );
    assert_eq!(refresh(&s, "never-issued").await.status, 401);
}

#[tokio::test]
async fn expired_access_then_refresh_then_ok() {
    let s = MockServer::start().await.unwrap();
    let t = s
        .issuer()
        .issue_tokens_expiring(std::time::SystemTime::now() - Duration::from_secs(1));
    assert_eq!(post_responses(&s.url(), &t.access_token).await.status, 401);
    let r = refresh(&s, &t.refresh_token).await;
    let at = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(post_responses(&s.url(), &at).await.status, 200);
}

#[tokio::test]
async fn revoke() {
    let s = MockServer::start().await.unwrap();
    let t = s.issuer().issue_tokens();
    let body = json!({"token": t.refresh_token, "token_type_hint": "refresh_token", "client_id": codex_mock::CLIENT_ID});
    let r = post_json(&s, None, "/oauth/revoke", &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(s.issuer().revoked_tokens(), vec![t.refresh_token.clone()]);
    assert_eq!(
        refresh(&s, &t.refresh_token).await.json()["error"]["code"],
        "refresh_token_invalidated"
    );
    let body = json!({"token": t.access_token, "token_type_hint": "access_token"});
    post_json(&s, None, "/oauth/revoke", &body).await;
    assert_eq!(post_responses(&s.url(), &t.access_token).await.status, 401);
}

#[tokio::test]
async fn device_flow_pending_then_success() {
    let s = MockServer::start().await.unwrap();
    s.issuer().set_device_pending_polls(2);
    let body = json!({"client_id": codex_mock::CLIENT_ID});
    let r = post_json(&s, None, "/api/accounts/deviceauth/usercode", &body).await;
    assert_eq!(r.status, 200);
    let uc = r.json();
    assert_eq!(uc["interval"], "5");
    let poll = json!({"device_auth_id": uc["device_auth_id"], "user_code": uc["user_code"]});
    for _ in 0..2 {
        let r = post_json(&s, None, "/api/accounts/deviceauth/token", &poll).await;
        assert_eq!(r.status, 403);
    }
    let r = post_json(&s, None, "/api/accounts/deviceauth/token", &poll).await;
    assert_eq!(r.status, 200);
    let ok = r.json();
    assert_eq!(
        codex_mock::pkce_challenge(ok["code_verifier"].as_str().unwrap()),
        ok["code_challenge"].as_str().unwrap()
    );
    let redirect = format!("{}/deviceauth/callback", s.issuer_url());
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&client_id=x&code_verifier={}",
        ok["authorization_code"].as_str().unwrap(),
        redirect.replace(':', "%3A").replace('/', "%2F"),
        ok["code_verifier"].as_str().unwrap()
    );
    let r = send(&s.url(), "POST", "/oauth/token", &[FORM], form.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());

    s.issuer()
        .set_device_interval(Duration::from_secs(3), IntervalEncoding::Number);
    let r = post_json(&s, None, "/api/accounts/deviceauth/usercode", &json!({})).await;
    assert_eq!(r.json()["interval"], 3);
    s.issuer().set_device_enabled(false);
    let r = post_json(&s, None, "/api/accounts/deviceauth/usercode", &json!({})).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn token_route_can_be_scripted() {
    let s = MockServer::start().await.unwrap();
    s.push(Route::Token, Reply::status(500, json!({"error": "boom"})));
    let r = refresh(&s, "x").await;
    assert_eq!(r.status, 500);
    assert_eq!(
        s.issuer().token_requests(),
        0,
        "scripted replies bypass the grant logic"
    );
}

#[test]
fn auth_json_shape() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = MockServer::start().await.unwrap();
        let t = s.issuer().issue_tokens();
        let dir = std::env::temp_dir().join(format!("codex-mock-authjson-{}", std::process::id()));
        t.write_auth_json(&dir).unwrap();
        let v: Value =
            serde_json::from_slice(&std::fs::read(dir.join("auth.json")).unwrap()).unwrap();
        assert_eq!(v["tokens"]["account_id"], t.account_id.as_str());
        assert!(v["OPENAI_API_KEY"].is_null());
        assert!(v["last_refresh"].as_str().unwrap().ends_with('Z'));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("auth.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!format!("{t:?}").contains(&t.access_token));
    });
}

async fn tls_get(s: &MockServer, alpn: &[u8]) -> (http::StatusCode, http::Version, bytes::Bytes) {
    let req = http::Request::get(format!(
        "{}/backend-api/codex/models?client_version=1.0.0",
        s.url()
    ))
    .header(
        "authorization",
        format!("Bearer {}", s.issuer().issue_tokens().access_token),
    )
    .body(http_body_util::Empty::<bytes::Bytes>::new())
    .unwrap();
    common::tls_request(
        common::port(&s.url()),
        s.ca_cert_der().unwrap(),
        "localhost",
        alpn,
        req,
    )
    .await
}

#[tokio::test]
async fn tls_with_test_ca_h1_and_h2() {
    let s = MockServer::start_tls().await.unwrap();
    assert!(s.url().starts_with("https://127.0.0.1:"));
    assert!(s.ca_cert_pem().unwrap().contains("BEGIN CERTIFICATE"));
    let (status, version, body) = tls_get(&s, b"h2").await;
    assert_eq!(status, 200);
    assert_eq!(version, http::Version::HTTP_2);
    assert!(String::from_utf8_lossy(&body).contains("gpt-5.4"));
    let (status, version, _) = tls_get(&s, b"http/1.1").await;
    assert_eq!(status, 200);
    assert_eq!(version, http::Version::HTTP_11);
    assert_eq!(s.requests()[0].version, "HTTP/2.0");
}

#[tokio::test]
async fn sse_over_h2_streams_and_drop_resets_the_stream() {
    use http_body_util::BodyExt;
    let s = MockServer::start_tls().await.unwrap();
    let token = s.issuer().issue_tokens().access_token;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            s.ca_cert_der().unwrap(),
        ))
        .unwrap();
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", common::port(&s.url())))
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(
            rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let body = bytes::Bytes::from(common::responses_body());
    let req = || {
        http::Request::post(format!("{}/responses", s.backend_base_url()))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(body.clone()))
            .unwrap()
    };
    s.push_response(Reply::reasoning("a\n\nb", "c"));
    s.push_response(Reply::drop_mid_event());
    let resp = sender.send_request(req()).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let got = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        got,
        Reply::reasoning("a\n\nb", "c").sse_body_bytes().unwrap()
    );
    let resp = sender.send_request(req()).await.unwrap();
    assert!(
        resp.into_body().collect().await.is_err(),
        "h2 stream is reset"
    );
    // The connection itself survives a reset stream.
    let resp = sender.send_request(req()).await.unwrap();
    assert!(resp.into_body().collect().await.is_ok());
}
