//! Rate-limit snapshots from the `x-codex-*` response headers and from the
//! `codex.rate_limits` stream event (protocol §8.2, §5.3).

use std::time::Duration;

use http::HeaderMap;
use serde::Deserialize;
use serde::Serialize;

use crate::lossless::lenient;
use crate::usage::PlanType;

/// The id of the default limit family.
pub const DEFAULT_LIMIT_ID: &str = "codex";

/// One limit family at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RateLimitSnapshot {
    /// Family id: `codex` for the default family, else the header infix with `-` → `_`
    /// (e.g. `codex_other`).
    pub limit_id: String,
    /// Display name (`x-<limit>-limit-name` or the event's `limit_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_name: Option<String>,
    /// Short window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<RateLimitWindow>,
    /// Long window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<RateLimitWindow>,
    /// Credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditsSnapshot>,
    /// Plan (from the event only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<PlanType>,
}

/// One window of a limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RateLimitWindow {
    /// Percent used (0–100).
    pub used_percent: f64,
    /// Window length in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u64>,
    /// Reset time, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<i64>,
    /// Time until reset (older `…-reset-after-seconds` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_after: Option<Duration>,
}

impl RateLimitWindow {
    /// A window.
    pub fn new(used_percent: f64, window_minutes: Option<u64>, resets_at: Option<i64>) -> Self {
        RateLimitWindow {
            used_percent,
            window_minutes,
            resets_at,
            reset_after: None,
        }
    }
}

/// Credits state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreditsSnapshot {
    /// Has credits.
    pub has_credits: bool,
    /// Unlimited credits.
    pub unlimited: bool,
    /// Balance, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<String>,
}

/// Every limit family found in one set of headers, plus the 429 context headers.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RateLimits {
    /// Snapshots, `codex` first when present.
    pub snapshots: Vec<RateLimitSnapshot>,
    /// `x-codex-active-limit`: the family that tripped a 429.
    pub active_limit: Option<String>,
    /// `x-codex-promo-message`.
    pub promo_message: Option<String>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn window(h: &HeaderMap, prefix: &str, which: &str) -> Option<RateLimitWindow> {
    let used: f64 = header(h, &format!("{prefix}-{which}-used-percent"))?
        .parse()
        .ok()?;
    if !used.is_finite() {
        return None;
    }
    let minutes: Option<u64> =
        header(h, &format!("{prefix}-{which}-window-minutes")).and_then(|s| s.parse().ok());
    let resets_at: Option<i64> =
        header(h, &format!("{prefix}-{which}-reset-at")).and_then(|s| s.parse().ok());
    let reset_after = header(h, &format!("{prefix}-{which}-reset-after-seconds"))
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    let counts = used != 0.0
        || minutes.is_some_and(|m| m != 0)
        || resets_at.is_some()
        || reset_after.is_some();
    counts.then_some(RateLimitWindow {
        used_percent: used,
        window_minutes: minutes,
        resets_at,
        reset_after,
    })
}

fn family(h: &HeaderMap, prefix: &str, limit_id: &str) -> Option<RateLimitSnapshot> {
    let primary = window(h, prefix, "primary");
    let secondary = window(h, prefix, "secondary");
    let credits = header(h, &format!("{prefix}-credits-has-credits"))
        .and_then(parse_bool)
        .map(|has_credits| CreditsSnapshot {
            has_credits,
            unlimited: header(h, &format!("{prefix}-credits-unlimited"))
                .and_then(parse_bool)
                .unwrap_or(false),
            balance: header(h, &format!("{prefix}-credits-balance")).map(str::to_owned),
        });
    if primary.is_none() && secondary.is_none() && credits.is_none() {
        return None;
    }
    Some(RateLimitSnapshot {
        limit_id: limit_id.to_owned(),
        limit_name: header(h, &format!("{prefix}-limit-name")).map(str::to_owned),
        primary,
        secondary,
        credits,
        plan_type: None,
    })
}

impl RateLimitSnapshot {
    /// The default (`codex`) family from `x-codex-*` headers; `None` when no window counts
    /// and no credits header is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimitSnapshot> {
        family(headers, "x-codex", DEFAULT_LIMIT_ID)
    }
}

impl RateLimits {
    /// Every family present: `codex` plus any `x-<limit>-primary-used-percent` family.
    pub fn all_from_headers(headers: &HeaderMap) -> RateLimits {
        let mut ids: Vec<String> = Vec::new();
        for name in headers.keys() {
            let n = name.as_str();
            if let Some(mid) = n
                .strip_prefix("x-")
                .and_then(|r| r.strip_suffix("-primary-used-percent"))
                && !mid.is_empty()
                && !ids.iter().any(|i| i == mid)
            {
                ids.push(mid.to_owned());
            }
        }
        ids.sort_by_key(|i| (i != "codex", i.clone()));
        let mut snapshots = Vec::new();
        if !ids.iter().any(|i| i == "codex")
            && let Some(s) = RateLimitSnapshot::from_headers(headers)
        {
            snapshots.push(s);
        }
        for mid in ids {
            let id = mid.replace('-', "_");
            if let Some(s) = family(headers, &format!("x-{mid}"), &id) {
                snapshots.push(s);
            }
        }
        RateLimits {
            snapshots,
            active_limit: header(headers, "x-codex-active-limit").map(str::to_owned),
            promo_message: header(headers, "x-codex-promo-message").map(str::to_owned),
        }
    }

    /// The snapshot of family `limit_id`.
    pub fn get(&self, limit_id: &str) -> Option<&RateLimitSnapshot> {
        self.snapshots.iter().find(|s| s.limit_id == limit_id)
    }
}

/// Wire shape of the `codex.rate_limits` event (lenient).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RateLimitsWire {
    #[serde(default, deserialize_with = "lenient")]
    pub plan_type: Option<PlanType>,
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limits: Option<WindowsWire>,
    #[serde(default, deserialize_with = "lenient")]
    pub credits: Option<CreditsWire>,
    #[serde(default, deserialize_with = "lenient")]
    pub metered_limit_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub limit_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub sequence_number: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WindowsWire {
    #[serde(default, deserialize_with = "lenient")]
    primary: Option<WindowWire>,
    #[serde(default, deserialize_with = "lenient")]
    secondary: Option<WindowWire>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct WindowWire {
    #[serde(default, deserialize_with = "lenient")]
    used_percent: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    window_minutes: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    reset_at: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct CreditsWire {
    #[serde(default, deserialize_with = "lenient")]
    has_credits: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    unlimited: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    balance: Option<String>,
}

impl RateLimitsWire {
    pub(crate) fn snapshot(&self) -> RateLimitSnapshot {
        let win = |w: &Option<WindowWire>| {
            w.as_ref().and_then(|w| {
                w.used_percent
                    .map(|p| RateLimitWindow::new(p, w.window_minutes, w.reset_at))
            })
        };
        let (primary, secondary) = match &self.rate_limits {
            Some(r) => (win(&r.primary), win(&r.secondary)),
            None => (None, None),
        };
        let limit_id = self
            .metered_limit_name
            .as_deref()
            .or(self.limit_name.as_deref())
            .map(|s| s.trim().to_ascii_lowercase().replace('-', "_"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_LIMIT_ID.to_owned());
        RateLimitSnapshot {
            limit_id,
            limit_name: self.limit_name.clone(),
            primary,
            secondary,
            credits: self.credits.as_ref().and_then(|c| {
                c.has_credits.map(|has_credits| CreditsSnapshot {
                    has_credits,
                    unlimited: c.unlimited.unwrap_or(false),
                    balance: c.balance.clone(),
                })
            }),
            plan_type: self.plan_type.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn headers() {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("x-codex-primary-used-percent", "12.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-at", "1767225600"),
            ("x-codex-secondary-used-percent", "0"),
            ("x-codex-secondary-window-minutes", "0"),
            ("x-codex-credits-has-credits", "1"),
            ("x-codex-credits-unlimited", "false"),
            ("x-codex-other-primary-used-percent", "50"),
            ("x-codex-other-limit-name", "Other"),
            ("x-codex-active-limit", "codex_other"),
        ] {
            h.insert(name, HeaderValue::from_static(value));
        }
        let s = RateLimitSnapshot::from_headers(&h).unwrap();
        assert_eq!(s.primary.as_ref().unwrap().window_minutes, Some(300));
        assert_eq!(
            s.secondary, None,
            "0% with 0 minutes and no reset does not count"
        );
        assert!(s.credits.as_ref().unwrap().has_credits);
        let all = RateLimits::all_from_headers(&h);
        assert_eq!(all.snapshots.len(), 2);
        assert_eq!(all.snapshots[0].limit_id, "codex");
        let other = all.get("codex_other").unwrap();
        assert_eq!(other.limit_name.as_deref(), Some("Other"));
        assert_eq!(all.active_limit.as_deref(), Some("codex_other"));
        assert!(RateLimitSnapshot::from_headers(&HeaderMap::new()).is_none());
    }
}
