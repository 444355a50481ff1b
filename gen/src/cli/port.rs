//! `archport port`: write each arch's ported files and its diff.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{print_json, DataArgs, Format, GlobalArgs};
use crate::arch::Arch;
use crate::pipeline;
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
                crate::outdir::write(out, &p.port)
                    .with_context(|| format!("{arch}: writing under {}", out.display()))?;
                written.push(p.port);
            }
            Err(e) => failed.push(format!("{e:#}")),
        }
        drop(step);
    }
    match global.format {
        Format::Json => print_json(&serde_json::json!({
            "out": super::absolute(out),
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
pub(super) fn refuse_inside(out: &Path, tree: &Path) -> Result<()> {
    let (o, t) = (super::absolute(out), super::absolute(tree));
    if o.starts_with(&t) {
        anyhow::bail!(
            "--out {} is inside the input tree {}; archport never writes into the tree",
            o.display(),
            t.display()
        );
    }
    Ok(())
}
