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

static NAMES: Mutex<Table> = Mutex::new(Table { names: Vec::new() });

/// The interned copy of `name`, adding it if there is room; `None` when `name` is longer
/// than [`MAX_LEN`] or the table is full.
pub(crate) fn intern(name: &str) -> Option<&'static str> {
    // The table is only ever pushed to, so a panic elsewhere cannot leave it inconsistent.
    NAMES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .intern(name)
}

/// The interned names (the process-wide one is `NAMES`).
struct Table {
    names: Vec<&'static str>,
}

impl Table {
    fn intern(&mut self, name: &str) -> Option<&'static str> {
        if name.len() > MAX_LEN {
            return None;
        }
        if let Some(&known) = self.names.iter().find(|known| **known == name) {
            return Some(known);
        }
        if self.names.len() >= MAX_NAMES {
            return None;
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        self.names.push(leaked);
        Some(leaked)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{MAX_LEN, MAX_NAMES, Table, intern};

    #[test]
    fn same_name_same_storage() {
        let a = intern("codex.intern.test").unwrap();
        let b = intern(&String::from("codex.intern.test")).unwrap();
        assert_eq!(a, "codex.intern.test");
        assert!(std::ptr::eq(a, b));
        assert!(intern(&"x".repeat(MAX_LEN + 1)).is_none());
    }

    #[test]
    fn bounded_in_count_and_length() {
        // A private table, so that filling it does not affect the process-wide one.
        let mut table = Table { names: Vec::new() };
        assert!(table.intern(&"x".repeat(MAX_LEN + 1)).is_none());
        let first = table.intern(&"y".repeat(MAX_LEN)).unwrap();
        assert_eq!(first.len(), MAX_LEN);
        for i in 1..MAX_NAMES {
            assert!(table.intern(&format!("fill.{i}")).is_some());
        }
        assert!(table.intern("one.too.many").is_none());
        assert_eq!(table.names.len(), MAX_NAMES);
        // Known names are still found when the table is full.
        assert!(std::ptr::eq(
            table.intern(&"y".repeat(MAX_LEN)).unwrap(),
            first
        ));
    }
}
