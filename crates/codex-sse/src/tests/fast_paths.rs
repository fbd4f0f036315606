//! The line scanners, the fast paths and the event-type caches give what the plain
//! line-by-line rules give.

use super::*;

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
