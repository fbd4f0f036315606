//! A 30-turn tool loop against codex-mock, over HTTP SSE and over WebSocket (incremental
//! turns): bytes uploaded per turn and in total (what the mock received), and **client CPU
//! per turn** (this process only: the mock runs in a separate process, `common::serve`).
//!
//! Two compositions of the loop (docs/performance.md gives both, so the figure is not tuned):
//!
//! - `realistic` (the headline): the request is what a coding agent sends (about 1.3 KB of
//!   instructions, one `shell` function tool, `reasoning` with `include:
//!   ["reasoning.encrypted_content"]`, a prompt cache key). Each model turn returns a
//!   reasoning item (a one-sentence summary and [`ENCRYPTED_CHARS`] characters of opaque
//!   base64 `encrypted_content`) and a `shell` function call; the caller appends the items
//!   and the call's output, [`OUTPUT_BYTES`] bytes of typical shell output (numbered Rust
//!   source lines with varying identifiers and `cargo check` diagnostics: partly
//!   compressible). Turn 30 answers with a reasoning item and a message. The history reaches
//!   about 200 KB at turn 30.
//! - `noise` (the first measurement's loop): instructions `be brief`, no tools, no reasoning;
//!   each model turn returns one function call and the caller appends [`NOISE_BYTES`] bytes
//!   of base64-alphabet noise (incompressible) as its output.
//!
//! SSE bytes are the HTTP body as sent (zstd, the SDK's default to the ChatGPT backend) and
//! its JSON; WebSocket bytes are the `response.create` frame. Client CPU per turn is the
//! process CPU clock around `stream(..).await` + `collect_text().await` (building the history
//! and the tool outputs is not counted).
//!
//! Run: `cargo bench -p codex-client --bench tool_loop -- --measurement-time 5 --warm-up-time 1`
//! (`TOOL_LOOP_SESSIONS`, default 5: sessions per transport and composition in the fixed run
//! that prints the tables).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::fmt::Write as _;
use std::time::Duration;
use std::time::Instant;

use codex_client::Client;
use codex_client::RequestOptions;
use codex_client::Transport;
use codex_mock::FunctionCallSpec;
use codex_mock::MockServer;
use codex_mock::Reply;
use codex_mock::events::StreamBuilder;
use codex_mock::events::Usage;
use codex_mock::events::split_words;
use codex_types::FunctionTool;
use codex_types::Reasoning;
use codex_types::ReasoningEffort;
use codex_types::ReasoningSummary;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use criterion::Criterion;
use criterion::SamplingMode;
use serde_json::json;

const TURNS: usize = 30;
/// `encrypted_content` of each reasoning item (realistic loop): base64 characters.
const ENCRYPTED_CHARS: usize = 4_096;
/// Shell output appended per tool call (realistic loop).
const OUTPUT_BYTES: usize = 2_300;
/// Noise appended per tool call (noise loop).
const NOISE_BYTES: usize = 6_800;
const MODEL: &str = "gpt-5.4";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Composition {
    Realistic,
    Noise,
}

impl Composition {
    fn name(self) -> &'static str {
        match self {
            Composition::Realistic => "realistic",
            Composition::Noise => "noise",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "noise" {
            Composition::Noise
        } else {
            Composition::Realistic
        }
    }
}

/// The model's reply to turn `turn` (0-based) of session `session`.
fn reply(comp: Composition, session: u64, turn: usize) -> Reply {
    let last = turn + 1 == TURNS;
    if comp == Composition::Noise {
        return if last {
            Reply::text("done")
        } else {
            Reply::tool_calls(vec![
                FunctionCallSpec::named("probe")
                    .call_id(format!("call_{turn}"))
                    .arguments(r#"{"n":1}"#),
            ])
        };
    }
    let id = format!("{session}_{turn}");
    let mut b = StreamBuilder::new(&format!("resp_bench_{id}"), MODEL);
    b.created();
    let summary = format!(
        "**Reading the code**\n\nTurn {turn}: I should look at the next part of src/stream.rs before changing the retry logic."
    );
    let seed = session * 1_000 + turn as u64;
    let encrypted = format!("gAAAAAB{}", common::opaque(ENCRYPTED_CHARS - 7, seed));
    b.reasoning_with_content(&format!("rs_bench_{id}"), &[&summary], &encrypted);
    if last {
        let answer = "The retry loop now stops once the caller has seen output; the tests pass.";
        b.message(&format!("msg_bench_{id}"), &split_words(answer));
    } else {
        let from = 1 + turn * 60;
        let args = json!({
            "command": ["bash", "-lc", format!("sed -n '{from},{}p' src/stream.rs", from + 59)],
            "workdir": "/home/user/project",
            "timeout_ms": 10_000,
        });
        b.function_call(
            &format!("fc_bench_{id}"),
            "shell",
            &format!("call_bench_{id}"),
            &args.to_string(),
        );
    }
    b.completed(Usage::new(
        2_000 + 1_800 * turn as u64,
        1_800 * turn as u64,
        300,
        200,
    ));
    Reply::events(b.finish())
}

/// Server side: `queue <composition> <session>` queues the session's 30 replies; `uploads`
/// answers `sent:json` per `/responses` upload received since the last `uploads` (HTTP: the
/// body as sent and its decoded JSON; WebSocket: the `response.create` frame twice).
fn command(mock: &MockServer, line: &str, seen: &mut usize) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["queue", comp, session] => {
            let (comp, session) = (Composition::parse(comp), session.parse().unwrap());
            for turn in 0..TURNS {
                mock.push_response(reply(comp, session, turn));
            }
            "ok".to_owned()
        }
        ["uploads"] => {
            let all = mock.requests();
            let mut out = String::new();
            for r in &all[*seen..] {
                let size = match r.method.as_str() {
                    "POST" if r.path.ends_with("/responses") => (r.raw_body.len(), r.body.len()),
                    codex_mock::WS_FRAME_METHOD
                        if r.json().is_some_and(|v| v["type"] == "response.create") =>
                    {
                        (r.body.len(), r.body.len())
                    }
                    _ => continue,
                };
                let _ = write!(out, "{}:{} ", size.0, size.1);
            }
            *seen = all.len();
            out
        }
        _ => "?".to_owned(),
    }
}

fn request(comp: Composition, session: u64, history: &[ResponseItem]) -> ResponsesRequest {
    match comp {
        Composition::Noise => ResponsesRequest::builder(MODEL).instructions("be brief"),
        Composition::Realistic => ResponsesRequest::builder(MODEL)
            .instructions(common::instructions())
            .push_tool(FunctionTool::new(
                "shell",
                "Runs a shell command and returns its output. Use `sed -n` or `rg` to read files.",
                json!({
                    "type": "object",
                    "properties": {
                        "command": {"type": "array", "items": {"type": "string"}, "description": "The command to execute"},
                        "workdir": {"type": "string", "description": "The working directory"},
                        "timeout_ms": {"type": "number", "description": "The timeout in milliseconds"},
                    },
                    "required": ["command"],
                    "additionalProperties": false,
                }),
            ))
            .reasoning(Reasoning::effort(ReasoningEffort::Medium).with_summary(ReasoningSummary::Auto))
            .prompt_cache_key(conversation(session)),
    }
    .input(history.to_vec())
    .build()
    .unwrap()
}

fn conversation(session: u64) -> String {
    format!("5f0c6a3e-9a6e-4c55-9a39-{session:012x}")
}

/// The tool outputs of a session, made before it starts (not counted as client CPU).
fn outputs(comp: Composition, session: u64) -> Vec<String> {
    (0..TURNS)
        .map(|turn| {
            let seed = session * 1_000 + turn as u64;
            match comp {
                Composition::Realistic => common::shell_output(OUTPUT_BYTES, seed),
                Composition::Noise => common::opaque(NOISE_BYTES, seed),
            }
        })
        .collect()
}

/// One session on `client` (the server has its replies queued); returns the client CPU and
/// wall time of each turn.
async fn session(
    client: &Client,
    transport: Transport,
    comp: Composition,
    session: u64,
) -> Vec<(Duration, Duration)> {
    let outputs = outputs(comp, session);
    let opts = RequestOptions::builder()
        .conversation_id(conversation(session))
        .build();
    let mut history = vec![ResponseItem::user_text(
        "The retry loop re-sends after the caller saw output. Read src/stream.rs and fix it.",
    )];
    let mut times = Vec::with_capacity(TURNS);
    for output in outputs {
        let req = request(comp, session, &history);
        let (cpu0, t0) = (common::cpu_time().unwrap_or_default(), Instant::now());
        let out = client
            .responses()
            .stream(&req, &opts)
            .await
            .unwrap()
            .collect_text()
            .await
            .unwrap();
        let cpu = common::cpu_time().unwrap_or_default().saturating_sub(cpu0);
        times.push((cpu, t0.elapsed()));
        assert_eq!(out.transport, transport);
        let call = out.items.iter().find_map(|i| match i {
            ResponseItem::FunctionCall(c) => Some(c.clone()),
            _ => None,
        });
        history.extend(out.items);
        if let Some(c) = call {
            history.push(c.output(output));
        }
    }
    times
}

/// Per-turn figures of one transport over the fixed run.
struct Run {
    /// (sent, json) bytes of each turn's upload.
    bytes: Vec<(usize, usize)>,
    /// Mean client CPU of each turn.
    cpu: Vec<Duration>,
}

fn fixed_run(
    rt: &tokio::runtime::Runtime,
    server: &mut common::Server,
    transport: Transport,
    comp: Composition,
    first_session: u64,
    sessions: u64,
) -> Run {
    let client = common::client(&server.base_url, transport);
    let mut cpu = vec![Duration::ZERO; TURNS];
    let mut bytes = Vec::new();
    for s in first_session..first_session + sessions {
        assert_eq!(server.command(&format!("queue {} {s}", comp.name())), "ok");
        for (n, (c, _)) in rt
            .block_on(session(&client, transport, comp, s))
            .into_iter()
            .enumerate()
        {
            cpu[n] += c;
        }
        bytes = parse_uploads(&server.command("uploads"));
        assert_eq!(bytes.len(), TURNS);
    }
    for c in &mut cpu {
        *c /= sessions as u32;
    }
    Run { bytes, cpu }
}

fn parse_uploads(line: &str) -> Vec<(usize, usize)> {
    line.split_whitespace()
        .map(|p| {
            let (a, b) = p.split_once(':').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

fn print_tables(comp: Composition, sse: &Run, ws: &Run, sessions: u64) {
    println!(
        "\ntool_loop/{}: bytes uploaded per turn and client CPU per turn (mean of {sessions} sessions)",
        comp.name()
    );
    println!(
        "turn | sse sent (zstd) | sse json | websocket frame | sse cpu (us) | websocket cpu (us)"
    );
    for n in 0..TURNS {
        println!(
            "{:>4} | {:>15} | {:>8} | {:>15} | {:>12.0} | {:>18.0}",
            n + 1,
            sse.bytes[n].0,
            sse.bytes[n].1,
            ws.bytes[n].0,
            sse.cpu[n].as_secs_f64() * 1e6,
            ws.cpu[n].as_secs_f64() * 1e6
        );
    }
    let sum =
        |v: &[(usize, usize)], f: fn(&(usize, usize)) -> usize| v.iter().map(f).sum::<usize>();
    let cpu = |r: &Run| r.cpu.iter().sum::<Duration>().as_secs_f64() * 1e3;
    println!(
        "total | {} | {} | {} | {:.1} ms | {:.1} ms",
        sum(&sse.bytes, |p| p.0),
        sum(&sse.bytes, |p| p.1),
        sum(&ws.bytes, |p| p.0),
        cpu(sse),
        cpu(ws)
    );
    let last = TURNS - 1;
    let w = ws.bytes[last].0 as f64;
    println!(
        "tool_loop/{}: turn {TURNS}: websocket uploads {:.1}x fewer bytes than sse as sent (zstd), {:.1}x than its json; session: {:.1}x (zstd), {:.1}x (json); client CPU per session: sse {:.1} ms, websocket {:.1} ms ({:.2}x)",
        comp.name(),
        sse.bytes[last].0 as f64 / w,
        sse.bytes[last].1 as f64 / w,
        sum(&sse.bytes, |p| p.0) as f64 / sum(&ws.bytes, |p| p.0) as f64,
        sum(&sse.bytes, |p| p.1) as f64 / sum(&ws.bytes, |p| p.0) as f64,
        cpu(sse),
        cpu(ws),
        cpu(sse) / cpu(ws)
    );
}

fn main() {
    if common::is_server() {
        let mut seen = 0;
        common::serve(|_| {}, move |mock, line| command(mock, line, &mut seen));
        return;
    }
    let mut server = common::Server::spawn();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sessions: u64 = std::env::var("TOOL_LOOP_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let mut next_session = 0;
    for comp in [Composition::Realistic, Composition::Noise] {
        let sse = fixed_run(
            &rt,
            &mut server,
            Transport::Sse,
            comp,
            next_session,
            sessions,
        );
        next_session += sessions;
        let ws = fixed_run(
            &rt,
            &mut server,
            Transport::WebSocket,
            comp,
            next_session,
            sessions,
        );
        next_session += sessions;
        print_tables(comp, &sse, &ws, sessions);
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let mut g = c.benchmark_group("tool_loop");
    g.sampling_mode(SamplingMode::Flat);
    let comp = Composition::Realistic;
    for (name, transport) in [("sse", Transport::Sse), ("websocket", Transport::WebSocket)] {
        let client = common::client(&server.base_url, transport);
        g.bench_function(format!("30_turns_{}/{name}", comp.name()), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let s = next_session;
                    next_session += 1;
                    assert_eq!(server.command(&format!("queue {} {s}", comp.name())), "ok");
                    let times = rt.block_on(session(&client, transport, comp, s));
                    total += times.iter().map(|t| t.1).sum::<Duration>();
                    server.command("uploads");
                }
                total
            });
        });
    }
    g.finish();
    c.final_summary();
    drop(server);
}
