//! An arch port as the model sees it: the arch's hardware facts and, for
//! each hook it defines, the effects its C text performs, in order.
//!
//! This is the part of an arch descriptor the model needs; the C text
//! stays with the descriptor. A hook with no entry is left to the generic
//! default of mm/highmem.c, which has no effect (and for the index hooks
//! computes the plain per-CPU slot).

use std::collections::BTreeMap;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use super::error::{ErrorKind, Location, ModelError};
use crate::{Condition, DcacheKind, Effect, GuardedEffect, HardwareFacts, Hook};

/// Hardware facts plus the effects of every hook the arch defines.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PortSpec {
    /// The arch's hardware, as its descriptor states it.
    pub facts: HardwareFacts,
    /// Keyed by the hook's short name in serialized form (`post_map`, ...).
    #[serde(default, deserialize_with = "hooks_by_name")]
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

    /// Rejects effects listed where the generic code gives them no meaning.
    pub fn validate(&self) -> Result<(), ModelError> {
        for (&hook, effects) in &self.hooks {
            if let Some(g) = effects.iter().find(|g| !fits(hook, g.effect)) {
                return Err(ModelError { location: Location::Hook(hook), kind: ErrorKind::EffectOutOfPlace(g.effect) });
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
/// a slot, high_get only looks a mapping up, the others act on hardware.
fn fits(hook: Hook, effect: Effect) -> bool {
    match hook {
        Hook::MapIdx | Hook::UnmapIdx => effect == Effect::ColourIndex,
        Hook::HighGet => effect == Effect::PkmapLookup,
        Hook::PostMap | Hook::PreUnmap | Hook::PostUnmap => {
            !matches!(effect, Effect::ColourIndex | Effect::PkmapLookup)
        }
    }
}

/// Descriptors name hooks by their short name; `Hook` itself is generated
/// without serde, so the names are resolved here.
pub(super) fn hooks_by_name<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Hook, Vec<GuardedEffect>>, D::Error> {
    BTreeMap::<String, Vec<GuardedEffect>>::deserialize(d)?
        .into_iter()
        .map(|(name, effects)| match Hook::from_name(&name) {
            Some(hook) => Ok((hook, effects)),
            None => {
                let known: Vec<&str> = Hook::ALL.iter().map(|h| h.name()).collect();
                Err(D::Error::custom(format!("unknown hook `{name}` (known: {})", known.join(", "))))
            }
        })
        .collect()
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
