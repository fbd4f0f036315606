//! One handle per endpoint family: `client.responses()`, `client.models()`, `client.usage()`,
//! `client.compact()`, `client.realtime()`, `client.memories()`.

use bytes::Bytes;
use http::HeaderName;
use http::HeaderValue;
use http::header;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::identity::Identity;
use crate::identity::RequestFacts;
use crate::options::RequestOptions;
use crate::status;

mod compact;
mod memories;
mod models;
mod realtime;
mod responses;
mod usage;

pub use compact::Compact;
pub use memories::Memories;
pub use models::ModelCatalog;
pub use models::Models;
pub use realtime::Realtime;
pub use responses::Responses;
pub use usage::UsageEndpoint;

fn json_body<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::config(format!("cannot serialize the {what} request")).with_source(e))
}

/// A request refused before any network: [`ErrorKind::InvalidRequest`], never retryable,
/// with the [`codex_types::RequestError`] as its source.
fn invalid_request(what: &str, e: codex_types::RequestError) -> Error {
    Error::new(
        ErrorKind::InvalidRequest,
        format!("invalid {what} request (not sent): {e}"),
    )
    .with_source(e)
}

fn decode_json<T: DeserializeOwned>(
    what: &str,
    parts: &http::response::Parts,
    body: &[u8],
) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let offset = byte_offset(body, e.line(), e.column());
        Error::new(
            ErrorKind::Decode,
            format!("could not decode the {what} response"),
        )
        .with_source(e)
        .with(|d| {
            d.event_type = Some(what.to_owned());
            d.byte_offset = Some(offset);
            d.request_id = status::request_id(&parts.headers);
            d.status = Some(parts.status);
        })
    })
}

/// The byte offset of serde_json's 1-based line and column.
fn byte_offset(body: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = body
        .split(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)) as u64
}

const JSON: (HeaderName, HeaderValue) = (
    header::CONTENT_TYPE,
    HeaderValue::from_static("application/json"),
);

/// The identity of a `/responses` or compaction request (protocol §14.2).
fn identity_for(
    inner: &crate::client::ClientInner,
    opts: &RequestOptions,
    model: &str,
    tier: Option<&codex_types::ServiceTier>,
    reasoning: Option<&codex_types::Reasoning>,
) -> Identity {
    Identity::resolve(
        inner.cfg.installation_id.as_deref(),
        &inner.cfg.beta_features,
        opts,
        &RequestFacts {
            model,
            service_tier: tier
                .filter(|t| **t != codex_types::ServiceTier::Default)
                .map(|t| t.as_str()),
            reasoning_effort: reasoning
                .and_then(|r| r.effort.as_ref())
                .map(|e| e.wire_str()),
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_offsets_of_json_errors() {
        let body = b"{\n  \"a\": 1,\n  oops\n}";
        let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        let off = super::byte_offset(body, e.line(), e.column()) as usize;
        assert_eq!(&body[off..off + 1], b"o");
    }
}
