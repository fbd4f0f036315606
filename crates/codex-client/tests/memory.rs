//! A ~100 MB stream goes through the client with flat memory: the body is never buffered.
//! Resident memory (`/proc/self/statm`) is sampled while streaming; its growth must stay far
//! below the stream size. This file holds one test so the process measures only it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_client::RequestOptions;
use codex_mock::Reply;
use codex_types::ResponseEvent;
use common::env;
use common::request;
use futures_util::StreamExt;

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test]
async fn hundred_megabyte_stream_with_flat_memory() {
    let Some(_) = rss_bytes() else {
        eprintln!("no /proc/self/statm: skipping the memory measurement");
        return;
    };
    let env = env().await;
    // Warm up pools, TLS-free connection, allocator arenas.
    env.mock.push_response(Reply::many_deltas(10_000));
    env.client
        .responses()
        .stream(&request("warm"), &RequestOptions::default())
        .await
        .unwrap()
        .collect_text()
        .await
        .unwrap();

    const DELTAS: u64 = 600_000;
    env.mock.push_response(Reply::many_deltas(DELTAS));
    let opts = RequestOptions::builder().track_text(false).build();
    let base = rss_bytes().unwrap();
    let mut s = env
        .client
        .responses()
        .stream(&request("big"), &opts)
        .await
        .unwrap();
    let mut deltas = 0u64;
    let mut wire_bytes = 0u64;
    let mut peak = base;
    while let Some(item) = s.next().await {
        let ev = item.unwrap();
        wire_bytes += ev.raw_json().len() as u64;
        if let ResponseEvent::OutputTextDelta(_) = ev {
            deltas += 1;
            if deltas.is_multiple_of(20_000) {
                peak = peak.max(rss_bytes().unwrap());
            }
        }
    }
    assert!(s.completed());
    assert_eq!(deltas, DELTAS);
    assert!(
        wire_bytes > 100_000_000,
        "streamed {wire_bytes} bytes of event data"
    );
    let growth = peak.saturating_sub(base);
    eprintln!("streamed {wire_bytes} bytes; RSS base {base}, peak {peak}, growth {growth}");
    // The final done events repeat the whole text (~3.3 MB each); everything else is
    // constant-size. 40 MB is a loose bound that a buffering client (>100 MB) cannot meet.
    assert!(growth < 40 * 1024 * 1024, "RSS grew by {growth} bytes");
}
