//! Gathering what the report shows about one ported arch: its review
//! against the golden tree, its hooks, the model's verdicts, its patch.

use std::path::Path;

use anyhow::Result;
use archport_generic::model::Bounds;

use super::{ArchEntry, HookEntry, ModelEntry};
use crate::descriptor::{ArchSpec, HookBody};
use crate::pipeline;
use crate::verify::{self, contract, ArchVerdict, Outcome, TreePort};

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

/// The model's verdicts on the generated port and on the golden hooks
/// (each against the golden tree's generic code, the 5.10 one).
pub fn model_entry(p: &pipeline::Ported, golden: &Path) -> Result<ModelEntry> {
    let spec = &p.spec;
    let golden_contract = contract::read(golden)?;
    let contract = &golden_contract.contract;
    let bounds = Bounds::standard();
    let ours = verify::check(spec.arch, &p.model, contract, &bounds)?;
    let theirs = match verify::tree_port(spec, golden, contract)? {
        TreePort::Read(port) => verify::check(spec.arch, &port, contract, &bounds)?,
        TreePort::Unmodelled(what) => ArchVerdict::without_check(spec.arch, Outcome::Unmodelled { what }, Vec::new()),
        TreePort::NotPorted(why) => ArchVerdict::without_check(spec.arch, Outcome::NotPorted { why }, Vec::new()),
        TreePort::NotInTree => ArchVerdict::without_check(spec.arch, Outcome::NotInTree, Vec::new()),
    };
    let detail = |v: &ArchVerdict| match &v.outcome {
        Outcome::Proved => format!("{} states explored", v.states),
        Outcome::Counterexample { property, .. } => format!("breaks \"{property}\" ({} states explored)", v.states),
        Outcome::Unmodelled { what } => format!("unmodelled C: {}", what.join("; ")),
        Outcome::NotPorted { why } => format!("not ported: {why}"),
        Outcome::NotInTree => "not in the tree".to_string(),
    };
    let trace = |v: &ArchVerdict| match &v.outcome {
        Outcome::Counterexample { trace, .. } => Some(trace.to_string()),
        _ => None,
    };
    Ok(ModelEntry {
        status: ours.status(),
        detail: detail(&ours),
        trace: trace(&ours),
        golden_status: theirs.status(),
        golden_detail: detail(&theirs),
        golden_trace: trace(&theirs),
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
