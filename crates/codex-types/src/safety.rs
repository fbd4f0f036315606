//! Safety buffering (protocol §14.5): the server may hold output back for a safety check.
//! It says so in response headers (`x-codex-safety-buffering-*`) and in a `safety_buffering`
//! object that any event may carry. Both are data for the caller (e.g. to show "checking…"
//! or offer a faster model), never errors.

use http::HeaderMap;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// The `x-codex-safety-buffering-*` response headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SafetyBufferingHeaders {
    /// `x-codex-safety-buffering-enabled: true`: output may be buffered for a safety check.
    pub enabled: bool,
    /// `x-codex-safety-buffering-faster-model`: a model the server suggests instead (only
    /// read when enabled).
    pub faster_model: Option<String>,
    /// `x-codex-safety-buffering-learn-more-link` (only read when enabled).
    pub learn_more_link: Option<String>,
}

impl SafetyBufferingHeaders {
    /// Reads the headers; `None` when `x-codex-safety-buffering-enabled` is absent.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let enabled = text("x-codex-safety-buffering-enabled")?.eq_ignore_ascii_case("true");
        let when_enabled = |name: &str| {
            enabled
                .then(|| text(name))
                .flatten()
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Some(Self {
            enabled,
            faster_model: when_enabled("x-codex-safety-buffering-faster-model"),
            learn_more_link: when_enabled("x-codex-safety-buffering-learn-more-link"),
        })
    }
}

/// The `safety_buffering` object an event may carry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SafetyBuffering {
    /// `use_cases`.
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub use_cases: Vec<String>,
    /// `reasons`.
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub reasons: Vec<String>,
    /// `retry_model`: a model to send the turn to instead.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lossless::lenient_text"
    )]
    pub retry_model: Option<String>,
}

impl SafetyBuffering {
    /// The `safety_buffering` object of an event's JSON text (top level, or inside its
    /// `response`), when present and an object. Cheap when absent: the text is searched for
    /// the key before any parsing.
    pub fn from_event_json(raw: &str) -> Option<Self> {
        memchr::memmem::find(raw.as_bytes(), b"\"safety_buffering\"")?;
        let v: Value = serde_json::from_str(raw).ok()?;
        let obj = v
            .get("safety_buffering")
            .or_else(|| v.get("response")?.get("safety_buffering"))?;
        if !obj.is_object() {
            return None;
        }
        SafetyBuffering::deserialize(obj).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let mut h = HeaderMap::new();
        assert_eq!(SafetyBufferingHeaders::from_headers(&h), None);
        h.insert("x-codex-safety-buffering-enabled", "TRUE".parse().unwrap());
        h.insert(
            "x-codex-safety-buffering-faster-model",
            "gpt-fast".parse().unwrap(),
        );
        h.insert(
            "x-codex-safety-buffering-learn-more-link",
            "https://example.com/s".parse().unwrap(),
        );
        let s = SafetyBufferingHeaders::from_headers(&h).unwrap();
        assert!(s.enabled);
        assert_eq!(s.faster_model.as_deref(), Some("gpt-fast"));
        assert_eq!(s.learn_more_link.as_deref(), Some("https://example.com/s"));
        h.insert("x-codex-safety-buffering-enabled", "false".parse().unwrap());
        let s = SafetyBufferingHeaders::from_headers(&h).unwrap();
        assert!(!s.enabled);
        assert_eq!(s.faster_model, None);
    }

    #[test]
    fn event_objects() {
        let s = SafetyBuffering::from_event_json(
            r#"{"type":"response.output_text.delta","delta":"x","safety_buffering":{"use_cases":["cyber"],"reasons":["r"],"retry_model":"gpt-fast"}}"#,
        )
        .unwrap();
        assert_eq!(s.use_cases, ["cyber"]);
        assert_eq!(s.reasons, ["r"]);
        assert_eq!(s.retry_model.as_deref(), Some("gpt-fast"));
        let s = SafetyBuffering::from_event_json(
            r#"{"type":"response.created","response":{"id":"r","safety_buffering":{"reasons":7}}}"#,
        )
        .unwrap();
        assert!(s.reasons.is_empty());
        assert_eq!(SafetyBuffering::from_event_json(r#"{"type":"x"}"#), None);
        assert_eq!(
            SafetyBuffering::from_event_json(r#"{"type":"x","safety_buffering":null}"#),
            None
        );
    }
}
