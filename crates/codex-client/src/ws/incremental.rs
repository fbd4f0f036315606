//! The incremental-turn rule, sans IO: which frame a request becomes on a connection that
//! already carried a response (protocol §6).
//!
//! A request is sent incrementally when it equals the previous request on the same
//! connection in every field except `input`, and its `input` starts with the previous input
//! followed by the items the server returned: only the items after that prefix are sent,
//! with `previous_response_id`. Anything else is sent in full.

use serde_json::Map;
use serde_json::Value;

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

/// What a connection remembers of its last completed response.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LastTurn {
    /// The request body without `input` (and the fields in [`IGNORED`]).
    rest: Map<String, Value>,
    /// The previous input followed by the output items the server returned.
    baseline: Vec<Value>,
    /// The id of the response that completed.
    response_id: String,
}

impl LastTurn {
    /// Remembers a completed response: the full request `body` that produced it (never the
    /// incremental frame), the items it returned and its id.
    pub(crate) fn new(body: &Map<String, Value>, output: Vec<Value>, response_id: String) -> Self {
        let mut baseline = input_of(body).to_vec();
        baseline.extend(output);
        Self {
            rest: rest_of(body),
            baseline,
            response_id,
        }
    }
}

fn input_of(body: &Map<String, Value>) -> &[Value] {
    body.get("input")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn rest_of(body: &Map<String, Value>) -> Map<String, Value> {
    body.iter()
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The `response.create` frame for `body` after `last` (`None`: a fresh connection or a
/// forced full resend), and whether it is incremental.
pub(crate) fn create_frame(
    last: Option<&LastTurn>,
    body: &Map<String, Value>,
    generate: Option<bool>,
) -> (Map<String, Value>, bool) {
    let mut frame = Map::with_capacity(body.len() + 2);
    frame.insert("type".to_owned(), Value::from("response.create"));
    let incremental = last.and_then(|l| new_items(l, body).map(|items| (l, items)));
    for (k, v) in body {
        if k == "input" && incremental.is_some() {
            continue;
        }
        frame.insert(k.clone(), v.clone());
    }
    if let Some(g) = generate {
        frame.insert("generate".to_owned(), Value::from(g));
    }
    match incremental {
        Some((last, items)) => {
            frame.insert("input".to_owned(), Value::Array(items.to_vec()));
            frame.insert(
                "previous_response_id".to_owned(),
                Value::from(last.response_id.clone()),
            );
            (frame, true)
        }
        None => (frame, false),
    }
}

/// The items `body` adds after `last`'s baseline, when the rule allows an incremental send
/// (at least one new item).
fn new_items<'a>(last: &LastTurn, body: &'a Map<String, Value>) -> Option<&'a [Value]> {
    let input = input_of(body);
    if input.len() <= last.baseline.len() || !input.starts_with(&last.baseline) {
        return None;
    }
    let same_rest = body
        .iter()
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
        .count()
        == last.rest.len()
        && last.rest.iter().all(|(k, v)| body.get(k) == Some(v));
    same_rest.then(|| &input[last.baseline.len()..])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn user(t: &str) -> Value {
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]})
    }

    fn last() -> LastTurn {
        let first = obj(json!({"model": "m", "instructions": "i", "input": [user("a")]}));
        LastTurn::new(
            &first,
            vec![json!({"type": "message", "role": "assistant", "content": []})],
            "resp_1".into(),
        )
    }

    #[test]
    fn an_extension_sends_only_the_new_items() {
        let l = last();
        let next = obj(
            json!({"model": "m", "instructions": "i", "input": [user("a"),
            {"type": "message", "role": "assistant", "content": []}, user("b")]}),
        );
        let (frame, inc) = create_frame(Some(&l), &next, None);
        assert!(inc);
        assert_eq!(frame["type"], "response.create");
        assert_eq!(frame["previous_response_id"], "resp_1");
        assert_eq!(frame["input"], json!([user("b")]));
        assert_eq!(frame["instructions"], "i");
    }

    #[test]
    fn anything_else_is_sent_in_full() {
        let l = last();
        let reply = json!({"type": "message", "role": "assistant", "content": []});
        let cases = [
            // Changed instructions.
            json!({"model": "m", "instructions": "x", "input": [user("a"), reply, user("b")]}),
            // Changed model.
            json!({"model": "n", "instructions": "i", "input": [user("a"), reply, user("b")]}),
            // An extra option.
            json!({"model": "m", "instructions": "i", "tools": [], "input": [user("a"), reply, user("b")]}),
            // Edited history.
            json!({"model": "m", "instructions": "i", "input": [user("z"), reply, user("b")]}),
            // The returned items left out.
            json!({"model": "m", "instructions": "i", "input": [user("a"), user("b")]}),
            // Nothing new.
            json!({"model": "m", "instructions": "i", "input": [user("a"), reply]}),
        ];
        for c in cases {
            let body = obj(c.clone());
            let (frame, inc) = create_frame(Some(&l), &body, None);
            assert!(!inc, "{c}");
            assert!(frame.get("previous_response_id").is_none());
            assert_eq!(frame["input"], body["input"]);
        }
        let (frame, inc) =
            create_frame(None, &obj(json!({"model": "m", "input": []})), Some(false));
        assert!(!inc);
        assert_eq!(frame["generate"], false);
    }
}
