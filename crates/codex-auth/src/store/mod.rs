//! `auth.json` (section 10) and the stores that hold it: a file shared with the official CLI, or
//! memory.
//!
//! - `format`: the `auth.json` schema ([`AuthFile`] and its parts), no I/O.
//! - `file`: reading the file, the cross-process refresh lock, permissions, links, mounts.
//! - `atomic`: saving without ever tearing the file, and rescuing a login that cannot be
//!   saved.
//! - `memory`: the in-memory store.
//!
//! This module is the [`AuthStore`] handle that dispatches to one of them.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroize;

use crate::Error;
use crate::error::Result;

mod atomic;
mod file;
mod format;
mod memory;

pub use format::AuthFile;
pub use format::AuthFileError;
pub use format::AuthMode;
pub use format::TokenData;

use atomic::PreparedSave;
use atomic::prepare_save;
use atomic::write_rescue;
use file::FileLock;
use file::read_file;
use memory::MemoryStore;

/// The file name inside `CODEX_HOME`.
pub const AUTH_FILE_NAME: &str = "auth.json";
/// Environment variable naming the Codex home folder (default `~/.codex`).
pub const ENV_CODEX_HOME: &str = "CODEX_HOME";

/// Where `auth.json` lives: `$CODEX_HOME` (which must be an existing folder; canonicalized)
/// or `~/.codex`.
pub fn codex_home() -> Result<PathBuf> {
    if let Some(v) = std::env::var_os(ENV_CODEX_HOME).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(v);
        let meta = std::fs::metadata(&p)
            .map_err(|e| Error::storage(&p, "CODEX_HOME does not exist:").with_source(e))?;
        if !meta.is_dir() {
            return Err(Error::storage(&p, "CODEX_HOME is not a directory:"));
        }
        return std::fs::canonicalize(&p)
            .map_err(|e| Error::storage(&p, "cannot resolve CODEX_HOME").with_source(e));
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::config("cannot find the home folder (set HOME or CODEX_HOME)"))?;
    Ok(PathBuf::from(home).join(".codex"))
}

/// Where credentials are kept: the `auth.json` file, or memory. Cheap to clone; clones share
/// the same storage.
#[derive(Clone, Debug)]
pub struct AuthStore {
    kind: StoreKind,
}

#[derive(Clone, Debug)]
enum StoreKind {
    File(Arc<PathBuf>),
    Memory(MemoryStore),
}

impl AuthStore {
    /// The `auth.json` file at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            kind: StoreKind::File(Arc::new(path.into())),
        }
    }

    /// `$CODEX_HOME/auth.json`, else `~/.codex/auth.json`.
    pub fn from_env() -> Result<Self> {
        Ok(Self::file(codex_home()?.join(AUTH_FILE_NAME)))
    }

    /// An empty in-memory store (ephemeral logins, tests).
    pub fn memory() -> Self {
        Self {
            kind: StoreKind::Memory(MemoryStore::new(None)),
        }
    }

    /// An in-memory store holding `auth`.
    pub fn memory_with(auth: AuthFile) -> Self {
        Self {
            kind: StoreKind::Memory(MemoryStore::new(Some(auth))),
        }
    }

    /// The file path, for the file store.
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            StoreKind::File(p) => Some(p.as_path()),
            StoreKind::Memory(_) => None,
        }
    }

    /// Reads the stored credentials; `None` when there are none (no file).
    /// A corrupt or unreadable file is an error naming the path and is left untouched.
    pub async fn load(&self) -> Result<Option<AuthFile>> {
        match &self.kind {
            StoreKind::File(p) => {
                let p = Arc::clone(p);
                blocking(move || read_file(&p)).await
            }
            StoreKind::Memory(m) => Ok(m.load()),
        }
    }

    /// Replaces the stored credentials. The file is written atomically: a temporary file
    /// created with mode 0600 in the folder of the file (of its final target when the path is
    /// a symbolic link, which stays a link), fsync, rename. A file that cannot be replaced by
    /// a rename (a bind mount: `EBUSY`/`EXDEV`) is rewritten in place in a way that never
    /// leaves a torn file (see `docs/auth.md`).
    pub async fn save(&self, auth: &AuthFile) -> Result<()> {
        let pending = self.prepare_save().await?;
        self.commit(pending, auth).await
    }

    /// Checks that a save can succeed and reserves what it needs (the temporary file and its
    /// space), before a refresh token is spent.
    pub(crate) async fn prepare_save(&self) -> Result<PendingSave> {
        match &self.kind {
            StoreKind::File(p) => {
                let p = Arc::clone(p);
                blocking(move || prepare_save(&p))
                    .await
                    .map(PendingSave::File)
            }
            StoreKind::Memory(_) => Ok(PendingSave::Memory),
        }
    }

    /// Completes a prepared save with `auth`.
    pub(crate) async fn commit(&self, pending: PendingSave, auth: &AuthFile) -> Result<()> {
        match (pending, &self.kind) {
            (PendingSave::File(prepared), _) => {
                let mut bytes = auth.to_json();
                blocking(move || {
                    let r = prepared.commit(&bytes);
                    bytes.zeroize();
                    r
                })
                .await
            }
            (PendingSave::Memory, StoreKind::Memory(m)) => {
                m.replace(auth);
                Ok(())
            }
            (PendingSave::Memory, StoreKind::File(p)) => Err(Error::storage(
                p,
                "a memory save cannot complete a file store at",
            )),
        }
    }

    /// Writes `auth` to a new 0600 file beside the store's file (else in the system
    /// temporary folder) when it could not be saved; `None` for the memory store or when
    /// even that failed.
    pub(crate) async fn rescue(&self, auth: &AuthFile) -> Option<PathBuf> {
        let StoreKind::File(p) = &self.kind else {
            return None;
        };
        let p = Arc::clone(p);
        let mut bytes = auth.to_json();
        blocking(move || {
            let r = write_rescue(&p, &bytes);
            bytes.zeroize();
            Ok(r)
        })
        .await
        .ok()
        .flatten()
    }

    /// Removes the stored credentials. `true` when something was removed.
    pub async fn delete(&self) -> Result<bool> {
        match &self.kind {
            StoreKind::File(p) => {
                let p = Arc::clone(p);
                blocking(move || match std::fs::remove_file(p.as_path()) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(Error::storage(&p, "cannot remove").with_source(e)),
                })
                .await
            }
            StoreKind::Memory(m) => Ok(m.take().is_some()),
        }
    }

    /// Takes the cross-process refresh lock (`auth.json.lock` next to the file), waiting up to
    /// `wait`. `None` for the memory store.
    pub(crate) async fn lock(&self, wait: Duration) -> Result<Option<FileLock>> {
        let StoreKind::File(p) = &self.kind else {
            return Ok(None);
        };
        FileLock::acquire(p, wait).await.map(Some)
    }
}

/// A save checked and reserved before a refresh (see [`AuthStore::prepare_save`]).
#[derive(Debug)]
pub(crate) enum PendingSave {
    File(PreparedSave),
    Memory,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::new(crate::ErrorKind::Other, "a file task failed").with_source(e))?
}
