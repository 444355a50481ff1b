//! Gathering what the report shows about one ported arch: its review
//! against the golden tree, its hooks, the model's verdicts, its patch.

use std::path::Path;

use anyhow::Result;
use archport_generic::model::Variant;

use super::{ArchEntry, HookEntry, ModelEntry};
use crate::descriptor::{ArchSpec, HookBody};
use crate::pipeline;
use crate::verify;

/// Everything the report shows about one ported arch; `patch` is its
/// diff (which `run` replaces with the series' mail).
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
        .map(|(hook, h)| HookEntry {
            c_name: hook.c_name().to_string(),
            effects: h
                .effects
                .iter()
                .map(|g| match g.when {
                    Some(c) => format!(
                        "{} (when {})",
                        g.effect,
                        serde_json::to_value(c).unwrap_or_default().as_str().unwrap_or("?")
                    ),
                    None => g.effect.to_string(),
                })
                .collect(),
            c: match &h.body {
                HookBody::C(c) => c.trim().to_string(),
                HookBody::Function { prototype, .. } => prototype.clone(),
                HookBody::Template(t) => format!("(template {t})"),
            },
        })
        .collect()
}
