//! The real kernel data: where the trees and the RT patch come from.
//!
//! By default they come from Debian's `linux-source-5.10` package, fetched
//! on first use into a cache (`--cache`, `ARCHPORT_CACHE`, or
//! `$XDG_CACHE_HOME/archport`). A user with their own checkout points at
//! it instead with `--tree`, `--golden` and `--golden-patch`.

mod fetch;
mod mirror;
pub mod trees;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::progress::Progress;

pub use mirror::{find_mirror, Mirror};

/// The Debian package that carries both the tree and the RT patch.
pub const PACKAGE: &str = "linux-source-5.10";
/// The suites it is fetched from.
pub const SUITES: [&str; 2] = ["bullseye", "bullseye-security"];

/// What a fetched cache entry records about itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub package: String,
    pub version: String,
}

/// One fetched kernel: the three trees and the RT patch.
#[derive(Clone, Debug, Serialize)]
pub struct KernelCache {
    pub version: String,
    pub base: PathBuf,
    pub golden: PathBuf,
    pub pre_port: PathBuf,
    pub rt_patch: PathBuf,
}

impl KernelCache {
    fn at(dir: &Path, meta: Meta) -> KernelCache {
        KernelCache {
            version: meta.version,
            base: dir.join("base"),
            golden: dir.join("golden"),
            pre_port: dir.join("pre-port"),
            rt_patch: dir.join("rt.patch"),
        }
    }
}

/// The cache root: `--cache`, else `ARCHPORT_CACHE`, else
/// `$XDG_CACHE_HOME/archport`, else `~/.cache/archport`.
pub fn cache_root(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = env("ARCHPORT_CACHE") {
        return Ok(p);
    }
    if let Some(p) = env("XDG_CACHE_HOME") {
        return Ok(p.join("archport"));
    }
    match env("HOME") {
        Some(home) => Ok(home.join(".cache/archport")),
        None => bail!("no cache folder: set --cache, ARCHPORT_CACHE, XDG_CACHE_HOME or HOME"),
    }
}

/// Returns the cached kernel, fetching it first if the cache has none
/// (or `refresh` is asked for and the cached one is to be replaced).
pub fn ensure(root: &Path, refresh: bool, progress: Progress) -> Result<KernelCache> {
    let dir = root.join(PACKAGE);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating the cache folder {}", dir.display()))?;
    // One fetch at a time per cache: parallel test binaries and users
    // share it, and the second one must find the first one's result.
    let lock = File::create(dir.join(".lock"))?;
    lock.lock().with_context(|| format!("locking {}", dir.display()))?;

    let current = dir.join("current");
    if !refresh {
        if let Some(found) = read_current(&dir, &current)? {
            return Ok(found);
        }
    }
    let scratch = tempfile::Builder::new().prefix(".fetch-").tempdir_in(&dir)?;
    let building = scratch.path().join("tree");
    let fetched = fetch::fetch_into(&building, &scratch.path().join("apt"), progress)?;
    let final_dir = dir.join(&fetched.version);
    if final_dir.exists() {
        // A refresh that found the same version: keep the cached trees.
        drop(scratch);
    } else {
        std::fs::rename(&building, &final_dir)
            .with_context(|| format!("moving the fetched trees to {}", final_dir.display()))?;
    }
    crate::output::write_atomic(&current, fetched.version.as_bytes())?;
    read_current(&dir, &current)?.context("the fetched cache entry cannot be read back")
}

fn read_current(dir: &Path, current: &Path) -> Result<Option<KernelCache>> {
    let Ok(version) = std::fs::read_to_string(current) else {
        return Ok(None);
    };
    let entry = dir.join(version.trim());
    let Ok(meta) = std::fs::read(entry.join("meta.json")) else {
        return Ok(None);
    };
    let meta: Meta = serde_json::from_slice(&meta).with_context(|| format!("reading {}/meta.json", entry.display()))?;
    Ok(Some(KernelCache::at(&entry, meta)))
}

/// Refuses a folder that is not a kernel source tree, with the reason.
pub fn check_kernel_tree(dir: &Path) -> Result<()> {
    // Read as any tree file is: a FIFO or a huge file there is no Makefile.
    let makefile = crate::input::read_optional(&dir.join("Makefile")).ok().flatten().unwrap_or_default();
    let makefile = String::from_utf8_lossy(&makefile);
    let reason = if !dir.is_dir() {
        Some("no such folder")
    } else if !makefile.lines().any(|l| l.starts_with("VERSION =")) {
        Some("no top-level Makefile with `VERSION =`")
    } else if !dir.join("arch").is_dir() || !dir.join("mm").is_dir() {
        Some("no arch/ and mm/ folders")
    } else {
        None
    };
    match reason {
        Some(r) => bail!("{} is not a Linux kernel tree: {r}", dir.display()),
        None => Ok(()),
    }
}
