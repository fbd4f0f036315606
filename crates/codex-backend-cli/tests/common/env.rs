//! [`Env`]: a MockServer, a home (logged in or not) and the transport of the runs against it.

use std::time::Duration;
use std::time::Instant;

use codex_mock::MockServer;
use codex_mock::TokenSet;
use serde_json::Value;

use super::Run;
use super::TempDir;
use super::Transport;
use super::run_with;

/// A MockServer started for one test, a home, and the `--transport` of its runs.
pub struct Env {
    /// The mock backend and issuer.
    pub server: MockServer,
    /// `--codex-home`.
    pub home: TempDir,
    /// The login written into `home`, if any.
    pub tokens: Option<TokenSet>,
    /// The `--transport` of every run that does not name one.
    pub transport: Transport,
}

impl Env {
    /// A fresh server and home (with a login its issuer minted when `logged_in`); runs use
    /// `--transport sse`.
    pub async fn new(logged_in: bool) -> Self {
        Self::over(logged_in, Transport::Sse).await
    }

    /// As [`Env::new`], with runs over `transport`.
    pub async fn over(logged_in: bool, transport: Transport) -> Self {
        let server = MockServer::start().await.unwrap();
        let home = TempDir::new();
        let tokens = logged_in.then(|| {
            let t = server.issuer().issue_tokens();
            t.write_auth_json(home.path()).unwrap();
            t
        });
        Self {
            server,
            home,
            tokens,
            transport,
        }
    }

    /// Runs the CLI against this server (blocking call moved off the runtime).
    pub async fn run(&self, args: &[&str], stdin: &str) -> Run {
        let base = self.server.backend_base_url();
        let mut all: Vec<String> = vec![
            "--base-url".into(),
            base,
            "--api-base-url".into(),
            self.server.api_base_url(),
            "--codex-home".into(),
            self.home.str().into(),
        ];
        if !args.contains(&"--transport") {
            all.extend(["--transport".into(), self.transport.arg().into()]);
        }
        all.extend(args.iter().map(|s| s.to_string()));
        let issuer = self.server.issuer_url();
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            run_with(&refs, &[("CODEX_AUTH_ISSUER", &issuer)], &stdin)
        })
        .await
        .unwrap()
    }

    /// The binary against this server over this transport, then `args` (not started).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut all = vec!["--transport", self.transport.arg()];
        all.extend_from_slice(args);
        super::command_against(&self.server, &self.home, &all)
    }

    /// The bodies of the turns sent, over either transport.
    pub fn response_bodies(&self) -> Vec<Value> {
        codex_test_support::mock::turn_bodies(&self.server)
    }

    /// Waits (up to 20 s) until the server has received a turn, lets it start streaming, sends
    /// SIGINT (Ctrl-C) to `child` (the CLI), then collects what it printed.
    pub async fn interrupt_once_a_turn_started(&self, child: std::process::Child) -> Run {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.response_bodies().is_empty() {
            assert!(Instant::now() < deadline, "no turn ever started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        super::send_signal(child.id(), "INT");
        tokio::task::spawn_blocking(move || super::finish(child))
            .await
            .unwrap()
    }
}
