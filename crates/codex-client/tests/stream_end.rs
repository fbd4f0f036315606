//! How a turn that ends before `response.completed` reads over both transports (issue 15,
//! review defects 6 and 8): the same kind and message over HTTP SSE and WebSocket (the
//! transport's detail is in `source()`), a real WebSocket Close frame mid-response keeps the
//! partial text, and a binary frame is a `Decode` error with the partial text kept, through
//! `stream` and `collect_text` alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::error::Error as _;

use codex_client::ErrorKind;
use codex_client::Transport;
use codex_mock::Reply;
use codex_test_support::both_transports;
use codex_types::ResponseEvent;
use common::drain;
use common::env_over;
use common::request;

const STREAM_CLOSED: &str = "stream closed before response.completed";
const ANSWER: &str = "one two three four five six seven eight nine ten";

/// The text of the deltas among `events`.
fn deltas(events: &[ResponseEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ResponseEvent::OutputTextDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect()
}

/// The error and its causes, joined with `: `.
fn chain(e: &codex_client::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// A text reply read with `collect_text`, which must fail.
async fn collect_error(env: &common::Env) -> codex_client::Error {
    env.mock.push_response(Reply::text(ANSWER));
    let s = env.start(&request("q")).await;
    s.collect_text().await.unwrap_err()
}

/// A body that ends cleanly without `response.completed` (over WebSocket: the connection ends
/// without a Close frame), and one that ends in the middle of an event: the same kind and
/// message over both transports, the partial text kept.
async fn an_early_end_reads_the_same_over_both_transports(t: Transport) {
    let env = env_over(t).await;
    env.mock.push_response(Reply::truncated());
    let (events, err) = drain(env.start(&request("q")).await).await;
    let err = err.expect("an error");
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.to_string(), STREAM_CLOSED, "{err:?}");
    assert!(err.is_retryable());
    assert!(!deltas(&events).is_empty());
    assert_eq!(err.partial_text(), Some(deltas(&events).as_str()));
    if t == Transport::WebSocket {
        // The WebSocket detail stays reachable.
        assert!(err.source().is_some(), "{err:?}");
    }

    let created = r#"{"type":"response.created","response":{"id":"resp_half"}}"#;
    env.mock.push_response(Reply::sse_bytes(format!(
        "event: response.created\ndata: {created}\n\nevent: response.output_text.delta\ndata: {{\"type\":\"res"
    )));
    let (events, err) = drain(env.start(&request("q")).await).await;
    assert_eq!(events.len(), 1);
    let err = err.expect("an error");
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.to_string(), STREAM_CLOSED, "{err:?}");
    if t == Transport::Sse {
        assert!(
            chain(&err).contains("middle of a server-sent event"),
            "{}",
            chain(&err)
        );
    }
}

both_transports!(an_early_end_reads_the_same_over_both_transports);

/// A real Close frame mid-response: `stream_closed` with the SSE text, the partial text
/// kept, the close code in `source()`; `collect_text` gives the same error; the next turn
/// opens a new connection and completes.
#[tokio::test]
async fn a_close_frame_mid_response_keeps_the_partial_text() {
    let env = env_over(Transport::WebSocket).await;
    env.mock.set_websocket_close_after(Some(6));
    env.mock.push_response(Reply::text(ANSWER));
    let (events, err) = drain(env.start(&request("q")).await).await;
    assert_eq!(events.len(), 6, "{events:?}");
    let err = err.expect("an error");
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.to_string(), STREAM_CLOSED);
    let partial = deltas(&events);
    assert!(!partial.is_empty(), "{events:?}");
    assert_eq!(err.partial_text(), Some(partial.as_str()));
    assert!(
        chain(&err).contains("close code 1000: mock closed the connection mid-response"),
        "{}",
        chain(&err)
    );

    let err = collect_error(&env).await;
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.to_string(), STREAM_CLOSED);
    assert_eq!(err.partial_text(), Some(partial.as_str()));

    env.mock.set_websocket_close_after(None);
    env.mock.push_response(Reply::text(ANSWER));
    assert_eq!(env.turn(&request("q")).await.text, ANSWER);
    assert_eq!(env.mock.websocket_upgrades().len(), 3);
}

/// A binary frame mid-response: `Decode` with the partial text kept, through `stream` and
/// through `collect_text` (which used to report it as `stream_closed`).
#[tokio::test]
async fn a_binary_frame_mid_response_is_a_decode_error_with_the_partial_text() {
    let env = env_over(Transport::WebSocket).await;
    env.mock.set_websocket_binary_after(Some(6));
    env.mock.push_response(Reply::text(ANSWER));
    let mut s = env.start(&request("q")).await;
    let (events, err) = common::drain_mut(&mut s).await;
    assert_eq!(events.len(), 6, "{events:?}");
    let err = err.expect("an error");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("binary websocket frame"), "{err}");
    let partial = deltas(&events);
    assert!(!partial.is_empty(), "{events:?}");
    assert_eq!(err.partial_text(), Some(partial.as_str()));
    // The error ended the stream.
    assert!(futures_util::StreamExt::next(&mut s).await.is_none());

    let err = collect_error(&env).await;
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert!(err.to_string().contains("binary websocket frame"), "{err}");
    assert_eq!(err.partial_text(), Some(partial.as_str()));

    env.mock.set_websocket_binary_after(None);
    env.mock.push_response(Reply::text(ANSWER));
    assert_eq!(env.turn(&request("q")).await.text, ANSWER);
}
