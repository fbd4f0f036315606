//! A private temporary folder.

use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

/// A fresh folder under the system's temporary directory, removed with its contents on drop.
/// Its name holds the process id, a counter and the clock, so parallel tests never share one.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates the folder.
    pub fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "codex-test-{}-{}-{nanos:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The folder as text (for command-line arguments).
    pub fn str(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// `auth.json` inside the folder (not created).
    pub fn auth_json(&self) -> PathBuf {
        self.0.join("auth.json")
    }

    /// The JSON in `auth.json` inside the folder, which must exist and parse.
    pub fn read_auth_json(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.auth_json()).unwrap()).unwrap()
    }

    /// Writes `name` with `contents`; returns its path as text.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p.to_str().unwrap().to_owned()
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
