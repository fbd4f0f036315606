//! `GET wham/usage`: the plan's rate limits and credits.

use bytes::Bytes;
use codex_types::UsagePayload;
use http::Method;

use super::decode_json;
use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Error;
use crate::error::Result;
use crate::options::RequestOptions;

impl Client {
    /// `GET wham/usage`.
    pub fn usage(&self) -> UsageEndpoint<'_> {
        UsageEndpoint { client: self }
    }
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
