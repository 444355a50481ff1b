//! Building the golden and pre-port trees from the base tree.
//!
//! Both derived trees share every file the RT patch leaves alone with the
//! base tree through hard links, so three trees cost little more than
//! one. A patched file is unlinked before it is written, so the base tree
//! is never modified. Nothing here writes through a hard link.

use std::path::Path;

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

use crate::golden::GoldenPort;
use crate::patch::{apply_hunks, Applied, Patch};

/// Mirrors `src` into `dst` (which must not exist) with hard links.
pub fn link_tree(src: &Path, dst: &Path) -> Result<()> {
    for entry in WalkDir::new(src).follow_links(false) {
        let entry = entry.with_context(|| format!("reading {}", src.display()))?;
        let rel = entry.path().strip_prefix(src).expect("walkdir stays under its root");
        let target = dst.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
        } else if ft.is_symlink() {
            let link = std::fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(&link, &target).with_context(|| format!("linking {}", target.display()))?;
        } else {
            std::fs::hard_link(entry.path(), &target).with_context(|| format!("linking {}", target.display()))?;
        }
    }
    Ok(())
}

/// Builds the golden tree (base + the whole patch) and the pre-port tree
/// (base + the patch without the golden ports' taken hunks).
pub fn build_derived(base: &Path, patch: &Patch, ports: &[GoldenPort], golden: &Path, pre_port: &Path) -> Result<()> {
    link_tree(base, golden)?;
    link_tree(base, pre_port)?;
    for file in &patch.files {
        let original = read_optional(&base.join(&file.path))?;
        let all = apply_hunks(original.as_deref(), file, |_| true).context("applying the RT patch to the base tree")?;
        replace(&golden.join(&file.path), &all)?;

        let port_file = ports.iter().flat_map(|p| &p.files).find(|f| f.path == file.path);
        let pre = match port_file {
            Some(pf) => apply_hunks(original.as_deref(), file, |i| !pf.is_taken(i))
                .context("applying the RT patch without the kmap ports")?,
            None => all,
        };
        replace(&pre_port.join(&file.path), &pre)?;
    }
    Ok(())
}

/// Reads a file that may be absent.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Replaces a (possibly hard-linked) file with new content or removes it.
fn replace(path: &Path, content: &Applied) -> Result<()> {
    if path.symlink_metadata().is_ok() {
        std::fs::remove_file(path).with_context(|| format!("unlinking {}", path.display()))?;
    }
    match content {
        Applied::Deleted => Ok(()),
        Applied::Content(bytes) => {
            let Some(dir) = path.parent() else { bail!("{} has no parent folder", path.display()) };
            std::fs::create_dir_all(dir)?;
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
        }
    }
}
