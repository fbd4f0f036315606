//! Request body compression (protocol §14.2): `POST /responses` and compaction bodies go out
//! as `Content-Encoding: zstd` to the ChatGPT backend with a ChatGPT login, as the official
//! client sends them. A server that refuses the encoding (415, or a 400 naming it) switches
//! the client to plain bodies for good, and the refused request is sent once more, plain.

use bytes::Bytes;
use http::StatusCode;

use crate::error::Error;
use crate::error::Result;

/// The zstd level: the library's default, a good ratio on JSON at a few ms per MB (see
/// `docs/performance.md`).
const ZSTD_LEVEL: i32 = 3;

/// Whether request bodies are compressed ([`crate::ClientBuilder::request_compression`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestCompression {
    /// zstd when the base URL is the ChatGPT backend (its path ends in
    /// `/backend-api/codex`, whatever the host) and the credentials are a ChatGPT login
    /// (they carry an account id); plain otherwise. The default, as the official client.
    #[default]
    Auto,
    /// zstd for every `/responses` and compaction body, whatever the URL and login.
    Zstd,
    /// Never compress (the CLI's `--no-request-compression`).
    Disabled,
}

impl RequestCompression {
    /// `auto`, `zstd` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Zstd => "zstd",
            Self::Disabled => "disabled",
        }
    }
}

/// `body` compressed exactly as it is sent with `Content-Encoding: zstd` (one zstd frame,
/// with the content size in its header).
pub fn compress_body(body: &[u8]) -> Result<Bytes> {
    zstd::bulk::compress(body, ZSTD_LEVEL)
        .map(Bytes::from)
        .map_err(|e| Error::config("cannot compress the request body").with_source(e))
}

/// True when an answer refuses the request's content encoding: 415, or a 400 whose body
/// names the encoding.
pub(crate) fn refuses_encoding(status: StatusCode, body: &[u8]) -> bool {
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return true;
    }
    if status != StatusCode::BAD_REQUEST {
        return false;
    }
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    text.contains("encoding") || text.contains("zstd")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_ratio() {
        let body =
            br#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}"#
                .repeat(200);
        let z = compress_body(&body).unwrap();
        assert!(z.len() * 10 < body.len(), "{} -> {}", body.len(), z.len());
        assert_eq!(zstd::bulk::decompress(&z, body.len()).unwrap(), body);
    }

    #[test]
    fn refusals() {
        assert!(refuses_encoding(StatusCode::UNSUPPORTED_MEDIA_TYPE, b""));
        assert!(refuses_encoding(
            StatusCode::BAD_REQUEST,
            br#"{"detail":"Unsupported Content-Encoding: zstd"}"#
        ));
        assert!(!refuses_encoding(
            StatusCode::BAD_REQUEST,
            br#"{"detail":"Instructions are required"}"#
        ));
        assert!(!refuses_encoding(
            StatusCode::INTERNAL_SERVER_ERROR,
            b"encoding"
        ));
    }
}
