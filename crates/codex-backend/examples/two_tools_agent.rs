//! An agent with two typed tools: the argument types derive their JSON Schemas, the
//! [`ToolRegistry`] decodes the model's arguments into them and runs the handlers, and a
//! [`codex_backend::Conversation`] loops until the model answers.
//!
//! Needs the network and a ChatGPT login (run `codex-backend login` once, or let
//! `authenticate()` open the browser). Like the CLI it reads `CODEX_HOME`, `CODEX_BASE_URL`,
//! `CODEX_API_BASE_URL` and `CODEX_AUTH_ISSUER`, so it can be pointed at a local mock server.
//! The logic is in `run`, which the crate's tests call against `codex-mock`.
//!
//! `cargo run -p codex-backend --example two_tools_agent -- "Is it warmer in Paris or Oslo, in °F?"`

use codex_backend::CodexClient;
use codex_backend::Error;
use codex_backend::JsonSchema;
use codex_backend::TextResponse;
use codex_backend::ToolError;
use codex_backend::ToolRegistry;
use serde::Deserialize;
use serde::Serialize;

/// The arguments of `get_weather`.
#[allow(
    clippy::exhaustive_structs,
    reason = "example data, built and read by field"
)]
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WeatherArgs {
    /// The city name, e.g. "Paris".
    pub city: String,
}

/// What `get_weather` returns (sent to the model as JSON).
#[allow(
    clippy::exhaustive_structs,
    reason = "example data, built and read by field"
)]
#[derive(Debug, Serialize)]
pub struct Weather {
    /// The city.
    pub city: String,
    /// The temperature in degrees Celsius.
    pub celsius: f64,
}

/// The arguments of `celsius_to_fahrenheit`.
#[allow(
    clippy::exhaustive_structs,
    reason = "example data, built and read by field"
)]
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ConvertArgs {
    /// A temperature in degrees Celsius.
    pub celsius: f64,
}

/// The two tools: a (made-up) weather lookup and a unit conversion.
pub fn tools() -> ToolRegistry {
    let mut tools = ToolRegistry::new();
    tools
        .register(
            "get_weather",
            "The current temperature of a city, in degrees Celsius",
            |args: WeatherArgs| async move {
                let celsius = match args.city.to_lowercase().as_str() {
                    "paris" => 18.5,
                    "oslo" => 7.0,
                    _ => return Err(ToolError::new(format!("no weather for {}", args.city))),
                };
                Ok(Weather {
                    city: args.city,
                    celsius,
                })
            },
        )
        .register(
            "celsius_to_fahrenheit",
            "Converts degrees Celsius to degrees Fahrenheit",
            |args: ConvertArgs| async move {
                let f = args.celsius * 9.0 / 5.0 + 32.0;
                Ok::<_, ToolError>(format!("{:.1}", f))
            },
        );
    tools
}

/// Asks `question`; the model calls the tools as often as it needs, then answers.
pub async fn run(client: &CodexClient, question: &str) -> Result<TextResponse, Error> {
    let mut agent = client.conversation().with_tools(tools());
    let answer = agent.run(question).await?;
    println!("{}", answer.text);
    Ok(answer)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Is it warmer in Paris or Oslo? Give both in °F.".to_owned());
    let client = CodexClient::builder().build()?;
    client.authenticate().await?;
    run(&client, &question).await?;
    Ok(())
}
