//! Builds the auth manager and the HTTP client from the global options (or the mock).

use std::path::PathBuf;
use std::sync::Arc;

use codex_auth::AuthManager;
use codex_auth::AuthStore;
use codex_auth::OAuthConfig;
use codex_client::Client;

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::mock::MockEnv;

/// Everything a command needs to talk to the backend.
#[derive(Debug)]
pub struct Session {
    /// Login state and token refresh.
    pub auth: AuthManager,
    /// The backend client (uses `auth` as its token provider).
    pub client: Client,
    /// `CODEX_HOME` in use.
    pub codex_home: PathBuf,
    /// The embedded mock, with `--mock` (kept alive for the whole run).
    pub mock: Option<MockEnv>,
}

impl Session {
    /// Builds the session. With `--mock`, starts the mock first (`logged_in`: write a fake
    /// login into the throwaway home).
    pub async fn open(g: &GlobalArgs, logged_in: bool) -> Result<Self, CliError> {
        let mock = if g.mock {
            Some(MockEnv::start(logged_in).await?)
        } else {
            None
        };
        let codex_home = match (&mock, &g.codex_home) {
            (Some(m), _) => m.home.path().to_path_buf(),
            (None, Some(h)) => h.clone(),
            (None, None) => codex_auth::codex_home()?,
        };
        let mut oauth = OAuthConfig::builder();
        if let Some(m) = &mock {
            oauth = oauth.issuer(m.server.issuer_url());
        }
        let oauth = oauth.build()?;
        let store = AuthStore::file(codex_home.join(codex_auth::AUTH_FILE_NAME));
        let auth = AuthManager::new(store, oauth)?;

        let mut b = Client::builder().token_provider(Arc::new(auth.clone()));
        match &mock {
            Some(m) => {
                b = b
                    .base_url(m.server.backend_base_url())
                    .usage_url(m.server.usage_url())
                    .api_base_url(m.server.api_base_url());
            }
            None => {
                if let Some(u) = &g.base_url {
                    b = b.base_url(u.clone());
                }
                if let Some(u) = &g.api_base_url {
                    b = b.api_base_url(u.clone());
                }
            }
        }
        if let Some(t) = g.idle_timeout {
            b = b.idle_timeout(t);
        }
        let client = b.build().map_err(|e| {
            let e = CliError::from(e);
            // A bad --base-url / --api-base-url is the user's input.
            if e.kind == "config" {
                CliError::usage(e.message)
            } else {
                e
            }
        })?;
        Ok(Self {
            auth,
            client,
            codex_home,
            mock,
        })
    }
}
