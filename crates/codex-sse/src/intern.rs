//! Process-wide interning of event type names.
//!
//! Streams repeat a handful of event types (`response.output_text.delta`, ...). An interned
//! name is a `&'static str`, so handing it to an event is a plain copy of two words: no
//! reference count is touched when the event is built or dropped. The table is bounded
//! ([`MAX_NAMES`] names of at most [`MAX_LEN`] bytes, under 16 KiB in all) and lives as long
//! as the process; names beyond the bound are not interned, and the parser falls back to a
//! reference-counted slice of the input for them.

use std::sync::{Mutex, PoisonError};

/// Most distinct names the table holds.
pub(crate) const MAX_NAMES: usize = 256;

/// Longest name that is interned, in bytes.
pub(crate) const MAX_LEN: usize = 64;

static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// The interned copy of `name`, adding it if there is room; `None` when `name` is longer
/// than [`MAX_LEN`] or the table is full.
pub(crate) fn intern(name: &str) -> Option<&'static str> {
    if name.len() > MAX_LEN {
        return None;
    }
    // The table is only ever pushed to, so a panic elsewhere cannot leave it inconsistent.
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = names.iter().find(|known| **known == name) {
        return Some(known);
    }
    if names.len() >= MAX_NAMES {
        return None;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    Some(leaked)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{MAX_LEN, MAX_NAMES, intern};

    #[test]
    fn same_name_same_storage_and_bounded() {
        let a = intern("codex.intern.test").unwrap();
        let b = intern(&String::from("codex.intern.test")).unwrap();
        assert_eq!(a, "codex.intern.test");
        assert!(std::ptr::eq(a, b));
        assert!(intern(&"x".repeat(MAX_LEN + 1)).is_none());
        assert_eq!(intern(&"y".repeat(MAX_LEN)).unwrap().len(), MAX_LEN);
        // Fill the table: afterwards new names are refused, known ones still found.
        let mut refused = 0;
        for i in 0..MAX_NAMES + 8 {
            if intern(&format!("codex.intern.fill.{i}")).is_none() {
                refused += 1;
            }
        }
        assert!(refused >= 8);
        assert!(intern("codex.intern.never.seen.before").is_none());
        assert!(std::ptr::eq(intern("codex.intern.test").unwrap(), a));
    }
}
