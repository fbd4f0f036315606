//! Reading a file the user named (an image, a schema, a history) with bounds: only a regular
//! file is opened for reading, never more than a limit is read, and a FIFO never blocks.
//!
//! This is the crate's only IO besides [`crate::ContentPart::image_file`], which uses it. The
//! CLI reads every file flag through it too, so the checks live in one place.

use std::io::Read;
use std::path::Path;
use std::path::PathBuf;

/// Largest image file [`crate::ContentPart::image_file`] reads: 20 MiB (the data URL it
/// builds is a third larger; the Responses API refuses bigger images anyway).
pub const IMAGE_FILE_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Why [`read_regular_file`] refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileReadError {
    /// The path names something other than a regular file (a FIFO, a device, a directory or
    /// a socket), which is never opened for reading: a FIFO would block and a device such as
    /// `/dev/zero` never ends.
    #[error("{path} is not a regular file (it is a {what})")]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is instead (`FIFO`, `directory`, `character device`, ...).
        what: &'static str,
    },
    /// The file holds more than the limit (checked before reading, and again while
    /// reading, for a file that grows).
    #[error("{path} is larger than the limit of {} ({limit} bytes)", human_size(*limit))]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
}

/// `limit` in the largest binary unit that divides it (`1 MiB`, `20 MiB`, `1500 bytes`).
pub fn human_size(limit: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if limit >= size && limit.is_multiple_of(size) {
            return format!("{} {unit}", limit / size);
        }
    }
    format!("{limit} bytes")
}

/// What a non-regular file is, for the error message.
fn file_kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_char_device() {
            return "character device";
        }
        if t.is_block_device() {
            return "block device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    "special file"
}

fn check(path: &Path, meta: &std::fs::Metadata, limit: u64) -> Result<(), FileReadError> {
    if !meta.is_file() {
        return Err(FileReadError::NotRegularFile {
            path: path.to_owned(),
            what: file_kind(meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(FileReadError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(())
}

/// Reads the whole of the regular file at `path` (symbolic links followed), refusing
/// anything else and anything larger than `limit` bytes.
///
/// The file type and size are checked before the file is opened; it is then opened with
/// `O_NONBLOCK` (on Unix) so that a path swapped for a FIFO in between cannot block, and
/// checked again on the open handle. At most `limit + 1` bytes are ever read, so a file that
/// grows while it is read costs at most `limit` bytes of memory.
pub fn read_regular_file(path: impl AsRef<Path>, limit: u64) -> Result<Vec<u8>, FileReadError> {
    let path = path.as_ref();
    let io = |source| FileReadError::Io {
        path: path.to_owned(),
        source,
    };
    check(path, &std::fs::metadata(path).map_err(io)?, limit)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    check(path, &meta, limit)?;
    let expected = usize::try_from(meta.len()).unwrap_or(0);
    let mut buf = Vec::with_capacity(expected.saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(FileReadError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(buf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, reason = "tests")]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "codex-types-file-{}-{name}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_regular_file_up_to_the_limit() {
        let dir = temp("regular");
        let p = dir.join("f.json");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_regular_file(&p, 5).unwrap(), b"12345");
        let e = read_regular_file(&p, 4).unwrap_err();
        assert!(matches!(e, FileReadError::TooLarge { limit: 4, .. }), "{e}");
        assert!(e.to_string().contains("limit of 4 bytes"), "{e}");
        // A sparse 2 GiB file is refused from its size alone, without reading.
        let big = dir.join("big.png");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(2 << 30)
            .unwrap();
        let e = read_regular_file(&big, IMAGE_FILE_MAX_BYTES).unwrap_err();
        assert!(e.to_string().contains("limit of 20 MiB"), "{e}");
        let e = read_regular_file(dir.join("missing"), 10).unwrap_err();
        assert!(matches!(e, FileReadError::Io { .. }), "{e}");
        let e = read_regular_file(&dir, 10).unwrap_err();
        assert!(e.to_string().contains("(it is a directory)"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_fifos_without_blocking() {
        let e = read_regular_file("/dev/zero", 1 << 20).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let dir = temp("fifo");
        let fifo = dir.join("pipe.png");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            // No writer ever opens the FIFO: a blocking open would hang this test.
            let e = read_regular_file(&fifo, 1 << 20).unwrap_err();
            assert!(e.to_string().contains("(it is a FIFO)"), "{e}");
        } else {
            eprintln!("mkfifo is not available: skipping the FIFO case");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(1 << 20), "1 MiB");
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(human_size(3 << 10), "3 KiB");
        assert_eq!(human_size(1500), "1500 bytes");
        assert_eq!(human_size(0), "0 bytes");
    }
}
