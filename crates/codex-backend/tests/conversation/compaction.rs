//! Auto-compaction: at the limit, on a context-window error, and the token estimate.

use crate::common::*;
use codex_backend::ResponseItem;
use codex_mock::Reply;

use crate::types;

#[tokio::test]
async fn auto_compaction_triggers_at_the_limit() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation().auto_compact_limit(40);
    conv.respond("first question").await.unwrap();
    // The mock reports total_tokens >= 42 for every text reply: over the limit.
    assert!(conv.estimated_tokens() >= 40);
    conv.respond("second question").await.unwrap();
    let kinds: Vec<(String, bool)> = backend_requests(&mock)
        .iter()
        .map(|r| (r.path.clone(), is_compaction_v2(r)))
        .collect();
    let turn = ("/backend-api/codex/responses".to_owned(), false);
    let v2 = ("/backend-api/codex/responses".to_owned(), true);
    assert_eq!(kinds, [turn.clone(), v2, turn]);
    let compact = compactions(&mock)[0].json().unwrap();
    assert_eq!(
        types(&compact["input"]),
        ["message:user", "message:assistant", "compaction_trigger"]
    );
    let second = &responses_bodies(&mock)[2];
    assert_eq!(
        types(&second["input"]),
        ["message:user", "compaction", "message:user"]
    );
    assert_eq!(conv.history().len(), 4);
}

#[tokio::test]
async fn auto_compaction_uses_the_model_limit_and_can_be_turned_off() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.respond("a").await.unwrap();
    conv.respond("b").await.unwrap();
    // Far below gpt-5.4's 244800-token limit: the catalog was read, nothing compacted.
    assert_eq!(mock.requests_to("/backend-api/codex/models").len(), 1);
    assert!(compactions(&mock).is_empty());

    let mut off = client
        .conversation()
        .auto_compact(false)
        .auto_compact_limit(1);
    off.respond("a").await.unwrap();
    off.respond("b").await.unwrap();
    assert!(compactions(&mock).is_empty());
    off.compact().await.unwrap();
    assert_eq!(compactions(&mock).len(), 1);
    assert!(matches!(
        off.history().last(),
        Some(ResponseItem::Compaction(_))
    ));
}

#[tokio::test]
async fn context_window_exceeded_compacts_and_retries_once() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.respond("first").await.unwrap();
    mock.push_response(Reply::failed("context_length_exceeded", "too long"));
    // The compaction v2 request shares the /responses queue.
    mock.push_response(Reply::compaction("c1"));
    mock.push_response(Reply::text("fits now"));
    let r = conv.respond("second").await.unwrap();
    assert_eq!(r.text, "fits now");
    assert_eq!(compactions(&mock).len(), 1);
    let last = responses_bodies(&mock).pop().unwrap();
    assert_eq!(
        types(&last["input"]),
        ["message:user", "compaction", "message:user"]
    );
    // With run() too; and a second failure is returned, not retried again.
    mock.push_response(Reply::failed("context_length_exceeded", "too long"));
    mock.push_response(Reply::compaction("c2"));
    mock.push_response(Reply::failed("context_length_exceeded", "still too long"));
    let err = conv.run("third").await.unwrap_err();
    assert_eq!(err.kind_str(), "context_window_exceeded");
    assert_eq!(compactions(&mock).len(), 2);
    // Without auto-compaction the error is returned at once.
    let mut off = client.conversation().auto_compact(false);
    off.respond("x").await.unwrap();
    mock.push_response(Reply::failed("context_length_exceeded", "too long"));
    assert!(off.respond("y").await.is_err());
    assert_eq!(compactions(&mock).len(), 2);
}

#[tokio::test]
async fn unknown_model_does_not_refetch_the_catalog_every_turn() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation();
    conv.set_model("my-private-model");
    for q in ["a", "b", "c"] {
        conv.respond(q).await.unwrap();
    }
    assert_eq!(mock.requests_to("/backend-api/codex/models").len(), 1);
}

/// Images count a fixed cost in the auto-compaction estimate, not their base64 bytes.
#[tokio::test]
async fn images_do_not_count_their_bytes_in_the_compaction_estimate() {
    use codex_backend::types::ContentPart;
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation().auto_compact_limit(5_000);
    let image = format!("data:image/png;base64,{}", "A".repeat(400_000));
    conv.push(ResponseItem::user_parts(vec![
        ContentPart::input_text("What is in this picture?"),
        ContentPart::image_url(image),
    ]));
    let est = conv.estimated_tokens();
    assert!((1_000..2_000).contains(&est), "{est}");
    conv.respond("Describe it.").await.unwrap();
    conv.respond("More detail.").await.unwrap();
    assert!(
        compactions(&mock).is_empty(),
        "an image alone must not trigger a compaction"
    );
    // Text still counts by size: a big text history does compact.
    let mut conv = client.conversation().auto_compact_limit(5_000);
    conv.push(ResponseItem::user_text("word ".repeat(8_000)));
    assert!(conv.estimated_tokens() >= 5_000);
    conv.respond("Summarize.").await.unwrap();
    assert_eq!(compactions(&mock).len(), 1);
}
