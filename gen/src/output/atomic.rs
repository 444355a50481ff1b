//! Writing one file so that nobody ever sees half of it.
//!
//! The bytes go to a temporary name in the same folder, which is renamed
//! over the destination once complete: an interrupted run leaves the old
//! file or the new one, never a torn one. Only regular files are ever
//! replaced: a device, a FIFO, a folder or a symbolic link at the
//! destination is refused, because a rename would silently turn it into
//! a regular file (or write where the link points).
//!
//! There is no fsync: the rename already keeps a killed run from leaving
//! a torn file, and nothing archport writes is lost with the power that
//! cannot be made again by running it once more.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Prefix of every temporary file archport creates (never a name it keeps).
pub const TEMP_PREFIX: &str = ".archport-tmp-";

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let old = regular_or_absent(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
    // Temporary files are private (0600); output is an ordinary file, or
    // keeps the mode of the file it replaces.
    let mode = old.map(|m| m.permissions()).unwrap_or_else(|| std::fs::Permissions::from_mode(0o644));
    tmp.as_file().set_permissions(mode).with_context(|| format!("setting the mode of {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// The metadata of `path` when it is a regular file, `None` when nothing
/// is there, and an error for anything a rename must not replace.
pub fn regular_or_absent(path: &Path) -> Result<Option<std::fs::Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(Some(m)),
        Ok(m) => bail!(
            "{} is {}, not a regular file: archport writes only regular files and never replaces anything else",
            path.display(),
            kind_of(&m.file_type())
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// What a file type is, in words.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileTypeExt;

    use super::*;

    #[test]
    fn a_fifo_or_a_link_is_refused_and_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = write_atomic(&fifo, b"x").unwrap_err().to_string();
        assert!(err.contains("is a FIFO"), "{err}");
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

        let target = dir.path().join("target");
        std::fs::write(&target, b"mine").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write_atomic(&link, b"x").unwrap_err().to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"mine");
    }

    #[test]
    fn a_regular_file_is_replaced_keeping_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&f, b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
    }
}
