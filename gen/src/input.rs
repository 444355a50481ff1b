//! Reading a file of an input tree, within stated limits.
//!
//! A tree archport did not build may hold anything at a path it reads: a
//! FIFO (reading it would wait forever), a device, or a file far larger
//! than any kernel source file. Only regular files are read, and only up
//! to [`MAX_FILE_BYTES`]; past that the command stops with exit 2 naming
//! the file and the limit, so every stage below stays linear in what it
//! was given.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// The largest file archport reads from a tree: the kernel's largest C
/// sources are about 1 MB, and every file a port touches is far smaller.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// The bytes of `path`, `None` when nothing is there; an error for a
/// non-regular file or one past the size limit.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if !meta.is_file() {
        bail!("{} is not a regular file; archport reads only regular files from a tree", path.display());
    }
    check_size(path, meta.len())?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between the stat and the read: read one byte past
    // the limit at most, and refuse if it is there.
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    check_size(path, bytes.len() as u64)?;
    Ok(Some(bytes))
}

/// The bytes of `path`, which must exist.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    read_optional(path)?.with_context(|| format!("reading {}: no such file", path.display()))
}

fn check_size(path: &Path, len: u64) -> Result<()> {
    if len > MAX_FILE_BYTES {
        bail!(
            "{} is {} bytes, over archport's limit of {} bytes for one file of a tree",
            path.display(),
            len,
            MAX_FILE_BYTES
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_waiting_and_a_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("Makefile");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_optional(&fifo).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        assert_eq!(read_optional(&dir.path().join("none")).unwrap(), None);
    }

    #[test]
    fn a_file_past_the_limit_is_refused_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.c");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_optional(&big).unwrap_err().to_string();
        assert!(err.contains(&format!("limit of {MAX_FILE_BYTES} bytes")), "{err}");
    }
}
