//! Streams one turn: prints events as they arrive (wire JSON lines with `--json`, text
//! otherwise) and collects the output items.

use std::collections::HashSet;
use std::io::Write;

use codex_backend::AbortHandle;
use codex_backend::CodexClient;
use codex_backend::ErrorKind;
use codex_backend::Input;
use codex_backend::types::OutputItemEvent;
use codex_backend::types::RateLimitSnapshot;
use codex_backend::types::ResponseEvent;
use codex_backend::types::ResponseItem;
use codex_backend::types::Usage;
use codex_backend::types::turn::TurnAccumulator;
use futures_util::StreamExt;

use crate::error::CliError;
use crate::output::Out;
use crate::output::clean;
use crate::request::Settings;

/// What a successful turn produced.
#[derive(Debug, Default)]
pub struct TurnResult {
    /// Items from `response.output_item.done`, in order.
    pub items: Vec<ResponseItem>,
    /// Usage from `response.completed`.
    pub usage: Option<Usage>,
    /// Rate limits (`codex.rate_limits` event, else the response headers).
    pub rate_limits: Option<RateLimitSnapshot>,
}

/// How a turn ended.
#[derive(Debug)]
pub enum TurnEnd {
    /// `response.completed`.
    Done(Box<TurnResult>),
    /// The user pressed Ctrl-C (only when `interruptible`).
    Interrupted,
    /// A failure.
    Failed(CliError),
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Section {
    None,
    Reasoning,
    Text,
}

/// Human-mode printing state.
struct Human<'a> {
    out: &'a Out,
    section: Section,
    /// stdout is not at the start of a line.
    mid_line: bool,
    /// stderr is not at the start of a line (reasoning).
    err_mid_line: bool,
    /// Bytes of answer text printed (a count, not the text: memory stays flat).
    text_bytes: u64,
    /// Ids and output indexes of the items that had text deltas.
    delta_items: HashSet<String>,
    delta_indexes: HashSet<u32>,
    /// A delta with neither an item id nor an output index arrived.
    anonymous_delta: bool,
}

impl Human<'_> {
    fn end_reasoning(&mut self) {
        if self.err_mid_line {
            let _ = writeln!(std::io::stderr().lock());
            self.err_mid_line = false;
        }
    }

    fn end_line(&mut self) {
        if self.mid_line {
            self.out.text("\n");
            self.mid_line = false;
        }
    }

    fn reasoning(&mut self, delta: &str, new_part: bool) {
        let mut e = std::io::stderr().lock();
        if self.section != Section::Reasoning || new_part {
            if self.err_mid_line {
                let _ = writeln!(e);
            }
            let _ = write!(e, "{}", dim_err(self.out, "[reasoning] "));
            self.section = Section::Reasoning;
        }
        let _ = write!(e, "{}", dim_err(self.out, &clean(delta)));
        let _ = e.flush();
        self.err_mid_line = !delta.ends_with('\n');
    }

    fn text(&mut self, delta: &str) {
        if self.section == Section::Reasoning {
            self.end_reasoning();
        }
        self.section = Section::Text;
        self.out.text(&clean(delta));
        self.text_bytes += delta.len() as u64;
        if !delta.is_empty() {
            self.mid_line = !delta.ends_with('\n');
        }
    }

    fn item_line(&mut self, line: &str) {
        self.end_reasoning();
        self.end_line();
        self.out.line(line);
        self.section = Section::None;
    }

    /// Records that a text delta arrived for its item.
    fn saw_delta(&mut self, d: &codex_backend::types::TextDelta) {
        match (d.item_id(), d.output_index) {
            (None, None) => self.anonymous_delta = true,
            (id, index) => {
                if let Some(id) = id
                    && !self.delta_items.contains(id)
                {
                    self.delta_items.insert(id.to_owned());
                }
                if let Some(i) = index {
                    self.delta_indexes.insert(i);
                }
            }
        }
    }

    fn item_done(&mut self, ev: &OutputItemEvent) {
        match &ev.item {
            // A message whose text came only in `response.output_item.done` (no deltas): print
            // it now, as the official client does.
            ResponseItem::Message(m) => {
                let had_deltas =
                    m.id.as_deref()
                        .is_some_and(|id| self.delta_items.contains(id))
                        || ev
                            .output_index
                            .is_some_and(|i| self.delta_indexes.contains(&i))
                        || (m.id.is_none() && ev.output_index.is_none() && self.anonymous_delta);
                if !had_deltas {
                    self.text(&m.text());
                }
            }
            ResponseItem::FunctionCall(c) => {
                let l = format!(
                    "{} {}({}) [call_id {}]",
                    self.out.cyan("tool call:"),
                    self.out.bold(&clean(&c.name)),
                    clean(&c.arguments),
                    clean(&c.call_id)
                );
                self.item_line(&l);
            }
            ResponseItem::CustomToolCall(c) => {
                let l = format!(
                    "{} {} [call_id {}]\n{}",
                    self.out.cyan("tool call:"),
                    self.out.bold(&clean(&c.name)),
                    clean(&c.call_id),
                    clean(&c.input)
                );
                self.item_line(&l);
            }
            ResponseItem::LocalShellCall(c) => {
                let action = serde_json::to_string(&c.action).unwrap_or_default();
                let l = format!("{} local_shell {action}", self.out.cyan("tool call:"));
                self.item_line(&l);
            }
            ResponseItem::WebSearchCall(c) => {
                let what = match &c.action {
                    Some(codex_backend::types::WebSearchAction::Search(s)) => {
                        format!("search {:?}", s.query.as_deref().unwrap_or_default())
                    }
                    Some(codex_backend::types::WebSearchAction::OpenPage(p)) => {
                        format!("open {}", p.url.as_deref().unwrap_or_default())
                    }
                    Some(codex_backend::types::WebSearchAction::FindInPage(p)) => {
                        format!("find in {}", p.url.as_deref().unwrap_or_default())
                    }
                    _ => "search".to_owned(),
                };
                let l = self.out.dim(&format!("[web search: {}]", clean(&what)));
                self.item_line(&l);
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        self.end_reasoning();
        self.end_line();
    }

    /// Ends a failed turn. In human mode the error line says how much answer text arrived
    /// before the failure (the text itself is printed above; only its size is kept, so
    /// memory stays flat). `--json` readers have the deltas.
    fn failed(&mut self, mut e: CliError) -> TurnEnd {
        self.finish();
        if !self.out.json && self.text_bytes > 0 {
            e.message = format!(
                "{} (after {} bytes of answer text)",
                e.message, self.text_bytes
            );
        }
        TurnEnd::Failed(e)
    }
}

fn dim_err(out: &Out, s: &str) -> String {
    if out.color_err {
        format!("\x1b[2m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// A decode failure in `--json` mode (see [`crate::replay::decode_error_line`]).
fn decode_error_line(e: &codex_backend::Error) -> String {
    let c = e.client_error();
    let decode = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<codex_backend::types::DecodeError>());
    let message = decode.map_or_else(|| e.to_string(), |d| d.to_string());
    crate::replay::decode_error_line(
        c.and_then(|c| c.event_type()),
        c.and_then(|c| c.byte_offset()),
        &message,
        decode,
    )
}

/// The wire JSON of the terminal event that ended a stream with `e`, if any.
fn event_json(e: &codex_backend::Error) -> Option<&str> {
    e.client_error().and_then(|c| c.event_json())
}

/// Sends `input` with `settings` and streams the answer. With `interruptible`, Ctrl-C
/// aborts the turn (through an [`AbortHandle`]) instead of ending the program.
pub async fn run(
    client: &CodexClient,
    settings: &Settings,
    input: Vec<ResponseItem>,
    out: &Out,
    interruptible: bool,
) -> TurnEnd {
    let abort = AbortHandle::new();
    let opts = settings.call_options(Some(&abort));
    let mut spinner = out.spinner();
    let ctrl_c = async {
        if interruptible {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(ctrl_c);
    let mut interrupted = false;

    let opened = tokio::select! {
        r = client.stream(Input::items(input), opts) => Some(r),
        () = &mut ctrl_c => None,
    };
    let mut stream = match opened {
        None => {
            spinner.stop();
            abort.abort();
            return TurnEnd::Interrupted;
        }
        Some(Err(e)) => {
            spinner.stop();
            return TurnEnd::Failed(e.into());
        }
        // The CLI prints every wire event (`--json`), so it reads the wire-level stream.
        Some(Ok(s)) => s.into_wire(),
    };
    let mut human = Human {
        out,
        section: Section::None,
        mid_line: false,
        err_mid_line: false,
        text_bytes: 0,
        delta_items: HashSet::new(),
        delta_indexes: HashSet::new(),
        anonymous_delta: false,
    };
    // Text is printed as it arrives, not kept: memory stays flat.
    let mut turn = TurnAccumulator::without_text();
    loop {
        // stdout is gone (a closed pipe, a full disk): stop the stream at once (dropping it
        // closes the connection) instead of paying for tokens nobody reads.
        if let Some(e) = out.write_error() {
            spinner.stop();
            abort.abort();
            return TurnEnd::Failed(e);
        }
        let next = tokio::select! {
            n = stream.next() => n,
            () = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                abort.abort();
                continue;
            }
        };
        let Some(next) = next else { break };
        match next {
            Ok(ev) => {
                if out.json {
                    out.raw_json_line(ev.raw_json());
                }
                turn.push(&ev);
                match &ev {
                    ResponseEvent::OutputTextDelta(d) => {
                        spinner.stop();
                        if !out.json {
                            human.saw_delta(d);
                            human.text(&d.delta);
                        }
                    }
                    ResponseEvent::ReasoningSummaryTextDelta(d)
                    | ResponseEvent::ReasoningTextDelta(d) => {
                        spinner.stop();
                        if !out.json {
                            human.reasoning(&d.delta, false);
                        }
                    }
                    ResponseEvent::ReasoningSummaryPartAdded(_)
                        if !out.json && human.section == Section::Reasoning =>
                    {
                        human.reasoning("", true);
                    }
                    ResponseEvent::OutputItemDone(item) => {
                        spinner.stop();
                        if !out.json {
                            human.item_done(item);
                        }
                    }
                    _ => {}
                }
            }
            // An event that failed to decode (the stream goes on), or an undecodable
            // terminal event (printed like the others, then the turn's error). A decode error
            // that ended the stream without an event (a binary WebSocket frame) is the turn's
            // error, below.
            Err(e)
                if e.kind() == ErrorKind::Decode
                    && (event_json(&e).is_some() || e.partial_text().is_none()) =>
            {
                if out.json {
                    out.raw_json_line(&decode_error_line(&e));
                } else {
                    human.finish();
                    out.note(&format!("warning: {e}"));
                }
                // A terminal event (`response.completed`) that failed to decode ended the
                // stream: report that error rather than a generic "stream closed".
                if event_json(&e).is_some() {
                    spinner.stop();
                    return human.failed(e.into());
                }
            }
            Err(e) => {
                spinner.stop();
                // A terminal event (response.failed / response.incomplete / error) is printed as
                // its wire JSON like every other event, before the final error object.
                if out.json
                    && let Some(raw) = event_json(&e)
                {
                    out.raw_json_line(raw);
                }
                if e.kind() == ErrorKind::Aborted && interrupted {
                    human.finish();
                    return TurnEnd::Interrupted;
                }
                return human.failed(e.into());
            }
        }
    }
    spinner.stop();
    human.finish();
    if interrupted {
        return TurnEnd::Interrupted;
    }
    turn.close();
    if !turn.is_completed() {
        return human.failed(CliError::new(
            "stream_closed",
            "stream closed before response.completed",
        ));
    }
    TurnEnd::Done(Box::new(TurnResult {
        usage: turn.usage().cloned(),
        rate_limits: turn.rate_limits().cloned().or_else(|| stream.rate_limits()),
        items: turn.take_items(),
    }))
}

/// Prints usage and rate limits after an answer (stderr, human mode).
pub fn print_usage(out: &Out, r: &TurnResult) {
    if out.json {
        return;
    }
    match &r.usage {
        Some(u) => out.note(&format!(
            "tokens: {} input ({} cached), {} output ({} reasoning), {} total",
            u.input_tokens,
            u.cached_tokens(),
            u.output_tokens,
            u.reasoning_tokens(),
            u.total_tokens
        )),
        None => out.note("tokens: not reported"),
    }
    match &r.rate_limits {
        Some(s) => {
            for (name, w) in [("primary", &s.primary), ("secondary", &s.secondary)] {
                if let Some(w) = w {
                    out.note(&format!(
                        "rate limit {name}: {:.0}% used{}{}",
                        w.used_percent,
                        w.window_minutes
                            .map(|m| format!(" of a {m}-minute window"))
                            .unwrap_or_default(),
                        w.resets_at
                            .map(|t| format!(", resets {}", crate::time::epoch_rfc3339(t)))
                            .unwrap_or_default()
                    ));
                }
            }
            if let Some(c) = &s.credits {
                out.note(&format!(
                    "credits: {}{}",
                    if c.unlimited {
                        "unlimited".to_owned()
                    } else if c.has_credits {
                        "available".to_owned()
                    } else {
                        "none".to_owned()
                    },
                    c.balance
                        .as_deref()
                        .map(|b| format!(" (balance {b})"))
                        .unwrap_or_default()
                ));
            }
        }
        None => out.note("rate limits: not reported"),
    }
}
