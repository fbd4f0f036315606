//! `--ca-cert FILE`, `CODEX_CA_CERTIFICATE` and `SSL_CERT_FILE` against an HTTPS mock signed by
//! a test CA: which one wins, that they add to the roots, and exit 2 for a bad file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_mock::MockServer;
use codex_test_support::both_transports;
use common::Run;
use common::TempDir;
use common::Transport;
use common::run_with;

struct Env {
    server: MockServer,
    home: TempDir,
    ca: String,
    /// The `--transport` of every `ask`.
    transport: Transport,
}

impl Env {
    async fn new(transport: Transport) -> Self {
        let server = MockServer::start_tls().await.unwrap();
        let home = common::logged_in_home(&server);
        let ca = home.write("ca.pem", server.ca_cert_pem().unwrap());
        Self {
            server,
            home,
            ca,
            transport,
        }
    }

    /// `ask hi` with extra arguments before it and extra environment variables.
    async fn ask(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all: Vec<String> = vec![
            "--transport".into(),
            self.transport.arg().into(),
            "--base-url".into(),
            self.server.backend_base_url(),
            "--codex-home".into(),
            self.home.str().into(),
        ];
        all.extend(args.iter().map(|s| s.to_string()));
        all.extend(["ask".to_owned(), "hi".to_owned()]);
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        env.push(("CODEX_AUTH_ISSUER".into(), self.server.issuer_url()));
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            run_with(&refs, &env, "")
        })
        .await
        .unwrap()
    }
}

fn answered(r: &Run) {
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(codex_mock::DEFAULT_TEXT), "{r:?}");
}

async fn the_extra_ca_comes_from_the_flag_or_the_variables(t: Transport) {
    let env = Env::new(t).await;
    let ca = env.ca.as_str();
    // Not trusted by default: the handshake fails (not a usage error).
    let r = env.ask(&[], &[]).await;
    assert!(r.code != 0 && r.code != 2, "{r:?}");
    assert!(r.stderr.contains("tls"), "{r:?}");
    answered(&env.ask(&["--ca-cert", ca], &[]).await);
    answered(&env.ask(&[], &[("CODEX_CA_CERTIFICATE", ca)]).await);
    answered(&env.ask(&[], &[("SSL_CERT_FILE", ca)]).await);
    // CODEX_CA_CERTIFICATE wins over SSL_CERT_FILE; an empty value counts as unset.
    answered(
        &env.ask(
            &[],
            &[
                ("CODEX_CA_CERTIFICATE", ca),
                ("SSL_CERT_FILE", "/nonexistent.pem"),
            ],
        )
        .await,
    );
    answered(
        &env.ask(&[], &[("CODEX_CA_CERTIFICATE", ""), ("SSL_CERT_FILE", ca)])
            .await,
    );
    // The flag replaces the variables.
    answered(
        &env.ask(
            &["--ca-cert", ca],
            &[("CODEX_CA_CERTIFICATE", "/nonexistent.pem")],
        )
        .await,
    );
    // Every answer came over `t`.
    assert_eq!(
        env.server.websocket_upgrades().is_empty(),
        t == Transport::Sse
    );
}

both_transports!(the_extra_ca_comes_from_the_flag_or_the_variables);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_ca_file_exits_2() {
    // Nothing is sent: the transport plays no part.
    let env = Env::new(Transport::Sse).await;
    let garbage = env.home.write("garbage.pem", "not a certificate");
    for (args, vars) in [
        (vec!["--ca-cert", "/nonexistent.pem"], vec![]),
        (vec!["--ca-cert", garbage.as_str()], vec![]),
        (vec![], vec![("CODEX_CA_CERTIFICATE", "/nonexistent.pem")]),
        (vec![], vec![("SSL_CERT_FILE", garbage.as_str())]),
    ] {
        let r = env.ask(&args, &vars).await;
        assert_eq!(r.code, 2, "{args:?} {vars:?} {r:?}");
        assert!(r.stderr.contains("CA certificate file"), "{r:?}");
    }
    assert!(env.server.requests().is_empty());
}
