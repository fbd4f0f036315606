//! The fixture scrubber used by `cargo xtask record`.
//!
//! It edits recorded bytes textually (everything it does not redact stays byte-exact, so a
//! scrubbed stream still replays and decodes), then [`find_credentials`] checks that nothing
//! credential-shaped is left; [`scrub`] refuses (returns an error) if anything is.
//!
//! Redacted: the caller's known secrets (access token, refresh token, id token, account id,
//! API key) wherever they appear; JWT-shaped strings (`eyJ…​.…​.…`); `sk-…` keys; `Bearer …`
//! values; the string values of the [`REDACT_KEYS`] (`encrypted_content` blobs, account, user,
//! organization and project ids, emails), replaced by a string placeholder so the JSON type is
//! kept.

use std::fmt;

/// Placeholder written in place of an `encrypted_content` value.
pub const ENCRYPTED_PLACEHOLDER: &str = "REDACTED-encrypted-content";
/// Placeholder for JWT-shaped strings.
pub const JWT_PLACEHOLDER: &str = "REDACTED-jwt";
/// Placeholder for `sk-` keys.
pub const KEY_PLACEHOLDER: &str = "REDACTED-api-key";
/// Placeholder for request ids.
pub const REQUEST_ID_PLACEHOLDER: &str = "REDACTED-request-id";

/// A secret the scrubber must remove wherever it appears, with the label used in its
/// placeholder (`REDACTED-<label>`).
#[derive(Clone)]
pub struct Secret {
    label: String,
    value: String,
}

impl Secret {
    /// A secret value and its label (e.g. `account-id`). Values shorter than 6 bytes are
    /// ignored (they would match ordinary text).
    pub fn new(label: &str, value: &str) -> Secret {
        Secret {
            label: label.to_owned(),
            value: value.to_owned(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("label", &self.label)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Something credential-shaped was still present after scrubbing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Leftover {
    /// What kind of credential (e.g. `jwt`, `api-key`, `bearer`, or a secret's label).
    pub kind: String,
    /// Byte offset in the scrubbed text.
    pub offset: usize,
}

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "credential-shaped {} left at byte {}",
            self.kind, self.offset
        )
    }
}

impl std::error::Error for Leftover {}

/// JSON keys whose string values are replaced wherever they appear (opaque blobs and
/// identifiers tied to the account), with their placeholders.
pub const REDACT_KEYS: &[(&str, &str)] = &[
    ("encrypted_content", ENCRYPTED_PLACEHOLDER),
    ("account_id", "REDACTED-account-id"),
    ("chatgpt_account_id", "REDACTED-account-id"),
    ("user_id", "REDACTED-user-id"),
    ("chatgpt_user_id", "REDACTED-user-id"),
    ("email", "REDACTED-email"),
    ("organization_id", "REDACTED-organization-id"),
    ("project_id", "REDACTED-project-id"),
];

/// `"key"` followed by optional whitespace and `:` at `i`.
fn key_at(data: &[u8], i: usize, key: &str) -> bool {
    let k = key.as_bytes();
    if data.get(i) != Some(&b'"') || !data[i + 1..].starts_with(k) {
        return false;
    }
    let mut j = i + 1 + k.len();
    if data.get(j) != Some(&b'"') {
        return false;
    }
    j += 1;
    while j < data.len() && matches!(data[j], b' ' | b'\t') {
        j += 1;
    }
    data.get(j) == Some(&b':')
}

fn is_tok(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn replace_all(data: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// Length of a JWT-shaped token starting at `i` (`eyJ` + base64url parts with two dots).
fn jwt_at(data: &[u8], i: usize) -> Option<usize> {
    if !data[i..].starts_with(b"eyJ") || (i > 0 && is_tok(data[i - 1])) {
        return None;
    }
    let mut j = i;
    let mut dots = 0;
    while j < data.len() && (is_tok(data[j]) || data[j] == b'.') {
        if data[j] == b'.' {
            dots += 1;
        }
        j += 1;
    }
    (dots >= 2 && j - i >= 20).then_some(j - i)
}

fn sk_at(data: &[u8], i: usize) -> Option<usize> {
    if !data[i..].starts_with(b"sk-") || (i > 0 && is_tok(data[i - 1])) {
        return None;
    }
    let mut j = i + 3;
    while j < data.len() && is_tok(data[j]) {
        j += 1;
    }
    (j - i >= 20).then_some(j - i)
}

fn bearer_at(data: &[u8], i: usize) -> Option<usize> {
    let pre = b"Bearer ";
    if !data[i..].starts_with(pre) {
        return None;
    }
    let mut j = i + pre.len();
    while j < data.len() && (is_tok(data[j]) || data[j] == b'.') {
        j += 1;
    }
    (j - i - pre.len() >= 8).then_some(j - i)
}

/// Redact credential-shaped content from `data`; see the module docs.
pub fn redact(data: &[u8], secrets: &[Secret]) -> Vec<u8> {
    let mut cur = data.to_vec();
    for s in secrets {
        if s.value.len() >= 6 {
            let with = format!("REDACTED-{}", s.label);
            cur = replace_all(&cur, s.value.as_bytes(), with.as_bytes());
        }
    }
    let mut out = Vec::with_capacity(cur.len());
    let mut i = 0;
    while i < cur.len() {
        if let Some(n) = bearer_at(&cur, i) {
            out.extend_from_slice(b"Bearer REDACTED-token");
            i += n;
        } else if let Some(n) = jwt_at(&cur, i) {
            out.extend_from_slice(JWT_PLACEHOLDER.as_bytes());
            i += n;
        } else if let Some(n) = sk_at(&cur, i) {
            out.extend_from_slice(KEY_PLACEHOLDER.as_bytes());
            i += n;
        } else if let Some((key, placeholder)) =
            REDACT_KEYS.iter().find(|(k, _)| key_at(&cur, i, k))
        {
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.push(b'"');
            i += key.len() + 2;
            // Copy `:` and whitespace, then replace a string value's contents.
            while i < cur.len() && matches!(cur[i], b':' | b' ' | b'\t') {
                out.push(cur[i]);
                i += 1;
            }
            if cur.get(i) == Some(&b'"') {
                let mut j = i + 1;
                while j < cur.len() && cur[j] != b'"' {
                    j += if cur[j] == b'\\' { 2 } else { 1 };
                }
                out.push(b'"');
                out.extend_from_slice(placeholder.as_bytes());
                out.push(b'"');
                i = (j + 1).min(cur.len());
            }
        } else {
            out.push(cur[i]);
            i += 1;
        }
    }
    out
}

/// Everything credential-shaped in `data` (known secrets, JWTs, `sk-` keys, bearer values).
pub fn find_credentials(data: &[u8], secrets: &[Secret]) -> Vec<Leftover> {
    let mut found = Vec::new();
    for s in secrets {
        if s.value.len() >= 6
            && let Some(p) = data
                .windows(s.value.len())
                .position(|w| w == s.value.as_bytes())
        {
            found.push(Leftover {
                kind: s.label.clone(),
                offset: p,
            });
        }
    }
    for i in 0..data.len() {
        let kind = if jwt_at(data, i).is_some() {
            "jwt"
        } else if sk_at(data, i).is_some() {
            "api-key"
        } else if bearer_at(data, i).is_some() && !data[i..].starts_with(b"Bearer REDACTED") {
            "bearer"
        } else {
            continue;
        };
        found.push(Leftover {
            kind: kind.to_owned(),
            offset: i,
        });
    }
    found
}

/// Redact, then refuse if anything credential-shaped is left.
pub fn scrub(data: &[u8], secrets: &[Secret]) -> Result<Vec<u8>, Leftover> {
    let out = redact(data, secrets);
    match find_credentials(&out, secrets).into_iter().next() {
        Some(l) => Err(l),
        None => Ok(out),
    }
}

/// Response headers worth keeping in a fixture (protocol §5.2, §8.2); everything else
/// (cookies, CDN ids, ...) is dropped.
pub fn keep_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "content-type"
            | "openai-model"
            | "x-models-etag"
            | "x-reasoning-included"
            | "x-codex-turn-state"
            | "x-request-id"
            | "x-oai-request-id"
            | "etag"
            | "location"
            | "retry-after"
            | "retry-after-ms"
    ) || n.starts_with("x-codex-")
}

/// Filter and redact response headers for a fixture: request ids and the turn-state token
/// become placeholders, other kept values are scrubbed like bodies.
pub fn scrub_headers(
    headers: &[(String, String)],
    secrets: &[Secret],
) -> Result<Vec<(String, String)>, Leftover> {
    let mut out = Vec::new();
    for (k, v) in headers {
        if !keep_header(k) {
            continue;
        }
        let lower = k.to_ascii_lowercase();
        let v = if matches!(lower.as_str(), "x-request-id" | "x-oai-request-id") {
            REQUEST_ID_PLACEHOLDER.to_owned()
        } else if lower == "x-codex-turn-state" {
            "REDACTED-turn-state".to_owned()
        } else {
            String::from_utf8_lossy(&scrub(v.as_bytes(), secrets)?).into_owned()
        };
        out.push((lower, v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_and_refuses() {
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let key = format!("sk-{}", "a".repeat(30));
        let text = format!(
            r#"{{"a":"{jwt}","k":"{key}","acct":"acct-123456","encrypted_content":"gAAA\"x","h":"Bearer abcdefghijkl"}}"#
        );
        let secrets = [Secret::new("account-id", "acct-123456")];
        let out = scrub(text.as_bytes(), &secrets).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains(jwt));
        assert!(!out.contains(&key));
        assert!(!out.contains("acct-123456"));
        assert!(out.contains(r#""encrypted_content":"REDACTED-encrypted-content""#));
        assert!(out.contains("REDACTED-account-id"));
        let ids = br#"{"email": "a@b.c", "user_id":"u-1", "x":{"account_id" :"acc"}, "n":"email"}"#;
        let out = String::from_utf8(scrub(ids, &[]).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"email": "REDACTED-email", "user_id":"REDACTED-user-id", "x":{"account_id" :"REDACTED-account-id"}, "n":"email"}"#
        );
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
        assert!(find_credentials(out.as_bytes(), &secrets).is_empty());
        assert!(!find_credentials(text.as_bytes(), &secrets).is_empty());
    }

    #[test]
    fn untouched_text_is_byte_exact() {
        let s = b"event: response.created\ndata: {\"type\":\"response.created\"}\n\n";
        assert_eq!(scrub(s, &[]).unwrap(), s.to_vec());
    }

    #[test]
    fn headers_filtered() {
        let h = vec![
            ("Set-Cookie".to_owned(), "__cf_bm=abc".to_owned()),
            ("x-request-id".to_owned(), "req_123".to_owned()),
            ("x-codex-primary-used-percent".to_owned(), "4.0".to_owned()),
        ];
        let out = scrub_headers(&h, &[]).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1, REQUEST_ID_PLACEHOLDER);
    }
}
