//! Unit tests: one per WHATWG rule and per contract point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;

use crate::{Config, EndOfStream, Error, Event, Frame, Parser};

fn run_cfg(chunks: &[&[u8]], config: Config) -> (Vec<Result<Frame, Error>>, EndOfStream) {
    let mut p = Parser::with_config(config);
    let mut out = Vec::new();
    for c in chunks {
        p.feed(Bytes::copy_from_slice(c));
        while let Some(f) = p.next_frame() {
            out.push(f);
        }
    }
    let end = p.finish();
    while let Some(f) = p.next_frame() {
        out.push(f);
    }
    assert_eq!(
        end.bytes_consumed,
        chunks.iter().map(|c| c.len() as u64).sum::<u64>()
    );
    (out, end)
}

fn events_cfg(chunks: &[&[u8]], config: Config) -> (Vec<Event>, EndOfStream) {
    let (frames, end) = run_cfg(chunks, config);
    let evs = frames
        .into_iter()
        .filter_map(|f| match f.unwrap() {
            Frame::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    (evs, end)
}

fn events(input: &[u8]) -> Vec<Event> {
    events_cfg(&[input], Config::default()).0
}

fn datas(input: &[u8]) -> Vec<String> {
    events(input).iter().map(|e| e.data().to_owned()).collect()
}

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

#[test]
fn zero_copy_slices_of_input() {
    let input = Bytes::from_static(b"event: t\nid: 9\ndata: hello\n\n");
    let mut p = Parser::new();
    p.feed(input.clone());
    let Some(Ok(Frame::Event(e))) = p.next_frame() else {
        panic!()
    };
    let range = input.as_ptr_range();
    assert!(range.contains(&e.data_bytes().as_ptr()));
    assert!(range.contains(&e.id().unwrap().as_ptr()));
    // The type is interned (no per-event reference count): the same storage for every
    // stream, and not a slice of this input.
    assert!(!range.contains(&e.event_type().as_ptr()));
    assert!(std::ptr::eq(
        e.event_type(),
        crate::intern::intern("t").unwrap()
    ));
    // A name too long to intern is a slice of the input instead.
    let long = format!(
        "event: {}
data: x

",
        "n".repeat(crate::intern::MAX_LEN + 1)
    );
    let input = Bytes::from(long);
    let mut p = Parser::new();
    p.feed(input.clone());
    let Some(Ok(Frame::Event(e))) = p.next_frame() else {
        panic!()
    };
    assert!(input.as_ptr_range().contains(&e.event_type().as_ptr()));
}

#[test]
fn offsets_and_bytes_consumed() {
    let mut p = Parser::new();
    p.feed(Bytes::from_static(
        b": c\n\ndata: a\n\nevent: x\r\ndata: b\r\n\r\n",
    ));
    let Some(Ok(Frame::Event(a))) = p.next_frame() else {
        panic!()
    };
    assert_eq!(a.offset(), 5);
    assert_eq!(p.bytes_consumed(), 14);
    let Some(Ok(Frame::Event(b))) = p.next_frame() else {
        panic!()
    };
    assert_eq!(b.offset(), 14);
    // The final LF of the last CRLF is consumed on the next pull.
    assert_eq!(p.bytes_consumed(), 34);
}

#[test]
fn event_too_large_is_typed_and_recovers() {
    let cfg = || Config::default().max_event_size(16);
    let input: &[u8] = b"data: small\n\ndata: 0123456789abcdef\ndata: more\n\ndata: next\n\n";
    let (frames, end) = run_cfg(&[input], cfg());
    assert_eq!(frames.len(), 3);
    assert!(matches!(&frames[0], Ok(Frame::Event(e)) if e.data() == "small"));
    assert_eq!(frames[1], Err(Error::EventTooLarge { limit: 16 }));
    assert!(matches!(&frames[2], Ok(Frame::Event(e)) if e.data() == "next"));
    assert!(!end.truncated);
    // Same result with 1-byte chunks (the limit trips while the line is still partial).
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run_cfg(&chunks, cfg()).0, frames);
    // Several lines adding up beyond the limit.
    let (frames, _) = run_cfg(
        &[b"data: 12345\ndata: 12345\ndata: 1\n\ndata: z\n\n"],
        cfg(),
    );
    assert_eq!(frames[0], Err(Error::EventTooLarge { limit: 16 }));
    assert!(matches!(&frames[1], Ok(Frame::Event(e)) if e.data() == "z"));
    // An oversized event cut by the end of input is truncated.
    assert!(run_cfg(&[b"data: 0123456789abcdefgh"], cfg()).1.truncated);
    assert!(run_cfg(&[b"data: 0123456789abcdefgh\n"], cfg()).1.truncated);
    // Exactly at the limit is fine.
    let (frames, _) = run_cfg(&[b"data: 0123456789\n\n"], cfg());
    assert!(matches!(&frames[0], Ok(Frame::Event(e)) if e.data() == "0123456789"));
}

#[test]
fn error_display_is_one_clause() {
    let e = Error::EventTooLarge { limit: 5 };
    assert_eq!(
        e.to_string(),
        "server-sent event exceeds the maximum size of 5 bytes"
    );
}

#[test]
fn long_line_in_small_chunks_is_linear_and_correct() {
    let mut input = b"data: ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 8 << 20));
    input.extend_from_slice(b"\n\n");
    let chunks: Vec<&[u8]> = input.chunks(1500).collect();
    let (evs, end) = events_cfg(&chunks, Config::default());
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].data().len(), 8 << 20);
    assert!(!end.truncated);
}

#[test]
fn contains_eol_matches_naive_scan() {
    for len in 0..40 {
        for pos in 0..len {
            for b in [b'\n', b'\r', b'a', 0x8a, 0x0b, 0x09, 0xff] {
                let mut v = vec![b'x'; len];
                v[pos] = b;
                let naive = v.iter().any(|&c| c == b'\n' || c == b'\r');
                assert_eq!(crate::text::contains_eol(&v), naive, "{v:?}");
                assert_eq!(crate::text::contains_eol_words(&v), naive, "{v:?}");
            }
        }
    }
}

/// Whether `v`, after a chunk that did (`after_eol`) or did not end a line, holds a whole
/// non-empty line: a line that starts in it (at 0 if `after_eol`, or after a CR/LF) and whose
/// CR/LF follows in it after at least one other byte.
fn naive_holds_whole_line(v: &[u8], after_eol: bool) -> bool {
    let eol = |c: &u8| *c == b'\n' || *c == b'\r';
    std::iter::once(0)
        .filter(|_| after_eol)
        .chain((0..v.len()).filter(|&i| eol(&v[i])).map(|i| i + 1))
        .any(|st| v[st..].iter().position(eol).is_some_and(|len| len > 0))
}

#[test]
fn append_unless_whole_line_matches_naive_scan() {
    let alphabet = [b'\n', b'\r', b'a', 0x8a, 0x0d ^ 0x80, 0x0b];
    for len in 0..=64 {
        for seed in 0..60u64 {
            // Line ends at pseudo-random places (deterministic LCG); seeds 0 and 1 give
            // chunks with none and with only line ends.
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ len as u64;
            let v: Vec<u8> = (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    match seed {
                        0 => b'a',
                        1 => b'\n',
                        _ => alphabet[(x >> 60) as usize % alphabet.len()],
                    }
                })
                .collect();
            let naive_mask = v.iter().enumerate().fold(0u64, |m, (i, &c)| {
                m | (u64::from(c == b'\n' || c == b'\r') << i)
            });
            assert_eq!(crate::text::eol_mask(&v), naive_mask, "{v:?}");
            for after_eol in [false, true] {
                // A destination with some bytes already and little spare room, so that the
                // append has to grow it now and then.
                let mut dst = bytes::BytesMut::with_capacity(len % 7);
                dst.extend_from_slice(&b"xyz"[..len % 4]);
                let before = dst.clone();
                let got = crate::text::append_unless_whole_line(&mut dst, &v, after_eol);
                if naive_holds_whole_line(&v, after_eol) {
                    assert_eq!(got, None, "{v:?} after_eol={after_eol}");
                    assert_eq!(dst, before);
                } else {
                    let ends = v.last().is_some_and(|c| *c == b'\n' || *c == b'\r');
                    assert_eq!(got, Some(ends), "{v:?} after_eol={after_eol}");
                    assert_eq!(dst[..before.len()], before[..]);
                    assert_eq!(dst[before.len()..], v[..]);
                }
            }
        }
    }
}

#[test]
fn holds_whole_line_matches_a_naive_line_split() {
    use crate::text::{eol_mask, holds_whole_line};
    // Every 8-byte string over {CR, LF, a}, after a chunk that did or did not end a line.
    for code in 0..3u32.pow(8) {
        let v: Vec<u8> = (0..8)
            .map(|k| [b'\n', b'\r', b'a'][(code / 3u32.pow(k) % 3) as usize])
            .collect();
        for after_eol in [false, true] {
            assert_eq!(
                holds_whole_line(eol_mask(&v), after_eol),
                naive_holds_whole_line(&v, after_eol),
                "{v:?} after_eol={after_eol}"
            );
        }
    }
}

#[test]
fn event_stays_small_enough_to_move_without_memcpy() {
    // Frames move through several return values; keeping `Event` at 72 bytes or less lets the
    // compiler move it with a few vector stores (see docs/sse.md, "Performance").
    assert!(std::mem::size_of::<Event>() <= 72);
    assert!(std::mem::size_of::<Option<Result<Frame, crate::Error>>>() <= 80);
}

#[test]
fn cached_event_type_is_reused_only_for_an_exact_repeat() {
    let input = b"event: ab\ndata: 1\n\nevent: ab\ndata: 2\n\nevent: abc\ndata: 3\n\n\
event: ab\r\ndata: 4\n\nevent: a\ndata: 5\n\nevent: ab\ndata: 6\n\nevent: ab \ndata: 7\n\n\
event:ab\ndata: 8\n\nevent: ab\nevent:\ndata: 9\n\n";
    for size in [1, 2, 3, 5, 7, 11, input.len()] {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        let (evs, _) = events_cfg(&chunks, Config::default());
        let got: Vec<(&str, &str)> = evs.iter().map(|e| (e.event_type(), e.data())).collect();
        assert_eq!(
            got,
            [
                ("ab", "1"),
                ("ab", "2"),
                ("abc", "3"),
                ("ab", "4"),
                ("a", "5"),
                ("ab", "6"),
                ("ab ", "7"),
                ("ab", "8"),
                ("message", "9"),
            ],
            "chunk size {size}"
        );
    }
}

#[test]
fn cached_lossy_event_type_matches_raw_bytes_only() {
    // An invalid type is cached as its U+FFFD replacement; a later line holding that
    // replacement literally gives the same text, and the raw invalid bytes again are re-read.
    let input = "event: a\u{FFFD}\ndata: 1\n\n".as_bytes();
    let mut all = b"event: a\xFF\ndata: 0\n\n".to_vec();
    all.extend_from_slice(input);
    all.extend_from_slice(b"event: a\xFF\ndata: 2\n\n");
    let evs = events(&all);
    let got: Vec<(&str, &str)> = evs.iter().map(|e| (e.event_type(), e.data())).collect();
    assert_eq!(
        got,
        [("a\u{FFFD}", "0"), ("a\u{FFFD}", "1"), ("a\u{FFFD}", "2")]
    );
}

#[test]
fn data_fast_path_handles_cr_and_multi_line_data() {
    let evs = events(b"data: a\r\ndata: b\rdata: c\n\ndata: d\r\r\ndata: e\n\n");
    let got: Vec<&str> = evs.iter().map(Event::data).collect();
    assert_eq!(got, ["a\nb\nc", "d", "e"]);
    let evs = events(b"data: d\r\rdata: e\n\n");
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].data(), "e");
}

#[test]
fn utf8_check_sees_non_ascii_anywhere_including_the_overlapping_tail() {
    for len in [0usize, 1, 63, 64, 65, 100, 127, 128, 129, 220] {
        let ascii = vec![b'a'; len];
        assert!(crate::text::is_utf8(&ascii), "len {len}");
        for at in 0..len {
            let mut bad = ascii.clone();
            bad[at] = 0xFF;
            assert!(!crate::text::is_utf8(&bad), "len {len} at {at}");
            if at + 2 <= len {
                let mut good = ascii.clone();
                good[at..at + 2].copy_from_slice("é".as_bytes());
                assert!(crate::text::is_utf8(&good), "len {len} at {at}");
            }
        }
    }
}

#[test]
fn whole_event_fast_path_matches_line_by_line_rules() {
    // Each case starts with a cached type and a clean state, so the whole-event path is tried
    // first; the expected values follow from the WHATWG rules alone.
    let long = "x".repeat(300);
    type Want<'a> = Vec<(&'a str, String, Option<&'a str>)>;
    let cases: Vec<(String, Want)> = vec![
        // Plain repeats of the cached type, with and without an event line.
        (
            "event: t\ndata: 1\n\nevent: t\ndata: 2\n\ndata: 3\n\n".into(),
            vec![
                ("t", "1".into(), None),
                ("t", "2".into(), None),
                ("message", "3".into(), None),
            ],
        ),
        // A retry-only block (no dispatch) before a fast event: the event carries the retry.
        (
            "event: t\ndata: 1\n\nretry: 5\n\nevent: t\ndata: 2\n\n".into(),
            vec![("t", "1".into(), None), ("t", "2".into(), None)],
        ),
        // An id set by an earlier event stays the last event id of later fast events.
        (
            "id: 9\nevent: t\ndata: 1\n\nevent: t\ndata: 2\n\n".into(),
            vec![("t", "1".into(), Some("9")), ("t", "2".into(), Some("9"))],
        ),
        // Not whole: CRLF, a second data line, a missing blank line, a longer data line.
        (
            format!(
                "event: t\ndata: a\r\n\r\nevent: t\ndata: b\ndata: c\n\nevent: t\ndata: {long}\n\n"
            ),
            vec![
                ("t", "a".into(), None),
                ("t", "b\nc".into(), None),
                ("t", long.clone(), None),
            ],
        ),
        // The blank line in the next chunk (the one-chunk case is covered by size 1..).
        (
            "event: t\ndata: 1\n\nevent: t\ndata: 2\n".into(),
            vec![("t", "1".into(), None)],
        ),
    ];
    for (input, want) in cases {
        for size in [1, 2, 7, 16, 19, 64, input.len()] {
            let chunks: Vec<&[u8]> = input.as_bytes().chunks(size).collect();
            let (evs, _) = events_cfg(&chunks, Config::default());
            let got: Vec<(&str, String, Option<&str>)> = evs
                .iter()
                .map(|e| (e.event_type(), e.data().to_owned(), e.id()))
                .collect();
            assert_eq!(got, want, "chunk size {size} of {input:?}");
        }
    }
    // The retry from the block without data reaches the next (fast) event.
    let evs = events(b"event: t\ndata: 1\n\nretry: 5\n\nevent: t\ndata: 2\n\n");
    assert_eq!(evs[0].retry(), None);
    assert_eq!(evs[1].retry(), Some(Duration::from_millis(5)));
}

#[test]
fn whole_event_fast_path_respects_the_size_limit() {
    // "event: t" is 8 bytes and "data: 12345" 11: 19 in all. At the limit it passes; one byte
    // under, the event is refused with a typed error and the next one still arrives.
    let input = b"event: t\ndata: 1\n\nevent: t\ndata: 12345\n\nevent: t\ndata: 2\n\n";
    let (frames, _) = run_cfg(&[input], Config::default().max_event_size(19));
    assert_eq!(frames.iter().filter(|f| f.is_ok()).count(), 3);
    let (frames, end) = run_cfg(&[input], Config::default().max_event_size(18));
    let datas: Vec<String> = frames
        .iter()
        .map(|f| match f {
            Ok(Frame::Event(e)) => e.data().to_owned(),
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        })
        .collect();
    assert_eq!(
        datas,
        [
            "1",
            "server-sent event exceeds the maximum size of 18 bytes",
            "2"
        ]
    );
    assert!(!end.truncated);
}

#[test]
fn event_types_are_interned_or_kept_as_text() {
    // Short valid names come from the process-wide table (the same storage every time);
    // long or invalid ones are still exact.
    let long = "n".repeat(crate::intern::MAX_LEN + 1);
    let input = format!(
        "event: codex.test.name\ndata: 1\n\nevent: codex.test.name\r\ndata: 2\n\nevent: {long}\ndata: 3\n\n"
    );
    let evs = events(input.as_bytes());
    assert_eq!(evs[0].event_type(), "codex.test.name");
    assert!(std::ptr::eq(evs[0].event_type(), evs[1].event_type()));
    assert_eq!(evs[2].event_type(), long);
    let other = events(b"event: codex.test.name\ndata: 4\n\n");
    assert!(std::ptr::eq(other[0].event_type(), evs[0].event_type()));
}
