//! `archport report --html FILE`: the review report.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use super::{DataArgs, GlobalArgs};
use crate::arch::Arch;
use crate::descriptor::ArchSpec;
use crate::pipeline;
use crate::progress::Progress;
use crate::report::{self, ArchEntry, HookEntry, ModelEntry};
use crate::verify;
use archport_generic::model::Variant;

pub fn run(arches: &[Arch], data: &DataArgs, html: &Path, global: &GlobalArgs, progress: Progress) -> Result<ExitCode> {
    // A mistyped folder is an error, not a new folder.
    if let Some(dir) = html.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
        anyhow::bail!("--html {}: the folder {} does not exist", html.display(), dir.display());
    }
    let (tree, golden) = data.trees(progress)?;
    let version = data.version(progress)?;
    let templates = data.templates();
    let mut entries = Vec::new();
    for &arch in arches {
        let step = progress.step(format!("reviewing {arch}"));
        let p = pipeline::port_arch(arch, &tree, &templates)?;
        entries.push(arch_entry(&p, &tree, &golden)?);
        drop(step);
    }
    let page = report::render(&version, &entries)?;
    crate::output::write_atomic(html, page.as_bytes())?;
    match global.format {
        super::Format::Json => super::print_json(&serde_json::json!({
            "html": super::absolute(html),
            "arches": entries.iter().map(|e| serde_json::json!({
                "arch": e.review.arch,
                "verdict": e.review.verdict,
                "model": e.model.status,
            })).collect::<Vec<_>>(),
        }))?,
        super::Format::Text if !global.quiet => println!("wrote {} ({} arches)", html.display(), entries.len()),
        super::Format::Text => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Everything the report shows about one ported arch: its review
/// against the golden tree, its hooks, the model's verdicts, and its
/// diff (which `run` replaces with the series' patch).
pub fn arch_entry(p: &pipeline::Ported, tree: &Path, golden: &Path) -> Result<ArchEntry> {
    Ok(ArchEntry {
        review: pipeline::review(p, tree, golden)?,
        hooks: hook_entries(&p.spec),
        model: model_entry(p, golden)?,
        patch: String::from_utf8_lossy(&crate::patch::unified_diff(&p.port)).into_owned(),
    })
}

/// The model's verdicts on the generated port and on the golden hooks.
pub fn model_entry(p: &pipeline::Ported, golden: &Path) -> Result<ModelEntry> {
    let spec = &p.spec;
    let ours = verify::check(spec.arch, &p.model, Variant::Merged)?;
    let theirs = match verify::tree_port(spec, golden)? {
        Ok(port) => verify::check(spec.arch, &port, Variant::Merged)?,
        Err(what) => verify::unmodelled(spec.arch, what),
    };
    let detail = |v: &verify::ArchVerdict| match v.status {
        verify::Status::Proved => format!("{} states explored", v.states),
        verify::Status::Counterexample => {
            format!("breaks \"{}\" ({} states explored)", v.property.as_deref().unwrap_or("?"), v.states)
        }
        verify::Status::Unmodelled => format!("unmodelled C: {}", v.unmodelled.join("; ")),
    };
    Ok(ModelEntry {
        status: ours.status,
        detail: detail(&ours),
        trace: ours.trace.clone(),
        golden_status: theirs.status,
        golden_detail: detail(&theirs),
        golden_trace: theirs.trace.clone(),
    })
}

/// The hooks of a descriptor as the report lists them.
pub fn hook_entries(spec: &ArchSpec) -> Vec<HookEntry> {
    spec.hooks()
        .into_iter()
        .map(|(hook, h)| HookEntry {
            c_name: hook.c_name().to_string(),
            effects: h
                .effects
                .iter()
                .map(|e| {
                    let g = e.guarded();
                    match g.when {
                        Some(c) => format!(
                            "{} (when {})",
                            g.effect,
                            serde_json::to_value(c).unwrap_or_default().as_str().unwrap_or("?")
                        ),
                        None => g.effect.to_string(),
                    }
                })
                .collect(),
            c: match (&h.c, &h.prototype, &h.template) {
                (Some(c), _, _) => c.trim().to_string(),
                (_, Some(p), _) => p.clone(),
                (_, _, Some(t)) => format!("(template {t})"),
                _ => String::new(),
            },
        })
        .collect()
}
