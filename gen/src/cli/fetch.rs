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
    let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "version": k.version,
            "base": abs(&k.base),
            "golden": abs(&k.golden),
            "pre_port": abs(&k.pre_port),
            "rt_patch": abs(&k.rt_patch),
        }))?,
        Format::Text => {
            println!("{} {}", kernel::PACKAGE, k.version);
            println!("  base      {}", abs(&k.base).display());
            println!("  golden    {}", abs(&k.golden).display());
            println!("  pre-port  {}", abs(&k.pre_port).display());
            println!("  rt patch  {}", abs(&k.rt_patch).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
