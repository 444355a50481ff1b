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
    let mut already = Vec::new();
    for &arch in arches {
        let step = progress.step(format!("porting {arch}"));
        match pipeline::already_ported(arch, &tree, &templates) {
            Ok(Some(evidence)) => {
                already.push((arch, evidence));
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                failed.push(format!("{e:#}"));
                continue;
            }
        }
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
            "already_ported": already.iter().map(|(a, e)| serde_json::json!({"arch": a, "evidence": e})).collect::<Vec<_>>(),
            "errors": failed,
        }))?,
        Format::Text => {
            for (arch, evidence) in &already {
                println!("{:<11} already ported, nothing written ({evidence})", arch.name());
            }
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
/// listing deletions, and `<out>/<arch>.diff`. Every file is written
/// atomically, so an interrupted run leaves each file old or new, never
/// torn; files of an earlier run that this one does not produce are
/// removed last.
pub fn write_port(out: &Path, port: &Port) -> Result<()> {
    let dest: PathBuf = out.join(port.arch.name());
    let mut keep = Vec::new();
    let mut deleted = String::new();
    for f in &port.files {
        match &f.after {
            Some(bytes) => {
                let path = dest.join(&f.path);
                write_atomic(&path, bytes)?;
                keep.push(path);
            }
            None => deleted.push_str(&format!("{}\n", f.path)),
        }
    }
    if !deleted.is_empty() {
        write_atomic(&dest.join("DELETED"), deleted.as_bytes())?;
        keep.push(dest.join("DELETED"));
    }
    write_atomic(&out.join(format!("{}.diff", port.arch)), &crate::patch::unified_diff(port))?;
    remove_stale(&dest, &keep)
}

fn remove_stale(dest: &Path, keep: &[PathBuf]) -> Result<()> {
    for entry in walkdir::WalkDir::new(dest).contents_first(true).into_iter().filter_map(|e| e.ok()) {
        let p = entry.path();
        if entry.file_type().is_dir() {
            // Only removes empty folders.
            let _ = std::fs::remove_dir(p);
        } else if !keep.iter().any(|k| k == p) {
            std::fs::remove_file(p).with_context(|| format!("removing stale {}", p.display()))?;
        }
    }
    Ok(())
}
