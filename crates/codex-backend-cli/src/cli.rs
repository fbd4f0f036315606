//! Command-line syntax (clap derive). The names here are a contract: see `docs/cli.md`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::Parser;
use clap::Subcommand;
use clap::ValueEnum;

/// Talk to the ChatGPT Codex backend with your ChatGPT login.
#[derive(Debug, Parser)]
#[command(name = "codex-backend", version, about, long_about = None)]
pub struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the command name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Codex backend base URL (default: the ChatGPT Codex backend).
    #[arg(
        long,
        global = true,
        env = "CODEX_BASE_URL",
        value_name = "URL",
        help = "Codex backend base URL [default: https://chatgpt.com/backend-api/codex]"
    )]
    pub base_url: Option<String>,
    /// Public API base URL used for realtime calls (default: the OpenAI API).
    #[arg(
        long,
        global = true,
        env = "CODEX_API_BASE_URL",
        value_name = "URL",
        help = "Public API base URL used for realtime calls [default: https://api.openai.com/v1]"
    )]
    pub api_base_url: Option<String>,
    /// Directory holding auth.json [default: ~/.codex].
    #[arg(long, global = true, env = "CODEX_HOME", value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
    /// Also trust the CA certificates of this PEM bundle (backend, login, refresh, realtime);
    /// replaces CODEX_CA_CERTIFICATE / SSL_CERT_FILE.
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Give up on a stream when no bytes arrive for this many seconds [default: 300].
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    pub idle_timeout: Option<Duration>,
    /// Send request bodies uncompressed (default: zstd to the ChatGPT backend).
    #[arg(long, global = true)]
    pub no_request_compression: bool,
    /// Machine-readable output: JSON lines (streams) or one JSON document.
    #[arg(long, global = true)]
    pub json: bool,
    /// Run against an embedded offline mock backend with a throwaway login.
    #[arg(long, global = true)]
    pub mock: bool,
    /// How turns reach the backend: `auto` (WebSocket, falling back to HTTP SSE), `sse` or
    /// `websocket` (no fallback).
    #[arg(
        long,
        global = true,
        env = "CODEX_TRANSPORT",
        value_name = "MODE",
        default_value = "auto"
    )]
    pub transport: TransportArg,
}

/// `--transport`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TransportArg {
    /// WebSocket first, HTTP SSE as the fallback.
    Auto,
    /// HTTP SSE only.
    Sse,
    /// WebSocket only.
    Websocket,
}

impl From<TransportArg> for codex_backend::Transport {
    fn from(t: TransportArg) -> Self {
        match t {
            TransportArg::Auto => codex_backend::Transport::Auto,
            TransportArg::Sse => codex_backend::Transport::Sse,
            TransportArg::Websocket => codex_backend::Transport::WebSocket,
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with ChatGPT (browser with PKCE, or a device code).
    Login(LoginArgs),
    /// Revoke and delete the stored login.
    Logout,
    /// Show the account and token freshness (never a token).
    Status,
    /// List the models available to this account.
    Models,
    /// Show plan usage, rate limits and credits.
    Usage,
    /// Send one prompt and stream the answer.
    Ask(AskArgs),
    /// Multi-turn conversation on standard input (/compact, /reset, /model, /exit).
    Chat(ChatArgs),
    /// Compact a history file (JSON array of items) on the server.
    Compact(CompactArgs),
    /// Decode a recorded SSE stream into typed events (offline).
    Replay(ReplayArgs),
    /// Create a WebRTC realtime call from an SDP offer.
    RealtimeCall(RealtimeArgs),
}

/// `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Use the device-code flow (for machines without a browser).
    #[arg(long)]
    pub device: bool,
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
    /// Local callback port for the browser flow [default: 1455, then 1457].
    #[arg(long, value_name = "N", conflicts_with = "device")]
    pub port: Option<u16>,
}

/// Request settings shared by `ask` and `chat`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Model slug.
    #[arg(long, short = 'm', default_value = crate::DEFAULT_MODEL, value_name = "SLUG")]
    pub model: String,
    /// System instructions.
    #[arg(long, value_name = "TEXT")]
    pub instructions: Option<String>,
    /// Reasoning effort.
    #[arg(long, value_name = "EFFORT")]
    pub reasoning: Option<Effort>,
    /// Reasoning summary mode.
    #[arg(long, value_name = "MODE")]
    pub reasoning_summary: Option<SummaryMode>,
    /// Output verbosity.
    #[arg(long, value_name = "LEVEL")]
    pub verbosity: Option<VerbosityArg>,
    /// Add the web_search tool: `cached` (index) or `live` (external access).
    #[arg(long, value_name = "MODE")]
    pub web_search: Option<WebSearchMode>,
    /// Service tier (`fast` is sent as `priority`; `default` sends nothing).
    #[arg(long, value_name = "TIER")]
    pub service_tier: Option<TierArg>,
    /// Prompt cache key (also used as the session id) [default: a fresh UUID].
    #[arg(long, value_name = "KEY")]
    pub prompt_cache_key: Option<String>,
    /// JSON file with an array of items to put before the prompt.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Request encrypted reasoning content (`include: ["reasoning.encrypted_content"]`).
    #[arg(long)]
    pub include_reasoning: bool,
    /// After each answer, print token usage and rate limits (standard error).
    #[arg(long, alias = "usage")]
    pub show_usage: bool,
}

/// `ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The prompt (`-` reads it from standard input).
    #[arg(value_name = "PROMPT")]
    pub prompt: String,
    /// Request settings.
    #[command(flatten)]
    pub request: RequestArgs,
    /// Structured output: a JSON Schema file (name from its `title`, else `output`; strict).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Attach an image: http(s) or data: URL, or a file path (sent as a data URL). Repeatable.
    #[arg(long, value_name = "PATH_OR_URL")]
    pub image: Vec<String>,
    /// A JSON tool definition file (one object or an array). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub tool: Vec<PathBuf>,
    /// Tool choice: auto, none, required or a function name.
    #[arg(long, value_name = "CHOICE")]
    pub tool_choice: Option<String>,
    /// Allow several tool calls in one answer.
    #[arg(long)]
    pub parallel_tool_calls: bool,
}

/// `chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Request settings.
    #[command(flatten)]
    pub request: RequestArgs,
}

/// `compact`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// JSON file with the history (an array of items).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Model slug.
    #[arg(long, short = 'm', default_value = crate::DEFAULT_MODEL, value_name = "SLUG")]
    pub model: String,
    /// System instructions.
    #[arg(long, value_name = "TEXT")]
    pub instructions: Option<String>,
    /// Use the older `POST /responses/compact` instead of compaction v2.
    #[arg(long)]
    pub legacy: bool,
}

/// `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recorded stream: SSE text, or a JSON array of event objects.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `realtime-call`.
#[derive(Debug, Args)]
pub struct RealtimeArgs {
    /// File holding the SDP offer.
    #[arg(long, value_name = "FILE")]
    pub sdp: PathBuf,
    /// Realtime model.
    #[arg(long, default_value = crate::DEFAULT_REALTIME_MODEL, value_name = "SLUG")]
    pub model: String,
    /// Session instructions.
    #[arg(long, value_name = "TEXT")]
    pub instructions: Option<String>,
    /// Output voice.
    #[arg(long, default_value = "marin", value_name = "VOICE")]
    pub voice: String,
}

/// `--reasoning`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Effort {
    /// none
    None,
    /// minimal
    Minimal,
    /// low
    Low,
    /// medium
    Medium,
    /// high
    High,
    /// xhigh
    Xhigh,
    /// max
    Max,
    /// ultra
    Ultra,
}

/// `--reasoning-summary`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SummaryMode {
    /// auto
    Auto,
    /// concise
    Concise,
    /// detailed
    Detailed,
    /// no summary (nothing sent)
    None,
}

/// `--verbosity`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerbosityArg {
    /// low
    Low,
    /// medium
    Medium,
    /// high
    High,
}

/// `--web-search`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WebSearchMode {
    /// cached index (`external_web_access: false`)
    Cached,
    /// live web (`external_web_access: true`)
    Live,
}

/// `--service-tier`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TierArg {
    /// priority
    Priority,
    /// flex
    Flex,
    /// fast (= priority)
    Fast,
    /// default (send nothing)
    Default,
}

impl ValueName for Effort {}
impl ValueName for SummaryMode {}
impl ValueName for VerbosityArg {}
impl ValueName for TierArg {}

/// The wire spelling of a value-enum argument.
pub trait ValueName: ValueEnum {
    /// The name as typed on the command line (equal to the wire value).
    fn name(&self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// Longest `--idle-timeout`: 365 days.
pub const MAX_IDLE_TIMEOUT_SECS: f64 = 86_400.0 * 365.0;

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() {
        return Err(format!("{s:?} is not a finite number of seconds"));
    }
    if v <= 0.0 {
        return Err(format!("{s:?} must be more than 0 seconds"));
    }
    if v > MAX_IDLE_TIMEOUT_SECS {
        return Err(format!(
            "{s:?} is too long: at most {MAX_IDLE_TIMEOUT_SECS:.0} seconds (365 days)"
        ));
    }
    Ok(Duration::from_secs_f64(v))
}
