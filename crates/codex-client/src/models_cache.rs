//! The `/models` catalog cache (issue 14, protocol §7.2): one entry per ChatGPT account, base
//! URL and `client_version`, holding the catalog, its `ETag` and when it was fetched.
//!
//! - Within the TTL (default [`DEFAULT_MODELS_CACHE_TTL`], 5 minutes, as the official client)
//!   [`crate::Models::list`] answers from the cache without a request.
//! - After it, the request carries `If-None-Match: <etag>`; a `304 Not Modified` keeps the
//!   cached catalog and starts a new TTL, a `200` replaces it.
//! - Any `/responses` answer (SSE response head or WebSocket upgrade) whose `x-models-etag`
//!   differs from the cached `ETag` marks the entry stale: the next `list` asks the server.
//! - [`ModelsCache::File`] also keeps the entries in a file of this SDK's own (the facade uses
//!   `$CODEX_HOME/`[`MODELS_CACHE_FILE_NAME`], never the official client's
//!   `models_cache.json`), so the next process starts warm. The file is written to a
//!   temporary file (mode 0600) renamed into place; a file that cannot be read, is corrupt or
//!   is not this SDK's is ignored with a `tracing` warning, and a failed write only warns:
//!   the cache never fails a call and never touches the login.
//!
//! Requests without a ChatGPT account id (no credentials, an API key) are never cached.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_types::ModelsResponse;
use http::HeaderMap;
use serde::Deserialize;
use serde::Serialize;

/// How long a fetched catalog is used without asking the server again (5 minutes, the
/// official client's TTL).
pub const DEFAULT_MODELS_CACHE_TTL: Duration = Duration::from_secs(300);

/// The cache file the `codex-backend` facade keeps in `CODEX_HOME` (this SDK's own file; the
/// official client's `models_cache.json` is never read or written).
pub const MODELS_CACHE_FILE_NAME: &str = "codex-backend-models-cache.json";

/// The marker and version of the file format; a file without it is not this SDK's.
const FORMAT: &str = "codex-backend/models-cache/1";
/// Entries kept in the file (the most recently fetched win).
const MAX_FILE_ENTRIES: usize = 16;
/// Largest cache file read (a catalog is a few MiB).
const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Where [`crate::Models::list`] keeps the catalog (see [`crate::ClientBuilder::models_cache`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelsCache {
    /// No cache: every `list` is a plain `GET /models`.
    Disabled,
    /// In memory, for the life of the client (the default of [`crate::Client`]).
    #[default]
    InMemory,
    /// In memory and in this file, so later processes reuse the catalog (the default of the
    /// `codex-backend` facade: `$CODEX_HOME/`[`MODELS_CACHE_FILE_NAME`]).
    File(PathBuf),
}

/// Which catalog an entry holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    base_url: String,
    account_id: String,
    client_version: String,
}

/// One cached catalog.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    base_url: String,
    account_id: String,
    client_version: String,
    etag: Option<String>,
    /// When the catalog was fetched or last confirmed by a 304 (Unix milliseconds).
    fetched_at_ms: u64,
    models: ModelsResponse,
}

impl Entry {
    fn key(&self) -> Key {
        Key {
            base_url: self.base_url.clone(),
            account_id: self.account_id.clone(),
            client_version: self.client_version.clone(),
        }
    }
}

/// The file: this SDK's marker and the entries.
#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    format: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<Key, Entry>,
    /// The latest `x-models-etag` a response named for each key.
    announced: HashMap<Key, String>,
    /// Keys already looked up in the file (it is read once per key).
    loaded: std::collections::HashSet<Key>,
}

/// The cache of one client.
#[derive(Debug)]
pub(crate) struct Cache {
    mode: ModelsCache,
    ttl: Duration,
    base_url: String,
    client_version: String,
    state: Mutex<State>,
    /// Serializes this client's file writes (each one a read-modify-replace).
    file_lock: Arc<tokio::sync::Mutex<()>>,
}

/// What `list` should do for an account.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Not cached (no account id, or the cache is disabled): a plain request.
    Uncached,
    /// A fresh entry: no request.
    Fresh(ModelsResponse, Option<String>),
    /// Ask the server, conditionally when an `ETag` is known.
    Revalidate(Option<String>),
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Cache {
    pub(crate) fn new(
        mode: ModelsCache,
        ttl: Duration,
        base_url: &str,
        client_version: &str,
    ) -> Self {
        Self {
            mode,
            ttl,
            base_url: base_url.to_owned(),
            client_version: client_version.to_owned(),
            state: Mutex::new(State::default()),
            file_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn key(&self, account_id: Option<&str>) -> Option<Key> {
        if self.mode == ModelsCache::Disabled {
            return None;
        }
        Some(Key {
            base_url: self.base_url.clone(),
            account_id: account_id.filter(|a| !a.is_empty())?.to_owned(),
            client_version: self.client_version.clone(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `list` does for `account_id`; `force` skips the TTL (still conditional).
    pub(crate) async fn lookup(&self, account_id: Option<&str>, force: bool) -> Lookup {
        let Some(key) = self.key(account_id) else {
            return Lookup::Uncached;
        };
        self.load_from_file(&key).await;
        let st = self.lock();
        let Some(entry) = st.entries.get(&key) else {
            return Lookup::Revalidate(None);
        };
        let age = now_ms().checked_sub(entry.fetched_at_ms);
        let fresh = age.is_some_and(|a| u128::from(a) < self.ttl.as_millis());
        let announced_other = st
            .announced
            .get(&key)
            .is_some_and(|e| Some(e) != entry.etag.as_ref());
        if fresh && !force && !announced_other {
            return Lookup::Fresh(entry.models.clone(), entry.etag.clone());
        }
        Lookup::Revalidate(entry.etag.clone())
    }

    /// Reads the file's entry for `key` into memory (once per key; [`ModelsCache::File`]).
    async fn load_from_file(&self, key: &Key) {
        let ModelsCache::File(path) = &self.mode else {
            return;
        };
        {
            let mut st = self.lock();
            if st.entries.contains_key(key) || !st.loaded.insert(key.clone()) {
                return;
            }
        }
        let path = path.clone();
        let found = tokio::task::spawn_blocking(move || read_file(&path))
            .await
            .unwrap_or_default();
        if let Some(e) = found.into_iter().find(|e| e.key() == *key) {
            self.lock().entries.entry(key.clone()).or_insert(e);
        }
    }

    /// A `200` answer: the new catalog and its `ETag`.
    pub(crate) async fn store(
        &self,
        account_id: Option<&str>,
        models: &ModelsResponse,
        etag: Option<String>,
    ) {
        let Some(key) = self.key(account_id) else {
            return;
        };
        let entry = Entry {
            base_url: key.base_url.clone(),
            account_id: key.account_id.clone(),
            client_version: key.client_version.clone(),
            etag,
            fetched_at_ms: now_ms(),
            models: models.clone(),
        };
        {
            let mut st = self.lock();
            st.announced.remove(&key);
            st.entries.insert(key, entry.clone());
        }
        self.persist(entry).await;
    }

    /// A `304` answer: the cached catalog stands and its TTL starts again. `None` when there
    /// is no entry any more (then the caller asks again without `If-None-Match`).
    pub(crate) async fn not_modified(
        &self,
        account_id: Option<&str>,
        etag: Option<String>,
    ) -> Option<(ModelsResponse, Option<String>)> {
        let key = self.key(account_id)?;
        let entry = {
            let mut st = self.lock();
            st.announced.remove(&key);
            let e = st.entries.get_mut(&key)?;
            e.fetched_at_ms = now_ms();
            if etag.is_some() {
                e.etag = etag;
            }
            e.clone()
        };
        let out = (entry.models.clone(), entry.etag.clone());
        self.persist(entry).await;
        Some(out)
    }

    /// A `/responses` answer's headers: an `x-models-etag` other than the cached `ETag`
    /// makes the next `list` ask the server.
    pub(crate) fn observe(&self, account_id: Option<&str>, headers: &HeaderMap) {
        let Some(etag) = headers
            .get("x-models-etag")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
        else {
            return;
        };
        let Some(key) = self.key(account_id) else {
            return;
        };
        let mut st = self.lock();
        let same = st
            .entries
            .get(&key)
            .is_some_and(|e| e.etag.as_deref() == Some(etag));
        if same {
            st.announced.remove(&key);
        } else {
            tracing::debug!(
                "x-models-etag differs from the cached catalog; refetching on next list"
            );
            st.announced.insert(key, etag.to_owned());
        }
    }

    /// Writes `entry` into the file ([`ModelsCache::File`]); failures only warn.
    async fn persist(&self, entry: Entry) {
        let ModelsCache::File(path) = &self.mode else {
            return;
        };
        let _guard = self.file_lock.lock().await;
        let path = path.clone();
        let written = tokio::task::spawn_blocking(move || write_entry(&path, entry)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot write the models cache file; kept in memory");
            }
            Err(e) => {
                tracing::warn!(error = %e, "the models cache write task failed");
            }
        }
    }
}

/// The entries of the cache file; an unreadable, corrupt or foreign file gives none (warned).
fn read_file(path: &Path) -> Vec<Entry> {
    match read_file_inner(path) {
        Ok(entries) => entries,
        Err(why) => {
            tracing::warn!(path = %path.display(), "ignoring the models cache file: {why}");
            Vec::new()
        }
    }
}

fn read_file_inner(path: &Path) -> Result<Vec<Entry>, String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot open it ({e})")),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it ({e})"))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err("it is larger than 64 MiB".to_owned());
    }
    let file: CacheFile =
        serde_json::from_slice(&bytes).map_err(|e| format!("it is not a cache file ({e})"))?;
    if file.format != FORMAT {
        return Err(format!("unknown format {:?}", file.format));
    }
    Ok(file.entries)
}

/// Replaces `entry`'s key in the file (keeping the other entries, the newest
/// [`MAX_FILE_ENTRIES`]), atomically: a temporary file (0600) renamed over the old one.
fn write_entry(path: &Path, entry: Entry) -> std::io::Result<()> {
    let key = entry.key();
    let mut entries: Vec<Entry> = read_file(path)
        .into_iter()
        .filter(|e| e.key() != key)
        .collect();
    entries.push(entry);
    entries.sort_by_key(|e| std::cmp::Reverse(e.fetched_at_ms));
    entries.truncate(MAX_FILE_ENTRIES);
    let bytes = serde_json::to_vec(&CacheFile {
        format: FORMAT.to_owned(),
        entries,
    })
    .map_err(std::io::Error::other)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| MODELS_CACHE_FILE_NAME.to_owned());
    let tmp = dir.join(format!(
        ".{name}.tmp.{}.{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options.open(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "codex-models-cache-{tag}-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entry(account: &str, at: u64) -> Entry {
        Entry {
            base_url: "https://x/backend-api/codex".into(),
            account_id: account.into(),
            client_version: "0.171.0".into(),
            etag: Some(format!("\"{account}\"")),
            fetched_at_ms: at,
            models: ModelsResponse::default(),
        }
    }

    #[test]
    fn file_keeps_other_accounts_and_the_newest_entries() {
        let dir = temp("keep");
        let path = dir.join(MODELS_CACHE_FILE_NAME);
        for i in 0..20u64 {
            write_entry(&path, entry(&format!("acct-{i}"), 1000 + i)).unwrap();
        }
        write_entry(&path, entry("acct-19", 5000)).unwrap();
        let entries = read_file(&path);
        assert_eq!(entries.len(), MAX_FILE_ENTRIES);
        assert_eq!(entries[0].account_id, "acct-19");
        assert_eq!(entries[0].fetched_at_ms, 5000);
        assert!(entries.iter().all(|e| e.account_id != "acct-0"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn corrupt_foreign_or_missing_files_give_no_entries() {
        let dir = temp("bad");
        let path = dir.join(MODELS_CACHE_FILE_NAME);
        assert!(read_file(&path).is_empty());
        for bad in [
            &b"{not json"[..],
            br#"{"fetched_at":"2026-01-01T00:00:00Z","etag":null,"client_version":"0.171.0","models":[]}"#,
            br#"{"format":"someone-else/1","entries":[]}"#,
            b"\xff\xfe",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(read_file(&path).is_empty());
            // A write over a bad file replaces it with a good one.
            write_entry(&path, entry("a", 1)).unwrap();
            assert_eq!(read_file(&path).len(), 1);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
