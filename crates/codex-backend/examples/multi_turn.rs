//! Multi-turn: a conversation that remembers what was said.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example multi_turn`

use codex_backend::CodexClient;
use codex_backend::Error;

/// Two turns of one conversation; returns both answers.
pub async fn run(client: &CodexClient) -> Result<Vec<String>, Error> {
    let mut conversation = client.conversation();
    let mut answers = Vec::new();
    for question in ["My name is Ada. Please remember it.", "What is my name?"] {
        let reply = conversation.respond(question).await?;
        println!("> {question}\n{}\n", reply.text);
        answers.push(reply.text);
    }
    println!("history: {} items", conversation.history().len());
    Ok(answers)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
