//! Builds the facade client (and its auth manager) from the global options, or the mock.

use codex_backend::AuthManager;
use codex_backend::CodexClient;

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::mock::MockEnv;

/// Largest SSE event the CLI reads: 8 MiB (a whole answer of about two million tokens, far
/// beyond any model's output limit). It keeps the CLI's memory flat on any answer
/// (the answer's text is printed from the deltas; the done events that repeat a longer text
/// are skipped with a note, or a `decode_error` line with `--json`).
pub const MAX_EVENT_SIZE: usize = 8 * 1024 * 1024;

/// Everything a command needs to talk to the backend.
#[derive(Debug)]
pub struct Session {
    /// The facade client (interactive login off: commands never open a browser by
    /// themselves; `login` does that explicitly).
    pub client: CodexClient,
    /// Login state, login flows and logout.
    pub auth: AuthManager,
    /// The embedded mock, with `--mock` (kept alive for the whole run).
    pub mock: Option<MockEnv>,
}

impl Session {
    /// Builds the session. With `--mock`, starts the mock first (`logged_in`: write a fake
    /// login into the throwaway home) and points every URL and the issuer at it.
    pub async fn open(g: &GlobalArgs, logged_in: bool) -> Result<Self, CliError> {
        let mock = if g.mock {
            Some(MockEnv::start(logged_in).await?)
        } else {
            None
        };
        let mut b = CodexClient::builder()
            .interactive_login(false)
            .max_event_size(MAX_EVENT_SIZE)
            .transport(g.transport.into());
        match &mock {
            Some(m) => {
                b = b
                    .base_url(m.server.backend_base_url())
                    .usage_url(m.server.usage_url())
                    .api_base_url(m.server.api_base_url())
                    .codex_home(m.home.path())
                    .issuer(m.server.issuer_url());
            }
            None => {
                if let Some(u) = &g.base_url {
                    b = b.base_url(u.clone());
                }
                if let Some(u) = &g.api_base_url {
                    b = b.api_base_url(u.clone());
                }
                if let Some(h) = &g.codex_home {
                    b = b.codex_home(h.clone());
                }
            }
        }
        if g.no_request_compression {
            b = b.request_compression(codex_backend::RequestCompression::Disabled);
        }
        if let Some(t) = g.idle_timeout {
            b = b.idle_timeout(t);
        }
        if let Some(f) = &g.ca_cert {
            b = b.ca_certificate(f);
        }
        let client = b.build().map_err(|e| {
            let e = CliError::from(e);
            // A bad --base-url / --api-base-url / --codex-home / --ca-cert (or CA variable) is
            // the user's input.
            if e.kind == "config" {
                CliError::usage(e.message)
            } else {
                e
            }
        })?;
        let auth = client
            .auth_manager()
            .cloned()
            .ok_or_else(|| CliError::new("config", "the client has no auth manager"))?;
        Ok(Self { client, auth, mock })
    }

    /// Loads (and if needed refreshes) the stored login; exit 3 when there is none.
    pub async fn authenticate(&self) -> Result<(), CliError> {
        self.client.authenticate().await?;
        Ok(())
    }
}
