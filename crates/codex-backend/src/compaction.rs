//! Compaction v2 (protocol §14.3), following codex-rs `core/src/compact_remote_v2.rs`:
//! the request input, the check of the answer, and the replacement history.
//!
//! Sans-IO: plain functions over items; [`crate::CodexClient::compact_with`] does the
//! request.

use codex_types::ContentPart;
use codex_types::ResponseItem;
use codex_types::Role;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::UnexpectedCompactionOutput;

/// The beta-features key of compaction v2.
pub(crate) const REMOTE_COMPACTION_V2: &str = "remote_compaction_v2";

/// How many tokens of user messages the new history keeps (codex-rs
/// `RETAINED_MESSAGE_TOKEN_BUDGET`, mirroring the server-side `/responses/compact`).
pub(crate) const RETAINED_MESSAGE_TOKEN_BUDGET: usize = 64_000;

/// The input of a v2 compaction request: the history, then `{"type":"compaction_trigger"}`.
pub(crate) fn request_input(history: Vec<ResponseItem>) -> Vec<ResponseItem> {
    let mut input = history;
    input.push(ResponseItem::compaction_trigger());
    input
}

/// The one `compaction` item of a v2 answer, or an
/// [`ErrorKind::UnexpectedCompactionOutput`] error naming what came back.
pub(crate) fn single_compaction(output: Vec<ResponseItem>) -> Result<ResponseItem, Error> {
    let compactions = output
        .iter()
        .filter(|i| matches!(i, ResponseItem::Compaction(_)))
        .count();
    if compactions == 1
        && let Some(item) = output
            .iter()
            .find(|i| matches!(i, ResponseItem::Compaction(_)))
    {
        return Ok(item.clone());
    }
    let detail = UnexpectedCompactionOutput {
        compaction_items: compactions,
        item_types: output.iter().map(type_of).collect(),
    };
    Err(Error::new(
        ErrorKind::UnexpectedCompactionOutput,
        format!("compaction v2: {detail}"),
    )
    .with_source(detail))
}

/// The wire `type` of an item.
fn type_of(item: &ResponseItem) -> String {
    serde_json::to_value(item)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// True when `e` is the server refusing compaction v2 as unsupported: a 400 (or 422) whose
/// body names the `compaction_trigger` item or the `remote_compaction_v2` feature, or a 501.
/// Only then does a v2 compaction fall back to `POST /responses/compact`.
pub(crate) fn refuses_v2(e: &Error) -> bool {
    let Some(c) = e.client_error() else {
        return false;
    };
    match c.status().map(|s| s.as_u16()) {
        Some(501) => true,
        Some(400 | 422) => c.body().is_some_and(|b| {
            let b = b.to_ascii_lowercase();
            b.contains("compaction_trigger") || b.contains(REMOTE_COMPACTION_V2)
        }),
        _ => false,
    }
}

/// About 4 bytes per token (codex-rs `approx_token_count`).
fn approx_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// The text tokens of a message (images and audio count nothing, as in codex-rs).
fn message_tokens(parts: &[ContentPart]) -> usize {
    parts
        .iter()
        .filter_map(ContentPart::text)
        .map(approx_tokens)
        .sum()
}

/// `text` cut to about `tokens` tokens, at a character boundary.
fn cut(text: &mut String, tokens: usize) {
    let mut end = tokens.saturating_mul(4).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}

/// The message cut to `budget` text tokens; `None` when no text is left.
fn truncate_message(item: &ResponseItem, budget: usize) -> Option<ResponseItem> {
    let ResponseItem::Message(m) = item else {
        return None;
    };
    let mut m = m.clone();
    let mut left = budget;
    let mut kept = Vec::with_capacity(m.content.len());
    for part in m.content.drain(..) {
        match part {
            ContentPart::InputText(mut t) | ContentPart::OutputText(mut t) if left > 0 => {
                let n = approx_tokens(&t.text);
                if n <= left {
                    left -= n;
                } else {
                    cut(&mut t.text, left);
                    left = 0;
                }
                if !t.text.is_empty() {
                    kept.push(ContentPart::InputText(t));
                }
            }
            ContentPart::InputText(_) | ContentPart::OutputText(_) => {}
            other => kept.push(other),
        }
    }
    if kept.iter().all(|p| p.text().is_none()) {
        return None;
    }
    m.content = kept;
    Some(ResponseItem::Message(m))
}

/// The history after a v2 compaction, as codex-rs builds it: the user messages of the
/// compacted history (developer, system and assistant messages, reasoning, tool calls and
/// earlier compaction items are dropped), newest first within
/// [`RETAINED_MESSAGE_TOKEN_BUDGET`] tokens (the message that crosses the budget is cut,
/// older ones are dropped), in their original order, then the compaction item.
pub(crate) fn replacement_history(
    history: &[ResponseItem],
    compaction: ResponseItem,
) -> Vec<ResponseItem> {
    let mut left = RETAINED_MESSAGE_TOKEN_BUDGET;
    let mut kept: Vec<ResponseItem> = Vec::new();
    for item in history.iter().rev() {
        if left == 0 {
            break;
        }
        let ResponseItem::Message(m) = item else {
            continue;
        };
        if m.role != Role::User {
            continue;
        }
        let tokens = message_tokens(&m.content).max(1);
        if tokens <= left {
            kept.push(item.clone());
            left -= tokens;
        } else {
            if let Some(cut) = truncate_message(item, left) {
                kept.push(cut);
            }
            left = 0;
        }
    }
    kept.reverse();
    kept.push(compaction);
    kept
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use codex_types::Compaction;

    fn user(text: &str) -> ResponseItem {
        ResponseItem::user_text(text)
    }

    fn msg(role: Role, text: &str) -> ResponseItem {
        ResponseItem::Message(codex_types::Message::new(
            role,
            vec![ContentPart::input_text(text)],
        ))
    }

    fn compaction(c: &str) -> ResponseItem {
        ResponseItem::Compaction(Compaction::new(c))
    }

    #[test]
    fn keeps_user_messages_then_the_compaction_item() {
        let history = vec![
            msg(Role::Developer, "dev"),
            msg(Role::System, "sys"),
            user("first"),
            msg(Role::Assistant, "answer"),
            compaction("old"),
            user("second"),
        ];
        let out = replacement_history(&history, compaction("new"));
        assert_eq!(out, vec![user("first"), user("second"), compaction("new")]);
    }

    #[test]
    fn the_budget_keeps_the_newest_and_cuts_the_crossing_message() {
        let big = "x".repeat(RETAINED_MESSAGE_TOKEN_BUDGET * 4 - 8);
        let history = vec![user("oldest"), user("0123456789abcdef"), user(&big)];
        let out = replacement_history(&history, compaction("new"));
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], user(&big));
        // 2 tokens were left for the older message: its first 8 bytes.
        assert_eq!(out[0], user("01234567"));
        assert_eq!(out[2], compaction("new"));
    }

    #[test]
    fn exactly_one_compaction_item_or_a_typed_error() {
        let ok = single_compaction(vec![compaction("c")]).unwrap();
        assert_eq!(ok, compaction("c"));
        let e = single_compaction(vec![msg(Role::Assistant, "hi")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedCompactionOutput);
        assert_eq!(
            e.to_string(),
            "compaction v2: expected one compaction output item, received 0 from 1 output items (message)"
        );
        let src = std::error::Error::source(&e).unwrap();
        let d = src.downcast_ref::<UnexpectedCompactionOutput>().unwrap();
        assert_eq!(d.item_types, ["message"]);
        let two = single_compaction(vec![compaction("a"), compaction("b")]).unwrap_err();
        assert!(two.to_string().contains("received 2 from 2"));
    }

    #[test]
    fn the_trigger_goes_last() {
        let input = request_input(vec![user("hi")]);
        let v = serde_json::to_value(&input).unwrap();
        assert_eq!(v[1], serde_json::json!({"type": "compaction_trigger"}));
    }
}
