//! `archport port`: write each arch's ported files and its diff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::output::write_atomic;
use crate::pipeline;
use crate::port::Port;
use crate::progress::Progress;

pub fn run(arches: &[Arch], data: &DataArgs, out: &Path, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    let (tree, _) = data.trees(progress)?;
    let templates = data.templates();
    refuse_inside(out, &tree)?;
    let mut failed = Vec::new();
    let mut written = Vec::new();
    for &arch in arches {
        let step = progress.step(format!("porting {arch}"));
        match pipeline::port_arch(arch, &tree, &templates) {
            Ok(p) => {
                write_port(out, &p.port).with_context(|| format!("{arch}: writing under {}", out.display()))?;
                written.push(p.port);
            }
            Err(e) => failed.push(format!("{e:#}")),
        }
        drop(step);
    }
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "out": std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf()),
            "arches": written.iter().map(|p| serde_json::json!({
                "arch": p.arch,
                "files": p.files.iter().map(|f| serde_json::json!({
                    "path": f.path,
                    "deleted": f.after.is_none(),
                })).collect::<Vec<_>>(),
                "diff": out.join(format!("{}.diff", p.arch)),
                "template_lines": p.template_lines,
            })).collect::<Vec<_>>(),
            "errors": failed,
        }))?,
        Format::Text => {
            for p in &written {
                let deleted = p.files.iter().filter(|f| f.after.is_none()).count();
                println!(
                    "{:<11} {} files ({} deleted)  {}",
                    p.arch.name(),
                    p.files.len(),
                    deleted,
                    out.join(format!("{}.diff", p.arch)).display()
                );
            }
        }
    }
    for e in &failed {
        eprintln!("archport: error: {e}");
    }
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// Output must not land inside the input tree.
fn refuse_inside(out: &Path, tree: &Path) -> Result<()> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (o, t) = (abs(out), abs(tree));
    if o.starts_with(&t) {
        anyhow::bail!("--out {} is inside the input tree {}; archport never writes into the tree", o.display(), t.display());
    }
    Ok(())
}

/// Writes `<out>/<arch>/<path>` for each file, `<out>/<arch>/DELETED`
/// listing deletions, and `<out>/<arch>.diff`, replacing the arch's
/// previous output as a whole.
pub fn write_port(out: &Path, port: &Port) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let staging = tempfile::Builder::new().prefix(&format!(".{}-", port.arch)).tempdir_in(out)?;
    let mut deleted = String::new();
    for f in &port.files {
        match &f.after {
            Some(bytes) => write_atomic(&staging.path().join(&f.path), bytes)?,
            None => deleted.push_str(&format!("{}\n", f.path)),
        }
    }
    if !deleted.is_empty() {
        write_atomic(&staging.path().join("DELETED"), deleted.as_bytes())?;
    }
    let dest: PathBuf = out.join(port.arch.name());
    let old = out.join(format!(".{}.old", port.arch));
    if dest.exists() {
        std::fs::rename(&dest, &old)?;
    }
    std::fs::rename(staging.keep(), &dest)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    write_atomic(&out.join(format!("{}.diff", port.arch)), &crate::patch::unified_diff(port))
}
