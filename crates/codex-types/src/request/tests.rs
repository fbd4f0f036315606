//! Unit tests of request building, validation and serialization.

use super::*;
use crate::items::FunctionCall;
use crate::tools::WebSearchTool;
use serde_json::json;

#[test]
fn ultra_effort_goes_on_the_wire_as_max() {
    let req = ResponsesRequest::builder("gpt-5.4")
        .push_input(ResponseItem::user_text("hi"))
        .reasoning(Reasoning::effort(ReasoningEffort::Ultra))
        .build()
        .unwrap();
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(v["reasoning"]["effort"], "max");
    let c = serde_json::to_value(CompactRequest::from_request(&req)).unwrap();
    assert_eq!(c["reasoning"]["effort"], "max");
    assert_eq!(ReasoningEffort::Ultra.wire_str(), "max");
    assert_eq!(ReasoningEffort::High.wire_str(), "high");
    // Reading keeps what was written: a catalog's `ultra` stays Ultra.
    assert_eq!(ReasoningEffort::parse("ultra"), ReasoningEffort::Ultra);
}

#[test]
fn wire_defaults() {
    let req = ResponsesRequest::new("gpt-5.4", vec![ResponseItem::user_text("hi")]).unwrap();
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(
        v,
        json!({"model":"gpt-5.4","instructions":"","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],
               "tools":[],"tool_choice":"none","parallel_tool_calls":false,"store":false,"stream":true,"include":[]})
    );
    let back: ResponsesRequest = serde_json::from_value(v).unwrap();
    assert_eq!(back.model(), "gpt-5.4");
    assert_eq!(back.input().len(), 1);
}

#[test]
fn validation() {
    assert_eq!(
        ResponsesRequest::new(" ", vec![]).unwrap_err(),
        RequestError::EmptyModel
    );
    let err = ResponsesRequest::builder("m")
        .push_tool(WebSearchTool::new())
        .reasoning(Reasoning::effort(ReasoningEffort::Minimal))
        .build()
        .unwrap_err();
    assert_eq!(err, RequestError::WebSearchWithMinimalEffort);
    let call = FunctionCall::new(crate::items::CallId::new("c1"), "f", "{}");
    let err = ResponsesRequest::new("m", vec![call.output("x")]).unwrap_err();
    assert!(matches!(err, RequestError::OrphanToolOutput { .. }));
    let out = call.output("x");
    assert!(ResponsesRequest::new("m", vec![call.into(), out]).is_ok());
    let err = ResponsesRequest::builder("m")
        .json_schema(JsonSchemaFormat::new("bad name", json!({})))
        .build()
        .unwrap_err();
    assert!(matches!(err, RequestError::InvalidSchemaName(_)));
}

#[test]
fn every_call_needs_its_output() {
    let call = FunctionCall::new(crate::items::CallId::new("c1"), "f", "{}");
    let err = ResponsesRequest::new("m", vec![call.clone().into()]).unwrap_err();
    assert_eq!(
        err,
        RequestError::MissingToolOutput {
            kind: "function_call",
            output: "function_call_output",
            call_id: "c1".into()
        }
    );
    assert!(err.to_string().contains("append the tool result"), "{err}");
    let custom =
        crate::items::CustomToolCall::new(crate::items::CallId::new("k1"), "apply_patch", "*** x");
    let err = ResponsesRequest::new("m", vec![custom.clone().into()]).unwrap_err();
    assert!(matches!(
        err,
        RequestError::MissingToolOutput { kind: "custom_tool_call", ref call_id, .. } if call_id == "k1"
    ));
    // A custom output does not answer a function call of the same id.
    let err =
        ResponsesRequest::new("m", vec![call.clone().into(), custom.output("x")]).unwrap_err();
    assert!(matches!(err, RequestError::OrphanToolOutput { .. }));
    assert!(
        ResponsesRequest::new(
            "m",
            vec![
                call.clone().into(),
                custom.clone().into(),
                custom.output("ok"),
                call.output("ok"),
            ]
        )
        .is_ok()
    );
    // A compact request may end in unanswered calls, but not hold orphan outputs.
    let c = CompactRequest::new("m", vec![call.clone().into()]);
    assert!(c.validate().is_ok());
    let c = CompactRequest::new("m", vec![call.output("x")]);
    assert!(c.validate().is_err());
    assert_eq!(
        CompactRequest::new("", vec![]).validate(),
        Err(RequestError::EmptyModel)
    );
}

#[test]
fn extend_input_leaves_the_request_unchanged_on_error() {
    let call = FunctionCall::new(crate::items::CallId::new("c1"), "f", "{}");
    let mut req = ResponsesRequest::new("m", vec![ResponseItem::user_text("hi")]).unwrap();
    let err = req.extend_input(vec![call.clone().into()]).unwrap_err();
    assert!(matches!(err, RequestError::MissingToolOutput { .. }));
    assert_eq!(req.input().len(), 1);
    assert!(req.validate().is_ok());
    req.extend_input(vec![call.clone().into(), call.output("r")])
        .unwrap();
    assert_eq!(req.input().len(), 3);
}

#[test]
fn stream_options_access_programs_and_reasoning_context_roundtrip() {
    let obj = |v: serde_json::Value| v.as_object().unwrap().clone();
    let mut reasoning = Reasoning::effort(ReasoningEffort::Low);
    reasoning.context = Some("current_turn".into());
    let req = ResponsesRequest::builder("m")
        .stream_options(obj(
            json!({"reasoning_summary_delivery": "sequential_cutoff"}),
        ))
        .access_programs(obj(json!({"cyber": "standard"})))
        .reasoning(reasoning)
        .build()
        .unwrap();
    assert_eq!(
        req.stream_options().unwrap()["reasoning_summary_delivery"],
        "sequential_cutoff"
    );
    assert_eq!(req.access_programs().unwrap()["cyber"], "standard");
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(
        v["stream_options"],
        json!({"reasoning_summary_delivery": "sequential_cutoff"})
    );
    assert_eq!(v["access_programs"], json!({"cyber": "standard"}));
    assert_eq!(v["reasoning"]["context"], "current_turn");
    let back: ResponsesRequest = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back.stream_options(), req.stream_options());
    assert_eq!(back.access_programs(), req.access_programs());
    assert_eq!(back.reasoning(), req.reasoning());
    assert_eq!(serde_json::to_value(&back).unwrap(), v);
    // Not sent when unset.
    let plain = serde_json::to_value(ResponsesRequest::new("m", vec![]).unwrap()).unwrap();
    assert!(plain.get("stream_options").is_none());
    assert!(plain.get("access_programs").is_none());
    assert!(plain["reasoning"].get("context").is_none());
    // Compact carries access_programs from the turn request.
    let c = CompactRequest::from_request(&req);
    assert_eq!(
        serde_json::to_value(&c).unwrap()["access_programs"],
        json!({"cyber": "standard"})
    );
}

#[test]
fn tiers_and_reasoning() {
    assert_eq!(ServiceTier::parse("fast"), ServiceTier::Priority);
    assert_eq!(
        ReasoningEffort::parse("galaxy"),
        ReasoningEffort::Other("galaxy".into())
    );
    let req = ResponsesRequest::builder("m")
        .service_tier(ServiceTier::Default)
        .reasoning(Reasoning::effort(ReasoningEffort::High))
        .include_encrypted_reasoning(false)
        .tool_choice(ToolChoice::Function("f".into()))
        .build()
        .unwrap();
    let v = serde_json::to_value(&req).unwrap();
    assert!(v.get("service_tier").is_none());
    assert_eq!(v["include"], json!([]));
    assert_eq!(v["tool_choice"], json!({"type":"function","name":"f"}));
    let req = ResponsesRequest::builder("m")
        .service_tier(ServiceTier::parse("fast"))
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&req).unwrap()["service_tier"],
        "priority"
    );
}
