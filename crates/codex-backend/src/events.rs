//! Seed-level events of [`crate::CodexClient::stream`]: text, reasoning, tool calls, finished
//! items and completion, with every other wire event passed through as itself.

use std::ops::Deref;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::Context;
use std::task::Poll;

use codex_client::TextResponse;
use codex_types::RateLimitSnapshot;
use codex_types::ResponseEvent;
use codex_types::ResponseItem;
use codex_types::ToolOutput;
use codex_types::Usage;
use codex_types::turn::is_tool_call;
use futures_core::Stream;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

/// One event of an [`EventStream`].
///
/// The stream yields `Result<Event, Error>`: every failure (HTTP status, rate or usage limit,
/// `response.failed`, a stream that closes early, an idle timeout, an abort) is an `Err` of
/// the one [`Error`] type, never an event. An `Err` of kind [`ErrorKind::Decode`] is one
/// event that could not be decoded: the stream goes on after it; any other `Err` ends it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A piece of the answer's text (`response.output_text.delta`).
    TextDelta(String),
    /// A piece of reasoning text: the summary or the raw reasoning.
    ReasoningDelta {
        /// The text.
        text: String,
        /// Which reasoning text it belongs to.
        kind: ReasoningKind,
    },
    /// A finished call of a function, custom or local-shell tool.
    ToolCall(ToolCall),
    /// Every other finished output item (message, reasoning, web search, …).
    OutputItem(ResponseItem),
    /// The response completed: the stream ends after this event.
    Completed(Completed),
    /// Any other wire event, as received (nothing is lost).
    Other(ResponseEvent),
}

/// Which reasoning text an [`Event::ReasoningDelta`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReasoningKind {
    /// The reasoning summary (`response.reasoning_summary_text.delta`).
    Summary,
    /// The raw reasoning text (`response.reasoning_text.delta`).
    Raw,
}

/// What [`Event::Completed`] reports.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Completed {
    /// The response id.
    pub response_id: String,
    /// Token usage, when the server sent it.
    pub usage: Option<Usage>,
    /// The rate limits of the response: the turn's last `codex.rate_limits` event when it
    /// sent one (what the server sends over WebSocket), else the response head's
    /// `x-codex-*` headers; `None` when neither said anything (e.g. a later turn on a reused
    /// WebSocket connection without a `codex.rate_limits` event).
    pub rate_limits: Option<RateLimitSnapshot>,
}

/// A finished tool call: a `function_call`, `custom_tool_call` or `local_shell_call` item.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall(ResponseItem);

impl ToolCall {
    /// The call in `item`, or `None` when the item is no tool call.
    pub fn from_item(item: ResponseItem) -> Option<Self> {
        is_tool_call(&item).then_some(Self(item))
    }

    /// The call id that its output must name.
    pub fn call_id(&self) -> &str {
        match &self.0 {
            ResponseItem::FunctionCall(c) => &c.call_id,
            ResponseItem::CustomToolCall(c) => &c.call_id,
            ResponseItem::LocalShellCall(c) => {
                c.call_id.as_deref().or(c.id.as_deref()).unwrap_or_default()
            }
            _ => "",
        }
    }

    /// The tool's name (`local_shell` for a local-shell call).
    pub fn name(&self) -> &str {
        match &self.0 {
            ResponseItem::FunctionCall(c) => &c.name,
            ResponseItem::CustomToolCall(c) => &c.name,
            _ => "local_shell",
        }
    }

    /// The raw arguments: a function call's JSON text, a custom tool's free-form input, or a
    /// local-shell call's action as JSON.
    pub fn arguments(&self) -> String {
        match &self.0 {
            ResponseItem::FunctionCall(c) => c.arguments.clone(),
            ResponseItem::CustomToolCall(c) => c.input.clone(),
            ResponseItem::LocalShellCall(c) => serde_json::to_string(&c.action).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The arguments decoded into `T`; an error of kind [`ErrorKind::InvalidOutput`] when
    /// they do not fit.
    pub fn parsed_arguments<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.arguments()).map_err(|e| {
            Error::new(
                ErrorKind::InvalidOutput,
                format!("arguments of tool call {} do not fit: {e}", self.name()),
            )
            .with_source(e)
        })
    }

    /// The call as a history item, to send back before its output.
    pub fn as_history_item(&self) -> &ResponseItem {
        &self.0
    }

    /// The call as an owned history item.
    pub fn into_history_item(self) -> ResponseItem {
        self.0
    }

    /// The output item answering this call (`function_call_output` or
    /// `custom_tool_call_output`, with this call's id).
    pub fn to_tool_result(&self, output: impl Into<ToolOutput>) -> ResponseItem {
        let output = output.into();
        match &self.0 {
            ResponseItem::CustomToolCall(c) => ResponseItem::CustomToolCallOutput(
                codex_types::CustomToolCallOutput::new(c.call_id.clone(), output),
            ),
            _ => ResponseItem::FunctionCallOutput(codex_types::FunctionCallOutput::new(
                self.call_id(),
                output,
            )),
        }
    }
}

/// The wire-level stream of one turn: typed [`ResponseEvent`]s with failures as the
/// facade's [`Error`]. It derefs to [`codex_client::ResponseStream`] for the response head
/// (`request_id()`, `rate_limits()`, `received_text()`, …).
#[derive(Debug)]
pub struct WireStream(codex_client::ResponseStream);

impl WireStream {
    /// Reads the stream to its end: text, usage, output items and ids. An error carries the
    /// partial text ([`Error::partial_text`]).
    pub async fn collect_text(self) -> Result<TextResponse> {
        Ok(self.0.collect_text().await?)
    }

    /// The transport's stream, whose items carry `codex_client::Error`.
    pub fn into_inner(self) -> codex_client::ResponseStream {
        self.0
    }
}

impl Deref for WireStream {
    type Target = codex_client::ResponseStream;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for WireStream {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Stream for WireStream {
    type Item = Result<ResponseEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().0)
            .poll_next(cx)
            .map(|o| o.map(|r| r.map_err(Error::from)))
    }
}

/// The event stream of one turn ([`crate::CodexClient::stream`]): yields
/// `Result<`[`Event`]`, `[`Error`]`>` (see [`Event`] for which errors end it) and ends after
/// [`Event::Completed`]. Dropping it closes the connection. It derefs to
/// [`codex_client::ResponseStream`] for the response head; [`into_wire`](Self::into_wire)
/// gives the wire-level events instead, [`text_stream`](Self::text_stream) the text only.
#[derive(Debug)]
pub struct EventStream(WireStream, Option<RateLimitSnapshot>);

impl EventStream {
    pub(crate) fn new(inner: codex_client::ResponseStream) -> Self {
        Self(WireStream(inner), None)
    }

    /// The wire-level stream (every [`ResponseEvent`] as received).
    pub fn into_wire(self) -> WireStream {
        self.0
    }

    /// A stream of the answer's text deltas only (errors still arrive as `Err`).
    pub fn text_stream(self) -> TextStream {
        TextStream(self)
    }

    /// Reads the stream to its end: text, usage, output items and ids. An error carries the
    /// partial text ([`Error::partial_text`]).
    pub async fn collect_text(self) -> Result<TextResponse> {
        self.0.collect_text().await
    }

    /// The facade's event for `ev` (keeping the last `codex.rate_limits` snapshot for
    /// [`Completed::rate_limits`]).
    fn seed(&mut self, ev: ResponseEvent) -> Event {
        match ev {
            ResponseEvent::OutputTextDelta(d) => Event::TextDelta(d.delta.into()),
            ResponseEvent::ReasoningSummaryTextDelta(d) => Event::ReasoningDelta {
                text: d.delta.into(),
                kind: ReasoningKind::Summary,
            },
            ResponseEvent::ReasoningTextDelta(d) => Event::ReasoningDelta {
                text: d.delta.into(),
                kind: ReasoningKind::Raw,
            },
            ResponseEvent::OutputItemDone(done) if is_tool_call(&done.item) => {
                Event::ToolCall(ToolCall(done.item))
            }
            ResponseEvent::OutputItemDone(done) => Event::OutputItem(done.item),
            ResponseEvent::Completed(c) => Event::Completed(Completed {
                response_id: c.response_id().to_owned(),
                usage: c.usage().cloned(),
                rate_limits: self.1.take().or_else(|| self.0.rate_limits()),
            }),
            ResponseEvent::RateLimits(r) => {
                self.1 = Some(r.snapshot.clone());
                Event::Other(ResponseEvent::RateLimits(r))
            }
            other => Event::Other(other),
        }
    }
}

impl Deref for EventStream {
    type Target = codex_client::ResponseStream;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Stream for EventStream {
    type Item = Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match Pin::new(&mut this.0).poll_next(cx) {
            Poll::Ready(Some(Ok(ev))) => Poll::Ready(Some(Ok(this.seed(ev)))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The text deltas of an [`EventStream`] ([`EventStream::text_stream`]).
#[derive(Debug)]
pub struct TextStream(EventStream);

impl Stream for TextStream {
    type Item = Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.0).poll_next(cx) {
                Poll::Ready(Some(Ok(Event::TextDelta(t)))) => return Poll::Ready(Some(Ok(t))),
                Poll::Ready(Some(Ok(_))) => continue,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
