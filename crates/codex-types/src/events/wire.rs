//! Borrowed wire structs that event payloads deserialize into, and the conversions from them.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Map;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::SharedStr;
use crate::api_error::ErrorObj;
use crate::failure::ResponseFailure;
use crate::items::ContentPart;
use crate::items::ResponseItem;
use crate::usage::Usage;
use crate::usage::UsageMetadata;

use super::payloads::ResponseObject;

/// A string that borrows from the input when it had no escapes.
pub(super) struct BStr<'a>(pub(super) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(BStr)
    }
}

pub(super) fn share(data: &Bytes, s: BStr<'_>) -> SharedStr {
    match s.0 {
        Cow::Borrowed(b) => SharedStr::slice_of(data, b),
        Cow::Owned(o) => SharedStr::from(o),
    }
}

pub(super) fn share_opt(data: &Bytes, s: Option<BStr<'_>>) -> Option<SharedStr> {
    s.map(|s| share(data, s))
}

#[derive(Deserialize)]
pub(super) struct DeltaWire<'a> {
    #[serde(borrow)]
    pub(super) delta: BStr<'a>,
    #[serde(borrow, default)]
    pub(super) item_id: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) output_index: Option<u32>,
    #[serde(default)]
    pub(super) content_index: Option<u32>,
    #[serde(default)]
    pub(super) summary_index: Option<u32>,
    #[serde(borrow, default)]
    pub(super) call_id: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct DoneWire<'a> {
    #[serde(borrow, alias = "arguments", alias = "input")]
    pub(super) text: BStr<'a>,
    #[serde(borrow, default)]
    pub(super) item_id: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) output_index: Option<u32>,
    #[serde(default)]
    pub(super) content_index: Option<u32>,
    #[serde(default)]
    pub(super) summary_index: Option<u32>,
    #[serde(borrow, default)]
    pub(super) call_id: Option<BStr<'a>>,
    #[serde(borrow, default)]
    pub(super) name: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct ItemWire {
    pub(super) item: ResponseItem,
    #[serde(default)]
    pub(super) output_index: Option<u32>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct PartWire<'a> {
    pub(super) part: ContentPart,
    #[serde(borrow, default)]
    pub(super) item_id: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) output_index: Option<u32>,
    #[serde(default)]
    pub(super) content_index: Option<u32>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct SummaryPartWire<'a> {
    #[serde(default)]
    pub(super) part: Option<ContentPart>,
    #[serde(default)]
    pub(super) summary_index: Option<u32>,
    #[serde(borrow, default)]
    pub(super) item_id: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) output_index: Option<u32>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct IncompleteDetailsWire<'a> {
    #[serde(borrow, default)]
    pub(super) reason: Option<BStr<'a>>,
}

#[derive(Deserialize)]
pub(super) struct ResponseObjWire<'a> {
    #[serde(borrow, default)]
    pub(super) id: Option<BStr<'a>>,
    #[serde(borrow, default)]
    pub(super) status: Option<BStr<'a>>,
    #[serde(borrow, default)]
    pub(super) model: Option<BStr<'a>>,
    #[serde(default)]
    pub(super) usage: Option<Usage>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(super) end_turn: Option<bool>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(super) usage_metadata: Option<UsageMetadata>,
    #[serde(borrow, default)]
    pub(super) incomplete_details: Option<IncompleteDetailsWire<'a>>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(super) error: Option<ErrorObj>,
    #[serde(borrow, default)]
    pub(super) output: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct LifecycleWire<'a> {
    #[serde(borrow, default)]
    pub(super) response: Option<ResponseObjWire<'a>>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct ErrorEventWire {
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(super) error: Option<ErrorObj>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    pub(super) code: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    pub(super) message: Option<String>,
    #[serde(default, deserialize_with = "crate::lossless::lenient_text")]
    pub(super) param: Option<String>,
    #[serde(
        default,
        alias = "status_code",
        deserialize_with = "crate::lossless::lenient_status"
    )]
    pub(super) status: Option<u16>,
    #[serde(default, deserialize_with = "crate::lossless::lenient")]
    pub(super) headers: Option<Map<String, Value>>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct MetadataWire {
    #[serde(default)]
    pub(super) response_id: Option<String>,
    #[serde(default)]
    pub(super) headers: Option<Map<String, Value>>,
    #[serde(default)]
    pub(super) metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub(super) sequence_number: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct TypeProbe<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(super) kind: Option<BStr<'a>>,
}

/// Reads the `type` value when it is the first key and has no escapes (the common case);
/// also returns the offset just past its closing quote.
pub(super) fn peek_type(s: &str) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    let ws = |b: &[u8], mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    i = ws(b, i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    if !b[i..].starts_with(b"\"type\"") {
        return None;
    }
    i = ws(b, i + 6);
    if b.get(i) != Some(&b':') {
        return None;
    }
    i = ws(b, i + 1);
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let end = start + crate::fast::special_offset(b.get(start..)?)?;
    if b[end] != b'"' {
        return None;
    }
    Some((s.get(start..end)?, end + 1))
}

pub(super) fn convert_response(
    data: &Bytes,
    r: ResponseObjWire<'_>,
) -> (ResponseObject, Option<ErrorObj>) {
    let output = r.output.map(|raw| SharedStr::slice_of(data, raw.get()));
    (
        ResponseObject {
            id: share_opt(data, r.id),
            status: share_opt(data, r.status),
            model: share_opt(data, r.model),
            usage: r.usage,
            end_turn: r.end_turn,
            usage_metadata: r.usage_metadata,
            incomplete_reason: r.incomplete_details.and_then(|d| share_opt(data, d.reason)),
            output,
        },
        r.error,
    )
}

pub(super) fn failure_from(
    err: Option<ErrorObj>,
    response_id: Option<&SharedStr>,
) -> ResponseFailure {
    let mut f = ResponseFailure::from_obj(err.unwrap_or_default());
    f.response_id = response_id.map(|s| s.to_string());
    f
}
