//! Realtime call: create a WebRTC voice call from an SDP offer (a real app gets the offer
//! from its WebRTC stack and applies the returned answer).
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//!
//! `cargo run -p codex-backend --example realtime_call -- offer.sdp`

use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::RealtimeCall;
use codex_backend::RealtimeSession;

/// A minimal audio-only SDP offer, for illustration.
pub const SAMPLE_OFFER: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\na=setup:actpass\r\na=sendrecv\r\n";

/// Creates the call; returns its id and SDP answer.
pub async fn run(client: &CodexClient, offer: &str) -> Result<RealtimeCall, Error> {
    let session = RealtimeSession::new("gpt-realtime-1.5")
        .instructions("You are a friendly voice assistant.")
        .voice("marin");
    let call = client.create_realtime_call(offer, Some(session)).await?;
    println!(
        "call id: {}\nSDP answer:\n{}",
        call.call_id, call.sdp_answer
    );
    Ok(call)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let offer = match std::env::args_os().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => SAMPLE_OFFER.to_owned(),
    };
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client, &offer).await?;
    Ok(())
}
