//! The scratch tree a build reads: the input tree through hard links,
//! with an overlay of fresh files (the port's post-state) and deletions.
//!
//! The scratch tree is kept between runs and brought back in step with
//! the input tree and the overlay each time, so that `make` sees by
//! modification time exactly what changed. Invariants: nothing is ever
//! written through a hard link (a linked file is unlinked before it is
//! replaced), and a path the previous overlay changed is restored as a
//! fresh copy, never as a link to the older input file (whose older
//! modification time would leave a stale object in place).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use walkdir::WalkDir;

use crate::kernel::trees::{link_tree, read_optional};
use crate::port::Port;

/// Files that differ from the input tree: new content, or `None` for a
/// deleted file. Keys are tree-relative paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overlay(pub BTreeMap<String, Option<Vec<u8>>>);

impl Overlay {
    /// The port's post-state: every file it changes or deletes.
    pub fn of_port(port: &Port) -> Overlay {
        Overlay(port.files.iter().filter(|f| f.after != f.before).map(|f| (f.path.clone(), f.after.clone())).collect())
    }

    /// What turns `base` into `other`: every regular file that differs,
    /// is new, or is gone. Hard-linked files (the same inode) are equal
    /// without being read.
    pub fn between(base: &Path, other: &Path) -> Result<Overlay> {
        let base_files = files(base)?;
        let other_files = files(other)?;
        let mut out = BTreeMap::new();
        for (rel, meta) in &other_files {
            let same = match base_files.get(rel) {
                Some(b) if (b.dev(), b.ino()) == (meta.dev(), meta.ino()) => true,
                Some(b) if b.len() == meta.len() => std::fs::read(base.join(rel))? == std::fs::read(other.join(rel))?,
                _ => false,
            };
            if !same {
                let bytes = std::fs::read(other.join(rel)).with_context(|| format!("reading {}", rel))?;
                out.insert(rel.clone(), Some(bytes));
            }
        }
        for rel in base_files.keys().filter(|r| !other_files.contains_key(*r)) {
            out.insert(rel.clone(), None);
        }
        Ok(Overlay(out))
    }

    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

/// The regular files under `root`, by relative path.
fn files(root: &Path) -> Result<BTreeMap<String, std::fs::Metadata>> {
    let mut out = BTreeMap::new();
    for e in WalkDir::new(root).follow_links(false) {
        let e = e.with_context(|| format!("reading {}", root.display()))?;
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(root).expect("walkdir stays under its root");
            out.insert(rel.to_string_lossy().into_owned(), e.metadata()?);
        }
    }
    Ok(out)
}

/// What a sync did, for progress and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// The scratch tree was made from scratch.
    pub created: bool,
    /// Paths relinked to the input tree, written, or removed.
    pub changed: usize,
}

/// Brings `scratch` in step with `base` plus `overlay`. `manifest`
/// records the overlay's paths, so that the next sync restores them.
pub fn sync(base: &Path, scratch: &Path, overlay: &Overlay, manifest: &Path) -> Result<SyncStats> {
    let mut stats = SyncStats::default();
    let previous = read_manifest(manifest)?;
    if !scratch.exists() {
        create(base, scratch)?;
        stats.created = true;
    } else {
        stats.changed += relink_changed(base, scratch, overlay, &previous)?;
    }
    // Paths the previous overlay changed and this one leaves alone go
    // back to the input's content, as fresh files.
    for rel in previous.iter().filter(|r| !overlay.0.contains_key(*r)) {
        let content = read_optional(&base.join(rel))?;
        if write_if_different(&scratch.join(rel), content.as_deref())? {
            stats.changed += 1;
        }
    }
    for (rel, content) in &overlay.0 {
        if write_if_different(&scratch.join(rel), content.as_deref())? {
            stats.changed += 1;
        }
    }
    let paths: Vec<&String> = overlay.paths().collect();
    crate::output::write_atomic(manifest, &serde_json::to_vec_pretty(&paths)?)?;
    Ok(stats)
}

/// Links a new scratch tree beside its final place, then renames it, so
/// an interrupted run never leaves half a tree behind.
fn create(base: &Path, scratch: &Path) -> Result<()> {
    let parent = scratch.parent().context("a scratch tree needs a parent folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = tempfile::Builder::new().prefix(".tree-").tempdir_in(parent)?;
    let building = tmp.path().join("tree");
    link_tree(base, &building).with_context(|| format!("linking {} into {}", base.display(), building.display()))?;
    std::fs::rename(&building, scratch).with_context(|| format!("moving the scratch tree to {}", scratch.display()))
}

/// Relinks every path outside both overlays whose scratch entry is no
/// longer the input's file (the input tree changed), and removes files
/// the input no longer has. Returns how many paths changed.
fn relink_changed(base: &Path, scratch: &Path, overlay: &Overlay, previous: &BTreeSet<String>) -> Result<usize> {
    let owned = |rel: &str| overlay.0.contains_key(rel) || previous.contains(rel);
    let mut in_base = HashSet::new();
    let mut changed = 0;
    for e in WalkDir::new(base).follow_links(false) {
        let e = e.with_context(|| format!("reading {}", base.display()))?;
        let rel = e.path().strip_prefix(base).expect("walkdir stays under its root").to_string_lossy().into_owned();
        let target = scratch.join(&rel);
        in_base.insert(rel.clone());
        if owned(&rel) {
            continue;
        }
        let ft = e.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
        } else if ft.is_symlink() {
            let link = std::fs::read_link(e.path())?;
            if std::fs::read_link(&target).ok().as_ref() != Some(&link) {
                remove_if_present(&target)?;
                std::os::unix::fs::symlink(&link, &target).with_context(|| format!("linking {}", target.display()))?;
                changed += 1;
            }
        } else {
            let meta = e.metadata()?;
            let same = target.symlink_metadata().is_ok_and(|t| (t.dev(), t.ino()) == (meta.dev(), meta.ino()));
            if !same {
                remove_if_present(&target)?;
                std::fs::hard_link(e.path(), &target).with_context(|| format!("linking {}", target.display()))?;
                changed += 1;
            }
        }
    }
    for e in WalkDir::new(scratch).follow_links(false).contents_first(true) {
        let e = e.with_context(|| format!("reading {}", scratch.display()))?;
        let rel = e.path().strip_prefix(scratch).expect("walkdir stays under its root").to_string_lossy().into_owned();
        if !e.file_type().is_dir() && !in_base.contains(&rel) && !owned(&rel) {
            std::fs::remove_file(e.path()).with_context(|| format!("removing {}", e.path().display()))?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Makes `path` hold `content` (`None`: absent). A file that already
/// holds it is left alone, keeping its modification time; otherwise the
/// old entry (maybe a hard link into the input tree) is unlinked first.
fn write_if_different(path: &Path, content: Option<&[u8]>) -> Result<bool> {
    let current = match path.symlink_metadata() {
        Ok(m) if m.file_type().is_file() => Some(std::fs::read(path)?),
        _ => None,
    };
    if current.as_deref() == content && (content.is_some() || path.symlink_metadata().is_err()) {
        return Ok(false);
    }
    remove_if_present(path)?;
    if let Some(bytes) = content {
        let dir = path.parent().context("a tree file has a parent folder")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(true)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("unlinking {}", path.display()))
        }
        _ => Ok(()),
    }
}

fn read_manifest(path: &Path) -> Result<BTreeSet<String>> {
    match read_optional(path)? {
        None => Ok(BTreeSet::new()),
        Some(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display())),
    }
}

/// The scratch tree inside a build folder.
pub fn tree_dir(build_dir: &Path) -> PathBuf {
    build_dir.join("tree")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        dir
    }

    fn overlay(entries: &[(&str, Option<&str>)]) -> Overlay {
        Overlay(entries.iter().map(|(p, c)| (p.to_string(), c.map(|c| c.as_bytes().to_vec()))).collect())
    }

    #[test]
    fn the_overlay_never_writes_through_into_the_input_tree() {
        let base = tree(&[("a/x.h", "old"), ("a/gone.h", "bye"), ("b.c", "same")]);
        let work = tempfile::tempdir().unwrap();
        let scratch = work.path().join("tree");
        let manifest = work.path().join("manifest.json");
        sync(base.path(), &scratch, &overlay(&[("a/x.h", Some("new")), ("a/gone.h", None)]), &manifest).unwrap();
        assert_eq!(std::fs::read_to_string(scratch.join("a/x.h")).unwrap(), "new");
        assert!(!scratch.join("a/gone.h").exists());
        assert_eq!(std::fs::read_to_string(base.path().join("a/x.h")).unwrap(), "old");
        assert_eq!(std::fs::read_to_string(base.path().join("a/gone.h")).unwrap(), "bye");
        let (b, s) = (base.path().join("b.c").metadata().unwrap(), scratch.join("b.c").metadata().unwrap());
        assert_eq!((b.ino(), b.dev()), (s.ino(), s.dev()), "unchanged files are hard links");
    }

    #[test]
    fn a_path_the_last_overlay_changed_comes_back_as_a_fresh_file() {
        let base = tree(&[("x.h", "input")]);
        let work = tempfile::tempdir().unwrap();
        let (scratch, manifest) = (work.path().join("tree"), work.path().join("m.json"));
        sync(base.path(), &scratch, &overlay(&[("x.h", Some("port"))]), &manifest).unwrap();
        let stats = sync(base.path(), &scratch, &Overlay::default(), &manifest).unwrap();
        assert_eq!(stats.changed, 1);
        assert_eq!(std::fs::read_to_string(scratch.join("x.h")).unwrap(), "input");
        let (b, s) = (base.path().join("x.h").metadata().unwrap(), scratch.join("x.h").metadata().unwrap());
        assert_ne!(b.ino(), s.ino(), "a restored file is a fresh copy with a new modification time");
    }

    #[test]
    fn an_unchanged_overlay_leaves_the_scratch_tree_alone() {
        let base = tree(&[("x.h", "input")]);
        let work = tempfile::tempdir().unwrap();
        let (scratch, manifest) = (work.path().join("tree"), work.path().join("m.json"));
        let o = overlay(&[("x.h", Some("port")), ("y.h", None)]);
        sync(base.path(), &scratch, &o, &manifest).unwrap();
        let before = scratch.join("x.h").metadata().unwrap().modified().unwrap();
        assert_eq!(sync(base.path(), &scratch, &o, &manifest).unwrap().changed, 0);
        assert_eq!(scratch.join("x.h").metadata().unwrap().modified().unwrap(), before);
    }

    #[test]
    fn a_changed_input_tree_is_relinked() {
        let base = tree(&[("x.h", "one"), ("old.c", "o")]);
        let work = tempfile::tempdir().unwrap();
        let (scratch, manifest) = (work.path().join("tree"), work.path().join("m.json"));
        sync(base.path(), &scratch, &Overlay::default(), &manifest).unwrap();
        // As git does: a new file in place of the old one.
        std::fs::remove_file(base.path().join("x.h")).unwrap();
        std::fs::write(base.path().join("x.h"), "two").unwrap();
        std::fs::remove_file(base.path().join("old.c")).unwrap();
        std::fs::write(base.path().join("new.c"), "n").unwrap();
        sync(base.path(), &scratch, &Overlay::default(), &manifest).unwrap();
        assert_eq!(std::fs::read_to_string(scratch.join("x.h")).unwrap(), "two");
        assert!(!scratch.join("old.c").exists());
        assert_eq!(std::fs::read_to_string(scratch.join("new.c")).unwrap(), "n");
    }

    #[test]
    fn the_overlay_between_two_trees_holds_what_differs() {
        let base = tree(&[("same.c", "s"), ("changed.h", "a"), ("gone.h", "g")]);
        let other = tree(&[("same.c", "s"), ("changed.h", "b"), ("new.h", "n")]);
        let o = Overlay::between(base.path(), other.path()).unwrap();
        assert_eq!(o, overlay(&[("changed.h", Some("b")), ("gone.h", None), ("new.h", Some("n"))]));
    }
}
