//! A hand-written decoder for the flat text-delta payloads, the hot path of every stream.
//!
//! It accepts only the plain shape the server sends (a flat object whose values are
//! strings, integers, booleans, `null`, `[]` or `{}`) and gives up (`None`) on anything else,
//! in which case the caller decodes with serde_json, which then also produces any error.
//! So the fast path never accepts a payload serde_json would reject, and never decides an
//! error itself.

use std::borrow::Cow;

pub(crate) struct FastDelta<'a> {
    pub delta: Cow<'a, str>,
    pub item_id: Option<Cow<'a, str>>,
    pub output_index: Option<u32>,
    pub content_index: Option<u32>,
    pub summary_index: Option<u32>,
    pub call_id: Option<Cow<'a, str>>,
    pub sequence_number: Option<u64>,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in (at least) the lowest byte of `v` that is `"`, `\\` or below 0x20; the
/// lowest flagged byte is always exact (borrows only reach higher bytes).
fn special_mask(v: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero(v ^ (ONES * u64::from(b'"')))
        | zero(v ^ (ONES * u64::from(b'\\')))
        | (v.wrapping_sub(ONES * 0x20) & !v & HIGH)
}

/// Offset of the first `"`, `\\` or control byte in `b`, scanning eight bytes at a time.
pub(crate) fn special_offset(b: &[u8]) -> Option<usize> {
    let mut j = 0;
    while let Some(chunk) = b.get(j..j + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let m = special_mask(u64::from_le_bytes(w));
        if m != 0 {
            return Some(j + (m.trailing_zeros() / 8) as usize);
        }
        j += 8;
    }
    b.get(j..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| j + p)
}

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

enum Val<'a> {
    Str(Cow<'a, str>),
    Int(u64),
    Null,
    Other,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        if c > b' ' {
            // Compact JSON: no whitespace to skip.
            return Some(c);
        }
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.i;
        let b = self.b;
        let mut j = start;
        // Sixteen bytes at a time (two words), stopping at the first quote, backslash or
        // control byte; then one more word when eight bytes remain (the last string of a
        // payload); the tail byte by byte below.
        'scan: {
            while let Some(chunk) = b.get(j..j + 16) {
                let mut lo = [0u8; 8];
                let mut hi = [0u8; 8];
                lo.copy_from_slice(&chunk[..8]);
                hi.copy_from_slice(&chunk[8..]);
                let m = special_mask(u64::from_le_bytes(lo));
                if m != 0 {
                    j += (m.trailing_zeros() / 8) as usize;
                    break 'scan;
                }
                let m = special_mask(u64::from_le_bytes(hi));
                if m != 0 {
                    j += 8 + (m.trailing_zeros() / 8) as usize;
                    break 'scan;
                }
                j += 16;
            }
            if let Some(chunk) = b.get(j..j + 8) {
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                let m = special_mask(u64::from_le_bytes(w));
                j += if m != 0 {
                    (m.trailing_zeros() / 8) as usize
                } else {
                    8
                };
            }
        }
        loop {
            match *b.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    return Some(Cow::Borrowed(self.s.get(start..j)?));
                }
                b'\\' => return self.escaped(start),
                c if c < 0x20 => return None,
                _ => j += 1,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }

    fn escaped(&mut self, start: usize) -> Option<Cow<'a, str>> {
        let mut out = String::with_capacity(16);
        let mut j = start;
        loop {
            let k = j + memchr::memchr2(b'"', b'\\', self.b.get(j..)?)?;
            let chunk = &self.b[j..k];
            if chunk.iter().any(|&c| c < 0x20) {
                return None;
            }
            out.push_str(self.s.get(j..k)?);
            if self.b[k] == b'"' {
                self.i = k + 1;
                return Some(Cow::Owned(out));
            }
            self.i = k + 2;
            match *self.b.get(k + 1)? {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hi = self.hex4()?;
                    let cp = if (0xD800..0xDC00).contains(&hi) {
                        self.lit(b"\\u")?;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return None;
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        hi
                    };
                    out.push(char::from_u32(cp)?);
                }
                _ => return None,
            }
            j = self.i;
        }
    }

    /// A JSON number; returns its value when it is a plain non-negative integer.
    fn number(&mut self) -> Option<Val<'a>> {
        // Fast path: a plain unsigned integer, accumulated while scanning.
        let start = self.i;
        let mut j = start;
        let mut n: u64 = 0;
        while let Some(&c) = self.b.get(j) {
            if !c.is_ascii_digit() {
                break;
            }
            // Too large for u64: give up and let serde_json decide.
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            j += 1;
        }
        if j > start && !matches!(self.b.get(j), Some(b'.' | b'e' | b'E')) {
            if j - start > 1 && self.b[start] == b'0' {
                return None;
            }
            self.i = j;
            return Some(Val::Int(n));
        }
        self.number_general()
    }

    /// Any JSON number (signed, fraction, exponent).
    fn number_general(&mut self) -> Option<Val<'a>> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let int_len = self.i - int_start;
        if int_len == 0 || (int_len > 1 && self.b[int_start] == b'0') {
            return None;
        }
        let mut plain = self.b[start] != b'-';
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let f = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            if self.i == f {
                return None;
            }
            plain = false;
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let e = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            if self.i == e {
                return None;
            }
            plain = false;
        }
        if plain {
            // Too large for u64: let serde_json decide.
            self.s.get(int_start..self.i)?.parse().ok().map(Val::Int)
        } else {
            Some(Val::Other)
        }
    }

    fn value(&mut self) -> Option<Val<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Val::Str),
            b't' => self.lit(b"true").map(|_| Val::Other),
            b'f' => self.lit(b"false").map(|_| Val::Other),
            b'n' => self.lit(b"null").map(|_| Val::Null),
            b'[' => {
                self.i += 1;
                self.eat(b']').map(|_| Val::Other)
            }
            b'{' => {
                self.i += 1;
                self.eat(b'}').map(|_| Val::Other)
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }
}

fn opt_str(v: Val<'_>) -> Option<Option<Cow<'_, str>>> {
    match v {
        Val::Str(s) => Some(Some(s)),
        Val::Null => Some(None),
        _ => None,
    }
}

fn opt_u64(v: &Val<'_>) -> Option<Option<u64>> {
    match v {
        Val::Int(n) => Some(Some(*n)),
        Val::Null => Some(None),
        _ => None,
    }
}

fn opt_u32(v: &Val<'_>) -> Option<Option<u32>> {
    match opt_u64(v)? {
        Some(n) => u32::try_from(n).ok().map(Some),
        None => Some(None),
    }
}

#[derive(Clone, Copy)]
enum Key {
    Delta,
    ItemId,
    OutputIndex,
    ContentIndex,
    SummaryIndex,
    CallId,
    SequenceNumber,
    Other,
}

impl Key {
    fn of(name: &str) -> Key {
        match name {
            "delta" => Key::Delta,
            "item_id" => Key::ItemId,
            "output_index" => Key::OutputIndex,
            "content_index" => Key::ContentIndex,
            "summary_index" => Key::SummaryIndex,
            "call_id" => Key::CallId,
            "sequence_number" => Key::SequenceNumber,
            _ => Key::Other,
        }
    }

    /// Duplicate detection bit (0 for keys this decoder ignores).
    fn bit(self) -> u16 {
        match self {
            Key::Delta => 1,
            Key::ItemId => 2,
            Key::OutputIndex => 4,
            Key::ContentIndex => 8,
            Key::SummaryIndex => 16,
            Key::CallId => 32,
            Key::SequenceNumber => 64,
            Key::Other => 0,
        }
    }
}

impl Scanner<'_> {
    /// A key the server sends, recognised by its literal bytes (closing quote included, so
    /// the key has no escapes and is exactly that name); advances past the closing quote.
    /// `None` when the bytes at the cursor are not one of them.
    fn known_key(&mut self) -> Option<Key> {
        /// `rest` starts with `lit` (constant length: compiled to a few word compares).
        fn is<const N: usize>(rest: &[u8], lit: &[u8; N]) -> bool {
            rest.get(..N).is_some_and(|r| r == lit)
        }
        let rest = self.b.get(self.i..)?;
        let (len, key) = match rest.first()? {
            b'd' if is(rest, b"delta\"") => (6, Key::Delta),
            b'i' if is(rest, b"item_id\"") => (8, Key::ItemId),
            b'o' if is(rest, b"output_index\"") => (13, Key::OutputIndex),
            b'o' if is(rest, b"obfuscation\"") => (12, Key::Other),
            b'c' if is(rest, b"content_index\"") => (14, Key::ContentIndex),
            b'c' if is(rest, b"call_id\"") => (8, Key::CallId),
            b's' if is(rest, b"sequence_number\"") => (16, Key::SequenceNumber),
            b's' if is(rest, b"summary_index\"") => (14, Key::SummaryIndex),
            b'l' if is(rest, b"logprobs\"") => (9, Key::Other),
            b't' if is(rest, b"type\"") => (5, Key::Other),
            _ => return None,
        };
        self.i += len;
        Some(key)
    }

    fn key(&mut self) -> Option<Key> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        if let Some(k) = self.known_key() {
            return Some(k);
        }
        self.i -= 1;
        let name = self.string()?;
        Some(Key::of(&name))
    }
}

/// Decodes a flat delta payload, or `None` when the payload is not in the plain shape.
pub(crate) fn delta(s: &str) -> Option<FastDelta<'_>> {
    let mut sc = Scanner {
        s,
        b: s.as_bytes(),
        i: 0,
    };
    sc.eat(b'{')?;
    if sc.peek()? == b'}' {
        return None;
    }
    members(sc, false)
}

/// Like [`delta`], for a payload whose opening `{` and first member (`"type"` with a
/// string value free of escapes, as `events::peek_type` checked) end just before byte `at`.
pub(crate) fn delta_after_type(s: &str, at: usize) -> Option<FastDelta<'_>> {
    let sc = Scanner {
        s,
        b: s.as_bytes(),
        i: at,
    };
    members(sc, true)
}

/// The members of the object from the cursor (`after_value`: a member was just read, so a
/// `,` or `}` comes first) to the end of the input.
fn members(mut sc: Scanner<'_>, mut after_value: bool) -> Option<FastDelta<'_>> {
    let mut d = FastDelta {
        delta: Cow::Borrowed(""),
        item_id: None,
        output_index: None,
        content_index: None,
        summary_index: None,
        call_id: None,
        sequence_number: None,
    };
    let mut seen = 0u16;
    loop {
        if after_value {
            match sc.peek()? {
                b',' => sc.i += 1,
                b'}' => {
                    sc.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        after_value = true;
        let key = sc.key()?;
        sc.eat(b':')?;
        let v = sc.value()?;
        match key {
            Key::Delta => match v {
                Val::Str(x) => d.delta = x,
                _ => return None,
            },
            Key::ItemId => d.item_id = opt_str(v)?,
            Key::OutputIndex => d.output_index = opt_u32(&v)?,
            Key::ContentIndex => d.content_index = opt_u32(&v)?,
            Key::SummaryIndex => d.summary_index = opt_u32(&v)?,
            Key::CallId => d.call_id = opt_str(v)?,
            Key::SequenceNumber => d.sequence_number = opt_u64(&v)?,
            Key::Other => {}
        }
        let bit = key.bit();
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
    }
    sc.ws();
    if sc.i != sc.b.len() || seen & 1 == 0 {
        return None;
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_escaped() {
        let d = delta(r#"{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg","output_index":0,"content_index":1,"delta":"a b","logprobs":[],"obfuscation":"xx","x":true,"y":-1.5e3,"z":{}}"#).unwrap();
        assert!(matches!(d.delta, Cow::Borrowed("a b")));
        assert_eq!(d.sequence_number, Some(3));
        assert_eq!(d.content_index, Some(1));
        let d = delta(r#"{"delta":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#).unwrap();
        assert_eq!(d.delta, "\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1F600}");
    }

    #[test]
    fn keys_by_literal_or_by_scan() {
        // An escaped key is still that key; near-misses of known keys are other keys.
        let d =
            delta(r#"{"d\u0065lta":"x","deltas":"y","item_idx":"z","o":1,"sequence_number":9}"#)
                .unwrap();
        assert_eq!(d.delta, "x");
        assert_eq!(d.item_id, None);
        assert_eq!(d.sequence_number, Some(9));
        assert!(delta(r#"{"delta":"x","d\u0065lta":"y"}"#).is_none());
        let s = r#"{"type":"t","delta":"x","call_id":"c"}"#;
        let d = delta_after_type(s, 11).unwrap();
        assert_eq!((d.delta.as_ref(), d.call_id.as_deref()), ("x", Some("c")));
        assert!(delta_after_type(r#"{"type":"t"}"#, 11).is_none());
        assert!(delta_after_type(r#"{"type":"t""delta":"x"}"#, 11).is_none());
    }

    #[test]
    fn gives_up_on_anything_unusual() {
        for s in [
            r#"{"delta":"a"} x"#,
            r#"{"delta":"a",}"#,
            r#"{"delta":"a","delta":"b"}"#,
            r#"{"delta":"\ud800"}"#,
            r#"{"delta":"\x"}"#,
            "{\"delta\":\"a\u{1}\"}",
            r#"{"delta":"a","logprobs":[1]}"#,
            r#"{"delta":"a","output_index":01}"#,
            r#"{"delta":"a","output_index":99999999999}"#,
            r#"{"delta":"a","output_index":1.0}"#,
            r#"{"delta":null}"#,
            r#"{"item_id":"a"}"#,
            r#"{"delta":"a""#,
            "",
            "{}",
        ] {
            assert!(delta(s).is_none(), "{s}");
        }
    }
}
