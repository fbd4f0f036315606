//! zstd request bodies (issue 14, "Performance"): compressed vs plain size of the
//! `/responses` body of a 20-turn history, and the time `compress_body` takes for it and for
//! a 1 MB body. Targets: at least 2.5x smaller; 1 MB in under 5 ms.
//!
//! The history is synthetic but shaped like a coding session: per turn a user question, a
//! reasoning item with its opaque `encrypted_content` (base64, barely compressible, as the
//! real one), a function call, its output (source text) and an assistant answer.
//!
//! Run briefly: `cargo bench -p codex-client --bench compression`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;

use codex_client::compress_body;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use criterion::Criterion;
use criterion::Throughput;
use serde_json::json;

/// The JSON body of a request carrying a `turns`-turn history.
fn history_body(turns: usize) -> Vec<u8> {
    let source = "fn parse_config(path: &Path) -> Result<Config, Error> {\n    let text = std::fs::read_to_string(path)?;\n    let mut cfg: Config = toml::from_str(&text)?;\n    cfg.apply_defaults();\n    cfg.validate()?;\n    Ok(cfg)\n}\n";
    let mut b = ResponsesRequest::builder("gpt-5.4").instructions(common::instructions());
    for t in 0..turns {
        let call = format!("call_{t:04}");
        b = b
            .push_input(ResponseItem::user_text(format!(
                "Turn {t}: why does parse_config fail on the file in config/app{t}.toml? Show me the relevant code and suggest a fix."
            )))
            .push_input(common::item(json!({
                "type": "reasoning", "id": format!("rs_{t}"),
                "summary": [{"type": "summary_text", "text": format!("**Looking at parse_config**\n\nI should read src/config.rs and check the validation of turn {t}.")}],
                "encrypted_content": common::opaque(1_200, t as u64),
            })))
            .push_input(common::item(json!({
                "type": "function_call", "id": format!("fc_{t}"), "call_id": call,
                "name": "read_file", "arguments": format!("{{\"path\":\"src/config.rs\",\"line\":{}}}", t * 10),
            })))
            .push_input(common::item(json!({
                "type": "function_call_output", "call_id": call,
                "output": source.repeat(3),
            })))
            .push_input(common::item(json!({
                "type": "message", "role": "assistant", "id": format!("msg_{t}"),
                "content": [{"type": "output_text", "text": format!("In turn {t}: `validate` rejects relative paths; resolve them against the config directory before validating.")}],
            })));
    }
    serde_json::to_vec(&b.build().unwrap()).unwrap()
}

/// A body of about `target` bytes (repeated 20-turn histories with distinct ids).
fn body_of(target: usize) -> Vec<u8> {
    let mut turns = 20;
    loop {
        let b = history_body(turns);
        if b.len() >= target {
            return b;
        }
        turns += 20;
    }
}

fn bench(c: &mut Criterion) {
    let twenty = history_body(20);
    let mb = body_of(1_000_000);
    for (name, body) in [("20-turn history", &twenty), ("1 MB body", &mb)] {
        let z = compress_body(body).unwrap();
        eprintln!(
            "{name}: {} bytes plain, {} bytes zstd, {:.2}x smaller",
            body.len(),
            z.len(),
            body.len() as f64 / z.len() as f64
        );
    }
    let mut g = c.benchmark_group("compress_body");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(twenty.len() as u64));
    g.bench_function("20_turn_history", |b| {
        b.iter(|| compress_body(&twenty).unwrap())
    });
    g.throughput(Throughput::Bytes(mb.len() as u64));
    g.bench_function("1_mb", |b| b.iter(|| compress_body(&mb).unwrap()));
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
