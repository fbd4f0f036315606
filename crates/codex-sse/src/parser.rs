//! The sans-IO parser: feed [`Bytes`] chunks in, pull [`Frame`]s out.
//!
//! One file on purpose, though longer than 600 lines: it is one state machine on the hot path
//! (the line loop, the whole-event and single-line fast paths, the carry buffer, the field
//! rules and dispatch all read and write the same private `State`), and splitting it would
//! widen that state's visibility and scatter the invariants the fast paths must keep in step
//! with the line-by-line rules. Its settings and errors ([`Config`], [`Error`],
//! [`EndOfStream`]) sit at the top; its tests are in `src/tests/`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::frame::{Comment, Event, Frame, Meta};
use crate::text::{Ascii, Data as EventData, Name, Text, contains_eol};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Default for [`Config::max_event_size`]: 64 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 64 * 1024 * 1024;

/// Parser settings. Build with [`Config::default`] and the by-value setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    max_event_size: usize,
    emit_comments: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            emit_comments: false,
        }
    }
}

impl Config {
    /// Same as [`Config::default`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Maximum size of one event in bytes (default 64 MiB): the sum of the lengths of the
    /// event's field lines (line terminators excluded), including the line being received.
    /// A single comment line is bounded by the same limit. Exceeding it yields
    /// [`Error::EventTooLarge`] and the parser skips to the end of that event.
    #[must_use]
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// Whether comment lines are returned as [`Frame::Comment`] (default `false`).
    #[must_use]
    pub fn emit_comments(mut self, yes: bool) -> Self {
        self.emit_comments = yes;
        self
    }

    /// The configured maximum event size.
    #[must_use]
    pub fn get_max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// Whether comments are emitted.
    #[must_use]
    pub fn get_emit_comments(&self) -> bool {
        self.emit_comments
    }
}

/// A parse error. The parser recovers from every error: pulling again continues the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An event (or a single line) exceeded [`Config::max_event_size`]. The rest of that event,
    /// up to and including the next blank line, is skipped without buffering.
    #[error("server-sent event exceeds the maximum size of {limit} bytes")]
    EventTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
}

/// What [`Parser::finish`] reports about the end of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndOfStream {
    /// `true` when the input ended in the middle of an event: a field line (`data`, `event`,
    /// `id`, `retry` or an unknown field) was received since the last blank line, or an
    /// unterminated line (comment or field) was pending, or an event that exceeded the size
    /// limit was not yet closed by a blank line. An empty stream, one that ends right after a
    /// blank line, or one with only complete comment lines after the last event is not
    /// truncated. The incomplete event is never dispatched.
    pub truncated: bool,
    /// The last event id string (as of the last blank line), `None` if empty. This is the value
    /// a client sends as `Last-Event-ID` when reconnecting.
    pub last_event_id: Option<String>,
    /// Total bytes of input processed.
    pub bytes_consumed: u64,
}

impl EndOfStream {
    /// See the [`truncated`](EndOfStream::truncated) field.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// See the [`last_event_id`](EndOfStream::last_event_id) field.
    #[must_use]
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }
}

/// Outcome of [`Parser::fast_line`].
enum Fast {
    /// The line was handled and produced a frame.
    Frame(Result<Frame, Error>),
    /// The line was handled.
    Done,
    /// Not a fast-path line; nothing was changed.
    Slow,
}

enum Data {
    None,
    One(Bytes),
    /// One data line, proven ASCII by the line-end scan of the fast path.
    OneAscii(Ascii),
    Buf,
}

/// Sans-IO Server-Sent Events parser following the WHATWG "interpreting an event stream" rules.
///
/// Feed chunks with [`Parser::feed`], pull frames with [`Parser::next_frame`] until it returns
/// `None`, repeat; when the input ends call [`Parser::finish`] and drain `next_frame` once more.
#[derive(Debug)]
pub struct Parser {
    input: VecDeque<Bytes>,
    out: VecDeque<Result<Frame, Error>>,
    st: State,
}

/// Everything but the input queue, so that the parsing methods can borrow the front chunk
/// of `Parser::input` while they update the state.
#[derive(Debug)]
struct State {
    config: Config,
    /// Position in the front chunk of `Parser::input`.
    pos: usize,
    /// The unterminated line carried over from earlier chunks.
    carry: BytesMut,
    /// The previous line ended with CR: an LF right after it is part of that line end.
    skip_lf: bool,
    /// No line has completed yet (the BOM is stripped from the first line).
    first_line: bool,
    consumed: u64,
    data: DataState,
    /// The event type buffer (`None` when empty, i.e. `"message"`).
    event_type: Option<Name>,
    /// The last non-empty event type value seen, already validated: streams repeat a few
    /// types, so an `event` line equal to it reuses it instead of validating again.
    type_cache: Option<Name>,
    id_buffer: Option<Text>,
    last_event_id: Option<Text>,
    retry: Option<Duration>,
    /// `last_event_id` and `retry` as handed to events; rebuilt only after they change.
    meta: Option<Arc<Meta>>,
    /// An `id` or `retry` field was seen since `meta` was last rebuilt.
    meta_dirty: bool,
    event_pending: bool,
    event_offset: Option<u64>,
    event_size: usize,
    skipping: bool,
    skip_partial: bool,
    end: Option<EndOfStream>,
}

struct DataState {
    state: Data,
    buf: BytesMut,
}

impl DataState {
    /// A data line after the first: `buf` becomes the value so far, LF, `value` (or just
    /// `value` if there was none; callers store a first line as `Data::One` instead).
    fn append_line(&mut self, value: &[u8]) {
        match std::mem::replace(&mut self.state, Data::Buf) {
            Data::None => {
                self.buf.clear();
                self.buf.extend_from_slice(value);
            }
            Data::OneAscii(prev) => self.start_buf(prev.bytes(), value),
            Data::One(prev) => self.start_buf(&prev, value),
            Data::Buf => {
                self.buf.extend_from_slice(b"\n");
                self.buf.extend_from_slice(value);
            }
        }
    }

    /// `prev`, LF, `value` into `buf`.
    fn start_buf(&mut self, prev: &[u8], value: &[u8]) {
        self.buf.clear();
        self.buf.reserve(prev.len() + 1 + value.len());
        self.buf.extend_from_slice(prev);
        self.buf.extend_from_slice(b"\n");
        self.buf.extend_from_slice(value);
    }
}

impl std::fmt::Debug for DataState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = match &self.state {
            Data::None => None,
            Data::One(b) => Some(b.len()),
            Data::OneAscii(b) => Some(b.bytes().len()),
            Data::Buf => Some(self.buf.len()),
        };
        f.debug_struct("DataState").field("len", &len).finish()
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

/// Initial capacity of the carry buffer. Lines handed out by `split().freeze()` share it; once
/// they are dropped, `reserve` reclaims the space in place, so small chunks do not allocate
/// per line.
const CARRY_CAPACITY: usize = 16 * 1024;

/// Chunks up to this size that hold no line end are appended to the carry buffer by `feed`.
const SMALL_CHUNK: usize = 64;

/// Position of the first CR or LF. A plain loop for short slices (no dispatch overhead), memchr
/// otherwise.
#[inline]
fn find_eol(s: &[u8]) -> Option<usize> {
    if s.len() < 16 {
        s.iter().position(|&b| b == b'\n' || b == b'\r')
    } else {
        memchr::memchr2(b'\n', b'\r', s)
    }
}

/// Whether `line` (terminator excluded) is exactly `event: ` followed by `ty`.
#[inline]
fn is_type_line(line: &[u8], ty: &[u8]) -> bool {
    line.len() == 7 + ty.len() && line.starts_with(b"event: ") && line[7..] == *ty
}

/// The length of the line at the start of `rest` (terminator excluded) when it is
/// `event: <ty>` ended by LF. `ty` holds no CR or LF (it is a cached type), so that LF is the
/// line end.
#[inline]
fn type_line_len(rest: &[u8], ty: &[u8]) -> Option<usize> {
    let n = 7 + ty.len();
    (rest.get(n) == Some(&b'\n') && is_type_line(&rest[..n], ty)).then_some(n)
}

impl Parser {
    /// A parser with the default [`Config`].
    #[must_use]
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A parser with `config`.
    #[must_use]
    pub fn with_config(config: Config) -> Self {
        Self {
            input: VecDeque::with_capacity(4),
            out: VecDeque::new(),
            st: State {
                config,
                pos: 0,
                carry: BytesMut::with_capacity(CARRY_CAPACITY),
                skip_lf: false,
                first_line: true,
                consumed: 0,
                data: DataState {
                    state: Data::None,
                    buf: BytesMut::new(),
                },
                event_type: None,
                type_cache: None,
                id_buffer: None,
                last_event_id: None,
                retry: None,
                meta: None,
                meta_dirty: false,
                event_pending: false,
                event_offset: None,
                event_size: 0,
                skipping: false,
                skip_partial: false,
                end: None,
            },
        }
    }

    /// The configuration in use.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.st.config
    }

    /// Queues a chunk of input. Nothing is parsed until [`Parser::next_frame`] is called.
    /// Empty chunks and chunks fed after [`Parser::finish`] are ignored.
    #[inline]
    pub fn feed(&mut self, chunk: Bytes) {
        self.absorb(chunk);
    }

    /// [`Parser::feed`], telling whether the chunk was queued (`true`: there may be frames
    /// to pull) or taken in whole as the continuation of the current line (`false`: nothing
    /// to pull that was not there before). Ignored chunks count as taken in.
    #[inline]
    pub(crate) fn absorb(&mut self, chunk: Bytes) -> bool {
        if self.st.end.is_some() || chunk.is_empty() {
            return false;
        }
        self.settle();
        // Fast path for small chunks that only continue the current line (e.g. 1-byte chunks):
        // append to the carry buffer now instead of queueing. Same result as `step` would give.
        if chunk.len() <= SMALL_CHUNK
            && self.input.is_empty()
            && !self.st.skipping
            && !contains_eol(&chunk)
            && self.st.event_size + self.st.carry.len() + chunk.len()
                <= self.st.config.max_event_size
        {
            // The chunk holds no LF, so a pending "skip one LF after CR" cannot apply to it.
            self.st.skip_lf = false;
            if let [byte] = chunk[..] {
                self.st.carry.put_u8(byte);
            } else {
                self.st.carry.extend_from_slice(&chunk);
            }
            self.st.consumed += chunk.len() as u64;
            return false;
        }
        self.input.push_back(chunk);
        true
    }

    /// Pulls the next frame. `None` means all input fed so far is consumed (feed more, or
    /// [`finish`](Parser::finish)). Errors are per event; pulling again continues.
    #[inline(always)]
    pub fn next_frame(&mut self) -> Option<Result<Frame, Error>> {
        if self.input.is_empty() && self.out.is_empty() {
            return None;
        }
        if let Some(frame) = self.out.pop_front() {
            return Some(frame);
        }
        if self.st.end.is_some() {
            return None;
        }
        self.step()
    }

    /// [`Parser::next_frame`] kept out of line, for `SseStream::poll_next`, whose own loop is
    /// faster with a call here than with the whole parser inlined into it.
    #[inline(never)]
    pub(crate) fn next_frame_outlined(&mut self) -> Option<Result<Frame, Error>> {
        self.next_frame()
    }

    /// Marks the end of input and reports whether it cut an event short. Input still queued is
    /// parsed now; its frames stay available through [`Parser::next_frame`]. The incomplete
    /// event (if any) is discarded, as WHATWG requires. Calling it again returns the same value.
    pub fn finish(&mut self) -> EndOfStream {
        if let Some(end) = &self.st.end {
            return end.clone();
        }
        while let Some(frame) = self.step() {
            self.out.push_back(frame);
        }
        let only_bom = self.st.first_line && self.st.carry[..] == *BOM;
        let partial =
            (!self.st.carry.is_empty() && !only_bom) || (self.st.skipping && self.st.skip_partial);
        let end = EndOfStream {
            truncated: self.st.event_pending || partial,
            last_event_id: self
                .st
                .last_event_id
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            bytes_consumed: self.st.consumed,
        };
        self.st.carry = BytesMut::new();
        self.st.data.state = Data::None;
        self.st.data.buf = BytesMut::new();
        self.st.end = Some(end.clone());
        end
    }

    /// The end-of-stream report, once [`Parser::finish`] was called.
    #[must_use]
    pub fn end_of_stream(&self) -> Option<&EndOfStream> {
        self.st.end.as_ref()
    }

    /// The last event id string, as of the last blank line (`""` when none). Send it as
    /// `Last-Event-ID` when reconnecting.
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        self.st.last_event_id.as_ref().map_or("", Text::as_str)
    }

    /// The reconnection time set by the last valid `retry` field, if any.
    #[must_use]
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.st.retry
    }

    /// Total input bytes processed so far. A queued chunk counts once [`Parser::next_frame`]
    /// has worked through it (a small chunk that only continues the current line is processed
    /// by [`Parser::feed`] itself); after draining `next_frame`, it equals the bytes fed.
    #[must_use]
    pub fn bytes_consumed(&self) -> u64 {
        self.st.consumed
    }

    #[inline]
    fn step(&mut self) -> Option<Result<Frame, Error>> {
        loop {
            let chunk = self.input.front()?;
            if self.st.pos >= chunk.len() {
                self.input.pop_front();
                self.st.pos = 0;
                continue;
            }
            // A used-up chunk is dropped on the next call rather than here, so that the frame
            // goes straight to the caller instead of being held across the drop.
            if let Some(frame) = self.st.step_chunk(chunk) {
                return Some(frame);
            }
        }
    }

    /// Drops the front chunk if it is used up (see `step`).
    #[inline]
    fn settle(&mut self) {
        if self.st.pos > 0 && self.input.front().is_some_and(|c| self.st.pos >= c.len()) {
            self.input.pop_front();
            self.st.pos = 0;
        }
    }
}

impl State {
    /// Works through the lines of `chunk` from `self.pos` until one yields a frame or the
    /// chunk is used up.
    #[inline]
    fn step_chunk(&mut self, chunk: &Bytes) -> Option<Result<Frame, Error>> {
        let limit = self.config.max_event_size;
        let len = chunk.len();
        while self.pos < len {
            if !(self.skip_lf || self.skipping || self.first_line) && self.carry.is_empty() {
                if !self.event_pending
                    && let Some(event) = self.fast_event(chunk, limit)
                {
                    return Some(Ok(Frame::Event(event)));
                }
                match self.fast_line(chunk, limit) {
                    Fast::Frame(frame) => return Some(frame),
                    Fast::Done => continue,
                    Fast::Slow => {}
                }
            }
            if self.skip_lf {
                self.skip_lf = false;
                if chunk[self.pos] == b'\n' {
                    self.pos += 1;
                    self.consumed += 1;
                    continue;
                }
            }
            let start = self.pos;
            let rest = &chunk[start..];
            let eol = match rest.first() {
                Some(b'\n') => Some(0),
                _ => find_eol(rest),
            };
            let Some(i) = eol else {
                // The line continues in a later chunk.
                let n = rest.len();
                self.pos = len;
                self.consumed += n as u64;
                if self.skipping {
                    self.skip_partial = true;
                    continue;
                }
                if self.event_size + self.carry.len() + n > limit {
                    self.enter_skip();
                    self.skip_partial = true;
                    return Some(Err(Error::EventTooLarge { limit }));
                }
                self.carry.extend_from_slice(rest);
                continue;
            };
            self.skip_lf = rest[i] == b'\r';
            self.pos = start + i + 1;
            let offset = self.consumed - self.carry.len() as u64;
            self.consumed += (i + 1) as u64;
            if self.skipping {
                let blank = i == 0 && !self.skip_partial;
                self.skip_partial = false;
                if blank {
                    self.skipping = false;
                    // Ends the skipped event like a dispatch with no data.
                    let _ = self.dispatch();
                }
                continue;
            }
            if self.event_size + self.carry.len() + i > limit {
                self.enter_skip();
                return Some(Err(Error::EventTooLarge { limit }));
            }
            let frame = if self.carry.is_empty() {
                self.process_line(chunk, start, start + i, offset)
            } else {
                self.carry.extend_from_slice(&rest[..i]);
                if self.carried_line_fast(offset) {
                    continue;
                }
                let line = self.carry.split().freeze();
                self.process_line(&line, 0, line.len(), offset)
            };
            if frame.is_some() {
                return frame;
            }
        }
        None
    }

    /// The common lines of a well-formed stream, handled without the general machinery: a
    /// blank line, `event: <the cached type>` and `data: <value>`, each lying whole inside
    /// `chunk`. Same effect as the general path in `step_chunk` and `process_line` (which
    /// the caller falls back to on [`Fast::Slow`], having changed nothing). Requires: no
    /// carried partial line, no pending CR, not skipping, not the first line (BOM).
    #[inline]
    fn fast_line(&mut self, chunk: &Bytes, limit: usize) -> Fast {
        let start = self.pos;
        let rest = &chunk[start..];
        match rest.first() {
            Some(b'\n') => {
                self.pos += 1;
                self.consumed += 1;
                match self.dispatch() {
                    Some(event) => Fast::Frame(Ok(Frame::Event(event))),
                    None => Fast::Done,
                }
            }
            Some(b'e') => {
                let Some(ty) = &self.type_cache else {
                    return Fast::Slow;
                };
                let Some(n) = type_line_len(rest, ty.as_bytes()) else {
                    return Fast::Slow;
                };
                if self.event_size + n > limit {
                    return Fast::Slow;
                }
                self.event_type = Some(ty.clone());
                self.pos = start + n + 1;
                self.event_offset.get_or_insert(self.consumed);
                self.consumed += (n + 1) as u64;
                self.event_size += n;
                self.event_pending = true;
                Fast::Done
            }
            Some(b'd') => {
                if !rest.starts_with(b"data: ") {
                    return Fast::Slow;
                }
                // One pass finds the line end and learns whether the value is ASCII.
                let Some((j, value)) = crate::text::scan_value(chunk, start + 6) else {
                    return Fast::Slow;
                };
                let n = 6 + j;
                if self.event_size + n > limit {
                    return Fast::Slow;
                }
                self.skip_lf = rest[n] == b'\r';
                self.pos = start + n + 1;
                let offset = self.consumed;
                self.consumed += (n + 1) as u64;
                if matches!(self.data.state, Data::None) {
                    self.data.state = match value {
                        Ok(ascii) => Data::OneAscii(ascii),
                        Err(bytes) => Data::One(bytes),
                    };
                    self.event_size += n;
                    self.event_pending = true;
                    self.event_offset.get_or_insert(offset);
                    Fast::Done
                } else {
                    match self.process_line(chunk, start, start + n, offset) {
                        Some(frame) => Fast::Frame(frame),
                        None => Fast::Done,
                    }
                }
            }
            _ => Fast::Slow,
        }
    }

    /// A whole common event lying inside `chunk`: an optional `event: <the cached type>`
    /// line, one `data: <value>` line and the blank line, all ended by LF. Same effect as
    /// `fast_line` line by line followed by `dispatch`; `None` (nothing changed) for anything
    /// else. Requires what `fast_line` requires, and no event in progress (`event_pending`
    /// false, so the data and type buffers are empty and the id buffer equals the last id).
    #[inline]
    fn fast_event(&mut self, chunk: &Bytes, limit: usize) -> Option<Event> {
        let start = self.pos;
        let rest = &chunk[start..];
        let head = match rest.first()? {
            b'e' => {
                let Some(Name::Interned(ty)) = self.type_cache else {
                    return None;
                };
                type_line_len(rest, ty.as_bytes())? + 1
            }
            b'd' => 0,
            _ => return None,
        };
        if !rest.get(head..)?.starts_with(b"data: ") {
            return None;
        }
        let from = start + head + 6;
        let (j, value) = crate::text::scan_value_if(chunk, from, |j| {
            chunk.get(from + j..from + j + 2) == Some(b"\n\n")
        })?;
        // Field line lengths without terminators: the event line (if any) and the data line.
        if head.saturating_sub(1) + 6 + j > limit {
            return None;
        }
        let end = from + j + 2;
        let offset = self.consumed;
        self.consumed += (end - start) as u64;
        self.pos = end;
        if self.meta_dirty {
            self.refresh_meta();
        }
        let name = match self.type_cache {
            Some(Name::Interned(name)) if head > 0 => name,
            _ => "message",
        };
        Some(Event {
            name,
            data: EventData::from_scan(value),
            meta: self.meta.clone(),
            offset,
        })
    }

    /// A line completed in `carry` (a line that straddled chunks) that is the first `data`
    /// line of the event or repeats the cached event type, stored without the general
    /// machinery: the data is the carry itself, frozen and advanced past `data: ` (no
    /// reference-count traffic for a sub-slice), and a repeated type needs no frozen line at
    /// all. Same effect as `process_line`; `false` (nothing changed) for any other line.
    #[inline]
    fn carried_line_fast(&mut self, offset: u64) -> bool {
        if self.first_line {
            return false;
        }
        let line = &self.carry[..];
        let n = line.len();
        if matches!(self.data.state, Data::None) && line.starts_with(b"data: ") {
            let mut value = self.carry.split().freeze();
            value.advance(6);
            self.data.state = Data::One(value);
        } else if let Some(ty) = &self.type_cache
            && is_type_line(line, ty.as_bytes())
        {
            self.event_type = Some(ty.clone());
            self.carry.clear();
        } else {
            return false;
        }
        self.event_size += n;
        self.event_pending = true;
        self.event_offset.get_or_insert(offset);
        true
    }

    fn enter_skip(&mut self) {
        self.skipping = true;
        self.skip_partial = false;
        self.first_line = false;
        self.event_pending = true;
        self.carry.clear();
        self.data.state = Data::None;
        self.data.buf.clear();
        self.event_type = None;
        self.event_size = 0;
        self.event_offset = None;
    }

    /// Interprets the line `src[start..end]` (terminator excluded). Values are stored as slices
    /// of `src`.
    fn process_line(
        &mut self,
        src: &Bytes,
        mut start: usize,
        end: usize,
        mut offset: u64,
    ) -> Option<Result<Frame, Error>> {
        if std::mem::replace(&mut self.first_line, false) && src[start..end].starts_with(BOM) {
            start += BOM.len();
            offset += BOM.len() as u64;
        }
        let line = &src[start..end];
        let Some(&first) = line.first() else {
            return self.dispatch().map(|e| Ok(Frame::Event(e)));
        };
        // Skips exactly one space at `at`, if present.
        let value_start = |at: usize| {
            if src.get(at) == Some(&b' ') && at < end {
                at + 1
            } else {
                at
            }
        };
        if first == b':' {
            if self.config.emit_comments {
                let text = Text::lossy(src.slice(value_start(start + 1)..end));
                return Some(Ok(Frame::Comment(Comment { text, offset })));
            }
            return None;
        }
        self.event_size += line.len();
        self.event_pending = true;
        self.event_offset.get_or_insert(offset);
        // The first colon ends the name. For the four known fields, test the byte right after
        // the name first: if it is a colon and the name matches below, no earlier colon exists.
        // Any other line gets a full search; a wrong guess only mislabels an unknown field,
        // which is ignored either way.
        let guess = match first {
            b'd' => 4,
            b'e' | b'r' => 5,
            b'i' => 2,
            _ => usize::MAX,
        };
        let (name, vs) = if line.get(guess) == Some(&b':') {
            (&line[..guess], value_start(start + guess + 1))
        } else {
            match memchr::memchr(b':', line) {
                Some(c) => (&line[..c], value_start(start + c + 1)),
                None => (line, end),
            }
        };
        let value = &src[vs..end];
        match name {
            b"data" => {
                let data = &mut self.data;
                if matches!(data.state, Data::None) {
                    data.state = Data::One(src.slice(vs..end));
                } else {
                    data.append_line(value);
                }
            }
            b"event" => {
                self.event_type = if value.is_empty() {
                    None
                } else if let Some(cached) = &self.type_cache
                    && cached.as_bytes() == value
                {
                    Some(cached.clone())
                } else {
                    let text = Name::parse(src, vs, end);
                    self.type_cache = Some(text.clone());
                    Some(text)
                };
            }
            b"id" if memchr::memchr(0, value).is_none() => {
                self.id_buffer = (!value.is_empty()).then(|| Text::lossy(src.slice(vs..end)));
                self.meta_dirty = true;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                self.retry = Some(Duration::from_millis(ms));
                self.meta_dirty = true;
            }
            _ => {}
        }
        None
    }

    /// WHATWG "dispatch the event" at a blank line.
    #[inline]
    fn dispatch(&mut self) -> Option<Event> {
        self.last_event_id.clone_from(&self.id_buffer);
        self.event_size = 0;
        self.event_pending = false;
        let offset = self.event_offset.take().unwrap_or(self.consumed);
        let event_type = self.event_type.take();
        let data = match std::mem::replace(&mut self.data.state, Data::None) {
            Data::None => return None,
            Data::OneAscii(ascii) => Ok(ascii),
            Data::One(bytes) => Err(bytes),
            Data::Buf => Err(self.data.buf.split().freeze()),
        };
        if self.meta_dirty {
            self.refresh_meta();
        }
        let (name, meta) = Event::name_and_meta(event_type, self.meta.as_ref());
        Some(Event {
            name,
            data: EventData::from_scan(data),
            meta,
            offset,
        })
    }

    /// Rebuilds `meta` from `last_event_id` and `retry`, in place when no event still holds
    /// the previous one (so a stream with a new id per event does not allocate per event).
    #[cold]
    fn refresh_meta(&mut self) {
        self.meta_dirty = false;
        if self.last_event_id.is_none() && self.retry.is_none() {
            self.meta = None;
            return;
        }
        if let Some(meta) = self.meta.as_mut().and_then(Arc::get_mut) {
            meta.id.clone_from(&self.last_event_id);
            meta.retry = self.retry;
        } else {
            self.meta = Some(Arc::new(Meta {
                id: self.last_event_id.clone(),
                retry: self.retry,
                name: None,
            }));
        }
    }
}
