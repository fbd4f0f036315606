//! Every fixture (upstream `.sse`, synthetic, recorded) decodes into typed events; the
//! normalised event sequence of each is an insta snapshot (`cargo insta review` to accept).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use bytes::Bytes;
use codex_types::ResponseEvent;

fn fixture_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/codex-mock/fixtures")
}

/// One line per event: `<seq> <wire type> => <typed variant>`; decode errors are lines too.
fn normalise(bytes: &[u8]) -> String {
    let mut parser = codex_sse::Parser::new();
    parser.feed(Bytes::copy_from_slice(bytes));
    let mut out = String::new();
    while let Some(frame) = parser.next_frame() {
        let codex_sse::Frame::Event(ev) = frame.unwrap() else {
            continue;
        };
        match ResponseEvent::from_sse(&ev) {
            Ok(e) => {
                let debug = format!("{e:?}");
                let variant = debug.split(['(', ' ', '{']).next().unwrap_or("");
                let seq = e
                    .sequence_number()
                    .map_or_else(|| "-".to_owned(), |s| s.to_string());
                out.push_str(&format!("{seq} {} => {variant}\n", e.kind()));
            }
            Err(err) => out.push_str(&format!("DECODE ERROR {:?}\n", err.kind())),
        }
    }
    out
}

fn sse_files(dir: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(fixture_root().join(dir)) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("sse"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_fixture_decodes_and_matches_its_snapshot() {
    let mut files = Vec::new();
    for dir in ["synthetic", "upstream", "recorded"] {
        files.extend(sse_files(dir));
    }
    assert!(files.len() >= 22, "found {} fixtures", files.len());
    for path in files {
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace('.', "_");
        let summary = normalise(&std::fs::read(&path).unwrap());
        assert!(
            !summary.contains("DECODE ERROR"),
            "{}:\n{summary}",
            path.display()
        );
        assert!(!summary.is_empty(), "{}", path.display());
        insta::assert_snapshot!(name, summary);
    }
}
