//! Realtime WebRTC calls (protocol §7.5): session config and call result.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

/// The `session` JSON part of a realtime call request. Default (as the seed SDK sends):
/// `{"type":"realtime","model":"gpt-realtime-1.5","instructions":"","audio":{"output":{"voice":"marin"}}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RealtimeSession {
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Model.
    pub model: String,
    /// Instructions.
    pub instructions: String,
    /// Audio settings.
    pub audio: Value,
    /// Other session keys, sent verbatim (an `id` key is never sent).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for RealtimeSession {
    fn default() -> Self {
        RealtimeSession {
            kind: "realtime".to_owned(),
            model: "gpt-realtime-1.5".to_owned(),
            instructions: String::new(),
            audio: serde_json::json!({"output": {"voice": "marin"}}),
            extra: Map::new(),
        }
    }
}

impl RealtimeSession {
    /// The default session with another model.
    pub fn new(model: impl Into<String>) -> Self {
        RealtimeSession {
            model: model.into(),
            ..RealtimeSession::default()
        }
    }

    /// Sets the instructions.
    #[must_use]
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = instructions.into();
        self
    }

    /// Sets the output voice.
    #[must_use]
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.audio = serde_json::json!({"output": {"voice": voice.into()}});
        self
    }

    /// The JSON sent as the `session` part (without any `id`).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("id");
        }
        v
    }
}

/// The result of creating a realtime call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RealtimeCall {
    /// `rtc_…` id from the `Location` header.
    pub call_id: String,
    /// The SDP answer (response body).
    pub sdp_answer: String,
}

impl RealtimeCall {
    /// A call result.
    pub fn new(call_id: impl Into<String>, sdp_answer: impl Into<String>) -> Self {
        RealtimeCall {
            call_id: call_id.into(),
            sdp_answer: sdp_answer.into(),
        }
    }
}

/// The call id from a `Location` header: drop the query, split on `/`, take the last
/// segment starting with `rtc_` and longer than 4 characters.
pub fn call_id_from_location(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next().unwrap_or_default();
    path.split('/')
        .rev()
        .find(|seg| seg.starts_with("rtc_") && seg.len() > 4)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location() {
        assert_eq!(
            call_id_from_location("/v1/realtime/calls/rtc_abc?x=1").as_deref(),
            Some("rtc_abc")
        );
        assert_eq!(
            call_id_from_location("https://h/v1/realtime/calls/calls/rtc_1/").as_deref(),
            Some("rtc_1")
        );
        assert_eq!(call_id_from_location("/v1/realtime/calls/rtc_"), None);
        assert_eq!(call_id_from_location(""), None);
        let s = RealtimeSession::default().to_json();
        assert_eq!(
            s,
            serde_json::json!({"type":"realtime","model":"gpt-realtime-1.5","instructions":"","audio":{"output":{"voice":"marin"}}})
        );
    }
}
