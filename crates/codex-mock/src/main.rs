//! `codex-mock [--port N] [--tls] [--no-auth] [--codex-home DIR] [--route R] [--scenario SPEC ...]`
//!
//! Serves the mock backend and issuer on 127.0.0.1 until Ctrl-C. Prints the base URL on the
//! first line of stdout. Scenarios are queued per route in order (`/responses` unless a
//! `--route` came before them); after they are used up every request gets the route's default.
//!
//! A scenario spec is `NAME[:ARG][,OPTION...]`, each option `key=value` (or the bare flag
//! `no-content-type`); see `codex-mock --help` and `docs/mock.md`.
//!
//! The scenario grammar lives in `spec.rs`, the command line's help and value parsers in
//! `args.rs`; this file runs the server.

mod args;
mod spec;

use std::process::ExitCode;

use codex_mock::MockServer;
use codex_mock::Route;
use codex_mock::WebSocketMode;

use args::auto_compact_limit;
use args::route;
use args::usage;
use spec::ScriptEntry;
use spec::scenario;
use spec::script;

/// Why `run` stopped.
enum Fail {
    /// Bad command line: exit 2.
    Usage(String),
    /// The server could not run: exit 1.
    Runtime(String),
}

impl From<String> for Fail {
    fn from(s: String) -> Fail {
        Fail::Usage(s)
    }
}

impl From<&str> for Fail {
    fn from(s: &str) -> Fail {
        Fail::Usage(s.to_owned())
    }
}

async fn run() -> Result<(), Fail> {
    let mut args = std::env::args().skip(1).peekable();
    let mut builder = MockServer::builder();
    let mut scenarios = Vec::new();
    let mut home = None;
    let mut no_auth = false;
    let mut tls = false;
    let mut websocket = WebSocketMode::Accept;
    let mut ws_limit: Option<u64> = None;
    let mut ws_close_after: Option<u64> = None;
    let mut ws_binary_after: Option<u64> = None;
    let mut current = Route::Responses;
    let mut ca_out = None;
    let mut scripted = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                let v = args.next().ok_or("--port needs a value")?;
                builder = builder.port(v.parse().map_err(|_| format!("bad port {v:?}"))?);
            }
            "--tls" => {
                tls = true;
                builder = builder.tls(true);
            }
            "--no-auth" => no_auth = true,
            "--ca-out" => ca_out = Some(args.next().ok_or("--ca-out needs a file")?),
            "--log" => builder = builder.request_log(args.next().ok_or("--log needs a file")?),
            "--auto-compact-limit" => {
                let v = args.next().ok_or("--auto-compact-limit needs [SLUG=]N")?;
                builder = match auto_compact_limit(&v)? {
                    (Some(slug), limit) => builder.auto_compact_token_limit(&slug, limit),
                    (None, limit) => builder.auto_compact_token_limit_all(limit),
                };
            }
            "--script" => scripted.extend(script(&args.next().ok_or("--script needs a file")?)?),
            "--websocket" => {
                let v = args.next().ok_or("--websocket needs a value")?;
                websocket = match v.as_str() {
                    "accept" => WebSocketMode::Accept,
                    "upgrade-required" => WebSocketMode::UpgradeRequired,
                    "refuse" => WebSocketMode::Refuse,
                    "unavailable" => WebSocketMode::Unavailable,
                    "stall" => WebSocketMode::Stall,
                    _ => {
                        return Err(format!(
                            "bad --websocket {v:?} (accept, upgrade-required, refuse, unavailable, stall)"
                        )
                        .into());
                    }
                };
            }
            "--websocket-limit" => {
                let v = args.next().ok_or("--websocket-limit needs a value")?;
                ws_limit = Some(v.parse().map_err(|_| format!("bad limit {v:?}"))?);
            }
            "--websocket-close-after" => {
                let v = args.next().ok_or("--websocket-close-after needs a value")?;
                ws_close_after = Some(v.parse().map_err(|_| format!("bad count {v:?}"))?);
            }
            "--websocket-binary-after" => {
                let v = args
                    .next()
                    .ok_or("--websocket-binary-after needs a value")?;
                ws_binary_after = Some(v.parse().map_err(|_| format!("bad count {v:?}"))?);
            }
            "--codex-home" => home = Some(args.next().ok_or("--codex-home needs a value")?),
            "--route" => current = route(&args.next().ok_or("--route needs a value")?)?,
            "--scenario" => {
                // One or more specs: `--scenario a b` and `--scenario a --scenario b` both work.
                let v = args.next().ok_or("--scenario needs a value")?;
                scenarios.push((current, scenario(&v)?));
                while let Some(next) = args.next_if(|a| !a.starts_with('-')) {
                    scenarios.push((current, scenario(&next)?));
                }
            }
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (see --help)").into()),
        }
    }
    if ca_out.is_some() && !tls {
        return Err("--ca-out needs --tls (a plain HTTP server has no CA)".into());
    }
    let server = builder
        .require_auth(!no_auth)
        .start()
        .await
        .map_err(|e| Fail::Runtime(format!("cannot start: {e}")))?;
    for entry in scripted {
        match entry {
            ScriptEntry::Queue(route, reply) => server.push(route, reply),
            ScriptEntry::Rule(text, reply) => server.on_user_message(&text, reply),
        }
    }
    server.set_websocket(websocket);
    server.set_websocket_connection_limit(ws_limit);
    server.set_websocket_close_after(ws_close_after);
    server.set_websocket_binary_after(ws_binary_after);
    for (route, reply) in scenarios {
        server.push(route, reply);
    }
    if let (Some(path), Some(pem)) = (&ca_out, server.ca_cert_pem()) {
        std::fs::write(path, pem)
            .map_err(|e| Fail::Runtime(format!("cannot write {path}: {e}")))?;
    }
    if let Some(home) = home {
        let tokens = server.issuer().issue_tokens();
        tokens
            .write_auth_json(std::path::Path::new(&home))
            .map_err(|e| Fail::Runtime(format!("cannot write auth.json: {e}")))?;
        eprintln!(
            "wrote {home}/auth.json (fake login for {})",
            tokens.account_id
        );
    }
    println!("{}", server.url());
    if let Some(pem) = server.ca_cert_pem() {
        eprintln!("test CA:\n{pem}");
    }
    eprintln!("backend: {}", server.backend_base_url());
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Fail::Runtime(format!("signal: {e}")))?;
    Ok(())
}

fn main() -> ExitCode {
    // Its own runtime set-up, like the CLI's: the mock depends on no workspace crate.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("codex-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Usage(e)) => {
            eprintln!("codex-mock: {e}");
            ExitCode::from(2)
        }
        Err(Fail::Runtime(e)) => {
            eprintln!("codex-mock: {e}");
            ExitCode::FAILURE
        }
    }
}
