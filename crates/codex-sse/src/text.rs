//! UTF-8 checked once: byte containers whose text views need no re-validation.
//!
//! This is the crate's only module with `unsafe` code: two `std::str::from_utf8_unchecked`
//! calls. Both types keep their fields private to this module, and every constructor checks
//! (or produces) valid UTF-8, so the invariant documented on each type holds for every value.
#![allow(
    unsafe_code,
    reason = "from_utf8_unchecked on bytes validated at construction (see the SAFETY comments)"
)]

use bytes::Bytes;

/// Whether `bytes` is valid UTF-8 (an ASCII check first: SSE payloads are mostly ASCII).
#[inline]
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    is_ascii(bytes) || std::str::from_utf8(bytes).is_ok()
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

/// An event's raw data bytes plus, when they are not valid UTF-8, their lossy replacement.
///
/// Invariant: when `lossy` is `None`, `bytes` is valid UTF-8. Upheld by the only constructor,
/// [`Data::new`], which validates once; both fields are private to this module and never
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
            Some(Box::new(String::from_utf8_lossy(&bytes).into()))
        };
        Self { bytes, lossy }
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
