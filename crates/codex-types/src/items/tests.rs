//! Unit tests of item round trips and constructors.

use serde::Deserialize;
use serde_json::Value;

use super::*;

#[test]
fn kind_is_a_str_like_the_event_kind() {
    let item = ResponseItem::user_text("hi");
    let kind: &str = item.kind();
    assert_eq!(kind, "message");
    let legacy = ResponseItem::from_value(serde_json::json!({
        "type": "compaction_summary", "encrypted_content": "x"
    }));
    assert_eq!(legacy.kind(), "compaction_summary");
    let typeless = ResponseItem::from_value(serde_json::json!({"a": 1}));
    assert_eq!(typeless.kind(), "");
}
use serde_json::json;

fn roundtrip(v: Value) {
    let item: ResponseItem = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&item).unwrap(), v, "{item:?}");
}

#[test]
fn known_items_roundtrip_with_nulls_and_extras() {
    roundtrip(
        json!({"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"a"}],"content":null,"encrypted_content":null}),
    );
    roundtrip(
        json!({"type":"message","role":"assistant","id":"msg_1","status":"completed","content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}],"new_key":{"x":1}}),
    );
    roundtrip(
        json!({"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"x"},{"type":"input_image","image_url":"data:image/png;base64,AA","detail":"high"}]}),
    );
    roundtrip(json!({"type":"compaction_summary","encrypted_content":"abc"}));
    roundtrip(
        json!({"type":"local_shell_call","call_id":"c","status":"completed","action":{"type":"exec","command":["ls"],"timeout_ms":null}}),
    );
    roundtrip(
        json!({"type":"web_search_call","status":"completed","action":{"type":"search","query":"q","sources":[]}}),
    );
    roundtrip(json!({"type":"future_item","a":[1,2,{"b":null}]}));
    roundtrip(json!({"type":"function_call","name":5}));
}

#[test]
fn typed_access() {
    let item: ResponseItem =
        serde_json::from_value(json!({"type":"compaction_summary","encrypted_content":"abc"}))
            .unwrap();
    match &item {
        ResponseItem::Compaction(c) => assert!(c.is_legacy_summary()),
        other => panic!("{other:?}"),
    }
    let call = FunctionCall::new(CallId::new("c1"), "lookup", "{\"n\":3}");
    #[derive(Deserialize)]
    struct Args {
        n: u32,
    }
    assert_eq!(call.arguments_as::<Args>().unwrap().n, 3);
    let out = serde_json::to_value(call.output("[2,3,5]")).unwrap();
    assert_eq!(
        out,
        json!({"type":"function_call_output","call_id":"c1","output":"[2,3,5]"})
    );
    let img = serde_json::to_value(ContentPart::image_bytes(b"\x89PNG", "image/png")).unwrap();
    assert_eq!(
        img,
        json!({"type":"input_image","image_url":"data:image/png;base64,iVBORw=="})
    );
    assert!(matches!(
        ContentPart::image_file("/nonexistent/x.bmp", None),
        Err(ImageFileError::UnknownType { .. })
    ));
    assert!(matches!(
        ContentPart::image_file("/nonexistent/x.png", None),
        Err(ImageFileError::File(crate::FileReadError::Io { .. }))
    ));
}
