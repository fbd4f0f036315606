//! The retry policy: what is retried, how often and how long to wait.

use std::time::Duration;

use crate::error::Error;
use crate::error::ErrorKind;

/// When and how the client retries a request. Retries happen in one place (before the caller
/// has seen any event) and only for failures where sending the request again is safe:
///
/// - connect failures (DNS, TCP, proxy); never TLS failures (certificate verification,
///   handshake alerts), which sending again cannot fix;
/// - HTTP 5xx;
/// - HTTP 429 that carries `Retry-After` or `retry-after-ms` (never `usage_limit_reached` or
///   `usage_not_included`, which are terminal);
/// - a `response.failed` with code `rate_limit_exceeded` that arrives before any event was
///   yielded to the caller.
///
/// The delay before retry `n` (1-based) is `base_delay × 2^(n-1)` multiplied by a random
/// jitter in `[0.9, 1.1)`, capped at `max_delay`; a delay the server asked for wins when it is
/// not longer than `max_server_delay` (otherwise the error is returned to the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_server_delay: Duration,
}

impl Default for RetryPolicy {
    /// codex-rs defaults: 4 retries (5 attempts), 200 ms base delay, capped at 10 s; server
    /// delays up to 60 s are honoured.
    fn default() -> Self {
        Self {
            max_retries: 4,
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

    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The maximum number of retries (attempts = retries + 1).
    pub fn max_retries(&self) -> u32 {
        self.max_retries
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
        let server = error.retry_after();
        let eligible = match error.kind() {
            // A TLS failure (untrusted certificate, handshake alert) will not fix itself.
            ErrorKind::Transport => error.is_connect(),
            ErrorKind::Http | ErrorKind::ServerOverloaded => {
                error.status().is_some_and(|s| s.is_server_error())
            }
            // A 429 only with a server-given delay; a rate_limit_exceeded failure (always
            // eligible, with or without a parsed delay).
            ErrorKind::RateLimited => error.status().is_none() || server.is_some(),
            _ => false,
        };
        if !eligible {
            return None;
        }
        match server {
            Some(d) if d > self.max_server_delay => None,
            Some(d) => Some(d),
            None => Some(self.backoff(retry)),
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

    fn http_err(kind: ErrorKind, status: u16, retry_after: Option<Duration>) -> Error {
        Error::new(kind, "x").with(|d| {
            d.status = StatusCode::from_u16(status).ok();
            d.retry_after = retry_after;
        })
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
        assert!(
            p.delay_for(1, &http_err(ErrorKind::Http, 500, None))
                .is_some()
        );
        assert!(
            p.delay_for(1, &http_err(ErrorKind::ServerOverloaded, 503, None))
                .is_some()
        );
        assert!(
            p.delay_for(1, &http_err(ErrorKind::Http, 404, None))
                .is_none()
        );
        assert!(
            p.delay_for(1, &http_err(ErrorKind::RateLimited, 429, None))
                .is_none()
        );
        assert_eq!(
            p.delay_for(
                1,
                &http_err(ErrorKind::RateLimited, 429, Some(Duration::from_secs(2)))
            ),
            Some(Duration::from_secs(2))
        );
        assert!(
            p.delay_for(
                1,
                &http_err(ErrorKind::RateLimited, 429, Some(Duration::from_secs(3600)))
            )
            .is_none()
        );
        assert!(
            p.delay_for(
                1,
                &http_err(
                    ErrorKind::UsageLimitReached,
                    429,
                    Some(Duration::from_secs(1))
                )
            )
            .is_none()
        );
        assert!(
            p.delay_for(1, &http_err(ErrorKind::InvalidRequest, 400, None))
                .is_none()
        );
        let failure = Error::new(ErrorKind::RateLimited, "x");
        assert!(p.delay_for(1, &failure).is_some());
        let connect = Error::new(ErrorKind::Transport, "x").with(|d| d.connect = true);
        assert!(p.delay_for(4, &connect).is_some());
        assert!(p.delay_for(5, &connect).is_none());
        let reset = Error::new(ErrorKind::Transport, "x");
        assert!(p.delay_for(1, &reset).is_none());
        assert!(RetryPolicy::none().delay_for(1, &connect).is_none());
    }
}
