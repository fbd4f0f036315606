//! `GET /models`: the model catalog, through the client's models cache.

use bytes::Bytes;
use codex_types::ModelInfo;
use codex_types::ModelsResponse;
use http::HeaderValue;
use http::Method;
use http::header;

use super::decode_json;
use crate::client::Client;
use crate::client::ConversationHeaders;
use crate::client::Endpoint;
use crate::client::Prepared;
use crate::client::Target;
use crate::error::Result;
use crate::options::RequestOptions;

impl Client {
    /// `GET /models`.
    pub fn models(&self) -> Models<'_> {
        Models { client: self }
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
