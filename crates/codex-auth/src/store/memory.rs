//! The in-memory store: one [`AuthFile`] behind a mutex, shared by clones (ephemeral logins,
//! tests).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use super::AuthFile;

/// The credentials of an in-memory [`AuthStore`](super::AuthStore). Clones share them.
#[derive(Clone, Debug)]
pub(super) struct MemoryStore(Arc<Mutex<Option<AuthFile>>>);

impl MemoryStore {
    /// A store holding `auth`.
    pub(super) fn new(auth: Option<AuthFile>) -> Self {
        Self(Arc::new(Mutex::new(auth)))
    }

    /// A copy of the stored credentials.
    pub(super) fn load(&self) -> Option<AuthFile> {
        self.lock().clone()
    }

    /// Replaces the stored credentials with a copy of `auth`.
    pub(super) fn replace(&self, auth: &AuthFile) {
        *self.lock() = Some(auth.clone());
    }

    /// Removes and returns the stored credentials.
    pub(super) fn take(&self) -> Option<AuthFile> {
        self.lock().take()
    }

    fn lock(&self) -> MutexGuard<'_, Option<AuthFile>> {
        // A poisoned lock only means another thread panicked while holding a plain value.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
