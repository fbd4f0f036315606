//! [`History`]: a conversation history shared by reference count, and the request input
//! made of that shared prefix plus the new items of one call.

use std::sync::Arc;

use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;

use crate::items::ResponseItem;

/// A conversation history, shared: cloning it is one reference-count increment, never a
/// copy of its items.
///
/// A [`ResponsesRequest`](crate::ResponsesRequest) keeps the history it was built with as
/// its shared input prefix ([`ResponsesRequestBuilder::history`](crate::ResponsesRequestBuilder::history))
/// and serializes it followed by the call's new items, byte for byte as one `input` list.
///
/// Conversions: from a `Vec<ResponseItem>` or an `Arc<Vec<ResponseItem>>` (moved, no copy);
/// from a `&[ResponseItem]`, `&Vec<ResponseItem>` or `&[ResponseItem; N]` (one copy of the
/// items). [`push`](Self::push) and [`extend`](Self::extend) append in place while no
/// other clone is alive, and copy the items once (copy on write) otherwise.
///
/// ```
/// use codex_types::{History, ResponseItem};
/// let history = History::from(vec![ResponseItem::user_text("hi")]);
/// let shared = history.clone();
/// assert!(shared.ptr_eq(&history));
/// assert_eq!(shared.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History(Arc<Vec<ResponseItem>>);

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// The items, oldest first.
    pub fn as_slice(&self) -> &[ResponseItem] {
        &self.0
    }

    /// The shared allocation (e.g. for `Arc::strong_count` or `Arc::ptr_eq`).
    pub fn as_arc(&self) -> &Arc<Vec<ResponseItem>> {
        &self.0
    }

    /// True when both share one allocation (a clone of each other, with no write since).
    pub fn ptr_eq(&self, other: &History) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Appends an item (in place when this is the only clone, else after one copy).
    pub fn push(&mut self, item: impl Into<ResponseItem>) {
        Arc::make_mut(&mut self.0).push(item.into());
    }

    /// The items as an owned list (moved out when this is the only clone, else copied).
    pub fn into_vec(self) -> Vec<ResponseItem> {
        Arc::unwrap_or_clone(self.0)
    }
}

impl Extend<ResponseItem> for History {
    /// Appends items (in place when this is the only clone, else after one copy).
    fn extend<I: IntoIterator<Item = ResponseItem>>(&mut self, items: I) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_some() {
            Arc::make_mut(&mut self.0).extend(items);
        }
    }
}

impl std::ops::Deref for History {
    type Target = [ResponseItem];

    fn deref(&self) -> &[ResponseItem] {
        &self.0
    }
}

impl From<Vec<ResponseItem>> for History {
    fn from(items: Vec<ResponseItem>) -> Self {
        History(Arc::new(items))
    }
}

impl From<Arc<Vec<ResponseItem>>> for History {
    fn from(items: Arc<Vec<ResponseItem>>) -> Self {
        History(items)
    }
}

impl From<&[ResponseItem]> for History {
    fn from(items: &[ResponseItem]) -> Self {
        History::from(items.to_vec())
    }
}

impl From<&Vec<ResponseItem>> for History {
    fn from(items: &Vec<ResponseItem>) -> Self {
        History::from(items.as_slice())
    }
}

impl<const N: usize> From<&[ResponseItem; N]> for History {
    fn from(items: &[ResponseItem; N]) -> Self {
        History::from(items.as_slice())
    }
}

impl From<&History> for History {
    fn from(history: &History) -> Self {
        history.clone()
    }
}

impl Serialize for History {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

impl<'de> Deserialize<'de> for History {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::deserialize(d).map(History::from)
    }
}

/// The `input` of a request: the shared history prefix, then the call's own items. It
/// serializes as one list; equality is item by item, whatever the split.
#[derive(Clone, Debug, Default)]
pub(crate) struct Input {
    pub(crate) shared: History,
    pub(crate) own: Vec<ResponseItem>,
}

impl Input {
    pub(crate) fn len(&self) -> usize {
        self.shared.len() + self.own.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &ResponseItem> + Clone {
        self.shared.iter().chain(&self.own)
    }

    pub(crate) fn to_vec(&self) -> Vec<ResponseItem> {
        self.iter().cloned().collect()
    }
}

impl PartialEq for Input {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Serialize for Input {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Input {
            shared: History::new(),
            own: Vec::deserialize(d)?,
        })
    }
}
