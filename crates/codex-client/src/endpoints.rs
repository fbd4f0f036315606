//! One handle per endpoint family: `client.responses()`, `client.models()`, `client.usage()`,
//! `client.compact()`, `client.realtime()`, `client.memories()`.

use std::sync::Arc;

use bytes::Bytes;
use codex_types::CompactRequest;
use codex_types::CompactResponse;
use codex_types::ModelInfo;
use codex_types::ModelsResponse;
use codex_types::RealtimeCall;
use codex_types::RealtimeSession;
use codex_types::ResponsesRequest;
use codex_types::TraceSummarizeRequest;
use codex_types::TraceSummarizeResponse;
use codex_types::UsagePayload;
use http::HeaderName;
use http::HeaderValue;
use http::Method;
use http::header;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::identity::INSTALLATION_ID_KEY;
use crate::identity::Identity;
use crate::identity::RequestFacts;
use crate::multipart;
use crate::options::RequestOptions;
use crate::status;
use crate::stream::ResponseStream;

fn json_body<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::config(format!("cannot serialize the {what} request")).with_source(e))
}

/// A request refused before any network: [`ErrorKind::InvalidRequest`], never retryable,
/// with the [`codex_types::RequestError`] as its source.
fn invalid_request(what: &str, e: codex_types::RequestError) -> Error {
    Error::new(
        ErrorKind::InvalidRequest,
        format!("invalid {what} request (not sent): {e}"),
    )
    .with_source(e)
}

fn decode_json<T: DeserializeOwned>(
    what: &str,
    parts: &http::response::Parts,
    body: &[u8],
) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let offset = byte_offset(body, e.line(), e.column());
        Error::new(
            ErrorKind::Decode,
            format!("could not decode the {what} response"),
        )
        .with_source(e)
        .with(|d| {
            d.event_type = Some(what.to_owned());
            d.byte_offset = Some(offset);
            d.request_id = status::request_id(&parts.headers);
            d.status = Some(parts.status);
        })
    })
}

/// The byte offset of serde_json's 1-based line and column.
fn byte_offset(body: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = body
        .split(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)) as u64
}

const JSON: (HeaderName, HeaderValue) = (
    header::CONTENT_TYPE,
    HeaderValue::from_static("application/json"),
);

impl Client {
    /// `POST /responses` (streaming).
    pub fn responses(&self) -> Responses<'_> {
        Responses { client: self }
    }

    /// `GET /models`.
    pub fn models(&self) -> Models<'_> {
        Models { client: self }
    }

    /// `GET wham/usage`.
    pub fn usage(&self) -> UsageEndpoint<'_> {
        UsageEndpoint { client: self }
    }

    /// `POST /responses/compact`.
    pub fn compact(&self) -> Compact<'_> {
        Compact { client: self }
    }

    /// `POST {api base}/realtime/calls`.
    pub fn realtime(&self) -> Realtime<'_> {
        Realtime { client: self }
    }

    /// `POST /memories/trace_summarize`.
    pub fn memories(&self) -> Memories<'_> {
        Memories { client: self }
    }
}

/// The identity of a `/responses` or compaction request (protocol §14.2).
fn identity_for(
    inner: &crate::client::ClientInner,
    opts: &RequestOptions,
    model: &str,
    tier: Option<&codex_types::ServiceTier>,
    reasoning: Option<&codex_types::Reasoning>,
) -> Identity {
    Identity::resolve(
        inner.cfg.installation_id.as_deref(),
        &inner.cfg.beta_features,
        opts,
        &RequestFacts {
            model,
            service_tier: tier
                .filter(|t| **t != codex_types::ServiceTier::Default)
                .map(|t| t.as_str()),
            reasoning_effort: reasoning
                .and_then(|r| r.effort.as_ref())
                .map(|e| e.wire_str()),
        },
    )
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
    /// (e.g. a tool call without its output) is an [`ErrorKind::InvalidRequest`] error and
    /// nothing is sent.
    pub async fn stream(
        &self,
        request: &ResponsesRequest,
        opts: &RequestOptions,
    ) -> Result<ResponseStream> {
        // A deserialized or hand-edited request skipped the builder's checks: check here,
        // before any network.
        request
            .validate()
            .map_err(|e| invalid_request("responses", e))?;
        let inner = &self.client.inner;
        let prepared = self.prepared(request, opts)?;
        let slot = inner.abort_slot(opts);
        let mut attempts = inner.new_attempts(opts);
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
    /// extends this request's, goes incremental). Needs a WebSocket transport
    /// ([`crate::Transport::Auto`] or [`crate::Transport::WebSocket`]); returns `Ok(false)`
    /// when the turn would go over SSE (nothing to warm up), `Ok(true)` once warm.
    pub async fn warm_up(&self, request: &ResponsesRequest, opts: &RequestOptions) -> Result<bool> {
        request
            .validate()
            .map_err(|e| invalid_request("responses", e))?;
        let inner = &self.client.inner;
        let prepared = self.prepared(request, opts)?;
        let slot = inner.abort_slot(opts);
        let mut attempts = inner.new_attempts(opts);
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
        slot: &Arc<crate::abort::Slot>,
        attempts: &mut crate::client::Attempts,
    ) -> Result<Option<Box<ResponseStream>>> {
        let inner = &self.client.inner;
        let mode = inner.cfg.transport;
        let copy = || prepared.clone();
        if mode == crate::Transport::Sse || (mode == crate::Transport::Auto && inner.ws.sse_only())
        {
            return Ok(None);
        }
        let key = opts.conversation_id().map(str::to_owned);
        let turn = Arc::new(crate::ws::Turn::new(key, &prepared.body, copy(), generate)?);
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

/// `GET /models`: see [`Client::models`].
#[derive(Clone, Copy, Debug)]
pub struct Models<'a> {
    client: &'a Client,
}

/// The model catalog and its `ETag`.
#[derive(Debug)]
#[non_exhaustive]
pub struct ModelCatalog {
    /// The catalog.
    pub models: ModelsResponse,
    /// The `ETag` response header, when sent.
    pub etag: Option<String>,
}

impl Models<'_> {
    /// The catalog, from the client's models cache when it holds a fresh one for this
    /// account ([`crate::ClientBuilder::models_cache`]), else `GET /models?client_version=…`
    /// (the configured [`crate::ClientBuilder::client_version`]), with `If-None-Match` when a
    /// cached `ETag` is known (a `304` keeps the cached catalog and restarts its TTL).
    pub async fn list(&self) -> Result<ModelCatalog> {
        self.fetch(false).await
    }

    /// Like [`list`](Self::list) but always asks the server (conditionally when a cached
    /// `ETag` is known), whatever the TTL.
    pub async fn refresh(&self) -> Result<ModelCatalog> {
        self.fetch(true).await
    }

    async fn fetch(&self, force: bool) -> Result<ModelCatalog> {
        use crate::models_cache::Lookup;
        let inner = &self.client.inner;
        let opts = RequestOptions::default();
        let mut attempts = inner.new_attempts(&opts);
        inner.ensure_credentials(&mut attempts).await?;
        let account = attempts.creds.as_ref().and_then(|c| c.account_id.clone());
        let account = account.as_deref();
        let cache = &inner.models_cache;
        let if_none_match = match cache.lookup(account, force).await {
            Lookup::Fresh(models, etag) => {
                tracing::debug!("models catalog served from the cache");
                return Ok(ModelCatalog { models, etag });
            }
            Lookup::Revalidate(etag) => etag,
            Lookup::Uncached => None,
        };
        let p = self.request(if_none_match.as_deref())?;
        let (parts, body) = inner.unary_with(p, &opts, attempts).await?;
        if parts.status != http::StatusCode::NOT_MODIFIED {
            return self.decoded(account, &parts, &body).await;
        }
        if let Some((models, etag)) = cache.not_modified(account, etag_of(&parts)).await {
            return Ok(ModelCatalog { models, etag });
        }
        // The entry went away meanwhile: ask again, unconditionally (a 304 is then an error).
        let (parts, body) = inner.unary(self.request(None)?, &opts).await?;
        self.decoded(account, &parts, &body).await
    }

    /// `GET /models?client_version=…`, with `If-None-Match` when an `ETag` is given.
    fn request(&self, if_none_match: Option<&str>) -> Result<Prepared> {
        let inner = &self.client.inner;
        let conditional = if_none_match
            .and_then(|e| HeaderValue::from_str(e).ok())
            .map(|v| (header::IF_NONE_MATCH, v));
        Prepared::new(
            inner,
            Endpoint {
                method: Method::GET,
                uri: inner.cfg.base_url.join(&format!(
                    "models?client_version={}",
                    codex_auth::percent_encode(&inner.cfg.client_version)
                ))?,
                path: "/models",
                target: Target::Backend,
                conversation: ConversationHeaders::None,
            },
            &RequestOptions::default(),
            Bytes::new(),
            conditional.as_slice(),
        )
    }

    /// A `200` answer: decoded, and kept in the cache.
    async fn decoded(
        &self,
        account: Option<&str>,
        parts: &http::response::Parts,
        body: &[u8],
    ) -> Result<ModelCatalog> {
        let models: ModelsResponse = decode_json("models", parts, body)?;
        let etag = etag_of(parts);
        let cache = &self.client.inner.models_cache;
        cache.store(account, &models, etag.clone()).await;
        Ok(ModelCatalog { models, etag })
    }

    /// The catalog entry with this slug, if the account has it (from [`list`](Self::list),
    /// so the cache applies).
    pub async fn get(&self, slug: &str) -> Result<Option<ModelInfo>> {
        let catalog = self.list().await?;
        Ok(catalog.models.models.into_iter().find(|m| m.slug == slug))
    }
}

/// The `ETag` response header.
fn etag_of(parts: &http::response::Parts) -> Option<String> {
    parts
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `GET wham/usage`: see [`Client::usage`].
#[derive(Clone, Copy, Debug)]
pub struct UsageEndpoint<'a> {
    client: &'a Client,
}

impl UsageEndpoint<'_> {
    /// The plan's rate-limit and credit status.
    pub async fn get(&self) -> Result<UsagePayload> {
        let inner = &self.client.inner;
        let uri: http::Uri = inner
            .cfg
            .usage_url
            .as_str()
            .parse()
            .map_err(|e| Error::config("invalid usage url").with_source(e))?;
        let opts = RequestOptions::default();
        let p = Prepared::new(
            inner,
            Endpoint {
                method: Method::GET,
                uri,
                path: "/wham/usage",
                target: Target::Backend,
                conversation: ConversationHeaders::None,
            },
            &opts,
            Bytes::new(),
            &[],
        )?;
        let (parts, body) = inner.unary(p, &opts).await?;
        decode_json("usage", &parts, &body)
    }
}

/// `POST /responses/compact`: see [`Client::compact`].
#[derive(Clone, Copy, Debug)]
pub struct Compact<'a> {
    client: &'a Client,
}

impl Compact<'_> {
    /// Compacts the history; the returned output replaces it. Sends `session-id` and
    /// `thread-id` when `opts` has a conversation id. An invalid request
    /// ([`CompactRequest::validate`]) is an [`ErrorKind::InvalidRequest`] error and nothing
    /// is sent.
    pub async fn run(
        &self,
        request: &CompactRequest,
        opts: &RequestOptions,
    ) -> Result<CompactResponse> {
        request
            .validate()
            .map_err(|e| invalid_request("compact", e))?;
        let inner = &self.client.inner;
        let identity = identity_for(
            inner,
            opts,
            &request.model,
            request.service_tier.as_ref(),
            request.reasoning.as_ref(),
        );
        let mut extra = identity.headers();
        extra.push(JSON);
        if let Some(v) = inner
            .cfg
            .installation_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok())
        {
            extra.push((HeaderName::from_static(INSTALLATION_ID_KEY), v));
        }
        let p = Prepared::new(
            inner,
            Endpoint {
                method: Method::POST,
                uri: inner.cfg.base_url.join("responses/compact")?,
                path: "/responses/compact",
                target: Target::Backend,
                conversation: ConversationHeaders::Session,
            },
            opts,
            json_body("compact", request)?,
            &extra,
        )?;
        let p = p.with_head_wait_factor(4).compressible();
        let (parts, body) = inner.unary(p, opts).await?;
        decode_json("compact", &parts, &body)
    }
}

/// `POST {api base}/realtime/calls`: see [`Client::realtime`].
#[derive(Clone, Copy, Debug)]
pub struct Realtime<'a> {
    client: &'a Client,
}

impl Realtime<'_> {
    /// Creates a WebRTC call from an SDP offer: a multipart body (`sdp` + `session` with its
    /// `id` removed) or, without a session, the raw SDP as `application/sdp`. Returns the SDP
    /// answer and the call id taken from `Location` (a missing or unusable `Location` is an
    /// error).
    pub async fn create_call(
        &self,
        sdp: &str,
        session: Option<&RealtimeSession>,
    ) -> Result<RealtimeCall> {
        let inner = &self.client.inner;
        let (body, ctype) = match session {
            Some(s) => {
                let v = serde_json::to_value(s).map_err(|e| {
                    Error::config("cannot serialize the realtime session").with_source(e)
                })?;
                (
                    multipart::realtime_body(sdp, &multipart::session_without_id(v)),
                    HeaderValue::from_static(multipart::MULTIPART_CONTENT_TYPE),
                )
            }
            None => (
                Bytes::copy_from_slice(sdp.as_bytes()),
                HeaderValue::from_static("application/sdp"),
            ),
        };
        let opts = RequestOptions::default();
        let p = Prepared::new(
            inner,
            Endpoint {
                method: Method::POST,
                uri: inner.cfg.api_base_url.join("realtime/calls")?,
                path: "/realtime/calls",
                target: Target::PublicApi,
                conversation: ConversationHeaders::None,
            },
            &opts,
            body,
            &[(header::CONTENT_TYPE, ctype)],
        )?;
        let (parts, body) = inner.unary(p, &opts).await?;
        let location = parts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        let call_id = location
            .and_then(codex_types::call_id_from_location)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    "realtime call response has no usable Location header",
                )
                .with(|d| {
                    d.status = Some(parts.status);
                    d.request_id = status::request_id(&parts.headers);
                })
            })?;
        let answer = String::from_utf8(body.to_vec()).map_err(|e| {
            Error::new(ErrorKind::Decode, "realtime sdp answer is not utf-8").with_source(e)
        })?;
        Ok(RealtimeCall::new(call_id, answer))
    }
}

/// `POST /memories/trace_summarize`: see [`Client::memories`].
#[derive(Clone, Copy, Debug)]
pub struct Memories<'a> {
    client: &'a Client,
}

impl Memories<'_> {
    /// Summarizes memory traces.
    pub async fn trace_summarize(
        &self,
        request: &TraceSummarizeRequest,
    ) -> Result<TraceSummarizeResponse> {
        let inner = &self.client.inner;
        let opts = RequestOptions::default();
        let p = Prepared::new(
            inner,
            Endpoint {
                method: Method::POST,
                uri: inner.cfg.base_url.join("memories/trace_summarize")?,
                path: "/memories/trace_summarize",
                target: Target::Backend,
                conversation: ConversationHeaders::None,
            },
            &opts,
            json_body("trace summarize", request)?,
            &[JSON],
        )?;
        let p = p.with_head_wait_factor(4);
        let (parts, body) = inner.unary(p, &opts).await?;
        decode_json("trace summarize", &parts, &body)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_offsets_of_json_errors() {
        let body = b"{\n  \"a\": 1,\n  oops\n}";
        let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        let off = super::byte_offset(body, e.line(), e.column()) as usize;
        assert_eq!(&body[off..off + 1], b"o");
    }
}
