//! Compaction: shrink a long conversation into a compact, opaque summary the model can
//! continue from (conversations also do it automatically near the model's limit).
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//!
//! `cargo run -p codex-backend --example compaction`

use codex_backend::CodexClient;
use codex_backend::Error;

/// Three turns, then a compaction; returns the history length before and after.
pub async fn run(client: &CodexClient) -> Result<(usize, usize), Error> {
    let mut conversation = client.conversation();
    for q in [
        "Let's plan a small CLI tool in Rust that counts words.",
        "Which crates would you use for argument parsing?",
        "Summarize the plan in three bullet points.",
    ] {
        conversation.respond(q).await?;
    }
    let before = conversation.history().len();
    conversation.compact().await?;
    let after = conversation.history().len();
    println!("history: {before} items before compaction, {after} after");
    let reply = conversation.respond("What were we building?").await?;
    println!("{}", reply.text);
    Ok((before, after))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
