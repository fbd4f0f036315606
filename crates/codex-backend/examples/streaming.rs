//! Streaming: print the answer as it arrives, event by event.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example streaming`

use std::io::Write;

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::ErrorKind;
use codex_backend::Event;
use futures_util::StreamExt;

/// Streams one answer to standard output and returns its text.
pub async fn run(client: &CodexClient) -> Result<String, Error> {
    let mut stream = client
        .stream("Write a haiku about Rust.", CallOptions::new())
        .await?;
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::TextDelta(d)) => {
                print!("{d}");
                let _ = std::io::stdout().flush();
                text.push_str(&d);
            }
            Ok(Event::Completed(c)) => {
                if let Some(u) = &c.usage {
                    println!("\n[{} tokens]", u.total_tokens);
                }
            }
            Ok(_) => {}
            // One event that failed to decode: the stream goes on.
            Err(e) if e.kind() == ErrorKind::Decode => {
                eprintln!("skipped an event: {e}");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(text)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
