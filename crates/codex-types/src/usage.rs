//! Token usage (`response.completed`), the `GET /wham/usage` payload (protocol §7.4) and
//! plan types.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::lossless::lenient;
use crate::lossless::string_enum;

string_enum! {
    /// ChatGPT plan type; unknown plans keep their string.
    PlanType {
        /// `guest`.
        Guest = "guest",
        /// `free`.
        Free = "free",
        /// `go`.
        Go = "go",
        /// `plus`.
        Plus = "plus",
        /// `pro`.
        Pro = "pro",
        /// `promax`.
        ProMax = "promax",
        /// `prolite`.
        ProLite = "prolite",
        /// `free_workspace`.
        FreeWorkspace = "free_workspace",
        /// `team`.
        Team = "team",
        /// `self_serve_business_usage_based`.
        SelfServeBusinessUsageBased = "self_serve_business_usage_based",
        /// `business`.
        Business = "business",
        /// `enterprise_cbp_usage_based`.
        EnterpriseCbpUsageBased = "enterprise_cbp_usage_based",
        /// `education`.
        Education = "education",
        /// `quorum`.
        Quorum = "quorum",
        /// `k12`.
        K12 = "k12",
        /// `enterprise`.
        Enterprise = "enterprise",
        /// `edu`.
        Edu = "edu",
    }
}

/// Token usage of a response (protocol §5.3, `response.completed`). Missing numbers are 0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Input details (`null` on the wire = `None`).
    #[serde(default)]
    pub input_tokens_details: Option<InputTokensDetails>,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Output details (`null` on the wire = `None`).
    #[serde(default)]
    pub output_tokens_details: Option<OutputTokensDetails>,
    /// Total tokens.
    #[serde(default)]
    pub total_tokens: u64,
}

impl Usage {
    /// Usage with the given counts and no details.
    pub fn new(input_tokens: u64, output_tokens: u64, total_tokens: u64) -> Self {
        Usage {
            input_tokens,
            input_tokens_details: None,
            output_tokens,
            output_tokens_details: None,
            total_tokens,
        }
    }

    /// Cached input tokens (0 when not reported).
    pub fn cached_tokens(&self) -> u64 {
        self.input_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens)
    }

    /// Reasoning output tokens (0 when not reported).
    pub fn reasoning_tokens(&self) -> u64 {
        self.output_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens)
    }
}

/// `input_tokens_details`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InputTokensDetails {
    /// Tokens served from the prompt cache.
    #[serde(default)]
    pub cached_tokens: u64,
}

/// `output_tokens_details`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutputTokensDetails {
    /// Reasoning tokens.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

/// `GET https://chatgpt.com/backend-api/wham/usage` (RateLimitStatusPayload, §7.4). Lenient:
/// every field may be missing, `null` or of an unexpected shape (then it is defaulted);
/// unknown keys are kept in `extra`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsagePayload {
    /// Plan.
    #[serde(default, deserialize_with = "lenient")]
    pub plan_type: Option<PlanType>,
    /// Main (`codex`) limit.
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limit: Option<UsageRateLimit>,
    /// Credits.
    #[serde(default, deserialize_with = "lenient")]
    pub credits: Option<UsageCredits>,
    /// Other metered limits.
    #[serde(default, deserialize_with = "lenient")]
    pub additional_rate_limits: Option<Vec<AdditionalRateLimit>>,
    /// Why a limit was reached (`{"type": …}`).
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limit_reached_type: Option<RateLimitReachedType>,
    /// Code review limit (third-party clients read it).
    #[serde(default, deserialize_with = "lenient")]
    pub code_review_rate_limit: Option<UsageRateLimit>,
    /// Reset credits (a fork reads it), kept as JSON.
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limit_reset_credits: Option<Value>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A limit with its two windows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageRateLimit {
    /// Requests allowed.
    #[serde(default, deserialize_with = "lenient")]
    pub allowed: Option<bool>,
    /// Limit reached.
    #[serde(default, deserialize_with = "lenient")]
    pub limit_reached: Option<bool>,
    /// Short window.
    #[serde(default, deserialize_with = "lenient")]
    pub primary_window: Option<UsageWindow>,
    /// Long window.
    #[serde(default, deserialize_with = "lenient")]
    pub secondary_window: Option<UsageWindow>,
}

/// One usage window (integers as sent; seconds and epoch seconds).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageWindow {
    /// Percent used.
    #[serde(default, deserialize_with = "lenient")]
    pub used_percent: Option<f64>,
    /// Window length, seconds.
    #[serde(default, deserialize_with = "lenient")]
    pub limit_window_seconds: Option<u64>,
    /// Seconds until reset.
    #[serde(default, deserialize_with = "lenient")]
    pub reset_after_seconds: Option<u64>,
    /// Reset time, epoch seconds.
    #[serde(default, deserialize_with = "lenient")]
    pub reset_at: Option<i64>,
}

impl UsageWindow {
    /// Window length in minutes, rounded up (as codex-rs does).
    pub fn window_minutes(&self) -> Option<u64> {
        self.limit_window_seconds.map(|s| s.div_ceil(60))
    }
}

/// Credits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageCredits {
    /// Has credits.
    #[serde(default, deserialize_with = "lenient")]
    pub has_credits: Option<bool>,
    /// Unlimited.
    #[serde(default, deserialize_with = "lenient")]
    pub unlimited: Option<bool>,
    /// Balance (a decimal string).
    #[serde(default, deserialize_with = "lenient")]
    pub balance: Option<String>,
    /// Approximate local messages left.
    #[serde(default, deserialize_with = "lenient")]
    pub approx_local_messages: Option<Value>,
    /// Approximate cloud messages left.
    #[serde(default, deserialize_with = "lenient")]
    pub approx_cloud_messages: Option<Value>,
}

/// An entry of `additional_rate_limits`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdditionalRateLimit {
    /// Limit name.
    #[serde(default, deserialize_with = "lenient")]
    pub limit_name: Option<String>,
    /// Metered feature.
    #[serde(default, deserialize_with = "lenient")]
    pub metered_feature: Option<String>,
    /// The limit.
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limit: Option<UsageRateLimit>,
}

/// `rate_limit_reached_type`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RateLimitReachedType {
    /// `rate_limit_reached`, `workspace_owner_credits_depleted`, … (kept as sent).
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
}

/// `usage_metadata` of `response.completed` (protocol §14.5): billing and prompt-cache
/// details next to the token counts. Shapes the SDK does not interpret stay JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageMetadata {
    /// `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Value>,
    /// `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// `prompt_cache_diagnostics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_diagnostics: Option<Value>,
    /// `prompt_cache_options`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_options: Option<Value>,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_usage() {
        let p: UsagePayload = serde_json::from_str(
            r#"{"plan_type":"zeta","rate_limit":{"allowed":true,"primary_window":{"used_percent":42,"limit_window_seconds":18001},"secondary_window":null},
                "credits":"weird","additional_rate_limits":[{"limit_name":"codex_other","rate_limit":null}],"code_review_rate_limit":null,"new":1}"#,
        )
        .unwrap();
        assert_eq!(p.plan_type, Some(PlanType::Other("zeta".into())));
        let w = p.rate_limit.unwrap().primary_window.unwrap();
        assert_eq!(w.used_percent, Some(42.0));
        assert_eq!(w.window_minutes(), Some(301));
        assert_eq!(p.credits, None);
        assert_eq!(p.extra["new"], 1);
    }
}
