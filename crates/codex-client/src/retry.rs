//! The retry policy: what is retried, how often and how long to wait.

use std::time::Duration;

use crate::error::Error;
use crate::error::ErrorKind;

/// When and how the client retries. Whether a failure is retryable at all is decided once, by
/// the classifier ([`crate::Error::is_retryable`]; docs/client.md, "Decision table"); this
/// policy decides how often and how long to wait.
///
/// Request retries (up to [`max_retries`](Self::max_retries)) happen before the caller has
/// seen any event, for:
///
/// - connect failures (DNS, TCP, proxy); never TLS failures (certificate verification,
///   handshake alerts), which sending again cannot fix;
/// - a retryable HTTP answer: a 5xx, a 429 that carries `Retry-After` or `retry-after-ms`
///   (never `usage_limit_reached`, `usage_not_included`, `flex_unavailable` or a quota
///   code, which are terminal);
/// - a retryable rate-limit failure (`rate_limit_exceeded`, `slow_down`) that arrives in the
///   stream before any event was yielded to the caller.
///
/// Turn retries (up to [`stream_max_retries`](Self::stream_max_retries), default 5 as in
/// codex-rs) resend a whole turn whose stream failed after it started: closed before
/// `response.completed`, idle timeout, or a retryable failure. Only calls whose caller has
/// seen no output use them (the facade's `respond`, `respond_json`, `respond_text`,
/// compaction and `Conversation::run`); see [`turn_delay_for`](Self::turn_delay_for).
///
/// The delay before retry `n` (1-based) is `base_delay × 2^(n-1)` multiplied by a random
/// jitter in `[0.9, 1.1)`, capped at `max_delay`; a delay the server asked for wins when it is
/// not longer than `max_server_delay` (otherwise the error is returned to the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_retries: u32,
    stream_max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_server_delay: Duration,
}

impl Default for RetryPolicy {
    /// codex-rs defaults: 4 request retries (5 attempts), 5 turn retries, 200 ms base delay,
    /// capped at 10 s; server delays up to 60 s are honoured.
    fn default() -> Self {
        Self {
            max_retries: 4,
            stream_max_retries: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_server_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: Self::default(),
        }
    }

    /// Never retry (neither requests nor turns).
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            stream_max_retries: 0,
            ..Self::default()
        }
    }

    /// The maximum number of retries (attempts = retries + 1).
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The maximum number of whole-turn retries (0: none).
    pub fn stream_max_retries(&self) -> u32 {
        self.stream_max_retries
    }

    /// The computed backoff (without a server delay) before retry `n` (1-based), jitter
    /// included.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let base = self.base_delay.saturating_mul(1u32 << exp);
        let jitter: f64 = rand::random_range(0.9..1.1);
        base.mul_f64(jitter).min(self.max_delay)
    }

    /// The delay before retry `retry` (1-based) after `error`, or `None` when the error must be
    /// returned to the caller.
    pub(crate) fn delay_for(&self, retry: u32, error: &Error) -> Option<Duration> {
        if retry > self.max_retries {
            return None;
        }
        let eligible = match error.kind() {
            // A TLS failure (untrusted certificate, handshake alert) will not fix itself.
            ErrorKind::Transport => error.is_connect(),
            // What the server answered: the classifier decided (a 5xx, a 429 with a delay).
            _ if error.status().is_some() => error.is_retryable(),
            // A rate-limit failure in the stream before any event.
            ErrorKind::RateLimited => error.is_retryable(),
            _ => false,
        };
        if !eligible {
            return None;
        }
        self.wait(retry, error)
    }

    /// The delay before whole-turn retry `retry` (1-based) after `error` ended a turn's
    /// stream, or `None` when the error must be returned: past
    /// [`stream_max_retries`](Self::stream_max_retries), not retryable
    /// ([`Error::is_retryable`]), or a server delay longer than the policy waits.
    ///
    /// Only failures after the answer started count: an error that ended a stream (it carries
    /// [`Error::partial_text`]), a stream closed early or idled out, a connection lost while
    /// reading. An HTTP error answer was already retried per request
    /// ([`max_retries`](Self::max_retries)) and is not retried again here; nor is a connect
    /// failure, a passed deadline or an abort.
    pub fn turn_delay_for(&self, retry: u32, error: &Error) -> Option<Duration> {
        let after_answer_started = error.partial_text().is_some()
            || matches!(
                error.kind(),
                ErrorKind::StreamClosed | ErrorKind::IdleTimeout
            )
            || (error.kind() == ErrorKind::Transport
                && !error.is_connect()
                && error.status().is_none());
        if retry > self.stream_max_retries || !error.is_retryable() || !after_answer_started {
            return None;
        }
        self.wait(retry, error)
    }

    /// The server's delay when it named one (`None` when longer than the policy waits),
    /// else the backoff.
    fn wait(&self, retry: u32, error: &Error) -> Option<Duration> {
        match error.retry_after() {
            Some(d) if d > self.max_server_delay => None,
            Some(d) => Some(d),
            None => Some(self.backoff(retry)),
        }
    }
}

/// One whole-turn retry, as recorded in the finished turn's report
/// ([`crate::TextResponse::retries`]) and logged through `tracing`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TurnRetry {
    /// Which retry this was (1-based).
    pub retry: u32,
    /// The kind of the error that ended the previous attempt.
    pub kind: ErrorKind,
    /// The server's error code, when it sent one.
    pub code: Option<String>,
    /// The error's message (never a secret; see [`Error`]'s Display).
    pub message: String,
    /// How long the client waited before the retry.
    pub delay: Duration,
}

impl TurnRetry {
    /// Records retry `retry` after `error`, waiting `delay`.
    pub fn new(retry: u32, error: &Error, delay: Duration) -> Self {
        Self {
            retry,
            kind: error.kind(),
            code: error.code().map(str::to_owned),
            message: error.to_string(),
            delay,
        }
    }
}

/// Builder of a [`RetryPolicy`].
#[derive(Clone, Debug)]
#[must_use]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Maximum number of retries after the first attempt (default 4).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.policy.max_retries = n.min(100);
        self
    }

    /// Maximum number of whole-turn retries (default 5, capped at 100; 0 disables them).
    pub fn stream_max_retries(mut self, n: u32) -> Self {
        self.policy.stream_max_retries = n.min(100);
        self
    }

    /// Delay before the first retry (default 200 ms); doubles with each retry.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.policy.base_delay = d;
        self
    }

    /// Upper bound of a computed delay (default 10 s).
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.policy.max_delay = d;
        self
    }

    /// Longest server-requested delay (`Retry-After`, "try again in …") the client waits for
    /// on its own (default 60 s); longer ones are returned to the caller as errors.
    pub fn max_server_delay(mut self, d: Duration) -> Self {
        self.policy.max_server_delay = d;
        self
    }

    /// The policy.
    pub fn build(self) -> RetryPolicy {
        self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn http_err(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Error {
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, http::HeaderValue::from_static(v));
        }
        crate::status::http_error(StatusCode::from_u16(status).unwrap(), &h, body.as_bytes())
    }

    #[test]
    fn backoff_doubles_with_jitter_and_cap() {
        let p = RetryPolicy::builder()
            .base_delay(Duration::from_millis(200))
            .max_delay(Duration::from_secs(1))
            .build();
        for _ in 0..100 {
            let d1 = p.backoff(1).as_secs_f64();
            assert!((0.18..0.22).contains(&d1), "{d1}");
            let d3 = p.backoff(3).as_secs_f64();
            assert!((0.72..0.88).contains(&d3), "{d3}");
            assert!(p.backoff(10) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn what_is_retried() {
        let p = RetryPolicy::default();
        let ra = &[("retry-after", "2")][..];
        assert!(p.delay_for(1, &http_err(500, &[], "")).is_some());
        assert!(
            p.delay_for(
                1,
                &http_err(503, &[], r#"{"error":{"code":"server_is_overloaded"}}"#)
            )
            .is_some()
        );
        assert!(p.delay_for(1, &http_err(404, &[], "")).is_none());
        assert!(p.delay_for(1, &http_err(429, &[], "")).is_none());
        assert_eq!(
            p.delay_for(1, &http_err(429, ra, "")),
            Some(Duration::from_secs(2))
        );
        assert!(
            p.delay_for(1, &http_err(429, &[("retry-after", "3600")], ""))
                .is_none()
        );
        assert!(
            p.delay_for(
                1,
                &http_err(429, ra, r#"{"error":{"type":"usage_limit_reached"}}"#)
            )
            .is_none()
        );
        assert!(
            p.delay_for(
                1,
                &http_err(429, ra, r#"{"error":{"code":"flex_unavailable"}}"#)
            )
            .is_none()
        );
        assert!(p.delay_for(1, &http_err(400, &[], "")).is_none());
        let failure = Error::new(ErrorKind::RateLimited, "x").with(|d| d.retryable = true);
        assert!(p.delay_for(1, &failure).is_some());
        let connect = Error::new(ErrorKind::Transport, "x").with(|d| d.connect = true);
        assert!(p.delay_for(4, &connect).is_some());
        assert!(p.delay_for(5, &connect).is_none());
        let reset = Error::new(ErrorKind::Transport, "x");
        assert!(p.delay_for(1, &reset).is_none());
        assert!(RetryPolicy::none().delay_for(1, &connect).is_none());
        // Stream-level failures are not request retries.
        let closed = Error::new(ErrorKind::StreamClosed, "x").with(|d| d.retryable = true);
        assert!(p.delay_for(1, &closed).is_none());
    }

    #[test]
    fn what_is_retried_per_turn() {
        let p = RetryPolicy::default();
        let closed = Error::new(ErrorKind::StreamClosed, "x").with(|d| d.retryable = true);
        assert!(p.turn_delay_for(5, &closed).is_some());
        assert!(p.turn_delay_for(6, &closed).is_none());
        let usage = http_err(429, &[], r#"{"error":{"type":"usage_limit_reached"}}"#);
        assert!(p.turn_delay_for(1, &usage).is_none());
        // An HTTP answer was retried per request already.
        assert!(p.turn_delay_for(1, &http_err(500, &[], "")).is_none());
        let connect = Error::new(ErrorKind::Transport, "x").with(|d| {
            d.connect = true;
            d.retryable = true;
        });
        assert!(p.turn_delay_for(1, &connect).is_none());
        let lost = Error::new(ErrorKind::Transport, "x").with(|d| d.retryable = true);
        assert!(p.turn_delay_for(1, &lost).is_some());
        // A failure event that ended a stream (it carries the partial text).
        let failed = Error::new(ErrorKind::ApiError, "x").with(|d| {
            d.retryable = true;
            d.partial_text = Some(String::new());
        });
        assert!(p.turn_delay_for(1, &failed).is_some());
        let overloaded = Error::new(ErrorKind::ServerOverloaded, "x")
            .with(|d| d.partial_text = Some(String::new()));
        assert!(p.turn_delay_for(1, &overloaded).is_none());
        let slow = Error::new(ErrorKind::RateLimited, "x").with(|d| {
            d.retryable = true;
            d.retry_after = Some(Duration::from_millis(1500));
            d.partial_text = Some(String::new());
        });
        assert_eq!(
            p.turn_delay_for(1, &slow),
            Some(Duration::from_millis(1500))
        );
        let off = RetryPolicy::builder().stream_max_retries(0).build();
        assert!(off.turn_delay_for(1, &closed).is_none());
        assert_eq!(
            RetryPolicy::builder()
                .stream_max_retries(1000)
                .build()
                .stream_max_retries(),
            100
        );
        assert!(RetryPolicy::none().turn_delay_for(1, &closed).is_none());
    }
}
