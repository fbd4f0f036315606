//! Small request-side decoders: URL-encoded forms/queries and multipart bodies.

/// Decode `application/x-www-form-urlencoded` text (also used for query strings).
pub fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Percent-decode, turning `+` into a space; invalid escapes are kept verbatim.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Part {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// Its `Content-Type`, if given.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// The boundary parameter of a `multipart/form-data` content type.
pub fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut it = content_type.split(';');
    let mime = it.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    for param in it {
        let (k, v) = param.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case("boundary") {
            let v = v.trim().trim_matches('"');
            if v.is_empty() || v.len() > 70 {
                return None;
            }
            return Some(v.to_owned());
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Parse a multipart body (RFC 7578, CRLF line endings); `None` when malformed.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}");
    let mut pos = find(body, delim.as_bytes(), 0)?;
    let mut parts = Vec::new();
    loop {
        pos += delim.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            return if parts.is_empty() { None } else { Some(parts) };
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return None;
        }
        pos += 2;
        let header_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..header_end]).ok()?;
        let next_delim = format!("\r\n{delim}");
        let content_start = header_end + 4;
        let content_end = find(body, next_delim.as_bytes(), content_start)?;
        let mut name = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let (k, v) = line.split_once(':')?;
            let k = k.trim();
            if k.eq_ignore_ascii_case("content-disposition") {
                for p in v.split(';').skip(1) {
                    if let Some((pk, pv)) = p.trim().split_once('=')
                        && pk.eq_ignore_ascii_case("name")
                    {
                        name = Some(pv.trim_matches('"').to_owned());
                    }
                }
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        parts.push(Part {
            name: name?,
            content_type,
            data: body[content_start..content_end].to_vec(),
        });
        pos = content_end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded() {
        assert_eq!(
            parse_urlencoded("a=b+c&d=%2Fx%zz&e"),
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "/x%zz".into()),
                ("e".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn multipart_ok_and_malformed() {
        let body = b"--B\r\nContent-Disposition: form-data; name=\"sdp\"\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--B\r\nContent-Disposition: form-data; name=\"session\"\r\n\r\n{}\r\n--B--\r\n";
        let parts = parse_multipart(body, "B").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "sdp");
        assert_eq!(parts[0].data, b"v=0\r\n");
        assert_eq!(parts[1].data, b"{}");
        assert!(parse_multipart(b"--B\r\nno headers end", "B").is_none());
        assert!(parse_multipart(b"garbage", "B").is_none());
        assert!(parse_multipart(b"--B--", "B").is_none());
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"x y\"").as_deref(),
            Some("x y")
        );
        assert!(multipart_boundary("application/json").is_none());
    }
}
