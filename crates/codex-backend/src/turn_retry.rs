//! Whole-turn retries for calls whose caller has seen no output yet (`respond`,
//! `respond_json`, `respond_text`, compaction, `Conversation::respond` and `run`): a turn
//! whose stream closed before completion, idled out or failed with a retryable code is sent
//! again, up to [`RetryPolicy::stream_max_retries`] times with the client's backoff, as
//! codex-rs does. Streams handed to the caller ([`crate::CodexClient::stream`],
//! [`crate::Conversation::send`]) are never resent.

use codex_client::RetryPolicy;
use codex_client::TextResponse;
use codex_client::TurnRetry;

use crate::codex::CodexClient;
use crate::error::Error;
use crate::error::Result;

/// The retries of one turn: decides, waits (abort-aware), logs and records each.
pub(crate) struct TurnRetries {
    what: &'static str,
    policy: RetryPolicy,
    aborts: tokio::sync::watch::Receiver<u64>,
    done: Vec<TurnRetry>,
}

impl TurnRetries {
    pub(crate) fn new(client: &CodexClient, what: &'static str) -> Self {
        Self {
            what,
            policy: client.inner.transport.retry_policy().clone(),
            aborts: client.inner.aborts.subscribe(),
            done: Vec::new(),
        }
    }

    /// After a failed attempt: waits the delay and returns `Ok(())` when the turn is to be
    /// sent again; otherwise returns the error (or an abort that came while waiting).
    pub(crate) async fn after(&mut self, err: Error) -> Result<()> {
        let retry = u32::try_from(self.done.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let planned = err
            .client_error()
            .and_then(|e| Some((e, self.policy.turn_delay_for(retry, e)?)));
        let Some((cause, delay)) = planned else {
            if !self.done.is_empty() {
                tracing::warn!(
                    what = self.what,
                    retries = self.done.len(),
                    kind = err.kind().as_str(),
                    "turn failed after whole-turn retries"
                );
            }
            return Err(err);
        };
        tracing::warn!(
            what = self.what,
            retry,
            max_retries = self.policy.stream_max_retries(),
            kind = cause.kind().as_str(),
            code = cause.code(),
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "turn failed before any output reached the caller; sending it again"
        );
        self.done.push(TurnRetry::new(retry, cause, delay));
        self.aborts.mark_unchanged();
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            _ = self.aborts.changed() => Err(crate::conversation::aborted()),
        }
    }

    /// The finished turn's report, with the retries it needed.
    pub(crate) fn report(self, mut r: TextResponse) -> TextResponse {
        r.retries = self.done;
        r
    }
}
