//! The crate's promises beyond the standard: zero-copy slices of the input, offsets and
//! bytes consumed, the event size limit, error text, linear time on long lines.

use super::*;

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
