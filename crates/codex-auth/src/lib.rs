//! ChatGPT OAuth login (PKCE browser and device code), token refresh and the `auth.json` store
//! shared with the official Codex CLI.
//!
//! The transport (`codex-client`) never runs OAuth itself: it asks a [`TokenProvider`] for the
//! current [`Credentials`] and, after a 401, for refreshed ones. [`AuthManager`] is the
//! provider for a ChatGPT login kept in `auth.json` (or in memory).
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo() -> Result<(), codex_auth::Error> {
//! use codex_auth::{AuthManager, BrowserLoginOptions, TokenProvider};
//!
//! // $CODEX_HOME/auth.json (default ~/.codex/auth.json), issuer https://auth.openai.com
//! // (or $CODEX_AUTH_ISSUER).
//! let auth = AuthManager::from_env()?;
//! if !auth.status().await?.logged_in {
//!     auth.login_browser(BrowserLoginOptions::new()).await?;
//! }
//! // Refreshed first when the access token expires within five minutes.
//! let creds = auth.credentials().await?;
//! let _bearer = creds.access_token.expose(); // only where it goes on the wire
//! # Ok(()) }
//! ```
//!
//! # Example: device-code login (SSH, headless)
//!
//! ```no_run
//! # async fn demo() -> Result<(), codex_auth::Error> {
//! use codex_auth::{AuthManager, DeviceLoginOptions};
//!
//! let auth = AuthManager::from_env()?;
//! let done = auth
//!     .login_device(DeviceLoginOptions::new().on_code(|c| {
//!         println!("Open {} and enter {}", c.verification_url, c.user_code);
//!     }))
//!     .await?;
//! println!("signed in as {:?}", done.account.email);
//! # Ok(()) }
//! ```
//!
//! # Example: an ephemeral login and a custom issuer
//!
//! ```no_run
//! # async fn demo() -> Result<(), codex_auth::Error> {
//! use codex_auth::{AuthManager, AuthStore, OAuthConfig};
//!
//! let config = OAuthConfig::builder().issuer("http://127.0.0.1:8080").build()?;
//! let auth = AuthManager::new(AuthStore::memory(), config)?;
//! # let _ = auth; Ok(()) }
//! ```
//!
//! # Refresh and sharing `auth.json`
//!
//! Tokens are refreshed when the access token's `exp` is at most five minutes away (without a
//! readable `exp`: when `last_refresh` is older than eight days), and after a 401 through
//! [`TokenProvider::refresh_after_unauthorized`]. Within a process one refresh runs at a time
//! and every waiting task gets its result; across processes an advisory lock on
//! `auth.json.lock` serializes refreshes, and the file is re-read under the lock so a token
//! another program (the official CLI included) already rotated is adopted without a call.
//! `refresh_token_expired`, `refresh_token_reused` and `refresh_token_invalidated` become an
//! [`ErrorKind::LoginRequired`] error saying why; other failures are [`ErrorKind::Transient`]
//! and retried (three attempts, all within [`REFRESH_BUDGET`], so the lock the official CLI
//! also waits for is released within about three seconds).
//!
//! # Environment
//!
//! | Variable | Meaning |
//! |---|---|
//! | `CODEX_HOME` | folder of `auth.json` (default `~/.codex`); must exist |
//! | `CODEX_AUTH_ISSUER` | issuer base URL (default `https://auth.openai.com`) |
//! | `CODEX_REFRESH_TOKEN_URL_OVERRIDE` | refresh endpoint |
//! | `CODEX_REVOKE_TOKEN_URL_OVERRIDE` | revoke endpoint |
//! | `CODEX_CA_CERTIFICATE` | extra trusted CA bundle (PEM file), added to the roots |
//! | `SSL_CERT_FILE` | the same, when `CODEX_CA_CERTIFICATE` is unset or empty |
//! | `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` | CONNECT proxy for `https` and its exceptions |
//!
//! Issuer requests go through [`net::Connector`], the workspace's one HTTP stack, which
//! `codex-client` shares (see [`OAuthConfigBuilder::connector`]).
//!
//! # Features
//!
//! - `__internal` (private, outside semver): exposes the pooled hyper clients of
//!   [`net::Connector`] to `codex-client`. Not for users.
//!
//! # Secrets
//!
//! Tokens are [`SecretString`]s: redacted `Debug`, no `Display`, zeroized on drop. No error
//! message, log event or `Debug` output of this crate contains token bytes. See
//! `docs/security.md` for the threat model.
//!
//! # Cancel safety
//!
//! Dropping a login future stops its callback server. A refresh runs on its own task:
//! dropping the future that asked for it (a timeout, a `select!`, Ctrl-C) does not stop it, so
//! a refresh token the issuer already rotated is always saved. Before the process exits, call
//! [`AuthManager::shutdown`]: it stops new refresh requests and waits (bounded) for one in
//! flight. The file is replaced atomically (or, for a bind-mounted file, rewritten in place
//! without ever being torn); see `docs/auth.md`.

mod config;
mod encoding;
mod error;
mod http;
mod jwt;
mod login;
mod manager;
pub mod net;
mod pkce;
mod provider;
mod refresh;
mod secret;
mod store;
mod time;

#[cfg(test)]
mod fault_tests;

pub use config::CLIENT_ID;
pub use config::DEFAULT_ISSUER;
pub use config::DEFAULT_ORIGINATOR;
pub use config::DEFAULT_SCOPES;
pub use config::ENV_ISSUER;
pub use config::OAuthConfig;
pub use config::OAuthConfigBuilder;
pub use config::authorize_url;
pub use encoding::percent_encode;
pub use error::Error;
pub use error::ErrorKind;
pub use error::RefreshFailure;
pub use error::Result;
pub use jwt::AccountInfo;
pub use jwt::IdTokenClaims;
pub use jwt::JwtError;
pub use jwt::Plan;
pub use login::BrowserLoginOptions;
pub use login::DEFAULT_CALLBACK_PORT;
pub use login::DEVICE_CODE_LIFETIME;
pub use login::DeviceCode;
pub use login::DeviceLoginOptions;
pub use login::FALLBACK_CALLBACK_PORT;
pub use manager::AuthManager;
pub use manager::AuthStatus;
pub use manager::FileTokenProvider;
pub use manager::LoginSuccess;
pub use manager::LogoutOutcome;
pub use manager::REFRESH_BUDGET;
pub use pkce::PkceCodes;
pub use provider::BoxFuture;
pub use provider::Credentials;
pub use provider::StaticTokenProvider;
pub use provider::TokenProvider;
pub use secret::SecretString;
pub use store::AUTH_FILE_NAME;
pub use store::AuthFile;
pub use store::AuthFileError;
pub use store::AuthMode;
pub use store::AuthStore;
pub use store::ENV_CODEX_HOME;
pub use store::TokenData;
pub use store::codex_home;
pub use time::format_rfc3339;
pub use time::parse_rfc3339;
pub use time::unix_seconds;
