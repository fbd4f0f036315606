//! The scenarios: the official CLI (over WebSocket and with the upgrade refused), the Python
//! SDK and this project's CLI, each against its own mock; the plan, and the table.

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use std::time::Instant;

use super::CLI_VERSIONS;
use super::Opts;
use super::RESPONSES;
use super::SDK_VERSIONS;
use super::WS_FRAME;
use super::bin;
use super::codex_cli;
use super::dir;
use super::harness::Mock;
use super::harness::Outcome;
use super::harness::expect_ok;
use super::harness::last_line;
use super::harness::run_client;
use super::python;
use crate::run;

/// What the official CLI prints when it gives up on WebSocket for HTTPS.
const FALLBACK_WARNING: &str = "Falling back from WebSockets to HTTPS";

/// One row of the table.
struct Row {
    client: String,
    scenario: String,
    ok: bool,
    detail: String,
    wall: Duration,
}

/// How the official CLI's turns reach the mock in one run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OfficialTransport {
    /// The mock accepts the WebSocket upgrade: every turn must go over WebSocket.
    WebSocket,
    /// The mock answers the upgrade 426: one attempt per process, then HTTPS (SSE).
    HttpsFallback,
}

impl OfficialTransport {
    const ALL: [OfficialTransport; 2] = [Self::WebSocket, Self::HttpsFallback];

    fn label(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::HttpsFallback => "https (ws 426)",
        }
    }

    fn parse(scenario: &str) -> (&str, OfficialTransport) {
        for t in Self::ALL {
            if let Some(name) = scenario.strip_suffix(&format!(" [{}]", t.label())) {
                return (name, t);
            }
        }
        (scenario, Self::WebSocket)
    }
}

/// The official CLI's stderr must show no catalog decode warning, no 404 and, when the mock
/// accepts WebSocket, no fallback to HTTPS.
fn official_stderr_clean(stderr: &str, transport: OfficialTransport) -> Result<(), String> {
    let mut bad = vec!["failed to decode", "404"];
    if transport == OfficialTransport::WebSocket {
        bad.push(FALLBACK_WARNING);
    }
    for bad in bad {
        if let Some(line) = stderr.lines().find(|l| shows(l, bad)) {
            let line: String = line.chars().take(160).collect();
            return Err(format!("stderr shows {bad:?}: {line}"));
        }
    }
    Ok(())
}

/// `line` contains `needle` (ASCII case-insensitive) not inside a longer number or word, so
/// "404" is a status and not the digits of a timestamp such as `09:20:01.777404Z`.
fn shows(line: &str, needle: &str) -> bool {
    let (line, needle) = (line.to_ascii_lowercase(), needle.to_ascii_lowercase());
    line.match_indices(&needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The turns went the way `transport` says: over WebSocket only, or one refused upgrade per
/// process then `POST`s (zstd-compressed, the official client's default).
fn official_transport_check(
    mock: &Mock,
    transport: OfficialTransport,
    processes: usize,
) -> Result<String, String> {
    let upgrades = mock.count("GET", RESPONSES);
    let frames = mock.count(WS_FRAME, RESPONSES);
    let posts = mock.post_encodings();
    match transport {
        OfficialTransport::WebSocket => {
            if frames == 0 || !posts.is_empty() {
                return Err(format!(
                    "expected WebSocket turns only: {upgrades} upgrades, {frames} frames, {} POSTs",
                    posts.len()
                ));
            }
            Ok(format!("{upgrades} upgrade(s), {frames} ws frames"))
        }
        OfficialTransport::HttpsFallback => {
            if frames > 0 || posts.is_empty() || upgrades > processes {
                return Err(format!(
                    "expected at most {processes} refused upgrade(s), then POSTs: \
                     {upgrades} upgrades, {frames} frames, {} POSTs",
                    posts.len()
                ));
            }
            let zstd = posts.iter().filter(|e| e.as_str() == "zstd").count();
            Ok(format!(
                "{upgrades} upgrade(s) refused, {} POSTs ({zstd} zstd)",
                posts.len()
            ))
        }
    }
}

fn official_config(mock: &Mock) -> Result<(), String> {
    // Request compression stays on (the CLI's default): the mock decodes zstd bodies.
    let config = format!(
        "chatgpt_base_url = \"{url}/backend-api/\"\n\
         openai_base_url = \"{url}/backend-api/codex\"\n\
         model = \"gpt-5.4\"\n\
         \n[features]\n\
         apps = false\n\
         plugins = false\n\
         remote_plugin = false\n\
         tool_suggest = false\n",
        url = mock.url
    );
    std::fs::write(mock.home.join("config.toml"), config).map_err(|e| e.to_string())
}

fn official_exec(
    version: &str,
    mock: &Mock,
    work: &Path,
    args: &[&str],
    tag: &str,
) -> Result<Outcome, String> {
    let mut c = Command::new(codex_cli(version));
    c.current_dir(work)
        .env("CODEX_HOME", &mock.home)
        .env("CODEX_CA_CERTIFICATE", &mock.ca)
        .env("SSL_CERT_FILE", &mock.ca)
        .args([
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
        ])
        .args(args);
    run_client(c, work, tag)
}

/// One official-CLI scenario: the turns it takes must work, then its stderr must be clean.
fn official(version: &str, scenario: &str, work: &Path) -> Result<String, String> {
    let (scenario, transport) = OfficialTransport::parse(scenario);
    let scenario_args: &[&str] = match scenario {
        "plain turn" => &["--scenario", "text:interop-plain-ok"],
        "shell tool call" => &["--scenario", "shell:echo interop-shell-ok"],
        "reasoning turn" => &["--scenario", "reasoning"],
        "exec resume --last" => &["--scenario", "text:interop-first", "text:interop-second"],
        // By rule, not by queue: the compaction request between the turns takes the queue's
        // next reply (docs/mock.md), while rules skip it and it gets its compaction item.
        "automatic compaction" => &[
            "--auto-compact-limit",
            "gpt-5.4=10",
            "--script",
            "script.json",
        ],
        "failure (insufficient_quota)" => &["--scenario", "failed:insufficient_quota"],
        _ => return Err(format!("unknown scenario {scenario}")),
    };
    std::fs::write(
        work.join("script.json"),
        r#"[{"user_contains": "First.", "reply": "text:interop-first"},
            {"user_contains": "Second.", "reply": "text:interop-second"}]"#,
    )
    .map_err(|e| e.to_string())?;
    let mut mock_args = scenario_args.to_vec();
    if transport == OfficialTransport::HttpsFallback {
        mock_args.extend(["--websocket", "upgrade-required"]);
    }
    let mock = Mock::start(work, true, &mock_args)?;
    official_config(&mock)?;
    let mut stderr = String::new();
    let mut processes = 0;
    let mut exec = |args: &[&str], tag: &str| -> Result<Outcome, String> {
        let o = official_exec(version, &mock, work, args, tag)?;
        stderr.push_str(&o.stderr);
        processes += 1;
        Ok(o)
    };
    let detail = match scenario {
        "plain turn" => expect_ok(&exec(&["Say it."], "exec")?, "interop-plain-ok")?,
        "shell tool call" => {
            let o = exec(&["Run echo."], "exec")?;
            expect_ok(&o, "Its output was")?;
            expect_ok(&o, "interop-shell-ok")?
        }
        "reasoning turn" => expect_ok(&exec(&["Think."], "exec")?, "Here is the answer.")?,
        "exec resume --last" | "automatic compaction" => {
            expect_ok(&exec(&["First."], "exec")?, "interop-first")?;
            let o = exec(&["resume", "--last", "Second."], "resume")?;
            expect_ok(&o, "interop-second")?;
            let bodies = mock.responses_bodies();
            let last = bodies.last().map(|b| b.to_string()).unwrap_or_default();
            if scenario == "exec resume --last" {
                if !last.contains("interop-first") {
                    return Err("the resumed turn did not replay the first answer".into());
                }
                format!("{} /responses requests", bodies.len())
            } else {
                let legacy = mock.count("POST", "/backend-api/codex/responses/compact");
                let v2 = bodies
                    .iter()
                    .filter(|b| b.to_string().contains("\"compaction_trigger\""))
                    .count();
                if legacy + v2 == 0 {
                    return Err("no compaction request was sent".into());
                }
                format!("compaction requests: {legacy} legacy, {v2} v2")
            }
        }
        _ => {
            let o = exec(&["Say it."], "exec")?;
            if o.code == Some(0) {
                return Err("exit 0 on a failed response".into());
            }
            let all = format!("{}{}", o.stdout, o.stderr).to_ascii_lowercase();
            if !all.contains("quota") {
                return Err(format!("no quota message: {}", last_line(&o.stderr)));
            }
            format!("exit {:?}, quota message", o.code)
        }
    };
    let how = official_transport_check(&mock, transport, processes)
        .map_err(|e| format!("{detail}; but {e}"))?;
    official_stderr_clean(&stderr, transport).map_err(|e| format!("{detail} ({how}); but {e}"))?;
    let fallback = if stderr.contains(FALLBACK_WARNING) {
        ", fallback warning"
    } else {
        ""
    };
    Ok(format!("{detail} ({how}{fallback})"))
}

fn python_sdk(version: &str, scenario: &str, work: &Path) -> Result<String, String> {
    let mock_args: &[&str] = match scenario {
        "respond" => &["--scenario", "text:interop-respond-ok"],
        "stream" => &["--scenario", "text:interop stream ok"],
        "tools" => &["--scenario", "shell:ls,tool=exec_command"],
        _ => &[],
    };
    let mock = Mock::start(work, true, mock_args)?;
    let mut c = Command::new(python(version));
    c.current_dir(work)
        .arg(dir().join("interop_driver.py"))
        .arg(scenario)
        .env("MOCK_URL", &mock.url)
        .env("CODEX_HOME", &mock.home)
        .env("REQUESTS_CA_BUNDLE", &mock.ca);
    let o = run_client(c, work, "driver")?;
    expect_ok(&o, "ok: ")
}

/// This project's CLI against the same HTTPS mock as the third-party clients (`--ca-cert`):
/// `ask` over each `--transport`, checked in the request log, and the JSON commands.
fn this_cli(scenario: &str, work: &Path) -> Result<String, String> {
    let mock = Mock::start(work, true, &["--scenario", "text:interop-ask-ok"])?;
    let mut c = Command::new(bin("codex-backend"));
    c.current_dir(work)
        .arg("--base-url")
        .arg(format!("{}/backend-api/codex", mock.url))
        .arg("--codex-home")
        .arg(&mock.home)
        .arg("--ca-cert")
        .arg(&mock.ca);
    let needle = match scenario {
        "ask --transport sse" | "ask --transport websocket" => {
            c.args(scenario.split(' ')).arg("Say it.");
            "interop-ask-ok"
        }
        "models" => {
            c.args(["--json", "models"]);
            "gpt-6-preview"
        }
        _ => {
            c.args(["--json", "usage"]);
            "plus"
        }
    };
    let o = run_client(c, work, "cli")?;
    let detail = expect_ok(&o, needle)?;
    let (upgrades, frames) = (
        mock.count("GET", RESPONSES),
        mock.count(WS_FRAME, RESPONSES),
    );
    let posts = mock.count("POST", RESPONSES);
    let went = match scenario {
        "ask --transport sse" if upgrades + frames == 0 && posts == 1 => "1 POST",
        "ask --transport websocket" if upgrades == 1 && frames > 0 && posts == 0 => {
            "1 upgrade, ws frames"
        }
        "models" | "usage" => return Ok(detail),
        _ => {
            return Err(format!(
                "{detail}; but {upgrades} upgrades, {frames} ws frames, {posts} POSTs"
            ));
        }
    };
    Ok(format!("{detail} ({went})"))
}

/// Inside the namespace: loopback up, every scenario, the table.
pub(super) fn inside(o: &Opts) -> Result<(), String> {
    if o.netns {
        let mut c = Command::new("ip");
        c.args(["link", "set", "lo", "up"]);
        run(c)?;
    }
    let mut plan: Vec<(String, String)> = Vec::new();
    for v in CLI_VERSIONS {
        for s in [
            "plain turn",
            "shell tool call",
            "reasoning turn",
            "exec resume --last",
            "automatic compaction",
            "failure (insufficient_quota)",
        ] {
            for t in OfficialTransport::ALL {
                plan.push((format!("codex CLI {v}"), format!("{s} [{}]", t.label())));
            }
        }
    }
    for v in SDK_VERSIONS {
        for s in [
            "respond",
            "stream",
            "tools",
            "models",
            "usage",
            "compaction",
        ] {
            plan.push((format!("python SDK {v}"), s.to_owned()));
        }
    }
    for s in [
        "ask --transport sse",
        "ask --transport websocket",
        "models",
        "usage",
    ] {
        plan.push(("codex-backend (this CLI)".to_owned(), s.to_owned()));
    }
    let runs = dir().join("runs");
    let _ = std::fs::remove_dir_all(&runs);
    let mut rows = Vec::new();
    for (i, (client, scenario)) in plan.into_iter().enumerate() {
        if let Some(only) = &o.only
            && !client.contains(only.as_str())
            && !scenario.contains(only.as_str())
        {
            continue;
        }
        let work = runs.join(format!("{i:02}"));
        std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        let start = Instant::now();
        let result = if let Some(v) = client.strip_prefix("codex CLI ") {
            official(v, &scenario, &work)
        } else if let Some(v) = client.strip_prefix("python SDK ") {
            python_sdk(v, &scenario, &work)
        } else {
            this_cli(&scenario, &work)
        };
        let wall = start.elapsed();
        let (ok, detail) = match result {
            Ok(d) => (true, d),
            Err(e) => (false, format!("{e} [{}]", work.display())),
        };
        eprintln!("{} {client}: {scenario}", if ok { "ok  " } else { "FAIL" });
        rows.push(Row {
            client,
            scenario,
            ok,
            detail,
            wall,
        });
    }
    print_table(&rows);
    let failed = rows.iter().filter(|r| !r.ok).count();
    if failed > 0 {
        return Err(format!(
            "{failed} of {} interop scenarios failed",
            rows.len()
        ));
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!("| client | scenario | result | wall time | detail |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.1} s | {} |",
            r.client,
            r.scenario,
            if r.ok { "ok" } else { "FAIL" },
            r.wall.as_secs_f64(),
            r.detail.replace('|', "\\|")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::shows;

    #[test]
    fn a_404_is_a_status_not_the_digits_of_a_timestamp() {
        assert!(!shows(
            "2026-12-06T09:20:01.777404Z ERROR failed to connect",
            "404"
        ));
        assert!(!shows("port 14045 answered", "404"));
        assert!(shows("unexpected status 404 Not Found: /ps/mcp", "404"));
        assert!(shows("HTTP 404", "404"));
        assert!(shows(
            "WARN Failed to decode models response",
            "failed to decode"
        ));
    }
}
