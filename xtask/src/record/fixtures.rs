//! Scrubbing: a captured answer becomes fixture files only once the scrubber accepted every
//! part of it (body, request, headers); an error status or a refused part writes nothing.

use std::path::Path;
use std::path::PathBuf;

use codex_mock::scrub;
use codex_mock::scrub::Secret;
use serde_json::Value;
use serde_json::json;

use super::capture::Captured;
use super::cases::Case;

/// Scrubs the exchange of `c` (its request `body_bytes`, the `captured` answer) and writes
/// `<case>.recorded.{sse,json}`, `<case>.request.json` and `<case>.headers.json` into `out`.
pub(super) fn write_fixtures(
    c: &Case,
    out: &Path,
    secrets: &[Secret],
    body_bytes: &[u8],
    captured: Captured,
) -> Result<Vec<PathBuf>, String> {
    let Captured {
        status,
        headers,
        body,
    } = captured;
    if !(200..300).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&scrub::redact(&body[..body.len().min(300)], secrets))
        ));
    }
    // Scrub everything first; write nothing if any part is refused.
    let body =
        scrub::scrub(&body, secrets).map_err(|l| format!("scrubber refused the body: {l}"))?;
    let request = match &c.body {
        Some(_) => Some(
            scrub::scrub(body_bytes, secrets)
                .map_err(|l| format!("scrubber refused the request: {l}"))?,
        ),
        None => None,
    };
    let kept = scrub::scrub_headers(&headers, secrets)
        .map_err(|l| format!("scrubber refused a header: {l}"))?;
    let path_only = c
        .url
        .split("://")
        .nth(1)
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .unwrap_or_default();
    let mut hmap = serde_json::Map::new();
    for (k, v) in kept {
        hmap.insert(k, Value::String(v));
    }
    let headers_doc = json!({
        "status": status,
        "request": {"method": c.method, "path": path_only},
        "headers": hmap,
    });
    let mut headers_text = serde_json::to_string_pretty(&headers_doc).map_err(|e| e.to_string())?;
    headers_text.push('\n');
    let headers_text = scrub::scrub(headers_text.as_bytes(), secrets)
        .map_err(|l| format!("scrubber refused the headers file: {l}"))?;

    let ext = if c.sse { "sse" } else { "json" };
    let mut files = Vec::new();
    let mut write = |name: String, data: &[u8]| -> Result<(), String> {
        let p = out.join(name);
        std::fs::write(&p, data).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        files.push(p);
        Ok(())
    };
    write(format!("{}.recorded.{ext}", c.name), &body)?;
    if let Some(r) = request {
        let v: Value = serde_json::from_slice(&r).map_err(|e| e.to_string())?;
        let mut t = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
        t.push('\n');
        write(format!("{}.request.json", c.name), t.as_bytes())?;
    }
    write(format!("{}.headers.json", c.name), &headers_text)?;
    Ok(files)
}
