//! Fake JWTs, PKCE challenges and the time formatting of the issuer's answers.

use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::Digest;
use sha2::Sha256;

/// Mint an unsigned-looking fake JWT: header `{"alg":"none","typ":"JWT"}`, the given claims
/// as base64url-nopad payload, and a fixed fake signature (three non-empty parts).
pub fn mint_jwt(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(crate::events::canonical_json(&claims).as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(b"codex-mock-fake-signature");
    format!("{header}.{payload}.{sig}")
}

/// Decode the claims of a JWT minted by [`mint_jwt`] (or any base64url-nopad JWT).
pub fn decode_jwt_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || s.is_empty() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The PKCE S256 challenge of a verifier: base64url-nopad(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(super) fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Format a time as RFC 3339 UTC with microseconds (`2026-01-02T03:04:05.123456Z`).
// An independent copy of codex-auth's calendar maths, kept on purpose: the mock is the check.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let total = d.as_secs() as i64;
    let days = total.div_euclid(86_400);
    let rem = total.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm). The mock's own copy of codex-auth's date
    // maths, on purpose: it depends on no workspace crate, so it checks the SDK independently.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Percent-encode a URL component (RFC 3986 unreserved characters pass through).
// An independent copy of codex-auth's `percent_encode`, kept on purpose: the mock is the check.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    #[test]
    fn jwt_roundtrip_and_shape() {
        let t = mint_jwt(json!({"exp": 5, "email": "a@b"}));
        assert_eq!(t.split('.').filter(|p| !p.is_empty()).count(), 3);
        assert_eq!(decode_jwt_claims(&t).unwrap()["exp"], 5);
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(rfc3339(t), "2026-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // leap day 2000
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn pkce_rfc7636_vector() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
