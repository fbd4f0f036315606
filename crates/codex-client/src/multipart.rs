//! The realtime call body (protocol §7.5): a fixed-boundary `multipart/form-data` with the
//! SDP offer and the session JSON, or the raw SDP when there is no session.

use bytes::BufMut;
use bytes::Bytes;
use bytes::BytesMut;
use serde_json::Value;

/// The fixed boundary codex-rs uses.
pub(crate) const BOUNDARY: &str = "codex-realtime-call-boundary";

/// `Content-Type` of the multipart body.
pub(crate) const MULTIPART_CONTENT_TYPE: &str =
    "multipart/form-data; boundary=codex-realtime-call-boundary";

/// The session JSON with its `id` removed.
pub(crate) fn session_without_id(mut session: Value) -> Value {
    if let Value::Object(map) = &mut session {
        map.remove("id");
    }
    session
}

/// Builds the two-part body (CRLF line ends): `sdp` (`application/sdp`) then `session`
/// (`application/json`).
pub(crate) fn realtime_body(sdp: &str, session: &Value) -> Bytes {
    let json = session.to_string();
    let mut b = BytesMut::with_capacity(sdp.len() + json.len() + 256);
    let mut part = |name: &str, ctype: &str, content: &[u8]| {
        b.put_slice(b"--");
        b.put_slice(BOUNDARY.as_bytes());
        b.put_slice(b"\r\nContent-Disposition: form-data; name=\"");
        b.put_slice(name.as_bytes());
        b.put_slice(b"\"\r\nContent-Type: ");
        b.put_slice(ctype.as_bytes());
        b.put_slice(b"\r\n\r\n");
        b.put_slice(content);
        b.put_slice(b"\r\n");
    };
    part("sdp", "application/sdp", sdp.as_bytes());
    part("session", "application/json", json.as_bytes());
    b.put_slice(b"--");
    b.put_slice(BOUNDARY.as_bytes());
    b.put_slice(b"--\r\n");
    b.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes() {
        let session = session_without_id(serde_json::json!({"id": "sess_1", "type": "realtime"}));
        let body = realtime_body("v=0\r\n", &session);
        let expected = "--codex-realtime-call-boundary\r\n\
Content-Disposition: form-data; name=\"sdp\"\r\n\
Content-Type: application/sdp\r\n\
\r\n\
v=0\r\n\r\n\
--codex-realtime-call-boundary\r\n\
Content-Disposition: form-data; name=\"session\"\r\n\
Content-Type: application/json\r\n\
\r\n\
{\"type\":\"realtime\"}\r\n\
--codex-realtime-call-boundary--\r\n";
        assert_eq!(std::str::from_utf8(&body).unwrap(), expected);
    }
}
