//! Structured output: constrain the answer to a JSON schema and decode it into a Rust type.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//!
//! `cargo run -p codex-backend --example structured_output`

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Error;
use serde_json::json;

/// The typed answer.
#[allow(
    clippy::exhaustive_structs,
    reason = "example data, built and read by field"
)]
#[derive(Debug, PartialEq, serde::Deserialize)]
pub struct Capital {
    /// The country.
    pub country: String,
    /// Its capital.
    pub capital: String,
    /// Rough population of the capital.
    pub population: u64,
}

/// Asks for a typed answer.
pub async fn run(client: &CodexClient) -> Result<Capital, Error> {
    let schema = json!({
        "type": "object",
        "properties": {
            "country": {"type": "string"},
            "capital": {"type": "string"},
            "population": {"type": "integer"}
        },
        "required": ["country", "capital", "population"],
        "additionalProperties": false
    });
    let answer: Capital = client
        .respond_json(
            "What is the capital of Japan?",
            "capital",
            schema,
            CallOptions::new(),
        )
        .await?;
    println!("{answer:#?}");
    Ok(answer)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
