//! A loopback HTTP CONNECT proxy for tests: it tunnels to any `host:port` on request and records
//! the targets, so a test can prove a request went through it (or bypassed it).

use std::sync::Arc;
use std::sync::Mutex;

use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::task::JoinSet;

/// The longest CONNECT request head read.
const MAX_HEAD: usize = 8 * 1024;

/// A running CONNECT proxy on 127.0.0.1. Dropping it stops it and closes its tunnels.
pub struct ConnectProxy {
    url: String,
    targets: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ConnectProxy {
    /// Binds an ephemeral port of 127.0.0.1 and starts serving.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let targets = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept(listener, targets.clone()));
        Ok(Self { url, targets, task })
    }

    /// The proxy URL, `http://127.0.0.1:PORT` (for `HTTPS_PROXY` or a `proxy` setter).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The `host:port` of every CONNECT request so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn accept(listener: TcpListener, targets: Arc<Mutex<Vec<String>>>) {
    let mut tunnels = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            Some(_) = tunnels.join_next(), if !tunnels.is_empty() => continue,
        };
        let Ok((inbound, _)) = accepted else {
            continue;
        };
        tunnels.spawn(tunnel(inbound, targets.clone()));
    }
}

async fn tunnel(mut inbound: TcpStream, targets: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_HEAD || inbound.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let Some(target) = text
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split_whitespace().next())
        .map(str::to_owned)
    else {
        let _ = inbound
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await;
        return;
    };
    targets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(target.clone());
    let Ok(mut outbound) = TcpStream::connect(&target).await else {
        let _ = inbound.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    if inbound
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
}
