//! Fixture streams (`tests/fixtures/*.sse`) against hand-written expected `sse_dump` output
//! (`*.jsonl`), at many chunk sizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/dump.rs"]
mod dump;

use bytes::Bytes;
use codex_sse::{Frame, Parser};

fn dump_lines(input: &[u8], chunk: usize) -> Vec<serde_json::Value> {
    let shared = Bytes::copy_from_slice(input);
    let mut parser = Parser::new();
    let mut lines = Vec::new();
    let pull = |parser: &mut Parser, lines: &mut Vec<String>| {
        while let Some(frame) = parser.next_frame() {
            if let Frame::Event(e) = frame.unwrap() {
                lines.push(dump::event_line(&e));
            }
        }
    };
    let mut at = 0;
    while at < shared.len() {
        let end = (at + chunk).min(shared.len());
        parser.feed(shared.slice(at..end));
        at = end;
        pull(&mut parser, &mut lines);
    }
    let end = parser.finish();
    pull(&mut parser, &mut lines);
    lines.push(dump::eof_line(&end));
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check(name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let input = std::fs::read(dir.join(format!("{name}.sse"))).unwrap();
    let expected: Vec<serde_json::Value> =
        std::fs::read_to_string(dir.join(format!("{name}.jsonl")))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    for chunk in [1, 2, 3, 5, 7, 13, input.len().max(1)] {
        assert_eq!(
            dump_lines(&input, chunk),
            expected,
            "{name} with {chunk}-byte chunks"
        );
    }
}

#[test]
fn crlf() {
    check("crlf");
}

#[test]
fn cr() {
    check("cr");
}

#[test]
fn bom() {
    check("bom");
}

#[test]
fn comments() {
    check("comments");
}

#[test]
fn missing_final_newline() {
    check("no_final_newline");
}

#[test]
fn split_multibyte_characters() {
    check("multibyte");
}

#[test]
fn fields_rules() {
    check("fields");
}

#[test]
fn eight_mib_data_line_in_1500_byte_chunks() {
    let mut input = b"event: response.completed\ndata: {\"x\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'a', 8 << 20));
    input.extend_from_slice(b"\"}\n\n");
    let lines = dump_lines(&input, 1500);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["event"], "response.completed");
    assert_eq!(lines[0]["data"].as_str().unwrap().len(), (8 << 20) + 8);
    assert_eq!(lines[1]["truncated"], false);
}
