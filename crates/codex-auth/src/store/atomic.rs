//! Atomic saves: a save is checked and its space reserved before a refresh token is spent,
//! then written to a 0600 temporary file and renamed into place, or rewritten in place without
//! tearing when the file is a mount point; a login that cannot be saved is rescued to a new
//! file.

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::time::SystemTime;

use zeroize::Zeroize;

use super::AUTH_FILE_NAME;
use super::file::create_dir;
use super::file::is_mount_point;
use super::file::open_options_0600;
use super::file::resolve_target;
use crate::Error;
use crate::error::Result;

/// Room reserved for a save beyond the current file size (new tokens may be longer).
const RESERVE_EXTRA: u64 = 8 * 1024;

/// Test-only fault injection: `CODEX_AUTH_FAULT` holds comma-separated `kill:<step>` (abort
/// the process at that step), `fail:<step>` (an I/O error) and `busy:<step>` (`EBUSY`, as a
/// rename over a bind-mounted file gives). A no-op outside this crate's unit tests.
#[cfg(test)]
fn fault(step: &str) -> std::io::Result<()> {
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
fn fault(_step: &str) -> std::io::Result<()> {
    Ok(())
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
pub(super) fn prepare_save(p: &Path) -> Result<PreparedSave> {
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
    pub(super) fn commit(mut self, bytes: &[u8]) -> Result<()> {
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
pub(super) fn write_rescue(p: &Path, bytes: &[u8]) -> Option<PathBuf> {
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
