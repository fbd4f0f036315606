//! The browser (PKCE) login: binding the callback port, opening the browser (section 9.3).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::BIND_ATTEMPTS;
use super::BIND_RETRY;
use super::BrowserLoginOptions;
use super::CANCEL_TIMEOUT;
use super::server::Flow;
use super::server::run_server;
use crate::AuthManager;
use crate::Error;
use crate::LoginSuccess;
use crate::PkceCodes;
use crate::error::Result;
use crate::pkce::generate_state;

impl AuthManager {
    /// Browser login: binds the callback server on 127.0.0.1 (1455, else 1457 after asking a
    /// stale login server there to `/cancel`), prints the authorize URL and tries to open the
    /// browser, then waits for the redirect. The state is checked first, the code exchanged
    /// and the tokens saved before the browser sees the success page.
    pub async fn login_browser(&self, options: BrowserLoginOptions) -> Result<LoginSuccess> {
        let listener = bind_callback(options.port, options.fallback_port).await?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::login("cannot read the callback server address").with_source(e))?
            .port();
        let redirect_uri = format!("http://localhost:{port}/auth/callback");
        let pkce = PkceCodes::generate();
        let state = generate_state();
        let url = self
            .config()
            .authorize_url(&redirect_uri, &pkce.code_challenge, &state);
        match &options.on_url {
            Some(f) => f(&url),
            None => eprintln!(
                "Open this URL in your browser to sign in to ChatGPT (listening on port {port}):\n\n{url}\n"
            ),
        }
        if options.open_browser {
            open_browser(&url);
        }
        let (tx, rx) = mpsc::channel(16);
        let flow = Arc::new(Flow {
            manager: self.clone(),
            state,
            pkce,
            redirect_uri,
            port,
            api_key_exchange: options.api_key_exchange,
            claimed: AtomicBool::new(false),
            events: tx,
        });
        tracing::info!(port, "login callback server listening");
        run_server(listener, flow, rx, options.timeout).await
    }
}

/// Best-effort: asks the system to open `url`; never fails the flow.
fn open_browser(url: &str) {
    use std::process::Command;
    use std::process::Stdio;
    let mut cmd = if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler").arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match cmd.spawn() {
        Ok(mut child) => {
            // Reap the child without blocking the flow.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(e) => tracing::debug!(error = %e, "could not open a browser"),
    }
}

/// Binds 127.0.0.1:`port`; while busy, asks the stale server there to `/cancel` (once) and
/// retries every 200 ms, 10 times; then the same on `fallback`.
async fn bind_callback(port: u16, fallback: Option<u16>) -> Result<TcpListener> {
    let mut last = None;
    for p in std::iter::once(port).chain(fallback) {
        let mut cancelled = false;
        for _ in 0..BIND_ATTEMPTS {
            match TcpListener::bind((Ipv4Addr::LOCALHOST, p)).await {
                Ok(l) => return Ok(l),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    if !cancelled {
                        cancelled = true;
                        send_cancel(p).await;
                    }
                    last = Some(e);
                    tokio::time::sleep(BIND_RETRY).await;
                }
                Err(e) => {
                    return Err(Error::login(format!(
                        "cannot start the login callback server on 127.0.0.1:{p}"
                    ))
                    .with_source(e));
                }
            }
        }
        tracing::warn!(port = p, "callback port busy");
    }
    let mut e = Error::login(format!(
        "the login callback port {port}{} is in use by another program",
        fallback.map(|f| format!(" (and {f})")).unwrap_or_default()
    ));
    if let Some(src) = last {
        e = e.with_source(src);
    }
    Err(e)
}

/// `GET /cancel` to a stale login server on `port` (2 s timeouts, errors ignored).
async fn send_cancel(port: u16) {
    let fut = async {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
        let req =
            format!("GET /cancel HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await?;
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf).await?;
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(CANCEL_TIMEOUT, fut).await {
        Ok(Ok(())) => tracing::info!(port, "asked a stale login server to cancel"),
        Ok(Err(e)) => tracing::debug!(port, error = %e, "cancel request failed"),
        Err(_) => tracing::debug!(port, "cancel request timed out"),
    }
}
