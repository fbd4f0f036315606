//! Property tests: chunking independence, agreement with a naive reference parser, and the
//! fuzz body (`common::check`, shared with `fuzz/fuzz_targets/sse_parser.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity
)]

mod common;

use codex_sse::Config;
use proptest::prelude::*;

/// Input built from SSE-ish pieces so that interesting structure is common.
fn sse_input() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"event: ".to_vec()),
        // Repeated whole lines exercise the parser's fast paths (cached event type).
        Just(b"event: t\n".to_vec()),
        Just(b"event: t".to_vec()),
        Just(b"event: t\xFF\n".to_vec()),
        Just(b"data: x\n".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"id".to_vec()),
        Just(b"retry: ".to_vec()),
        Just(b"12".to_vec()),
        Just(b": ".to_vec()),
        Just(b":".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("\u{e9}\u{1F600}".as_bytes().to_vec()),
        Just(b"\xFF\xC3".to_vec()),
        "[a-z]{0,6}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_chunking_gives_identical_events(
        input in sse_input(),
        sizes in proptest::collection::vec(1usize..20, 0..8),
        comments in any::<bool>(),
    ) {
        let cfg = || Config::default().emit_comments(comments);
        let whole = common::parse_chunked(&input, &[], cfg());
        prop_assert_eq!(&common::parse_chunked(&input, &sizes, cfg()), &whole);
        prop_assert_eq!(&common::parse_chunked(&input, &[1], cfg()), &whole);
    }

    #[test]
    fn agrees_with_naive_reference(
        input in sse_input(),
        limit in prop_oneof![Just(codex_sse::DEFAULT_MAX_EVENT_SIZE), 1usize..40],
        comments in any::<bool>(),
    ) {
        let cfg = Config::default().max_event_size(limit).emit_comments(comments);
        prop_assert_eq!(
            common::parse_chunked(&input, &[3], cfg),
            common::reference(&input, limit, comments)
        );
    }

    #[test]
    fn stream_adapter_matches_the_parser_with_pending_and_errors(
        input in sse_input(),
        sizes in proptest::collection::vec(prop_oneof![1usize..20, 1usize..200], 0..8),
        marks in proptest::collection::vec(any::<u8>(), 0..8),
        limit in prop_oneof![Just(codex_sse::DEFAULT_MAX_EVENT_SIZE), 1usize..40],
        comments in any::<bool>(),
    ) {
        let cfg = || Config::default().max_event_size(limit).emit_comments(comments);
        common::check_stream(common::script(&input, &sizes, &marks), cfg());
        common::check_stream(common::script(&input, &[1], &marks), cfg());
    }

    #[test]
    fn fuzz_body_on_structured_input(head in proptest::collection::vec(any::<u8>(), 0..10), input in sse_input()) {
        let mut data = head;
        data.extend_from_slice(&input);
        common::check(&data);
    }

    #[test]
    fn fuzz_body_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        common::check(&data);
    }
}

/// The reference itself must follow the spec, or agreeing with it proves nothing.
#[test]
fn reference_sanity() {
    let out = common::reference(
        b"\xEF\xBB\xBFid: 1\nevent: e\ndata: a\ndata\n\nretry: 5\ndata: b\r\n\r\n: x\ndata: c",
        1000,
        true,
    );
    let evs: Vec<(String, Vec<u8>, Option<String>, Option<u64>)> = out
        .items
        .iter()
        .filter_map(|i| match i {
            common::Item::Event {
                event_type,
                data,
                id,
                retry_ms,
                ..
            } => Some((event_type.clone(), data.clone(), id.clone(), *retry_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(
        evs,
        vec![
            ("e".to_owned(), b"a\n".to_vec(), Some("1".to_owned()), None),
            (
                "message".to_owned(),
                b"b".to_vec(),
                Some("1".to_owned()),
                Some(5)
            ),
        ]
    );
    assert!(out.truncated);
    assert_eq!(out.items[2], common::Item::Comment("x".to_owned()));
}
