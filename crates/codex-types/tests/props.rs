//! Property tests: items and tools are lossless (parse -> serialize gives the same JSON value,
//! for known and unknown types, extra keys and explicit nulls); decoding never panics; the
//! text-delta fast path agrees with serde_json on every payload.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::Tool;
use proptest::prelude::*;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,8}",
        "\\PC{0,12}",
        Just("\"\\\n\t\u{1}é😀".to_owned())
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A string, or sometimes an explicit null / another JSON value (a wrong shape).
fn opt_field() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        3 => text().prop_map(|s| Some(Value::String(s))),
        1 => Just(Some(Value::Null)),
        1 => leaf().prop_map(Some),
    ]
}

fn obj(pairs: Vec<(&str, Option<Value>)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect()
}

fn part() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(|t| json!({"type":"input_text","text":t})),
        text().prop_map(|t| json!({"type":"output_text","text":t,"annotations":[],"logprobs":[]})),
        (
            text(),
            prop::option::of(prop_oneof![
                Just(json!("auto")),
                Just(json!("high")),
                Just(json!("original")),
                Just(Value::Null)
            ])
        )
            .prop_map(|(u, d)| {
                let mut m = obj(vec![
                    ("type", Some(json!("input_image"))),
                    ("image_url", Some(json!(u))),
                ]);
                if let Some(d) = d {
                    m.insert("detail".into(), d);
                }
                Value::Object(m)
            }),
        text().prop_map(|t| json!({"type":"summary_text","text":t})),
        text().prop_map(|t| json!({"type":"reasoning_text","text":t})),
        any_json().prop_map(|x| json!({"type":"future_part","x":x})),
    ]
}

fn output() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        prop::collection::vec(part(), 0..3).prop_map(Value::Array),
    ]
}

fn known_item() -> impl Strategy<Value = Map<String, Value>> {
    prop_oneof![
        (
            prop_oneof![
                Just("user"),
                Just("assistant"),
                Just("developer"),
                Just("system"),
                Just("tool")
            ],
            prop::collection::vec(part(), 0..3),
            opt_field(),
            opt_field(),
        )
            .prop_map(|(r, c, id, phase)| obj(vec![
                ("type", Some(json!("message"))),
                ("role", Some(json!(r))),
                ("content", Some(Value::Array(c))),
                ("id", id),
                ("phase", phase),
            ])),
        (
            prop::collection::vec(part(), 0..3),
            prop::option::of(prop_oneof![
                Just(Value::Null),
                prop::collection::vec(part(), 0..2).prop_map(Value::Array)
            ]),
            opt_field(),
            opt_field(),
        )
            .prop_map(|(s, c, e, id)| obj(vec![
                ("type", Some(json!("reasoning"))),
                ("summary", Some(Value::Array(s))),
                ("content", c),
                ("encrypted_content", e),
                ("id", id),
            ])),
        (text(), text(), text(), opt_field(), opt_field()).prop_map(|(n, a, c, id, ns)| obj(vec![
            ("type", Some(json!("function_call"))),
            ("name", Some(json!(n))),
            ("arguments", Some(json!(a))),
            ("call_id", Some(json!(c))),
            ("id", id),
            ("namespace", ns),
        ])),
        (text(), output(), opt_field()).prop_map(|(c, o, n)| obj(vec![
            ("type", Some(json!("function_call_output"))),
            ("call_id", Some(json!(c))),
            ("output", Some(o)),
            ("name", n),
        ])),
        (text(), text(), text(), opt_field()).prop_map(|(c, n, i, st)| obj(vec![
            ("type", Some(json!("custom_tool_call"))),
            ("call_id", Some(json!(c))),
            ("name", Some(json!(n))),
            ("input", Some(json!(i))),
            ("status", st),
        ])),
        (text(), output()).prop_map(|(c, o)| obj(vec![
            ("type", Some(json!("custom_tool_call_output"))),
            ("call_id", Some(json!(c))),
            ("output", Some(o)),
        ])),
        (
            opt_field(),
            prop::collection::vec(text(), 0..3),
            prop::option::of(leaf())
        )
            .prop_map(|(c, cmd, t)| {
                let mut action = obj(vec![
                    ("type", Some(json!("exec"))),
                    ("command", Some(json!(cmd))),
                ]);
                if let Some(t) = t {
                    action.insert("timeout_ms".into(), t);
                }
                obj(vec![
                    ("type", Some(json!("local_shell_call"))),
                    ("call_id", c),
                    ("status", Some(json!("completed"))),
                    ("action", Some(Value::Object(action))),
                ])
            }),
        (
            opt_field(),
            prop::option::of(prop_oneof![
                text().prop_map(|q| json!({"type":"search","query":q,"sources":[]})),
                text().prop_map(|u| json!({"type":"open_page","url":u})),
                text().prop_map(|u| json!({"type":"find_in_page","url":u,"pattern":null})),
                any_json().prop_map(|x| json!({"type":"new_action","x":x})),
            ])
        )
            .prop_map(|(st, a)| obj(vec![
                ("type", Some(json!("web_search_call"))),
                ("status", st),
                ("action", a),
            ])),
        (opt_field(), opt_field(), opt_field()).prop_map(|(id, r, p)| obj(vec![
            ("type", Some(json!("image_generation_call"))),
            ("id", id),
            ("result", r),
            ("revised_prompt", p),
            ("status", Some(json!("completed"))),
        ])),
        (
            prop_oneof![
                Just("compaction"),
                Just("compaction_summary"),
                Just("context_compaction")
            ],
            text()
        )
            .prop_map(|(t, e)| obj(vec![
                ("type", Some(json!(t))),
                ("encrypted_content", Some(json!(e)))
            ])),
        Just(obj(vec![("type", Some(json!("compaction_trigger")))])),
        (opt_field(), opt_field()).prop_map(|(c, s)| obj(vec![
            ("type", Some(json!("tool_search_call"))),
            ("call_id", c),
            ("status", s),
            ("arguments", Some(json!({"q": "x"}))),
        ])),
        "[a-z_]{3,12}".prop_map(|t| obj(vec![("type", Some(json!(t)))])),
    ]
}

fn item() -> impl Strategy<Value = Value> {
    (
        known_item(),
        prop::collection::btree_map("[a-z_]{1,8}", any_json(), 0..4),
    )
        .prop_map(|(mut m, extra)| {
            for (k, v) in extra {
                if k != "type" {
                    m.entry(k).or_insert(v);
                }
            }
            Value::Object(m)
        })
}

fn tool() -> impl Strategy<Value = Value> {
    let base = prop_oneof![
        (
            text(),
            opt_field(),
            prop::option::of(any::<bool>()),
            prop::option::of(any_json())
        )
            .prop_map(|(n, d, s, p)| {
                let mut m = obj(vec![
                    ("type", Some(json!("function"))),
                    ("name", Some(json!(n))),
                    ("description", d),
                ]);
                if let Some(s) = s {
                    m.insert("strict".into(), json!(s));
                }
                if let Some(p) = p {
                    m.insert("parameters".into(), p);
                }
                m
            }),
        (text(), prop::option::of(any_json())).prop_map(|(n, f)| {
            let mut m = obj(vec![
                ("type", Some(json!("custom"))),
                ("name", Some(json!(n))),
            ]);
            if let Some(f) = f {
                m.insert("format".into(), f);
            }
            m
        }),
        Just(obj(vec![("type", Some(json!("local_shell")))])),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(prop::collection::vec(text(), 0..3))
        )
            .prop_map(|(live, domains)| {
                let mut m = obj(vec![("type", Some(json!("web_search")))]);
                if let Some(l) = live {
                    m.insert("external_web_access".into(), json!(l));
                }
                if let Some(d) = domains {
                    m.insert("filters".into(), json!({"allowed_domains": d}));
                }
                m
            }),
        "[a-z_]{3,12}".prop_map(|t| obj(vec![("type", Some(json!(t)))])),
    ];
    (
        base,
        prop::collection::btree_map("[a-z_]{1,8}", any_json(), 0..3),
    )
        .prop_map(|(mut m, extra)| {
            for (k, v) in extra {
                if k != "type" {
                    m.entry(k).or_insert(v);
                }
            }
            Value::Object(m)
        })
}

const EVENT_TYPES: &[&str] = &[
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done",
    "response.metadata",
    "codex.rate_limits",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "error",
    "response.web_search_call.searching",
];

fn num_field() -> impl Strategy<Value = (Value, bool)> {
    prop_oneof![
        3 => any::<u32>().prop_map(|n| (json!(n), true)),
        1 => Just((Value::Null, true)),
        1 => (u64::from(u32::MAX) + 1..u64::MAX).prop_map(|n| (json!(n), false)),
        1 => Just((json!(1.5), false)),
        1 => Just((json!(-1), false)),
        1 => text().prop_map(|s| (json!(s), false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn items_roundtrip(v in item()) {
        let parsed: ResponseItem = serde_json::from_value(v.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), v.clone());
        // And through text, as the wire does.
        let text = serde_json::to_string(&v).unwrap();
        let parsed: ResponseItem = serde_json::from_str(&text).unwrap();
        let back: Value = serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn any_value_roundtrips_as_item(v in any_json()) {
        let parsed: ResponseItem = serde_json::from_value(v.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), v);
    }

    #[test]
    fn tools_roundtrip(v in tool()) {
        let parsed: Tool = serde_json::from_value(v.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), v);
    }

    #[test]
    fn decode_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = ResponseEvent::decode(&Bytes::from(data));
    }

    #[test]
    fn decode_never_panics_on_shaped_json(
        kind in prop::sample::select(EVENT_TYPES),
        fields in prop::collection::btree_map(
            prop_oneof![
                Just("delta".to_owned()), Just("text".to_owned()), Just("item".to_owned()),
                Just("part".to_owned()), Just("response".to_owned()), Just("error".to_owned()),
                Just("summary_index".to_owned()), Just("content_index".to_owned()),
                Just("headers".to_owned()), Just("rate_limits".to_owned()), "[a-z_]{1,6}",
            ],
            any_json(),
            0..6,
        ),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut m: Map<String, Value> = fields.into_iter().collect();
        m.insert("type".into(), json!(kind));
        let text = serde_json::to_string(&Value::Object(m)).unwrap();
        match ResponseEvent::decode(&Bytes::from(text.clone())) {
            Ok(ev) => {
                prop_assert_eq!(ev.raw_json(), text.as_str());
                prop_assert_eq!(ev.kind(), kind);
            }
            Err(e) => {
                prop_assert_eq!(e.event_type(), Some(kind));
                prop_assert_eq!(e.raw().as_str(), text.as_str());
            }
        }
        // Truncated JSON is an error, never a panic or an event.
        let end = cut.index(text.len());
        if let Some(prefix) = text.get(..end) {
            prop_assert!(ResponseEvent::decode(&Bytes::from(prefix.to_owned())).is_err());
        }
    }

    #[test]
    fn delta_decode_agrees_with_serde_json(
        delta in text(),
        item_id in prop::option::of(text()),
        output_index in prop::option::of(num_field()),
        sequence_number in prop::option::of(any::<u64>()),
        extra in prop::collection::vec(("[a-z]{1,6}", any_json()), 0..3),
        kind in prop::sample::select(vec![
            "response.output_text.delta",
            "response.function_call_arguments.delta",
            "response.custom_tool_call_input.delta",
        ]),
        pretty in any::<bool>(),
        order in any::<prop::sample::Index>(),
    ) {
        let mut pairs: Vec<(String, Value)> = vec![
            ("type".into(), json!(kind)),
            ("delta".into(), json!(delta)),
        ];
        if let Some(i) = &item_id { pairs.push(("item_id".into(), json!(i))); }
        let mut valid = true;
        if let Some((v, ok)) = &output_index {
            pairs.push(("output_index".into(), v.clone()));
            valid &= *ok;
        }
        if let Some(s) = sequence_number { pairs.push(("sequence_number".into(), json!(s))); }
        for (k, v) in extra {
            if !pairs.iter().any(|(pk, _)| *pk == k)
                && !["summary_index", "content_index", "call_id"].contains(&k.as_str())
            {
                pairs.push((k, v));
            }
        }
        let rot = order.index(pairs.len());
        pairs.rotate_left(rot);
        let sep = if pretty { ",\n  " } else { "," };
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{}{}", json!(k), if pretty { " " } else { "" }, v))
            .collect();
        let text = format!("{{{}}}", body.join(sep));
        let data = Bytes::from(text.clone());
        match ResponseEvent::decode(&data) {
            Ok(ResponseEvent::OutputTextDelta(d))
            | Ok(ResponseEvent::FunctionCallArgumentsDelta(d))
            | Ok(ResponseEvent::CustomToolCallInputDelta(d)) => {
                prop_assert!(valid, "accepted an invalid payload: {}", text);
                prop_assert_eq!(d.delta.as_str(), delta.as_str());
                prop_assert_eq!(d.item_id(), item_id.as_deref());
                prop_assert_eq!(d.sequence_number, sequence_number);
                let want = output_index.and_then(|(v, _)| v.as_u64()).map(|n| n as u32);
                prop_assert_eq!(d.output_index, want);
            }
            Ok(other) => prop_assert!(false, "unexpected {:?}", other),
            Err(e) => {
                prop_assert!(!valid, "rejected a valid payload {}: {}", text, e);
                prop_assert_eq!(e.event_type(), Some(kind));
            }
        }
    }
}
