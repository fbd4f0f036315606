//! Usage: the plan's rate-limit windows and credits.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//!
//! `cargo run -p codex-backend --example usage`

use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::UsagePayload;

/// Prints the plan and its windows; returns the payload.
pub async fn run(client: &CodexClient) -> Result<UsagePayload, Error> {
    let usage = client.usage().await?;
    let json = serde_json::to_value(&usage).unwrap_or_default();
    println!("plan: {}", json["plan_type"].as_str().unwrap_or("unknown"));
    for window in ["primary_window", "secondary_window"] {
        let w = &json["rate_limit"][window];
        if w.is_object() {
            println!(
                "{window}: {}% used, resets in {} s",
                w["used_percent"], w["reset_after_seconds"]
            );
        }
    }
    Ok(usage)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
