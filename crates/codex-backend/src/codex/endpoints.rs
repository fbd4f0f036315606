//! The one-shot endpoints of a [`CodexClient`] beside `/responses`: models, compaction,
//! usage and realtime calls.

use codex_types::CompactRequest;
use codex_types::History;
use codex_types::ModelInfo;
use codex_types::RealtimeCall;
use codex_types::RealtimeSession;
use codex_types::ResponseItem;
use codex_types::UsagePayload;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::CallOptions;
use crate::options::CompactionMode;
use crate::turn_retry::TurnRetries;

use super::CodexClient;

impl CodexClient {
    /// The account's model catalog (`GET /models`, through the models cache: see
    /// [`CodexClientBuilder::models_cache`](crate::CodexClientBuilder::models_cache)).
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>> {
        self.ensure_authenticated()?;
        let catalog = self.inner.transport.models().list().await?;
        Ok(catalog.models.models)
    }

    /// One catalog entry; [`ErrorKind::ModelNotFound`] when the account has no such model.
    pub async fn get_model(&self, slug: &str) -> Result<ModelInfo> {
        self.list_models()
            .await?
            .into_iter()
            .find(|m| m.slug == slug)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ModelNotFound,
                    format!("model not found in this account's catalog: {slug}"),
                )
            })
    }

    /// The catalog entry of `slug`, from the models cache when it is fresh (see
    /// [`CodexClientBuilder::models_cache`](crate::CodexClientBuilder::models_cache)).
    pub(crate) async fn model_cached(&self, slug: &str) -> Result<ModelInfo> {
        self.get_model(slug).await
    }

    /// Compacts a history (compaction v2 by default, see [`compact_with`](Self::compact_with))
    /// with the session defaults; the
    /// result replaces it.
    pub async fn compact(&self, history: Vec<ResponseItem>) -> Result<Vec<ResponseItem>> {
        self.compact_with(history, None).await
    }

    /// [`compact`](Self::compact) with per-call options (model, instructions, tools,
    /// reasoning, conversation id, window number, [`CompactionMode`], …). The request says
    /// `request_kind: "compaction"` in its turn metadata; the caller that keeps the history
    /// counts the window up afterwards ([`crate::Conversation`] does).
    ///
    /// [`CompactionMode::V2`] (the default, as the official client 0.171): `POST /responses`
    /// with the history plus `{"type":"compaction_trigger"}` and `x-codex-beta-features:
    /// remote_compaction_v2`. The answer must hold exactly one `compaction` item, else
    /// [`ErrorKind::UnexpectedCompactionOutput`] naming what came back. The returned history
    /// is what codex-rs keeps: the latest user messages (up to 64,000 tokens, the oldest one
    /// cut to fit), then the compaction item. When the server refuses v2 as unsupported (a
    /// 400 naming `compaction_trigger` or `remote_compaction_v2`, or a 501), the history is
    /// compacted with [`CompactionMode::Legacy`] instead (`POST /responses/compact`, whose
    /// `output` is returned as it is).
    pub async fn compact_with(
        &self,
        history: Vec<ResponseItem>,
        opts: impl Into<Option<CallOptions>>,
    ) -> Result<Vec<ResponseItem>> {
        self.ensure_authenticated()?;
        let mut opts = opts.into().unwrap_or_default();
        opts.request_kind = Some(codex_client::RequestKind::Compaction);
        let mode = opts
            .compaction_mode
            .or(self.inner.defaults.compaction_mode)
            .unwrap_or_default();
        if mode == CompactionMode::V2 {
            match self.compact_v2(&history, &opts).await {
                Err(e) if crate::compaction::refuses_v2(&e) => {
                    tracing::warn!(
                        status = e.status().map(|s| s.as_u16()),
                        "the server refused compaction v2; using POST /responses/compact"
                    );
                }
                r => return r,
            }
        }
        let (req, ro) = self.build_request(History::new(), history, &opts)?;
        let creq = CompactRequest::from_request(&req);
        let mut retries = TurnRetries::new(self, "compact");
        loop {
            match self.inner.transport.compact().run(&creq, &ro).await {
                Ok(r) => return Ok(r.output),
                Err(e) => retries.after(e.into()).await?,
            }
        }
    }

    /// One compaction v2 request and the replacement history.
    async fn compact_v2(
        &self,
        history: &[ResponseItem],
        opts: &CallOptions,
    ) -> Result<Vec<ResponseItem>> {
        let mut opts = opts.clone();
        opts.beta_features
            .push(crate::compaction::REMOTE_COMPACTION_V2.to_owned());
        let input = crate::compaction::request_input(history.to_vec());
        let (req, ro) = self.build_request(History::new(), input, &opts)?;
        let answer = self
            .inner
            .transport
            .responses()
            .stream(&req, &ro)
            .await?
            .collect_text()
            .await?;
        let item = crate::compaction::single_compaction(answer.items)?;
        Ok(crate::compaction::replacement_history(history, item))
    }

    /// The plan's rate-limit and credit status (`GET wham/usage`).
    pub async fn usage(&self) -> Result<UsagePayload> {
        self.ensure_authenticated()?;
        Ok(self.inner.transport.usage().get().await?)
    }

    /// Creates a WebRTC realtime call from an SDP offer. `None` sends the default session
    /// (`gpt-realtime-1.5`, voice `marin`), as the Python SDK does; use
    /// [`create_realtime_call_sdp_only`](Self::create_realtime_call_sdp_only) to send the
    /// offer alone.
    pub async fn create_realtime_call(
        &self,
        sdp: &str,
        session: Option<RealtimeSession>,
    ) -> Result<RealtimeCall> {
        self.ensure_authenticated()?;
        let session = session.unwrap_or_default();
        Ok(self
            .inner
            .transport
            .realtime()
            .create_call(sdp, Some(&session))
            .await?)
    }

    /// Creates a realtime call sending only the SDP offer (`Content-Type: application/sdp`).
    pub async fn create_realtime_call_sdp_only(&self, sdp: &str) -> Result<RealtimeCall> {
        self.ensure_authenticated()?;
        Ok(self
            .inner
            .transport
            .realtime()
            .create_call(sdp, None)
            .await?)
    }
}
