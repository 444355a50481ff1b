//! Checking ports with the executable model: the hooks a descriptor
//! declares (the generated port), or the hooks a tree defines (any port,
//! the golden ones included), run against the generic kmap_local code.

mod c_hooks;
pub mod call_sites;

use std::path::Path;

use anyhow::{bail, Context, Result};
use archport_generic::model::{self, Bounds, Case, PortSpec, Variant};
use archport_generic::Hook;
use serde::Serialize;

use crate::arch::Arch;
use crate::descriptor::ArchSpec;
use crate::port::Port;

pub use c_hooks::{effects_of, find_hooks, hook_definition_ranges, FoundHook};

/// What the model says of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every property holds within the bounds.
    Proved,
    /// A property breaks; the verdict carries the shortest trace.
    Counterexample,
    /// The hooks' C cannot be read as effects; nothing was checked.
    Unmodelled,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Proved => "proved",
            Status::Counterexample => "counterexample",
            Status::Unmodelled => "unmodelled",
        })
    }
}

/// The outcome for one arch.
#[derive(Clone, Debug, Serialize)]
pub struct ArchVerdict {
    pub arch: Arch,
    pub status: Status,
    pub states: usize,
    pub bounds: String,
    /// The property broken, for a counterexample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The shortest trace, step by step, for a counterexample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// What could not be mapped to effects, for an unmodelled port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmodelled: Vec<String>,
    /// What the model saw happen without harm in a proved port, each with
    /// its shortest trace (nds32's post_map redirected by an interrupt).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
}

impl ArchVerdict {
    pub fn is_proved(&self) -> bool {
        self.status == Status::Proved
    }
}

/// The port a descriptor declares, as the model sees it.
pub fn declared_port(spec: &ArchSpec) -> PortSpec {
    let mut port = PortSpec::new(spec.descriptor.facts);
    for (hook, h) in spec.hooks() {
        let effects: Vec<_> = h.effects.iter().map(|e| e.guarded()).collect();
        port = port.with_hook(hook, &effects);
    }
    port
}

/// The port a header defines: its `arch_kmap_local_*` hooks mapped to
/// effects with the descriptor's `[c_effects]`, on the descriptor's
/// hardware facts. `Err` lists what could not be mapped.
pub fn header_port(spec: &ArchSpec, header: &[u8]) -> Result<PortSpec, Vec<String>> {
    let mut port = PortSpec::new(spec.descriptor.facts);
    let mut unmodelled = Vec::new();
    for found in find_hooks(header) {
        match effects_of(&found.tokens, &spec.descriptor.c_effects, &spec.descriptor.facts) {
            Ok(effects) => port = port.with_hook(found.hook, &effects),
            Err(what) => unmodelled.push(format!("{}: {}", found.hook.c_name(), what.join(", "))),
        }
    }
    if unmodelled.is_empty() {
        Ok(port)
    } else {
        Err(unmodelled)
    }
}

/// Where an arch's hooks live.
pub fn hooks_header(arch: Arch) -> String {
    format!("{}include/asm/highmem.h", arch.dir())
}

/// The port a tree defines (`arch/<arch>/include/asm/highmem.h`).
pub fn tree_port(spec: &ArchSpec, tree: &Path) -> Result<Result<PortSpec, Vec<String>>> {
    let path = tree.join(hooks_header(spec.arch));
    let header = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(header_port(spec, &header))
}

/// The port the generated files define, read back from the generated
/// hooks header, the C the series would send. It must say what the
/// descriptor declares: a descriptor whose C does something else than
/// its `effects` is an error, never checked by its declaration alone.
pub fn generated_port(spec: &ArchSpec, port: &Port) -> Result<PortSpec> {
    let path = hooks_header(spec.arch);
    let header = port
        .files
        .iter()
        .find(|f| f.path == path)
        .and_then(|f| f.after.as_deref())
        .with_context(|| format!("{}: the port does not write {path}, where its hooks belong", spec.arch))?;
    let generated = header_port(spec, header).map_err(|what| {
        anyhow::anyhow!("{}: the generated hooks in {path} cannot be modelled: {}", spec.arch, what.join("; "))
    })?;
    let declared = declared_port(spec);
    for hook in Hook::ALL {
        let (ours, says) = (generated.hooks.get(&hook), declared.hooks.get(&hook));
        if ours != says {
            bail!(
                "{}: {} in the generated {path} performs {} but the descriptor declares {}",
                spec.arch,
                hook.c_name(),
                describe(ours),
                describe(says)
            );
        }
    }
    Ok(generated)
}

fn describe(effects: Option<&Vec<archport_generic::GuardedEffect>>) -> String {
    match effects {
        None => "nothing (the generic default)".into(),
        Some(list) if list.is_empty() => "no effect".into(),
        Some(list) => list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// The cases a port is checked in: chosen by its hardware facts alone
/// (`model::cases`), within `bounds`.
pub fn bounds_for(port: &PortSpec, bounds: &Bounds) -> Vec<Case> {
    model::cases(&port.facts, bounds)
}

/// Checks a port against a variant of the 5.10 generic code within the
/// standard bounds.
pub fn check(arch: Arch, port: &PortSpec, variant: Variant) -> Result<ArchVerdict> {
    check_within(arch, port, variant, &Bounds::standard())
}

/// Checks a port against a variant of the 5.10 generic code within
/// `bounds` (`Bounds::deep()` for the deep profile), every case on its
/// own core where there are several.
pub fn check_within(arch: Arch, port: &PortSpec, variant: Variant, bounds: &Bounds) -> Result<ArchVerdict> {
    let contract = variant.contract();
    let cases = bounds_for(port, bounds);
    let verdicts = model::check_all(port, &contract, &cases).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
    let mut states = 0;
    let mut shown = Vec::new();
    let mut witnesses = Vec::new();
    for verdict in verdicts {
        states += verdict.states();
        let case = verdict.case();
        shown.push(format!("{case}; KM_MAX_IDX {}", contract.km_max_idx(case.debug_highmem)));
        match verdict {
            model::Verdict::Counterexample { property, trace, .. } => {
                return Ok(ArchVerdict {
                    arch,
                    status: Status::Counterexample,
                    states,
                    bounds: shown.join(" | "),
                    property: Some(property.to_string()),
                    trace: Some(trace.to_string()),
                    unmodelled: Vec::new(),
                    witnesses: Vec::new(),
                });
            }
            model::Verdict::Proved { witnesses: seen, .. } => {
                witnesses.extend(seen.iter().map(|w| format!("{}:\n{}", w.remark.statement(), w.trace)));
            }
        }
    }
    witnesses.dedup();
    Ok(ArchVerdict {
        arch,
        status: Status::Proved,
        states,
        bounds: shown.join(" | "),
        property: None,
        trace: None,
        unmodelled: vec![],
        witnesses,
    })
}

/// A port that could not be mapped to the model.
pub fn unmodelled(arch: Arch, what: Vec<String>) -> ArchVerdict {
    ArchVerdict {
        arch,
        status: Status::Unmodelled,
        states: 0,
        bounds: String::new(),
        property: None,
        trace: None,
        unmodelled: what,
        witnesses: Vec::new(),
    }
}
