//! Reading a tree's generic kmap_local code into the model's
//! [`Contract`]: which `arch_kmap_local_*` hooks its mm/highmem.c calls,
//! in what order around the PTE write and clear, on map, unmap,
//! switch-out and switch-in; whether a mapping disables migration; whose
//! index stack it uses; KM_MAX_IDX; and whether kernel/sched/core.c has
//! interrupts on when it restores a task's mappings.
//!
//! A verdict is about the tree's code, not about the 5.10 code archport
//! generates for: a 6.1 tree whose map path writes the PTE through
//! `arch_kmap_local_set_pte()` is checked with that hook, and one whose
//! mm/highmem.c lost a call is checked without it.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Result};
use archport_generic::model::{Call, Contract, IndexStack, Switch};
use archport_generic::Hook;

use super::cpp::{Config, Function, MacroState, Scope};
use super::HOOK_PREFIX;
use crate::edit::lex::Token;

/// A tree's contract, and the calls in it the model has no meaning for.
#[derive(Clone, Debug)]
pub struct TreeContract {
    pub contract: Contract,
    /// `arch_kmap_local_*` calls the hook vocabulary does not know, with
    /// their places: a verdict would not be about what the tree does.
    pub unknown_hooks: Vec<String>,
    /// Generic functions the contract is read from that a conditional
    /// the configuration does not decide reaches into, each with the
    /// conditional's place: which calls they make cannot be known.
    pub undecided: Vec<String>,
}

/// The generic functions, by the job they do in the contract.
const MAP: &str = "__kmap_local_pfn_prot";
const PAGE: &str = "__kmap_local_page_prot";
const UNMAP: &str = "kunmap_local_indexed";
const SCHED_OUT: &str = "__kmap_local_sched_out";
const SCHED_IN: &str = "__kmap_local_sched_in";
const PUSH: &str = "kmap_local_idx_push";

/// The configuration the generic code is read under: its kmap_local code
/// is compiled (5.10 also guards it with CONFIG_HIGHMEM); any other
/// condition is undecided.
fn generic_config() -> Config {
    let mut config = Config::default();
    for symbol in ["CONFIG_KMAP_LOCAL", "CONFIG_HIGHMEM"] {
        config.symbols.insert(symbol.to_string(), true);
    }
    config
}

/// Reads the contract of the tree at `tree`. Fails, naming what is
/// missing, on a tree without the generic kmap_local code.
pub fn read(tree: &Path) -> Result<TreeContract> {
    let highmem = crate::input::read_optional(&tree.join("mm/highmem.c"))?.unwrap_or_default();
    let mut scope = Scope::default();
    scope.read("mm/highmem.c", &highmem, &generic_config());
    let missing: Vec<&str> = [MAP, UNMAP].into_iter().filter(|f| !scope.functions.contains_key(*f)).collect();
    if !missing.is_empty() {
        bail!(
            "{} has no generic kmap_local code: mm/highmem.c defines no {}()",
            tree.display(),
            missing.join("() or ")
        );
    }
    let mut undecided: Vec<String> = [MAP, PAGE, UNMAP, SCHED_OUT, SCHED_IN, PUSH]
        .into_iter()
        .filter_map(|name| {
            let (f, u) = scope.functions.get(name).and_then(|f| Some((f, f.undecided.as_ref()?)))?;
            Some(format!(
                "{}: `{}` decides part of {name}() ({}), and the configuration does not decide it: which hooks \
                 the generic code calls cannot be known",
                u.at, u.condition, f.at
            ))
        })
        .collect();
    undecided.extend(hooks_behind_helpers(&scope));
    let mut unknown_hooks = Vec::new();
    let mut path = |name: &str| -> Vec<Call> {
        scope.functions.get(name).map(|f| calls(f, &mut unknown_hooks)).unwrap_or_default()
    };
    let map = path(MAP);
    let unmap = path(UNMAP);
    let switch = match (path(SCHED_OUT), path(SCHED_IN)) {
        (out, inn) if out.is_empty() && inn.is_empty() => None,
        (sched_out, sched_in) => Some(Switch { sched_out, sched_in, irqs_on_sched_in: irqs_on_sched_in(tree)? }),
    };
    let calls_fn = |f: &str, callee: &str| scope.functions.get(f).is_some_and(|f| body_calls(f, callee));
    let stack = match scope.functions.get(PUSH) {
        Some(f) if !f.body.iter().any(|t| t.text == "kmap_ctrl") => IndexStack::PerCpu,
        _ => IndexStack::PerTask,
    };
    let (km_max_idx, km_max_idx_debug) = km_max_idx(tree)?;
    let contract = Contract {
        name: format!("{}'s mm/highmem.c", tree.display()),
        map,
        unmap,
        high_get: calls_fn(PAGE, "arch_kmap_local_high_get"),
        migrate_disable: calls_fn(MAP, "migrate_disable") && calls_fn(UNMAP, "migrate_enable"),
        switch,
        stack,
        km_max_idx,
        km_max_idx_debug,
    };
    if let Err(e) = contract.validate() {
        bail!("{}: the generic code is not one the model can run: {e}", tree.display());
    }
    Ok(TreeContract { contract, unknown_hooks, undecided })
}

/// The hook calls, PTE writes and clears of a function body, in order.
fn calls(f: &Function, unknown: &mut Vec<String>) -> Vec<Call> {
    let mut out = Vec::new();
    for (i, t) in f.body.iter().enumerate() {
        if f.body.get(i + 1).is_none_or(|n| n.text != "(") {
            continue;
        }
        if let Some(name) = t.text.strip_prefix(HOOK_PREFIX) {
            match Hook::from_name(name) {
                Some(Hook::HighGet) => {}
                Some(h) => out.push(Call::Hook(h)),
                None => unknown.push(format!("{}:{}: {}()", f.at.file, t.line, t.text)),
            }
        } else if t.text == "set_pte_at" {
            out.push(Call::SetPte);
        } else if t.text == "pte_clear" {
            out.push(Call::PteClear);
        }
    }
    out
}

/// Where a contract function reaches a hook through a helper of the
/// generic code (a function or macro of mm/highmem.c that names one, at
/// any depth), or names a hook without calling it: the contract is read
/// from the calls in the contract functions' own bodies, so either would
/// be missed. Each with its places.
fn hooks_behind_helpers(scope: &Scope) -> Vec<String> {
    let contract_functions = [MAP, PAGE, UNMAP, SCHED_OUT, SCHED_IN];
    let mut out = Vec::new();
    for name in contract_functions {
        let Some(f) = scope.functions.get(name) else { continue };
        // The contract functions calling each other (kmap_local_page's
        // path into the pfn one) is the structure the model runs.
        let mut seen = contract_functions.iter().map(|n| n.to_string()).collect();
        for (i, t) in f.body.iter().enumerate() {
            if t.text.starts_with(HOOK_PREFIX) {
                if f.body.get(i + 1).is_none_or(|n| n.text != "(") {
                    out.push(format!("{}:{}: {name}() names {} without calling it", f.at.file, t.line, t.text));
                }
            } else if let Some((hook, at)) = hook_reached(scope, &t.text, &mut seen) {
                let called = f.body.get(i + 1).is_some_and(|n| n.text == "(");
                let how = if called { format!("calls {}()", t.text) } else { format!("uses {}", t.text) };
                out.push(format!(
                    "{}:{}: {name}() {how}, which reaches {hook} ({at}): the reader follows the generic code's hooks \
                     only where its map, unmap and switch functions call them themselves",
                    f.at.file, t.line
                ));
            }
        }
    }
    out
}

/// The first hook the generic function or macro `name` names, directly
/// or through the generic code's other functions and macros, with where.
fn hook_reached(scope: &Scope, name: &str, seen: &mut BTreeSet<String>) -> Option<(String, String)> {
    if !super::cpp::is_ident(name) || name.starts_with(HOOK_PREFIX) || !seen.insert(name.to_string()) {
        return None;
    }
    let (body, at): (&[Token], String) = match (scope.functions.get(name), scope.macros.get(name)) {
        (Some(f), _) => (&f.body, f.at.to_string()),
        (None, Some(MacroState::Defined(m))) => (&m.body, m.at.to_string()),
        _ => return None,
    };
    if let Some(hook) = body.iter().find(|t| t.text.starts_with(HOOK_PREFIX)) {
        return Some((hook.text.to_string(), at));
    }
    body.iter().find_map(|t| hook_reached(scope, &t.text, seen))
}

fn body_calls(f: &Function, callee: &str) -> bool {
    f.body.windows(2).any(|w| w[0].text == callee && w[1].text == "(")
}

/// KM_MAX_IDX without and with CONFIG_DEBUG_HIGHMEM, from the tree's
/// include/asm-generic/kmap_size.h.
fn km_max_idx(tree: &Path) -> Result<(u32, u32)> {
    let path = tree.join("include/asm-generic/kmap_size.h");
    let text = crate::input::read_optional(&path)?.unwrap_or_default();
    let value = |debug: bool| -> Option<u32> {
        let mut config = Config::default();
        for s in ["CONFIG_DEBUG_HIGHMEM", "CONFIG_DEBUG_KMAP_LOCAL"] {
            config.symbols.insert(s.to_string(), debug);
        }
        let mut scope = Scope::default();
        scope.read("include/asm-generic/kmap_size.h", &text, &config);
        match scope.macros.get("KM_MAX_IDX") {
            Some(MacroState::Defined(m)) if m.undecided.is_none() => match m.body.as_slice() {
                [t] => super::cpp::parse_int(&t.text).and_then(|v| u32::try_from(v).ok()),
                _ => None,
            },
            _ => None,
        }
    };
    match (value(false), value(true)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => bail!("{} has no KM_MAX_IDX the reader can read (include/asm-generic/kmap_size.h)", tree.display()),
    }
}

/// Whether kernel/sched/core.c restores the incoming task's mappings with
/// interrupts on: `finish_lock_switch()`, which enables them, runs before
/// `kmap_local_sched_in()` in `finish_task_switch()`. When the file does
/// not say, or says it under a conditional nothing decides, interrupts
/// are taken to be on: the case with more interleavings, so a proof
/// holds for the other too.
fn irqs_on_sched_in(tree: &Path) -> Result<bool> {
    let text = crate::input::read_optional(&tree.join("kernel/sched/core.c"))?.unwrap_or_default();
    let mut scope = Scope::default();
    scope.read("kernel/sched/core.c", &text, &generic_config());
    let Some(f) = scope.functions.get("finish_task_switch").filter(|f| f.undecided.is_none()) else {
        return Ok(true);
    };
    let at = |name: &str| f.body.windows(2).position(|w| w[0].text == name && w[1].text == "(");
    Ok(match (at("finish_lock_switch"), at("kmap_local_sched_in")) {
        (Some(unlock), Some(restore)) => unlock < restore,
        _ => true,
    })
}
