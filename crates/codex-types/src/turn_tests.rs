//! The fold table of docs/client.md ("Folding a turn"): event sequences → turn result.

use super::*;
use crate::FailureCode;

fn ev(json: &str) -> ResponseEvent {
    ResponseEvent::decode(&bytes::Bytes::from(json.to_owned())).unwrap()
}

fn fold(events: &[&str]) -> TurnAccumulator {
    let mut acc = TurnAccumulator::new();
    for e in events {
        acc.push(&ev(e));
    }
    acc
}

const CREATED: &str = r#"{"type":"response.created","response":{"id":"resp_created"}}"#;
const COMPLETED: &str = r#"{"type":"response.completed","response":{"id":"resp_1","usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12},"end_turn":true}}"#;
const HELLO: &str = r#"{"type":"response.output_text.delta","delta":"Hel"}"#;
const LO: &str = r#"{"type":"response.output_text.delta","delta":"lo"}"#;
const FUNCTION_CALL: &str = r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","name":"add","arguments":"{}","call_id":"c1"}}"#;
const CUSTOM_CALL: &str = r#"{"type":"response.output_item.done","output_index":1,"item":{"type":"custom_tool_call","name":"patch","input":"x","call_id":"c2"}}"#;
const SHELL_CALL: &str = r#"{"type":"response.output_item.done","output_index":2,"item":{"type":"local_shell_call","call_id":"c3","status":"completed","action":{"type":"exec","command":["ls"]}}}"#;
const MESSAGE: &str = r#"{"type":"response.output_item.done","output_index":3,"item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello"}]}}"#;
const REASONING_SEALED: &str = r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAA"}}"#;
const REASONING_BARE: &str = r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_2","summary":[]}}"#;
const FAILED: &str = r#"{"type":"response.failed","response":{"id":"resp_f","error":{"code":"server_is_overloaded","message":"busy"}}}"#;
const INCOMPLETE: &str = r#"{"type":"response.incomplete","response":{"id":"resp_i","incomplete_details":{"reason":"max_output_tokens"}}}"#;
const INCOMPLETE_NO_REASON: &str = r#"{"type":"response.incomplete","response":{}}"#;
const ERROR: &str = r#"{"type":"error","error":{"type":"invalid_request_error","code":"context_length_exceeded","message":"too long"}}"#;
const RATE_LIMITS: &str = r#"{"type":"codex.rate_limits","limit_name":"codex","rate_limits":{"primary":{"reset_at":1767236400,"used_percent":42.0,"window_minutes":300}}}"#;
const RATE_LIMITS_LATER: &str = r#"{"type":"codex.rate_limits","limit_name":"codex","rate_limits":{"primary":{"used_percent":50.0,"window_minutes":300}}}"#;

/// One row: events in, then what the accumulator must say.
struct Row {
    name: &'static str,
    events: &'static [&'static str],
    close: bool,
    outcome: Option<TurnOutcome>,
    text: &'static str,
    partial: Option<&'static str>,
    response_id: Option<&'static str>,
    items: usize,
    tool_calls: usize,
    replayable: usize,
}

fn failed(code: FailureCode) -> impl Fn(&TurnOutcome) -> bool {
    move |o| matches!(o, TurnOutcome::Failed(f) if f.code == code)
}

#[test]
fn fold_table() {
    let rows = [
        Row {
            name: "completed text turn",
            events: &[CREATED, HELLO, LO, MESSAGE, COMPLETED],
            close: true,
            outcome: Some(TurnOutcome::Completed),
            text: "Hello",
            partial: None,
            response_id: Some("resp_1"),
            items: 1,
            tool_calls: 0,
            replayable: 1,
        },
        Row {
            name: "closed early keeps the partial text",
            events: &[CREATED, HELLO],
            close: true,
            outcome: Some(TurnOutcome::Closed),
            text: "Hel",
            partial: Some("Hel"),
            response_id: Some("resp_created"),
            items: 0,
            tool_calls: 0,
            replayable: 0,
        },
        Row {
            name: "still running: no outcome, text so far is partial",
            events: &[HELLO],
            close: false,
            outcome: None,
            text: "Hel",
            partial: Some("Hel"),
            response_id: None,
            items: 0,
            tool_calls: 0,
            replayable: 0,
        },
        Row {
            name: "incomplete with reason keeps text and items",
            events: &[HELLO, MESSAGE, INCOMPLETE],
            close: true,
            outcome: Some(TurnOutcome::Incomplete {
                reason: "max_output_tokens".to_owned(),
            }),
            text: "Hel",
            partial: Some("Hel"),
            response_id: Some("resp_i"),
            items: 1,
            tool_calls: 0,
            replayable: 1,
        },
        Row {
            name: "incomplete without reason is unknown",
            events: &[INCOMPLETE_NO_REASON],
            close: true,
            outcome: Some(TurnOutcome::Incomplete {
                reason: "unknown".to_owned(),
            }),
            text: "",
            partial: Some(""),
            response_id: None,
            items: 0,
            tool_calls: 0,
            replayable: 0,
        },
        Row {
            name: "tool calls of all three kinds",
            events: &[FUNCTION_CALL, CUSTOM_CALL, SHELL_CALL, MESSAGE, COMPLETED],
            close: true,
            outcome: Some(TurnOutcome::Completed),
            text: "",
            partial: None,
            response_id: Some("resp_1"),
            items: 4,
            tool_calls: 3,
            replayable: 4,
        },
        Row {
            name: "reasoning without encrypted_content is not replayable",
            events: &[REASONING_SEALED, REASONING_BARE, MESSAGE, COMPLETED],
            close: true,
            outcome: Some(TurnOutcome::Completed),
            text: "",
            partial: None,
            response_id: Some("resp_1"),
            items: 3,
            tool_calls: 0,
            replayable: 2,
        },
        Row {
            name: "a terminal event after completion does not change the outcome",
            events: &[HELLO, COMPLETED, FAILED],
            close: true,
            outcome: Some(TurnOutcome::Completed),
            text: "Hel",
            partial: None,
            response_id: Some("resp_1"),
            items: 0,
            tool_calls: 0,
            replayable: 0,
        },
    ];
    for row in rows {
        let mut acc = fold(row.events);
        if row.close {
            acc.close();
        }
        assert_eq!(acc.outcome(), row.outcome.as_ref(), "{}", row.name);
        assert_eq!(acc.text(), row.text, "{}", row.name);
        assert_eq!(acc.text_len(), row.text.len() as u64, "{}", row.name);
        assert_eq!(acc.partial_text(), row.partial, "{}", row.name);
        assert_eq!(acc.response_id(), row.response_id, "{}", row.name);
        assert_eq!(acc.items().len(), row.items, "{}", row.name);
        assert_eq!(acc.tool_calls().count(), row.tool_calls, "{}", row.name);
        assert_eq!(
            acc.replayable_items().count(),
            row.replayable,
            "{}",
            row.name
        );
        assert_eq!(
            acc.is_completed(),
            row.outcome == Some(TurnOutcome::Completed),
            "{}",
            row.name
        );
    }
}

#[test]
fn failures_keep_their_typed_code_and_partial_text() {
    for (events, is) in [
        (&[HELLO, FAILED][..], failed(FailureCode::ServerOverloaded)),
        (
            &[HELLO, ERROR][..],
            failed(FailureCode::ContextLengthExceeded),
        ),
    ] {
        let mut acc = fold(events);
        acc.close();
        assert!(acc.outcome().is_some_and(&is), "{:?}", acc.outcome());
        assert_eq!(acc.partial_text(), Some("Hel"));
        assert!(!acc.is_completed());
    }
    let acc = fold(&[FAILED]);
    assert_eq!(acc.response_id(), Some("resp_f"));
}

#[test]
fn usage_and_completion_fields_come_from_completed() {
    let acc = fold(&[CREATED, COMPLETED]);
    let usage = acc.usage().unwrap();
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (5, 7, 12)
    );
    assert_eq!(acc.end_turn(), Some(true));
    let acc = fold(&[CREATED, HELLO]);
    assert!(acc.usage().is_none() && acc.end_turn().is_none());
}

#[test]
fn rate_limits_last_event_wins() {
    let acc = fold(&[RATE_LIMITS, HELLO, RATE_LIMITS_LATER, COMPLETED]);
    let primary = acc.rate_limits().unwrap().primary.as_ref().unwrap();
    assert!((primary.used_percent - 50.0).abs() < f64::EPSILON);
    assert!(fold(&[COMPLETED]).rate_limits().is_none());
}

#[test]
fn reasoning_summary_sections_and_raw_text() {
    let acc = fold(&[
        r#"{"type":"response.reasoning_summary_part.added","summary_index":0}"#,
        r#"{"type":"response.reasoning_summary_text.delta","delta":"Think","summary_index":0}"#,
        r#"{"type":"response.reasoning_summary_text.delta","delta":"ing","summary_index":0}"#,
        r#"{"type":"response.reasoning_summary_part.added","summary_index":1}"#,
        r#"{"type":"response.reasoning_summary_text.delta","delta":"More","summary_index":1}"#,
        r#"{"type":"response.reasoning_summary_text.delta","delta":"!","summary_index":1}"#,
        // A bogus huge index starts one new section, it does not allocate up to it.
        r#"{"type":"response.reasoning_summary_text.delta","delta":"far","summary_index":4000000000}"#,
        r#"{"type":"response.reasoning_text.delta","delta":"raw ","content_index":0}"#,
        r#"{"type":"response.reasoning_text.delta","delta":"thoughts","content_index":0}"#,
    ]);
    assert_eq!(acc.reasoning_summary(), ["Thinking", "More!", "far"]);
    assert_eq!(acc.reasoning_text(), "raw thoughts");
    assert_eq!(acc.text(), "", "reasoning is not answer text");
}

#[test]
fn without_text_counts_but_does_not_keep() {
    let mut acc = TurnAccumulator::without_text();
    for e in [HELLO, LO] {
        acc.push(&ev(e));
    }
    assert_eq!(acc.text(), "");
    assert_eq!(acc.text_len(), 5);
    let mut acc = fold(&[HELLO, LO]);
    assert_eq!(acc.take_text(), "Hello");
    assert_eq!(acc.text(), "");
}

#[test]
fn free_functions_agree_with_the_accumulator() {
    let acc = fold(&[FUNCTION_CALL, REASONING_BARE, MESSAGE]);
    let items = acc.items();
    assert!(is_tool_call(&items[0]) && !is_tool_call(&items[2]));
    assert!(!replayable(&items[1]) && replayable(&items[0]));
}
