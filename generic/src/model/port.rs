//! An arch port as the model sees it: the arch's hardware facts and, for
//! each hook it defines, the effects its C text performs, in order.
//!
//! This is the part of an arch descriptor the model needs; the C text
//! stays with the descriptor. A hook with no entry is left to the generic
//! default of mm/highmem.c: no effect, the plain per-CPU slot for the
//! index hooks, `set_pte_at()` for `set_pte`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::{ErrorKind, Location, ModelError};
use crate::{Condition, DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

/// Hardware facts plus the effects of every hook the arch defines.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
pub struct PortSpec {
    /// The arch's hardware, as its descriptor states it.
    pub facts: HardwareFacts,
    /// Keyed by the hook's short name in serialized form (`post_map`, ...).
    #[serde(default)]
    pub hooks: BTreeMap<Hook, Vec<GuardedEffect>>,
}

impl PortSpec {
    /// A port that defines no hook: every hook is the generic default.
    pub fn new(facts: HardwareFacts) -> PortSpec {
        PortSpec { facts, hooks: BTreeMap::new() }
    }

    /// The same port with `hook` defined to perform `effects`, in order.
    pub fn with_hook(mut self, hook: Hook, effects: &[GuardedEffect]) -> PortSpec {
        self.hooks.insert(hook, effects.to_vec());
        self
    }

    /// Whether the arch defines `hook` (rather than taking the default).
    pub fn defines(&self, hook: Hook) -> bool {
        self.hooks.contains_key(&hook)
    }

    /// The effects `hook` performs on this arch's hardware: its listed
    /// effects whose condition holds, in order.
    pub fn effects(&self, hook: Hook) -> Vec<Effect> {
        self.hooks
            .get(&hook)
            .into_iter()
            .flatten()
            .filter(|g| match g.when {
                Some(condition) => holds(condition, &self.facts),
                None => true,
            })
            .map(|g| g.effect)
            .collect()
    }

    /// Rejects effects listed where the generic code gives them no
    /// meaning, and interrupts a hook leaves disabled.
    pub fn validate(&self) -> Result<(), ModelError> {
        for (&hook, effects) in &self.hooks {
            let fail = |kind| Err(ModelError { location: Location::Hook(hook), kind });
            if let Some(g) = effects.iter().find(|g| !fits(hook, g.effect)) {
                return fail(ErrorKind::EffectOutOfPlace(g.effect));
            }
            if !irqs_balanced(&self.effects(hook)) {
                return fail(ErrorKind::UnbalancedIrqs);
            }
        }
        Ok(())
    }
}

/// Whether a run-time hardware condition holds on hardware with `facts`.
fn holds(condition: Condition, facts: &HardwareFacts) -> bool {
    match condition {
        Condition::CacheIsVivt => facts.dcache == DcacheKind::Vivt,
    }
}

/// Whether `effect` means something in `hook`: the index hooks only pick
/// a slot, high_get only looks a mapping up, only set_pte writes a PTE,
/// the others act on the TLB, the cache and the interrupt flag.
fn fits(hook: Hook, effect: Effect) -> bool {
    match (hook, effect) {
        (Hook::MapIdx | Hook::UnmapIdx, e) => e == Effect::ColourIndex,
        (Hook::HighGet, e) => e == Effect::PkmapLookup,
        (_, Effect::ColourIndex | Effect::PkmapLookup) => false,
        (Hook::SetPte, _) => true,
        (Hook::PostMap | Hook::PreUnmap | Hook::PostUnmap, e) => e != Effect::PteWrite,
    }
}

/// Whether every `irq_disable` is enabled again before the hook returns,
/// and no `irq_enable` comes first.
fn irqs_balanced(effects: &[Effect]) -> bool {
    let mut off = 0i32;
    for e in effects {
        match e {
            Effect::IrqDisable => off += 1,
            Effect::IrqEnable if off == 0 => return false,
            Effect::IrqEnable => off -= 1,
            _ => {}
        }
    }
    off == 0
}

/// The effects each hook performs on this port's hardware, resolved once
/// per check so that running a hook does not filter conditions again.
#[derive(Clone, Debug)]
pub(super) struct ActiveHooks {
    /// Indexed by `Hook as usize`; `None` where the generic default runs.
    by_hook: Vec<Option<Vec<Effect>>>,
}

impl ActiveHooks {
    pub fn new(port: &PortSpec) -> ActiveHooks {
        let by_hook = Hook::ALL.iter().map(|&h| port.defines(h).then(|| port.effects(h))).collect();
        ActiveHooks { by_hook }
    }

    /// The effects of `hook`, or `None` when the arch leaves it to the default.
    pub fn get(&self, hook: Hook) -> Option<&[Effect]> {
        self.by_hook[hook as usize].as_deref()
    }

    /// Whether `hook` performs `effect` on this hardware.
    pub fn performs(&self, hook: Hook, effect: Effect) -> bool {
        self.get(hook).is_some_and(|effects| effects.contains(&effect))
    }
}
