//! A raw HTTP/1.1 client over a `TcpStream` on 127.0.0.1: it sends exactly the bytes given and
//! shows the answer as it arrived (status, headers, de-chunked body, whether it was complete,
//! when each read came).

use std::time::Duration;
use std::time::Instant;

use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long one socket read may wait before the answer counts as ended.
const READ_LIMIT: Duration = Duration::from_secs(10);

/// An HTTP/1.1 answer as read from the socket.
#[derive(Debug)]
#[non_exhaustive]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The headers in order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body bytes received, de-chunked.
    pub body: Vec<u8>,
    /// The terminating zero-size chunk (or the whole `content-length`) arrived.
    pub complete: bool,
    /// The read ended with an error (e.g. a connection reset) rather than EOF.
    pub read_error: bool,
    /// A read waited 10 s without data: the server neither answered nor closed.
    pub timed_out: bool,
    /// Time from sending the request to each socket read, with its length.
    pub reads: Vec<(Duration, usize)>,
}

impl RawResponse {
    /// The first value of a header (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The JSON `data: ` payloads of an SSE body, one per event.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.text()
            .split("\n\n")
            .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    /// The `type` of each of [`events`](Self::events).
    pub fn event_types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The port of a URL ending in `:PORT` (or `:PORT/...`).
pub fn port(url: &str) -> u16 {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap();
    authority.rsplit(':').next().unwrap().parse().unwrap()
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of `key` in the query of `url` (as written, not decoded).
pub fn query_param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

/// Sends `bytes` to 127.0.0.1:`port` and reads until the server closes (or a read waits 10 s):
/// `None` when nothing that parses as an HTTP answer came back.
pub async fn raw_request(port: u16, bytes: &[u8]) -> Option<RawResponse> {
    // Timed from before the request is written, so a server-side delay counted from the
    // request's arrival is never longer than the reads' times show.
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    s.write_all(bytes).await.ok()?;
    let mut raw = Vec::new();
    let mut reads = Vec::new();
    let (mut read_error, mut timed_out) = (false, false);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(READ_LIMIT, s.read(&mut buf)).await {
            Err(_) => {
                timed_out = true;
                break;
            }
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                reads.push((start.elapsed(), n));
                raw.extend_from_slice(&buf[..n]);
            }
            Ok(Err(_)) => {
                read_error = true;
                break;
            }
        }
    }
    let mut resp = parse(&raw)?;
    resp.reads = reads;
    resp.read_error = read_error;
    resp.timed_out = timed_out;
    Some(resp)
}

/// Sends one request with `Connection: close` and a `Content-Length` to the server of `url`
/// and reads the whole answer (the server must answer and close within 10 s of silence).
pub async fn send(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    for (k, v) in headers {
        req.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    let resp = raw_request(port(url), &req)
        .await
        .unwrap_or_else(|| panic!("no HTTP answer from {url}"));
    assert!(!resp.timed_out, "read timed out");
    resp
}

/// `GET` of a whole `http://host:port/path?query` URL, as a browser would (`localhost` is
/// dialled as 127.0.0.1, where the callback servers listen).
pub async fn get(url: &str) -> RawResponse {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    raw_request(port(authority), req.as_bytes())
        .await
        .unwrap_or_else(|| panic!("no HTTP answer from {authority}"))
}

/// Plays the browser of a login: opens the authorize URL at the issuer (which redirects to the
/// local callback), asserts the redirect, follows it and returns the callback's answer.
pub async fn browser_callback(authorize_url: &str) -> RawResponse {
    let issuer = get(authorize_url).await;
    assert_eq!(issuer.status, 302, "authorize answered {issuer:?}");
    let location = issuer.header("location").unwrap().to_owned();
    get(&location).await
}

fn parse(raw: &[u8]) -> Option<RawResponse> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[head_end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let (body, complete) = if chunked {
        dechunk(rest)
    } else {
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        match len {
            Some(n) => (rest[..n.min(rest.len())].to_vec(), rest.len() >= n),
            None => (rest.to_vec(), true),
        }
    };
    Some(RawResponse {
        status,
        headers,
        body,
        complete,
        read_error: false,
        timed_out: false,
        reads: Vec::new(),
    })
}

fn dechunk(mut b: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(le) = b.windows(2).position(|w| w == b"\r\n") else {
            return (out, false);
        };
        let size_txt = std::str::from_utf8(&b[..le]).unwrap();
        let size = usize::from_str_radix(size_txt.split(';').next().unwrap().trim(), 16).unwrap();
        b = &b[le + 2..];
        if size == 0 {
            return (out, true);
        }
        if b.len() < size {
            out.extend_from_slice(b);
            return (out, false);
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size..];
        if b.len() < 2 {
            return (out, false);
        }
        b = &b[2..];
    }
}
