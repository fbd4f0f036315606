//! Images: send a picture with a question (a file given as the first argument, else a
//! built-in 1x1 PNG).
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME` (where `auth.json`
//! lives), `CODEX_BASE_URL`, `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be
//! pointed at a local mock server. The logic is in `run`, which the crate's tests call
//! against `codex-mock`.
//!
//! `cargo run -p codex-backend --example images -- photo.jpg`

use codex_backend::CallOptions;
use codex_backend::CodexClient;
use codex_backend::ContentPart;
use codex_backend::Error;

/// A 1x1 red PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Asks what the image shows; returns the answer.
pub async fn run(client: &CodexClient, image: ContentPart) -> Result<String, Error> {
    let input = vec![
        ContentPart::input_text("What is in this image? Answer in one sentence."),
        image,
    ];
    let reply = client.respond(input, CallOptions::new()).await?;
    println!("{}", reply.text);
    Ok(reply.text)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let image = match std::env::args_os().nth(1) {
        // Reads the file and guesses the type from the extension (png, jpg, gif, webp).
        Some(path) => ContentPart::image_file(&path, None)?,
        None => ContentPart::image_bytes(TINY_PNG, "image/png"),
    };
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client, image).await?;
    Ok(())
}
