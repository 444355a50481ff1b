//! `archport fetch`: obtain the kernel data and say where it is.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{emit, print_json, shown_path, Format, GlobalArgs};
use crate::kernel;

pub const AFTER_HELP: &str =
    "Example:\n  archport fetch --format json\n\nA second run finds the cache and returns at once; \
--refresh asks Debian for a newer 5.10.x.";

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Cache folder for the fetched kernel [default: $XDG_CACHE_HOME/archport].
    #[arg(long, value_name = "DIR", env = "ARCHPORT_CACHE")]
    pub cache: Option<PathBuf>,
    /// Look for a newer package even when a cached tree exists.
    #[arg(long)]
    pub refresh: bool,
}

pub fn run(args: &FetchArgs, global: &GlobalArgs) -> Result<ExitCode> {
    let root = kernel::cache_root(args.cache.as_deref())?;
    let k = kernel::ensure(&root, args.refresh, global.progress())?;
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": k.version,
            "base": shown_path(&k.base),
            "golden": shown_path(&k.golden),
            "pre_port": shown_path(&k.pre_port),
            "rt_patch": shown_path(&k.rt_patch),
        }))?,
        Format::Text => emit(&format!(
            "{} {}\n  base      {}\n  golden    {}\n  pre-port  {}\n  rt patch  {}\n",
            kernel::PACKAGE,
            k.version,
            shown_path(&k.base),
            shown_path(&k.golden),
            shown_path(&k.pre_port),
            shown_path(&k.rt_patch)
        ))?,
    }
    Ok(ExitCode::SUCCESS)
}
