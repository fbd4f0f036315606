//! The incremental-turn rule, sans IO: which frame a request becomes on a connection that
//! already carried a response (protocol §6).
//!
//! A request is sent incrementally when it equals the previous request on the same
//! connection in every field except `input`, and its `input` starts with the previous input
//! followed by the items the server returned: only the items after that prefix are sent,
//! with `previous_response_id`. Nothing after the prefix is allowed (an empty `input`): the
//! request that follows a `generate: false` warm-up is the warm-up's own request, and goes
//! out as `previous_response_id` with `input: []`, as codex-rs does (`get_incremental_items`
//! with `allow_empty_delta`). Anything else is sent in full.
//!
//! Fields and items are compared as their JSON text ([`RawValue`]), which costs a scan of the
//! body instead of building a tree of it on every turn. Text equality is value equality here:
//! the bodies and the returned items are all written by the same `codex-types` serializers
//! (compact, fields in declaration order, maps sorted), so one item always has one text.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::value::RawValue;

/// Body fields that never take part in the comparison: the input itself, the fields of the
/// frame, and `client_metadata`, which carries per-turn identity (a new turn id each turn)
/// and is sent with every frame as it is.
const IGNORED: &[&str] = &[
    "input",
    "previous_response_id",
    "type",
    "generate",
    "client_metadata",
];

/// A request body as the transport compares and forwards it: each top-level field and each
/// `input` item as its JSON text.
#[derive(Debug)]
pub(crate) struct Body {
    /// Every field but `input`.
    fields: BTreeMap<String, Box<RawValue>>,
    /// The items of `input`.
    input: Vec<Box<RawValue>>,
}

impl Body {
    /// Splits a JSON object; `input`, when present, must be an array.
    pub(crate) fn parse(json: &[u8]) -> serde_json::Result<Self> {
        let mut fields: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(json)?;
        let input = match fields.remove("input") {
            Some(raw) => serde_json::from_str(raw.get())?,
            None => Vec::new(),
        };
        Ok(Self { fields, input })
    }

    /// The fields that must not change for a turn to go incremental.
    fn rest(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.get()))
    }
}

/// What a connection remembers of its last completed response.
#[derive(Clone, Debug)]
pub(crate) struct LastTurn {
    /// The full request body that produced it (never the incremental frame).
    body: Arc<Body>,
    /// The items the server returned.
    output: Vec<Box<RawValue>>,
    /// The id of the response that completed.
    response_id: String,
}

impl LastTurn {
    /// Remembers a completed response: the full request `body` that produced it, the items
    /// it returned and its id.
    pub(crate) fn new(body: Arc<Body>, output: Vec<Box<RawValue>>, response_id: String) -> Self {
        Self {
            body,
            output,
            response_id,
        }
    }
}

/// True when `body` would go incremental after `last`.
pub(crate) fn is_incremental(last: Option<&LastTurn>, body: &Body) -> bool {
    last.is_some_and(|l| new_items(l, body).is_some())
}

/// The `response.create` frame for `body` after `last` (`None`: a fresh connection or a
/// forced full resend), and whether it is incremental.
pub(crate) fn create_frame(
    last: Option<&LastTurn>,
    body: &Body,
    generate: Option<bool>,
) -> (String, bool) {
    let incremental = last.and_then(|l| new_items(l, body).map(|items| (l, items)));
    let input = incremental.map_or(body.input.as_slice(), |(_, items)| items);
    let mut frame = String::with_capacity(
        64 + body
            .fields
            .values()
            .map(|v| v.get().len() + 24)
            .sum::<usize>()
            + input.iter().map(|i| i.get().len() + 1).sum::<usize>(),
    );
    frame.push_str(r#"{"type":"response.create""#);
    for (k, v) in &body.fields {
        // The frame's own fields win over a body field of the same name.
        let own = match k.as_str() {
            "type" => true,
            "generate" => generate.is_some(),
            "previous_response_id" => incremental.is_some(),
            _ => false,
        };
        if !own {
            push_field(&mut frame, k, v.get());
        }
    }
    frame.push_str(r#","input":["#);
    for (n, item) in input.iter().enumerate() {
        if n > 0 {
            frame.push(',');
        }
        frame.push_str(item.get());
    }
    frame.push(']');
    if let Some((l, _)) = incremental {
        let id = serde_json::Value::from(l.response_id.as_str()).to_string();
        push_field(&mut frame, "previous_response_id", &id);
    }
    if let Some(g) = generate {
        push_field(&mut frame, "generate", if g { "true" } else { "false" });
    }
    frame.push('}');
    (frame, incremental.is_some())
}

/// Appends `,"key":value` (`value` is JSON text).
fn push_field(frame: &mut String, key: &str, value: &str) {
    frame.push(',');
    frame.push_str(&serde_json::Value::from(key).to_string());
    frame.push(':');
    frame.push_str(value);
}

/// The items `body` adds after `last`'s input and output (possibly none), when the rule
/// allows an incremental send.
fn new_items<'a>(last: &LastTurn, body: &'a Body) -> Option<&'a [Box<RawValue>]> {
    let (prev, output) = (&last.body.input, &last.output);
    let seen = prev.len() + output.len();
    let same = |a: &[Box<RawValue>], b: &[Box<RawValue>]| {
        a.iter().map(|x| x.get()).eq(b.iter().map(|y| y.get()))
    };
    let extends = body.input.len() >= seen
        && same(&body.input[..prev.len()], prev)
        && same(&body.input[prev.len()..seen], output);
    (extends && body.rest().eq(last.body.rest())).then(|| &body.input[seen..])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::Value;
    use serde_json::json;

    use super::*;

    fn body(v: Value) -> Body {
        Body::parse(v.to_string().as_bytes()).unwrap()
    }

    fn raw(v: Value) -> Box<RawValue> {
        RawValue::from_string(v.to_string()).unwrap()
    }

    fn user(t: &str) -> Value {
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]})
    }

    fn reply() -> Value {
        json!({"type": "message", "role": "assistant", "content": []})
    }

    fn last() -> LastTurn {
        let first = body(json!({"model": "m", "instructions": "i", "input": [user("a")]}));
        LastTurn::new(Arc::new(first), vec![raw(reply())], "resp_1".into())
    }

    fn frame(last: Option<&LastTurn>, b: &Body, generate: Option<bool>) -> (Value, bool) {
        let (text, inc) = create_frame(last, b, generate);
        (serde_json::from_str(&text).unwrap(), inc)
    }

    #[test]
    fn an_extension_sends_only_the_new_items() {
        let l = last();
        let next = body(
            json!({"model": "m", "instructions": "i", "input": [user("a"), reply(), user("b")]}),
        );
        assert!(is_incremental(Some(&l), &next));
        let (frame, inc) = frame(Some(&l), &next, None);
        assert!(inc);
        assert_eq!(
            frame,
            json!({"type": "response.create", "model": "m", "instructions": "i",
                "input": [user("b")], "previous_response_id": "resp_1"})
        );
    }

    #[test]
    fn client_metadata_changes_and_is_sent_as_it_is() {
        let l = last();
        let next = body(
            json!({"model": "m", "instructions": "i", "client_metadata": {"turn": "2"},
            "input": [user("a"), reply(), user("b")]}),
        );
        let (frame, inc) = frame(Some(&l), &next, None);
        assert!(inc);
        assert_eq!(frame["client_metadata"], json!({"turn": "2"}));
    }

    #[test]
    fn anything_else_is_sent_in_full() {
        let l = last();
        let cases = [
            // Changed instructions.
            json!({"model": "m", "instructions": "x", "input": [user("a"), reply(), user("b")]}),
            // Changed model.
            json!({"model": "n", "instructions": "i", "input": [user("a"), reply(), user("b")]}),
            // An extra option.
            json!({"model": "m", "instructions": "i", "tools": [], "input": [user("a"), reply(), user("b")]}),
            // An option left out.
            json!({"model": "m", "input": [user("a"), reply(), user("b")]}),
            // Edited history.
            json!({"model": "m", "instructions": "i", "input": [user("z"), reply(), user("b")]}),
            // The returned items left out.
            json!({"model": "m", "instructions": "i", "input": [user("a"), user("b")]}),
            // Shorter than the previous input and output.
            json!({"model": "m", "instructions": "i", "input": [user("a")]}),
        ];
        for c in cases {
            let b = body(c.clone());
            assert!(!is_incremental(Some(&l), &b), "{c}");
            let (frame, inc) = frame(Some(&l), &b, None);
            assert!(!inc, "{c}");
            assert!(frame.get("previous_response_id").is_none());
            assert_eq!(frame["input"], c["input"]);
            let mut want = c.clone();
            want["type"] = json!("response.create");
            assert_eq!(frame, want);
        }
        let (frame, inc) = frame(None, &body(json!({"model": "m", "input": []})), Some(false));
        assert!(!inc);
        assert_eq!(
            frame,
            json!({"type": "response.create", "model": "m", "input": [], "generate": false})
        );
    }

    #[test]
    fn nothing_new_is_an_empty_incremental_input() {
        // After a turn: its input and output again.
        let l = last();
        let same = body(json!({"model": "m", "instructions": "i", "input": [user("a"), reply()]}));
        let (f, inc) = frame(Some(&l), &same, None);
        assert!(inc);
        assert_eq!(
            f,
            json!({"type": "response.create", "model": "m", "instructions": "i",
                "input": [], "previous_response_id": "resp_1"})
        );
        // After a warm-up (no output): the same request.
        let warm = body(json!({"model": "m", "input": [user("a")]}));
        let l = LastTurn::new(Arc::new(warm), Vec::new(), "resp_warm".into());
        let again = body(json!({"model": "m", "input": [user("a")]}));
        assert!(is_incremental(Some(&l), &again));
        let (f, inc) = frame(Some(&l), &again, None);
        assert!(inc);
        assert_eq!(f["input"], json!([]));
        assert_eq!(f["previous_response_id"], "resp_warm");
        // Other options still send the full request.
        let other = body(json!({"model": "n", "input": [user("a")]}));
        assert!(!is_incremental(Some(&l), &other));
    }

    #[test]
    fn a_body_that_is_not_an_object_or_whose_input_is_not_an_array_is_refused() {
        assert!(Body::parse(b"[1]").is_err());
        assert!(Body::parse(br#"{"input": 3}"#).is_err());
        assert!(Body::parse(br#"{"model": "m"}"#).is_ok());
    }

    fn parse(text: &str) -> Body {
        Body::parse(text.as_bytes()).unwrap()
    }

    const A: &str =
        r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"a"}]}"#;
    const R: &str = r#"{"type":"message","role":"assistant","content":[]}"#;
    const B: &str =
        r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"b"}]}"#;

    /// The previous turn as the client wrote it: compact, fields in one order.
    fn last_raw() -> LastTurn {
        let first = parse(&format!(
            r#"{{"model":"m","instructions":"i","tools":[{{"type":"function","name":"shell"}}],"input":[{A}]}}"#
        ));
        LastTurn::new(
            Arc::new(first),
            vec![RawValue::from_string(R.to_owned()).unwrap()],
            "resp_1".into(),
        )
    }

    #[test]
    fn the_order_of_top_level_fields_does_not_matter() {
        let l = last_raw();
        let next = parse(&format!(
            r#"{{"input":[{A},{R},{B}],"tools":[{{"type":"function","name":"shell"}}],"instructions":"i","model":"m"}}"#
        ));
        let (frame, inc) = frame(Some(&l), &next, None);
        assert!(inc);
        assert_eq!(
            frame["input"],
            json!([serde_json::from_str::<Value>(B).unwrap()])
        );
    }

    #[test]
    fn an_earlier_item_written_differently_is_sent_in_full() {
        // Text comparison: the same item with its keys in another order, or with whitespace,
        // counts as an edit. Safe (the full request goes out); the client never writes an
        // item two ways, since every body comes from the same serializer.
        let l = last_raw();
        let reordered =
            r#"{"role":"user","type":"message","content":[{"type":"input_text","text":"a"}]}"#;
        let spaced =
            r#"{"type": "message","role":"user","content":[{"type":"input_text","text":"a"}]}"#;
        for first in [reordered, spaced] {
            let next = parse(&format!(
                r#"{{"model":"m","instructions":"i","tools":[{{"type":"function","name":"shell"}}],"input":[{first},{R},{B}]}}"#
            ));
            assert!(!is_incremental(Some(&l), &next), "{first}");
            let (frame, inc) = frame(Some(&l), &next, None);
            assert!(!inc);
            assert_eq!(frame["input"].as_array().unwrap().len(), 3);
        }
    }

    #[test]
    fn edits_nested_in_earlier_items_or_in_tools_and_instructions_are_sent_in_full() {
        let l = last_raw();
        let tools = r#"[{"type":"function","name":"shell"}]"#;
        let edited_a = A.replace(r#""text":"a""#, r#""text":"A""#);
        let edited_r = R.replace("[]", r#"[{"type":"output_text","text":"x"}]"#);
        let cases = [
            // A nested edit in the first item.
            format!(
                r#"{{"model":"m","instructions":"i","tools":{tools},"input":[{edited_a},{R},{B}]}}"#
            ),
            // A nested edit in the returned item.
            format!(
                r#"{{"model":"m","instructions":"i","tools":{tools},"input":[{A},{edited_r},{B}]}}"#
            ),
            // A changed tool.
            format!(
                r#"{{"model":"m","instructions":"i","tools":[{{"type":"function","name":"sh"}}],"input":[{A},{R},{B}]}}"#
            ),
            // No tools.
            format!(r#"{{"model":"m","instructions":"i","input":[{A},{R},{B}]}}"#),
            // Changed instructions.
            format!(r#"{{"model":"m","instructions":"j","tools":{tools},"input":[{A},{R},{B}]}}"#),
            // The same tools, written with whitespace inside the value.
            format!(
                r#"{{"model":"m","instructions":"i","tools":[ {{"type":"function","name":"shell"}} ],"input":[{A},{R},{B}]}}"#
            ),
        ];
        for c in cases {
            let next = parse(&c);
            assert!(!is_incremental(Some(&l), &next), "{c}");
            let (frame, inc) = frame(Some(&l), &next, None);
            assert!(!inc, "{c}");
            assert!(frame.get("previous_response_id").is_none());
            let mut want: Value = serde_json::from_str(&c).unwrap();
            want["type"] = json!("response.create");
            assert_eq!(frame, want);
        }
        // Whitespace around the top-level values and in the new items does not matter.
        let next = parse(&format!(
            r#"{{ "model" : "m", "instructions":"i", "tools":{tools}, "input" : [ {A} , {R} , {{ "type": "message" }} ] }}"#
        ));
        let (frame, inc) = frame(Some(&l), &next, None);
        assert!(inc);
        assert_eq!(frame["input"], json!([{"type": "message"}]));
    }

    #[test]
    fn keys_and_ids_are_escaped_in_the_frame() {
        let first = parse(r#"{"model":"m","input":[]}"#);
        let l = LastTurn::new(Arc::new(first), Vec::new(), "resp_\"1\\".into());
        let next = parse(&format!(r#"{{"model":"m","we\"ird":1,"input":[{A}]}}"#));
        let (full, inc) = frame(Some(&l), &next, Some(true));
        assert!(!inc, "a new field sends the full request");
        assert_eq!(full["we\"ird"], 1);
        assert_eq!(full["generate"], true);
        let next = parse(&format!(r#"{{"model":"m","input":[{A}]}}"#));
        let (inc_frame, inc) = frame(Some(&l), &next, None);
        assert!(inc);
        assert_eq!(inc_frame["previous_response_id"], "resp_\"1\\");
    }
}
