//! A small per-client cookie jar (protocol §3.1: codex-rs keeps Cloudflare cookies such as
//! `__cf_bm` for the ChatGPT hosts). Cookies are kept per exact host and sent back only to that
//! host; attributes other than `Max-Age`/`Expires`-deletion are not interpreted. Bounded: at
//! most 64 cookies per host, 4 KiB per cookie.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Mutex;

use http::HeaderMap;
use http::HeaderValue;
use http::Uri;

const MAX_PER_HOST: usize = 64;
const MAX_COOKIE: usize = 4096;

/// Cookies by host, then by name.
#[derive(Debug, Default)]
pub(crate) struct Jar {
    hosts: Mutex<HashMap<String, BTreeMap<String, String>>>,
}

impl Jar {
    /// Stores the `Set-Cookie` headers of a response from `uri`.
    pub(crate) fn store(&self, uri: &Uri, headers: &HeaderMap) {
        let Some(host) = uri.host() else { return };
        let mut set = headers.get_all(http::header::SET_COOKIE).iter().peekable();
        if set.peek().is_none() {
            return;
        }
        let mut hosts = match self.hosts.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let jar = hosts.entry(host.to_ascii_lowercase()).or_default();
        for v in set {
            let Ok(text) = v.to_str() else { continue };
            if text.len() > MAX_COOKIE {
                continue;
            }
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let deleted = parts.any(|a| {
                let a = a.trim().to_ascii_lowercase();
                a.strip_prefix("max-age=")
                    .is_some_and(|n| n.trim().parse::<i64>().is_ok_and(|n| n <= 0))
            });
            if deleted {
                jar.remove(name);
            } else if jar.len() < MAX_PER_HOST || jar.contains_key(name) {
                jar.insert(name.to_owned(), value.trim().to_owned());
            }
        }
    }

    /// The `Cookie` header for a request to `uri`, if the jar holds cookies for its host.
    pub(crate) fn header_for(&self, uri: &Uri) -> Option<HeaderValue> {
        let host = uri.host()?.to_ascii_lowercase();
        let hosts = match self.hosts.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let jar = hosts.get(&host).filter(|j| !j.is_empty())?;
        let line = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut v = HeaderValue::from_str(&line).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_per_host_and_deletes() {
        let jar = Jar::default();
        let a: Uri = "https://chatgpt.com/backend-api/codex/responses"
            .parse()
            .unwrap();
        let b: Uri = "https://api.openai.com/v1/realtime/calls".parse().unwrap();
        let mut h = HeaderMap::new();
        h.append(
            "set-cookie",
            HeaderValue::from_static("__cf_bm=abc; Path=/; HttpOnly"),
        );
        h.append("set-cookie", HeaderValue::from_static("other=1"));
        jar.store(&a, &h);
        assert_eq!(jar.header_for(&a).unwrap(), "__cf_bm=abc; other=1");
        assert!(jar.header_for(&b).is_none());
        let mut del = HeaderMap::new();
        del.append("set-cookie", HeaderValue::from_static("other=; Max-Age=0"));
        jar.store(&a, &del);
        assert_eq!(jar.header_for(&a).unwrap(), "__cf_bm=abc");
    }
}
