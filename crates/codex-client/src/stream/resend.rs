//! Sending a failed turn again from inside the stream: a rate limit before any event over
//! HTTP, and the WebSocket resends (protocol §6).

use http::HeaderMap;

use super::ResponseStream;
use super::State;
use super::WsStart;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::status;
use crate::ws;
use codex_types::ResponseEvent;

impl ResponseStream {
    /// A terminal failure: retried when it is a rate limit before any yielded event and the
    /// policy allows it, else the stream ends with it.
    pub(super) fn on_failure(&mut self, err: Error) -> Option<Result<ResponseEvent>> {
        if self.ws_turn.is_some() {
            return match self.ws_retry(&err) {
                Some(fut) => {
                    self.state = State::WsStart(fut);
                    None
                }
                None => Some(Err(self.end_with(err))),
            };
        }
        let retry = self.attempts.as_ref().map_or(0, |a| a.retries) + 1;
        if self.yielded == 0
            && err.kind() == ErrorKind::RateLimited
            && let Some(delay) = self.client.cfg.retry.delay_for(retry, &err)
            && let Some(mut attempts) = self.attempts.take()
        {
            tracing::info!(
                retry,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "rate limited before output; retrying"
            );
            attempts.retries = retry;
            let client = self.client.clone();
            let prepared = self.prepared.clone();
            let slot = self.slot.clone();
            self.state = State::Reconnect(Box::pin(async move {
                tokio::time::sleep(delay).await;
                let r = client.execute(&prepared, &mut attempts, &slot).await;
                (attempts, r)
            }));
            return None;
        }
        Some(Err(self.end_with(err)))
    }

    /// The resend of a WebSocket turn that failed before any event was yielded, when the
    /// failure allows one: `previous_response_not_found` (full request, same connection),
    /// `websocket_connection_limit_reached` or a reused connection that closed (full request,
    /// new connection), each once; a rate limit within the retry policy.
    fn ws_retry(&mut self, err: &Error) -> Option<WsStart> {
        if self.yielded != 0 {
            return None;
        }
        let turn = self.ws_turn.clone()?;
        let mut attempts = self.attempts.take()?;
        let reused = self.ws.as_ref().is_some_and(|a| a.reused);
        let kind = ws::retry_via(err);
        let via = match kind {
            Some(ws::RetryKind::FullOnSame) if self.incremental && !self.ws_resent => {
                match self.ws.take() {
                    Some(a) => ws::Via::SameFull(a.into_conn()),
                    None => ws::Via::Fresh,
                }
            }
            Some(ws::RetryKind::FreshConnection) if !self.ws_resent => ws::Via::Fresh,
            None if err.kind() == ErrorKind::StreamClosed && reused && !self.ws_resent => {
                ws::Via::Fresh
            }
            // A wrapped 401: one refresh, then a new connection with the fresh credentials.
            None if err.status() == Some(http::StatusCode::UNAUTHORIZED)
                && !attempts.refreshed
                && self.client.provider.is_some() =>
            {
                let client = self.client.clone();
                self.ws = None;
                let rejected = status::http_error(
                    http::StatusCode::UNAUTHORIZED,
                    &HeaderMap::new(),
                    err.body().unwrap_or_default().as_bytes(),
                );
                return Some(Box::pin(async move {
                    let r = match client.refresh_after_401(&mut attempts).await {
                        Ok(true) => ws::start(&client, &turn, &mut attempts, ws::Via::Fresh).await,
                        Ok(false) => Err(ws::Failed::never(rejected)),
                        Err(e) => Err(ws::Failed::never(e)),
                    };
                    (attempts, r)
                }));
            }
            // A wrapped HTTP error or a rate limit: the one retry policy, as for HTTP.
            None if err.kind() == ErrorKind::RateLimited || err.status().is_some() => {
                let retry = attempts.retries + 1;
                match self.client.cfg.retry.delay_for(retry, err) {
                    Some(delay) => {
                        attempts.retries = retry;
                        let client = self.client.clone();
                        let conn = self.ws.take().map(|a| a.into_conn());
                        return Some(Box::pin(async move {
                            tokio::time::sleep(delay).await;
                            let via = match conn {
                                Some(c) => ws::Via::Same(c),
                                None => ws::Via::Fresh,
                            };
                            let r = ws::start(&client, &turn, &mut attempts, via).await;
                            (attempts, r)
                        }));
                    }
                    None => {
                        self.attempts = Some(attempts);
                        return None;
                    }
                }
            }
            _ => {
                self.attempts = Some(attempts);
                return None;
            }
        };
        tracing::info!(
            code = err.code(),
            kind = err.kind().as_str(),
            "websocket turn sent again in full"
        );
        self.ws_resent = true;
        let client = self.client.clone();
        Some(Box::pin(async move {
            let r = ws::start(&client, &turn, &mut attempts, via).await;
            (attempts, r)
        }))
    }
}
