//! Tokens never appear in logs (at any level), error messages or Debug output, even through a
//! 401 → refresh → retry cycle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::Arc;
use std::sync::Mutex;

use codex_client::ErrorKind;
use codex_client::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;
use common::request;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Over WebSocket the token rides the upgrade; a wrapped 401 refreshes once.
async fn tokens_never_reach_logs_or_errors(t: Transport) {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = common::env_with(false, |b| b.transport(t)).await;
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::text("ok"));
    let s = env
        .client
        .responses()
        .stream(&request("q"), &Default::default())
        .await
        .unwrap();
    let dbg = format!("{s:?} {:?}", env.client);
    s.collect_text().await.unwrap();
    env.mock.push_response(Reply::unauthorized_once());
    env.mock.push_response(Reply::unauthorized_once());
    let err = env
        .client
        .responses()
        .stream(&request("q"), &Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LoginRequired);

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("codex_request"), "spans are logged: {logs}");
    assert!(logs.contains("attempt"));
    let reqs = env.mock.requests_to("/backend-api/codex/responses");
    let mut tokens = vec![
        env.tokens.access_token.clone(),
        env.tokens.refresh_token.clone(),
    ];
    for r in &reqs {
        let auth = r.header("authorization").unwrap();
        tokens.push(auth.trim_start_matches("Bearer ").to_owned());
    }
    for t in &tokens {
        assert!(!logs.contains(t.as_str()), "a token leaked into the logs");
        assert!(!err.to_string().contains(t.as_str()));
        assert!(!format!("{err:?}").contains(t.as_str()));
        assert!(!dbg.contains(t.as_str()));
    }
}

both_transports!(tokens_never_reach_logs_or_errors);
