//! Base URLs: validation (https, or http to loopback only) and derivation.

use http::Uri;

use crate::error::Error;
use crate::error::Result;

/// Default Codex backend base URL.
pub const DEFAULT_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";
/// Default public API base URL (realtime calls).
pub const DEFAULT_API_BASE_URL: &str = "https://api.openai.com/v1";

/// A validated base URL without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUrl(String);

impl BaseUrl {
    pub(crate) fn parse(what: &str, raw: &str) -> Result<Self> {
        let trimmed = raw.trim().trim_end_matches('/');
        let uri: Uri = trimmed
            .parse()
            .map_err(|e| Error::config(format!("invalid {what} url")).with_source(e))?;
        check_uri(what, &uri)?;
        if uri.query().is_some() {
            return Err(Error::config(format!("{what} url must not have a query")));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the path ends in `/backend-api/codex`, whatever the host: the ChatGPT
    /// backend as the official client decides it (by provider, not by host name), a local
    /// mock included.
    pub(crate) fn is_chatgpt_backend(&self) -> bool {
        let path = self
            .0
            .parse::<Uri>()
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        path.ends_with("/backend-api/codex")
    }

    /// `base/path` (path without a leading slash; may carry a query).
    pub(crate) fn join(&self, path: &str) -> Result<Uri> {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
            .parse()
            .map_err(|e| Error::config(format!("invalid url for {path}")).with_source(e))
    }

    /// The ChatGPT backend root (`<origin>/backend-api`) derived from a backend base URL: the
    /// part up to and including `/backend-api`; `None` without it.
    pub(crate) fn derive_chatgpt_base(&self) -> Option<Self> {
        const MARK: &str = "/backend-api";
        let i = self.0.find(MARK)?;
        Self::parse("chatgpt base", &self.0[..i + MARK.len()]).ok()
    }

    /// The usage (`wham/usage`) URL derived from a backend base URL: the part up to and
    /// including `/backend-api` followed by `/wham/usage`; without `/backend-api` in the path,
    /// `{scheme}://{host}/api/codex/usage` (the codex-rs rule for non-ChatGPT hosts).
    pub(crate) fn derive_usage(&self) -> Result<Self> {
        const MARK: &str = "/backend-api";
        if let Some(i) = self.0.find(MARK) {
            return Self::parse(
                "usage",
                &format!("{}/wham/usage", &self.0[..i + MARK.len()]),
            );
        }
        let uri: Uri = self
            .0
            .parse()
            .map_err(|e| Error::config("invalid base url").with_source(e))?;
        let scheme = uri.scheme_str().unwrap_or("https");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        Self::parse("usage", &format!("{scheme}://{authority}/api/codex/usage"))
    }
}

/// True for hosts whose traffic never leaves the machine.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// `https` anywhere; `http` only to loopback hosts, so tokens never travel in clear text.
pub(crate) fn check_uri(what: &str, uri: &Uri) -> Result<()> {
    let host = uri
        .host()
        .ok_or_else(|| Error::config(format!("{what} url has no host")))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback_host(host) => Ok(()),
        Some("http") => Err(Error::config(format!(
            "{what} url uses plain http to a non-loopback host; use https"
        ))),
        _ => Err(Error::config(format!("{what} url must use https"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_rules() {
        assert!(BaseUrl::parse("base", "https://chatgpt.com/backend-api/codex/").is_ok());
        assert!(BaseUrl::parse("base", "http://127.0.0.1:8080/backend-api/codex").is_ok());
        assert!(BaseUrl::parse("base", "http://127.9.9.9/x").is_ok());
        assert!(BaseUrl::parse("base", "http://localhost:1/x").is_ok());
        assert!(BaseUrl::parse("base", "http://[::1]:9/x").is_ok());
        assert!(BaseUrl::parse("base", "http://chatgpt.com/backend-api/codex").is_err());
        assert!(BaseUrl::parse("base", "http://10.0.0.1/x").is_err());
        assert!(BaseUrl::parse("base", "ftp://127.0.0.1/x").is_err());
        assert!(BaseUrl::parse("base", "not a url").is_err());
        assert!(BaseUrl::parse("base", "https://x/y?q=1").is_err());
    }

    #[test]
    fn joins_and_derives_usage() {
        let b = BaseUrl::parse("base", "https://chatgpt.com/backend-api/codex/").unwrap();
        assert_eq!(
            b.join("responses").unwrap().to_string(),
            "https://chatgpt.com/backend-api/codex/responses"
        );
        assert_eq!(
            b.derive_usage().unwrap().as_str(),
            "https://chatgpt.com/backend-api/wham/usage"
        );
        let m = BaseUrl::parse("base", "http://127.0.0.1:4000/backend-api/codex").unwrap();
        assert_eq!(
            m.derive_usage().unwrap().as_str(),
            "http://127.0.0.1:4000/backend-api/wham/usage"
        );
        let o = BaseUrl::parse("base", "https://example.com/codex").unwrap();
        assert_eq!(
            o.derive_usage().unwrap().as_str(),
            "https://example.com/api/codex/usage"
        );
    }

    #[test]
    fn chatgpt_backend_is_decided_by_path() {
        let yes = |u: &str| BaseUrl::parse("base", u).unwrap().is_chatgpt_backend();
        assert!(yes("https://chatgpt.com/backend-api/codex"));
        assert!(yes("https://chatgpt.com/backend-api/codex/"));
        assert!(yes("http://127.0.0.1:9/backend-api/codex"));
        assert!(yes("https://proxy.example/x/backend-api/codex"));
        assert!(!yes("https://api.openai.com/v1"));
        assert!(!yes("https://chatgpt.com/backend-api/codex/v2"));
        assert!(!yes("https://chatgpt.com/backend-api"));
    }
}
