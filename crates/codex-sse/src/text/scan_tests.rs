//! The line scanners agree with the obvious byte-by-byte definition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{scan_line, scan_line_scalar, scan_value};
use bytes::Bytes;
use proptest::prelude::*;

/// The obvious definition, byte by byte.
fn naive(s: &[u8]) -> Option<(usize, bool)> {
    let at = s.iter().position(|&b| b == b'\n' || b == b'\r')?;
    Some((at, s[..at].iter().all(|&b| b < 0x80)))
}

fn check(s: &[u8]) {
    let want = naive(s);
    assert_eq!(scan_line(s), want, "scan_line on {s:?}");
    assert_eq!(scan_line_scalar(s), want, "scan_line_scalar on {s:?}");
}

#[test]
fn line_end_and_high_bit_at_every_position() {
    for len in 0..=100usize {
        // No line end at all, ASCII and with one high byte anywhere.
        let plain = vec![b'a'; len];
        check(&plain);
        for h in 0..len {
            let mut s = plain.clone();
            s[h] = 0xC3;
            check(&s);
        }
        for eol in [b'\n', b'\r'] {
            for at in 0..len {
                let mut s = plain.clone();
                s[at] = eol;
                check(&s);
                assert_eq!(scan_line(&s), Some((at, true)));
                // A high byte before, at... and after the line end.
                for h in 0..len {
                    if h == at {
                        continue;
                    }
                    let mut t = s.clone();
                    t[h] = 0x80 | (h as u8);
                    check(&t);
                    assert_eq!(scan_line(&t), Some((at, h > at)));
                }
                // Other control bytes (the prefilter flags them) change nothing.
                let mut t = s.clone();
                for (i, b) in t.iter_mut().enumerate() {
                    if i != at && i % 3 == 0 {
                        *b = b'\t';
                    }
                }
                check(&t);
            }
        }
    }
}

#[test]
fn cr_lf_crlf_mixes() {
    for s in [
        &b"data: abc\r\n"[..],
        b"\r\n",
        b"\n\r",
        b"0123456789abcdef0123456789\r\n\n",
        b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\rx\n",
        b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n",
        b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456\n\r",
        "caf\u{e9} 0123456789abcdef0123456789abcdef\r\n".as_bytes(),
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\u{1F600}\n".as_bytes(),
    ] {
        check(s);
    }
    assert_eq!(scan_line(b"ab\r\ncd"), Some((2, true)));
    assert_eq!(scan_line(b"ab\n\rcd"), Some((2, true)));
}

#[test]
fn scan_value_slices_the_scanned_bytes() {
    let chunk = Bytes::from_static(b"data: 0123456789abcdef0123456789 tail\r\nnext\n");
    let (len, value) = scan_value(&chunk, 6).unwrap();
    assert_eq!(len, 31);
    assert_eq!(value.unwrap().bytes(), &chunk[6..37]);
    let chunk = Bytes::from("data: caf\u{e9} 0123456789abcdef0123456789\n".to_owned());
    let (len, value) = scan_value(&chunk, 6).unwrap();
    assert_eq!(&chunk[6 + len..], b"\n");
    assert_eq!(value.err().unwrap(), chunk.slice(6..6 + len));
    assert!(scan_value(&chunk, chunk.len() + 1).is_none());
    assert!(scan_value(&Bytes::from_static(b"data: no end"), 6).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random bytes, biased towards line ends, high bytes and other control bytes.
    #[test]
    fn agrees_with_scalar_and_naive(
        s in proptest::collection::vec(
            prop_oneof![
                8 => 0x20u8..0x7F,
                1 => Just(b'\n'),
                1 => Just(b'\r'),
                1 => 0x80u8..=0xFF,
                1 => 0u8..0x20,
            ],
            0..300,
        ),
        skip_ends in any::<bool>(),
    ) {
        let mut s = s;
        if skip_ends {
            // Long runs with a late (or no) line end exercise the 64-byte loop.
            let n = s.len() / 2;
            for b in &mut s[..n] {
                if *b == b'\n' || *b == b'\r' {
                    *b = b'x';
                }
            }
        }
        let want = naive(&s);
        prop_assert_eq!(scan_line(&s), want);
        prop_assert_eq!(scan_line_scalar(&s), want);
        // Every suffix too (all alignments of blocks and tails).
        for from in 0..s.len().min(70) {
            prop_assert_eq!(scan_line(&s[from..]), naive(&s[from..]));
        }
    }
}
