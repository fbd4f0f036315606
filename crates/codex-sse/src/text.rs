//! UTF-8 checked once: byte containers whose text views need no re-validation.
//!
//! This is the crate's only module with `unsafe` code: two `std::str::from_utf8_unchecked`
//! calls and the SSE2 loads of the line-end scanners ([`scan_line`], [`contains_eol`]). The types keep their
//! fields private to this module, and every constructor checks (or produces) valid UTF-8, so
//! the invariant documented on each type holds for every value.
//!
//! Kept in one file on purpose: every `unsafe` block and the invariants it relies on are
//! reviewed in one place. Its tests are in `text/scan_tests.rs` and `src/tests/`.
#![allow(
    unsafe_code,
    reason = "from_utf8_unchecked on bytes validated at construction, in-bounds SSE2 loads \
              (see the SAFETY comments)"
)]

use bytes::{Bytes, BytesMut};

/// Whether `bytes` is valid UTF-8: an ASCII check first (SSE payloads are mostly ASCII),
/// then `simdutf8` (SIMD validation chosen at run time, several times faster than
/// `std::str::from_utf8` on the long non-ASCII texts a `response.completed` carries).
#[inline]
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    is_ascii(bytes) || simdutf8::basic::from_utf8(bytes).is_ok()
}

/// `<[u8]>::is_ascii`, 64 bytes per step: the byte-wise OR of each block compiles to a few
/// vector ORs (SSE2 on the baseline x86-64 target), which beats the standard library's
/// word-at-a-time loop on event-sized inputs (measured with callgrind; see docs/sse.md).
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        if block.iter().fold(0u8, |acc, &b| acc | b) >= 0x80 {
            return false;
        }
    }
    // Inputs of 64 bytes or more end with one overlapping block instead of a byte-wise tail.
    match bytes.len().checked_sub(64).and_then(|at| bytes.get(at..)) {
        Some(last) => last.iter().fold(0u8, |acc, &b| acc | b) < 0x80,
        None => blocks.remainder().is_ascii(),
    }
}

/// Position of the first CR or LF in `s`, and whether every byte before it is ASCII. `None`
/// when `s` holds no line end.
///
/// On x86-64 this is one pass with SSE2 (baseline on that target, so no runtime detection):
/// a prefilter over 64 bytes per step, exact line-end and high-bit masks only for a block the
/// prefilter flags (see `scan_line_sse2`); inputs under 16 bytes take a byte loop. Elsewhere
/// it is `memchr2` followed by an ASCII check of the prefix.
#[inline]
pub(crate) fn scan_line(s: &[u8]) -> Option<(usize, bool)> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        if s.len() < 16 {
            let at = s.iter().position(|&b| b == b'\n' || b == b'\r')?;
            return Some((at, s.get(..at).is_some_and(<[u8]>::is_ascii)));
        }
        // SAFETY: `scan_line_sse2` only requires SSE2, which this build enables
        // (`target_feature = "sse2"`, part of the x86-64 baseline).
        unsafe { scan_line_sse2(s) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    scan_line_scalar(s)
}

/// Whether `s` holds a CR or LF. With SSE2, inputs of 16 bytes or more are checked one
/// 16-byte block at a time (the last block overlapping); shorter ones, and every input off
/// x86-64, eight bytes at a time ([`contains_eol_words`]).
#[inline]
pub(crate) fn contains_eol(s: &[u8]) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if s.len() >= 16 {
        // SAFETY: `contains_eol_sse2` only requires SSE2, which this build enables.
        return unsafe { contains_eol_sse2(s) };
    }
    contains_eol_words(s)
}

/// The CR/LF positions of a 16-byte block: bit `i` set when byte `i` is CR or LF.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
#[target_feature(enable = "sse2")]
fn eol_bits(v: std::arch::x86_64::__m128i) -> u16 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    let lf = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
    let cr = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8));
    // `movemask` sets only the low 16 bits.
    _mm_movemask_epi8(_mm_or_si128(lf, cr)) as u16
}

/// [`contains_eol`] for inputs of 16 bytes or more, SSE2.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
#[target_feature(enable = "sse2")]
fn contains_eol_sse2(s: &[u8]) -> bool {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128};
    let n = s.len();
    debug_assert!(n >= 16);
    let hit = |o: usize| {
        debug_assert!(o + 16 <= n);
        // SAFETY: callers pass `o + 16 <= n` (the loop runs while `i + 16 <= n`, the last
        // block starts at `n - 16` and the caller guarantees `n >= 16`), so the 16 bytes
        // read lie inside `s`; `_mm_loadu_si128` has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(s.as_ptr().add(o).cast::<__m128i>()) };
        eol_bits(v) != 0
    };
    let mut i = 0;
    while i + 16 <= n {
        if hit(i) {
            return true;
        }
        i += 16;
    }
    i < n && hit(n - 16)
}

/// The positions of CR and LF in `s` (at most 64 bytes) as a bit mask: bit `i` is set when
/// `s[i]` is CR or LF. A byte loop, for chunks under 16 bytes (longer ones are scanned by
/// [`append_unless_whole_line`] as it copies them).
#[inline]
pub(crate) fn eol_mask(s: &[u8]) -> u64 {
    debug_assert!(s.len() <= 64);
    s.iter().take(64).enumerate().fold(0, |m, (i, &b)| {
        m | (u64::from(b == b'\n' || b == b'\r') << i)
    })
}

/// Appends `chunk` (at most 64 bytes) to `dst` unless it holds a whole non-empty line
/// ([`holds_whole_line`] with `after_eol`). Returns `None` (and leaves `dst` as it was) when
/// it holds one, otherwise whether it ends with CR or LF. With SSE2, chunks of 16 to 64 bytes
/// are copied and scanned in the same pass (each 16-byte block is loaded once, stored into
/// `dst`'s spare capacity and compared), and `dst`'s length is set only when the chunk is kept.
#[inline]
pub(crate) fn append_unless_whole_line(
    dst: &mut BytesMut,
    chunk: &[u8],
    after_eol: bool,
) -> Option<bool> {
    let n = chunk.len();
    debug_assert!(n <= 64);
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if (16..=64).contains(&n) {
        dst.reserve(n);
        // SAFETY: `copy_with_eol_mask_sse2` only requires SSE2, which this build enables; it
        // writes `n` bytes into the spare capacity, which `reserve(n)` made at least `n` long.
        let mask = unsafe { copy_with_eol_mask_sse2(chunk, dst.spare_capacity_mut()) };
        if holds_whole_line(mask, after_eol) {
            return None;
        }
        // SAFETY: the `n` bytes after the current length were initialised just above (the
        // copy writes every byte of `chunk`), and they lie within the capacity.
        unsafe { dst.set_len(dst.len() + n) };
        return Some(mask >> (n - 1) & 1 == 1);
    }
    let mask = eol_mask(chunk);
    if holds_whole_line(mask, after_eol) {
        return None;
    }
    dst.extend_from_slice(chunk);
    Some(n > 0 && mask >> (n - 1) & 1 == 1)
}

/// Copies `src` (16 to 64 bytes) to the start of `dst` in 16-byte blocks (the last one
/// overlapping; a fixed sequence rather than a loop, which measured ~25 % faster for 16-byte
/// chunks) and returns [`eol_mask`] of `src`. `dst` must be at least `src.len()` long.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
#[target_feature(enable = "sse2")]
fn copy_with_eol_mask_sse2(src: &[u8], dst: &mut [std::mem::MaybeUninit<u8>]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_storeu_si128};
    let n = src.len();
    assert!((16..=64).contains(&n) && dst.len() >= n);
    let block = |o: usize, dst: &mut [std::mem::MaybeUninit<u8>]| -> u64 {
        debug_assert!(o + 16 <= n);
        // SAFETY: callers pass `o + 16 <= n`, and both `src` and `dst` are at least `n` long
        // (asserted above), so the 16 bytes read and the 16 written lie inside them; the
        // unaligned load and store have no alignment requirement.
        let v = unsafe {
            let v = _mm_loadu_si128(src.as_ptr().add(o).cast::<__m128i>());
            _mm_storeu_si128(dst.as_mut_ptr().add(o).cast::<__m128i>(), v);
            v
        };
        u64::from(eol_bits(v)) << o
    };
    // Blocks at 0 and at n - 16 cover up to 32 bytes; 16 and 32 (or n - 16) add the rest.
    let mut m = block(0, dst);
    if n > 16 {
        m |= block(n - 16, dst);
    }
    if n > 32 {
        m |= block(16, dst);
        if n > 48 {
            m |= block(32, dst);
        }
    }
    m
}

/// Whether a chunk whose CR/LF positions are `mask` ([`eol_mask`]) holds a whole non-empty
/// line: one that starts in it (after a CR or LF in it, or at its first byte when the chunk
/// before ended with CR or LF, `after_eol`) and whose line end is in it too.
#[inline]
pub(crate) fn holds_whole_line(mask: u64, after_eol: bool) -> bool {
    if mask == 0 {
        return false;
    }
    let lo = mask.trailing_zeros();
    let hi = 63 - mask.leading_zeros();
    // A line before the first line end that started at the chunk's start, or a gap between
    // two line ends (adjacent ones, such as CR LF or a blank line, enclose no byte).
    (after_eol && lo > 0) || mask.count_ones() != hi - lo + 1
}

/// Whether `s` holds a CR or LF, eight bytes at a time.
#[inline]
pub(crate) fn contains_eol_words(s: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut words = s.chunks_exact(8);
    for w in words.by_ref() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        let x = u64::from_le_bytes(bytes);
        let lf = x ^ (LO * u64::from(b'\n'));
        let cr = x ^ (LO * u64::from(b'\r'));
        // Classic "has a zero byte" test on both XORed words.
        if ((lf.wrapping_sub(LO) & !lf) | (cr.wrapping_sub(LO) & !cr)) & HI != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b == b'\n' || b == b'\r')
}

/// The portable version of [`scan_line`]: `memchr2`, then an ASCII check of the prefix (the
/// fallback off x86-64, and the reference the tests compare the SSE2 scan with).
#[inline]
pub(crate) fn scan_line_scalar(s: &[u8]) -> Option<(usize, bool)> {
    let at = if s.len() < 16 {
        s.iter().position(|&b| b == b'\n' || b == b'\r')
    } else {
        memchr::memchr2(b'\n', b'\r', s)
    }?;
    Some((at, s.get(..at).is_some_and(<[u8]>::is_ascii)))
}

/// What one 16-byte block at `o` (its first `skip` bytes already scanned) tells the scanner.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
enum Block {
    /// No line end and no high bit: keep scanning.
    Clean,
    /// The scan is decided.
    Done(Option<(usize, bool)>),
}

/// Exact look at a block the prefilter flagged (a byte below 14 or with the high bit set).
/// Every byte before `o + skip` is known ASCII with no line end.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
#[target_feature(enable = "sse2")]
fn flagged_block(s: &[u8], o: usize, skip: u32, v: std::arch::x86_64::__m128i) -> Block {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    let lf = _mm_set1_epi8(b'\n' as i8);
    let cr = _mm_set1_epi8(b'\r' as i8);
    let keep = u32::MAX << skip;
    // The masks hold 16 bits; reinterpreting them as u32 keeps those bits.
    let eol = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)))
        .cast_unsigned()
        & keep;
    let high = _mm_movemask_epi8(v).cast_unsigned() & keep;
    if eol != 0 {
        let k = eol.trailing_zeros();
        return Block::Done(Some((o + k as usize, high & ((1u32 << k) - 1) == 0)));
    }
    if high != 0 {
        // Not ASCII before the line end (if any); find it the portable way.
        let rest = o + 16;
        let at = s
            .get(rest..)
            .and_then(|tail| memchr::memchr2(b'\n', b'\r', tail));
        return Block::Done(at.map(|j| (rest + j, false)));
    }
    // Only other control bytes (e.g. a tab).
    Block::Clean
}

/// [`scan_line`] for inputs of 16 bytes or more, SSE2. One signed comparison per block finds
/// every byte that is below 14 (CR and LF among them) or has the high bit set (negative as
/// `i8`); only a block with such a byte gets the exact look.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
#[target_feature(enable = "sse2")]
fn scan_line_sse2(s: &[u8]) -> Option<(usize, bool)> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let n = s.len();
    if n < 16 {
        return scan_line_scalar(s);
    }
    let ptr = s.as_ptr();
    let load = |o: usize| {
        debug_assert!(o + 16 <= n);
        // SAFETY: every caller passes `o` with `o + 16 <= n` (the 64-byte loop loads at `i`,
        // `i + 16`, `i + 32`, `i + 48` with `i + 64 <= n`; the 16-byte loop at `i` with
        // `i + 16 <= n`; the last block at `n - 16` with `n >= 16`, checked above), so the
        // 16 bytes read lie inside `s`. `_mm_loadu_si128` has no alignment requirement, and
        // SSE2 is part of the x86-64 baseline.
        unsafe { _mm_loadu_si128(ptr.add(o).cast::<__m128i>()) }
    };
    let lim = _mm_set1_epi8(14);
    let flag = |v: __m128i| _mm_cmpgt_epi8(lim, v);
    let mut i = 0;
    while i + 64 <= n {
        let (a, b, c, d) = (load(i), load(i + 16), load(i + 32), load(i + 48));
        let any = _mm_or_si128(
            _mm_or_si128(flag(a), flag(b)),
            _mm_or_si128(flag(c), flag(d)),
        );
        if _mm_movemask_epi8(any) != 0 {
            break;
        }
        i += 64;
    }
    while i + 16 <= n {
        let v = load(i);
        if _mm_movemask_epi8(flag(v)) != 0
            && let Block::Done(found) = flagged_block(s, i, 0, v)
        {
            return found;
        }
        i += 16;
    }
    if i < n {
        // One overlapping last block; its first `skip` (< 16) bytes were scanned already.
        let at = n - 16;
        let skip = (i - at) as u32;
        let v = load(at);
        if (_mm_movemask_epi8(flag(v)).cast_unsigned() >> skip) != 0
            && let Block::Done(found) = flagged_block(s, at, skip, v)
        {
            return found;
        }
    }
    None
}

/// Bytes proven ASCII (hence valid UTF-8) by [`scan_value`].
///
/// Invariant: `self.0` is ASCII. Upheld by the only constructor, [`scan_value`], which builds
/// it only from bytes its own scan found ASCII; the field is private to this module.
#[derive(Clone)]
pub(crate) struct Ascii(Bytes);

impl Ascii {
    #[inline]
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.0
    }
}

/// Scans `chunk[from..]` for its line end with [`scan_line`]. Returns the value length (line
/// end position relative to `from`) and the value `chunk[from..from + len]`: `Ok` (proven
/// ASCII) when the scan saw no high bit before the line end, else `Err` (unchecked).
#[inline]
pub(crate) fn scan_value(chunk: &Bytes, from: usize) -> Option<(usize, Result<Ascii, Bytes>)> {
    scan_value_if(chunk, from, |_| true)
}

/// [`scan_value`] that first lets `accept` look at the value length (the line end position
/// relative to `from`) and slices nothing when it says no.
#[inline]
pub(crate) fn scan_value_if(
    chunk: &Bytes,
    from: usize,
    accept: impl FnOnce(usize) -> bool,
) -> Option<(usize, Result<Ascii, Bytes>)> {
    let (len, ascii) = scan_line(chunk.get(from..)?)?;
    if !accept(len) {
        return None;
    }
    let bytes = chunk.slice(from..from + len);
    Some((len, if ascii { Ok(Ascii(bytes)) } else { Err(bytes) }))
}

/// Bytes known to be valid UTF-8 (checked once at construction, replaced lossily otherwise).
///
/// Invariant: `self.0` is valid UTF-8. Upheld by the only constructors, [`Text::lossy`]
/// (validates, or replaces with `String::from_utf8_lossy` output) and [`Text::from_str`]
/// (copies a `&str`); the field is private to this module and never mutated.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Text(Bytes);

impl Text {
    /// Wraps `bytes`, replacing invalid UTF-8 with U+FFFD (allocates only when invalid).
    #[inline]
    pub(crate) fn lossy(bytes: Bytes) -> Self {
        if is_utf8(&bytes) {
            Self(bytes)
        } else {
            Self(Bytes::from(String::from_utf8_lossy(&bytes).into_owned()))
        }
    }

    pub(crate) fn from_str(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        // SAFETY: `self.0` is valid UTF-8 (type invariant, upheld by every constructor).
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// An event type name: interned (the usual case, see `crate::intern`) or, when the
/// process-wide table does not take it, text sliced from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    /// From the process-wide table.
    Interned(&'static str),
    /// Too long, not valid UTF-8 (then replaced lossily), or the table is full.
    Text(Text),
}

impl Name {
    /// The name `src[from..to]`.
    #[inline]
    pub(crate) fn parse(src: &Bytes, from: usize, to: usize) -> Self {
        let interned = std::str::from_utf8(&src[from..to])
            .ok()
            .and_then(crate::intern::intern);
        match interned {
            Some(name) => Self::Interned(name),
            None => Self::Text(Text::lossy(src.slice(from..to))),
        }
    }

    /// A name given as text (e.g. by [`crate::Event::new`]).
    pub(crate) fn from_str(name: &str) -> Self {
        match crate::intern::intern(name) {
            Some(name) => Self::Interned(name),
            None => Self::Text(Text::from_str(name)),
        }
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Interned(name) => name.as_bytes(),
            Self::Text(text) => text.as_bytes(),
        }
    }
}

/// The U+FFFD replacement text of invalid UTF-8 (rare, kept out of line).
#[cold]
#[inline(never)]
fn replacement(bytes: &[u8]) -> Box<Box<str>> {
    Box::new(String::from_utf8_lossy(bytes).into())
}

/// An event's raw data bytes plus, when they are not valid UTF-8, their lossy replacement.
///
/// Invariant: when `lossy` is `None`, `bytes` is valid UTF-8. Upheld by the only constructor,
/// [`Data::new`], which validates once, and [`Data::from_ascii`], whose input is ASCII by
/// the [`Ascii`] invariant; both fields are private to this module and never
/// mutated.
#[derive(Clone)]
pub(crate) struct Data {
    bytes: Bytes,
    /// Boxed twice so that `Data` (and with it `Event`) stays one pointer smaller: the lossy
    /// text is rare, and `Event` moves through several return values per frame.
    lossy: Option<Box<Box<str>>>,
}

impl Data {
    /// Validates `bytes` once; builds the U+FFFD replacement only when they are invalid.
    #[inline]
    pub(crate) fn new(bytes: Bytes) -> Self {
        let lossy = if is_utf8(&bytes) {
            None
        } else {
            Some(replacement(&bytes))
        };
        Self { bytes, lossy }
    }

    /// [`Data::from_ascii`] for `Ok`, [`Data::new`] for `Err` (a scan's verdict).
    #[inline]
    pub(crate) fn from_scan(value: Result<Ascii, Bytes>) -> Self {
        match value {
            Ok(ascii) => Self::from_ascii(ascii),
            Err(bytes) => Self::new(bytes),
        }
    }

    /// Wraps bytes already proven ASCII (no second check).
    #[inline]
    pub(crate) fn from_ascii(ascii: Ascii) -> Self {
        Self {
            bytes: ascii.0,
            lossy: None,
        }
    }

    #[inline]
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    #[inline]
    pub(crate) fn is_lossy(&self) -> bool {
        self.lossy.is_some()
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match &self.lossy {
            Some(text) => text,
            // SAFETY: `lossy` is `None` only when `bytes` passed validation in `Data::new`
            // (type invariant; the fields are private and immutable).
            None => unsafe { std::str::from_utf8_unchecked(&self.bytes) },
        }
    }
}

#[cfg(test)]
mod scan_tests;
