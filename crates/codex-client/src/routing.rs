//! Workspace routing (protocol §14.1): before the first backend request of a process with a
//! ChatGPT login, `GET {chatgpt_base}/wham/accounts/check` says where the account's
//! workspace lives (`workspace_backend_origin`) and which routing override to send
//! (`account_routing_override` → `x-openai-account-routing-override`). The answer is cached
//! per ChatGPT base and account for the process. A failed discovery (any error or non-2xx,
//! 404 included) logs a warning and keeps the configured base URL; that outcome is cached
//! too, so a process does not ask again on every request (the official client fails the
//! turn instead; an SDK should not).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;

use http::HeaderValue;
use http::Uri;
use http::uri::Authority;
use http::uri::Scheme;
use serde_json::Value;

/// The routing override header.
pub(crate) const ROUTING_OVERRIDE_HEADER: &str = "x-openai-account-routing-override";
/// "No constraint" in both fields of the discovery answer.
const NO_CONSTRAINT: &str = "NO_CONSTRAINT";

/// Where an account's backend requests go.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Routing {
    /// The workspace's https origin, when it is not the configured one.
    pub(crate) origin: Option<(Scheme, Authority)>,
    /// The `x-openai-account-routing-override` value, when constrained.
    pub(crate) routing_override: Option<HeaderValue>,
}

impl Routing {
    /// `uri` sent to the workspace origin (same path and query).
    pub(crate) fn apply(&self, uri: &Uri) -> Uri {
        let Some((scheme, authority)) = &self.origin else {
            return uri.clone();
        };
        let mut parts = uri.clone().into_parts();
        parts.scheme = Some(scheme.clone());
        parts.authority = Some(authority.clone());
        Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
    }
}

/// The discovery answer for `account_id` (sans-IO): the entry with that id, else the
/// `default_account_id` entry, else no constraint. A `workspace_backend_origin` that is not
/// an https origin (scheme and host, no path) is ignored with a warning.
pub(crate) fn parse(body: &[u8], account_id: &str) -> Routing {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        tracing::warn!("workspace routing discovery answer is not JSON; using the base URL");
        return Routing::default();
    };
    let accounts = v["accounts"].as_array().cloned().unwrap_or_default();
    let default = v["default_account_id"].as_str();
    let entry = accounts
        .iter()
        .find(|a| a["id"].as_str() == Some(account_id))
        .or_else(|| accounts.iter().find(|a| a["id"].as_str() == default));
    let Some(entry) = entry else {
        return Routing::default();
    };
    let constrained = |key: &str| {
        entry[key]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != NO_CONSTRAINT)
    };
    let origin = constrained("workspace_backend_origin").and_then(|o| {
        let parsed = https_origin(o);
        if parsed.is_none() {
            tracing::warn!("workspace_backend_origin is not an https origin; using the base URL");
        }
        parsed
    });
    let routing_override =
        constrained("account_routing_override").and_then(|s| HeaderValue::from_str(s).ok());
    Routing {
        origin,
        routing_override,
    }
}

/// `s` as an https origin: scheme `https`, a host, no path beyond `/`, no query.
fn https_origin(s: &str) -> Option<(Scheme, Authority)> {
    let uri: Uri = s.trim_end_matches('/').parse().ok()?;
    let parts = uri.into_parts();
    let scheme = parts.scheme?;
    if scheme != Scheme::HTTPS {
        return None;
    }
    if let Some(pq) = &parts.path_and_query
        && (!matches!(pq.path(), "" | "/") || pq.query().is_some())
    {
        return None;
    }
    Some((scheme, parts.authority?))
}

type Cache = Mutex<HashMap<(String, String), Arc<Routing>>>;

/// The process-wide cache, keyed by ChatGPT base URL and account id.
fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

pub(crate) fn cached(base: &str, account: &str) -> Option<Arc<Routing>> {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(base.to_owned(), account.to_owned()))
        .cloned()
}

pub(crate) fn store(base: &str, account: &str, routing: Routing) -> Arc<Routing> {
    let routing = Arc::new(routing);
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert((base.to_owned(), account.to_owned()), routing.clone());
    routing
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn answer(origin: &str, over: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "accounts": [
                {"id": "other", "workspace_backend_origin": "https://elsewhere.example", "account_routing_override": "us"},
                {"id": "acct", "workspace_backend_origin": origin, "account_routing_override": over, "structure": "workspace"}
            ],
            "account_ordering": ["acct"], "default_account_id": "other"
        }))
        .unwrap()
    }

    #[test]
    fn parses_the_accounts_entry() {
        let r = parse(&answer("https://ws.example:8443/", "us_cr"), "acct");
        let uri: Uri = "https://chatgpt.com/backend-api/codex/responses?x=1"
            .parse()
            .unwrap();
        assert_eq!(
            r.apply(&uri).to_string(),
            "https://ws.example:8443/backend-api/codex/responses?x=1"
        );
        assert_eq!(r.routing_override.unwrap(), "us_cr");
        let none = parse(&answer("NO_CONSTRAINT", "NO_CONSTRAINT"), "acct");
        assert_eq!(none, Routing::default());
        assert_eq!(none.apply(&uri), uri);
        // Not https, or with a path: ignored.
        assert_eq!(
            parse(&answer("http://ws.example", "NO_CONSTRAINT"), "acct").origin,
            None
        );
        assert_eq!(
            parse(&answer("https://ws.example/x", "NO_CONSTRAINT"), "acct").origin,
            None
        );
        // Unknown account: the default account's entry.
        assert_eq!(
            parse(&answer("NO_CONSTRAINT", "NO_CONSTRAINT"), "zzz")
                .routing_override
                .unwrap(),
            "us"
        );
        assert_eq!(parse(b"not json", "acct"), Routing::default());
    }
}
