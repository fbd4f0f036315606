//! Abort: stop a running answer from another task and keep the text received so far.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example abort`

use std::time::Duration;

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::Event;
use futures_util::StreamExt;

/// Starts a long answer, aborts it once `after` has passed since the first text arrived,
/// and returns the partial text.
pub async fn run(client: &CodexClient, after: Duration) -> Result<String, Error> {
    let mut stream = client
        .stream(
            "Count slowly from 1 to 1000, one number per line.",
            CallOptions::new(),
        )
        .await?;
    let mut timer: Option<tokio::task::JoinHandle<()>> = None;
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::TextDelta(d)) => {
                text.push_str(&d);
                if timer.is_none() {
                    // Any clone of the client can stop every stream it runs.
                    let c = client.clone();
                    timer = Some(tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        c.abort();
                    }));
                }
            }
            Ok(_) => {}
            Err(e) if e.is_aborted() => {
                println!(
                    "aborted after {} characters:\n{}",
                    text.len(),
                    stream.received_text()
                );
                return Ok(stream.received_text().to_owned());
            }
            Err(e) => return Err(e),
        }
    }
    println!("finished before the abort:\n{text}");
    Ok(text)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client, Duration::from_secs(2)).await?;
    Ok(())
}
