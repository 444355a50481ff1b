//! `archport fetch`: obtain the kernel data and say where it is.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::{print_json, Format, GlobalArgs};
use crate::kernel;
use crate::progress::Progress;

pub fn run(cache: Option<PathBuf>, refresh: bool, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    let root = kernel::cache_root(cache.as_deref())?;
    let k = kernel::ensure(&root, refresh, progress)?;
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": k.version,
            "base": super::absolute(&k.base),
            "golden": super::absolute(&k.golden),
            "pre_port": super::absolute(&k.pre_port),
            "rt_patch": super::absolute(&k.rt_patch),
        }))?,
        Format::Text => {
            println!("{} {}", kernel::PACKAGE, k.version);
            println!("  base      {}", super::absolute(&k.base).display());
            println!("  golden    {}", super::absolute(&k.golden).display());
            println!("  pre-port  {}", super::absolute(&k.pre_port).display());
            println!("  rt patch  {}", super::absolute(&k.rt_patch).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
