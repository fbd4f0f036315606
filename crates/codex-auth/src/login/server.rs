//! The loopback HTTP server that receives the browser login's redirect (`/auth/callback`, `/cancel`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::Response;
use http::StatusCode;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::rt::TokioTimer;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::CONNECTION_TIMEOUT;
use super::HEADER_READ_TIMEOUT;
use super::MAX_REQUEST_HEAD;
use super::SUCCESS_GRACE;
use crate::AuthManager;
use crate::Error;
use crate::IdTokenClaims;
use crate::LoginSuccess;
use crate::PkceCodes;
use crate::SecretString;
use crate::encoding::parse_query;
use crate::encoding::percent_encode;
use crate::error::Result;
use crate::pkce::constant_time_eq;

pub(super) enum FlowEvent {
    Finished(Result<LoginSuccess>),
    SuccessServed,
}

pub(super) struct Flow {
    pub(super) manager: AuthManager,
    pub(super) state: String,
    pub(super) pkce: PkceCodes,
    pub(super) redirect_uri: String,
    pub(super) port: u16,
    pub(super) api_key_exchange: bool,
    /// A callback with the right state and a code is being handled.
    pub(super) claimed: AtomicBool,
    pub(super) events: mpsc::Sender<FlowEvent>,
}

pub(super) async fn run_server(
    listener: TcpListener,
    flow: Arc<Flow>,
    mut rx: mpsc::Receiver<FlowEvent>,
    timeout: Duration,
) -> Result<LoginSuccess> {
    let mut conns = tokio::task::JoinSet::new();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut done: Option<LoginSuccess> = None;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, _)) => {
                        let flow = Arc::clone(&flow);
                        conns.spawn(serve_connection(stream, flow));
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            Some(ev) = rx.recv() => match ev {
                FlowEvent::Finished(Ok(s)) => {
                    done = Some(s);
                    deadline.as_mut().reset(tokio::time::Instant::now() + SUCCESS_GRACE);
                }
                FlowEvent::Finished(Err(e)) => {
                    // Let the error page reach the browser before the server goes away.
                    drain(&mut conns).await;
                    // The tokens are already saved: a `/cancel` or a stray callback during
                    // the grace period does not turn a finished login into a failure.
                    if let Some(s) = done.take() {
                        tracing::debug!(error = %e, "ignoring a late error after a finished login");
                        return Ok(s);
                    }
                    return Err(e);
                }
                FlowEvent::SuccessServed => {
                    if let Some(s) = done.take() {
                        drain(&mut conns).await;
                        return Ok(s);
                    }
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = &mut deadline => {
                return match done.take() {
                    Some(s) => Ok(s),
                    None => Err(Error::login(format!(
                        "the login did not complete within {} s",
                        timeout.as_secs()
                    ))),
                };
            }
        }
    }
}

/// Gives in-flight responses a moment to be written, then aborts the rest.
async fn drain(conns: &mut tokio::task::JoinSet<()>) {
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

async fn serve_connection(stream: TcpStream, flow: Arc<Flow>) {
    let io = TokioIo::new(stream);
    let svc = hyper::service::service_fn(move |req| {
        let flow = Arc::clone(&flow);
        async move { Ok::<_, Infallible>(handle(req, &flow).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD)
        .keep_alive(false)
        .serve_connection(io, svc);
    match tokio::time::timeout(CONNECTION_TIMEOUT, conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "callback connection error"),
        Err(_) => tracing::debug!("callback connection timed out"),
    }
}

/// Whether a `Host` header names this server: `localhost:{port}` or `127.0.0.1:{port}`. Any
/// other name (a DNS-rebinding page whose domain now resolves to 127.0.0.1), a missing port or
/// a missing header is refused.
fn is_own_host(host: Option<&http::HeaderValue>, port: u16) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    p.parse::<u16>().ok() == Some(port)
        && !p.starts_with('+')
        && (name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1")
}

async fn handle(req: http::Request<Incoming>, flow: &Flow) -> Response<Full<Bytes>> {
    if !is_own_host(req.headers().get(http::header::HOST), flow.port) {
        tracing::debug!("callback request with a foreign Host header refused");
        return page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong host",
            "This server only answers requests for localhost.",
        );
    }
    if req.method() != Method::GET {
        return page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "Only GET is supported.",
        );
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    match req.uri().path() {
        "/auth/callback" => callback(&query, flow).await,
        "/success" => {
            let _ = flow.events.send(FlowEvent::SuccessServed).await;
            let mut r = page(
                StatusCode::OK,
                "Signed in to Codex",
                "You are signed in. You may close this window and return to your terminal.",
            );
            r.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            r
        }
        "/cancel" => {
            let _ = flow
                .events
                .send(FlowEvent::Finished(Err(Error::login(
                    "login cancelled (another login started on this port)",
                ))))
                .await;
            page(StatusCode::OK, "Login cancelled", "Login cancelled.")
        }
        _ => page(StatusCode::NOT_FOUND, "Not found", "Not found."),
    }
}

/// The one value of `key`, `None` when absent; `Err` when repeated.
pub(super) fn single<'a>(
    params: &'a [(String, String)],
    key: &str,
) -> std::result::Result<Option<&'a str>, ()> {
    let mut it = params.iter().filter(|(k, _)| k == key);
    let first = it.next().map(|(_, v)| v.as_str());
    if it.next().is_some() {
        return Err(());
    }
    Ok(first)
}

async fn fail(flow: &Flow, status: StatusCode, title: &str, err: Error) -> Response<Full<Bytes>> {
    let body = err.to_string();
    let _ = flow.events.send(FlowEvent::Finished(Err(err))).await;
    page(status, title, &body)
}

async fn callback(query: &str, flow: &Flow) -> Response<Full<Bytes>> {
    let params = parse_query(query).unwrap_or_default();
    // 1. The state, before anything else.
    let state_ok =
        matches!(single(&params, "state"), Ok(Some(s)) if constant_time_eq(s, &flow.state));
    if !state_ok {
        tracing::warn!("login callback with a wrong or missing state");
        return fail(
            flow,
            StatusCode::BAD_REQUEST,
            "State mismatch",
            Error::login(
                "state mismatch: the login callback did not come from this login attempt (possible CSRF); start the login again",
            ),
        )
        .await;
    }
    // 2. An error from the issuer.
    let error = match single(&params, "error") {
        Ok(Some(e)) => Some(e.to_owned()),
        Ok(None) => None,
        Err(()) => Some("invalid_request (repeated error parameter)".to_owned()),
    };
    if let Some(error) = error {
        let desc = single(&params, "error_description")
            .ok()
            .flatten()
            .unwrap_or("");
        let msg = if error.contains("missing_codex_entitlement")
            || desc.contains("missing_codex_entitlement")
        {
            "Codex is not enabled for this ChatGPT workspace (missing_codex_entitlement); ask your workspace admin to enable Codex, or sign in with another account".to_owned()
        } else if desc.is_empty() {
            format!("the sign-in was refused: {}", truncate(&error, 200))
        } else {
            format!(
                "the sign-in was refused: {}: {}",
                truncate(&error, 200),
                truncate(desc, 300)
            )
        };
        return fail(
            flow,
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            Error::login(msg),
        )
        .await;
    }
    // 3. The code.
    let code = match single(&params, "code") {
        Ok(Some(c)) if !c.is_empty() => SecretString::new(c),
        _ => {
            return fail(
                flow,
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                Error::login(
                    "missing_authorization_code: the login callback has no authorization code",
                ),
            )
            .await;
        }
    };
    if flow.claimed.swap(true, Ordering::SeqCst) {
        return page(
            StatusCode::CONFLICT,
            "Already handled",
            "This login is already being completed.",
        );
    }
    // 4. Exchange, restrict, optional API key, persist; only then the success redirect.
    let tokens = match flow
        .manager
        .exchange_code(&code, &flow.redirect_uri, &flow.pkce.code_verifier)
        .await
    {
        Ok(t) => t,
        Err(e) => return fail(flow, StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", e).await,
    };
    let claims = IdTokenClaims::decode(tokens.id_token.expose()).unwrap_or_default();
    let access_plan = crate::jwt::access_token_plan(tokens.access_token.expose());
    let success = match flow
        .manager
        .finish_login(tokens, flow.api_key_exchange)
        .await
    {
        Ok(s) => s,
        Err(e) => return fail(flow, StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", e).await,
    };
    let _ = flow.events.send(FlowEvent::Finished(Ok(success))).await;
    let needs_setup = !claims.completed_platform_onboarding && claims.is_org_owner;
    let platform_url = if flow.manager.config().issuer() == crate::DEFAULT_ISSUER {
        "https://platform.openai.com"
    } else {
        flow.manager.config().issuer()
    };
    // The id token itself is deliberately not put in the URL (see docs/security.md).
    let location = format!(
        "http://localhost:{}/success?needs_setup={}&org_id={}&project_id={}&plan_type={}&platform_url={}",
        flow.port,
        needs_setup,
        percent_encode(claims.organization_id.as_deref().unwrap_or("")),
        percent_encode(claims.project_id.as_deref().unwrap_or("")),
        percent_encode(access_plan.or(claims.raw_plan).as_deref().unwrap_or("")),
        percent_encode(platform_url),
    );
    let mut r = page(StatusCode::FOUND, "Signed in", "Signed in; redirecting.");
    if let Ok(v) = http::HeaderValue::from_str(&location) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    r
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{b}</p></body></html>",
        t = html_escape(title),
        b = html_escape(body)
    );
    let mut r = Response::new(Full::new(Bytes::from(html)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("no-referrer"),
    );
    r
}
