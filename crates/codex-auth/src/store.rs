//! `auth.json` (section 10) and the stores that hold it: a file shared with the official CLI, or
//! memory.

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;
use zeroize::Zeroize;

use crate::Error;
use crate::SecretString;
use crate::error::Result;
use crate::time::format_rfc3339;
use crate::time::parse_rfc3339;

/// The file name inside `CODEX_HOME`.
pub const AUTH_FILE_NAME: &str = "auth.json";
/// Environment variable naming the Codex home folder (default `~/.codex`).
pub const ENV_CODEX_HOME: &str = "CODEX_HOME";

/// The `auth_mode` value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// `apikey`
    ApiKey,
    /// `chatgpt`
    ChatGpt,
    /// Any other value (`chatgptAuthTokens`, `agentIdentity`, `personalAccessToken`, ...), kept.
    Other(String),
}

impl AuthMode {
    /// Parses the raw value.
    pub fn from_raw(raw: &str) -> Self {
        match raw {
            "apikey" => Self::ApiKey,
            "chatgpt" => Self::ChatGpt,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The raw value as written in `auth.json`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ApiKey => "apikey",
            Self::ChatGpt => "chatgpt",
            Self::Other(s) => s,
        }
    }
}

/// The `tokens` object of `auth.json`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenData {
    /// The raw id token (a JWT).
    pub id_token: SecretString,
    /// The access token (a JWT).
    pub access_token: SecretString,
    /// The refresh token (opaque, single-use: it rotates on every refresh).
    pub refresh_token: SecretString,
    /// The ChatGPT account id, when known.
    pub account_id: Option<String>,
    extra: Map<String, Value>,
}

impl TokenData {
    /// A token set.
    pub fn new(
        id_token: SecretString,
        access_token: SecretString,
        refresh_token: SecretString,
        account_id: Option<String>,
    ) -> Self {
        Self {
            id_token,
            access_token,
            refresh_token,
            account_id,
            extra: Map::new(),
        }
    }
}

impl std::fmt::Debug for TokenData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenData")
            .field("id_token", &self.id_token)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("account_id", &self.account_id)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The contents of `auth.json`, exactly the official CLI's schema. Keys this crate does not
/// know are kept and written back.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AuthFile {
    /// `auth_mode` (omitted when `None`).
    pub auth_mode: Option<AuthMode>,
    /// `OPENAI_API_KEY` (always written, `null` when `None`). On read, the lower-case
    /// `openai_api_key` older SDKs wrote is accepted too.
    pub openai_api_key: Option<SecretString>,
    /// `tokens` (omitted when `None`).
    pub tokens: Option<TokenData>,
    /// `last_refresh` (RFC 3339).
    pub last_refresh: Option<SystemTime>,
    extra: Map<String, Value>,
}

impl std::fmt::Debug for AuthFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFile")
            .field("auth_mode", &self.auth_mode)
            .field("openai_api_key", &self.openai_api_key)
            .field("tokens", &self.tokens)
            .field("last_refresh", &self.last_refresh.map(format_rfc3339))
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct RawTokens {
    id_token: String,
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct RawAuthFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_mode: Option<String>,
    #[serde(rename = "OPENAI_API_KEY", default)]
    openai_api_key: Option<String>,
    #[serde(rename = "openai_api_key", default, skip_serializing)]
    openai_api_key_lower: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens: Option<RawTokens>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_refresh: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Why `auth.json` text could not be decoded. Never contains file contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFileError {
    /// Not JSON, or a key has the wrong type. Line and column of the problem.
    #[error("invalid JSON ({category}) at line {line} column {column}")]
    Json {
        /// `syntax`, `data` (a wrong type) or `eof`.
        category: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// `last_refresh` is not an RFC 3339 timestamp.
    #[error("last_refresh is not an RFC 3339 timestamp")]
    BadLastRefresh,
}

impl AuthFile {
    /// An `auth.json` for a ChatGPT login (`auth_mode: "chatgpt"`) refreshed at `now`.
    pub fn chatgpt(tokens: TokenData, api_key: Option<SecretString>, now: SystemTime) -> Self {
        Self {
            auth_mode: Some(AuthMode::ChatGpt),
            openai_api_key: api_key,
            tokens: Some(tokens),
            last_refresh: Some(now),
            extra: Map::new(),
        }
    }

    /// The effective mode: `auth_mode`, else API key when `OPENAI_API_KEY` is set, else ChatGPT.
    pub fn effective_mode(&self) -> AuthMode {
        match &self.auth_mode {
            Some(m) => m.clone(),
            None if self.openai_api_key.is_some() => AuthMode::ApiKey,
            None => AuthMode::ChatGpt,
        }
    }

    /// Names of the top-level keys this crate does not know (kept on rewrite).
    pub fn unknown_keys(&self) -> impl Iterator<Item = &str> {
        self.extra.keys().map(String::as_str)
    }

    /// Decodes `auth.json` text.
    pub fn from_json(bytes: &[u8]) -> std::result::Result<Self, AuthFileError> {
        let raw: RawAuthFile = serde_json::from_slice(bytes).map_err(|e| AuthFileError::Json {
            category: match e.classify() {
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
                serde_json::error::Category::Io => "io",
            },
            line: e.line(),
            column: e.column(),
        })?;
        let last_refresh = match raw.last_refresh.as_deref() {
            None => None,
            Some(s) => Some(parse_rfc3339(s).ok_or(AuthFileError::BadLastRefresh)?),
        };
        Ok(Self {
            auth_mode: raw.auth_mode.as_deref().map(AuthMode::from_raw),
            openai_api_key: raw
                .openai_api_key
                .or(raw.openai_api_key_lower)
                .map(SecretString::from),
            tokens: raw.tokens.map(|t| TokenData {
                id_token: t.id_token.into(),
                access_token: t.access_token.into(),
                refresh_token: t.refresh_token.into(),
                account_id: t.account_id,
                extra: t.extra,
            }),
            last_refresh,
            extra: raw.extra,
        })
    }

    /// Encodes as pretty JSON (two-space indent, trailing newline), the key order of the
    /// official CLI followed by preserved unknown keys.
    pub fn to_json(&self) -> Vec<u8> {
        let raw = RawAuthFile {
            auth_mode: self.auth_mode.as_ref().map(|m| m.as_str().to_owned()),
            openai_api_key: self.openai_api_key.as_ref().map(|k| k.expose().to_owned()),
            openai_api_key_lower: None,
            tokens: self.tokens.as_ref().map(|t| RawTokens {
                id_token: t.id_token.expose().to_owned(),
                access_token: t.access_token.expose().to_owned(),
                refresh_token: t.refresh_token.expose().to_owned(),
                account_id: t.account_id.clone(),
                extra: t.extra.clone(),
            }),
            last_refresh: self.last_refresh.map(format_rfc3339),
            extra: self.extra.clone(),
        };
        let mut out = serde_json::to_vec_pretty(&raw).unwrap_or_default();
        zeroize_raw(raw);
        out.push(b'\n');
        out
    }
}

fn zeroize_raw(mut raw: RawAuthFile) {
    if let Some(k) = raw.openai_api_key.as_mut() {
        k.zeroize();
    }
    if let Some(t) = raw.tokens.as_mut() {
        t.id_token.zeroize();
        t.access_token.zeroize();
        t.refresh_token.zeroize();
    }
}

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
    Memory(Arc<std::sync::Mutex<Option<AuthFile>>>),
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
            kind: StoreKind::Memory(Arc::new(std::sync::Mutex::new(None))),
        }
    }

    /// An in-memory store holding `auth`.
    pub fn memory_with(auth: AuthFile) -> Self {
        Self {
            kind: StoreKind::Memory(Arc::new(std::sync::Mutex::new(Some(auth)))),
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
            StoreKind::Memory(m) => Ok(lock_memory(m).clone()),
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
                *lock_memory(m) = Some(auth.clone());
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
            StoreKind::Memory(m) => Ok(lock_memory(m).take().is_some()),
        }
    }

    /// Takes the cross-process refresh lock (`auth.json.lock` next to the file), waiting up to
    /// `wait`. `None` for the memory store.
    pub(crate) async fn lock(&self, wait: Duration) -> Result<Option<FileLock>> {
        let StoreKind::File(p) = &self.kind else {
            return Ok(None);
        };
        let lock_path = lock_path(p);
        let lp = lock_path.clone();
        let file = blocking(move || open_lock_file(&lp)).await?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(FileLock { file })),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(Error::storage(
                            &lock_path,
                            "timed out waiting for the refresh lock",
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::storage(&lock_path, "cannot lock").with_source(e));
                }
            }
        }
    }
}

/// A save checked and reserved before a refresh (see [`AuthStore::prepare_save`]).
#[derive(Debug)]
pub(crate) enum PendingSave {
    File(PreparedSave),
    Memory,
}

/// A held advisory lock; released on drop.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: std::fs::File,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn lock_path(p: &Path) -> PathBuf {
    let mut name = p
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| AUTH_FILE_NAME.into());
    name.push(".lock");
    p.with_file_name(name)
}

fn lock_memory(
    m: &std::sync::Mutex<Option<AuthFile>>,
) -> std::sync::MutexGuard<'_, Option<AuthFile>> {
    // A poisoned lock only means another thread panicked while holding a plain value.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::new(crate::ErrorKind::Other, "a file task failed").with_source(e))?
}

fn read_file(p: &Path) -> Result<Option<AuthFile>> {
    let mut bytes = match std::fs::read(p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::storage(p, "cannot read").with_source(e)),
    };
    let r = AuthFile::from_json(&bytes);
    bytes.zeroize();
    r.map(Some)
        .map_err(|e| Error::storage(p, "corrupt credentials file").with_source(e))
}

fn open_options_0600() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn open_lock_file(p: &Path) -> Result<std::fs::File> {
    if let Some(dir) = p.parent() {
        create_dir(dir)?;
    }
    open_options_0600()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(p)
        .map_err(|e| Error::storage(p, "cannot open the lock file").with_source(e))
}

fn create_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| Error::storage(dir, "cannot create the folder").with_source(e))
}

/// Room reserved for a save beyond the current file size (new tokens may be longer).
const RESERVE_EXTRA: u64 = 8 * 1024;
/// Symbolic links followed when resolving `auth.json` (as the kernel does).
const MAX_LINKS: usize = 40;

/// Test-only fault injection: `CODEX_AUTH_FAULT` holds comma-separated `kill:<step>` (abort
/// the process at that step), `fail:<step>` (an I/O error) and `busy:<step>` (`EBUSY`, as a
/// rename over a bind-mounted file gives). A no-op outside this crate's unit tests.
#[cfg(test)]
pub(crate) fn fault(step: &str) -> std::io::Result<()> {
    let spec = std::env::var("CODEX_AUTH_FAULT").unwrap_or_default();
    for f in spec.split(',') {
        match f.split_once(':') {
            Some(("kill", s)) if s == step => std::process::abort(),
            Some(("fail", s)) if s == step => {
                return Err(std::io::Error::other(format!("injected at {step}")));
            }
            Some(("busy", s)) if s == step => {
                return Err(std::io::Error::from(std::io::ErrorKind::ResourceBusy));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(test))]
#[inline(always)]
pub(crate) fn fault(_step: &str) -> std::io::Result<()> {
    Ok(())
}

/// The file a write to `p` must change: `p` itself, or the final target when `p` is a
/// symbolic link (a dotfile manager's link stays a link; its target gets the new content).
fn resolve_target(p: &Path) -> Result<PathBuf> {
    let mut cur = p.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&cur)
                    .map_err(|e| Error::storage(&cur, "cannot read the link").with_source(e))?;
                cur = match cur.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(cur),
        }
    }
    Err(Error::storage(p, "too many levels of symbolic links at"))
}

/// True when `p` is itself a mount point (a bind-mounted `auth.json`, the usual Docker setup):
/// a rename over it fails with `EBUSY`, so it must be written in place.
fn is_mount_point(p: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(canon) = std::fs::canonicalize(p) else {
            return false;
        };
        let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return false;
        };
        info.lines()
            .filter_map(|l| l.split(' ').nth(4))
            .any(|mp| Path::new(&unescape_mountinfo(mp)) == canon)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = p;
        false
    }
}

/// `/proc/self/mountinfo` writes space, tab, newline and backslash as `\ooo`.
#[cfg(target_os = "linux")]
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How a prepared save will reach the file.
#[derive(Debug)]
enum SaveMode {
    /// A temporary file next to the target (already holding reserved bytes), renamed over it.
    Rename { tmp: PathBuf, file: std::fs::File },
    /// The target is a mount point: rewritten in place (see [`write_in_place`]). It was
    /// `original` bytes long and has been grown with spaces to `reserved` bytes.
    InPlace { original: u64, reserved: u64 },
}

/// A save checked before the issuer is called: the folder is writable, the space is
/// reserved, and the way the file will be replaced is known. Dropping it removes the
/// temporary file.
#[derive(Debug)]
pub(crate) struct PreparedSave {
    /// The path the user configured (a link stays a link).
    path: PathBuf,
    /// The file that gets the content (`path`, or the final target of a link).
    target: PathBuf,
    mode: Option<SaveMode>,
}

impl Drop for PreparedSave {
    fn drop(&mut self) {
        match self.mode.take() {
            Some(SaveMode::Rename { tmp, .. }) => {
                let _ = std::fs::remove_file(tmp);
            }
            // Not used (the refresh failed): give back the reserved trailing spaces, if the
            // file is still exactly what the reservation left.
            Some(SaveMode::InPlace { original, reserved }) => {
                let _ = unreserve(&self.target, original, reserved);
            }
            None => {}
        }
    }
}

/// Cuts `p` back to `original` bytes when it is at most `reserved` bytes long and everything
/// past `original` is still the spaces [`prepare_save`] appended (any cut of trailing spaces
/// is valid JSON).
fn unreserve(p: &Path, original: u64, reserved: u64) -> std::io::Result<()> {
    use std::io::Read;
    use std::io::Seek;
    let file = std::fs::OpenOptions::new().read(true).write(true).open(p)?;
    let len = file.metadata()?.len();
    if len <= original || len > reserved {
        return Ok(());
    }
    let mut tail = Vec::new();
    let mut f = &file;
    f.seek(std::io::SeekFrom::Start(original))?;
    f.read_to_end(&mut tail)?;
    if tail.iter().all(|&c| c == b' ') {
        file.set_len(original)?;
        file.sync_all()?;
    }
    Ok(())
}

fn storage_io(p: &Path, what: &str, e: std::io::Error) -> Error {
    Error::storage(p, what).with_source(e)
}

/// Checks that `p` can be written and reserves the space, before any token is spent.
fn prepare_save(p: &Path) -> Result<PreparedSave> {
    let target = resolve_target(p)?;
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    create_dir(dir)?;
    let current = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    let reserve = current.saturating_add(RESERVE_EXTRA);
    if current > 0 && is_mount_point(&target) {
        // Reserve by growing the file with trailing spaces: its JSON stays valid.
        let grow = || -> std::io::Result<()> {
            let f = std::fs::OpenOptions::new().write(true).open(&target)?;
            pad_to(&mut &f, current, reserve)?;
            fault("reserved")
        };
        if let Err(e) = grow() {
            let _ = unreserve(&target, current, reserve);
            return Err(storage_io(
                &target,
                "cannot write (checked before refreshing)",
                e,
            ));
        }
        return Ok(PreparedSave {
            path: p.to_path_buf(),
            target,
            mode: Some(SaveMode::InPlace {
                original: current,
                reserved: reserve,
            }),
        });
    }
    let (tmp, file) = create_temp(dir, &target)?;
    let prepared = PreparedSave {
        path: p.to_path_buf(),
        target: target.clone(),
        mode: Some(SaveMode::Rename {
            tmp: tmp.clone(),
            file,
        }),
    };
    if let Some(SaveMode::Rename { file, .. }) = prepared.mode.as_ref() {
        let mut f = file;
        pad_to(&mut f, 0, reserve)
            .and_then(|()| fault("reserved"))
            .map_err(|e| storage_io(&tmp, "cannot write (checked before refreshing)", e))?;
    }
    Ok(prepared)
}

/// Appends spaces to `f` (currently `from` bytes long) until it is `to` bytes long, then
/// syncs, so the blocks are allocated now.
fn pad_to(f: &mut &std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
    use std::io::Seek;
    if to <= from {
        return Ok(());
    }
    f.seek(std::io::SeekFrom::Start(from))?;
    let spaces = vec![b' '; usize::try_from(to - from).unwrap_or(0)];
    f.write_all(&spaces)?;
    f.sync_all()
}

fn create_temp(dir: &Path, target: &Path) -> Result<(PathBuf, std::fs::File)> {
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| AUTH_FILE_NAME.to_owned());
    let mut last_err = None;
    for _ in 0..8 {
        let suffix: u64 = rand::random();
        let tmp = dir.join(format!(
            ".{file_name}.tmp.{}.{suffix:016x}",
            std::process::id()
        ));
        match open_options_0600().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => {
                return Err(storage_io(
                    &tmp,
                    "cannot create (checked before refreshing)",
                    e,
                ));
            }
        }
    }
    let mut err = Error::storage(target, "cannot create a temporary file next to");
    if let Some(e) = last_err {
        err = err.with_source(e);
    }
    Err(err)
}

impl PreparedSave {
    /// Writes `bytes`: into the temporary file then renamed over the target (a rename that
    /// fails with `EBUSY`/`EXDEV` falls back to the in-place write), or in place.
    fn commit(mut self, bytes: &[u8]) -> Result<()> {
        match self.mode.take() {
            Some(SaveMode::Rename { tmp, file }) => {
                let written = (|| -> std::io::Result<()> {
                    use std::io::Seek;
                    let mut f = &file;
                    f.seek(std::io::SeekFrom::Start(0))?;
                    f.write_all(bytes)?;
                    fault("temp-written")?;
                    file.set_len(bytes.len() as u64)?;
                    file.sync_all()?;
                    fault("temp-synced")
                })();
                drop(file);
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(storage_io(&tmp, "cannot write", e));
                }
                match fault("rename").and_then(|()| std::fs::rename(&tmp, &self.target)) {
                    Ok(()) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::ResourceBusy | std::io::ErrorKind::CrossesDevices
                        ) =>
                    {
                        let _ = std::fs::remove_file(&tmp);
                        tracing::info!(
                            "auth.json cannot be replaced by a rename; writing it in place"
                        );
                        return write_in_place(&self.target, bytes);
                    }
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        return Err(storage_io(&self.target, "cannot replace", e));
                    }
                }
                let _ = fault("renamed");
                // Make the rename durable; failure here does not undo the write.
                #[cfg(unix)]
                if let Some(dir) = self.target.parent()
                    && let Ok(d) = std::fs::File::open(dir)
                {
                    let _ = d.sync_all();
                }
                Ok(())
            }
            Some(SaveMode::InPlace { .. }) => write_in_place(&self.target, bytes),
            None => Err(Error::storage(&self.path, "the save was already used for")),
        }
    }
}

/// Rewrites `p` in place without ever leaving a torn file: the file first grows with
/// trailing spaces (the old JSON stays valid), then one write puts the new JSON followed by
/// spaces over the whole length, fsync, read back and compare, and only then are the trailing
/// spaces cut. Used when `p` cannot be replaced by a rename (a bind-mounted file).
fn write_in_place(p: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Read;
    use std::io::Seek;
    let step = || -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new().read(true).write(true).open(p)?;
        let old = file.metadata()?.len();
        let new = bytes.len() as u64;
        let mut f = &file;
        pad_to(&mut f, old, new)?;
        fault("in-place-grown")?;
        let len = old.max(new);
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(bytes.len()));
        buf.extend_from_slice(bytes);
        buf.resize(usize::try_from(len).unwrap_or(bytes.len()), b' ');
        f.seek(std::io::SeekFrom::Start(0))?;
        let r = fault("in-place-write")
            .and_then(|()| f.write_all(&buf))
            .and_then(|()| fault("in-place-written"));
        buf.zeroize();
        r?;
        file.sync_all()?;
        let mut back = Vec::new();
        f.seek(std::io::SeekFrom::Start(0))?;
        f.read_to_end(&mut back)?;
        let ok = back.len() as u64 == len
            && back.starts_with(bytes)
            && back[bytes.len()..].iter().all(|&c| c == b' ');
        back.zeroize();
        if !ok {
            return Err(std::io::Error::other(
                "the content read back differs from the content written",
            ));
        }
        fault("in-place-verified")?;
        // Only trailing spaces go: any state of this cut is valid JSON.
        file.set_len(new)?;
        file.sync_all()
    };
    step().map_err(|e| storage_io(p, "cannot write in place", e))
}

/// Writes `bytes` to a new 0600 file that does not exist yet, for a login that could not be
/// saved where it belongs: next to `p` first, else in the system temporary folder. Returns
/// where it went.
fn write_rescue(p: &Path, bytes: &[u8]) -> Option<PathBuf> {
    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!(
        "{}.unsaved-{stamp}-{}",
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| AUTH_FILE_NAME.to_owned()),
        std::process::id()
    );
    let mut places = Vec::new();
    if let Ok(t) = resolve_target(p)
        && let Some(dir) = t.parent()
    {
        places.push(dir.join(&name));
    }
    places.push(std::env::temp_dir().join(format!("codex-{name}")));
    for place in places {
        let Ok(mut f) = open_options_0600()
            .write(true)
            .create_new(true)
            .open(&place)
        else {
            continue;
        };
        match f.write_all(bytes).and_then(|()| f.sync_all()) {
            Ok(()) => return Some(place),
            Err(_) => {
                drop(f);
                let _ = std::fs::remove_file(&place);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: &str = r#"{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "h.eyJlbWFpbCI6ImFAYi5jIn0.s",
    "access_token": "h.eyJleHAiOjE3MDAwMDAwMDB9.s",
    "refresh_token": "rt_opaque",
    "account_id": "acc-1"
  },
  "last_refresh": "2026-01-02T03:04:05.123456Z"
}"#;

    #[test]
    fn reads_official_format_and_round_trips() {
        let a = AuthFile::from_json(OFFICIAL.as_bytes()).unwrap();
        assert_eq!(a.auth_mode, Some(AuthMode::ChatGpt));
        assert!(a.openai_api_key.is_none());
        let t = a.tokens.as_ref().unwrap();
        assert_eq!(t.refresh_token.expose(), "rt_opaque");
        assert_eq!(t.account_id.as_deref(), Some("acc-1"));
        let out = String::from_utf8(a.to_json()).unwrap();
        assert_eq!(out.trim_end(), OFFICIAL);
    }

    #[test]
    fn lower_case_key_and_unknown_keys() {
        let a = AuthFile::from_json(
            br#"{"openai_api_key":"sk-x","future":{"a":1},"tokens":null,"zeta":[1]}"#,
        )
        .unwrap();
        assert_eq!(a.openai_api_key.as_ref().unwrap().expose(), "sk-x");
        assert_eq!(a.effective_mode(), AuthMode::ApiKey);
        let v: Value = serde_json::from_slice(&a.to_json()).unwrap();
        assert_eq!(v["OPENAI_API_KEY"], "sk-x");
        assert!(v.get("openai_api_key").is_none());
        assert_eq!(v["future"]["a"], 1);
        assert_eq!(v["zeta"][0], 1);
        assert!(v.get("auth_mode").is_none());
        let keys: Vec<_> = a.unknown_keys().collect();
        assert_eq!(keys, ["future", "zeta"]);
    }

    #[cfg(unix)]
    #[test]
    fn temporary_files_are_created_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("codex-auth-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join("t");
        let _ = std::fs::remove_file(&tmp);
        let f = open_options_0600()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .unwrap();
        // Checked on the open handle, before anything is written.
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        drop(f);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            lock_path(Path::new("/x/auth.json")),
            Path::new("/x/auth.json.lock")
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo(r"/a\040b/c\134d"), "/a b/c\\d");
        assert_eq!(unescape_mountinfo(r"/x\04"), r"/x\04");
        assert_eq!(unescape_mountinfo("/plain"), "/plain");
        // A regular file in /proc is not a mount point (bind mounts: durable_refresh tests).
        assert!(!is_mount_point(Path::new("/proc/self/mountinfo")));
    }

    #[test]
    fn errors_do_not_leak_contents() {
        let e = AuthFile::from_json(br#"{"tokens":"eyJsecret-token"}"#).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(matches!(
            e,
            AuthFileError::Json {
                category: "data",
                ..
            }
        ));
        let e = AuthFile::from_json(br#"{"last_refresh":"yesterday"}"#).unwrap_err();
        assert_eq!(e, AuthFileError::BadLastRefresh);
        assert!(AuthFile::from_json(b"").is_err());
        assert!(AuthFile::from_json(b"[]").is_err());
        assert!(AuthFile::from_json(b"\xff\xfe").is_err());
        let dbg = format!("{:?}", AuthFile::from_json(OFFICIAL.as_bytes()).unwrap());
        assert!(!dbg.contains("rt_opaque"), "{dbg}");
    }
}
