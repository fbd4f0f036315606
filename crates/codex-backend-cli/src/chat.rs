//! `chat`: a multi-turn REPL over standard input (a terminal or a pipe).

use std::io::BufRead;
use std::io::IsTerminal;
use std::io::Read;
use std::io::Write;

use codex_backend::types::ResponseItem;
use codex_backend::types::turn::replayable;
use serde_json::json;

use crate::cli::ChatArgs;
use crate::error::CliError;
use crate::error::EXIT_API;
use crate::error::EXIT_LOGIN;
use crate::error::EXIT_OK;
use crate::output::Out;
use crate::request;
use crate::session::Session;
use crate::turn;
use crate::turn::TurnEnd;

const HELP: &str =
    "commands: /compact  /reset  /model [NAME]  /help  /exit (or end of input); //text sends /text";

/// Reads lines on a plain thread (stdin reads block) and hands them over; `None` = EOF. A
/// line longer than [`request::PROMPT_MAX_BYTES`] is an error (at most that much is read).
fn spawn_reader() -> tokio::sync::mpsc::Receiver<Option<Result<String, CliError>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        loop {
            let mut bytes = Vec::new();
            let read = (&mut lock)
                .take(request::PROMPT_MAX_BYTES + 1)
                .read_until(b'\n', &mut bytes);
            let item = match read {
                // End of input; a read error or a line that is not UTF-8 ends it too.
                Ok(0) | Err(_) => None,
                Ok(n) if n as u64 > request::PROMPT_MAX_BYTES => {
                    Some(Err(request::prompt_too_large("a chat line")))
                }
                Ok(_) => String::from_utf8(bytes).ok().map(Ok),
            };
            let last = !matches!(item, Some(Ok(_)));
            if tx.blocking_send(item).is_err() || last {
                return;
            }
        }
    });
    rx
}

/// Runs the REPL; returns the exit code (errors already printed) or an error to print.
pub async fn run(sess: &Session, out: &Out, a: &ChatArgs) -> Result<u8, CliError> {
    let mut settings = request::settings(&a.request, None)?;
    // The history is replayed with `store: false`: reasoning items are only usable later
    // with their `encrypted_content`, so always ask for it (protocol §4.2, §11.9).
    settings.include_reasoning = true;
    sess.authenticate().await?;
    let initial: Vec<ResponseItem> = match &a.request.history {
        Some(p) => request::read_history("--history", p)?
            .into_iter()
            .filter(replayable)
            .collect(),
        None => Vec::new(),
    };
    let mut history = initial;
    let interactive = std::io::stdin().is_terminal();
    let prompt = |out: &Out| {
        if interactive && !out.json {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "> ");
            let _ = e.flush();
        }
    };
    if interactive && !out.json {
        out.note(&format!("chat with {} — {HELP}", settings.model));
    }
    let mut lines = spawn_reader();
    let mut last_failed = false;
    loop {
        // stdout is gone: nobody reads the answers (the write error ends the command).
        if out.write_failed() {
            break;
        }
        prompt(out);
        let line = tokio::select! {
            l = lines.recv() => l.flatten(),
            _ = tokio::signal::ctrl_c() => {
                // Ctrl-C at the prompt ends the chat.
                if !out.json {
                    let _ = writeln!(std::io::stderr().lock());
                }
                None
            }
        };
        let Some(line) = line else { break };
        let line = line?;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        // `//text` sends `/text` as a message.
        let escaped = text
            .trim_start()
            .strip_prefix("//")
            .map(|rest| format!("/{rest}"));
        if let Some(cmd) = text.trim().strip_prefix('/').filter(|_| escaped.is_none()) {
            let mut parts = cmd.split_whitespace();
            let name = parts.next().unwrap_or_default();
            let arg = parts.collect::<Vec<_>>().join(" ");
            match name {
                "exit" | "quit" => break,
                "help" => out.note(HELP),
                "reset" => {
                    history.clear();
                    settings.cache_key = request::new_uuid();
                    settings.window_number = 0;
                    if out.json {
                        out.json_line(&json!({"type": "chat.reset"}));
                    } else {
                        out.note("(conversation cleared)");
                    }
                }
                "model" => {
                    if !arg.is_empty() {
                        settings.model = arg.clone();
                    }
                    if out.json {
                        out.json_line(&json!({"type": "chat.model", "model": settings.model}));
                    } else {
                        out.note(&format!("(model: {})", settings.model));
                    }
                }
                "compact" => {
                    if history.is_empty() {
                        out.note("(nothing to compact)");
                        if out.json {
                            out.json_line(&json!({"type": "chat.compacted", "items_before": 0, "items_after": 0}));
                        }
                        continue;
                    }
                    let before = history.len();
                    let opts = settings.call_options(None);
                    match sess.client.compact_with(history.clone(), opts).await {
                        Ok(r) => {
                            history = r;
                            settings.window_number += 1;
                            last_failed = false;
                            if out.json {
                                out.json_line(&json!({
                                    "type": "chat.compacted",
                                    "items_before": before,
                                    "items_after": history.len(),
                                }));
                            } else {
                                out.note(&format!(
                                    "(compacted {before} items into {})",
                                    history.len()
                                ));
                            }
                        }
                        Err(e) => {
                            let e = CliError::from(e);
                            if out.json || e.exit_code() == EXIT_LOGIN || out.write_failed() {
                                return Err(e);
                            }
                            out.error(&e);
                            last_failed = true;
                        }
                    }
                }
                other => out.note(&format!("unknown command /{other}; {HELP}")),
            }
            continue;
        }
        let message = escaped.unwrap_or_else(|| text.to_owned());
        history.push(ResponseItem::user_text(message));
        match turn::run(&sess.client, &settings, history.clone(), out, true).await {
            TurnEnd::Done(mut r) => {
                if a.request.show_usage {
                    turn::print_usage(out, &r);
                }
                history.extend(std::mem::take(&mut r.items).into_iter().filter(replayable));
                last_failed = false;
            }
            TurnEnd::Interrupted => {
                // The interrupted exchange is dropped from the history.
                history.pop();
                if out.json {
                    out.json_line(&json!({"type": "chat.interrupted"}));
                } else {
                    out.note("(answer interrupted)");
                }
            }
            TurnEnd::Failed(e) => {
                history.pop();
                if out.json || e.exit_code() == EXIT_LOGIN || out.write_failed() {
                    return Err(e);
                }
                out.error(&e);
                last_failed = true;
            }
        }
    }
    Ok(if last_failed { EXIT_API } else { EXIT_OK })
}
