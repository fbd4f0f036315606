//! Reasoning: ask for more reasoning effort and a summary of the reasoning; print the
//! summary as it streams, then the answer.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//!
//! `cargo run -p codex-backend --example reasoning`

use std::io::Write;

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::Event;
use codex_backend::ReasoningEffort;
use codex_backend::ReasoningSummary;
use codex_backend::ResponseEvent;
use codex_backend::ResponseItem;
use futures_util::StreamExt;

/// The reasoning summary and the answer of one turn.
#[allow(
    clippy::exhaustive_structs,
    reason = "example data, built and read by field"
)]
#[derive(Debug, Default)]
pub struct Reasoned {
    /// The reasoning summary (from the `reasoning` output item).
    pub summary: String,
    /// The answer.
    pub answer: String,
}

/// One turn with high effort and a detailed reasoning summary.
pub async fn run(client: &CodexClient) -> Result<Reasoned, Error> {
    let opts = CallOptions::new()
        .reasoning_effort(ReasoningEffort::High)
        .reasoning_summary(ReasoningSummary::Detailed);
    let mut stream = client
        .stream("Is 1001 a prime number? Explain briefly.", opts)
        .await?;
    let mut out = Reasoned::default();
    while let Some(event) = stream.next().await {
        match event? {
            Event::ReasoningDelta { text, .. } => {
                print!("{text}");
                let _ = std::io::stdout().flush();
            }
            Event::Other(ResponseEvent::ReasoningSummaryPartAdded(_)) => println!(),
            Event::OutputItem(item) => match item {
                // Kept verbatim (with `encrypted_content`) by conversations for later turns.
                ResponseItem::Reasoning(r) => out.summary = r.summary_text(),
                ResponseItem::Message(m) => out.answer.push_str(&m.text()),
                _ => {}
            },
            _ => {}
        }
    }
    println!("\n\nanswer: {}", out.answer);
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client).await?;
    Ok(())
}
