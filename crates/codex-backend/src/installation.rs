//! The installation id, shared with the official client: `$CODEX_HOME/installation_id`.
//!
//! The official client (codex-rs `core/src/installation_id.rs`) keeps one UUID per
//! installation in that file: the bare UUID text, no newline, mode 0644, read and written
//! under an exclusive `flock`. This module reads the same file the same way, so both tools
//! report the same installation. It writes only when the file is missing or empty, and then
//! exactly what the official client writes (a lowercase UUID v4); a file it cannot parse is
//! left untouched (the official client would replace it; this SDK never rewrites a file the
//! official client owns) and a per-process id is used instead.

use std::fs::OpenOptions;
use std::io::Read;
use std::io::Seek;
use std::io::SeekFrom;
use std::io::Write;
use std::path::Path;

/// The file name, as codex-rs names it.
pub(crate) const INSTALLATION_ID_FILE: &str = "installation_id";

/// `s` as a lowercase hyphenated UUID, if it is one (any case, surrounding blanks ignored;
/// codex-rs accepts the same and normalizes to lowercase).
pub(crate) fn parse_uuid(s: &str) -> Option<String> {
    let t = s.trim();
    let ok = t.len() == 36
        && t.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    ok.then(|| t.to_ascii_lowercase())
}

/// Where the id came from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Read from the file.
    Existing,
    /// The file was missing or empty: a new id was written.
    Created,
    /// The file holds something else: left as is, a per-process id is used.
    Unparsable,
}

/// Reads (or creates) `home/installation_id` under an exclusive lock. `home` must exist:
/// it is never created here.
pub(crate) fn resolve(home: &Path) -> std::io::Result<(String, Source)> {
    let path = home.join(INSTALLATION_ID_FILE);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    let mut file = options.open(&path)?;
    match file.lock() {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {}
        Err(e) => return Err(e),
    }
    let mut contents = String::new();
    file.read_to_string(&mut contents)?;
    if let Some(id) = parse_uuid(&contents) {
        return Ok((id, Source::Existing));
    }
    if !contents.trim().is_empty() {
        return Ok((codex_client::new_uuid_v4(), Source::Unparsable));
    }
    let id = codex_client::new_uuid_v4();
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(id.as_bytes())?;
    file.flush()?;
    file.sync_all()?;
    Ok((id, Source::Created))
}

/// The installation id for `home`, or `None` (with a warning) when the file cannot be used.
pub(crate) fn installation_id(home: &Path) -> Option<String> {
    if !home.is_dir() {
        return None;
    }
    match resolve(home) {
        Ok((id, Source::Unparsable)) => {
            tracing::warn!(
                "{INSTALLATION_ID_FILE} does not hold a UUID; left as is, using a per-process id"
            );
            Some(id)
        }
        Ok((id, _)) => Some(id),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or create {INSTALLATION_ID_FILE}; none sent");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp_home(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "codex-installation-{tag}-{}-{}",
            std::process::id(),
            codex_client::new_uuid_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn creates_once_then_reuses_the_same_id() {
        let home = temp_home("create");
        let (a, how) = resolve(&home).unwrap();
        assert_eq!(how, Source::Created);
        assert!(parse_uuid(&a).is_some());
        let raw = std::fs::read_to_string(home.join(INSTALLATION_ID_FILE)).unwrap();
        assert_eq!(raw, a, "the bare UUID, no newline, as codex-rs writes it");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.join(INSTALLATION_ID_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        let (b, how) = resolve(&home).unwrap();
        assert_eq!((b.as_str(), how), (a.as_str(), Source::Existing));
        std::fs::remove_dir_all(home).unwrap();
    }

    #[test]
    fn reads_the_official_clients_file_and_never_rewrites_it() {
        let home = temp_home("read");
        let path = home.join(INSTALLATION_ID_FILE);
        std::fs::write(&path, "0F7C2D3E-1111-4222-8333-444455556666\n").unwrap();
        let (id, how) = resolve(&home).unwrap();
        assert_eq!(id, "0f7c2d3e-1111-4222-8333-444455556666");
        assert_eq!(how, Source::Existing);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0F7C2D3E-1111-4222-8333-444455556666\n"
        );
        std::fs::write(&path, "not a uuid").unwrap();
        let (other, how) = resolve(&home).unwrap();
        assert_eq!(how, Source::Unparsable);
        assert!(parse_uuid(&other).is_some());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a uuid");
        std::fs::remove_dir_all(home).unwrap();
    }

    #[test]
    fn a_missing_home_is_not_created() {
        let home = std::env::temp_dir().join(format!(
            "codex-installation-none-{}",
            codex_client::new_uuid_v4()
        ));
        assert_eq!(installation_id(&home), None);
        assert!(!home.exists());
    }
}
