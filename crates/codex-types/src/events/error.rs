//! The error for an event payload that could not be decoded.

use std::fmt;

use crate::SharedStr;

/// What a failed decode was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The data is not valid UTF-8.
    InvalidUtf8,
    /// The data is not valid JSON.
    InvalidJson,
    /// The JSON has no string `type` (or is not an object).
    MissingType,
    /// A known event type whose payload does not have the expected shape.
    InvalidEvent,
}

/// An event payload that could not be decoded. The stream can go on.
#[derive(Clone, PartialEq)]
pub struct DecodeError(Box<DecodeErrorInner>);

#[derive(Clone, PartialEq)]
struct DecodeErrorInner {
    kind: DecodeErrorKind,
    event_type: Option<String>,
    raw: SharedStr,
    message: String,
}

impl DecodeError {
    pub(super) fn new(
        kind: DecodeErrorKind,
        event_type: Option<&str>,
        raw: SharedStr,
        message: impl fmt::Display,
    ) -> Self {
        DecodeError(Box::new(DecodeErrorInner {
            kind,
            event_type: event_type.map(str::to_owned),
            raw,
            message: message.to_string(),
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> DecodeErrorKind {
        self.0.kind
    }

    /// The event `type`, when it could be read.
    pub fn event_type(&self) -> Option<&str> {
        self.0.event_type.as_deref()
    }

    /// The data text (lossily converted when it was not UTF-8).
    pub fn raw(&self) -> &SharedStr {
        &self.0.raw
    }

    /// The underlying parser message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("kind", &self.0.kind)
            .field("event_type", &self.0.event_type)
            .field("message", &self.0.message)
            .field("raw_len", &self.0.raw.len())
            .finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.0.kind, &self.0.event_type) {
            (DecodeErrorKind::InvalidEvent, Some(t)) => {
                write!(f, "cannot decode {t} event: {}", self.0.message)
            }
            (DecodeErrorKind::InvalidUtf8, _) => write!(f, "event data is not valid utf-8"),
            (DecodeErrorKind::MissingType, _) => write!(f, "event data has no string type field"),
            _ => write!(f, "event data is not valid json: {}", self.0.message),
        }
    }
}

impl std::error::Error for DecodeError {}
