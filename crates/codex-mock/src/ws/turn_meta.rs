//! What a 200 answer's own headers say, sent over WebSocket as the events the real server
//! sends instead (protocol §6): only the upgrade answer travels as HTTP headers, so the
//! per-response facts of each later answer go out as `codex.rate_limits` and
//! `response.metadata` events before the answer's own events.

use http::HeaderMap;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;

/// The events carrying what the 200 answer's headers `turn` say and the connection's upgrade
/// answer `upgrade` did not: one `codex.rate_limits` event per rate-limit family (the
/// default `codex` family last) when the rate-limit headers differ, and a
/// `response.metadata` event with `openai-model` when the served model differs. Nothing when
/// the upgrade said the same, so a turn with the default headers gets the same events over
/// both transports.
pub(super) fn events(turn: &HeaderMap, upgrade: &HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    let limits = rate_limit_events(turn);
    if limits != rate_limit_events(upgrade) {
        out.extend(limits);
    }
    let model = header(turn, "openai-model");
    if let Some(model) = model
        && header(upgrade, "openai-model") != Some(model)
    {
        let headers = json!({ "openai-model": model });
        out.push(
            json!({"type": "response.metadata", "headers": headers, "metadata": {}}).to_string(),
        );
    }
    out
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)?.to_str().ok()
}

/// One `codex.rate_limits` event per family of `x-<limit>-…` rate-limit headers (protocol
/// §8.2), `codex` last.
fn rate_limit_events(h: &HeaderMap) -> Vec<String> {
    let mut families: Vec<&str> = Vec::new();
    for name in h.keys() {
        let Some(rest) = name.as_str().strip_prefix("x-") else {
            continue;
        };
        let family = [
            "-primary-used-percent",
            "-secondary-used-percent",
            "-credits-has-credits",
        ]
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix));
        if let Some(f) = family
            && !f.is_empty()
            && !families.contains(&f)
        {
            families.push(f);
        }
    }
    families.sort_by_key(|f| (*f == "codex", *f));
    families
        .into_iter()
        .filter_map(|f| family_event(h, f))
        .collect()
}

/// The `codex.rate_limits` event of family `x-<family>-…`: the windows that count (as the
/// client reads headers: a used percent, and something other than zeros), the credits, the
/// limit name.
fn family_event(h: &HeaderMap, family: &str) -> Option<String> {
    let get = |name: &str| header(h, &format!("x-{family}-{name}"));
    let window = |which: &str| {
        let used: f64 = get(&format!("{which}-used-percent"))?.parse().ok()?;
        let minutes: Option<u64> =
            get(&format!("{which}-window-minutes")).and_then(|s| s.parse().ok());
        let reset_at: Option<i64> = get(&format!("{which}-reset-at")).and_then(|s| s.parse().ok());
        if used == 0.0 && minutes.unwrap_or(0) == 0 && reset_at.is_none() {
            return None;
        }
        let mut w = Map::new();
        w.insert("used_percent".into(), json!(used));
        if let Some(m) = minutes {
            w.insert("window_minutes".into(), json!(m));
        }
        if let Some(r) = reset_at {
            w.insert("reset_at".into(), json!(r));
        }
        Some(Value::Object(w))
    };
    let flag = |name: &str| match get(name).map(str::to_ascii_lowercase).as_deref() {
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        _ => None,
    };
    let mut limits = Map::new();
    for which in ["primary", "secondary"] {
        if let Some(w) = window(which) {
            limits.insert(which.into(), w);
        }
    }
    let credits = flag("credits-has-credits").map(|has| {
        json!({
            "has_credits": has,
            "unlimited": flag("credits-unlimited").unwrap_or(false),
            "balance": get("credits-balance"),
        })
    });
    if limits.is_empty() && credits.is_none() {
        return None;
    }
    let mut event = json!({
        "type": "codex.rate_limits",
        "rate_limits": limits,
        "metered_limit_name": family.replace('-', "_"),
    });
    if let Some(c) = credits {
        event["credits"] = c;
    }
    if let Some(name) = get("limit-name") {
        event["limit_name"] = json!(name);
    }
    Some(event.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            crate::server::set(&mut h, k, v);
        }
        h
    }

    #[test]
    fn only_what_differs_from_the_upgrade_is_sent() {
        let mut upgrade = headers(&[("openai-model", "gpt-5.4")]);
        crate::server::rate_limit_headers(&mut upgrade);
        let mut same = upgrade.clone();
        crate::server::set(&mut same, "x-request-id", "req_other");
        assert!(events(&same, &upgrade).is_empty());

        let mut turn = headers(&[
            ("openai-model", "gpt-5.4-mini"),
            ("x-codex-primary-used-percent", "99.5"),
            ("x-codex-other-primary-used-percent", "5"),
            ("x-codex-other-limit-name", "Other"),
        ]);
        crate::server::rate_limit_headers(&mut turn);
        let sent: Vec<Value> = events(&turn, &upgrade)
            .iter()
            .map(|e| serde_json::from_str(e).unwrap_or_default())
            .collect();
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert_eq!(sent[0]["metered_limit_name"], "codex_other");
        assert_eq!(sent[0]["limit_name"], "Other");
        assert_eq!(sent[0]["rate_limits"]["primary"]["used_percent"], 5.0);
        assert_eq!(sent[1]["type"], "codex.rate_limits");
        assert_eq!(sent[1]["metered_limit_name"], "codex");
        assert_eq!(sent[1]["rate_limits"]["primary"]["used_percent"], 99.5);
        assert_eq!(sent[1]["rate_limits"]["primary"]["window_minutes"], 300);
        assert_eq!(
            sent[1]["rate_limits"]["secondary"]["reset_at"],
            1_767_744_000
        );
        assert_eq!(sent[1]["credits"]["has_credits"], false);
        assert_eq!(sent[1]["credits"]["balance"], "0");
        assert_eq!(sent[2]["type"], "response.metadata");
        assert_eq!(sent[2]["headers"]["openai-model"], "gpt-5.4-mini");
    }
}
