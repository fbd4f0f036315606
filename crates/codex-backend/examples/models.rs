//! Models: list the account's model catalog and look one model up.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example models`

use codex_backend::CodexClient;
use codex_backend::Error;

/// Prints the catalog and the default model's details; returns the slugs.
pub async fn run(client: &CodexClient) -> Result<Vec<String>, Error> {
    let models = client.list_models().await?;
    for m in &models {
        println!(
            "{:<20} context {:>8}  efforts {:?}",
            m.slug,
            m.context_window.map_or("?".to_owned(), |w| w.to_string()),
            m.supported_reasoning_levels
                .iter()
                .filter_map(|l| l.effort.as_ref().map(|e| e.as_str().to_owned()))
                .collect::<Vec<_>>()
        );
    }
    let default = client.get_model(client.default_model()).await?;
    println!(
        "default model {}: auto-compacts at {:?} tokens",
        default.slug,
        default.auto_compact_token_limit()
    );
    Ok(models.into_iter().map(|m| m.slug).collect())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
