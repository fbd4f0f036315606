//! `codex-mock [--port N] [--tls] [--no-auth] [--codex-home DIR] [--scenario NAME ...]`
//!
//! Serves the mock backend and issuer on 127.0.0.1 until Ctrl-C. Prints the base URL on the
//! first line of stdout. Scenarios are queued for `POST /responses` in order; after they are
//! used up every request gets the default text reply.

use std::process::ExitCode;
use std::time::Duration;

use codex_mock::FunctionCallSpec;
use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::Route;

const USAGE: &str =
    "usage: codex-mock [--port N] [--tls] [--no-auth] [--codex-home DIR] [--scenario NAME ...]

scenarios (queued for POST /responses, in order):
  text, tools, custom-tool, reasoning, structured, web-search, rate-limits,
  failed:<code>, incomplete, error, truncated, drop, stall[:<secs>], keepalive,
  drip, huge[:<bytes>], many:<n>, status:<code>, usage-limit, unauthorized-once,
  no-content-type, replay:<file>

--no-auth       accept any bearer token (default: only tokens this issuer minted)
--codex-home D  write D/auth.json with tokens the issuer accepts (a fake login)";

/// Map a scenario name to a reply (also used by tests of the CLI).
fn scenario(name: &str) -> Result<(Route, Reply), String> {
    let (head, arg) = match name.split_once(':') {
        Some((h, a)) => (h, Some(a)),
        None => (name, None),
    };
    let num = |default: u64| -> Result<u64, String> {
        match arg {
            Some(a) => a
                .parse()
                .map_err(|_| format!("scenario {name}: {a} is not a number")),
            None => Ok(default),
        }
    };
    let reply = match head {
        "text" => Reply::text(arg.unwrap_or(codex_mock::DEFAULT_TEXT)),
        "tools" => Reply::tool_calls(vec![
            FunctionCallSpec::new("get_weather", "call_mock_0", r#"{"city":"Paris"}"#),
            FunctionCallSpec::new("get_weather", "call_mock_1", r#"{"city":"Tokyo"}"#),
        ]),
        "custom-tool" => Reply::custom_tool_call(
            "apply_patch",
            "call_mock_0",
            "*** Begin Patch\n*** Add File: hello.txt\n+Hello world\n*** End Patch",
        ),
        "reasoning" => Reply::reasoning(
            "**Thinking**\n\nThe answer follows from the question.",
            "Here is the answer.",
        ),
        "structured" => Reply::structured(serde_json::json!({"answer": "42"})),
        "web-search" => Reply::web_search("rust", "Found it."),
        "rate-limits" => Reply::rate_limits(),
        "failed" => {
            let code = arg.unwrap_or("server_error");
            let msg = if code == "rate_limit_exceeded" {
                codex_mock::RATE_LIMIT_MESSAGE.to_owned()
            } else {
                format!("codex-mock failure: {code}")
            };
            Reply::failed(code, &msg)
        }
        "incomplete" => Reply::incomplete(arg.unwrap_or("max_output_tokens")),
        "error" => Reply::error_event("server_error", "codex-mock error event"),
        "truncated" => Reply::truncated(),
        "drop" => Reply::drop_mid_event(),
        "stall" => Reply::stall(Duration::from_secs(num(600)?)),
        "keepalive" => Reply::keep_alive(5, Duration::from_secs(1)),
        "drip" => Reply::drip(
            "Dripping slowly, one character at a time.",
            Duration::from_millis(100),
        ),
        "huge" => Reply::huge_event(num(8 * 1024 * 1024)? as usize),
        "many" => Reply::many_deltas(num(100_000)?),
        "status" => {
            let code = num(500)?;
            let code = u16::try_from(code).map_err(|_| format!("bad status {code}"))?;
            Reply::status(
                code,
                serde_json::json!({"detail": format!("codex-mock status {code}")}),
            )
        }
        "usage-limit" => Reply::usage_limit("plus", 1_767_229_200),
        "unauthorized-once" => Reply::unauthorized_once(),
        "no-content-type" => Reply::text(codex_mock::DEFAULT_TEXT).without_content_type(),
        "replay" => match arg {
            Some(path) => Reply::sse_file(path),
            None => return Err("replay needs a file: replay:<file>".into()),
        },
        _ => return Err(format!("unknown scenario {name}")),
    };
    Ok((Route::Responses, reply))
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1).peekable();
    let mut builder = MockServer::builder();
    let mut scenarios = Vec::new();
    let mut home = None;
    let mut no_auth = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                let v = args.next().ok_or("--port needs a value")?;
                builder = builder.port(v.parse().map_err(|_| format!("bad port {v}"))?);
            }
            "--tls" => builder = builder.tls(true),
            "--no-auth" => no_auth = true,
            "--codex-home" => home = Some(args.next().ok_or("--codex-home needs a value")?),
            "--scenario" => {
                // One or more names: `--scenario a b` and `--scenario a --scenario b` both work.
                let v = args.next().ok_or("--scenario needs a value")?;
                scenarios.push(scenario(&v)?);
                while let Some(next) = args.next_if(|a| !a.starts_with('-')) {
                    scenarios.push(scenario(&next)?);
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let server = builder
        .require_auth(!no_auth)
        .start()
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    for (route, reply) in scenarios {
        server.push(route, reply);
    }
    if let Some(home) = home {
        let tokens = server.issuer().issue_tokens();
        tokens
            .write_auth_json(std::path::Path::new(&home))
            .map_err(|e| format!("cannot write auth.json: {e}"))?;
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
        .map_err(|e| format!("signal: {e}"))?;
    Ok(())
}

fn main() -> ExitCode {
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
        Err(e) => {
            eprintln!("codex-mock: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_scenario_parses() {
        for name in [
            "text",
            "text:hi there",
            "tools",
            "custom-tool",
            "reasoning",
            "structured",
            "web-search",
            "rate-limits",
            "failed:context_length_exceeded",
            "failed:rate_limit_exceeded",
            "incomplete",
            "incomplete:content_filter",
            "error",
            "truncated",
            "drop",
            "stall",
            "stall:3",
            "keepalive",
            "drip",
            "huge:1024",
            "many:10",
            "status:503",
            "usage-limit",
            "unauthorized-once",
            "no-content-type",
            "replay:/tmp/x.sse",
        ] {
            assert!(scenario(name).is_ok(), "{name}");
        }
        for bad in ["nope", "status:abc", "status:70000", "replay", "huge:x"] {
            assert!(scenario(bad).is_err(), "{bad}");
        }
        let (_, r) = scenario("status:429").unwrap();
        assert_eq!(r.status_code(), 429);
    }
}
