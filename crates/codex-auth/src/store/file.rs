//! The file store: reading `auth.json`, the cross-process refresh lock, creating files 0600
//! and folders 0700, following symbolic links and detecting a bind-mounted file.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroize;

use super::AUTH_FILE_NAME;
use super::AuthFile;
use super::blocking;
use crate::Error;
use crate::error::Result;

/// A held advisory lock; released on drop.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: std::fs::File,
}

impl FileLock {
    /// Takes the advisory lock on `auth.json.lock` next to `p`, waiting up to `wait`.
    pub(super) async fn acquire(p: &Path, wait: Duration) -> Result<Self> {
        let lock_path = lock_path(p);
        let lp = lock_path.clone();
        let file = blocking(move || open_lock_file(&lp)).await?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { file }),
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

pub(super) fn read_file(p: &Path) -> Result<Option<AuthFile>> {
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

pub(super) fn open_options_0600() -> std::fs::OpenOptions {
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

pub(super) fn create_dir(dir: &Path) -> Result<()> {
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

/// Symbolic links followed when resolving `auth.json` (as the kernel does).
const MAX_LINKS: usize = 40;

/// The file a write to `p` must change: `p` itself, or the final target when `p` is a
/// symbolic link (a dotfile manager's link stays a link; its target gets the new content).
pub(super) fn resolve_target(p: &Path) -> Result<PathBuf> {
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
pub(super) fn is_mount_point(p: &Path) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
