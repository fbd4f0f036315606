//! Percent and form encoding (sans-IO).
//!
//! RFC 3986 style: unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept, every other byte
//! becomes `%XX` (upper-case hex), so a space is `%20`. The same encoding is used for query
//! strings and `application/x-www-form-urlencoded` bodies (a `%20` decodes as a space in both).
//!
//! The workspace's one percent-encoder: `codex-client` encodes its query values with
//! [`percent_encode`] too (codex-mock keeps its own copy on purpose, as the independent check).

/// Percent-encodes `input` keeping only RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`);
/// every other byte becomes `%XX` with upper-case hex, so `+` is sent as `%2B` (never read as
/// a space) and a space as `%20`.
pub fn percent_encode(input: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Encodes `pairs` as `k=v&k=v` with [`percent_encode`] on keys and values.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// Why a query string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

/// Decodes one query component: `%XX` escapes and `+` as space.
pub fn percent_decode(input: &str) -> Result<String, DecodeError> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| hex_val(*b));
                let lo = bytes.get(i + 2).and_then(|b| hex_val(*b));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(DecodeError::BadEscape),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError::NotUtf8)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a query string into decoded `(key, value)` pairs in order (duplicates kept).
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, DecodeError> {
    let mut out = Vec::new();
    for part in query.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rfc3986() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(
            percent_encode("http://localhost:1455/auth/callback"),
            "http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"
        );
        assert_eq!(percent_encode("+&=/é"), "%2B%26%3D%2F%C3%A9");
        // A client version with build metadata, as `GET /models?client_version=` sends it.
        assert_eq!(percent_encode("0.1.0+build"), "0.1.0%2Bbuild");
        assert_eq!(form_encode(&[("a", "1 2"), ("b", "x")]), "a=1%202&b=x");
    }

    #[test]
    fn decodes_and_round_trips() {
        for s in ["a b+c", "é%/?&=", "", "~-._"] {
            assert_eq!(percent_decode(&percent_encode(s)).unwrap(), s);
        }
        assert_eq!(percent_decode("a+b%20c").unwrap(), "a b c");
        assert_eq!(percent_decode("%4"), Err(DecodeError::BadEscape));
        assert_eq!(percent_decode("%zz"), Err(DecodeError::BadEscape));
        assert_eq!(percent_decode("%ff"), Err(DecodeError::NotUtf8));
        assert_eq!(
            parse_query("code=x&state=y%20z&flag&&a=1&a=2").unwrap(),
            vec![
                ("code".into(), "x".into()),
                ("state".into(), "y z".into()),
                ("flag".into(), String::new()),
                ("a".into(), "1".into()),
                ("a".into(), "2".into()),
            ]
        );
    }
}
