//! Tools: register an async function tool; the conversation runs it when the model calls
//! it and sends the result back until the model answers.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example tools`

use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::ToolError;
use serde_json::json;

/// The tool's arguments, decoded from the model's JSON.
#[allow(
    clippy::exhaustive_structs,
    reason = "example data, built and read by field"
)]
#[derive(Debug, serde::Deserialize)]
pub struct Temperature {
    /// Degrees Celsius.
    pub celsius: f64,
}

/// Celsius to Fahrenheit, the tool the model may call.
pub fn celsius_to_fahrenheit(t: &Temperature) -> Result<String, ToolError> {
    if !t.celsius.is_finite() || t.celsius < -273.15 {
        return Err("below absolute zero".into());
    }
    Ok(format!("{}", t.celsius * 9.0 / 5.0 + 32.0))
}

/// Asks a question the model answers with the tool; returns the final answer.
pub async fn run(client: &CodexClient) -> Result<String, Error> {
    let mut conversation = client.conversation();
    conversation.register_typed(
        "celsius_to_fahrenheit",
        "Converts a temperature from degrees Celsius to degrees Fahrenheit.",
        json!({
            "type": "object",
            "properties": {"celsius": {"type": "number"}},
            "required": ["celsius"],
            "additionalProperties": false
        }),
        |t: Temperature| async move { celsius_to_fahrenheit(&t) },
    );
    let reply = conversation
        .run("What is 21.5 degrees Celsius in Fahrenheit? Use the tool.")
        .await?;
    println!("{}", reply.text);
    Ok(reply.text)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
