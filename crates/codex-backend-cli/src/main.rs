//! The `codex-backend` command-line tool: log in with ChatGPT, stream answers, chat, compact,
//! list models, show usage, replay recorded streams and create realtime calls.
//!
//! The full reference (commands, flags, environment variables, `--json` shapes, exit codes
//! and stability promises) is `docs/cli.md`. Quick start, offline:
//!
//! ```text
//! cargo run -p codex-backend-cli -- --mock ask "Say hi"
//! ```

mod chat;
mod cli;
mod commands;
mod error;
#[cfg_attr(not(feature = "mock"), path = "mock_off.rs")]
mod mock;
mod output;
mod replay;
mod request;
mod session;
mod signal;
mod time;
mod turn;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::cli::Command;
use crate::error::CliError;
use crate::error::EXIT_OK;
use crate::error::EXIT_USAGE;
use crate::output::Out;
use crate::session::Session;

/// The model used when `--model` is not given.
pub const DEFAULT_MODEL: &str = "gpt-5.4";
/// The realtime model used when `realtime-call --model` is not given.
pub const DEFAULT_REALTIME_MODEL: &str = "gpt-realtime-1.5";

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return ExitCode::from(clap_error(&e)),
    };
    let out = Out::detect(cli.global.json);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let err = CliError::new("io", format!("cannot start the async runtime: {e}"));
            out.error(&err);
            return ExitCode::from(err.exit_code());
        }
    };
    let code = rt.block_on(run(cli, &out));
    // Do not wait for the stdin reader thread of `chat`.
    rt.shutdown_background();
    ExitCode::from(code)
}

/// `RUST_LOG` turns on logging to stderr; off otherwise.
fn init_logging() {
    if std::env::var_os("RUST_LOG").is_some_and(|v| !v.is_empty()) {
        let filter = tracing_subscriber::EnvFilter::from_default_env();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
    }
}

/// Prints a clap error: help and version go to stdout (exit 0); anything else is one line
/// (exit 2), plus the error object with `--json`.
fn clap_error(e: &clap::Error) -> u8 {
    use clap::error::ErrorKind as K;
    match e.kind() {
        K::DisplayHelp | K::DisplayVersion => {
            let _ = e.print();
            EXIT_OK
        }
        K::DisplayHelpOnMissingArgumentOrSubcommand => {
            if wants_json(std::env::args_os()) {
                Out::detect(true).error(&CliError::usage(
                    "a command is required (see `codex-backend --help`)",
                ));
            } else {
                // clap prints the help to stderr for this kind.
                let _ = e.print();
            }
            EXIT_USAGE
        }
        _ => {
            let rendered = e.to_string();
            // The first paragraph (clap may continue the message on indented lines).
            let para: Vec<&str> = rendered
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = para.join(" ");
            let first = if first.is_empty() {
                "invalid arguments".to_owned()
            } else {
                first
            };
            let msg = first.strip_prefix("error: ").unwrap_or(&first);
            let msg = format!("{msg} (see `codex-backend --help`)");
            let err = CliError::usage(msg);
            Out::detect(wants_json(std::env::args_os())).error(&err);
            EXIT_USAGE
        }
    }
}

/// Whether the raw command line (program name first) asks for `--json`, for reporting a
/// usage error that clap could not parse. Arguments are read as `OsString`s (never panics on
/// non-UTF-8), the scan stops at `--`, and the value of an option that takes one (`--model
/// X`, `--instructions X`, ...) is skipped, so a prompt or value that is literally `--json`
/// does not switch the error to JSON.
fn wants_json(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let mut takes_value: Vec<String> = Vec::new();
    let mut collect = |c: &clap::Command| {
        for a in c.get_arguments() {
            if a.is_positional() || !a.get_action().takes_values() {
                continue;
            }
            if let Some(l) = a.get_long() {
                takes_value.push(format!("--{l}"));
            }
            for l in a.get_all_aliases().into_iter().flatten() {
                takes_value.push(format!("--{l}"));
            }
            if let Some(s) = a.get_short() {
                takes_value.push(format!("-{s}"));
            }
        }
    };
    collect(&cmd);
    for sub in cmd.get_subcommands() {
        collect(sub);
    }
    let mut it = args.into_iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            return false;
        }
        if a == "--json" {
            return true;
        }
        if a.to_str()
            .is_some_and(|s| takes_value.iter().any(|t| t == s))
        {
            let _ = it.next();
        }
    }
    false
}

async fn run(cli: Cli, out: &Out) -> u8 {
    // From here on SIGINT/SIGTERM end the command through `run_until_signal`, never the
    // process in the middle of a token refresh.
    let mut signals = signal::Signals::install();
    let auth = std::sync::OnceLock::new();
    let ask = matches!(cli.command, Command::Ask(_));
    let chat = matches!(cli.command, Command::Chat(_));
    let result = signal::run_until_signal(&mut signals, dispatch(cli, out, &auth), ask, chat).await;
    // A failed write to stdout ends the command with that failure, whatever came after it
    // (a stream the command stopped because of it, or a success it could not print).
    let result = match out.write_error() {
        Some(e) => Err(e),
        None => result,
    };
    // A refresh already sent completes and is saved before the process exits.
    let unsettled = signal::settle_refresh(auth.get()).await;
    let e = match (result, unsettled) {
        (Ok(code), None) => return code,
        (Ok(_), Some(e)) => e,
        (Err(e), unsettled) => {
            if let Some(u) = unsettled
                && !out.json
            {
                out.note(&format!("warning: {}", u.message));
            }
            e
        }
    };
    out.error(&e);
    e.exit_code()
}

async fn dispatch(
    cli: Cli,
    out: &Out,
    auth: &std::sync::OnceLock<codex_backend::AuthManager>,
) -> Result<u8, CliError> {
    let g = &cli.global;
    if let Command::Replay(a) = &cli.command {
        replay::run(out, &a.file)?;
        return Ok(EXIT_OK);
    }
    // `login` starts from a logged-out throwaway home under --mock; the rest get a fake login.
    let logged_in = !matches!(cli.command, Command::Login(_));
    let sess = Session::open(g, logged_in).await?;
    let _ = auth.set(sess.auth.clone());
    match &cli.command {
        Command::Login(a) => commands::login(&sess, out, a).await?,
        Command::Logout => commands::logout(&sess, out).await?,
        Command::Status => commands::status(&sess, out).await?,
        Command::Models => commands::models(&sess, out).await?,
        Command::Usage => commands::usage(&sess, out).await?,
        Command::Ask(a) => commands::ask(&sess, out, a).await?,
        Command::Chat(a) => return chat::run(&sess, out, a).await,
        Command::Compact(a) => commands::compact(&sess, out, a).await?,
        Command::RealtimeCall(a) => commands::realtime_call(&sess, out, a).await?,
        Command::Replay(_) => {}
    }
    Ok(EXIT_OK)
}
