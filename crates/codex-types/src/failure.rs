//! `response.failed` error codes (protocol §5.5).

use std::time::Duration;

use serde::Deserialize;
use serde::Serialize;

use crate::usage::PlanType;

/// The typed `error.code` of a stream failure (`response.failed`, `error` events): the one
/// code table of this workspace. [`crate::Classification`] turns it into a kind,
/// retryability and a delay (docs/client.md has the decision table).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureCode {
    /// `context_length_exceeded`: compact or trim the history first. Not retryable.
    ContextLengthExceeded,
    /// `insufficient_quota` (also `quota_exceeded`, `billing_hard_limit_reached`,
    /// `credit_balance_exhausted`, `organization_spend_limit_exceeded`,
    /// `project_spend_limit_exceeded`). Not retryable.
    InsufficientQuota,
    /// `usage_limit_reached` (in `code` or `type`): the plan's limit. Not retryable.
    UsageLimitReached,
    /// `usage_not_included`: the plan lacks Codex. Not retryable.
    UsageNotIncluded,
    /// `cyber_policy`. Not retryable.
    CyberPolicy,
    /// `bio_policy`: flagged by the biology safety policy. Not retryable.
    BioPolicy,
    /// `invalid_prompt` (also `content_policy_violation`, image errors such as
    /// `invalid_image`, `image_too_large`). Not retryable.
    InvalidPrompt,
    /// `flex_unavailable`: no capacity for the flex service tier. Not retryable.
    FlexUnavailable,
    /// `server_is_overloaded`. Not retried automatically (codex-rs).
    ServerOverloaded,
    /// `rate_limit_exceeded` or `slow_down`: retryable after
    /// [`ResponseFailure::retry_after`].
    RateLimitExceeded,
    /// Any other code (kept verbatim). Retryable without a delay.
    Other(String),
    /// No code (or no `response` object at all). Retryable without a delay.
    Missing,
}

impl FailureCode {
    /// Classifies a wire code.
    pub fn from_code(code: Option<&str>) -> Self {
        match code {
            None => FailureCode::Missing,
            Some("context_length_exceeded") => FailureCode::ContextLengthExceeded,
            Some(
                "insufficient_quota"
                | "quota_exceeded"
                | "billing_hard_limit_reached"
                | "credit_balance_exhausted"
                | "organization_spend_limit_exceeded"
                | "project_spend_limit_exceeded",
            ) => FailureCode::InsufficientQuota,
            Some("usage_limit_reached") => FailureCode::UsageLimitReached,
            Some("usage_not_included") => FailureCode::UsageNotIncluded,
            Some("cyber_policy") => FailureCode::CyberPolicy,
            Some("bio_policy") => FailureCode::BioPolicy,
            Some(
                "invalid_prompt"
                | "content_policy_violation"
                | "invalid_image"
                | "image_too_large"
                | "invalid_image_format"
                | "image_parse_error"
                | "invalid_image_url"
                | "image_content_policy_violation",
            ) => FailureCode::InvalidPrompt,
            Some("flex_unavailable") => FailureCode::FlexUnavailable,
            Some("server_is_overloaded") => FailureCode::ServerOverloaded,
            Some("rate_limit_exceeded" | "slow_down") => FailureCode::RateLimitExceeded,
            Some(other) => FailureCode::Other(other.to_owned()),
        }
    }

    /// The message codex-rs shows when the server sent none, for codes that have one.
    pub fn default_message(&self) -> Option<&'static str> {
        match self {
            FailureCode::CyberPolicy => {
                Some("This request has been flagged for possible cybersecurity risk.")
            }
            FailureCode::InvalidPrompt => Some("Invalid request."),
            FailureCode::FlexUnavailable => Some("Flex capacity unavailable."),
            _ => None,
        }
    }

    /// Whether codex-rs retries the turn for this code.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FailureCode::RateLimitExceeded | FailureCode::Other(_) | FailureCode::Missing
        )
    }
}

/// A typed `response.failed` error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseFailure {
    /// Typed code.
    #[serde(skip, default = "missing")]
    pub code: FailureCode,
    /// The wire code as sent.
    #[serde(rename = "code", default, skip_serializing_if = "Option::is_none")]
    pub raw_code: Option<String>,
    /// Message as sent (a default is used by [`ResponseFailure::display_message`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `error.type`, when present.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Plan type, for usage-limit failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<PlanType>,
    /// When the limit resets, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<i64>,
    /// The length of the usage-limit window that tripped (`limit_window_minutes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_window_minutes: Option<u64>,
    /// Delay parsed from "try again in 11.054s" (only for `rate_limit_exceeded` and
    /// `slow_down`).
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// Id of the failed response.
    #[serde(skip)]
    pub response_id: Option<String>,
}

fn missing() -> FailureCode {
    FailureCode::Missing
}

impl ResponseFailure {
    /// Builds a failure from a wire code and message (parses the retry delay).
    pub fn new(code: Option<String>, message: Option<String>) -> Self {
        let mut f = ResponseFailure {
            code: FailureCode::Missing,
            raw_code: code,
            message,
            error_type: None,
            plan_type: None,
            resets_at: None,
            limit_window_minutes: None,
            retry_after: None,
            response_id: None,
        };
        f.classify();
        f
    }

    /// Builds a failure from a lenient error object (`code`, else `type`, names the code).
    pub(crate) fn from_obj(e: crate::api_error::ErrorObj) -> Self {
        let mut f = ResponseFailure::new(e.code, e.message);
        f.error_type = e.error_type;
        f.plan_type = e.plan_type;
        f.resets_at = e.resets_at;
        f.limit_window_minutes = e.limit_window_minutes;
        f.classify();
        f
    }

    /// Recomputes `code` and `retry_after` from `raw_code` (else `error_type`) and `message`.
    pub(crate) fn classify(&mut self) {
        self.code = FailureCode::from_code(self.raw_code.as_deref().or(self.error_type.as_deref()));
        self.retry_after = match (&self.code, &self.message) {
            (FailureCode::RateLimitExceeded, Some(m)) => parse_retry_after(m),
            _ => None,
        };
    }

    /// Whether the turn may be retried (§5.5).
    pub fn is_retryable(&self) -> bool {
        self.code.is_retryable()
    }

    /// The message, or the default codex-rs shows for an empty one.
    pub fn display_message(&self) -> &str {
        match self.message.as_deref() {
            Some(m) if !m.is_empty() => m,
            _ => self
                .code
                .default_message()
                .unwrap_or("response.failed event received"),
        }
    }
}

/// Parses the delay in "…try again in 11.054s…" / "…in 250ms…" / "…in 3 seconds…"
/// (case-insensitive; protocol §5.5).
pub fn parse_retry_after(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let needle = "try again in";
    let mut from = 0;
    while let Some(pos) = lower[from..].find(needle) {
        let start = from + pos + needle.len();
        if let Some(d) = parse_delay_at(&lower[start..]) {
            return Some(d);
        }
        from = start;
    }
    None
}

fn parse_delay_at(s: &str) -> Option<Duration> {
    let s = s.trim_start();
    let num_len = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    if num_len == 0 {
        return None;
    }
    let mut end = num_len;
    let b = s.as_bytes();
    if b.get(end) == Some(&b'.') {
        let frac = s[end + 1..]
            .bytes()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if frac > 0 {
            end += 1 + frac;
        }
    }
    let value: f64 = s[..end].parse().ok()?;
    let rest = s[end..].trim_start();
    let secs = if rest.starts_with("ms") {
        value / 1000.0
    } else if rest.starts_with('s') {
        value
    } else {
        return None;
    };
    // A delay too long for a `Duration` (only digits were read, so it is non-negative)
    // saturates: longer than any retry policy waits, so it is reported rather than retried
    // with a short backoff.
    Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after("Please try again in 11.054s. Visit"),
            Some(Duration::from_secs_f64(11.054))
        );
        assert_eq!(
            parse_retry_after("TRY AGAIN IN 250ms"),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after("try again in 3 seconds"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse_retry_after("try again in 3 minutes"), None);
        assert_eq!(parse_retry_after("try again later"), None);
        assert_eq!(
            parse_retry_after("try again in x, try again in 2s"),
            Some(Duration::from_secs(2))
        );
        // Too long for a Duration: saturates (see `absurd_delays_saturate`).
        assert_eq!(
            parse_retry_after("try again in 99999999999999999999999999s"),
            Some(Duration::MAX)
        );
    }

    #[test]
    fn codes() {
        let f = ResponseFailure::new(
            Some("rate_limit_exceeded".into()),
            Some("try again in 1s".into()),
        );
        assert!(f.is_retryable());
        assert_eq!(f.retry_after, Some(Duration::from_secs(1)));
        let f = ResponseFailure::new(Some("slow_down".into()), Some("try again in 1s".into()));
        assert_eq!(f.code, FailureCode::RateLimitExceeded);
        assert!(f.is_retryable());
        assert_eq!(f.retry_after, Some(Duration::from_secs(1)));
        assert_eq!(
            FailureCode::from_code(Some("quota_exceeded")),
            FailureCode::InsufficientQuota
        );
        assert!(FailureCode::from_code(Some("new_code")).is_retryable());
    }

    #[test]
    fn absurd_delays_saturate() {
        assert_eq!(
            parse_retry_after("Please try again in 99999999999999999999999s."),
            Some(Duration::MAX)
        );
        let digits = "9".repeat(400);
        assert_eq!(
            parse_retry_after(&format!("try again in {digits}ms")),
            Some(Duration::MAX)
        );
    }
}
