//! ChatGPT OAuth login (PKCE browser and device code), token refresh and the `auth.json` store
//! shared with the official Codex CLI.
//!
//! The transport (`codex-client`) never runs OAuth itself: it asks a [`TokenProvider`] for the
//! current [`Credentials`] and, after a 401, for refreshed ones.

mod config;
mod encoding;
mod error;
mod http;
mod jwt;
mod login;
mod manager;
mod pkce;
mod provider;
mod refresh;
mod secret;
mod store;
mod time;

pub use config::CLIENT_ID;
pub use config::DEFAULT_ISSUER;
pub use config::DEFAULT_ORIGINATOR;
pub use config::DEFAULT_SCOPES;
pub use config::ENV_ISSUER;
pub use config::OAuthConfig;
pub use config::OAuthConfigBuilder;
pub use config::authorize_url;
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
