//! [`SharedStr`]: an immutable UTF-8 string backed by [`bytes::Bytes`].
//!
//! The one module of the crate with `unsafe`: [`SharedStr::as_str`] skips re-validating
//! UTF-8, which every constructor here guarantees (the field is private to this module).
#![allow(unsafe_code)]

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// An immutable, cheaply cloneable UTF-8 string backed by [`Bytes`].
///
/// Stream events keep their text (deltas, ids, the raw JSON of the event) as `SharedStr`
/// slices of the SSE data they were decoded from, so decoding a text delta that needed no
/// unescaping copies nothing. Cloning is a reference-count increment.
///
/// ```
/// use codex_types::SharedStr;
/// let s = SharedStr::from("hello");
/// assert_eq!(&*s, "hello");
/// assert_eq!(s.as_str().len(), 5);
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Bytes);

impl SharedStr {
    /// An empty string.
    pub const fn new() -> Self {
        SharedStr(Bytes::new())
    }

    /// A string from a static `str`, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        SharedStr(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps `bytes` if they are valid UTF-8, returning them back otherwise.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Bytes> {
        if std::str::from_utf8(&bytes).is_ok() {
            Ok(SharedStr(bytes))
        } else {
            Err(bytes)
        }
    }

    /// A zero-copy slice of `buf`: `sub` must point inside `buf` (checked: if it does not,
    /// the text is copied instead).
    pub fn slice_of(buf: &Bytes, sub: &str) -> Self {
        let start = buf.as_ptr() as usize;
        let p = sub.as_ptr() as usize;
        if p >= start && p + sub.len() <= start + buf.len() {
            SharedStr(buf.slice_ref(sub.as_bytes()))
        } else {
            SharedStr(Bytes::copy_from_slice(sub.as_bytes()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        debug_assert!(std::str::from_utf8(&self.0).is_ok());
        // SAFETY: the bytes are valid UTF-8. The field is private to this module and every
        // constructor stores valid UTF-8 only: `new`/`Default` (empty), `from_static`,
        // `From<&str>`, `From<String>` and `Deserialize` (from a `str`/`String`), `from_utf8`
        // (validated), and `slice_of` (the same bytes as the given `&str`, either shared or
        // copied). `Bytes` is immutable, so the contents never change afterwards.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes (always valid UTF-8).
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Consumes the string, returning the underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr(Bytes::from(s))
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.as_str().to_owned()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SharedStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(SharedStr::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_is_zero_copy_and_out_of_buffer_copies() {
        let buf = Bytes::from_static(b"{\"delta\":\"hi\"}");
        let s = std::str::from_utf8(&buf[10..12]).unwrap();
        let shared = SharedStr::slice_of(&buf, s);
        assert_eq!(shared, "hi");
        assert_eq!(shared.as_bytes().as_ptr(), buf[10..].as_ptr());
        let other = SharedStr::slice_of(&buf, "elsewhere");
        assert_eq!(other, "elsewhere");
    }

    #[test]
    fn invalid_utf8_rejected() {
        assert!(SharedStr::from_utf8(Bytes::from_static(&[0xff])).is_err());
        assert_eq!(
            serde_json::to_string(&SharedStr::from("a\"b")).unwrap(),
            "\"a\\\"b\""
        );
    }
}
