//! The model's vocabulary for what an arch hook does.
//!
//! A descriptor states, for every hook an arch defines, the list of
//! effects its C text performs, in order, together with that C text. The
//! renderer emits the C text; the model executes the effects. One list,
//! two consumers: that is what keeps the generated glue and the semantic
//! check about the same thing.
//!
//! Each effect is one step of the hook: an interrupt may arrive between
//! two steps unless an `irq_disable` step before them holds it off. The
//! names below are the ones descriptors, `[c_effects]` tables and
//! reports use; `arch-templates/README.md` lists them too.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One observable action of a hook on the modelled hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// `tlb_flush_page`: invalidate the local CPU's TLB entry for the
    /// hook's `vaddr`.
    TlbFlushPage,
    /// `tlb_flush_all`: invalidate every entry of the local CPU's TLB.
    TlbFlushAll,
    /// `cache_flush_page`: write back and invalidate the data cache lines
    /// of `vaddr`.
    CacheFlushPage,
    /// `cache_flush_all`: write back and invalidate the whole data cache.
    CacheFlushAll,
    /// `tlb_write`: load the TLB entry for `vaddr` directly with `pteval`
    /// (software managed TLBs written by the hook itself); an unmap hook,
    /// which has no `pteval`, loads what the page table holds.
    TlbWrite,
    /// `tlb_vpn_set`: load the local CPU's TLB VPN register with the
    /// hook's `vaddr` (nds32's `__nds32__mtsr_dsb(vaddr, NDS32_SR_TLB_VPN)`).
    /// The register is per CPU, not per context: an interrupt that runs
    /// a hook of its own in between changes it.
    TlbVpnSet,
    /// `tlb_write_vpn`: load a TLB entry with `pteval` for whatever
    /// address the local CPU's TLB VPN register holds (nds32's
    /// `__nds32__tlbop_rwr(pteval)`); an unmap hook loads what the page
    /// table holds for that address.
    TlbWriteVpn,
    /// `pte_write`: write `pteval` to the slot's PTE, as `set_pte()` and
    /// `set_pte_at()` do (the `set_pte` hook's job).
    PteWrite,
    /// `lazy_mmu_flush`: make deferred page table writes visible (x86
    /// paravirt lazy MMU).
    LazyMmuFlush,
    /// `irq_disable`: `local_irq_save()`: no interrupt arrives on this CPU
    /// until the matching `irq_enable`.
    IrqDisable,
    /// `irq_enable`: `local_irq_restore()` of the matching `irq_disable`.
    IrqEnable,
    /// `colour_index`: choose the fixmap slot by the page's cache colour,
    /// so that a virtually indexed cache never holds two colours of one
    /// page.
    ColourIndex,
    /// `pkmap_lookup`: reuse a permanent (pkmap) mapping of the page when
    /// one exists.
    PkmapLookup,
}

/// A hardware condition under which an effect happens at run time, as in
/// arm's `if (cache_is_vivt()) __cpuc_flush_dcache_area(...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `cache_is_vivt`: the data cache is virtually indexed and tagged.
    CacheIsVivt,
}

/// An effect with the condition that guards it, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GuardedEffect {
    pub effect: Effect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
}

impl Effect {
    /// Every effect, in declaration order.
    pub const ALL: [Effect; 13] = [
        Effect::TlbFlushPage,
        Effect::TlbFlushAll,
        Effect::CacheFlushPage,
        Effect::CacheFlushAll,
        Effect::TlbWrite,
        Effect::TlbVpnSet,
        Effect::TlbWriteVpn,
        Effect::PteWrite,
        Effect::LazyMmuFlush,
        Effect::IrqDisable,
        Effect::IrqEnable,
        Effect::ColourIndex,
        Effect::PkmapLookup,
    ];

    /// The name used in descriptors and reports.
    pub fn name(self) -> &'static str {
        match self {
            Effect::TlbFlushPage => "tlb_flush_page",
            Effect::TlbFlushAll => "tlb_flush_all",
            Effect::CacheFlushPage => "cache_flush_page",
            Effect::CacheFlushAll => "cache_flush_all",
            Effect::TlbWrite => "tlb_write",
            Effect::TlbVpnSet => "tlb_vpn_set",
            Effect::TlbWriteVpn => "tlb_write_vpn",
            Effect::PteWrite => "pte_write",
            Effect::LazyMmuFlush => "lazy_mmu_flush",
            Effect::IrqDisable => "irq_disable",
            Effect::IrqEnable => "irq_enable",
            Effect::ColourIndex => "colour_index",
            Effect::PkmapLookup => "pkmap_lookup",
        }
    }
}

impl Condition {
    /// The name used in descriptors and reports.
    pub fn name(self) -> &'static str {
        match self {
            Condition::CacheIsVivt => "cache_is_vivt",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `cache_flush_page when cache_is_vivt`, or just the effect's name.
impl fmt::Display for GuardedEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.when {
            Some(condition) => write!(f, "{} when {condition}", self.effect),
            None => self.effect.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::IntoDeserializer;

    #[test]
    fn descriptors_name_each_effect_by_its_name() {
        for effect in Effect::ALL {
            let named: StrDeserializer<Error> = effect.name().into_deserializer();
            assert_eq!(Effect::deserialize(named), Ok(effect));
        }
    }

    #[test]
    fn a_guarded_effect_reads_as_effect_when_condition() {
        let guarded = GuardedEffect { effect: Effect::CacheFlushPage, when: Some(Condition::CacheIsVivt) };
        assert_eq!(guarded.to_string(), "cache_flush_page when cache_is_vivt");
        let plain = GuardedEffect { effect: Effect::TlbFlushAll, when: None };
        assert_eq!(plain.to_string(), "tlb_flush_all");
    }
}
