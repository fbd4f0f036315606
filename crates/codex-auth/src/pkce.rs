//! PKCE (RFC 7636, method `S256`) and the OAuth `state` value (sans-IO).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::Digest;

use crate::SecretString;

/// A PKCE verifier and its `S256` challenge.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PkceCodes {
    /// The verifier: base64url (no padding) of 64 random bytes. Sent only with the code exchange.
    pub code_verifier: SecretString,
    /// The challenge: base64url (no padding) of the SHA-256 of the verifier.
    pub code_challenge: String,
}

impl PkceCodes {
    /// Fresh codes from the operating system's random generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 64];
        rand::rng().fill_bytes(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        Self::from_verifier(SecretString::new(verifier))
    }

    /// The codes for a given verifier (for tests and the device flow, where the issuer
    /// supplies the verifier).
    pub fn from_verifier(code_verifier: SecretString) -> Self {
        let code_challenge = challenge_for(code_verifier.expose());
        Self {
            code_verifier,
            code_challenge,
        }
    }
}

/// The `S256` challenge of a verifier.
pub fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A fresh `state`: base64url (no padding) of 32 random bytes.
pub fn generate_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares two strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn sizes_and_alphabet() {
        let p = PkceCodes::generate();
        // 64 bytes -> 86 base64url chars without padding; 32 bytes -> 43.
        assert_eq!(p.code_verifier.expose().len(), 86);
        assert_eq!(p.code_challenge.len(), 43);
        assert_eq!(p.code_challenge, challenge_for(p.code_verifier.expose()));
        let s = generate_state();
        assert_eq!(s.len(), 43);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(generate_state(), s);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
