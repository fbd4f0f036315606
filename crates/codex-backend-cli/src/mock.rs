//! `--mock`: the embedded codex-mock on 127.0.0.1 with a throwaway `CODEX_HOME`.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_mock::MockServer;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

use crate::error::CliError;

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempHome {
    path: PathBuf,
}

impl TempHome {
    /// Creates a fresh, private directory.
    pub fn new() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "codex-backend-mock-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            let mut b = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            match b.create(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "cannot create a temporary CODEX_HOME",
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The running mock and its throwaway home. Dropping it stops the server and deletes the home.
#[derive(Debug)]
pub struct MockEnv {
    /// The server (backend, usage, realtime and issuer on one port).
    pub server: MockServer,
    /// The throwaway `CODEX_HOME`.
    pub home: TempHome,
}

impl MockEnv {
    /// Starts the mock (bearer tokens required, as the real backend does). With
    /// `logged_in`, writes an `auth.json` holding tokens the mock's issuer minted.
    pub async fn start(logged_in: bool) -> Result<Self, CliError> {
        let server = MockServer::start()
            .await
            .map_err(|e| CliError::new("mock", format!("cannot start the mock server: {e}")))?;
        // Fast device-code polling for the offline demo (the flow still polls at least once
        // while pending).
        server.issuer().set_device_interval(
            Duration::from_secs(0),
            codex_mock::IntervalEncoding::String,
        );
        let home = TempHome::new()?;
        if logged_in {
            server
                .issuer()
                .issue_tokens()
                .write_auth_json(home.path())
                .map_err(|e| CliError::new("mock", format!("cannot write the fake login: {e}")))?;
        }
        tracing::debug!(url = %server.url(), "mock server started");
        Ok(Self { server, home })
    }
}

/// Plays the browser for `login --mock`: opens the authorize URL and follows redirects
/// (authorize → `localhost:<port>/auth/callback` → `/success`). Loopback `http` only.
pub async fn drive_browser(url: String) -> Result<(), String> {
    let mut next = url;
    for _ in 0..5 {
        let (status, location) = get(&next).await?;
        match (status, location) {
            (300..=399, Some(loc)) => {
                next = if loc.starts_with("http://") {
                    loc
                } else {
                    let (origin, _) = split_origin(&next)?;
                    format!("{origin}{loc}")
                };
            }
            (200..=299, _) => return Ok(()),
            (s, _) => return Err(format!("the mock browser got HTTP {s} from {}", strip_query(&next))),
        }
    }
    Err("too many redirects in the mock browser".to_owned())
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// `("http://host:port", "/path?query")`.
fn split_origin(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "the mock browser only follows http:// URLs".to_owned())?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Ok((format!("http://{host}"), path.to_owned()))
}

/// One `GET` over HTTP/1.1 with `Connection: close`; returns the status and `Location`.
async fn get(url: &str) -> Result<(u16, Option<String>), String> {
    let (origin, path) = split_origin(url)?;
    let host = origin.trim_start_matches("http://").to_owned();
    let connect_to = host.replacen("localhost", "127.0.0.1", 1);
    let work = async {
        let mut s = tokio::net::TcpStream::connect(&connect_to)
            .await
            .map_err(|e| format!("the mock browser cannot connect to {host}: {e}"))?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("the mock browser cannot send: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s
                .read(&mut chunk)
                .await
                .map_err(|e| format!("the mock browser cannot read: {e}"))?;
            if n == 0 || buf.len() > 1 << 20 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                buf.truncate(end);
                break;
            }
        }
        let head = String::from_utf8_lossy(&buf).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| "the mock browser got no HTTP status".to_owned())?;
        let location = lines.find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("location")
                .then(|| v.trim().to_owned())
        });
        Ok((status, location))
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| "the mock browser timed out".to_owned())?
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
