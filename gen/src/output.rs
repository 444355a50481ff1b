//! Writing files so that nobody ever sees half of one.
//!
//! Every file archport writes goes to a temporary name in the same folder
//! and is renamed over the destination once complete: an interrupted run
//! leaves the old file or the new one, never a torn one.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".archport-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
    // Temporary files are private (0600); output is an ordinary file, or
    // keeps the mode of the file it replaces.
    let mode =
        std::fs::metadata(path).map(|m| m.permissions()).unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
    tmp.as_file().set_permissions(mode).with_context(|| format!("setting the mode of {}", path.display()))?;
    tmp.as_file().sync_all().with_context(|| format!("flushing {} to disk", path.display()))?;
    tmp.persist(path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}
