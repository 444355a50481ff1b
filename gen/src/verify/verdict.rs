//! Checking a read port with the model, and what comes out of it.
//!
//! Checks are memoized within a run by (port, contract, case): the same
//! hooks on the same hardware (csky, microblaze, mips and powerpc share
//! theirs; golden hooks equal to generated ones) and a justification that
//! repeats the verify step are explored once.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use anyhow::Result;
use archport_generic::model::{self, Bounds, Case, Contract, PortSpec, Trace};
use serde::Serialize;

use super::contract::TreeContract;
use super::read::{tree_port, CPort, TreePort};
use crate::arch::Arch;
use crate::descriptor::ArchSpec;

/// What the model says of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Proved,
    Counterexample,
    Unmodelled,
    NotPorted,
    NotInTree,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Proved => "proved",
            Status::Counterexample => "counterexample",
            Status::Unmodelled => "unmodelled",
            Status::NotPorted => "not ported",
            Status::NotInTree => "not in this tree",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome for one arch.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Every property holds in every case within the bounds.
    Proved,
    /// A property breaks; the trace is a shortest way to break it.
    Counterexample {
        property: String,
        /// The case it breaks in.
        case: String,
        trace: Trace,
    },
    /// The C says things the reader cannot decide; nothing was checked.
    Unmodelled { what: Vec<String> },
    /// The arch does not use kmap_local in this tree.
    NotPorted { why: String },
    /// The tree has no such arch.
    NotInTree,
}

/// What the model said of one arch.
#[derive(Clone, Debug, Serialize)]
pub struct ArchVerdict {
    pub arch: Arch,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// States explored, over every case checked.
    pub states: usize,
    /// The cases checked (the bounds), one each.
    pub cases: Vec<String>,
    /// What a reviewer should know about the C (hooks never called, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the model saw happen without harm in a proved port, each with
    /// its shortest trace (nds32's post_map redirected by an interrupt).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
}

impl ArchVerdict {
    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::Proved => Status::Proved,
            Outcome::Counterexample { .. } => Status::Counterexample,
            Outcome::Unmodelled { .. } => Status::Unmodelled,
            Outcome::NotPorted { .. } => Status::NotPorted,
            Outcome::NotInTree => Status::NotInTree,
        }
    }

    pub fn is_proved(&self) -> bool {
        matches!(self.outcome, Outcome::Proved)
    }

    /// A verdict that checked nothing.
    pub fn without_check(arch: Arch, outcome: Outcome, notes: Vec<String>) -> ArchVerdict {
        ArchVerdict { arch, outcome, states: 0, cases: Vec::new(), notes, witnesses: Vec::new() }
    }

    /// The property broken, for a counterexample.
    pub fn property(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Counterexample { property, .. } => Some(property),
            _ => None,
        }
    }
}

/// [`check`] against a tree's generic code: unmodelled, naming each,
/// when that code calls a hook the model has no meaning for (a verdict
/// would not be about what the tree does).
pub fn check_under(arch: Arch, port: &CPort, c: &TreeContract, bounds: &Bounds) -> Result<ArchVerdict> {
    match unreadable_contract(arch, c) {
        Some(v) => Ok(v),
        None => check(arch, port, &c.contract, bounds),
    }
}

/// The verdict on the hooks `tree` holds for the arch, under the tree's
/// own generic code `c`.
pub fn tree_verdict(spec: &ArchSpec, tree: &std::path::Path, c: &TreeContract, bounds: &Bounds) -> Result<ArchVerdict> {
    let arch = spec.arch;
    if let Some(v) = unreadable_contract(arch, c) {
        return Ok(v);
    }
    Ok(match tree_port(spec, tree, &c.contract)? {
        TreePort::Read(port) => check(arch, &port, &c.contract, bounds)?,
        TreePort::Unmodelled(what) => ArchVerdict::without_check(arch, Outcome::Unmodelled { what }, Vec::new()),
        TreePort::NotPorted(why) => ArchVerdict::without_check(arch, Outcome::NotPorted { why }, Vec::new()),
        TreePort::NotInTree => ArchVerdict::without_check(arch, Outcome::NotInTree, Vec::new()),
    })
}

/// Unmodelled for every arch when the generic code calls a hook the
/// model has no meaning for, or when which hooks it calls depends on a
/// conditional nothing decides.
fn unreadable_contract(arch: Arch, c: &TreeContract) -> Option<ArchVerdict> {
    let what: Vec<String> = c
        .unknown_hooks
        .iter()
        .map(|h| format!("{h}: the generic code calls a hook the model has no meaning for"))
        .chain(c.undecided.iter().cloned())
        .collect();
    (!what.is_empty()).then(|| ArchVerdict::without_check(arch, Outcome::Unmodelled { what }, Vec::new()))
}

/// Checks `port` under `contract` in every case its hardware facts call
/// for within `bounds`; the first broken case ends the check.
pub fn check(arch: Arch, port: &CPort, contract: &Contract, bounds: &Bounds) -> Result<ArchVerdict> {
    let cases = model::cases(&port.normal.facts, bounds);
    let verdicts = memo_check_all(port, contract, &cases).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
    let mut states = 0;
    let mut shown = Vec::new();
    let mut witnesses = Vec::new();
    for (case, verdict) in cases.iter().zip(verdicts) {
        states += verdict.states();
        shown.push(format!("{case}; KM_MAX_IDX {}", contract.km_max_idx(case.debug_highmem)));
        match verdict {
            model::Verdict::Counterexample { property, trace, .. } => {
                return Ok(ArchVerdict {
                    arch,
                    outcome: Outcome::Counterexample { property: property.to_string(), case: case.to_string(), trace },
                    states,
                    cases: shown,
                    notes: port.notes.clone(),
                    witnesses: Vec::new(),
                });
            }
            model::Verdict::Proved { witnesses: seen, .. } => {
                witnesses.extend(seen.iter().map(|w| format!("{}:\n{}", w.remark.statement(), w.trace)));
            }
        }
    }
    witnesses.dedup();
    Ok(ArchVerdict { arch, outcome: Outcome::Proved, states, cases: shown, notes: port.notes.clone(), witnesses })
}

/// Checks the port a descriptor declares (or any port given as effects),
/// with the same hooks with and without CONFIG_DEBUG_HIGHMEM.
pub fn check_declared(arch: Arch, port: &PortSpec, contract: &Contract) -> Result<ArchVerdict> {
    check(arch, &CPort::uniform(port.clone()), contract, &Bounds::standard())
}

/// The verdict of every case, each explored once per run for the same
/// port, contract and case; the ones not seen yet on both cores.
fn memo_check_all(port: &CPort, contract: &Contract, cases: &[Case]) -> Result<Vec<model::Verdict>, model::ModelError> {
    static DONE: OnceLock<Mutex<HashMap<String, model::Verdict>>> = OnceLock::new();
    let done = DONE.get_or_init(Default::default);
    let key = |case: &Case| format!("{:?}|{contract:?}|{case:?}", port.under(case.debug_highmem));
    let mut out: Vec<Option<model::Verdict>> = {
        let memo = done.lock().unwrap_or_else(|e| e.into_inner());
        cases.iter().map(|c| memo.get(&key(c)).cloned()).collect()
    };
    for debug in [false, true] {
        let missing: Vec<usize> =
            (0..cases.len()).filter(|&i| out[i].is_none() && cases[i].debug_highmem == debug).collect();
        if missing.is_empty() {
            continue;
        }
        let todo: Vec<Case> = missing.iter().map(|&i| cases[i].clone()).collect();
        let verdicts = model::check_all(port.under(debug), contract, &todo)?;
        let mut memo = done.lock().unwrap_or_else(|e| e.into_inner());
        for (i, v) in missing.into_iter().zip(verdicts) {
            memo.insert(key(&cases[i]), v.clone());
            out[i] = Some(v);
        }
    }
    Ok(out.into_iter().map(|v| v.expect("every case checked")).collect())
}

#[cfg(test)]
mod tests {
    use archport_generic::model::PortSpec;

    use super::*;

    #[test]
    fn generic_code_calling_a_hook_the_model_does_not_know_is_unmodelled_for_every_caller() {
        let spec = crate::descriptor::load(&crate::descriptor::templates_root(None), Arch::Arm).unwrap();
        let port = CPort::uniform(PortSpec::new(spec.descriptor.facts));
        let known = TreeContract { contract: Contract::linux_5_10(), unknown_hooks: Vec::new(), undecided: Vec::new() };
        let v = check_under(Arch::Arm, &port, &known, &Bounds::standard()).unwrap();
        assert!(!matches!(v.outcome, Outcome::Unmodelled { .. }), "{:?}", v.outcome);
        let unknown =
            TreeContract { unknown_hooks: vec!["mm/highmem.c:9: arch_kmap_local_frob()".into()], ..known.clone() };
        let v = check_under(Arch::Arm, &port, &unknown, &Bounds::standard()).unwrap();
        let Outcome::Unmodelled { what } = &v.outcome else { panic!("{:?}", v.outcome) };
        assert!(what[0].contains("mm/highmem.c:9: arch_kmap_local_frob()"), "{what:?}");
        let undecided =
            TreeContract { undecided: vec!["mm/highmem.c:7: `#ifdef CONFIG_X` decides part".into()], ..known };
        let v = check_under(Arch::Arm, &port, &undecided, &Bounds::standard()).unwrap();
        let Outcome::Unmodelled { what } = &v.outcome else { panic!("{:?}", v.outcome) };
        assert_eq!(what, &["mm/highmem.c:7: `#ifdef CONFIG_X` decides part"]);
    }
}
