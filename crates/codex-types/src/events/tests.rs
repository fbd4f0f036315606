//! Unit tests of event decoding.

use bytes::Bytes;

use super::payloads::IdText;
use super::*;

fn dec(s: &str) -> Result<ResponseEvent, DecodeError> {
    ResponseEvent::decode(&Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn delta_zero_copy_and_escaped() {
    let data = Bytes::from_static(br#"{"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"word ","logprobs":[],"obfuscation":"xyz"}"#);
    let ev = ResponseEvent::decode(&data).unwrap();
    let ResponseEvent::OutputTextDelta(d) = &ev else {
        panic!("{ev:?}")
    };
    assert_eq!(d.delta, "word ");
    let p = d.delta.as_bytes().as_ptr() as usize;
    assert!(p >= data.as_ptr() as usize && p < data.as_ptr() as usize + data.len());
    assert_eq!(ev.sequence_number(), Some(7));
    assert_eq!(ev.raw_json(), std::str::from_utf8(&data).unwrap());
    let ev = dec(r#"{ "delta":"a\nb\u00e9", "type":"response.output_text.delta"}"#).unwrap();
    let ResponseEvent::OutputTextDelta(d) = ev else {
        panic!()
    };
    assert_eq!(d.delta, "a\nbé");
}

#[test]
fn errors_name_the_type() {
    let e = dec(r#"{"type":"response.output_text.delta","delta":5}"#).unwrap_err();
    assert_eq!(e.kind(), DecodeErrorKind::InvalidEvent);
    assert_eq!(e.event_type(), Some("response.output_text.delta"));
    assert!(e.raw().contains("delta"));
    let e = dec(r#"{"type":"response.output_text.delta","delta":"x"#).unwrap_err();
    assert_eq!(e.kind(), DecodeErrorKind::InvalidJson);
    assert_eq!(e.event_type(), None);
    assert_eq!(dec("[1]").unwrap_err().kind(), DecodeErrorKind::MissingType);
    assert_eq!(dec("{}").unwrap_err().kind(), DecodeErrorKind::MissingType);
    assert_eq!(
        dec("nope").unwrap_err().kind(),
        DecodeErrorKind::InvalidJson
    );
    assert_eq!(
        dec(r#"{"type":"x.y", bad"#).unwrap_err().kind(),
        DecodeErrorKind::InvalidJson
    );
    let e = dec(r#"{"type":"response.reasoning_summary_text.delta","delta":"x"}"#).unwrap_err();
    assert!(e.message().contains("summary_index"));
    let e = dec(r#"{"type":"response.output_item.done"}"#).unwrap_err();
    assert_eq!(e.event_type(), Some("response.output_item.done"));
    let e = ResponseEvent::decode(&Bytes::from_static(b"{\"type\":\"\xff\"}")).unwrap_err();
    assert_eq!(e.kind(), DecodeErrorKind::InvalidUtf8);
}

#[test]
fn from_sse_matches_decode_and_ids_are_ranges_or_owned() {
    let data = Bytes::from_static(
        br#"{"type":"response.custom_tool_call_input.delta","item_id":"ct_1","call_id":"c\u00e9","delta":"x"}"#,
    );
    let ev = ResponseEvent::from_sse(&codex_sse::Event::new("", data.clone())).unwrap();
    assert_eq!(ev, ResponseEvent::decode(&data).unwrap());
    let ResponseEvent::CustomToolCallInputDelta(d) = &ev else {
        panic!("{ev:?}")
    };
    assert_eq!((d.item_id(), d.call_id()), (Some("ct_1"), Some("c\u{e9}")));
    assert!(matches!(d.item_id, IdText::Raw { .. }));
    assert!(matches!(d.call_id, IdText::Owned(_)));
    assert!(format!("{d:?}").contains("item_id: Some(\"ct_1\")"));
    let bad = codex_sse::Event::new("", Bytes::from_static(b"{\"type\":\"\xff\"}"));
    let e = ResponseEvent::from_sse(&bad).unwrap_err();
    assert_eq!(e.kind(), DecodeErrorKind::InvalidUtf8);
}

#[test]
fn unknown_and_failed() {
    let ev = dec(r#"{"type":"response.web_search_call.searching","item_id":"ws_1"}"#).unwrap();
    assert!(
        matches!(&ev, ResponseEvent::Unknown { kind, .. } if kind == "response.web_search_call.searching")
    );
    let ev = dec(r#"{"type":"response.failed","sequence_number":3,"response":{"id":"r","error":{"code":"rate_limit_exceeded","message":"Please try again in 11.054s."}}}"#).unwrap();
    let ResponseEvent::Failed(f) = ev else {
        panic!()
    };
    assert_eq!(
        f.failure.retry_after,
        Some(std::time::Duration::from_secs_f64(11.054))
    );
    assert_eq!(f.failure.response_id.as_deref(), Some("r"));
    let ev = dec(r#"{"type":"response.failed"}"#).unwrap();
    let ResponseEvent::Failed(f) = ev else {
        panic!()
    };
    assert!(f.failure.is_retryable());
}

#[test]
fn failure_payloads_with_wrongly_typed_optional_fields_still_decode() {
    let raw = r#"{"type":"response.failed","response":{"id":"r","error":{"code":"usage_limit_reached","message":"limit","param":5,"plan_type":7,"resets_at":1738888888.5}}}"#;
    let ResponseEvent::Failed(f) = dec(raw).unwrap() else {
        panic!()
    };
    assert_eq!(f.failure.raw_code.as_deref(), Some("usage_limit_reached"));
    assert_eq!(f.failure.message.as_deref(), Some("limit"));
    assert_eq!(f.failure.resets_at, Some(1_738_888_888));
    assert_eq!(f.raw_json(), raw);
    for resets in ["\"1738888888\"", "1e300", "-1e300", "\"soon\"", "{}", "[1]"] {
        let raw = format!(
            r#"{{"type":"response.failed","response":{{"error":{{"code":"context_length_exceeded","resets_at":{resets}}}}}}}"#
        );
        let ResponseEvent::Failed(f) = dec(&raw).unwrap() else {
            panic!("{raw}")
        };
        assert_eq!(
            f.failure.code,
            crate::FailureCode::ContextLengthExceeded,
            "{raw}"
        );
    }
    // The error object itself of the wrong type: the failure is kept (code missing).
    let ResponseEvent::Failed(f) =
        dec(r#"{"type":"response.failed","response":{"error":"boom"}}"#).unwrap()
    else {
        panic!()
    };
    assert_eq!(f.failure.code, crate::FailureCode::Missing);
    let raw = r#"{"type":"error","code":"rate_limit_exceeded","message":"slow","param":{"a":1},"status":"abc","headers":[1],"error":{"type":"x","resets_at":"later"}}"#;
    let ResponseEvent::Error(e) = dec(raw).unwrap() else {
        panic!()
    };
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(e.message.as_deref(), Some("slow"));
    assert_eq!(
        (e.param.as_deref(), e.status, e.resets_at),
        (None, None, None)
    );
    assert_eq!(e.raw_json(), raw);
}

mod size_guard {
    /// Events move through every stream consumer: rare, large payloads are boxed so the
    /// enum stays close to the size of a text delta.
    #[test]
    fn event_stays_small() {
        assert!(std::mem::size_of::<crate::ResponseEvent>() <= 192);
    }
}
