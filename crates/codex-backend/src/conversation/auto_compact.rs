//! Auto-compaction of a [`Conversation`]: the token estimate, the limit check before each
//! turn and [`Conversation::compact`].

use codex_types::History;
use codex_types::ResponseItem;
use serde_json::Value;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

use super::Conversation;

/// What one image in the history is assumed to cost in the auto-compaction estimate
/// (a base64 image would otherwise count its bytes as tokens and trigger a compaction on
/// every turn).
const IMAGE_TOKEN_ESTIMATE: u64 = 1_000;

/// About 4 bytes of JSON per token; each image (an `input_image` part, a `data:image/…`
/// URL, the `result` of an `image_generation_call`) counts [`IMAGE_TOKEN_ESTIMATE`]
/// instead of its bytes.
pub(super) fn estimate_tokens(items: &[ResponseItem]) -> u64 {
    let mut v = serde_json::to_value(items).unwrap_or(Value::Null);
    let mut images = 0u64;
    strip_images(&mut v, &mut images);
    let bytes = serde_json::to_vec(&v).map(|v| v.len()).unwrap_or(0) as u64;
    bytes
        .div_ceil(4)
        .saturating_add(images.saturating_mul(IMAGE_TOKEN_ESTIMATE))
}

/// Removes image payloads from `v`, counting them in `images`.
fn strip_images(v: &mut Value, images: &mut u64) {
    match v {
        Value::String(s) if s.starts_with("data:image/") => {
            *images += 1;
            s.clear();
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip_images(x, images)),
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).map(str::to_owned);
            if kind.as_deref() == Some("input_image") {
                *images += 1;
                o.clear();
                return;
            }
            if kind.as_deref() == Some("image_generation_call")
                && o.remove("result").is_some_and(|r| !r.is_null())
            {
                *images += 1;
            }
            o.values_mut().for_each(|x| strip_images(x, images));
        }
        _ => {}
    }
}

impl Conversation {
    /// The token count auto-compaction compares with the limit: the last reported
    /// `total_tokens` plus an estimate of the items added since, or an estimate of the
    /// whole history.
    pub fn estimated_tokens(&self) -> u64 {
        match self.last_total {
            Some((total, len)) if len <= self.history.len() => {
                total.saturating_add(estimate_tokens(&self.history[len..]))
            }
            _ => estimate_tokens(&self.history),
        }
    }

    /// Turns auto-compaction on or off (default on).
    #[must_use]
    pub fn auto_compact(mut self, on: bool) -> Self {
        self.auto_compact = on;
        self
    }

    /// Compacts at this many tokens instead of the model's auto-compact limit.
    #[must_use]
    pub fn auto_compact_limit(mut self, tokens: u64) -> Self {
        self.compact_limit = Some(tokens);
        self
    }

    pub(super) async fn maybe_auto_compact(&mut self) -> Result<()> {
        if !self.auto_compact || self.history.is_empty() {
            return Ok(());
        }
        let used = self.estimated_tokens();
        let limit = match self.compact_limit {
            Some(l) => l,
            None => match self.client.model_cached(&self.model()).await {
                Ok(m) => match m.auto_compact_token_limit() {
                    Some(l) => l,
                    None => return Ok(()),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "no model info: auto-compaction skipped");
                    return Ok(());
                }
            },
        };
        if used >= limit {
            tracing::info!(
                used,
                limit,
                "history near the auto-compact limit; compacting"
            );
            self.compact().await?;
        }
        Ok(())
    }

    /// Replaces the history by its compacted form ([`crate::CodexClient::compact_with`]:
    /// compaction v2 by default, `POST /responses/compact` with
    /// [`crate::CompactionMode::Legacy`]), sent with
    /// `request_kind: "compaction"`; the window number goes up by one afterwards.
    pub async fn compact(&mut self) -> Result<()> {
        if self.history.is_empty() {
            return Ok(());
        }
        let mut opts = self.call_options();
        // The turn state routes the turn's model requests, not the compaction.
        opts.turn_state = None;
        let out = self
            .client
            .compact_with(self.history.to_vec(), opts)
            .await?;
        self.history = History::from(out);
        self.window_number = self.window_number.saturating_add(1);
        self.last_total = None;
        self.last_usage = None;
        Ok(())
    }

    /// True when `e` says the context window is exceeded and compacting may help.
    pub(super) fn should_compact_after(&self, e: &Error) -> bool {
        self.auto_compact
            && !self.history.is_empty()
            && e.kind() == ErrorKind::ContextWindowExceeded
    }
}
