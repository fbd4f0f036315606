//! One-call offline setup (feature `mock`): a client builder pointed at every endpoint of a
//! running [`codex_mock::MockServer`], with a throwaway home holding a fake login.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_mock::MockServer;

use crate::CodexClient;
use crate::CodexClientBuilder;
use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;

impl CodexClient {
    /// A builder pointed at every endpoint of `server` (backend, usage, public API, issuer)
    /// with a throwaway `CODEX_HOME` holding a login the mock's issuer minted, and
    /// interactive login off; nothing reaches the real backend, issuer or login. The home is
    /// deleted when the built client (and its last clone) is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use codex_backend::CodexClient;
    ///
    /// let server = codex_mock::MockServer::start().await?;
    /// let client = CodexClient::mock_builder(&server)?.build()?;
    /// client.authenticate().await?;
    /// println!("{}", client.respond_text("Say hi").await?);
    /// # Ok(()) }
    /// ```
    pub fn mock_builder(server: &MockServer) -> Result<CodexClientBuilder> {
        let home = MockHome::new().map_err(|e| {
            Error::new(ErrorKind::Config, "cannot create a throwaway codex home").with_source(e)
        })?;
        server
            .issuer()
            .issue_tokens()
            .write_auth_json(home.path())
            .map_err(|e| {
                Error::new(ErrorKind::Config, "cannot write the fake login").with_source(e)
            })?;
        Ok(CodexClient::builder()
            .base_url(server.backend_base_url())
            .usage_url(server.usage_url())
            .api_base_url(server.api_base_url())
            .issuer(server.issuer_url())
            .codex_home(home.path())
            .interactive_login(false)
            .keep_alive(Arc::new(home)))
    }
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct MockHome {
    path: PathBuf,
}

impl MockHome {
    /// Creates a fresh, private directory.
    pub fn new() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "codex-backend-mock-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            let mut b = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            match b.create(&path) {
                Ok(()) => {
                    sweep_stale_homes(&base, &path);
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "cannot create a temporary CODEX_HOME",
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Removes the homes earlier runs (the CLI's `--mock`, [`CodexClient::mock_builder`]) left behind when they were killed in a way no
/// handler sees (SIGKILL, a crash): directories named `codex-backend-mock-<pid>-...` in `base`
/// that belong to the same user as `ours` and whose process no longer exists (Linux:
/// `/proc/<pid>`). Best effort; anything else is left alone.
fn sweep_stale_homes(base: &Path, ours: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(me) = std::fs::metadata(ours).map(|m| m.uid()) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(base) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix("codex-backend-mock-"))
                .and_then(|rest| rest.split('-').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            let path = entry.path();
            let mine = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == me);
            if mine && path != ours && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (base, ours);
}

impl Drop for MockHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
