//! `POST /responses`: a turn, streamed over SSE or WebSocket, and the WebSocket warm-up.

use std::sync::Arc;

use codex_types::ResponsesRequest;
use http::HeaderValue;
use http::Method;
use http::header;

use super::JSON;
use super::identity_for;
use super::invalid_request;
use super::json_body;
use crate::abort::Slot;
use crate::client::Attempts;
use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Result;
use crate::options::RequestOptions;
use crate::stream::ResponseStream;

impl Client {
    /// `POST /responses` (streaming).
    pub fn responses(&self) -> Responses<'_> {
        Responses { client: self }
    }
}

/// `POST /responses`: see [`Client::responses`].
#[derive(Clone, Copy, Debug)]
pub struct Responses<'a> {
    client: &'a Client,
}

impl Responses<'_> {
    /// Sends the request and returns once the 200 response head arrived (retrying connect
    /// failures, 5xx and 429 with a server delay, and recovering one 401). The events are then
    /// pulled from the returned [`ResponseStream`].
    ///
    /// When `opts` has a conversation id and the request has no `prompt_cache_key`, the id is
    /// used as the key.
    ///
    /// Identity, as the official client sends it (protocol §14.2): `x-codex-routing-hint`
    /// always; with a conversation id also `x-codex-window-id` and `x-codex-turn-metadata`
    /// (turn id, window number, request kind from `opts`), copied into the body's
    /// `client_metadata` with the installation id; `x-codex-beta-features` when any is set. The body is sent with `stream: true` and `store: false` as the
    /// request type serializes them.
    ///
    /// The request is validated first ([`ResponsesRequest::validate`]: also for a request
    /// that was deserialized rather than built); a request the backend is known to reject
    /// (e.g. a tool call without its output) is an
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error and nothing is
    /// sent.
    pub async fn stream(
        &self,
        request: &ResponsesRequest,
        opts: &RequestOptions,
    ) -> Result<ResponseStream> {
        let (prepared, slot, mut attempts) = self.begin(request, opts)?;
        let inner = &self.client.inner;
        if let Some(stream) = self
            .over_websocket(&prepared, opts, None, &slot, &mut attempts)
            .await?
        {
            return Ok(*stream);
        }
        let prepared = Arc::new(prepared);
        let resp = inner.execute(&prepared, &mut attempts, &slot).await?;
        Ok(ResponseStream::new(
            inner.clone(),
            prepared,
            attempts,
            slot,
            resp,
            opts.track_text,
        ))
    }

    /// The start of a turn: `request` validated (a deserialized or hand-edited request skipped
    /// the builder's checks: checked here, before any network), then its request, abort slot
    /// and retry attempts.
    fn begin(
        &self,
        request: &ResponsesRequest,
        opts: &RequestOptions,
    ) -> Result<(Prepared, Arc<Slot>, Attempts)> {
        request
            .validate()
            .map_err(|e| invalid_request("responses", e))?;
        let inner = &self.client.inner;
        let prepared = self.prepared(request, opts)?;
        Ok((prepared, inner.abort_slot(opts), inner.new_attempts(opts)))
    }

    /// The `POST /responses` request of `request` (the body and every header).
    fn prepared(&self, request: &ResponsesRequest, opts: &RequestOptions) -> Result<Prepared> {
        let inner = &self.client.inner;
        let identity = identity_for(
            inner,
            opts,
            request.model(),
            request.service_tier(),
            request.reasoning(),
        );
        let metadata = identity.client_metadata(inner.cfg.installation_id.as_deref());
        let needs_key = opts.conversation_id().is_some() && request.prompt_cache_key().is_none();
        let body = if needs_key || !metadata.is_empty() {
            let mut r = request.clone();
            if let (true, Some(id)) = (needs_key, opts.conversation_id()) {
                r.set_prompt_cache_key(id);
            }
            for (k, v) in metadata {
                r.set_client_metadata(k, v);
            }
            json_body("responses", &r)?
        } else {
            json_body("responses", request)?
        };
        let mut extra = identity.headers();
        extra.push(JSON);
        extra.push((
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        ));
        Ok(Prepared::new(
            inner,
            Endpoint {
                method: Method::POST,
                uri: inner.cfg.base_url.join("responses")?,
                path: "/responses",
                target: Target::Backend,
                conversation: ConversationHeaders::All,
            },
            opts,
            body,
            &extra,
        )?
        .compressible())
    }
}

impl Responses<'_> {
    /// Sends a `generate: false` request over WebSocket and waits for its completion, so that
    /// the next turn of this conversation starts on a warm connection (and, when its input
    /// equals or extends this request's, goes incremental: the same request is then sent as
    /// `previous_response_id` with an empty `input`). Needs a WebSocket transport
    /// ([`crate::Transport::Auto`] or [`crate::Transport::WebSocket`]); returns `Ok(false)`
    /// when the turn would go over SSE (nothing to warm up), `Ok(true)` once warm.
    pub async fn warm_up(&self, request: &ResponsesRequest, opts: &RequestOptions) -> Result<bool> {
        let (prepared, slot, mut attempts) = self.begin(request, opts)?;
        match self
            .over_websocket(&prepared, opts, Some(false), &slot, &mut attempts)
            .await?
        {
            Some(stream) => {
                stream.collect_text().await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Starts the turn over WebSocket when the client's transport allows it; `None`: send it
    /// over SSE (the transport is SSE, or an upgrade failed under [`crate::Transport::Auto`]).
    async fn over_websocket(
        &self,
        prepared: &Prepared,
        opts: &RequestOptions,
        generate: Option<bool>,
        slot: &Arc<Slot>,
        attempts: &mut Attempts,
    ) -> Result<Option<Box<ResponseStream>>> {
        let inner = &self.client.inner;
        let mode = inner.cfg.transport;
        let copy = || prepared.clone();
        if mode == crate::Transport::Sse || (mode == crate::Transport::Auto && inner.ws.sse_only())
        {
            return Ok(None);
        }
        let turn = Arc::new(crate::ws::Turn::new(&prepared.body, copy(), generate)?);
        let deadline = attempts.deadline;
        let span = tracing::info_span!(
            "codex_request",
            method = "GET",
            path = "/responses",
            transport = "websocket"
        );
        let work = tracing::Instrument::instrument(
            crate::ws::start(inner, &turn, attempts, crate::ws::Via::Pool),
            span,
        );
        let guarded = async {
            match deadline {
                Some(d) => tokio::time::timeout_at(d, work).await.unwrap_or_else(|_| {
                    Err(crate::ws::Failed {
                        error: crate::client::timeout_error(),
                        fallback: crate::ws::Fallback::Never,
                    })
                }),
                None => work.await,
            }
        };
        let started = tokio::select! {
            biased;
            () = slot.aborted() => return Err(crate::client::aborted_error()),
            r = guarded => r,
        };
        match started {
            Ok(active) => {
                let stream = ResponseStream::new_ws(
                    inner.clone(),
                    Arc::new(copy()),
                    turn,
                    std::mem::replace(attempts, inner.new_attempts(opts)),
                    slot.clone(),
                    active,
                    opts.track_text,
                );
                Ok(Some(Box::new(stream.peek_first().await?)))
            }
            Err(f)
                if mode == crate::Transport::Auto && f.fallback != crate::ws::Fallback::Never =>
            {
                tracing::info!(
                    kind = f.error.kind().as_str(),
                    status = f.error.status().map(|s| s.as_u16()),
                    for_client = f.fallback == crate::ws::Fallback::ForClient,
                    "websocket unavailable; using sse"
                );
                // The SSE attempt gets its own retries and 401 recovery.
                *attempts = inner.new_attempts(opts);
                Ok(None)
            }
            Err(f) => Err(f.error),
        }
    }
}
