//! Everything archport writes goes through here: an output folder it
//! owns, or one file such as the HTML report.
//!
//! The promises, each kept in one place:
//! - never into an input: every target is resolved (links, `..`) and
//!   refused inside the input trees ([`Inputs`]);
//! - never a file archport did not write: a folder's manifest records
//!   what archport put there ([`manifest`]); only those files are replaced
//!   or deleted, and a folder that holds anything else is refused unless
//!   the user passes `--force` (which lets archport write beside such
//!   files, and replace one only at a path archport itself writes);
//! - never through a link below the output folder: each component of a
//!   target is checked, and a symbolic link there is an error;
//! - never half a file, never a non-regular file replaced ([`atomic`]);
//! - one writer per folder at a time: a lock on the folder itself (no
//!   file of its own), taken when the folder is opened or, for a folder
//!   that does not exist yet, created; a second writer is refused at once.
//!
//! Opening a folder writes nothing: a command refused later (bad input,
//! a failed arch) leaves the folder as it was.

mod atomic;
pub mod manifest;
mod paths;
pub mod port_layout;

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

pub use atomic::{write_atomic, TEMP_PREFIX};
pub use manifest::{Manifest, MANIFEST};
pub use paths::{resolve, Inputs};

/// An output folder archport owns, open for writing.
#[derive(Debug)]
pub struct OutputDir {
    /// The folder, resolved.
    root: PathBuf,
    manifest: Manifest,
    /// Manifests of the folders around this one (`run --out OUT` records
    /// `OUT/series/...` in `OUT`'s manifest; `series --out OUT/series`
    /// in its own): whichever lists a file with its content makes it ours.
    around: Vec<(PathBuf, Manifest)>,
    inputs: Inputs,
    force: bool,
    /// Held while the folder is open; taken when it exists.
    lock: Option<File>,
}

/// One batch of [`OutputDir::replace_each`]: the files to write, by path
/// relative to the folder, and which files archport wrote earlier it
/// takes the place of (those of them it no longer has are deleted).
pub struct Batch<'a> {
    pub files: &'a BTreeMap<String, Vec<u8>>,
    pub scope: &'a dyn Fn(&str) -> bool,
}

/// A batch checked and ready to write: each file to write with its
/// target, path and hash, and the files already there as they should be.
struct Plan<'f> {
    write: Vec<(PathBuf, &'f String, &'f Vec<u8>, String)>,
    unchanged: Vec<(&'f String, String)>,
}

impl OutputDir {
    /// Opens the folder `dir`, given as `flag` on the command line:
    /// refuses it inside an input, while another archport writes there,
    /// or when it holds files archport did not write and `force` is not
    /// set. A folder that does not exist is created by the first write.
    pub fn open(flag: &str, dir: &Path, inputs: &Inputs, force: bool) -> Result<OutputDir> {
        let out = OutputDir::open_beside(flag, dir, inputs)?;
        OutputDir { force, ..out }.refuse_foreign(flag, dir)
    }

    /// Opens the folder `dir` to write files beside those archport did
    /// not write there (which it never replaces or deletes): for the
    /// pending changes `check --golden-dir` leaves beside a blessed copy
    /// a user may have edited.
    pub fn open_beside(flag: &str, dir: &Path, inputs: &Inputs) -> Result<OutputDir> {
        let root = inputs.refuse(flag, dir)?;
        let lock = match std::fs::symlink_metadata(&root) {
            Ok(m) if m.is_dir() => Some(lock(&root)?),
            Ok(_) => bail!("{flag} {} is not a folder", dir.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {flag} {}", dir.display())),
        };
        let mut out = OutputDir {
            manifest: Manifest::read(&root)?,
            around: manifests_above(&root)?,
            root,
            inputs: inputs.clone(),
            force: false,
            lock,
        };
        out.around.retain(|(d, _)| d != &out.root);
        Ok(out)
    }

    /// The folder, refused when it holds files archport did not write and
    /// `force` is not set.
    fn refuse_foreign(self, flag: &str, dir: &Path) -> Result<OutputDir> {
        let foreign = self.foreign()?;
        if !foreign.is_empty() && !self.force {
            let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
            bail!(
                "{flag} {} holds {} file(s) archport did not write (or that changed since): {}{}; \
                 choose an empty folder or one archport made, or pass --force to write beside them \
                 (archport still deletes none of them)",
                dir.display(),
                foreign.len(),
                shown.join(", "),
                if foreign.len() > shown.len() { ", ..." } else { "" }
            );
        }
        Ok(self)
    }

    /// The folder, resolved.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes every file of `files` (paths relative to the folder), then
    /// deletes the files archport wrote earlier whose path satisfies
    /// `scope` and that `files` no longer has. While the batch is written
    /// the manifest accepts old and new content, so an interrupted batch
    /// leaves a folder the next run still recognises as its own.
    pub fn replace(&mut self, files: &BTreeMap<String, Vec<u8>>, scope: impl Fn(&str) -> bool) -> Result<()> {
        self.replace_each(&[Batch { files, scope: &scope }]).pop().expect("one result for one batch")
    }

    /// [`OutputDir::replace`] for several independent batches (one per
    /// arch), with one result each: a batch refused (a file there that
    /// archport did not write) or failing to write leaves the others to
    /// be written. The folder is walked and the manifest written once for
    /// all of them, not once a batch.
    pub fn replace_each(&mut self, batches: &[Batch<'_>]) -> Vec<Result<()>> {
        if batches.is_empty() {
            // Nothing to write: the folder is not even created.
            return Vec::new();
        }
        let mut results: Vec<Result<()>> = batches.iter().map(|_| Ok(())).collect();
        if let Err(e) = self.replace_batches(batches, &mut results) {
            let message = format!("{e:#}");
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(anyhow::anyhow!("{message}"));
            }
        }
        results
    }

    /// The work of [`OutputDir::replace_each`]: a batch's own failure goes
    /// into its result; an error returned concerns every batch.
    fn replace_batches(&mut self, batches: &[Batch<'_>], results: &mut [Result<()>]) -> Result<()> {
        if self.lock.is_none() {
            std::fs::create_dir_all(&self.root).with_context(|| format!("creating {}", self.root.display()))?;
            self.lock = Some(lock(&self.root)?);
        }
        // Every target below is the root plus folders checked to be real
        // ones (see `target`), so the root is resolved once, here, and
        // must still be where it was when the folder was opened.
        if paths::resolve(&self.root)? != self.root {
            bail!("{} was moved or replaced by a link while archport wrote into it", self.root.display());
        }
        let mut plans: Vec<Option<Plan>> = Vec::with_capacity(batches.len());
        for (batch, result) in batches.iter().zip(results.iter_mut()) {
            plans.push(self.plan(batch.files).map_err(|e| *result = Err(e)).ok());
        }
        self.manifest.complete = false;
        for (rel, h) in plans.iter().flatten().flat_map(|p| &p.write).map(|(_, rel, _, h)| (rel, h)) {
            self.manifest.also(rel, h.clone());
        }
        self.manifest.write(&self.root)?;
        for (plan, result) in plans.iter_mut().zip(results.iter_mut()) {
            let Some(p) = plan else { continue };
            if let Err(e) = p.write.iter().try_for_each(|(target, _, bytes, _)| write_atomic(target, bytes)) {
                *result = Err(e);
                *plan = None;
            }
        }
        for p in plans.iter().flatten() {
            for (rel, h) in p.write.iter().map(|(_, rel, _, h)| (rel, h)).chain(p.unchanged.iter().map(|(r, h)| (r, h)))
            {
                self.manifest.set(rel, h.clone());
            }
        }
        let written: Vec<&Batch> = batches.iter().zip(&plans).filter(|(_, p)| p.is_some()).map(|(b, _)| b).collect();
        for rel in self.stale(&written)? {
            let path = self.root.join(&rel);
            std::fs::remove_file(&path).with_context(|| format!("removing the stale {}", path.display()))?;
            self.manifest.forget(&rel);
            self.remove_empty_parents(&path);
        }
        let gone: Vec<String> =
            self.manifest.paths().filter(|rel| !self.root.join(rel).exists()).map(str::to_string).collect();
        for rel in gone {
            self.manifest.forget(&rel);
        }
        self.manifest.complete = true;
        self.manifest.write(&self.root)
    }

    /// What writing `files` takes: the files to write (each target
    /// checked) and those already there as they should be; refused when
    /// a file there is not archport's and `--force` is not set.
    fn plan<'f>(&self, files: &'f BTreeMap<String, Vec<u8>>) -> Result<Plan<'f>> {
        let mut plan = Plan { write: Vec::with_capacity(files.len()), unchanged: Vec::new() };
        for (rel, bytes) in files {
            let target = self.target(rel)?;
            let h = manifest::hash(bytes);
            if let Some(old) = read_regular(&target)? {
                let same = old == *bytes;
                let old_hash = if same { h.clone() } else { manifest::hash(&old) };
                if !self.owns_hashed(rel, &old_hash) && !self.force {
                    bail!(
                        "{} exists and archport did not write it (or it changed since): not replaced; pass --force to replace it",
                        target.display()
                    );
                }
                // Already there as it should be: writing it again would
                // only cost a rename (which ext4 follows with a flush).
                if same {
                    plan.unchanged.push((rel, h));
                    continue;
                }
            }
            plan.write.push((target, rel, bytes, h));
        }
        Ok(plan)
    }

    /// The bytes archport wrote at `rel` earlier, if that file is still
    /// there as archport wrote it.
    pub fn existing(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let path = self.root.join(rel);
        Ok(read_regular(&path)?.filter(|bytes| self.owns(rel, bytes)))
    }

    /// Every file archport wrote here (and that is unchanged), by relative path.
    pub fn owned(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        for rel in self.walk()? {
            if let Some(bytes) = self.existing(&rel)? {
                out.insert(rel, bytes);
            }
        }
        Ok(out)
    }

    /// The files archport owns under a batch's scope that the batch does
    /// not have.
    fn stale(&self, batches: &[&Batch<'_>]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for rel in self.walk()? {
            // Claimed by a batch and written by none (scopes may overlap).
            let dropped =
                batches.iter().any(|b| (b.scope)(&rel)) && !batches.iter().any(|b| b.files.contains_key(&rel));
            if dropped && self.existing(&rel)?.is_some() {
                out.push(rel);
            }
        }
        Ok(out)
    }

    /// Files under the folder that archport does not own.
    fn foreign(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for rel in self.walk()? {
            let path = self.root.join(&rel);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_file() => {
                    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                    if !self.owns(&rel, &bytes) {
                        out.push(rel);
                    }
                }
                _ => out.push(rel),
            }
        }
        Ok(out)
    }

    /// Every entry below the folder that is not a folder, by relative
    /// path, without following links; archport's own bookkeeping files
    /// are left out, and nested folders' manifests are loaded.
    fn walk(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        if self.lock.is_none() {
            // Not created yet: nothing in it.
            return Ok(out);
        }
        for e in walkdir::WalkDir::new(&self.root).min_depth(1).sort_by_file_name() {
            let e = e.with_context(|| format!("listing {}", self.root.display()))?;
            let name = e.file_name().to_string_lossy();
            if e.file_type().is_dir() || name == MANIFEST || name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let rel = e.path().strip_prefix(&self.root).expect("the walk stays below the root");
            out.push(rel.to_string_lossy().into_owned());
        }
        Ok(out)
    }

    /// Whether archport wrote `rel` with exactly `bytes`: by this folder's
    /// manifest, one of the folders around it, or one nested below it.
    fn owns(&self, rel: &str, bytes: &[u8]) -> bool {
        self.owns_hashed(rel, &manifest::hash(bytes))
    }

    /// [`OutputDir::owns`] for bytes of hash `h`.
    fn owns_hashed(&self, rel: &str, h: &str) -> bool {
        if self.manifest.lists(rel, h) {
            return true;
        }
        let abs = self.root.join(rel);
        let listed = |dir: &Path, m: &Manifest| {
            abs.strip_prefix(dir).ok().and_then(|r| r.to_str()).is_some_and(|r| m.lists(r, h))
        };
        if self.around.iter().any(|(dir, m)| listed(dir, m)) {
            return true;
        }
        // A nested folder with a manifest of its own (`run`'s OUT/series
        // after `series --out OUT/series`).
        abs.ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&self.root) && *d != self.root)
            .filter(|d| d.join(MANIFEST).is_file())
            .any(|d| Manifest::read(d).is_ok_and(|m| listed(d, &m)))
    }

    /// The path of `rel` below the folder, with every folder on the way
    /// created or checked: no component may be a symbolic link (which
    /// would lead the write out of the folder) or anything but a folder.
    fn target(&self, rel: &str) -> Result<PathBuf> {
        let parts: Vec<&str> = Path::new(rel)
            .components()
            .map(|c| match c {
                Component::Normal(s) => s.to_str().filter(|s| !s.chars().any(char::is_control)),
                _ => None,
            })
            .collect::<Option<_>>()
            .filter(|p: &Vec<&str>| !p.is_empty())
            .with_context(|| format!("unsafe output path {rel:?}: must be a plain path inside the folder"))?;
        let mut at = self.root.clone();
        for dir in &parts[..parts.len() - 1] {
            at.push(dir);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_dir() => {}
                Ok(m) => bail!(
                    "{} is {}: archport writes below its output folder only through real folders",
                    at.display(),
                    atomic::kind_of(&m.file_type())
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir(&at).with_context(|| format!("creating {}", at.display()))?
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", at.display())),
            }
        }
        at.push(parts[parts.len() - 1]);
        // Resolved already: the root is, and every folder after it was
        // just checked to be a real one. A link as the file itself is
        // refused where it is read or written (`atomic`).
        self.inputs.refuse_resolved("an output file", &at, &at)?;
        Ok(at)
    }

    /// Removes the folders a deletion left empty, up to the root.
    fn remove_empty_parents(&self, file: &Path) {
        for dir in file.ancestors().skip(1).take_while(|d| *d != self.root && d.starts_with(&self.root)) {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// Writes one file that is not part of an output folder (the HTML
/// report): refused inside an input, over a non-regular file, or over a
/// file that `is_ours` does not recognise unless `force` is set.
pub fn write_file(
    flag: &str,
    path: &Path,
    bytes: &[u8],
    inputs: &Inputs,
    force: bool,
    is_ours: impl Fn(&[u8]) -> bool,
) -> Result<()> {
    // The file itself is not resolved: a link there is refused, not followed.
    let name = path.file_name().with_context(|| format!("{flag} {}: not a file name", path.display()))?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let real = inputs.refuse(flag, parent)?.join(name);
    inputs.refuse(flag, &real)?;
    if let Some(old) = read_regular(&real)? {
        if !force && !is_ours(&old) {
            bail!(
                "{flag} {} exists and archport did not write it: not replaced; pass --force to replace it",
                path.display()
            );
        }
    }
    write_atomic(&real, bytes)
}

/// The bytes of `path` when it is a regular file, `None` when nothing is
/// there; an error for anything else.
fn read_regular(path: &Path) -> Result<Option<Vec<u8>>> {
    match atomic::regular_or_absent(path)? {
        Some(_) => Ok(Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)),
        None => Ok(None),
    }
}

/// The manifests of `root` and the folders above it that this user
/// wrote: a manifest another user left in a shared folder (`/tmp`) must
/// not make files below it archport's to replace or delete.
fn manifests_above(root: &Path) -> Result<Vec<(PathBuf, Manifest)>> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    let mut out = Vec::new();
    for dir in root.ancestors() {
        let mine = std::fs::symlink_metadata(dir.join(MANIFEST)).is_ok_and(|m| m.is_file() && m.uid() == me);
        if mine {
            out.push((dir.to_path_buf(), Manifest::read(dir)?));
        }
    }
    Ok(out)
}

/// Takes the folder's lock: an advisory lock on the folder itself, so
/// that locking writes nothing into it. Released when the process ends.
fn lock(root: &Path) -> Result<File> {
    let dir = File::open(root).with_context(|| format!("opening {}", root.display()))?;
    // SAFETY: flock on a file descriptor this function owns.
    if unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        bail!(
            "another archport is writing into {} right now: wait for it to finish, or choose another folder",
            root.display()
        );
    }
    Ok(dir)
}

#[cfg(test)]
mod tests;
