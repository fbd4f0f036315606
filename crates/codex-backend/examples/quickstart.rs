//! Quick start: authenticate, ask one question, print the answer.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example quickstart`

use codex_backend::CodexClient;
use codex_backend::Error;

/// Asks one question with the session defaults and returns the answer.
pub async fn run(client: &CodexClient) -> Result<String, Error> {
    let answer = client
        .respond_text("Say hello in one short sentence.")
        .await?;
    println!("{answer}");
    Ok(answer)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
