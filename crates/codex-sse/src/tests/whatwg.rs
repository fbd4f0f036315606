//! One test per rule of the WHATWG "interpreting an event stream" algorithm.

use super::*;

#[test]
fn lf_cr_crlf_line_ends() {
    assert_eq!(
        datas(b"data: a\n\ndata: b\r\rdata: c\r\n\r\n"),
        ["a", "b", "c"]
    );
    assert_eq!(datas(b"data: a\r\ndata: b\r\n\r\n"), ["a\nb"]);
    // CR then LF is one line end, CR CR is two.
    assert_eq!(datas(b"data: a\r\r"), ["a"]);
    assert_eq!(datas(b"data: a\r\n"), Vec::<String>::new());
    assert_eq!(datas(b"data: a\n\r\n"), ["a"]);
}

#[test]
fn cr_lf_split_across_chunks_is_one_line_end() {
    let (evs, end) = events_cfg(
        &[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"],
        Config::default(),
    );
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].data(), "a\nb");
    assert!(!end.truncated);
    // A CR at the end of a chunk followed by a chunk not starting with LF.
    let (evs, _) = events_cfg(&[b"data: a\r", b"\r"], Config::default());
    assert_eq!(evs[0].data(), "a");
}

#[test]
fn one_leading_bom_ignored() {
    assert_eq!(datas(b"\xEF\xBB\xBFdata: a\n\n"), ["a"]);
    // Only one: a second BOM makes the field name "\u{FEFF}data", which is unknown.
    assert_eq!(
        datas(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"),
        Vec::<String>::new()
    );
    // Not at the start: part of the field name.
    assert_eq!(datas(b"data: a\n\n\xEF\xBB\xBFdata: b\n\n"), ["a"]);
    // Split across chunks.
    let (evs, end) = events_cfg(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"], Config::default());
    assert_eq!(evs[0].data(), "a");
    assert_eq!(evs[0].offset(), 3);
    assert!(!end.truncated);
    // A stream of only a BOM is empty, not truncated.
    assert!(
        !events_cfg(&[b"\xEF\xBB\xBF"], Config::default())
            .1
            .truncated
    );
    assert!(events_cfg(&[b"\xEF\xBB"], Config::default()).1.truncated);
}

#[test]
fn comments_ignored_or_emitted() {
    assert_eq!(datas(b": hi\ndata: a\n: there\n\n"), ["a"]);
    let (frames, end) = run_cfg(
        &[b": keep-alive\n\n:x\ndata: a\n\n"],
        Config::default().emit_comments(true),
    );
    let kinds: Vec<String> = frames
        .into_iter()
        .map(|f| match f.unwrap() {
            Frame::Comment(c) => format!("c:{}", c.text()),
            Frame::Event(e) => format!("e:{}", e.data()),
        })
        .collect();
    assert_eq!(kinds, ["c:keep-alive", "c:x", "e:a"]);
    assert!(!end.truncated);
}

#[test]
fn field_without_colon_has_empty_value() {
    let evs = events(b"data\n\n");
    assert_eq!(evs[0].data(), "");
    let evs = events(b"data\ndata\ndata: x\n\n");
    assert_eq!(evs[0].data(), "\n\nx");
    let evs = events(b"event\ndata: a\n\n");
    assert_eq!(evs[0].event_type(), "message");
}

#[test]
fn exactly_one_leading_space_stripped() {
    assert_eq!(datas(b"data:a\n\n"), ["a"]);
    assert_eq!(datas(b"data: a\n\n"), ["a"]);
    assert_eq!(datas(b"data:  a \n\n"), [" a "]);
    assert_eq!(datas(b"data:\ta\n\n"), ["\ta"]);
    assert_eq!(events(b"event:  x\ndata\n\n")[0].event_type(), " x");
}

#[test]
fn data_lines_joined_with_lf_and_trailing_lf_removed() {
    assert_eq!(datas(b"data: a\ndata: b\ndata: c\n\n"), ["a\nb\nc"]);
    assert_eq!(datas(b"data: a\ndata:\n\n"), ["a\n"]);
    assert_eq!(datas(b"data:\n\n"), [""]);
}

#[test]
fn no_dispatch_for_empty_data_buffer() {
    assert!(datas(b"event: x\n\n").is_empty());
    assert!(datas(b"id: 1\nretry: 5\n\n\n\n").is_empty());
    // The event type set without data does not leak into the next event.
    assert_eq!(
        events(b"event: x\n\ndata: a\n\n")[0].event_type(),
        "message"
    );
}

#[test]
fn event_type_default_and_reset_after_dispatch() {
    let evs = events(b"event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n");
    let types: Vec<&str> = evs.iter().map(Event::event_type).collect();
    assert_eq!(types, ["add", "message", "message"]);
}

#[test]
fn unknown_fields_ignored_and_field_names_case_sensitive() {
    assert_eq!(datas(b"foo: bar\nDATA: x\ndata: y\n\n"), ["y"]);
}

#[test]
fn id_with_nul_ignored_and_last_event_id_kept() {
    let evs = events(b"id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n");
    let ids: Vec<Option<&str>> = evs.iter().map(Event::id).collect();
    assert_eq!(ids, [Some("1"), Some("1"), Some("1"), None]);
    let mut p = Parser::new();
    p.feed(Bytes::from_static(b"id: 42\n\n"));
    assert!(p.next_frame().is_none());
    assert_eq!(p.last_event_id(), "42");
    assert_eq!(p.finish().last_event_id.as_deref(), Some("42"));
}

#[test]
fn last_event_id_updates_only_at_blank_line() {
    let mut p = Parser::new();
    p.feed(Bytes::from_static(b"id: 1\n\nid: 2\ndata: x\n"));
    assert!(p.next_frame().is_none());
    assert_eq!(p.last_event_id(), "1");
    let end = p.finish();
    assert!(end.truncated);
    assert_eq!(end.last_event_id.as_deref(), Some("1"));
}

#[test]
fn retry_only_when_all_ascii_digits() {
    let evs = events(b"retry: 1500\ndata: a\n\nretry: 1x\ndata: b\n\nretry:\ndata: c\n\nretry: -1\ndata: d\n\nretry: 20\ndata: e\n\n");
    let r: Vec<Option<Duration>> = evs.iter().map(Event::retry).collect();
    let ms = |n| Some(Duration::from_millis(n));
    assert_eq!(r, [ms(1500), ms(1500), ms(1500), ms(1500), ms(20)]);
    let evs = events(b"retry: 99999999999999999999999\ndata: a\n\n");
    assert_eq!(evs[0].retry(), ms(u64::MAX));
    let mut p = Parser::new();
    p.feed(Bytes::from_static(b"retry: 7\n"));
    assert!(p.next_frame().is_none());
    assert_eq!(p.reconnection_time(), ms(7));
}

#[test]
fn unfinished_event_not_dispatched_and_truncation_reported() {
    let (evs, end) = events_cfg(&[b"data: a\n\ndata: b\n"], Config::default());
    assert_eq!(evs.len(), 1);
    assert!(end.truncated);
    let (evs, end) = events_cfg(&[b"data: a\n\ndata: b"], Config::default());
    assert_eq!(evs.len(), 1);
    assert!(end.truncated);
    // A partial comment line is an unterminated line too.
    assert!(
        events_cfg(&[b"data: a\n\n: ka"], Config::default())
            .1
            .truncated
    );
    // Not truncated: empty, ends after a blank line, only complete comments after the last event.
    assert!(!events_cfg(&[], Config::default()).1.truncated);
    assert!(!events_cfg(&[b"data: a\n\n"], Config::default()).1.truncated);
    assert!(
        !events_cfg(&[b"data: a\n\n: ka\n"], Config::default())
            .1
            .truncated
    );
    // A final CR completes the blank line.
    let (evs, end) = events_cfg(&[b"data: a\r\r"], Config::default());
    assert_eq!(evs.len(), 1);
    assert!(!end.truncated);
}

#[test]
fn finish_drains_queued_input() {
    let mut p = Parser::new();
    p.feed(Bytes::from_static(b"data: a\n\ndata: b\n\n"));
    let end = p.finish();
    assert!(!end.truncated);
    let mut n = 0;
    while let Some(f) = p.next_frame() {
        assert!(matches!(f, Ok(Frame::Event(_))));
        n += 1;
    }
    assert_eq!(n, 2);
    p.feed(Bytes::from_static(b"data: c\n\n"));
    assert!(p.next_frame().is_none());
    assert_eq!(p.finish(), end);
}

#[test]
fn invalid_utf8_replaced_and_never_corrupts_following_events() {
    let evs =
        events(b"data: a\xFFb\xC3\n\nevent: t\xE2\x82\ndata: ok\n\ndata: \xF0\x9F\x98\x80\n\n");
    assert_eq!(evs[0].data(), "a\u{FFFD}b\u{FFFD}");
    assert!(evs[0].is_utf8_lossy());
    assert_eq!(&evs[0].data_bytes()[..], b"a\xFFb\xC3");
    assert_eq!(evs[1].event_type(), "t\u{FFFD}");
    assert_eq!(evs[1].data(), "ok");
    assert!(!evs[1].is_utf8_lossy());
    assert_eq!(evs[2].data(), "\u{1F600}");
}

#[test]
fn multibyte_characters_split_across_chunks() {
    let input = "data: h\u{e9}llo \u{1F600}\nid: \u{263A}\n\n".as_bytes();
    for at in 0..input.len() {
        let (evs, _) = events_cfg(&[&input[..at], &input[at..]], Config::default());
        assert_eq!(evs[0].data(), "h\u{e9}llo \u{1F600}");
        assert_eq!(evs[0].id(), Some("\u{263A}"));
    }
}
