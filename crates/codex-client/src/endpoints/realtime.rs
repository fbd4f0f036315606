//! `POST {api base}/realtime/calls`: a WebRTC call from an SDP offer.

use bytes::Bytes;
use codex_types::RealtimeCall;
use codex_types::RealtimeSession;
use http::HeaderValue;
use http::Method;
use http::header;

use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::multipart;
use crate::options::RequestOptions;
use crate::status;

impl Client {
    /// `POST {api base}/realtime/calls`.
    pub fn realtime(&self) -> Realtime<'_> {
        Realtime { client: self }
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
