//! The cache folder of one package: which entry is current, whether it
//! is whole, and the only code that writes it.
//!
//! `<root>/<package>/current` names a version folder
//! `<root>/<package>/<version>/` holding `meta.json`, the manifests and
//! the trees of the package's layout. Reading takes no lock and writes
//! nothing, so a read-only cache (a shared CI volume) works. What can be
//! rebuilt from what is there is rebuilt, under the lock and only when
//! the cache is writable: a lost `current` or `meta.json`, and with
//! `--repair` the golden and pre-port trees. Damaged trees are reported
//! with their paths and the command that repairs them. A `current`, a
//! version folder or a tree that leads out of the cache is refused.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::entry::{assemble, entry_ported_paths};
use super::lock::{Lock, LockError};
use super::manifest::{self, Problem};
use super::package::{compare_versions, is_version_name, Kernel, Layout, Meta};
use super::{fetch, trees, Fetched, KernelCache, KernelTree};
use crate::output::write_atomic;
use crate::progress::Progress;

/// What `open` may do besides reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Use the cached entry; fetch only when there is none.
    Use,
    /// Ask Debian for a newer version even when an entry exists.
    Refresh,
    /// Read every file against the manifest and rebuild what is damaged:
    /// from what is there when the damage allows, else by downloading
    /// again.
    Repair,
}

/// Returns the package's cached entry, after doing what `action` asks.
pub fn open(root: &Path, kernel: Kernel, action: Action, progress: Progress) -> Result<Fetched> {
    let dir = root.join(kernel.package());
    match action {
        Action::Use => use_entry(&dir, kernel, progress),
        Action::Refresh => {
            let _lock = lock(&dir, kernel, progress)?;
            fetch_new(&dir, kernel, Existing::KeepIfWhole, progress)
        }
        Action::Repair => {
            let _lock = lock(&dir, kernel, progress)?;
            repair(&dir, kernel, progress)
        }
    }
}

/// Reads every file of the cached entry against its manifest. Writes
/// nothing. Returns the entry and the number of paths read.
pub fn verify(root: &Path, kernel: Kernel, progress: Progress) -> Result<(Fetched, usize)> {
    let dir = root.join(kernel.package());
    let Some(version) = current_or_newest(&dir, kernel)? else {
        bail!("{} holds no {}: run `{}`", dir.display(), kernel.package(), command(kernel, ""));
    };
    let entry = dir.join(&version);
    check_structure(&entry, kernel, &version)?;
    let (meta, _) = meta_of(&entry, kernel, &version)?;
    let step = progress.step(format!("fetch: reading every file of {} against its manifest...", entry.display()));
    let Some((problems, checked)) = manifest::check_full(&entry, kernel.layout()).map_err(|e| unreadable(e, kernel))?
    else {
        bail!(
            "{} has no {}: an older archport fetched it, so its files cannot be checked; `{}` downloads {} again \
             and records one",
            entry.display(),
            manifest::FULL,
            command(kernel, "--repair"),
            kernel.package()
        );
    };
    if !problems.is_empty() {
        bail!(damaged(kernel, &entry, "differs from its manifest", &problems));
    }
    if let Some(stale) = manifest::check_quick(&entry).map_err(|e| unreadable(e, kernel))?.filter(|p| !p.is_empty()) {
        bail!(
            "every file of {} matches its manifest, but {} recorded modification times differ ({}/{} {}): was the \
             cache copied without keeping times? `{}` records the new ones",
            entry.display(),
            stale.len(),
            entry.display(),
            stale[0].path,
            stale[0].what,
            command(kernel, "--repair")
        );
    }
    drop(step);
    Ok((fetched(kernel, &entry, meta), checked))
}

/// A metadata file to rewrite from what the package folder holds.
enum Fix {
    /// `current` is missing, or names a folder that is not there.
    Current(String),
    /// `meta.json` is missing, unreadable, or names another version.
    Meta(Meta),
}

/// The current entry of a package folder, checked.
struct Found {
    entry: PathBuf,
    meta: Meta,
    fixes: Vec<Fix>,
}

fn use_entry(dir: &Path, kernel: Kernel, progress: Progress) -> Result<Fetched> {
    if let Some(found) = inspect(dir, kernel)? {
        if found.fixes.is_empty() {
            return Ok(fetched(kernel, &found.entry, found.meta));
        }
        return match Lock::acquire(dir, progress) {
            Ok(_lock) => {
                let again =
                    inspect(dir, kernel)?.ok_or_else(|| anyhow!("{} lost its entry meanwhile", dir.display()))?;
                apply(dir, &again, progress)?;
                Ok(fetched(kernel, &again.entry, again.meta))
            }
            Err(LockError::ReadOnly(_)) => {
                if progress.enabled {
                    eprintln!(
                        "archport: note: {} cannot be written, so what is missing there ({}) is not rebuilt; \
                         using {} as it is",
                        dir.display(),
                        found.fixes.iter().map(|f| fix_name(&found, f)).collect::<Vec<_>>().join(", "),
                        found.entry.display()
                    );
                }
                Ok(fetched(kernel, &found.entry, found.meta))
            }
            Err(LockError::Other(e)) => Err(e),
        };
    }
    let _lock = lock(dir, kernel, progress)?;
    match inspect(dir, kernel)? {
        Some(found) => {
            apply(dir, &found, progress)?;
            Ok(fetched(kernel, &found.entry, found.meta))
        }
        None => fetch_new(dir, kernel, Existing::KeepIfWhole, progress),
    }
}

/// Takes the write lock, saying why a read-only cache cannot serve.
fn lock(dir: &Path, kernel: Kernel, progress: Progress) -> Result<Lock> {
    Lock::acquire(dir, progress).map_err(|e| match e {
        LockError::ReadOnly(e) => e.context(format!(
            "{} needs fetching or repair, which needs a writable cache: run `{}` where {} is writable, or point \
             --cache (ARCHPORT_CACHE) at a writable folder",
            kernel.package(),
            command(kernel, ""),
            dir.display()
        )),
        LockError::Other(e) => e,
    })
}

/// Reads the package folder without writing: the current entry,
/// checked, and the metadata to rewrite. `None` when it holds no entry.
fn inspect(dir: &Path, kernel: Kernel) -> Result<Option<Found>> {
    let mut fixes = Vec::new();
    let named = read_current(dir, kernel)?;
    let version = match named {
        Some(v) if is_folder(&dir.join(&v), kernel)? => v,
        _ => match newest(dir, kernel)? {
            Some(v) => {
                fixes.push(Fix::Current(v.clone()));
                v
            }
            None => return Ok(None),
        },
    };
    let entry = dir.join(&version);
    check_structure(&entry, kernel, &version)?;
    let (meta, fix) = meta_of(&entry, kernel, &version)?;
    fixes.extend(fix);
    let quick = manifest::check_quick(&entry).map_err(|e| unreadable(e, kernel))?;
    if let Some(problems) = quick.filter(|p| !p.is_empty()) {
        bail!(damaged(kernel, &entry, "has changed since it was fetched", &problems));
    }
    Ok(Some(Found { entry, meta, fixes }))
}

/// A manifest that cannot be read, with the remedy.
fn unreadable(e: anyhow::Error, kernel: Kernel) -> anyhow::Error {
    anyhow!("{e:#}; `{}` checks the entry and records it again", command(kernel, "--repair"))
}

fn apply(dir: &Path, found: &Found, progress: Progress) -> Result<()> {
    for fix in &found.fixes {
        let path = match fix {
            Fix::Current(version) => {
                let path = dir.join("current");
                write_atomic(&path, version.as_bytes())?;
                path
            }
            Fix::Meta(meta) => {
                let path = found.entry.join("meta.json");
                write_atomic(&path, &serde_json::to_vec_pretty(meta)?)?;
                path
            }
        };
        if progress.enabled {
            eprintln!("archport: rebuilt {} ({})", path.display(), fix_name(found, fix));
        }
    }
    Ok(())
}

fn fix_name(found: &Found, fix: &Fix) -> String {
    match fix {
        Fix::Current(v) => format!("`current` named no version folder; {v} is the newest there"),
        Fix::Meta(_) => format!("{}/meta.json was missing or did not match the folder", found.entry.display()),
    }
}

/// The version `current` names, refusing anything but a plain version
/// folder name in a regular file.
fn read_current(dir: &Path, kernel: Kernel) -> Result<Option<String>> {
    let current = dir.join("current");
    let m = match current.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", current.display())),
    };
    if m.is_symlink() {
        let target = std::fs::read_link(&current).unwrap_or_default();
        bail!(refuse(&current, &format!("is a symbolic link to {}", target.display()), kernel));
    }
    if !m.is_file() {
        bail!(refuse(&current, "is not a regular file", kernel));
    }
    let text = std::fs::read_to_string(&current).with_context(|| format!("reading {}", current.display()))?;
    let version = text.trim();
    if !is_version_name(version) {
        let what =
            format!("names `{}`, which is not a version folder inside {}", version.escape_debug(), dir.display());
        bail!(refuse(&current, &what, kernel));
    }
    Ok(Some(version.to_string()))
}

fn refuse(path: &Path, what: &str, kernel: Kernel) -> String {
    format!(
        "{} {what}; archport does not follow paths out of its cache: run `{}`, which rewrites it",
        path.display(),
        command(kernel, "--repair")
    )
}

/// Whether `path` is a folder of the cache: `false` when absent, an
/// error when it is a link or not a folder.
fn is_folder(path: &Path, kernel: Kernel) -> Result<bool> {
    match path.symlink_metadata() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        Ok(m) if m.is_symlink() => {
            let target = std::fs::read_link(path).unwrap_or_default();
            bail!(refuse(path, &format!("is a symbolic link to {}", target.display()), kernel))
        }
        Ok(m) if !m.is_dir() => bail!(refuse(path, "is not a folder", kernel)),
        Ok(_) => Ok(true),
    }
}

/// The newest version folder that holds a base tree.
fn newest(dir: &Path, kernel: Kernel) -> Result<Option<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut versions: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| is_version_name(name) && kernel.accepts(name))
        .filter(|name| dir.join(name).join("base").symlink_metadata().is_ok_and(|m| m.is_dir()))
        .collect();
    versions.sort_by(|a, b| compare_versions(b, a));
    Ok(versions.into_iter().next())
}

/// `current`'s version when its folder is there, else the newest.
fn current_or_newest(dir: &Path, kernel: Kernel) -> Result<Option<String>> {
    match read_current(dir, kernel)? {
        Some(v) if is_folder(&dir.join(&v), kernel)? => Ok(Some(v)),
        _ => newest(dir, kernel),
    }
}

/// Every tree and file of the layout is there and is what it should be
/// (a folder, not a link out of the cache).
fn check_structure(entry: &Path, kernel: Kernel, version: &str) -> Result<()> {
    let mut problems = Vec::new();
    let mut parts: Vec<(&str, bool)> = manifest::trees(kernel.layout()).iter().map(|t| (*t, true)).collect();
    if kernel.layout() == Layout::Rt {
        parts.push(("rt.patch", false));
    }
    for (name, folder) in parts {
        let path = entry.join(name);
        let what = match path.symlink_metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("is missing".to_string()),
            Err(e) => Some(format!("cannot be read: {e}")),
            Ok(m) if m.is_symlink() => {
                let target = std::fs::read_link(&path).unwrap_or_default();
                bail!(refuse(&path, &format!("is a symbolic link to {}", target.display()), kernel))
            }
            Ok(m) if folder && !m.is_dir() => Some("is not a folder".to_string()),
            Ok(m) if !folder && !m.is_file() => Some("is not a regular file".to_string()),
            Ok(_) => None,
        };
        if let Some(what) = what {
            problems.push(Problem { path: name.to_string(), what });
        }
    }
    if !problems.is_empty() {
        bail!(damaged(kernel, entry, &format!("({version}) is incomplete"), &problems));
    }
    Ok(())
}

/// The entry's metadata: `meta.json` when it matches the folder, else
/// rebuilt from the manifest's header, or for an entry that has none,
/// from the folder's name once its Makefile shows the right kernel.
fn meta_of(entry: &Path, kernel: Kernel, version: &str) -> Result<(Meta, Option<Fix>)> {
    let expected = Meta { package: kernel.package().to_string(), version: version.to_string() };
    let recorded = manifest::recorded_meta(entry).map_err(|e| unreadable(e, kernel))?;
    if let Some(r) = recorded.as_ref().filter(|r| **r != expected) {
        bail!(
            "{}/{} records {} {}, but its folder is {}: run `{}`",
            entry.display(),
            manifest::FULL,
            r.package,
            r.version,
            version,
            command(kernel, "--repair")
        );
    }
    let path = entry.join("meta.json");
    let meta: Option<Meta> = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if meta.as_ref() == Some(&expected) {
        return Ok((expected, None));
    }
    if recorded.is_none() {
        check_makefile(entry, kernel)?;
    }
    Ok((expected.clone(), Some(Fix::Meta(expected))))
}

fn check_makefile(entry: &Path, kernel: Kernel) -> Result<()> {
    let path = entry.join("base/Makefile");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (version, patchlevel) = kernel.makefile_version();
    let has = |key: &str, value: &str| {
        text.lines().any(|l| l.split_once('=').is_some_and(|(k, v)| k.trim() == key && v.trim() == value))
    };
    if !(has("VERSION", version) && has("PATCHLEVEL", patchlevel)) {
        bail!(
            "{} has neither a usable meta.json nor a manifest, and {} is not Linux {}: remove {} and run `{}`",
            entry.display(),
            path.display(),
            kernel.series(),
            entry.display(),
            command(kernel, "")
        );
    }
    Ok(())
}

fn damaged(kernel: Kernel, entry: &Path, how: &str, problems: &[Problem]) -> String {
    const SHOWN: usize = 5;
    let list: Vec<String> =
        problems.iter().take(SHOWN).map(|p| format!("{}/{} {}", entry.display(), p.path, p.what)).collect();
    let more = match problems.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    // Without a manifest, the base tree cannot be checked to rebuild from.
    let rebuildable = entry.join(manifest::FULL).is_file() && problems.iter().all(|p| is_derived(&p.path));
    let remedy = if rebuildable {
        format!("`{}` rebuilds them from base/ and rt.patch without downloading", command(kernel, "--repair"))
    } else {
        format!("`{}` downloads {} again", command(kernel, "--repair"), kernel.package())
    };
    format!(
        "the cached {} in {} {how}: {}{more}; {remedy} (`{}` reads every file against the manifest)",
        kernel.package(),
        entry.display(),
        list.join("; "),
        command(kernel, "--verify")
    )
}

/// Whether a path of an entry lies in a tree built from the others.
fn is_derived(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or(path);
    first == "golden" || first == "pre-port"
}

/// `archport fetch [--kernel K] FLAG`, for messages.
fn command(kernel: Kernel, flag: &str) -> String {
    let mut c = "archport fetch".to_string();
    if kernel != Kernel::default() {
        c.push_str(&format!(" --kernel {kernel}"));
    }
    if !flag.is_empty() {
        c.push(' ');
        c.push_str(flag);
    }
    c
}

fn fetched(kernel: Kernel, entry: &Path, meta: Meta) -> Fetched {
    match kernel.layout() {
        Layout::Rt => Fetched::Rt(KernelCache::at(entry, meta)),
        Layout::Tree => {
            Fetched::Tree(KernelTree { kernel, package: meta.package, version: meta.version, base: entry.join("base") })
        }
    }
}

/// What to do when a fetch brings a version the cache already has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Keep the cached entry when it passes the checks (a refresh).
    KeepIfWhole,
    /// Replace it (a repair).
    Replace,
}

/// Downloads and builds the package beside the cache, then moves it in
/// and points `current` at it. Runs under the lock.
fn fetch_new(dir: &Path, kernel: Kernel, existing: Existing, progress: Progress) -> Result<Fetched> {
    remove_leftovers(dir);
    let scratch = tempfile::Builder::new()
        .prefix(".fetch-")
        .tempdir_in(dir)
        .with_context(|| format!("creating a scratch folder in {}", dir.display()))?;
    let building = scratch.path().join("entry");
    let meta = fetch::fetch_into(kernel, &building, &scratch.path().join("apt"), progress)?;
    install(dir, kernel, &building, &meta.version, existing)?;
    drop(scratch);
    write_atomic(&dir.join("current"), meta.version.as_bytes())?;
    let found = inspect(dir, kernel)?.ok_or_else(|| {
        anyhow!(
            "{} names no entry after fetching {}: run `{}`",
            dir.display(),
            meta.version,
            command(kernel, "--repair")
        )
    })?;
    Ok(fetched(kernel, &found.entry, found.meta))
}

/// Moves the complete entry `building` to `<dir>/<version>`.
fn install(dir: &Path, kernel: Kernel, building: &Path, version: &str, existing: Existing) -> Result<()> {
    let target = dir.join(version);
    if target.symlink_metadata().is_ok() {
        let whole = is_folder(&target, kernel).unwrap_or(false)
            && check_structure(&target, kernel, version).is_ok()
            && meta_of(&target, kernel, version).is_ok_and(|(_, fix)| fix.is_none())
            && manifest::check_quick(&target).is_ok_and(|p| p.is_none_or(|p| p.is_empty()));
        if existing == Existing::KeepIfWhole && whole {
            return Ok(());
        }
        set_aside(dir, &target)?;
    }
    std::fs::rename(building, &target).with_context(|| format!("moving the fetched trees to {}", target.display()))
}

/// Moves `path` out of the way and removes it (a folder that readers
/// may still hold is gone only when they close it).
fn set_aside(dir: &Path, path: &Path) -> Result<()> {
    let old = tempfile::Builder::new().prefix(".old-").tempdir_in(dir)?;
    std::fs::rename(path, old.path().join("entry")).with_context(|| format!("moving {} aside", path.display()))?;
    old.close().with_context(|| format!("removing the old {}", path.display()))
}

/// Removes scratch folders that a killed fetch or repair left behind;
/// only the lock holder may, since a live one would be its own.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with(".fetch-") || name.starts_with(".old-")) && e.file_type().is_ok_and(|t| t.is_dir()) {
            // Best effort: what cannot be removed now is tried again on
            // the next write, and never read.
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// `--repair`: reads every file against the manifest, rebuilds the
/// derived trees when only they are damaged, re-records the manifest
/// when only times changed, and downloads again otherwise.
fn repair(dir: &Path, kernel: Kernel, progress: Progress) -> Result<Fetched> {
    remove_leftovers(dir);
    // A `current` that is refused is rewritten below, which says so.
    let target = match current_or_newest(dir, kernel) {
        Ok(v) => v,
        Err(_) => newest(dir, kernel)?,
    };
    let Some(version) = target else { return fetch_new(dir, kernel, Existing::Replace, progress) };
    let entry = dir.join(&version);
    let step = progress.step(format!("fetch: reading every file of {} against its manifest...", entry.display()));
    let checked = meta_of(&entry, kernel, &version).and_then(|_| manifest::check_full(&entry, kernel.layout()));
    drop(step);
    let problems = match checked {
        Ok(Some((problems, _))) => problems,
        Ok(None) => return redownload(dir, kernel, &entry, "it has no manifest to check it against", progress),
        Err(e) => return redownload(dir, kernel, &entry, &format!("{e:#}"), progress),
    };
    if let Some(p) = problems.iter().find(|p| !is_derived(&p.path)) {
        return redownload(dir, kernel, &entry, &format!("{}/{} {}", entry.display(), p.path, p.what), progress);
    }
    if problems.is_empty() {
        // Every file is whole: only the quick manifest may be stale,
        // missing or unreadable.
        if !matches!(manifest::check_quick(&entry), Ok(Some(p)) if p.is_empty()) {
            let meta = Meta { package: kernel.package().to_string(), version: version.clone() };
            manifest::write(&entry, &meta, kernel.layout(), &entry_ported_paths(&entry, kernel)?)?;
            note(progress, &format!("recorded {} again", entry.join(manifest::QUICK).display()));
        }
    } else {
        note(progress, &format!("rebuilding the golden and pre-port trees of {}", entry.display()));
        rebuild_derived(dir, kernel, &entry, &version, progress)?;
    }
    let mut fixes = Vec::new();
    if read_current(dir, kernel).ok().flatten().as_deref() != Some(version.as_str()) {
        fixes.push(Fix::Current(version.clone()));
    }
    let (meta, meta_fix) = meta_of(&entry, kernel, &version)?;
    fixes.extend(meta_fix);
    apply(dir, &Found { entry: entry.clone(), meta, fixes }, progress)?;
    let found = inspect(dir, kernel)?.ok_or_else(|| anyhow!("{} holds no entry after the repair", dir.display()))?;
    Ok(fetched(kernel, &found.entry, found.meta))
}

fn redownload(dir: &Path, kernel: Kernel, entry: &Path, why: &str, progress: Progress) -> Result<Fetched> {
    note(progress, &format!("{why}: downloading {} again", kernel.package()));
    let fresh = fetch_new(dir, kernel, Existing::Replace, progress)?;
    if entry.exists() && !fresh.base().starts_with(entry) {
        set_aside(dir, entry)?;
    }
    Ok(fresh)
}

/// Builds a new entry from the verified `base/` and `rt.patch` of
/// `entry` and puts it in its place.
fn rebuild_derived(dir: &Path, kernel: Kernel, entry: &Path, version: &str, progress: Progress) -> Result<()> {
    let scratch = tempfile::Builder::new().prefix(".fetch-").tempdir_in(dir)?;
    let building = scratch.path().join("entry");
    trees::link_tree(&entry.join("base"), &building.join("base"))?;
    std::fs::hard_link(entry.join("rt.patch"), building.join("rt.patch"))
        .with_context(|| format!("linking {}", entry.join("rt.patch").display()))?;
    assemble(&building, kernel, version, progress)?;
    install(dir, kernel, &building, version, Existing::Replace)
}

fn note(progress: Progress, message: &str) {
    if progress.enabled {
        eprintln!("archport: {message}");
    }
}
