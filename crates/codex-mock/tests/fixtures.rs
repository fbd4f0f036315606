//! The synthetic fixtures are exactly what the `Reply` constructors send.
//! Regenerate with `CODEX_MOCK_BLESS=1 cargo test -p codex-mock --test fixtures`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/synthetic")
}

#[test]
fn synthetic_fixtures_match_constructors() {
    let bless = std::env::var_os("CODEX_MOCK_BLESS").is_some();
    let cases = codex_mock::synthetic_cases();
    assert!(cases.len() >= 20);
    let mut expected_files = Vec::new();
    for (stem, reply, request) in cases {
        let bytes = reply
            .sse_body_bytes()
            .expect("synthetic replies have fixed bytes");
        let sse = dir().join(format!("{stem}.synthetic.sse"));
        let req = dir().join(format!("{stem}.synthetic.request.json"));
        let mut req_text = serde_json::to_string_pretty(&request).unwrap();
        req_text.push('\n');
        if bless {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&sse, &bytes).unwrap();
            std::fs::write(&req, &req_text).unwrap();
        }
        let on_disk = std::fs::read(&sse).unwrap_or_else(|e| panic!("{}: {e}", sse.display()));
        assert_eq!(
            on_disk,
            bytes,
            "{} differs from its constructor (bless to update)",
            sse.display()
        );
        let on_disk: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&req).unwrap()).unwrap();
        assert_eq!(on_disk, request, "{}", req.display());
        expected_files.push(sse.file_name().unwrap().to_owned());
        expected_files.push(req.file_name().unwrap().to_owned());
    }
    // No stale files.
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(expected_files.contains(&name), "stale fixture {name:?}");
    }
}

#[test]
fn every_synthetic_event_is_well_formed() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("sse") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("\n\n"), "{}", path.display());
        let mut last_seq = None;
        for block in text.split("\n\n").filter(|b| !b.is_empty()) {
            if block.starts_with(':') {
                continue;
            }
            let mut lines = block.lines();
            let ev = lines.next().unwrap().strip_prefix("event: ").unwrap();
            let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
            assert!(lines.next().is_none());
            let v: serde_json::Value = serde_json::from_str(data).unwrap();
            assert_eq!(v["type"], ev, "{}", path.display());
            if let Some(seq) = v.get("sequence_number").and_then(|s| s.as_u64()) {
                if let Some(prev) = last_seq {
                    assert_eq!(seq, prev + 1, "{}: sequence numbers", path.display());
                }
                last_seq = Some(seq);
            }
        }
    }
}
