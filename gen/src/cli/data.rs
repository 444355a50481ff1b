//! Where a command's kernel data comes from: the fetched cache, or a
//! user's own tree, golden tree and golden patch.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use crate::kernel::{self, Action, Fetched, Kernel, KernelCache};
use crate::output::Inputs;
use crate::patch::{parse_patch, Patch};
use crate::progress::Progress;

#[derive(Args, Debug, Clone, Default)]
pub struct DataArgs {
    /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
    /// The tree to port [default: the fetched pre-port tree].
    #[arg(long, value_name = "DIR")]
    pub tree: Option<PathBuf>,
    /// The golden tree to compare with [default: the fetched golden tree].
    #[arg(long, value_name = "DIR")]
    pub golden: Option<PathBuf>,
    /// An arch-templates folder with your own descriptors [default: the project's].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Which fetched kernel to read (6.1 has no golden or pre-port tree).
    #[arg(long = "kernel", value_enum, value_name = "VERSION", default_value_t = Kernel::V5_10)]
    pub kernel_version: Kernel,
}

/// The golden patch, read and parsed, with where it came from.
pub struct GoldenPatch {
    /// The Debian version, or `user patch` for `--golden-patch`.
    pub version: String,
    pub path: PathBuf,
    pub patch: Patch,
}

impl DataArgs {
    /// The fetched kernel with its golden ports, fetching it on first
    /// use; an error for a `--kernel` that has none.
    pub fn kernel(&self, progress: Progress) -> Result<KernelCache> {
        self.fetched(progress)?.golden_ports()
    }

    /// The fetched package `--kernel` names, fetching it on first use.
    pub fn fetched(&self, progress: Progress) -> Result<Fetched> {
        let root = kernel::cache_root(self.cache.as_deref())?;
        kernel::open(&root, self.kernel_version, Action::Use, progress)
    }

    /// The tree given with `--tree`, checked to be a kernel tree.
    pub fn user_tree(&self) -> Result<Option<&Path>> {
        self.tree.as_deref().map(|t| kernel::check_kernel_tree(t).map(|_| t)).transpose()
    }

    /// The tree to port and the golden tree to compare with, fetching
    /// the kernel only when one of them is not given.
    pub fn trees(&self, progress: Progress) -> Result<(PathBuf, PathBuf)> {
        let (tree, golden) = match (&self.tree, &self.golden) {
            (Some(t), Some(g)) => (t.clone(), g.clone()),
            (t, g) => {
                let k = self.kernel(progress)?;
                (t.clone().unwrap_or(k.pre_port), g.clone().unwrap_or(k.golden))
            }
        };
        kernel::check_kernel_tree(&tree)?;
        kernel::check_kernel_tree(&golden)?;
        Ok((tree, golden))
    }

    /// What the trees are, for reports: the Debian version, or `user
    /// trees` when both trees are the user's own.
    pub fn version(&self, progress: Progress) -> Result<String> {
        Ok(match (&self.tree, &self.golden) {
            (Some(_), Some(_)) => "user trees".to_string(),
            _ => self.kernel(progress)?.version,
        })
    }

    /// The folders a command reads and never writes: the trees, the
    /// templates and the kernel cache.
    pub fn inputs(&self, tree: &Path, golden: &Path) -> Result<Inputs> {
        let mut inputs = Inputs::default()
            .add("the input tree", tree)?
            .add("the golden tree", golden)?
            .add("the templates folder", &self.templates())?;
        if let Ok(cache) = kernel::cache_root(self.cache.as_deref()) {
            inputs = inputs.add("the kernel cache", &cache)?;
        }
        Ok(inputs)
    }

    /// The arch-templates folder.
    pub fn templates(&self) -> PathBuf {
        crate::descriptor::templates_root(self.templates.as_deref())
    }

    /// The golden patch: `flag` (a `--golden-patch FILE`), else the
    /// fetched RT patch.
    pub fn golden_patch(&self, flag: Option<&Path>, progress: Progress) -> Result<GoldenPatch> {
        let (version, path) = match flag {
            Some(p) => ("user patch".to_string(), p.to_path_buf()),
            None => {
                let k = self.kernel(progress)?;
                (k.version, k.rt_patch)
            }
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let patch = parse_patch(&bytes).with_context(|| format!("{} is not a usable patch", path.display()))?;
        Ok(GoldenPatch { version, path, patch })
    }
}

/// `--golden-patch`, for the commands that read the golden ports from a
/// patch rather than a tree.
#[derive(Args, Debug, Clone, Default)]
pub struct GoldenPatchArg {
    /// A patch carrying the golden ports [default: the fetched RT patch].
    #[arg(long = "golden-patch", value_name = "FILE")]
    pub path: Option<PathBuf>,
}
