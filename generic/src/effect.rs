//! The model's vocabulary for what an arch hook does.
//!
//! A descriptor states, for every hook an arch defines, the list of
//! effects its C text performs, in order, together with that C text. The
//! renderer emits the C text; the model executes the effects. One list,
//! two consumers: that is what keeps the generated glue and the semantic
//! check about the same thing.

use serde::{Deserialize, Serialize};

/// One observable action of a hook on the modelled hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Invalidate the local CPU's TLB entry for the hook's `vaddr`.
    TlbFlushPage,
    /// Invalidate every entry of the local CPU's TLB.
    TlbFlushAll,
    /// Write back and invalidate the local data cache lines of `vaddr`.
    CacheFlushPage,
    /// Write back and invalidate the whole local data cache.
    CacheFlushAll,
    /// Load the TLB entry for `vaddr` directly with `pteval` (software
    /// managed TLBs that are written by the hook itself).
    TlbWrite,
    /// Make deferred page table writes visible (x86 paravirt lazy MMU).
    LazyMmuFlush,
    /// Choose the fixmap slot by the page's cache colour, so that a
    /// virtually indexed cache never holds two colours of one page.
    ColourIndex,
    /// Reuse a permanent (pkmap) mapping of the page when one exists.
    PkmapLookup,
}

/// A hardware condition under which an effect happens at run time, as in
/// arm's `if (cache_is_vivt()) __cpuc_flush_dcache_area(...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The data cache is virtually indexed and virtually tagged.
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
    pub const ALL: [Effect; 8] = [
        Effect::TlbFlushPage,
        Effect::TlbFlushAll,
        Effect::CacheFlushPage,
        Effect::CacheFlushAll,
        Effect::TlbWrite,
        Effect::LazyMmuFlush,
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
            Effect::LazyMmuFlush => "lazy_mmu_flush",
            Effect::ColourIndex => "colour_index",
            Effect::PkmapLookup => "pkmap_lookup",
        }
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
