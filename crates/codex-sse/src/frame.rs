//! Frames produced by the parser: events and (optionally) comments.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::text::{Data, Name, Text};

/// One item pulled from the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A dispatched event (a blank line ended a block holding at least one `data` line).
    Event(Event),
    /// A comment line (`:` first). Only produced when [`Config::emit_comments`](crate::Config::emit_comments) is on.
    Comment(Comment),
}

/// A dispatched Server-Sent Event.
///
/// Cheap to clone: the data is a reference-counted [`Bytes`], usually a slice of the input
/// chunk, the event type is usually an interned `'static` name, and the id / retry state is one shared reference (none at all when the
/// stream sets neither). Text is validated as UTF-8 once, when the event is built; the accessors do not
/// re-validate.
#[derive(Clone)]
pub struct Event {
    /// The event type when it is interned (`"message"` when the event had none), with no
    /// reference count to touch; `""` when the type is a name the process-wide table did not
    /// take, which then sits in `meta`.
    pub(crate) name: &'static str,
    pub(crate) data: Data,
    /// The last event id and reconnection time, shared between the events of a stream and
    /// replaced only when they change (`None` when neither is set, as in Codex streams), so
    /// that `Event` stays small and cheap to move.
    pub(crate) meta: Option<Arc<Meta>>,
    pub(crate) offset: u64,
}

/// The `id` / `retry` state carried by events (see [`Event::id`] and [`Event::retry`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) id: Option<Text>,
    pub(crate) retry: Option<Duration>,
    /// The event type when it is not interned (see [`Event::name`](Event)); then this `Meta`
    /// belongs to that one event.
    pub(crate) name: Option<Text>,
}

impl Event {
    /// The `name` and `meta` fields for an event of type `ty` (`None`: `"message"`), given
    /// the stream's shared `meta`.
    #[inline]
    pub(crate) fn name_and_meta(
        ty: Option<Name>,
        meta: Option<&Arc<Meta>>,
    ) -> (&'static str, Option<Arc<Meta>>) {
        match ty {
            None => ("message", meta.cloned()),
            Some(Name::Interned(name)) => (name, meta.cloned()),
            Some(Name::Text(text)) => (
                "",
                Some(Arc::new(Meta {
                    name: Some(text),
                    ..meta.map(|m| Meta::clone(m)).unwrap_or_default()
                })),
            ),
        }
    }
}

impl Event {
    /// Builds an event by hand (for tests and adapters); `event_type` `""` means `"message"`.
    #[must_use]
    pub fn new(event_type: &str, data: impl Into<Bytes>) -> Self {
        let ty = (!event_type.is_empty()).then(|| Name::from_str(event_type));
        let (name, meta) = Self::name_and_meta(ty, None);
        Self {
            name,
            data: Data::new(data.into()),
            meta,
            offset: 0,
        }
    }

    /// Sets the last event id carried by this event (`""` means none).
    #[must_use]
    pub fn with_id(mut self, id: &str) -> Self {
        Arc::make_mut(self.meta.get_or_insert_with(Default::default)).id =
            (!id.is_empty()).then(|| Text::from_str(id));
        self
    }

    /// Sets the reconnection time carried by this event.
    #[must_use]
    pub fn with_retry(mut self, retry: Option<Duration>) -> Self {
        Arc::make_mut(self.meta.get_or_insert_with(Default::default)).retry = retry;
        self
    }

    /// Sets the stream byte offset reported by [`Event::offset`].
    #[must_use]
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// The event type: the last `event` field's value, or `"message"` when there was none
    /// (or it was empty).
    #[must_use]
    #[inline]
    pub fn event_type(&self) -> &str {
        if !self.name.is_empty() {
            return self.name;
        }
        self.meta
            .as_ref()
            .and_then(|meta| meta.name.as_ref())
            .map_or("message", Text::as_str)
    }

    /// The data as text: all `data` lines joined with `\n`.
    ///
    /// Zero-copy when the bytes are valid UTF-8 (validated once, when the event was built).
    /// Invalid sequences are replaced by U+FFFD; that replacement text is built once, when the
    /// event is built, and only for invalid data.
    #[must_use]
    #[inline]
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The raw data bytes (exactly as received, even when not valid UTF-8).
    ///
    /// A zero-copy slice of the input when the event had one `data` line lying inside one chunk.
    #[must_use]
    #[inline]
    pub fn data_bytes(&self) -> &Bytes {
        self.data.bytes()
    }

    /// The last event id in effect when this event was dispatched (`None` when empty).
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.meta.as_ref()?.id.as_ref().map(Text::as_str)
    }

    /// The reconnection time in effect when this event was dispatched (set by `retry` fields).
    #[must_use]
    pub fn retry(&self) -> Option<Duration> {
        self.meta.as_ref()?.retry
    }

    /// Stream byte offset (counting from 0, BOM included) where this event's first field line
    /// started.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// `true` when the data bytes were not valid UTF-8, so [`Event::data`] holds U+FFFD
    /// replacements; [`Event::data_bytes`] still has the raw bytes.
    #[must_use]
    pub fn is_utf8_lossy(&self) -> bool {
        self.data.is_lossy()
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.event_type() == other.event_type()
            && self.data.bytes() == other.data.bytes()
            && self.id() == other.id()
            && self.retry() == other.retry()
            && self.offset == other.offset
    }
}

impl Eq for Event {}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("event_type", &self.event_type())
            .field("data", &self.data())
            .field("id", &self.id())
            .field("retry", &self.retry())
            .field("offset", &self.offset)
            .finish()
    }
}

/// A comment line (one starting with `:`), surfaced on request so clients can count
/// keep-alives as activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub(crate) text: Text,
    pub(crate) offset: u64,
}

impl Comment {
    /// Builds a comment by hand (for tests and adapters).
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self {
            text: Text::from_str(text),
            offset: 0,
        }
    }

    /// The text after the colon, with one leading space removed (`": keep-alive"` gives
    /// `"keep-alive"`); invalid UTF-8 is replaced by U+FFFD.
    #[must_use]
    pub fn text(&self) -> &str {
        self.text.as_str()
    }

    /// Stream byte offset where the comment line started.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }
}
