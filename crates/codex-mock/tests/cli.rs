//! The `codex-mock` binary serves the scenarios given on its command line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::BufRead;
use std::process::Command;
use std::process::Stdio;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_scenarios_in_order_then_default() {
    let home = std::env::temp_dir().join(format!("codex-mock-cli-{}", std::process::id()));
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_codex-mock"))
            .args([
                "--scenario",
                "failed:slow_down",
                "status:503",
                "--scenario",
                "text:third",
            ])
            .arg("--codex-home")
            .arg(&home)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // Wait for auth.json (written right after the URL is printed).
    let auth = home.join("auth.json");
    for _ in 0..100 {
        if auth.exists() && std::fs::metadata(&auth).unwrap().len() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&auth).unwrap()).unwrap();
    let token = v["tokens"]["access_token"].as_str().unwrap().to_owned();

    let r = common::post_responses(&url, &token).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.events().last().unwrap()["response"]["error"]["code"],
        "slow_down"
    );
    assert_eq!(common::post_responses(&url, &token).await.status, 503);
    assert!(
        common::post_responses(&url, &token)
            .await
            .text()
            .contains("third")
    );
    let r = common::post_responses(&url, &token).await;
    assert_eq!(r.event_types().last().unwrap(), "response.completed");
    assert_eq!(common::post_responses(&url, "wrong").await.status, 401);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn bad_arguments_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_codex-mock"))
        .args(["--scenario", "bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
}
