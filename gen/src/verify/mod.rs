//! Checking ports with the executable model: the hooks a descriptor
//! declares (the generated port), or the hooks a tree defines (any port,
//! the golden ones included), run against the generic kmap_local code.

mod c_hooks;
pub mod call_sites;

use std::path::Path;

use anyhow::{Context, Result};
use archport_generic::model::{self, Bounds, PortSpec, Scenario, Variant};
use archport_generic::Hook;
use serde::Serialize;

use crate::arch::Arch;
use crate::descriptor::ArchSpec;

pub use c_hooks::{effects_of, find_hooks, FoundHook};

/// The outcome for one arch.
#[derive(Clone, Debug, Serialize)]
pub struct ArchVerdict {
    pub arch: Arch,
    /// `proved`, `counterexample` or `unmodelled`.
    pub status: &'static str,
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
}

impl ArchVerdict {
    pub fn is_proved(&self) -> bool {
        self.status == "proved"
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

/// The port a tree defines: the hooks in `arch/<arch>/include/asm/highmem.h`
/// mapped to effects with the descriptor's `[c_effects]`, on the
/// descriptor's hardware facts. `Err` lists what could not be mapped.
pub fn tree_port(spec: &ArchSpec, tree: &Path) -> Result<Result<PortSpec, Vec<String>>> {
    let path = tree.join(spec.arch.dir()).join("include/asm/highmem.h");
    let header = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut port = PortSpec::new(spec.descriptor.facts);
    let mut unmodelled = Vec::new();
    for found in find_hooks(&header) {
        match effects_of(&found.tokens, &spec.descriptor.c_effects) {
            Ok(effects) => port = port.with_hook(found.hook, &effects),
            Err(calls) => unmodelled.push(format!("{}: {}", found.hook.c_name(), calls.join(", "))),
        }
    }
    Ok(if unmodelled.is_empty() { Ok(port) } else { Err(unmodelled) })
}

/// The bounds a port is checked within: the standard scenario, the same
/// with CONFIG_DEBUG_HIGHMEM's guard slots, and for a port that reuses
/// permanent mappings, the scenario with one.
pub fn bounds_for(port: &PortSpec) -> Vec<Bounds> {
    let mut all = vec![Bounds::standard(), Bounds { debug_highmem: true, ..Bounds::standard() }];
    if port.defines(Hook::HighGet) {
        all.push(Bounds { scenario: Scenario::with_pkmap(), ..Bounds::standard() });
    }
    all
}

/// Checks a port against a variant of the generic code.
pub fn check(arch: Arch, port: &PortSpec, variant: Variant) -> Result<ArchVerdict> {
    let mut states = 0;
    let mut shown = Vec::new();
    for bounds in bounds_for(port) {
        let verdict = model::check(port, variant, &bounds).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
        states += verdict.states();
        shown.push(bounds.to_string());
        if let model::Verdict::Counterexample { property, trace, .. } = verdict {
            return Ok(ArchVerdict {
                arch,
                status: "counterexample",
                states,
                bounds: shown.join(" | "),
                property: Some(property.to_string()),
                trace: Some(trace.to_string()),
                unmodelled: Vec::new(),
            });
        }
    }
    Ok(ArchVerdict {
        arch,
        status: "proved",
        states,
        bounds: shown.join(" | "),
        property: None,
        trace: None,
        unmodelled: vec![],
    })
}

/// A port that could not be mapped to the model.
pub fn unmodelled(arch: Arch, what: Vec<String>) -> ArchVerdict {
    ArchVerdict {
        arch,
        status: "unmodelled",
        states: 0,
        bounds: String::new(),
        property: None,
        trace: None,
        unmodelled: what,
    }
}
