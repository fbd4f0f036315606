//! gzip request bodies (issue 16): decoded exactly as zstd ones, over raw loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;

use codex_mock::MockServer;
use common::RawResponse;
use common::log_lines;
use common::responses_body;
use common::send;
use common::server;
use common::server_with_log_file;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// POST /responses with `body` sent as `Content-Encoding: encoding`.
async fn post_encoded(s: &MockServer, token: &str, encoding: &str, body: &[u8]) -> RawResponse {
    let auth = format!("Bearer {token}");
    send(
        &s.url(),
        "POST",
        "/backend-api/codex/responses",
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
            ("Content-Encoding", encoding),
        ],
        body,
    )
    .await
}

/// A body that decodes to 65 MiB (over the mock's 64 MiB limit) but is small on the wire:
/// one compressed MiB of zeros repeated, as concatenated gzip members or zstd frames.
fn bomb(one_mib: Vec<u8>) -> Vec<u8> {
    one_mib.repeat(65)
}

#[tokio::test]
async fn a_gzip_body_is_decoded_validated_and_answered() {
    let (s, t, log) = server_with_log_file("gzip").await;
    let json = responses_body();
    let compressed = gzip(&json);
    let r = post_encoded(&s, &t, "gzip", &compressed).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.event_types().contains(&"response.completed".to_owned()));
    let req = &s.requests()[0];
    assert_eq!(req.body, json, "body holds the decoded JSON");
    assert_eq!(req.raw_body, compressed, "raw_body holds what arrived");
    // The request log shows the decoded JSON, not bytes.
    let line = &log_lines(&log)[0];
    assert_eq!(line["body"]["model"], req.json().unwrap()["model"]);
    assert_eq!(line["headers"]["content-encoding"], "gzip");
    std::fs::remove_dir_all(log.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_gzip_body_is_validated_like_a_plain_one() {
    let (s, t) = server().await;
    let r = post_encoded(&s, &t, "gzip", &gzip(br#"{"stream":false}"#)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["detail"], "Stream must be set to true");
}

#[tokio::test]
async fn zstd_is_still_decoded() {
    let (s, t) = server().await;
    let json = responses_body();
    let r = post_encoded(&s, &t, "zstd", &zstd::encode_all(&json[..], 3).unwrap()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.requests()[0].body, json);
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_a_400() {
    let (s, t) = server().await;
    let mut bad = gzip(&responses_body());
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    for body in [bad, b"not gzip at all".to_vec()] {
        let r = post_encoded(&s, &t, "gzip", &body).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["detail"], "Invalid gzip request body");
    }
    // A body cut short is corrupt too, not an empty request.
    let full = gzip(&responses_body());
    let r = post_encoded(&s, &t, "gzip", &full[..full.len() - 4]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["detail"], "Invalid gzip request body");
}

#[tokio::test]
async fn a_decompression_bomb_is_a_413_in_either_encoding() {
    let (s, t) = server().await;
    let zeros = vec![0u8; 1 << 20];
    for (encoding, one_mib) in [
        ("gzip", gzip(&zeros)),
        ("zstd", zstd::encode_all(&zeros[..], 3).unwrap()),
    ] {
        let body = bomb(one_mib);
        assert!(body.len() < 1 << 20, "{} bytes on the wire", body.len());
        let r = post_encoded(&s, &t, encoding, &body).await;
        assert_eq!(r.status, 413, "{encoding}");
        assert_eq!(
            r.json()["detail"],
            format!("Decoded {encoding} request body larger than 67108864 bytes")
        );
    }
}

#[tokio::test]
async fn unknown_encodings_are_still_a_415() {
    let (s, t) = server().await;
    for encoding in ["br", "deflate", "compress"] {
        let r = post_encoded(&s, &t, encoding, &responses_body()).await;
        assert_eq!(r.status, 415, "{encoding}");
        assert_eq!(
            r.json()["detail"],
            format!("Unsupported content-encoding: {encoding}")
        );
    }
}
