//! Request identity as the official client 0.171 sends it (protocol §3.1, §3.4, §14.2):
//! UUIDv7 ids, the context window id, the turn metadata (header and `client_metadata`), the
//! routing hint and the beta-features header.
//!
//! Pure functions over plain values; [`crate::Responses::stream`] and
//! [`crate::Compact::run`] call [`Identity::headers`] and [`Identity::client_metadata`].

use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use http::HeaderName;
use http::HeaderValue;
use serde::Serialize;

use crate::options::RequestOptions;

/// `x-codex-turn-metadata`: the turn metadata as one compact JSON string.
pub(crate) const TURN_METADATA_HEADER: &str = "x-codex-turn-metadata";
/// `x-codex-window-id`: `<thread id>:<window number>`.
pub(crate) const WINDOW_ID_HEADER: &str = "x-codex-window-id";
/// `x-codex-installation-id` (header on compaction, `client_metadata` key on turns).
pub(crate) const INSTALLATION_ID_KEY: &str = "x-codex-installation-id";
/// `x-codex-routing-hint: model=<slug>[;tier=<tier>]`.
pub(crate) const ROUTING_HINT_HEADER: &str = "x-codex-routing-hint";
/// `x-codex-beta-features`: comma-separated feature keys.
pub(crate) const BETA_FEATURES_HEADER: &str = "x-codex-beta-features";

/// A new UUID version 7 (RFC 9562: 48 bits of Unix milliseconds, then random bits), as the
/// official client uses for thread, session and turn ids. Ids made later sort later.
pub fn new_uuid_v7() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    uuid_v7_from(u64::try_from(ms).unwrap_or(u64::MAX), rand::random())
}

/// The UUIDv7 for `unix_ms` with these random bits (sans-IO core of [`new_uuid_v7`]).
pub(crate) fn uuid_v7_from(unix_ms: u64, random: [u8; 10]) -> String {
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    b[6..].copy_from_slice(&random);
    format_uuid(b, 0x70)
}

/// A new random UUID version 4, as the official client writes into its `installation_id`
/// file.
pub fn new_uuid_v4() -> String {
    format_uuid(rand::random(), 0x40)
}

/// Sets the version nibble and the RFC 9562 variant, then formats `8-4-4-4-12` lowercase.
fn format_uuid(mut b: [u8; 16], version: u8) -> String {
    b[6] = (b[6] & 0x0f) | version;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

/// What a request does, as `request_kind` in the turn metadata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// A model turn, or a tool follow-up of one (`turn`).
    #[default]
    Turn,
    /// A compaction of the history (`compaction`); the window number goes up after it.
    Compaction,
}

impl RequestKind {
    /// `turn` or `compaction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Turn => "turn",
            Self::Compaction => "compaction",
        }
    }
}

/// The turn metadata object (protocol §3.4), in the official client's key order.
#[derive(Debug, Serialize)]
struct TurnMetadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    installation_id: Option<&'a str>,
    session_id: &'a str,
    thread_id: &'a str,
    turn_id: &'a str,
    window_id: &'a str,
    window_number: u64,
    request_kind: &'static str,
    model: &'a str,
    reasoning_effort: Option<&'a str>,
    turn_started_at_unix_ms: u64,
}

/// The identity of one request, resolved from the client settings, the request options and
/// the request body.
#[derive(Debug)]
pub(crate) struct Identity {
    /// The routing hint (always, when the model makes a valid header value).
    routing_hint: Option<HeaderValue>,
    /// Beta features (client-wide, then per request), comma-joined.
    beta_features: Option<HeaderValue>,
    /// Window id and turn metadata (only with a conversation id).
    turn: Option<TurnIdentity>,
}

#[derive(Debug)]
struct TurnIdentity {
    window_id: String,
    metadata: String,
}

/// The request facts the identity needs.
#[derive(Debug)]
pub(crate) struct RequestFacts<'a> {
    pub(crate) model: &'a str,
    pub(crate) service_tier: Option<&'a str>,
    pub(crate) reasoning_effort: Option<&'a str>,
}

impl Identity {
    pub(crate) fn resolve(
        installation_id: Option<&str>,
        client_beta: &[String],
        opts: &RequestOptions,
        facts: &RequestFacts<'_>,
    ) -> Self {
        let hint = match facts.service_tier {
            Some(tier) => format!("model={};tier={tier}", facts.model),
            None => format!("model={}", facts.model),
        };
        let beta: Vec<&str> = client_beta
            .iter()
            .chain(opts.beta_features.iter())
            .map(String::as_str)
            .filter(|f| !f.is_empty())
            .fold(Vec::new(), |mut acc, f| {
                if !acc.contains(&f) {
                    acc.push(f);
                }
                acc
            });
        let turn = opts.conversation_id().map(|thread| {
            let window_id = format!("{thread}:{}", opts.window_number);
            let turn_id = opts.turn_id.clone().unwrap_or_else(new_uuid_v7);
            let started = opts.turn_started_at.unwrap_or_else(SystemTime::now);
            let started_ms = started
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0);
            let metadata = TurnMetadata {
                installation_id,
                session_id: thread,
                thread_id: thread,
                turn_id: &turn_id,
                window_id: &window_id,
                window_number: opts.window_number,
                request_kind: opts.request_kind.as_str(),
                model: facts.model,
                reasoning_effort: facts.reasoning_effort,
                turn_started_at_unix_ms: started_ms,
            };
            // Serializing plain strings and integers cannot fail.
            let metadata = serde_json::to_string(&metadata).unwrap_or_default();
            TurnIdentity {
                window_id,
                metadata,
            }
        });
        Self {
            routing_hint: HeaderValue::from_str(&hint).ok(),
            beta_features: (!beta.is_empty())
                .then(|| HeaderValue::from_str(&beta.join(",")).ok())
                .flatten(),
            turn,
        }
    }

    /// The identity headers of this request.
    pub(crate) fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::new();
        if let Some(v) = &self.routing_hint {
            out.push((HeaderName::from_static(ROUTING_HINT_HEADER), v.clone()));
        }
        if let Some(t) = &self.turn {
            for (name, value) in [
                (WINDOW_ID_HEADER, &t.window_id),
                (TURN_METADATA_HEADER, &t.metadata),
            ] {
                if let Ok(v) = HeaderValue::from_str(value) {
                    out.push((HeaderName::from_static(name), v));
                }
            }
        }
        if let Some(v) = &self.beta_features {
            out.push((HeaderName::from_static(BETA_FEATURES_HEADER), v.clone()));
        }
        out
    }

    /// The `client_metadata` entries of a `/responses` body: the installation id, the window
    /// id and the same turn metadata string as the header.
    pub(crate) fn client_metadata(&self, installation_id: Option<&str>) -> Vec<(&str, String)> {
        let mut out = Vec::new();
        if let Some(id) = installation_id {
            out.push((INSTALLATION_ID_KEY, id.to_owned()));
        }
        if let Some(t) = &self.turn {
            out.push((WINDOW_ID_HEADER, t.window_id.clone()));
            out.push((TURN_METADATA_HEADER, t.metadata.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn uuid_v7_layout() {
        let id = uuid_v7_from(0x0189_0a1b_2c3d, [0xff; 10]);
        assert_eq!(id, "01890a1b-2c3d-7fff-bfff-ffffffffffff");
        let id = uuid_v7_from(1, [0; 10]);
        assert_eq!(id, "00000000-0001-7000-8000-000000000000");
        let a = new_uuid_v7();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        let v4 = new_uuid_v4();
        assert_eq!(&v4[14..15], "4");
    }

    #[test]
    fn metadata_and_headers() {
        let opts = RequestOptions::builder()
            .conversation_id("t1")
            .turn_id("u1")
            .window_number(2)
            .request_kind(RequestKind::Compaction)
            .turn_started_at(UNIX_EPOCH + std::time::Duration::from_millis(1234))
            .beta_feature("remote_compaction_v2")
            .build();
        let facts = RequestFacts {
            model: "gpt-5.4",
            service_tier: Some("priority"),
            reasoning_effort: Some("max"),
        };
        let id = Identity::resolve(Some("inst"), &["a".into()], &opts, &facts);
        let h: Vec<(String, String)> = id
            .headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            h[0],
            (
                ROUTING_HINT_HEADER.into(),
                "model=gpt-5.4;tier=priority".into()
            )
        );
        assert_eq!(h[1], (WINDOW_ID_HEADER.into(), "t1:2".into()));
        assert_eq!(
            h[2].1,
            r#"{"installation_id":"inst","session_id":"t1","thread_id":"t1","turn_id":"u1","window_id":"t1:2","window_number":2,"request_kind":"compaction","model":"gpt-5.4","reasoning_effort":"max","turn_started_at_unix_ms":1234}"#
        );
        assert_eq!(
            h[3],
            (BETA_FEATURES_HEADER.into(), "a,remote_compaction_v2".into())
        );
        let none = Identity::resolve(None, &[], &RequestOptions::default(), &facts);
        assert_eq!(none.headers().len(), 1);
        assert!(none.client_metadata(None).is_empty());
    }
}
