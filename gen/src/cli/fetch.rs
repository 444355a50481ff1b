//! `archport fetch`: obtain the kernel data, check or repair it, and say
//! where it is.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{emit, print_json, shown_path, Format, GlobalArgs};
use crate::kernel::{self, Action, Fetched, Kernel};

pub const AFTER_HELP: &str = "Examples:\n  archport fetch --format json\n  archport fetch --kernel 6.1      # bookworm's linux-source-6.1, \
one tree\n  archport fetch --verify          # read every file against the manifest\n\nA second run finds the cache and \
returns at once; --refresh asks Debian for a newer 5.10.x; --repair rebuilds what is damaged.";

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
    /// Which kernel to fetch.
    #[arg(long = "kernel", value_enum, value_name = "VERSION", default_value_t = Kernel::V5_10)]
    pub kernel: Kernel,
    /// Look for a newer package even when a cached tree exists.
    #[arg(long, conflicts_with_all = ["verify", "repair"])]
    pub refresh: bool,
    /// Read every file of the cached trees against the manifest recorded when they were fetched
    /// (every use checks only the files archport reads most, by size and time).
    #[arg(long, conflicts_with = "repair")]
    pub verify: bool,
    /// Check every file and rebuild what is damaged: the golden and pre-port trees from the base
    /// tree and the RT patch, a lost `current` or `meta.json` from what is there; download again
    /// only when the base tree or the RT patch is damaged.
    #[arg(long)]
    pub repair: bool,
}

pub fn run(args: &FetchArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let progress = global.progress();
    let root = kernel::cache_root(args.cache.as_deref())?;
    let (k, verified) = if args.verify {
        let (k, n) = kernel::verify(&root, args.kernel, progress)?;
        (k, Some(n))
    } else {
        let action = match (args.refresh, args.repair) {
            (true, _) => Action::Refresh,
            (_, true) => Action::Repair,
            _ => Action::Use,
        };
        (kernel::open(&root, args.kernel, action, progress)?, None)
    };
    match global.format {
        Format::Json => print_json(&json(&k, verified))?,
        Format::Text => emit(&text(&k, verified)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn text(k: &Fetched, verified: Option<usize>) -> Result<String> {
    let mut out = format!("{} {}\n", k.kernel().package(), k.version());
    match k {
        Fetched::Rt(k) => {
            writeln!(out, "  base      {}", shown_path(&k.base))?;
            writeln!(out, "  golden    {}", shown_path(&k.golden))?;
            writeln!(out, "  pre-port  {}", shown_path(&k.pre_port))?;
            writeln!(out, "  rt patch  {}", shown_path(&k.rt_patch))?;
        }
        Fetched::Tree(t) => writeln!(out, "  base      {}", shown_path(&t.base))?,
    }
    if let Some(n) = verified {
        writeln!(out, "  verified  {n} paths, every byte, against the manifest")?;
    }
    Ok(out)
}

fn json(k: &Fetched, verified: Option<usize>) -> serde_json::Value {
    let mut v = match k {
        Fetched::Rt(k) => serde_json::json!({
            "package": Kernel::V5_10.package(),
            "version": k.version,
            "base": shown_path(&k.base),
            "golden": shown_path(&k.golden),
            "pre_port": shown_path(&k.pre_port),
            "rt_patch": shown_path(&k.rt_patch),
        }),
        Fetched::Tree(t) => serde_json::json!({
            "package": t.package,
            "version": t.version,
            "base": shown_path(&t.base),
        }),
    };
    if let Some(n) = verified {
        v["verified_paths"] = n.into();
    }
    v
}
