//! OAuth issuer configuration and the authorize URL (section 9.1 and 9.2).

use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::encoding::percent_encode;
use crate::error::Result;
use crate::net::Connector;
use crate::net::ConnectorBuilder;

/// The default issuer.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
/// The Codex CLI's OAuth client id.
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// The scopes requested by the newest Codex CLI.
pub const DEFAULT_SCOPES: &str =
    "openid profile email offline_access api.connectors.read api.connectors.invoke";
/// The `originator` sent in the authorize URL.
pub const DEFAULT_ORIGINATOR: &str = "codex_cli_rs";
/// Environment variable overriding the issuer URL.
pub const ENV_ISSUER: &str = "CODEX_AUTH_ISSUER";
/// Environment variable overriding the refresh token URL.
pub const ENV_REFRESH_URL: &str = "CODEX_REFRESH_TOKEN_URL_OVERRIDE";
/// Environment variable overriding the revoke URL.
pub const ENV_REVOKE_URL: &str = "CODEX_REVOKE_TOKEN_URL_OVERRIDE";

/// How to reach and identify with the OAuth issuer. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    pub(crate) inner: Arc<ConfigInner>,
}

#[derive(Debug)]
pub(crate) struct ConfigInner {
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    pub(crate) scopes: String,
    pub(crate) originator: String,
    pub(crate) allowed_workspace_ids: Vec<String>,
    pub(crate) connector: Connector,
    pub(crate) request_timeout: Duration,
    pub(crate) refresh_url: Option<String>,
    pub(crate) revoke_url: Option<String>,
}

impl OAuthConfig {
    /// A builder starting from the defaults, with `CODEX_AUTH_ISSUER`,
    /// `CODEX_REFRESH_TOKEN_URL_OVERRIDE` and `CODEX_REVOKE_TOKEN_URL_OVERRIDE` applied when set.
    /// Explicit setters win over the environment.
    pub fn builder() -> OAuthConfigBuilder {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        OAuthConfigBuilder {
            issuer: env(ENV_ISSUER).unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
            client_id: CLIENT_ID.to_owned(),
            scopes: DEFAULT_SCOPES.to_owned(),
            originator: DEFAULT_ORIGINATOR.to_owned(),
            allowed_workspace_ids: Vec::new(),
            net: ConnectorBuilder::new(),
            connector: None,
            request_timeout: Duration::from_secs(30),
            refresh_url: env(ENV_REFRESH_URL),
            revoke_url: env(ENV_REVOKE_URL),
        }
    }

    /// The issuer base URL, without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The space-separated scopes.
    pub fn scopes(&self) -> &str {
        &self.inner.scopes
    }

    /// The `originator` authorize parameter.
    pub fn originator(&self) -> &str {
        &self.inner.originator
    }

    /// Workspaces (ChatGPT account ids) a login may end in; empty means any.
    pub fn allowed_workspace_ids(&self) -> &[String] {
        &self.inner.allowed_workspace_ids
    }

    /// The timeout applied to each issuer request.
    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// `{issuer}/oauth/authorize`
    pub fn authorize_endpoint(&self) -> String {
        format!("{}/oauth/authorize", self.inner.issuer)
    }

    /// `{issuer}/oauth/token`
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.inner.issuer)
    }

    /// The refresh endpoint: the override if set, else the token endpoint.
    pub fn refresh_endpoint(&self) -> String {
        self.inner
            .refresh_url
            .clone()
            .unwrap_or_else(|| self.token_endpoint())
    }

    /// The revoke endpoint: the override; else derived from the refresh override by replacing
    /// its path with `/oauth/revoke`; else `{issuer}/oauth/revoke`.
    pub fn revoke_endpoint(&self) -> String {
        if let Some(u) = &self.inner.revoke_url {
            return u.clone();
        }
        if let Some(r) = &self.inner.refresh_url
            && let Ok(uri) = r.parse::<http::Uri>()
            && let (Some(s), Some(a)) = (uri.scheme_str(), uri.authority())
        {
            return format!("{s}://{a}/oauth/revoke");
        }
        format!("{}/oauth/revoke", self.inner.issuer)
    }

    /// `{issuer}/api/accounts/deviceauth/usercode`
    pub fn device_usercode_endpoint(&self) -> String {
        format!("{}/api/accounts/deviceauth/usercode", self.inner.issuer)
    }

    /// `{issuer}/api/accounts/deviceauth/token`
    pub fn device_token_endpoint(&self) -> String {
        format!("{}/api/accounts/deviceauth/token", self.inner.issuer)
    }

    /// `{issuer}/codex/device`: where the user enters the device code.
    pub fn device_verification_url(&self) -> String {
        format!("{}/codex/device", self.inner.issuer)
    }

    /// `{issuer}/deviceauth/callback`: the redirect URI of the device-code exchange.
    pub fn device_redirect_uri(&self) -> String {
        format!("{}/deviceauth/callback", self.inner.issuer)
    }

    /// The authorize URL for a browser login (section 9.2: every parameter in order).
    pub fn authorize_url(&self, redirect_uri: &str, code_challenge: &str, state: &str) -> String {
        authorize_url(
            &self.inner.issuer,
            &self.inner.client_id,
            redirect_uri,
            &self.inner.scopes,
            code_challenge,
            state,
            &self.inner.originator,
            &self.inner.allowed_workspace_ids,
        )
    }
}

/// Builds the authorize URL (sans-IO): `response_type=code`, `client_id`, `redirect_uri`,
/// `scope`, `code_challenge`, `code_challenge_method=S256`, `id_token_add_organizations=true`,
/// `codex_cli_simplified_flow=true`, `state`, `originator`, and `allowed_workspace_id` (joined
/// by `,`) when `allowed_workspace_ids` is not empty. Values are percent-encoded RFC 3986
/// style (space is `%20`).
#[allow(clippy::too_many_arguments)]
pub fn authorize_url(
    issuer: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &str,
    code_challenge: &str,
    state: &str,
    originator: &str,
    allowed_workspace_ids: &[String],
) -> String {
    let joined = allowed_workspace_ids.join(",");
    let mut params: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scopes),
        ("code_challenge", code_challenge),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", state),
        ("originator", originator),
    ];
    if !allowed_workspace_ids.is_empty() {
        params.push(("allowed_workspace_id", &joined));
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!(
        "{}/oauth/authorize?{}",
        issuer.trim_end_matches('/'),
        query.join("&")
    )
}

/// Builder for [`OAuthConfig`].
#[derive(Debug, Clone)]
#[must_use]
pub struct OAuthConfigBuilder {
    issuer: String,
    client_id: String,
    scopes: String,
    originator: String,
    allowed_workspace_ids: Vec<String>,
    net: ConnectorBuilder,
    connector: Option<Connector>,
    request_timeout: Duration,
    refresh_url: Option<String>,
    revoke_url: Option<String>,
}

impl OAuthConfigBuilder {
    /// The issuer base URL (default `https://auth.openai.com`, or `CODEX_AUTH_ISSUER`).
    /// Plain `http` is accepted only for loopback hosts.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The OAuth client id (default: the Codex CLI's).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// The space-separated scopes.
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.scopes = scopes.into();
        self
    }

    /// The `originator` authorize parameter (default `codex_cli_rs`).
    pub fn originator(mut self, originator: impl Into<String>) -> Self {
        self.originator = originator.into();
        self
    }

    /// Restrict logins to these workspaces (ChatGPT account ids). Sent as
    /// `allowed_workspace_id` and enforced on the id token after the code exchange.
    pub fn allowed_workspace_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_workspace_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Trust an extra root CA (PEM) for the issuer, on top of the other roots (see
    /// [`ConnectorBuilder::add_root_certificate_pem`]). Ignored when
    /// [`connector`](Self::connector) is given.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.net = self.net.add_root_certificate_pem(pem.into());
        self
    }

    /// Trust the CA certificates of this PEM bundle file for the issuer, on top of the other
    /// roots; replaces `CODEX_CA_CERTIFICATE`/`SSL_CERT_FILE` (see
    /// [`ConnectorBuilder::ca_certificate`]). Ignored when [`connector`](Self::connector) is
    /// given.
    pub fn ca_certificate(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.net = self.net.ca_certificate(path);
        self
    }

    /// The network settings (proxy, roots, extra CA, connect timeout) of the issuer requests
    /// (default [`ConnectorBuilder::new`]: the environment's proxy and CA file). Ignored when
    /// [`connector`](Self::connector) is given.
    pub fn network(mut self, settings: ConnectorBuilder) -> Self {
        self.net = settings;
        self
    }

    /// Send issuer requests through this connector (sharing its pool and settings, e.g. with
    /// the API client) instead of building one from [`network`](Self::network).
    pub fn connector(mut self, connector: Connector) -> Self {
        self.connector = Some(connector);
        self
    }

    /// Timeout for each issuer request (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Override the refresh endpoint (also `CODEX_REFRESH_TOKEN_URL_OVERRIDE`).
    pub fn refresh_url(mut self, url: impl Into<String>) -> Self {
        self.refresh_url = Some(url.into());
        self
    }

    /// Override the revoke endpoint (also `CODEX_REVOKE_TOKEN_URL_OVERRIDE`).
    pub fn revoke_url(mut self, url: impl Into<String>) -> Self {
        self.revoke_url = Some(url.into());
        self
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<OAuthConfig> {
        let issuer = self.issuer.trim().trim_end_matches('/').to_owned();
        validate_url(&issuer, "issuer URL")?;
        if let Some(u) = &self.refresh_url {
            validate_url(u, "refresh URL")?;
        }
        if let Some(u) = &self.revoke_url {
            validate_url(u, "revoke URL")?;
        }
        if self.client_id.is_empty() {
            return Err(Error::config("the OAuth client id is empty"));
        }
        if self.request_timeout.is_zero() {
            return Err(Error::config("the issuer request timeout is zero"));
        }
        let connector = match self.connector {
            Some(c) => c,
            None => self.net.build()?,
        };
        Ok(OAuthConfig {
            inner: Arc::new(ConfigInner {
                issuer,
                client_id: self.client_id,
                scopes: self.scopes,
                originator: self.originator,
                allowed_workspace_ids: self.allowed_workspace_ids,
                connector,
                request_timeout: self.request_timeout,
                refresh_url: self.refresh_url,
                revoke_url: self.revoke_url,
            }),
        })
    }
}

fn validate_url(url: &str, what: &str) -> Result<()> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Error::config(format!("the {what} is not a valid URL")))?;
    let host = uri
        .host()
        .ok_or_else(|| Error::config(format!("the {what} has no host")))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if crate::http::is_loopback_host(host) => Ok(()),
        Some("http") => Err(Error::config(format!(
            "the {what} uses plain http for a non-loopback host"
        ))),
        _ => Err(Error::config(format!("the {what} must be an https URL"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_order_and_encoding() {
        let url = authorize_url(
            "https://auth.openai.com/",
            CLIENT_ID,
            "http://localhost:1455/auth/callback",
            DEFAULT_SCOPES,
            "CHAL",
            "ST-_",
            "codex_cli_rs",
            &[],
        );
        assert_eq!(
            url,
            "https://auth.openai.com/oauth/authorize?response_type=code\
             &client_id=app_EMoamEEZ73f0CkXaXp7hrann\
             &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback\
             &scope=openid%20profile%20email%20offline_access%20api.connectors.read%20api.connectors.invoke\
             &code_challenge=CHAL&code_challenge_method=S256&id_token_add_organizations=true\
             &codex_cli_simplified_flow=true&state=ST-_&originator=codex_cli_rs"
        );
        let with_ws = authorize_url(
            "https://x",
            "c",
            "r",
            "s",
            "ch",
            "st",
            "o",
            &["ws1".into(), "ws 2".into()],
        );
        assert!(with_ws.ends_with("&originator=o&allowed_workspace_id=ws1%2Cws%202"));
    }

    #[test]
    fn builder_validates() {
        let c = OAuthConfig::builder()
            .issuer("http://127.0.0.1:9/")
            .build()
            .unwrap();
        assert_eq!(c.issuer(), "http://127.0.0.1:9");
        assert_eq!(c.token_endpoint(), "http://127.0.0.1:9/oauth/token");
        assert_eq!(c.revoke_endpoint(), "http://127.0.0.1:9/oauth/revoke");
        assert!(
            OAuthConfig::builder()
                .issuer("http://example.com")
                .build()
                .is_err()
        );
        assert!(
            OAuthConfig::builder()
                .issuer("ftp://localhost")
                .build()
                .is_err()
        );
        assert!(OAuthConfig::builder().issuer("not a url").build().is_err());
        assert!(
            OAuthConfig::builder()
                .issuer("https://auth.example")
                .add_root_certificate_pem("garbage")
                .build()
                .is_err()
        );
        let c = OAuthConfig::builder()
            .issuer("https://a.example")
            .refresh_url("https://r.example:8443/x/token")
            .build()
            .unwrap();
        assert_eq!(c.refresh_endpoint(), "https://r.example:8443/x/token");
        assert_eq!(c.revoke_endpoint(), "https://r.example:8443/oauth/revoke");
    }
}
