//! ChatGPT OAuth login (PKCE browser and device code), token refresh and the `auth.json` store
//! shared with the official Codex CLI.
//!
//! The transport (`codex-client`) never runs OAuth itself: it asks a [`TokenProvider`] for the
//! current [`Credentials`] and, after a 401, for refreshed ones.

mod error;
mod provider;
mod secret;

pub use error::Error;
pub use error::ErrorKind;
pub use provider::BoxFuture;
pub use provider::Credentials;
pub use provider::TokenProvider;
pub use secret::SecretString;
