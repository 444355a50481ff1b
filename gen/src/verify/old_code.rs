//! What the arch's old kmap_atomic code did, and what became of it.
//!
//! The old `kmap_atomic_high_prot()` and `kunmap_atomic_high()` of the
//! tree before the port are read for the TLB and cache operations they
//! did and where (before or after writing or clearing the PTE), under the
//! configuration the verdict is for, with and without
//! CONFIG_DEBUG_HIGHMEM. Each is then *kept* (the new hooks do it, at the
//! same place or another), or *dropped*; a dropped one is *proved
//! unneeded* when the model proves the port without it, and then the
//! hardware facts it relies on are named: the model is run again with the
//! fact the old operation suggests (a TLB flush after a PTE write suggests
//! the TLB caches cleared PTEs), so a reviewer sees which hand-written
//! fact, with its reason, makes the old operation unnecessary. A dropped
//! operation the port is not proved without is a failure.
//!
//! Reading is by the operations' names and places, following the arch's
//! own helpers and macros; unlike the hook reader it is not a proof, only
//! the list to compare with (an operation in a branch counts as done).

use std::collections::BTreeSet;

use anyhow::Result;
use archport_generic::model::Contract;
use archport_generic::{Effect, HardwareFacts, Hook};
use serde::Serialize;

use super::cpp::{MacroState, Scope};
use super::read::{CPort, HookFiles};
use crate::descriptor::ArchSpec;
use crate::edit::lex::{self, Token};

/// Where an old operation ran relative to the PTE it guarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    BeforePteWrite,
    AfterPteWrite,
    BeforePteClear,
    AfterPteClear,
    /// In an unmap that does not clear the PTE (it leaves the old mapping
    /// in place for the next map to replace).
    UnmapWithoutClear,
}

impl Place {
    /// The hooks that run at this place of the generic code.
    fn hooks(self) -> &'static [Hook] {
        match self {
            Place::BeforePteWrite => &[Hook::HighGet],
            Place::AfterPteWrite => &[Hook::PostMap],
            Place::BeforePteClear => &[Hook::PreUnmap],
            Place::AfterPteClear => &[Hook::PostUnmap],
            Place::UnmapWithoutClear => &[Hook::PreUnmap, Hook::PostUnmap],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Place::BeforePteWrite => "before set_pte",
            Place::AfterPteWrite => "after set_pte",
            Place::BeforePteClear => "before pte_clear",
            Place::AfterPteClear => "after pte_clear",
            Place::UnmapWithoutClear => "in an unmap that leaves the PTE",
        }
    }
}

/// One operation of the old code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OldOp {
    pub effect: Effect,
    pub place: Place,
    /// With CONFIG_DEBUG_HIGHMEM, or without.
    pub debug_highmem: bool,
    pub at: String,
}

/// What became of an old operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    /// A hook does it at the same place.
    Kept { by: String },
    /// A hook does it at another place, and the model proves the port.
    Moved { to: String },
    /// No hook does it, and the model proves the port without it; `relies_on`
    /// names the facts (with their reasons) without which it would be needed.
    ProvedUnneeded { relies_on: Vec<String> },
    /// No hook does it, and the port is not proved: a failure.
    DroppedWithoutProof,
}

/// An old operation and its fate.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    #[serde(flatten)]
    pub op: OldOp,
    #[serde(flatten)]
    pub fate: Fate,
}

/// The old map and unmap functions every converted arch had.
const OLD_MAP: &str = "kmap_atomic_high_prot";
const OLD_UNMAP: &str = "kunmap_atomic_high";

/// How deep helpers are followed.
const MAX_DEPTH: usize = 8;

/// The files the old code is read from: the arch's hooks header and
/// `mm/*.c` (where the old functions live), and its other `asm/` headers
/// (for macros such as x86's `kpte_clear_flush()`).
pub fn old_files(tree: &std::path::Path, spec: &ArchSpec) -> Result<HookFiles> {
    let mut files = super::read::hook_files(tree, spec)?;
    let asm = tree.join(spec.arch.dir()).join("include/asm");
    let mut names: Vec<String> = std::fs::read_dir(&asm)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".h") && n != "highmem.h");
    names.sort();
    // Headers first, so that the .c files see their macros.
    let mut headers = Vec::new();
    for name in names {
        let rel = format!("{}include/asm/{name}", spec.arch.dir());
        if let Some(text) = crate::input::read_optional(&tree.join(&rel))? {
            headers.push((rel, text));
        }
    }
    headers.append(&mut files.files);
    files.files = headers;
    Ok(files)
}

/// The operations of the old code in `files` (the tree before the port).
pub fn old_ops(spec: &ArchSpec, files: &HookFiles) -> Vec<OldOp> {
    let mut out = Vec::new();
    for (debug, _, scope) in files.read_both(spec) {
        let c_effects = &spec.descriptor.c_effects;
        for (name, map) in [(OLD_MAP, true), (OLD_UNMAP, false)] {
            let Some(f) = scope.functions.get(name) else { continue };
            let mut seq = Vec::new();
            let mut r = Lister { scope: &scope, c_effects, out: &mut seq, file: f.at.file.clone() };
            r.list(&f.body, &Default::default(), 0);
            out.extend(place(&seq, map, debug));
        }
    }
    out
}

/// An item of an old function's sequence.
#[derive(Clone, Debug)]
enum Item {
    Effect(Effect, String),
    PteWrite,
    PteClear,
}

/// Places each effect relative to the function's PTE operation.
fn place(seq: &[Item], map: bool, debug: bool) -> Vec<OldOp> {
    let pte = seq.iter().position(|i| matches!(i, Item::PteWrite | Item::PteClear));
    seq.iter()
        .enumerate()
        .filter_map(|(k, i)| match i {
            Item::Effect(effect, at) => {
                let place = match (map, pte) {
                    (true, Some(p)) if k < p => Place::BeforePteWrite,
                    (true, _) => Place::AfterPteWrite,
                    (false, None) => Place::UnmapWithoutClear,
                    (false, Some(p)) if k < p => Place::BeforePteClear,
                    (false, Some(_)) => Place::AfterPteClear,
                };
                Some(OldOp { effect: *effect, place, debug_highmem: debug, at: at.clone() })
            }
            _ => None,
        })
        .collect()
}

/// Lists a body's operations in source order, following the arch's own
/// helpers with their parameters replaced by the arguments' text.
struct Lister<'a> {
    scope: &'a Scope,
    c_effects: &'a std::collections::BTreeMap<String, crate::descriptor::CEffect>,
    out: &'a mut Vec<Item>,
    file: String,
}

impl Lister<'_> {
    fn list(&mut self, body: &[Token], params: &std::collections::BTreeMap<String, Vec<Token>>, depth: usize) {
        let body: Vec<Token> =
            body.iter().flat_map(|t| params.get(t.text.as_str()).cloned().unwrap_or_else(|| vec![t.clone()])).collect();
        let mut i = 0;
        while i < body.len() {
            let t = &body[i];
            if body.get(i + 1).is_none_or(|n| n.text != "(") || !super::cpp::is_ident(&t.text) {
                i += 1;
                continue;
            }
            let close = lex::matching(&body, i + 1);
            let args = split_args(&body[i + 2..close.min(body.len())]);
            let at = format!("{}:{}", self.file, t.line);
            self.call(&t.text, &args, at, depth);
            // Arguments may hold calls of their own (`flush(f(x))`): go on inside.
            i += 2;
        }
    }

    fn call(&mut self, name: &str, args: &[Vec<Token>], at: String, depth: usize) {
        let zero = |a: Option<&Vec<Token>>| {
            a.is_some_and(|a| {
                let text: Vec<&str> = a.iter().map(|t| t.text.as_str()).collect();
                matches!(text.as_slice(), ["0"] | ["__pte", "(", "0", ")"])
            })
        };
        match name {
            "pte_clear" => return self.out.push(Item::PteClear),
            "set_pte" | "set_pte_ext" => {
                return self.out.push(if zero(args.get(1)) { Item::PteClear } else { Item::PteWrite });
            }
            "set_pte_at" | "__set_pte_at" => {
                return self.out.push(if zero(args.get(3)) { Item::PteClear } else { Item::PteWrite });
            }
            _ => {}
        }
        if let Some(p) = self.c_effects.get(name) {
            self.out.extend(p.effects.iter().map(|&e| Item::Effect(e, at.clone())));
            return;
        }
        if depth >= MAX_DEPTH {
            return;
        }
        let (params, body, file) = match self.scope.macros.get(name) {
            Some(MacroState::Defined(m)) if m.params.is_some() => {
                (m.params.clone().unwrap_or_default(), m.body.clone(), m.at.file.clone())
            }
            _ => match self.scope.functions.get(name) {
                Some(f) => (f.params.clone(), f.body.to_vec(), f.at.file.clone()),
                None => return,
            },
        };
        let bound = params.into_iter().zip(args.iter().cloned()).collect();
        let saved = std::mem::replace(&mut self.file, file);
        self.list(&body, &bound, depth + 1);
        self.file = saved;
    }
}

fn split_args(t: &[Token]) -> Vec<Vec<Token>> {
    let mut out = vec![Vec::new()];
    let mut depth = 0;
    for tok in t {
        match tok.text.as_str() {
            "(" => depth += 1,
            ")" => depth -= 1,
            "," if depth == 0 => {
                out.push(Vec::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().expect("never empty").push(tok.clone());
    }
    out
}

/// What became of each old operation in `port` (its hooks as read from
/// its C), checked with the model under `contract`.
pub fn compare(spec: &ArchSpec, port: &CPort, ops: &[OldOp], contract: &Contract) -> Result<Vec<Comparison>> {
    let proved = super::check(spec.arch, port, contract, &archport_generic::model::Bounds::standard())?.is_proved();
    let mut out = Vec::new();
    for op in ops {
        let hooks = port.under(op.debug_highmem);
        let doing: Vec<Hook> =
            contract.hooks().into_iter().filter(|&h| hooks.effects(h).iter().any(|&e| covers(e, op.effect))).collect();
        let names = |hs: &[Hook]| hs.iter().map(|h| h.c_name()).collect::<Vec<_>>().join(", ");
        let here: Vec<Hook> = doing.iter().copied().filter(|h| op.place.hooks().contains(h)).collect();
        let fate = if !here.is_empty() {
            Fate::Kept { by: names(&here) }
        } else if !doing.is_empty() && proved {
            Fate::Moved { to: names(&doing) }
        } else if !proved {
            Fate::DroppedWithoutProof
        } else {
            Fate::ProvedUnneeded { relies_on: relies_on(spec, port, op, contract)? }
        };
        out.push(Comparison { op: op.clone(), fate });
    }
    // An operation the same with and without DEBUG_HIGHMEM is shown once.
    let mut shown: Vec<Comparison> = Vec::new();
    for c in out {
        let twin =
            shown.iter_mut().find(|s| s.op.effect == c.op.effect && s.op.place == c.op.place && s.fate == c.fate);
        match twin {
            Some(s) => s.op.debug_highmem = false,
            None => shown.push(c),
        }
    }
    Ok(shown)
}

/// Whether performing `done` does what `old` did.
fn covers(done: Effect, old: Effect) -> bool {
    done == old
        || matches!(
            (done, old),
            (Effect::TlbFlushAll, Effect::TlbFlushPage) | (Effect::CacheFlushAll, Effect::CacheFlushPage)
        )
}

/// The facts without which the dropped `op` would be needed: the model
/// is run with each fact the old operation suggests set the other way.
fn relies_on(spec: &ArchSpec, port: &CPort, op: &OldOp, contract: &Contract) -> Result<Vec<String>> {
    let facts = spec.descriptor.facts;
    let mut alternatives: Vec<(&str, HardwareFacts)> = Vec::new();
    match (op.effect, op.place) {
        (Effect::TlbFlushPage | Effect::TlbFlushAll, Place::AfterPteWrite) => {
            alternatives.push(("tlb_caches_cleared_pte", HardwareFacts { tlb_caches_cleared_pte: true, ..facts }));
        }
        (Effect::TlbFlushPage | Effect::TlbFlushAll, Place::BeforePteClear | Place::UnmapWithoutClear) => {
            alternatives.push(("tlb_speculative_fill", HardwareFacts { tlb_speculative_fill: true, ..facts }));
        }
        (Effect::TlbWrite | Effect::TlbWriteVpn, _) => {
            alternatives.push(("tlb_refill_from_pte", HardwareFacts { tlb_refill_from_pte: false, ..facts }));
        }
        (Effect::CacheFlushPage | Effect::CacheFlushAll, _) => {
            alternatives.push(("dcache", HardwareFacts { dcache: archport_generic::DcacheKind::Vivt, ..facts }));
        }
        _ => {}
    }
    let mut out = BTreeSet::new();
    for (fact, other) in alternatives.into_iter().filter(|(_, other)| *other != facts) {
        let mut changed = port.clone();
        changed.normal.facts = other;
        changed.debug.facts = other;
        if !super::check(spec.arch, &changed, contract, &archport_generic::model::Bounds::standard())?.is_proved() {
            let reason = spec.descriptor.reasons.get(fact).map_or("", String::as_str);
            out.insert(format!("{fact} ({reason})"));
        }
    }
    Ok(out.into_iter().collect())
}

impl OldOp {
    /// Where it ran, in words: `after set_pte (with DEBUG_HIGHMEM only)`.
    pub fn place_in_words(&self) -> String {
        let config = if self.debug_highmem { " (with DEBUG_HIGHMEM only)" } else { "" };
        format!("{}{config}", self.place.name())
    }
}

impl Fate {
    /// One word for a badge.
    pub fn name(&self) -> &'static str {
        match self {
            Fate::Kept { .. } => "kept",
            Fate::Moved { .. } => "moved",
            Fate::ProvedUnneeded { .. } => "unneeded",
            Fate::DroppedWithoutProof => "dropped",
        }
    }
}

impl std::fmt::Display for Fate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fate::Kept { by } => write!(f, "kept by {by}"),
            Fate::Moved { to } => write!(f, "kept, moved to {to} (the model proves the port)"),
            Fate::ProvedUnneeded { relies_on } if relies_on.is_empty() => {
                f.write_str("dropped, proved unneeded whatever the facts the old code suggests")
            }
            Fate::ProvedUnneeded { relies_on } => {
                write!(f, "dropped, proved unneeded because of the facts: {}", relies_on.join("; "))
            }
            Fate::DroppedWithoutProof => f.write_str("DROPPED WITHOUT PROOF: the port is not proved"),
        }
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} [{}]: {}", self.op.effect, self.op.place_in_words(), self.op.at, self.fate)
    }
}
