//! `login`, `logout`, `status`, `models`, `usage`, `ask`, `compact`, `realtime-call`.

use std::io::Read;

use codex_backend::CallOptions;
use codex_backend::CompactionMode;
use codex_backend::Error;
use codex_backend::auth::AuthManager;
use codex_backend::auth::AuthStatus;
use codex_backend::auth::BrowserLoginOptions;
use codex_backend::auth::DeviceLoginOptions;
use codex_backend::types::RealtimeSession;
use serde_json::Value;
use serde_json::json;

use crate::cli::AskArgs;
use crate::cli::CompactArgs;
use crate::cli::LoginArgs;
use crate::cli::RealtimeArgs;
use crate::error::CliError;
use crate::output::Out;
use crate::output::clean;
use crate::request;
use crate::session::Session;
use crate::time;
use crate::turn;
use crate::turn::TurnEnd;

/// The `status` JSON document (never a token).
pub fn status_json(s: &AuthStatus) -> Value {
    let acc = s.account.as_ref();
    json!({
        "logged_in": s.logged_in,
        "account_id": acc.and_then(|a| a.account_id.clone()),
        "email": acc.and_then(|a| a.email.clone()),
        "plan": acc.and_then(|a| a.plan.as_ref().map(|p| p.as_str().to_owned())),
        "access_token_expires_at": s.access_token_expires_at.map(time::rfc3339),
        "last_refresh": s.last_refresh.map(time::rfc3339),
        "needs_refresh": s.needs_refresh,
    })
}

fn print_status(out: &Out, s: &AuthStatus) {
    if out.json {
        out.json_line(&status_json(s));
        return;
    }
    if !s.logged_in {
        out.line("Not logged in. Run `codex-backend login`.");
        return;
    }
    let acc = s.account.clone().unwrap_or_default();
    out.line(&format!(
        "Logged in as {}",
        out.bold(&clean(acc.email.as_deref().unwrap_or("(no email)")))
    ));
    out.line(&format!(
        "  account:      {}",
        clean(acc.account_id.as_deref().unwrap_or("-"))
    ));
    out.line(&format!(
        "  plan:         {}",
        clean(acc.plan.as_ref().map_or("-", |p| p.as_str()))
    ));
    let exp = match s.access_token_expires_at {
        Some(t) => {
            let state = if t > std::time::SystemTime::now() {
                "valid, expires"
            } else {
                "expired"
            };
            format!("{state} {} ({})", time::relative(t), time::rfc3339(t))
        }
        None => "expiry unknown".to_owned(),
    };
    out.line(&format!("  access token: {exp}"));
    if s.needs_refresh {
        out.line("                (will be refreshed on next use)");
    }
    let last = s
        .last_refresh
        .map(|t| format!("{} ({})", time::relative(t), time::rfc3339(t)))
        .unwrap_or_else(|| "-".to_owned());
    out.line(&format!("  last refresh: {last}"));
}

/// `status`.
pub async fn status(sess: &Session, out: &Out) -> Result<(), CliError> {
    let s = sess.auth.status().await.map_err(Error::from)?;
    print_status(out, &s);
    Ok(())
}

/// `login`.
pub async fn login(sess: &Session, out: &Out, a: &LoginArgs) -> Result<(), CliError> {
    let auth: &AuthManager = &sess.auth;
    let mock = sess.mock.is_some();
    let result = if a.device {
        let json = out.json;
        let color = out.clone();
        let opts = DeviceLoginOptions::new().on_code(move |c| {
            if json {
                color.json_line(&json!({
                    "verification_url": c.verification_url,
                    "user_code": c.user_code,
                }));
            } else {
                color.note("To sign in, open this page in a browser and enter the one-time code (expires in 15 minutes):");
                color.line(&clean(&c.verification_url));
                color.line(&clean(&c.user_code));
            }
        });
        auth.login_device(opts).await
    } else {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let printer = out.clone();
        let mut opts = BrowserLoginOptions::new()
            .open_browser(!a.no_browser && !mock)
            .on_url(move |url| {
                if printer.json {
                    printer.json_line(&json!({ "authorize_url": url }));
                } else {
                    printer.note("Open this URL in a browser to sign in to ChatGPT:");
                    printer.line(url);
                }
                let _ = tx.send(url.to_owned());
            });
        match (a.port, mock) {
            (Some(p), _) => opts = opts.port(p).fallback_port(None),
            // The mock accepts any redirect port; keep 1455/1457 free for real logins.
            (None, true) => opts = opts.port(0).fallback_port(None),
            (None, false) => {}
        }
        if mock {
            // Play the browser against the mock issuer: open the authorize URL and follow
            // its redirect to our callback server, like a user's browser would.
            let note = out.clone();
            tokio::spawn(async move {
                if let Some(url) = rx.recv().await {
                    note.note("(--mock: following the URL as the browser would)");
                    if let Err(e) = crate::mock::drive_browser(url).await {
                        note.note(&format!("warning: {e}"));
                    }
                }
            });
        }
        auth.login_browser(opts).await
    };
    let success = result.map_err(Error::from)?;
    let s = auth.status().await.map_err(Error::from)?;
    if out.json {
        out.json_line(&status_json(&s));
    } else {
        let acc = &success.account;
        let line = format!(
            "Logged in as {}{}",
            acc.email.as_deref().unwrap_or("(no email)"),
            acc.plan
                .as_ref()
                .map(|p| format!(" (plan {})", p.as_str()))
                .unwrap_or_default()
        );
        out.line(&clean(&line));
    }
    Ok(())
}

/// `logout`.
pub async fn logout(sess: &Session, out: &Out) -> Result<(), CliError> {
    let r = sess.auth.logout().await.map_err(Error::from)?;
    if out.json {
        out.json_line(&json!({
            "logged_in": false,
            "removed": r.removed,
            "revoked": r.revoked,
        }));
    } else if r.removed {
        out.line(if r.revoked {
            "Logged out (token revoked, credentials deleted)."
        } else {
            "Logged out (credentials deleted; the token could not be revoked)."
        });
    } else {
        out.line("Not logged in; nothing to remove.");
    }
    Ok(())
}

/// `models`.
pub async fn models(sess: &Session, out: &Out) -> Result<(), CliError> {
    sess.authenticate().await?;
    let list = sess.client.list_models().await?;
    if out.json {
        let v = serde_json::to_value(&list)
            .map_err(|e| CliError::new("decode", format!("cannot encode the models: {e}")))?;
        out.json_line(&json!({ "models": v }));
        return Ok(());
    }
    if list.is_empty() {
        out.line("No models.");
        return Ok(());
    }
    let width = list.iter().map(|m| m.slug.len()).max().unwrap_or(0);
    for m in &list {
        let v = serde_json::to_value(m).unwrap_or(Value::Null);
        let name = v
            .get("display_name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut extra = Vec::new();
        if let Some(levels) = v
            .get("supported_reasoning_levels")
            .and_then(Value::as_array)
        {
            let l: Vec<&str> = levels
                .iter()
                .filter_map(|x| x.get("effort").and_then(Value::as_str))
                .collect();
            if !l.is_empty() {
                extra.push(format!("reasoning: {}", l.join("/")));
            }
        }
        if let Some(cw) = v.get("context_window").and_then(Value::as_u64) {
            extra.push(format!("context: {cw}"));
        }
        if v.get("visibility").and_then(Value::as_str) == Some("hide") {
            extra.push("hidden".to_owned());
        }
        let slug = format!("{:width$}", m.slug);
        out.line(&format!(
            "{}  {}  {}",
            out.bold(&clean(&slug)),
            clean(name),
            out.dim(&clean(&extra.join(", "))),
        ));
    }
    Ok(())
}

/// `usage`.
pub async fn usage(sess: &Session, out: &Out) -> Result<(), CliError> {
    sess.authenticate().await?;
    let u = sess.client.usage().await?;
    let v = serde_json::to_value(&u)
        .map_err(|e| CliError::new("decode", format!("cannot encode the usage: {e}")))?;
    if out.json {
        out.json_line(&v);
        return Ok(());
    }
    out.line(&format!(
        "plan: {}",
        clean(v.get("plan_type").and_then(Value::as_str).unwrap_or("-"))
    ));
    let window = |label: &str, w: &Value| {
        if w.is_null() {
            return;
        }
        let used = w.get("used_percent").and_then(Value::as_f64).unwrap_or(0.0);
        let mins = w
            .get("limit_window_seconds")
            .and_then(Value::as_u64)
            .map(|s| format!(" of a {}-minute window", s.div_ceil(60)))
            .unwrap_or_default();
        let reset = w
            .get("reset_at")
            .and_then(Value::as_i64)
            .map(|t| format!(", resets {}", time::epoch_rfc3339(t)))
            .unwrap_or_default();
        out.line(&format!("  {label}: {used:.0}% used{mins}{reset}"));
    };
    let limit = |title: &str, rl: &Value| {
        if rl.is_null() {
            return;
        }
        let reached = rl.get("limit_reached").and_then(Value::as_bool) == Some(true);
        out.line(&format!(
            "{}{}",
            clean(title),
            if reached { " (limit reached)" } else { "" }
        ));
        window("primary", rl.get("primary_window").unwrap_or(&Value::Null));
        window(
            "secondary",
            rl.get("secondary_window").unwrap_or(&Value::Null),
        );
    };
    limit("codex", v.get("rate_limit").unwrap_or(&Value::Null));
    if let Some(list) = v.get("additional_rate_limits").and_then(Value::as_array) {
        for l in list {
            let name = l
                .get("limit_name")
                .and_then(Value::as_str)
                .unwrap_or("other");
            limit(name, l.get("rate_limit").unwrap_or(&Value::Null));
        }
    }
    if let Some(c) = v.get("credits").filter(|c| !c.is_null()) {
        let unlimited = c.get("unlimited").and_then(Value::as_bool) == Some(true);
        let has = c.get("has_credits").and_then(Value::as_bool) == Some(true);
        let bal = clean(c.get("balance").and_then(Value::as_str).unwrap_or("-"));
        out.line(&format!(
            "credits: {} (balance {bal})",
            if unlimited {
                "unlimited"
            } else if has {
                "available"
            } else {
                "none"
            }
        ));
    }
    Ok(())
}

/// `compact FILE`.
pub async fn compact(sess: &Session, out: &Out, a: &CompactArgs) -> Result<(), CliError> {
    let history = request::read_history("history", &a.file)?;
    let before = history.len();
    sess.authenticate().await?;
    let opts = CallOptions::new()
        .model(a.model.clone())
        .instructions(a.instructions.clone().unwrap_or_default())
        .conversation_id(request::new_uuid())
        .compaction_mode(if a.legacy {
            CompactionMode::Legacy
        } else {
            CompactionMode::V2
        });
    let output = sess.client.compact_with(history, opts).await?;
    let v = serde_json::to_value(&output)
        .map_err(|e| CliError::new("decode", format!("cannot encode the history: {e}")))?;
    if out.json {
        out.json_line(&v);
    } else {
        out.line(&serde_json::to_string_pretty(&v).unwrap_or_default());
        if !out.write_failed() {
            out.note(&format!("compacted {before} items into {}", output.len()));
        }
    }
    Ok(())
}

/// `realtime-call --sdp FILE`.
pub async fn realtime_call(sess: &Session, out: &Out, a: &RealtimeArgs) -> Result<(), CliError> {
    let sdp = request::read_text("--sdp", &a.sdp, request::SMALL_FILE_MAX_BYTES)?;
    if sdp.trim().is_empty() {
        return Err(CliError::usage(format!(
            "--sdp file {} is empty",
            a.sdp.display()
        )));
    }
    let mut session = RealtimeSession::new(a.model.clone()).voice(a.voice.clone());
    if let Some(i) = &a.instructions {
        session = session.instructions(i.clone());
    }
    sess.authenticate().await?;
    let call = sess
        .client
        .create_realtime_call(&sdp, Some(session))
        .await?;
    if out.json {
        out.json_line(&json!({ "call_id": call.call_id, "sdp": call.sdp_answer }));
    } else {
        out.line(&format!("call_id: {}", clean(&call.call_id)));
        out.text(&clean(&call.sdp_answer));
        if !call.sdp_answer.ends_with('\n') {
            out.text("\n");
        }
    }
    Ok(())
}

/// `ask PROMPT`.
pub async fn ask(sess: &Session, out: &Out, a: &AskArgs) -> Result<(), CliError> {
    let prompt = if a.prompt == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(request::PROMPT_MAX_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::usage(format!("cannot read the prompt from stdin: {e}")))?;
        if buf.len() as u64 > request::PROMPT_MAX_BYTES {
            return Err(request::prompt_too_large("the prompt on standard input"));
        }
        String::from_utf8(buf).map_err(|e| {
            CliError::usage(format!(
                "cannot read the prompt from stdin: {}",
                e.utf8_error()
            ))
        })?
    } else {
        a.prompt.clone()
    };
    let settings = request::settings(&a.request, Some(a))?;
    let mut input = match &a.request.history {
        Some(p) => request::read_history("--history", p)?,
        None => Vec::new(),
    };
    input.push(request::user_message(&prompt, &a.image)?);
    sess.authenticate().await?;
    if let Some(m) = &sess.mock {
        crate::mock::script_ask(&m.server, &settings, &prompt);
    }
    // Ctrl-C stops the answer cleanly (the text so far stays printed; --mock cleans up).
    match turn::run(&sess.client, &settings, input, out, true).await {
        TurnEnd::Done(r) => {
            if a.request.show_usage {
                turn::print_usage(out, &r);
            }
            Ok(())
        }
        TurnEnd::Interrupted => Err(CliError::new("aborted", "interrupted by Ctrl-C")),
        TurnEnd::Failed(e) => Err(e),
    }
}
