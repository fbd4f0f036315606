//! `POST /responses/compact`: history compaction.

use codex_types::CompactRequest;
use codex_types::CompactResponse;
use http::HeaderName;
use http::HeaderValue;
use http::Method;

use super::JSON;
use super::decode_json;
use super::identity_for;
use super::invalid_request;
use super::json_body;
use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Result;
use crate::identity::INSTALLATION_ID_KEY;
use crate::options::RequestOptions;

impl Client {
    /// `POST /responses/compact`.
    pub fn compact(&self) -> Compact<'_> {
        Compact { client: self }
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
    /// ([`CompactRequest::validate`]) is an
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error and nothing is
    /// sent.
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
