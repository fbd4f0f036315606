//! Bytes uploaded by a 30-turn tool loop whose history grows to about 200 KB, over HTTP SSE
//! and over WebSocket (incremental turns), measured on what codex-mock received. A figure,
//! not a timed test: it is `#[ignore]`d and prints its table; it asserts only the target
//! (WebSocket uploads at least 20x fewer bytes than SSE at turn 30).
//!
//! Run: `cargo test -p codex-client --test upload_bytes -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_client::Transport;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use codex_types::ResponseItem;
use codex_types::ResponsesRequest;
use common::conv;
use common::env_with;

const TURNS: usize = 30;
/// Tool output per turn: 30 × ~6.8 KB ≈ 200 KB of history at turn 30.
const OUTPUT_BYTES: usize = 6_800;

/// A tool output that does not compress away (like real tool output, unlike `"x".repeat`):
/// base64-alphabet text from a fixed LCG.
fn noise(seed: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = (seed as u64).wrapping_mul(2_862_933_555_777_941_757) ^ 3_037_000_493;
    (0..OUTPUT_BYTES)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ALPHABET[(x >> 58) as usize] as char
        })
        .collect()
}

/// Runs the loop; returns the bytes uploaded per turn as (sent, uncompressed): HTTP: the body
/// as sent (zstd by default) and its JSON; WebSocket: the `response.create` frame (twice).
async fn tool_loop(t: Transport) -> Vec<(usize, usize)> {
    let env = env_with(false, |b| b.transport(t)).await;
    let mut history = vec![ResponseItem::user_text(
        "run the tool 29 times, then answer",
    )];
    for turn in 0..TURNS {
        if turn + 1 < TURNS {
            env.mock
                .push_response(Reply::tool_calls(vec![FunctionCallSpec::new(
                    "probe",
                    &format!("call_{turn}"),
                    r#"{"n":1}"#,
                )]));
        } else {
            env.mock.push_response(Reply::text("done"));
        }
        let req = ResponsesRequest::builder("gpt-5.4")
            .instructions("be brief")
            .input(history.clone())
            .build()
            .unwrap();
        let out = env
            .client
            .responses()
            .stream(&req, &conv())
            .await
            .unwrap()
            .collect_text()
            .await
            .unwrap();
        assert_eq!(out.transport, t);
        let call = out.items.iter().find_map(|i| match i {
            ResponseItem::FunctionCall(c) => Some(c.clone()),
            _ => None,
        });
        history.extend(out.items);
        if let Some(c) = call {
            history.push(c.output(noise(turn)));
        }
    }
    match t {
        Transport::WebSocket => env
            .mock
            .websocket_frames()
            .iter()
            .filter(|f| f.json().is_some_and(|v| v["type"] == "response.create"))
            .map(|f| (f.body.len(), f.body.len()))
            .collect(),
        _ => env
            .mock
            .requests_to("/backend-api/codex/responses")
            .iter()
            .filter(|r| r.method == "POST")
            .map(|r| (r.raw_body.len(), r.body.len()))
            .collect(),
    }
}

#[tokio::test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn thirty_turn_tool_loop_uploads() {
    let sse = tool_loop(Transport::Sse).await;
    let ws = tool_loop(Transport::WebSocket).await;
    assert_eq!((sse.len(), ws.len()), (TURNS, TURNS));
    println!("turn | sse sent (zstd) | sse json | websocket frame");
    for (n, ((s, j), (w, _))) in sse.iter().zip(&ws).enumerate() {
        println!("{:>4} | {s:>14} | {j:>8} | {w:>15}", n + 1);
    }
    let total =
        |v: &[(usize, usize)], f: fn(&(usize, usize)) -> usize| v.iter().map(f).sum::<usize>();
    let (ts, tj, tw) = (
        total(&sse, |p| p.0),
        total(&sse, |p| p.1),
        total(&ws, |p| p.0),
    );
    println!("total | {ts} | {tj} | {tw}");
    let last = TURNS - 1;
    let sent = sse[last].0 as f64 / ws[last].0 as f64;
    let json = sse[last].1 as f64 / ws[last].0 as f64;
    println!("turn {TURNS}: sse / websocket = {sent:.1}x as sent (zstd), {json:.1}x as json");
    assert!(json >= 20.0, "{json:.1}x");
}
