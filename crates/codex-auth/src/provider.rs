//! The small trait through which the transport gets credentials.

use std::future::Future;
use std::pin::Pin;

use crate::Error;
use crate::SecretString;

/// A boxed, `Send` future, used so that [`TokenProvider`] stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a request needs to authenticate: a bearer access token and the ChatGPT account id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The OAuth access token, sent as `Authorization: Bearer <token>`.
    pub access_token: SecretString,
    /// The ChatGPT account (workspace) id, sent as `ChatGPT-Account-ID` when present.
    pub account_id: Option<String>,
    /// True for FedRAMP accounts: the transport then sends `X-OpenAI-Fedramp: true`.
    pub fedramp: bool,
}

impl Credentials {
    /// Credentials from an access token and an optional account id.
    pub fn new(access_token: SecretString, account_id: Option<String>) -> Self {
        Self {
            access_token,
            account_id,
            fedramp: false,
        }
    }

    /// The same credentials with the FedRAMP flag set as given.
    #[must_use]
    pub fn with_fedramp(mut self, fedramp: bool) -> Self {
        self.fedramp = fedramp;
        self
    }
}

/// Supplies credentials to the transport. Implemented by the `auth.json` file store, the
/// in-memory store and anything an application brings (a vault, a fixed token for tests).
///
/// Implementations must make concurrent calls safe: many requests may ask at once, and a refresh
/// must happen at most once for one rejected token.
pub trait TokenProvider: Send + Sync + std::fmt::Debug {
    /// The credentials to use now. Refreshes first when the access token is known to be stale
    /// (it expires within five minutes, or has no readable expiry and the last refresh is old).
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>>;

    /// Called after the server answered 401 to a request made with `rejected`. Returns fresh
    /// credentials: adopts ones another task or process already refreshed, otherwise refreshes.
    /// An error whose kind is [`crate::ErrorKind::LoginRequired`] means the user must log in again.
    fn refresh_after_unauthorized<'a>(
        &'a self,
        rejected: &'a Credentials,
    ) -> BoxFuture<'a, Result<Credentials, Error>>;
}

/// A [`TokenProvider`] that always returns the same credentials and cannot refresh (after a
/// 401 it answers [`crate::ErrorKind::LoginRequired`]). For tests and for applications that
/// manage tokens themselves.
#[derive(Clone, Debug)]
pub struct StaticTokenProvider {
    credentials: Credentials,
}

impl StaticTokenProvider {
    /// A provider of fixed credentials.
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }
}

impl TokenProvider for StaticTokenProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        let c = self.credentials.clone();
        Box::pin(async move { Ok(c) })
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        _rejected: &'a Credentials,
    ) -> BoxFuture<'a, Result<Credentials, Error>> {
        Box::pin(async {
            Err(Error::new(
                crate::ErrorKind::LoginRequired,
                "the fixed access token was rejected and cannot be refreshed",
            ))
        })
    }
}
