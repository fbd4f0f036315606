//! `POST /memories/trace_summarize`: memory trace summaries.

use codex_types::TraceSummarizeRequest;
use codex_types::TraceSummarizeResponse;
use http::Method;

use super::JSON;
use super::decode_json;
use super::json_body;
use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Result;
use crate::options::RequestOptions;

impl Client {
    /// `POST /memories/trace_summarize`.
    pub fn memories(&self) -> Memories<'_> {
        Memories { client: self }
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
