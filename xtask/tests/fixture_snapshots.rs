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

/// Upstream `.json` fixtures are event lists (or one event): frame them as codex-rs does
/// (`event: <type>\ndata: <json>\n\n` per element).
fn upstream_json_as_sse(path: &std::path::Path) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let events = match v {
        serde_json::Value::Array(a) => a,
        other => vec![other],
    };
    let mut out = Vec::new();
    for e in events {
        let kind = e["type"].as_str().unwrap().to_owned();
        out.extend_from_slice(format!("event: {kind}\ndata: {e}\n\n").as_bytes());
    }
    out
}

#[test]
fn upstream_json_fixtures_decode() {
    let dir = fixture_root().join("upstream");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        // Some are malformed on purpose (e.g. `incomplete_sse.json`: an output_item.done
        // without an item); the snapshot pins the decode error as the expected outcome.
        let summary = normalise(&upstream_json_as_sse(&path));
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace('.', "_");
        insta::assert_snapshot!(name, summary);
        n += 1;
    }
    assert!(n >= 10, "{n}");
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
