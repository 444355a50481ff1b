//! The real kernel data: where the trees and the RT patch come from.
//!
//! By default they come from Debian's `linux-source-5.10` package, fetched
//! on first use into a cache (`--cache`, `ARCHPORT_CACHE`, or
//! `$XDG_CACHE_HOME/archport`); `--kernel 6.1` fetches bookworm's
//! `linux-source-6.1`, a later tree that is already ported, into the same
//! cache. A user with their own checkout points at it instead with
//! `--tree`, `--golden` and `--golden-patch`.

mod cache;
mod entry;
mod fetch;
mod lock;
mod manifest;
mod mirror;
mod package;
pub mod trees;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::progress::Progress;

pub use cache::{open, verify, Action};
pub use entry::assemble;
pub use mirror::{find_mirror, Mirror};
pub use package::{Kernel, Layout, Meta};

/// One fetched 5.10 kernel: the three trees and the RT patch.
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

/// One fetched kernel whose tree is already ported (6.1): the tree as
/// shipped, and nothing derived from it.
#[derive(Clone, Debug, Serialize)]
pub struct KernelTree {
    pub kernel: Kernel,
    pub package: String,
    pub version: String,
    pub base: PathBuf,
}

/// A fetched package, as its layout holds it.
#[derive(Clone, Debug)]
pub enum Fetched {
    /// The 5.10 package: base tree, RT patch, golden and pre-port trees.
    Rt(KernelCache),
    /// A later package: its tree alone.
    Tree(KernelTree),
}

impl Fetched {
    pub fn kernel(&self) -> Kernel {
        match self {
            // The RT layout is the 5.10 package's.
            Fetched::Rt(_) => Kernel::V5_10,
            Fetched::Tree(t) => t.kernel,
        }
    }

    pub fn version(&self) -> &str {
        match self {
            Fetched::Rt(k) => &k.version,
            Fetched::Tree(t) => &t.version,
        }
    }

    /// The tree as the package ships it.
    pub fn base(&self) -> &Path {
        match self {
            Fetched::Rt(k) => &k.base,
            Fetched::Tree(t) => &t.base,
        }
    }

    /// The tree whose arches are ported to kmap_local: the golden tree,
    /// or the later tree itself.
    pub fn ported_tree(&self) -> &Path {
        match self {
            Fetched::Rt(k) => &k.golden,
            Fetched::Tree(t) => &t.base,
        }
    }

    /// The golden ports' trees and patch; an error naming the package
    /// when it has none.
    pub fn golden_ports(self) -> Result<KernelCache> {
        match self {
            Fetched::Rt(k) => Ok(k),
            Fetched::Tree(t) => bail!(
                "{} {} carries no golden ports (its tree is already ported), so there is no golden or pre-port \
                 tree: use --kernel {}, or --tree and --golden",
                t.package,
                t.version,
                Kernel::V5_10
            ),
        }
    }
}

/// The 5.10 kernel with its golden ports, fetching it on first use (or
/// looking for a newer one with `refresh`).
pub fn ensure(root: &Path, refresh: bool, progress: Progress) -> Result<KernelCache> {
    let action = if refresh { Action::Refresh } else { Action::Use };
    open(root, Kernel::V5_10, action, progress)?.golden_ports()
}

/// The cache root: `--cache`, else `ARCHPORT_CACHE`, else
/// `$XDG_CACHE_HOME/archport`, else `~/.cache/archport`. An empty
/// variable counts as unset.
pub fn cache_root(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag.filter(|p| !p.as_os_str().is_empty()) {
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
