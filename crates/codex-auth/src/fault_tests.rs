//! Fault injection into a real refresh on a real file (issue 13): a child process refreshes
//! against codex-mock's issuer (which rotates refresh tokens and rejects a reused one) and is
//! killed (`abort`) or fails at one step of the save. Afterwards the file must be valid JSON,
//! and a token that still works must exist: the old one when the issuer was not called, the
//! new one in the file once it was written, else in the rescue file the error names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::SystemTime;

use codex_mock::MockServer;

use crate::AuthFile;
use crate::AuthManager;
use crate::AuthStore;
use crate::OAuthConfig;
use crate::TokenProvider;

const ENV_AUTH: &str = "CODEX_AUTH_FAULT_TEST_AUTH";
const ENV_ISSUER: &str = "CODEX_AUTH_FAULT_TEST_ISSUER";

fn manager(path: &Path, issuer: &str) -> AuthManager {
    let cfg = OAuthConfig::builder()
        .issuer(issuer)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    AuthManager::new(AuthStore::file(path), cfg).unwrap()
}

/// The child: one refresh, with `CODEX_AUTH_FAULT` set by the parent.
#[tokio::test]
#[ignore = "run as a child process by every_step_of_a_refresh_leaves_a_working_login"]
async fn fault_child() {
    let (Ok(path), Ok(issuer)) = (std::env::var(ENV_AUTH), std::env::var(ENV_ISSUER)) else {
        return;
    };
    let m = manager(Path::new(&path), &issuer);
    match m.refresh().await {
        Ok(_) => println!("RESULT ok"),
        Err(e) => {
            // After a failed save the process keeps the new tokens: no new refresh needed.
            let kept = m.credentials().await.is_ok();
            println!("KEPT {kept}");
            println!("RESULT err {:?} {e}", e.kind());
        }
    }
}

struct Outcome {
    killed: bool,
    /// The child could still get credentials after a failed refresh.
    kept: bool,
    result: String,
}

fn run_child(path: &Path, issuer: &str, fault: &str) -> Outcome {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "fault_tests::fault_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_AUTH, path)
        .env(ENV_ISSUER, issuer)
        .env("CODEX_AUTH_FAULT", fault)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let result = stdout
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .unwrap_or("")
        .to_owned();
    Outcome {
        kept: stdout.contains("KEPT true"),
        killed: result.is_empty(),
        result: if result.is_empty() {
            format!("{stdout}{}", String::from_utf8_lossy(&out.stderr))
        } else {
            result
        },
    }
}

/// Refreshing with the file's token works (the issuer accepts it: it was never spent).
async fn works(path: &Path, issuer: &str) -> bool {
    manager(path, issuer).refresh().await.is_ok()
}

fn refresh_token(bytes: &[u8]) -> String {
    let a = AuthFile::from_json(bytes).expect("the file is valid auth.json");
    a.tokens.unwrap().refresh_token.expose().to_owned()
}

/// The rescue file named in an error message (`... written to PATH (move it ...`).
fn rescue_path(result: &str) -> Option<PathBuf> {
    let rest = result.split_once("written to ")?.1;
    Some(PathBuf::from(rest.split_once(" (move it")?.0))
}

#[tokio::test]
async fn every_step_of_a_refresh_leaves_a_working_login() {
    // (fault, the issuer is called, the new token reaches the file)
    let cases: &[(&str, bool, bool)] = &[
        ("kill:reserved", false, false),
        ("fail:reserved", false, false),
        ("kill:temp-written", true, false),
        ("fail:temp-written", true, false),
        ("kill:temp-synced", true, false),
        ("fail:temp-synced", true, false),
        ("kill:rename", true, false),
        ("fail:rename", true, false),
        ("kill:renamed", true, true),
        ("busy:rename", true, true),
        ("busy:rename,kill:in-place-grown", true, false),
        ("busy:rename,fail:in-place-grown", true, false),
        ("busy:rename,kill:in-place-written", true, true),
        ("busy:rename,fail:in-place-write", true, false),
        ("busy:rename,kill:in-place-verified", true, true),
        ("busy:rename,fail:in-place-verified", true, true),
    ];
    let mock = MockServer::start().await.unwrap();
    let issuer = mock.issuer_url();
    let root = Root(std::env::temp_dir().join(format!("codex-auth-fault-{}", std::process::id())));
    let root = &root.0;
    for (i, &(fault, called, saved)) in cases.iter().enumerate() {
        let dir = root.join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("auth.json");
        let old = mock
            .issuer()
            .issue_tokens_expiring(SystemTime::now() - Duration::from_secs(60));
        std::fs::write(&path, serde_json::to_vec_pretty(&old.auth_json()).unwrap()).unwrap();
        let before = std::fs::read(&path).unwrap();
        let count = mock.issuer().refresh_count();
        let (p, i, f) = (path.clone(), issuer.clone(), fault.to_owned());
        let out = tokio::task::spawn_blocking(move || run_child(&p, &i, &f))
            .await
            .unwrap();
        let was_called = mock.issuer().refresh_count() > count;
        assert_eq!(was_called, called, "{fault}: issuer called: {}", out.result);
        let after = std::fs::read(&path).unwrap();
        let rt = refresh_token(&after);
        let killed = fault.contains("kill:");
        assert_eq!(out.killed, killed, "{fault}: {}", out.result);
        if saved {
            assert_ne!(rt, old.refresh_token, "{fault}: new token not in the file");
            assert!(
                works(&path, &issuer).await,
                "{fault}: the saved token does not work"
            );
            continue;
        }
        // The file is the old one (trailing spaces aside).
        assert_eq!(
            std::str::from_utf8(&after).unwrap().trim_end(),
            std::str::from_utf8(&before).unwrap().trim_end(),
            "{fault}"
        );
        if !called {
            assert!(
                works(&path, &issuer).await,
                "{fault}: the old token was lost"
            );
            continue;
        }
        if killed {
            // Killed between the issuer's answer and a durable write: nothing can keep the
            // new token (see docs/security.md); the file is still valid and unchanged.
            continue;
        }
        // Failed after the issuer answered: the process kept the new tokens (without another
        // refresh), and the error names a copy holding a working token.
        assert!(
            out.result.starts_with("err Storage"),
            "{fault}: {}",
            out.result
        );
        assert!(out.kept, "{fault}: the new tokens were dropped");
        assert_eq!(mock.issuer().refresh_count(), count + 1, "{fault}");
        let copy = rescue_path(&out.result).unwrap_or_else(|| panic!("{fault}: {}", out.result));
        let rescued = std::fs::read(&copy).unwrap();
        assert_ne!(refresh_token(&rescued), old.refresh_token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{fault}");
        }
        assert!(
            works(&copy, &issuer).await,
            "{fault}: the rescued token does not work"
        );
        let _ = std::fs::remove_file(&copy);
    }
}

/// The test's folder, removed even when an assertion fails.
struct Root(PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
